//! Attachments across devices (ARCHITECTURE.md, "Accounts and sync"): an
//! attachment sent with a message syncs as a record whose files are named
//! by their account-wide ids, each with its [`FileManifest`] (where its
//! sealed chunks are on the account's server).
//!
//! * Sending: the sync task uploads the files of waiting attachments first
//!   ([`crate::Store::files_to_upload`], then
//!   [`crate::Store::put_file_manifest`]); an attachment goes out only
//!   once every file it names has a manifest ([`SyncedAttachment::complete`]),
//!   so no device sees a record whose content is not on the server yet.
//! * Taking in: the record is stored with the account-wide ids as its blob
//!   ids and each manifest kept beside the (absent) blob, manifests first.
//!   The content is fetched when it is shown or sent, or every file at
//!   once on "Keep all files offline" ([`crate::Store::files_not_here`],
//!   then [`crate::Store::put_fetched_file`], under the same id).
//!
//! The copy of a photo made for sending without metadata stays on the
//! device that made it; each device makes its own.

use pakchat_core::{Attachment, AttachmentId, BlobId, FileManifest, ThreadId};
use serde::{Deserialize, Serialize};

use super::outbox::{Applied, Change, SyncRecord, purged};
use super::{SealedStore, attachment_key};
use crate::kv::Table;
use crate::{Store as _, StoreError};

/// An attachment as it travels between devices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncedAttachment {
    /// The record, its blob ids the files' account-wide ids.
    pub attachment: Attachment,
    /// Where each of its files is on the account's server.
    pub files: Vec<FileManifest>,
}

impl SyncedAttachment {
    /// Whether every file it names has a manifest (one whose files are not
    /// uploaded yet waits).
    #[must_use]
    pub fn complete(&self) -> bool {
        self.attachment.blobs().iter().all(|b| self.files.iter().any(|f| f.blob == *b))
    }
}

/// The files of `a` that travel: the original, its preview and a PDF's
/// text (not the copy made for sending, which each device makes itself).
fn travelling(a: &Attachment) -> Vec<BlobId> {
    [Some(a.blob), a.preview, a.text].into_iter().flatten().collect()
}

impl SealedStore {
    /// See [`crate::Store::outgoing`] for an attachment.
    pub(super) fn attachment_outgoing(
        &self,
        thread: ThreadId,
        id: AttachmentId,
    ) -> Result<Option<SyncRecord>, StoreError> {
        let Some(a) = self.attachment(thread, id)? else { return Ok(None) };
        if a.message_id.is_none() {
            return Ok(None);
        }
        let mut files: Vec<FileManifest> = Vec::new();
        // A file's account-wide id; `None` for one that is neither here
        // nor uploaded (nothing can send it), its own id while it waits.
        let mut named = |blob: BlobId| -> Result<Option<BlobId>, StoreError> {
            match self.read_manifest(&blob)? {
                Some(m) => {
                    let id = m.blob;
                    if !files.contains(&m) {
                        files.push(m);
                    }
                    Ok(Some(id))
                }
                None if self.has_blob(&blob)? => Ok(Some(blob)),
                None => Ok(None),
            }
        };
        let Some(blob) = named(a.blob)? else { return Ok(None) };
        let preview = a.preview.map(&mut named).transpose()?.flatten();
        let text = a.text.map(&mut named).transpose()?.flatten();
        let attachment = Attachment { blob, preview, text, sent_copy: None, ..a };
        Ok(Some(SyncRecord::Attachment(SyncedAttachment { attachment, files })))
    }

    /// See [`crate::Store::apply_incoming`] for an attachment.
    pub(super) fn apply_attachment(&self, synced: &SyncedAttachment) -> Result<Applied, StoreError> {
        let a = &synced.attachment;
        if self.thread(a.thread_id)?.is_some_and(|t| purged(&t)) {
            return Ok(Applied::Kept);
        }
        // An unreadable copy loses to one that can be read.
        let here = self.attachment(a.thread_id, a.id).map_or(Some(None), |h| h.map(Some));
        if matches!(&here, Some(Some(h)) if h.stamp >= a.stamp) {
            return Ok(Applied::Kept);
        }
        let names = a.blobs();
        for file in synced.files.iter().filter(|f| names.contains(&f.blob)) {
            if !self.has_blob(&file.blob)? {
                self.write_manifest(&file.blob, file)?;
            }
        }
        // After the manifests: a record here always knows where its files are.
        let record = Attachment { sent_copy: None, ..a.clone() };
        self.put(Table::Attachments, &attachment_key(a.thread_id, a.id), &record)?;
        Ok(if here.is_some() { Applied::Replaced } else { Applied::Added })
    }

    /// See [`crate::Store::files_to_upload`].
    pub(super) fn read_files_to_upload(&self, limit: usize) -> Result<Vec<BlobId>, StoreError> {
        let mut out = Vec::new();
        for (key, _) in self.kv.scan_prefix(Table::Outbox, b"a")? {
            let Some(Change::Attachment(thread, id)) = Change::from_key(&key) else { continue };
            let Ok(Some(a)) = self.attachment(thread, id) else { continue };
            if a.message_id.is_none() {
                continue;
            }
            for blob in travelling(&a) {
                if out.len() >= limit {
                    return Ok(out);
                }
                if !out.contains(&blob) && self.read_manifest(&blob)?.is_none() && self.has_blob(&blob)? {
                    out.push(blob);
                }
            }
        }
        Ok(out)
    }

    /// See [`crate::Store::files_not_here`].
    pub(super) fn read_files_not_here(&self, thread: Option<ThreadId>) -> Result<Vec<FileManifest>, StoreError> {
        let prefix = thread.map_or_else(Vec::new, |t| t.as_bytes().to_vec());
        let mut out: Vec<FileManifest> = Vec::new();
        for (key, value) in self.kv.scan_prefix(Table::Attachments, &prefix)? {
            let Ok(a) = self.open::<Attachment>(Table::Attachments, &key, &value) else { continue };
            for blob in travelling(&a) {
                if self.has_blob(&blob)? || out.iter().any(|m| m.blob == blob) {
                    continue;
                }
                if let Some(manifest) = self.read_manifest(&blob)? {
                    out.push(manifest);
                }
            }
        }
        Ok(out)
    }

    /// See [`crate::Store::put_fetched_file`].
    pub(super) fn write_fetched_file(&self, manifest: &FileManifest, bytes: &[u8]) -> Result<(), StoreError> {
        if bytes.len() as u64 != manifest.len {
            return Err(StoreError::Unreadable(crate::Unreadable {
                table: Table::Blobs.name(),
                reason: "a fetched file is not as long as its manifest says".to_owned(),
            }));
        }
        self.write_blob_as(manifest.blob, bytes)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
