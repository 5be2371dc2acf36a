//! Attached files on the account's server: split into chunks of at most
//! [`MAX_CHUNK`] bytes, each sealed under a key derived from the account
//! key and named by a keyed hash of its plain content, so a chunk is
//! uploaded once however often it is named, and neither its name nor its
//! body tells the server anything.
//!
//! A file is described by a [`FileManifest`] (its account-wide id, length
//! and chunk ids), which travels inside the sealed attachment record.
//! Downloads check every chunk against its id and the whole file against
//! its id: a server that swaps, truncates or alters a chunk is caught and
//! nothing is written.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use hmac::{Hmac, Mac};
use pakchat_core::{BlobId, FileManifest};
use pakchat_protocol::{ChunkId, MAX_CHUNK, MAX_MISSING, MAX_SEALED_CHUNK, MissingRequest, MissingResponse};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{AccountKey, Server, SyncError};

/// Associated-data tag of a sealed chunk.
const CHUNK_AAD: &[u8] = b"pakchat-chunk-v1";

/// The keys a file's chunks are named and sealed with, derived from the
/// account key (each a different use, so none reveals another).
pub struct FileKeys {
    names: Zeroizing<[u8; 32]>,
    content: Zeroizing<[u8; 32]>,
    seal: Aes256Gcm,
}

/// Why a file could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// The server.
    #[error(transparent)]
    Server(#[from] SyncError),
    /// A chunk the manifest names is not on the server.
    #[error("a piece of the file is not on the server (the device that sent it may not have finished)")]
    Missing,
    /// A chunk or the whole file is not what the manifest names.
    #[error("the server sent a damaged or altered piece of the file")]
    Damaged,
}

fn keyed_hash(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

impl FileKeys {
    /// The file keys of `key`.
    #[must_use]
    pub fn new(key: &AccountKey) -> Self {
        let derive = |label: &[u8]| Zeroizing::new(keyed_hash(key.as_bytes(), &[b"pakchat/files/v1/", label]));
        let seal_key = derive(b"seal");
        Self {
            names: derive(b"chunk-ids"),
            content: derive(b"content-ids"),
            seal: Aes256Gcm::new(seal_key.as_ref().into()),
        }
    }

    /// The account-wide id of a file with this content.
    #[must_use]
    pub fn file_id(&self, bytes: &[u8]) -> BlobId {
        BlobId(keyed_hash(&self.content, &[bytes]))
    }

    /// The id of a chunk with this content.
    #[must_use]
    pub fn chunk_id(&self, plain: &[u8]) -> ChunkId {
        ChunkId::from_hash(&keyed_hash(&self.names, &[plain]))
    }

    /// The manifest of `bytes`.
    #[must_use]
    pub fn manifest(&self, bytes: &[u8]) -> FileManifest {
        FileManifest {
            blob: self.file_id(bytes),
            len: bytes.len() as u64,
            chunks: bytes.chunks(MAX_CHUNK).map(|c| self.chunk_id(c).as_str().to_owned()).collect(),
        }
    }

    /// Seal one chunk for `user`: nonce, then ciphertext and tag.
    ///
    /// # Errors
    /// No randomness for the nonce.
    pub fn seal_chunk(&self, user: &str, id: &ChunkId, plain: &[u8]) -> Result<Vec<u8>, SyncError> {
        let mut nonce = [0u8; 12];
        getrandom::getrandom(&mut nonce).map_err(|e| SyncError::Local(format!("no randomness: {e}")))?;
        let aad = [CHUNK_AAD, user.as_bytes(), id.as_str().as_bytes()].concat();
        let sealed = self
            .seal
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad: &aad })
            .map_err(|_| SyncError::Local("a chunk could not be sealed".to_owned()))?;
        Ok([&nonce[..], &sealed].concat())
    }

    /// Open a sealed chunk and check it is the chunk `id` names.
    ///
    /// # Errors
    /// [`FileError::Damaged`] when it does not open or is another chunk.
    pub fn open_chunk(&self, user: &str, id: &ChunkId, sealed: &[u8]) -> Result<Vec<u8>, FileError> {
        if sealed.len() < 28 || sealed.len() > MAX_SEALED_CHUNK {
            return Err(FileError::Damaged);
        }
        let (nonce, body) = sealed.split_at(12);
        let aad = [CHUNK_AAD, user.as_bytes(), id.as_str().as_bytes()].concat();
        let plain = self
            .seal
            .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: &aad })
            .map_err(|_| FileError::Damaged)?;
        if self.chunk_id(&plain) != *id {
            return Err(FileError::Damaged);
        }
        Ok(plain)
    }
}

fn chunk_ids(manifest: &FileManifest) -> Result<Vec<ChunkId>, FileError> {
    manifest.chunks.iter().map(|c| ChunkId::new(c.as_str()).map_err(|_| FileError::Damaged)).collect()
}

/// Put `bytes` on the server (only the chunks it does not have yet) and
/// return its manifest.
///
/// # Errors
/// The server; nothing half-done matters, as chunks are named by content.
pub async fn upload_file(
    server: &Server,
    keys: &FileKeys,
    user: &str,
    bytes: &[u8],
) -> Result<FileManifest, SyncError> {
    let manifest = keys.manifest(bytes);
    let ids: Vec<ChunkId> = manifest.chunks.iter().map(|c| keys_chunk(c)).collect::<Result<_, _>>()?;
    let mut missing = std::collections::HashSet::new();
    for batch in ids.chunks(MAX_MISSING) {
        missing.extend(server.missing_chunks(batch.to_vec()).await?);
    }
    for (id, plain) in ids.iter().zip(bytes.chunks(MAX_CHUNK)) {
        if missing.remove(id) {
            server.put_chunk(id, keys.seal_chunk(user, id, plain)?).await?;
        }
    }
    Ok(manifest)
}

