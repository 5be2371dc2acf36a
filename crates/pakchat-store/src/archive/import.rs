//! The import side of [`super::Archive`]: reading a file the user chose
//! ([`parse`]: a Pak.Chat archive or a ChatGPT export, checked whole before
//! anything is written) and writing what it holds into a store ([`import`]).
//! [`open`] and [`Pending::import`] do the same for a file of any size: a
//! ChatGPT export is converted one conversation at a time as it is written,
//! with progress.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;

use super::{Archive, ArchiveError, FORMAT, ImportReport, ThreadArchive, UNREADABLE_PLACEHOLDER, VERSION, chatgpt};
use crate::{Store, StoreError};
use pakchat_core::{BlobId, Message, MessageStatus, Role, Thread};

/// Read a file the user chose to import: a Pak.Chat archive or a ChatGPT
/// `conversations.json` (told apart by their shape). Checks everything
/// before anything is written; `stamp` versions the records of a ChatGPT
/// import (a Pak.Chat archive keeps its own).
///
/// # Errors
/// The file is not one of those formats, or contradicts itself.
pub fn parse(bytes: &[u8], stamp: &mut dyn FnMut() -> pakchat_core::Stamp) -> Result<Archive, ArchiveError> {
    match first_byte(bytes) {
        Some(b'[') => chatgpt::parse(bytes, stamp),
        Some(b'{') => {
            let archive = parse_pakchat(bytes)?;
            check(&archive)?;
            Ok(archive)
        }
        _ => Err(ArchiveError::Malformed(
            "expected a Pak.Chat archive or a ChatGPT conversations.json (a JSON document)".to_owned(),
        )),
    }
}

/// The first byte of the JSON text (after white space and a byte order mark).
fn first_byte(bytes: &[u8]) -> Option<u8> {
    bytes.iter().copied().find(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF)
}

fn parse_pakchat(bytes: &[u8]) -> Result<Archive, ArchiveError> {
    #[derive(Deserialize)]
    struct Head {
        format: Option<String>,
        version: Option<u32>,
    }
    let head: Head = serde_json::from_slice(bytes).map_err(|e| ArchiveError::Malformed(e.to_string()))?;
    if head.format.as_deref() != Some(FORMAT) {
        return Err(ArchiveError::Malformed("it is JSON, but not a Pak.Chat archive".to_owned()));
    }
    let version = head.version.unwrap_or(0);
    if version > VERSION {
        return Err(ArchiveError::NewerVersion(version));
    }
    let mut archive: Archive = serde_json::from_slice(bytes).map_err(|e| ArchiveError::Malformed(e.to_string()))?;
    for t in &mut archive.threads {
        t.branches = std::mem::take(&mut t.branches).restored();
    }
    Ok(archive)
}

/// The checks [`parse`] makes: ids unique, every record in its own thread,
/// every file present.
fn check(archive: &Archive) -> Result<(), ArchiveError> {
    let mut ids = HashSet::new();
    for t in &archive.threads {
        let id = t.thread.id;
        if !ids.insert(id) {
            return Err(ArchiveError::Inconsistent(format!("the chat {} appears twice", id.0)));
        }
        let title = &t.thread.title;
        if let Some(m) = t.messages.iter().flatten().find(|m| m.thread_id != id) {
            return Err(ArchiveError::Inconsistent(format!(
                "a message of \"{title}\" names another chat ({})",
                m.id.0
            )));
        }
        for a in &t.attachments {
            if a.record.thread_id != id {
                return Err(ArchiveError::Inconsistent(format!("the file \"{}\" names another chat", a.record.name)));
            }
            if a.record.blobs().iter().any(|b| !a.blobs.contains_key(b)) {
                return Err(ArchiveError::Inconsistent(format!("the content of \"{}\" is missing", a.record.name)));
            }
        }
    }
    Ok(())
}

/// A file ready to import, checked whole as [`parse`] checks it. A ChatGPT
/// export stays the file's text until [`Pending::import`] converts and
/// writes one conversation at a time, so an import of years of history
/// needs little more memory than the file itself.
pub struct Pending<'a> {
    what: What<'a>,
    chats: usize,
}

