//! Writing archives: the whole profile or one chat, built in memory
//! ([`export_all`], [`export_thread`]) or written as it is read
//! ([`write_all`], a thread's page of messages or one file at a time).

use std::collections::BTreeMap;

use super::{Archive, AttachmentArchive, ExportReport, ThreadArchive, new_archive};
use crate::{MessageSlot, ProjectSlot, Store, StoreError, ThreadSlot};
use pakchat_core::{Branches, Message, Thread, ThreadId};

/// Every thread of the store (tombstones left out), with the settings.
///
/// # Errors
/// Engine failure (damaged records are counted and left out, not fatal).
pub fn export_all(store: &dyn Store) -> Result<(Archive, ExportReport), StoreError> {
    let mut report = ExportReport::default();
    let threads = live_threads(store, &mut report)?;
    let mut archive = head(store, &mut report)?;
    for thread in threads {
        archive.threads.push(export_one(store, thread, &mut report)?);
    }
    Ok((archive, report))
}

/// [`export_all`] written to `out` as it is read, one thread at a time, so
/// memory holds at most one thread (with its files) whatever the profile's
/// size. The JSON is compact; [`super::parse`] reads it like any archive.
///
/// # Errors
/// Engine failure, or `out` failed.
pub fn write_all(store: &dyn Store, out: &mut dyn std::io::Write) -> Result<ExportReport, WriteError> {
    let mut report = ExportReport::default();
    let threads = live_threads(store, &mut report)?;
    // Settings and projects are small: the archive without its threads
    // gives the head, and the threads follow one by one.
    let head = serde_json::to_string(&head(store, &mut report)?)?;
    let open = head.strip_suffix("[]}").ok_or_else(|| WriteError::Output("unexpected archive head".to_owned()))?;
    out.write_all(open.as_bytes())?;
    out.write_all(b"[")?;
    for (i, thread) in threads.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_one(store, thread, &mut report, out)?;
    }
    out.write_all(b"]}")?;
    Ok(report)
}

/// The threads an export holds (tombstones left out, unreadable ones
/// counted), oldest first.
fn live_threads(store: &dyn Store, report: &mut ExportReport) -> Result<Vec<Thread>, StoreError> {
    let mut threads = Vec::new();
    for slot in store.threads()? {
        match slot {
            ThreadSlot::Ok(t) if !t.deleted => threads.push(t),
            ThreadSlot::Ok(_) => {}
            ThreadSlot::Unreadable { .. } => report.unreadable += 1,
        }
    }
    threads.sort_by_key(|t| t.created_ms);
    Ok(threads)
}

/// The archive with the settings and projects of [`export_all`] and no
/// threads yet.
fn head(store: &dyn Store, report: &mut ExportReport) -> Result<Archive, StoreError> {
    let settings = match store.settings() {
        Ok(s) => Some(s),
        Err(StoreError::Unreadable(_)) => {
            report.unreadable += 1;
            None
        }
        Err(e) => return Err(e),
    };
    let mut projects = Vec::new();
    for slot in store.projects()? {
        match slot {
            ProjectSlot::Ok(p) if !p.deleted => projects.push(p),
            ProjectSlot::Ok(_) => {}
            ProjectSlot::Unreadable { .. } => report.unreadable += 1,
        }
    }
    projects.sort_by_key(|p| p.created_ms);
    let mut archive = new_archive(settings, Vec::new());
    archive.projects = projects;
    Ok(archive)
}

/// One thread as an archive of its own (no settings).
///
/// # Errors
/// Engine failure, or the thread does not exist.
pub fn export_thread(store: &dyn Store, id: ThreadId) -> Result<(Archive, ExportReport), StoreError> {
    let mut report = ExportReport::default();
    let Some(thread) = store.thread(id)? else {
        return Err(StoreError::Unreadable(crate::Unreadable {
            table: "threads",
            reason: "that chat no longer exists".to_owned(),
        }));
    };
    let one = export_one(store, thread, &mut report)?;
    Ok((new_archive(None, vec![one]), report))
}

fn export_one(store: &dyn Store, thread: Thread, report: &mut ExportReport) -> Result<ThreadArchive, StoreError> {
    let mut messages = Vec::new();
    for_each_message(store, thread.id, report, &mut |m| -> Result<(), StoreError> {
        messages.push(m);
        Ok(())
    })?;
    let branches = branches_of(store, thread.id, report)?;
    let mut attachments = Vec::new();
    for_each_attachment(store, thread.id, report, &mut |a| -> Result<(), StoreError> {
        attachments.push(a);
        Ok(())
    })?;
    report.threads += 1;
    Ok(ThreadArchive { thread, messages, branches, attachments })
}

