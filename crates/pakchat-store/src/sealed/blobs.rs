//! Attachment content: sealed chunks of [`BLOB_CHUNK`] bytes under a keyed
//! hash of the content (equal files are stored once), and a length record
//! written after the chunks, so a blob is there once its length record is.
//! Beside a blob may sit its [`FileManifest`]: where its sealed chunks are
//! on the account's server (for a file uploaded from here, or one another
//! device sent that is not downloaded yet).

use pakchat_core::{BlobId, FileManifest};

use super::SealedStore;
use crate::crypto::record_aad;
use crate::kv::Table;
use crate::{StoreError, Unreadable};

/// Bytes per sealed blob chunk.
const BLOB_CHUNK: usize = 256 * 1024;
/// Chunk index under which a blob's length record lives.
const BLOB_META: u32 = u32::MAX;
/// Chunk index under which a blob's manifest on the account's server lives.
const BLOB_MANIFEST: u32 = u32::MAX - 1;

fn blob_key(id: &BlobId, chunk: u32) -> [u8; 36] {
    let mut key = [0u8; 36];
    key[..32].copy_from_slice(&id.0);
    key[32..].copy_from_slice(&chunk.to_be_bytes());
    key
}

impl SealedStore {
    pub(super) fn write_blob(&self, bytes: &[u8]) -> Result<BlobId, StoreError> {
        self.write_blob_as(self.blob_id(bytes), bytes)
    }

    /// Store `bytes` as the blob `id` (the caller vouches that `id` names
    /// this content: a file fetched from the account's server and checked).
    pub(super) fn write_blob_as(&self, id: BlobId, bytes: &[u8]) -> Result<BlobId, StoreError> {
        if self.kv.get(Table::Blobs, &blob_key(&id, BLOB_META))?.is_some() {
            return Ok(id);
        }
        let mut chunks = 0u32;
        for (i, chunk) in bytes.chunks(BLOB_CHUNK).enumerate() {
            let i = u32::try_from(i).map_err(|_| StoreError::CorruptHeader("blob too large".to_owned()))?;
            let key = blob_key(&id, i);
            let sealed =
                self.records.seal(&record_aad(Table::Blobs.name(), &key), chunk).map_err(StoreError::Random)?;
            self.kv.insert(Table::Blobs, &key, &sealed)?;
            chunks = i + 1;
        }
        // Written last: a blob is there once its length record is.
        self.put(Table::Blobs, &blob_key(&id, BLOB_META), &(bytes.len() as u64, chunks))?;
        Ok(id)
    }

    pub(super) fn read_blob(&self, id: &BlobId) -> Result<Option<Vec<u8>>, StoreError> {
        let meta_key = blob_key(id, BLOB_META);
        let Some(meta) = self.kv.get(Table::Blobs, &meta_key)? else { return Ok(None) };
        let (len, chunks): (u64, u32) = self.open(Table::Blobs, &meta_key, &meta)?;
        let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        for i in 0..chunks {
            let key = blob_key(id, i);
            let unreadable = |reason: String| Unreadable { table: Table::Blobs.name(), reason };
            let sealed = self.kv.get(Table::Blobs, &key)?.ok_or_else(|| unreadable(format!("chunk {i} is missing")))?;
            let plain = self
                .records
                .open(&record_aad(Table::Blobs.name(), &key), &sealed)
                .map_err(|e| unreadable(e.to_string()))?;
            out.extend_from_slice(&plain);
        }
        if out.len() as u64 != len {
            return Err(Unreadable { table: Table::Blobs.name(), reason: "blob length differs".to_owned() }.into());
        }
        Ok(Some(out))
    }

    pub(super) fn delete_blob(&self, id: &BlobId) -> Result<(), StoreError> {
        let meta_key = blob_key(id, BLOB_META);
        let chunks = match self.kv.get(Table::Blobs, &meta_key)? {
            Some(meta) => self.open::<(u64, u32)>(Table::Blobs, &meta_key, &meta).map_or(0, |(_, c)| c),
            None => 0,
        };
        // The length record goes first: a half-removed blob reads as absent.
        self.kv.remove(Table::Blobs, &meta_key)?;
        self.kv.remove(Table::Blobs, &blob_key(id, BLOB_MANIFEST))?;
        for i in 0..chunks {
            self.kv.remove(Table::Blobs, &blob_key(id, i))?;
        }
        Ok(())
    }

    /// Whether the content of blob `id` is here.
    pub(super) fn has_blob(&self, id: &BlobId) -> Result<bool, StoreError> {
        Ok(self.kv.get(Table::Blobs, &blob_key(id, BLOB_META))?.is_some())
    }

    /// Where blob `id`'s chunks are on the account's server, if known.
    pub(super) fn read_manifest(&self, id: &BlobId) -> Result<Option<FileManifest>, StoreError> {
        let key = blob_key(id, BLOB_MANIFEST);
        let Some(bytes) = self.kv.get(Table::Blobs, &key)? else { return Ok(None) };
        Ok(Some(self.open(Table::Blobs, &key, &bytes)?))
    }

    /// Keep where blob `id`'s chunks are on the account's server.
    pub(super) fn write_manifest(&self, id: &BlobId, manifest: &FileManifest) -> Result<(), StoreError> {
        self.put(Table::Blobs, &blob_key(id, BLOB_MANIFEST), manifest)
    }
}