enum What<'a> {
    Archive(Box<Archive>),
    ChatGpt(&'a [u8]),
}

/// Read and check a file the user chose to import (see [`parse`]; nothing
/// of a ChatGPT export is kept converted).
///
/// # Errors
/// As [`parse`].
pub fn open(bytes: &[u8]) -> Result<Pending<'_>, ArchiveError> {
    if first_byte(bytes) == Some(b'[') {
        let mut chats = 0;
        // These threads are counted, never stored: their stamps do not matter.
        let Ok(_) = chatgpt::each(bytes, &mut scratch_stamp, &mut |_| {
            chats += 1;
            Ok::<_, std::convert::Infallible>(())
        })?;
        return Ok(Pending { what: What::ChatGpt(bytes), chats });
    }
    // A Pak.Chat archive keeps its own stamps.
    let archive = parse(bytes, &mut scratch_stamp)?;
    Ok(Pending { chats: archive.threads.len(), what: What::Archive(Box::new(archive)) })
}

/// A stamp of no device, for threads that are never stored.
fn scratch_stamp() -> pakchat_core::Stamp {
    pakchat_core::Stamp { hlc: pakchat_core::Hlc::default(), device: pakchat_core::DeviceId::from_bytes([0; 16]) }
}

impl Pending<'_> {
    /// The chats the file holds (a conversation with nothing to show is not
    /// counted).
    #[must_use]
    pub fn chats(&self) -> usize {
        self.chats
    }

    /// Write what the file holds into `store`, as [`import()`] does;
    /// `stamp` versions the records of a ChatGPT import; `progress` hears
    /// (chats done, chats in the file) after each chat.
    ///
    /// # Errors
    /// The store failed; chats imported before the failure stay.
    pub fn import(
        self,
        store: &dyn Store,
        restore_settings: bool,
        stamp: &mut dyn FnMut() -> pakchat_core::Stamp,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ImportReport, StoreError> {
        let total = self.chats;
        match self.what {
            What::Archive(archive) => write(store, *archive, restore_settings, &mut |done| progress(done, total)),
            What::ChatGpt(bytes) => {
                let mut report = ImportReport::default();
                let mut done = 0;
                let result = chatgpt::each(bytes, stamp, &mut |t| {
                    write_thread(store, t, &mut report)?;
                    done += 1;
                    progress(done, total);
                    Ok(())
                });
                match result {
                    Ok(Ok(unreadable)) => report.unreadable = unreadable,
                    Ok(Err(e)) => return Err(e),
                    // Not after `open` checked these very bytes; said, not hidden.
                    Err(e) => report.unreadable.push(e.to_string()),
                }
                store.flush()?;
                Ok(report)
            }
        }
    }
}

/// Write `archive` into `store` (see the module docs). With
/// `restore_settings`, the archive's settings replace the profile's.
///
/// # Errors
/// The store failed; threads imported before the failure stay.
pub fn import(store: &dyn Store, archive: Archive, restore_settings: bool) -> Result<ImportReport, StoreError> {
    write(store, archive, restore_settings, &mut |_| {})
}

fn write(
    store: &dyn Store,
    archive: Archive,
    restore_settings: bool,
    progress: &mut dyn FnMut(usize),
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport { unreadable: archive.unreadable, ..ImportReport::default() };
    // Projects first, so no imported thread names a project that is missing.
    for project in archive.projects {
        match store.project(project.id) {
            Ok(None) => {
                store.put_project(&project)?;
                report.projects += 1;
            }
            Ok(Some(existing)) if existing.deleted => {
                store.put_project(&project)?;
                report.projects += 1;
            }
            Ok(Some(_)) | Err(StoreError::Unreadable(_)) => {}
            Err(e) => return Err(e),
        }
    }
    for (done, t) in archive.threads.into_iter().enumerate() {
        write_thread(store, t, &mut report)?;
        progress(done + 1);
    }
    if restore_settings && let Some(settings) = archive.settings {
        store.put_settings(&settings)?;
        report.settings = true;
    }
    store.flush()?;
    Ok(report)
}

