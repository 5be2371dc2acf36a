//! Drafts across devices. A draft is a record per (thread, device)
//! ([`Table::Drafts`]), holding its text and the stamp of the save that
//! wrote it; a chat shows the newest of its drafts, whichever device typed
//! it. A save here is stamped newer than every draft of that chat known
//! here, so what is typed on this device wins over what came in before it;
//! and a draft that comes in never touches an open composer (the app reads
//! a chat's draft when it opens the chat). Clearing a draft (a message
//! sent) is a stamped empty draft on a synced profile, so it clears the
//! chat's draft on the other devices too.
//!
//! Only this device's drafts are marked and sent; on the wire a draft's
//! record id is a keyed hash of its chat and device under the account key,
//! so the server cannot tell which chat it belongs to. Drafts written
//! before they were stamped read as older than any stamped one.

use pakchat_core::{DeviceId, Hlc, Stamp, ThreadId, wall_millis};
use serde::{Deserialize, Serialize};

use super::outbox::{Applied, Change, SyncRecord};
use super::{SealedStore, draft_key};
use crate::StoreError;
use crate::kv::Table;

/// A device's draft of a chat as it travels between devices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftRecord {
    /// The record's id on the wire (a keyed hash of chat and device).
    pub id: String,
    /// The chat.
    pub thread: ThreadId,
    /// The device that typed it.
    pub device: DeviceId,
    /// The text ("" once cleared).
    pub text: String,
    /// The save that wrote it.
    pub stamp: Stamp,
}

/// A draft as stored today.
#[derive(Serialize, Deserialize)]
struct Stored {
    text: String,
    stamp: Stamp,
}

/// A stamp older than any save (a draft written before drafts had one).
fn never(device: DeviceId) -> Stamp {
    Stamp { hlc: Hlc::default(), device }
}

impl SealedStore {
    /// The draft under `key`: its text and stamp.
    fn read_draft(&self, key: &[u8]) -> Result<Option<(String, Stamp)>, StoreError> {
        let Some(bytes) = self.kv.get(Table::Drafts, key)? else { return Ok(None) };
        if let Ok(stored) = self.open::<Stored>(Table::Drafts, key, &bytes) {
            return Ok(Some((stored.text, stored.stamp)));
        }
        // Written before drafts were stamped: the text alone.
        let text: String = self.open(Table::Drafts, key, &bytes)?;
        Ok(Some((text, never(self.header.device_id))))
    }

    /// Every draft of `thread` here, with its device.
    fn drafts_of(&self, thread: ThreadId) -> Result<Vec<(DeviceId, String, Stamp)>, StoreError> {
        let mut out = Vec::new();
        for (key, _) in self.kv.scan_prefix(Table::Drafts, thread.as_bytes())? {
            let Some(device) = key.get(16..32).and_then(|d| <[u8; 16]>::try_from(d).ok()) else { continue };
            if let Some((text, stamp)) = self.read_draft(&key)? {
                out.push((DeviceId::from_bytes(device), text, stamp));
            }
        }
        Ok(out)
    }

    /// The draft a chat shows: the newest of its drafts ("" when none).
    pub(super) fn newest_draft(&self, thread: ThreadId) -> Result<String, StoreError> {
        let drafts = self.drafts_of(thread)?;
        Ok(drafts.into_iter().max_by_key(|(_, _, stamp)| *stamp).map(|(_, text, _)| text).unwrap_or_default())
    }

    /// See [`crate::Store::put_draft`]: stamped newer than every draft of
    /// the chat known here.
    pub(super) fn write_draft(&self, thread: ThreadId, text: &str) -> Result<(), StoreError> {
        let me = self.header.device_id;
        let key = draft_key(thread, me);
        if text.is_empty() && !self.syncing() {
            return Ok(self.kv.remove(Table::Drafts, &key)?);
        }
        let newest = self.drafts_of(thread)?.into_iter().map(|(_, _, stamp)| stamp.hlc).max().unwrap_or_default();
        let now = wall_millis();
        let hlc = if newest.millis >= now {
            Hlc { millis: newest.millis, counter: newest.counter.saturating_add(1) }
        } else {
            Hlc { millis: now, counter: 0 }
        };
        let stored = Stored { text: text.to_owned(), stamp: Stamp { hlc, device: me } };
        self.marking(&[Change::Draft(thread)], || self.put(Table::Drafts, &key, &stored))
    }

    /// The wire id of a draft record.
    fn draft_record_id(&self, thread: ThreadId, device: DeviceId) -> Result<Option<String>, StoreError> {
        self.keyed_record_id(b"pakchat draft record id\0", &draft_key(thread, device))
    }

    /// This device's draft of `thread` as it goes out.
    pub(super) fn draft_outgoing(&self, thread: ThreadId) -> Result<Option<SyncRecord>, StoreError> {
        let me = self.header.device_id;
        let Some((text, stamp)) = self.read_draft(&draft_key(thread, me))? else { return Ok(None) };
        let Some(id) = self.draft_record_id(thread, me)? else { return Ok(None) };
        Ok(Some(SyncRecord::Draft(DraftRecord { id, thread, device: me, text, stamp })))
    }

    /// A draft from another device: kept if the one here is as new or
    /// newer; one whose id is not its chat's and device's is left.
    pub(super) fn apply_draft(&self, record: &DraftRecord) -> Result<Applied, StoreError> {
        if self.draft_record_id(record.thread, record.device)?.as_deref() != Some(record.id.as_str()) {
            tracing::warn!("a draft under another chat's or device's id was left out");
            return Ok(Applied::Kept);
        }
        let key = draft_key(record.thread, record.device);
        let here = self.read_draft(&key)?;
        if here.as_ref().is_some_and(|(_, stamp)| *stamp >= record.stamp) {
            return Ok(Applied::Kept);
        }
        self.put(Table::Drafts, &key, &Stored { text: record.text.clone(), stamp: record.stamp })?;
        Ok(if here.is_some() { Applied::Replaced } else { Applied::Added })
    }

    /// Mark every draft of this device (the account key just arrived).
    pub(super) fn mark_drafts(&self) -> Result<u64, StoreError> {
        let me = self.header.device_id;
        let mut marked = 0;
        for (key, _) in self.kv.scan_prefix(Table::Drafts, &[])? {
            let (Some(thread), Some(device)) = (key.get(..16), key.get(16..32)) else { continue };
            if device == me.as_bytes()
                && let Ok(thread) = <[u8; 16]>::try_from(thread)
            {
                self.mark(&Change::Draft(ThreadId::from_bytes(thread)))?;
                marked += 1;
            }
        }
        Ok(marked)
    }
}

#[cfg(test)]
mod tests;