fn keys_chunk(id: &str) -> Result<ChunkId, SyncError> {
    ChunkId::new(id).map_err(|e| SyncError::Local(e.to_string()))
}

/// Fetch the file `manifest` describes and check it whole.
///
/// # Errors
/// See [`FileError`]; nothing is returned unless every check passed.
pub async fn download_file(
    server: &Server,
    keys: &FileKeys,
    user: &str,
    manifest: &FileManifest,
) -> Result<Vec<u8>, FileError> {
    let ids = chunk_ids(manifest)?;
    let mut out = Vec::with_capacity(usize::try_from(manifest.len).unwrap_or(0).min(64 * MAX_CHUNK));
    for id in &ids {
        let sealed = server.get_chunk(id).await?.ok_or(FileError::Missing)?;
        out.extend_from_slice(&keys.open_chunk(user, id, &sealed)?);
        if out.len() as u64 > manifest.len {
            return Err(FileError::Damaged);
        }
    }
    if out.len() as u64 != manifest.len || keys.file_id(&out) != manifest.blob {
        return Err(FileError::Damaged);
    }
    Ok(out)
}

impl Server {
    /// Which of `ids` the server does not hold for this user (at most
    /// [`MAX_MISSING`] at once).
    ///
    /// # Errors
    /// See [`SyncError`].
    pub async fn missing_chunks(&self, ids: Vec<ChunkId>) -> Result<Vec<ChunkId>, SyncError> {
        let request = self.http.post(format!("{}/v1/chunks/missing", self.base)).json(&MissingRequest { ids });
        let response = self.send(request).await?;
        let answer: MissingResponse =
            response.json().await.map_err(|e| SyncError::Refused(format!("an answer not understood: {e}")))?;
        Ok(answer.missing)
    }

    /// Upload one sealed chunk.
    ///
    /// # Errors
    /// See [`SyncError`].
    pub async fn put_chunk(&self, id: &ChunkId, sealed: Vec<u8>) -> Result<(), SyncError> {
        let request = self
            .http
            .put(format!("{}/v1/chunks/{}", self.base, id.as_str()))
            .header("content-type", "application/octet-stream")
            .body(sealed);
        let response = self.send(request).await?;
        if response.status().as_u16() == 404 {
            return Err(SyncError::Refused("this server does not keep files (too old?)".to_owned()));
        }
        Ok(())
    }

    /// One sealed chunk; `None` when the server has none of that id.
    ///
    /// # Errors
    /// See [`SyncError`].
    pub async fn get_chunk(&self, id: &ChunkId) -> Result<Option<Vec<u8>>, SyncError> {
        let request = self.http.get(format!("{}/v1/chunks/{}", self.base, id.as_str()));
        let response = self.send(request).await?;
        if response.status().as_u16() == 404 {
            return Ok(None);
        }
        let body = response.bytes().await.map_err(|e| SyncError::Unreachable(e.without_url().to_string()))?;
        if body.len() > MAX_SEALED_CHUNK {
            return Err(SyncError::Refused("a file chunk larger than any chunk can be".to_owned()));
        }
        Ok(Some(body.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> (AccountKey, FileKeys) {
        let key = AccountKey::from_bytes([5; 32]);
        let keys = FileKeys::new(&key);
        (key, keys)
    }

    #[test]
    fn a_manifest_names_chunks_by_content_and_the_file_by_the_account() {
        let (_, keys) = keys();
        let bytes: Vec<u8> = (0..(MAX_CHUNK * 2 + 10)).map(|i| (i % 251) as u8).collect();
        let manifest = keys.manifest(&bytes);
        assert_eq!(manifest.len, bytes.len() as u64);
        assert_eq!(manifest.chunks.len(), 3);
        assert_eq!(manifest, keys.manifest(&bytes), "the same content is named the same");
        let other = FileKeys::new(&AccountKey::from_bytes([6; 32]));
        assert_ne!(other.manifest(&bytes).blob, manifest.blob, "another account names it otherwise");
        assert_ne!(other.manifest(&bytes).chunks, manifest.chunks);
    }

    #[test]
    fn a_sealed_chunk_opens_only_as_itself_for_its_user() {
        let (_, keys) = keys();
        let id = keys.chunk_id(b"canary chunk");
        let sealed = keys.seal_chunk("user-1", &id, b"canary chunk").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"canary"), "the body is sealed");
        assert_eq!(keys.open_chunk("user-1", &id, &sealed).unwrap(), b"canary chunk");
        assert_eq!(keys.open_chunk("user-2", &id, &sealed), Err(FileError::Damaged), "another user");
        let other = keys.chunk_id(b"other");
        assert_eq!(keys.open_chunk("user-1", &other, &sealed), Err(FileError::Damaged), "moved to another id");
        let mut flipped = sealed.clone();
        flipped[20] ^= 1;
        assert_eq!(keys.open_chunk("user-1", &id, &flipped), Err(FileError::Damaged), "altered");
        assert_eq!(keys.open_chunk("user-1", &id, &sealed[..10]), Err(FileError::Damaged), "cut short");
        // Sealed with the right key but content that is not what the id names.
        let liar = keys.seal_chunk("user-1", &id, b"something else").unwrap();
        assert_eq!(keys.open_chunk("user-1", &id, &liar), Err(FileError::Damaged));
    }
}