/// One thread: its files, its messages, its branches, and its record last.
fn write_thread(store: &dyn Store, t: ThreadArchive, report: &mut ImportReport) -> Result<(), StoreError> {
    let id = t.thread.id;
    match store.thread(id) {
        Ok(Some(existing)) if existing.deleted => {
            // A tombstone: its content was deleted; the import brings it back.
            store.purge_thread_content(id)?;
        }
        Ok(None) => {
            if store.message_count(id)? > 0 {
                // Left over from an import cut short: start the thread again.
                store.purge_thread_content(id)?;
            }
        }
        Ok(Some(_)) | Err(StoreError::Unreadable(_)) => {
            report.skipped += 1;
            return Ok(());
        }
        Err(e) => return Err(e),
    }
    for a in t.attachments {
        let mut record = a.record;
        let mut moved = BTreeMap::new();
        for (old, bytes) in &a.blobs {
            moved.insert(*old, store.put_blob(bytes)?);
        }
        let to_new = |b: BlobId| moved.get(&b).copied().unwrap_or(b);
        record.blob = to_new(record.blob);
        record.preview = record.preview.map(to_new);
        record.text = record.text.map(to_new);
        record.sent_copy = record.sent_copy.map(|(b, k)| (to_new(b), k));
        store.put_attachment(&record)?;
        report.attachments += 1;
    }
    let mut last = None;
    for (position, slot) in t.messages.into_iter().enumerate() {
        let message = match slot {
            Some(mut m) => {
                m.status = match m.status {
                    MessageStatus::Sending => MessageStatus::Failed,
                    MessageStatus::Streaming => MessageStatus::Interrupted,
                    other => other,
                };
                report.messages += 1;
                m
            }
            None => placeholder(&t.thread, last.as_ref(), position),
        };
        store.append_message(&message)?;
        last = Some(message);
    }
    if !t.branches.is_straight() {
        store.put_branches(id, &t.branches)?;
    }
    let mut thread = t.thread;
    // A chat exported alone names a project this profile may not have.
    if let Some(p) = thread.project_id
        && !matches!(store.project(p), Ok(Some(project)) if !project.deleted)
    {
        thread.project_id = None;
    }
    store.put_thread(&thread)?;
    // The draft comes in as this device's (the record does not hold it).
    store.put_draft(thread.id, &thread.draft)?;
    report.threads += 1;
    Ok(())
}

/// A stand-in keeping the positions of a thread whose message could not be
/// read at export time.
fn placeholder(thread: &Thread, previous: Option<&Message>, position: usize) -> Message {
    Message {
        id: pakchat_core::MessageId::new(),
        thread_id: thread.id,
        parent_id: previous.map(|m| m.id),
        role: Role::System,
        content: UNREADABLE_PLACEHOLDER.to_owned(),
        reasoning: String::new(),
        attachments: Vec::new(),
        model: None,
        status: MessageStatus::Failed,
        failure: None,
        usage: None,
        created_ms: previous.map_or(thread.created_ms, |m| m.created_ms) + u64::from(position == 0),
        stamp: thread.stamp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_document_that_is_not_an_archive_is_refused() {
        let mut clock = pakchat_core::HlcClock::new(pakchat_core::DeviceId::from_bytes([1; 16]));
        let mut stamp = || clock.now();
        let e = parse(br#"{"hello": 1}"#, &mut stamp).unwrap_err();
        assert!(e.to_string().contains("not a Pak.Chat archive"), "{e}");
        let e = parse(b"PK\x03\x04zip", &mut stamp).unwrap_err();
        assert!(e.to_string().contains("conversations.json"), "{e}");
        let e = parse(br#"{"format": "pakchat-archive", "version": 9, "threads": []}"#, &mut stamp).unwrap_err();
        assert!(matches!(e, ArchiveError::NewerVersion(9)), "{e}");
    }
}