/// Why a streamed export stopped: the store, or the output.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Reading the profile failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the file failed.
    #[error("{0}")]
    Output(String),
}

impl From<std::io::Error> for WriteError {
    fn from(e: std::io::Error) -> Self {
        Self::Output(e.to_string())
    }
}

impl From<serde_json::Error> for WriteError {
    fn from(e: serde_json::Error) -> Self {
        Self::Output(e.to_string())
    }
}

/// One thread as [`ThreadArchive`] JSON, its messages a page at a time and
/// its attachments one at a time: memory holds a page or one file.
fn write_one(
    store: &dyn Store,
    thread: &Thread,
    report: &mut ExportReport,
    out: &mut dyn std::io::Write,
) -> Result<(), WriteError> {
    out.write_all(b"{\"thread\":")?;
    serde_json::to_writer(&mut *out, thread)?;
    out.write_all(b",\"messages\":[")?;
    let mut first = true;
    for_each_message(store, thread.id, report, &mut |m| -> Result<(), WriteError> {
        if !std::mem::take(&mut first) {
            out.write_all(b",")?;
        }
        Ok(serde_json::to_writer(&mut *out, &m)?)
    })?;
    out.write_all(b"],\"branches\":")?;
    serde_json::to_writer(&mut *out, &branches_of(store, thread.id, report)?)?;
    out.write_all(b",\"attachments\":[")?;
    let mut first = true;
    for_each_attachment(store, thread.id, report, &mut |a| -> Result<(), WriteError> {
        if !std::mem::take(&mut first) {
            out.write_all(b",")?;
        }
        Ok(serde_json::to_writer(&mut *out, &a)?)
    })?;
    out.write_all(b"]}")?;
    report.threads += 1;
    Ok(())
}

/// Each message of `thread` by stored position (`None` where its record
/// cannot be read), read a page at a time.
fn for_each_message<E: From<StoreError>>(
    store: &dyn Store,
    thread: ThreadId,
    report: &mut ExportReport,
    each: &mut dyn FnMut(Option<Message>) -> Result<(), E>,
) -> Result<(), E> {
    let count = store.message_count(thread)?;
    let mut start = 0;
    while start < count {
        let page = store.messages(thread, start, 1024)?;
        if page.is_empty() {
            break;
        }
        start += page.len() as u64;
        for slot in page {
            match slot {
                MessageSlot::Ok(m) => {
                    report.messages += 1;
                    each(Some(m))?;
                }
                MessageSlot::Unreadable(_) => {
                    report.unreadable += 1;
                    each(None)?;
                }
            }
        }
    }
    Ok(())
}

/// The thread's branches; none (counted unreadable) where they cannot be read.
fn branches_of(store: &dyn Store, thread: ThreadId, report: &mut ExportReport) -> Result<Branches, StoreError> {
    match store.branches(thread) {
        Ok(b) => Ok(b),
        Err(StoreError::Unreadable(_)) => {
            report.unreadable += 1;
            Ok(Branches::default())
        }
        Err(e) => Err(e),
    }
}

/// Each attachment of `thread` whose record and files can all be read,
/// with its files; the others are counted unreadable.
fn for_each_attachment<E: From<StoreError>>(
    store: &dyn Store,
    thread: ThreadId,
    report: &mut ExportReport,
    each: &mut dyn FnMut(AttachmentArchive) -> Result<(), E>,
) -> Result<(), E> {
    for a in store.attachments(thread)? {
        let Ok(record) = a else {
            report.unreadable += 1;
            continue;
        };
        let mut blobs = BTreeMap::new();
        let mut complete = true;
        for id in record.blobs() {
            match store.blob(&id) {
                Ok(Some(bytes)) => {
                    blobs.insert(id, bytes);
                }
                Ok(None) | Err(StoreError::Unreadable(_)) => complete = false,
                Err(e) => return Err(e.into()),
            }
        }
        if complete {
            report.attachments += 1;
            each(AttachmentArchive { record, blobs })?;
        } else {
            report.unreadable += 1;
        }
    }
    Ok(())
}
