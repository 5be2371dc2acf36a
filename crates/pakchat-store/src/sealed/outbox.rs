//! The outbox: what changed on this device and has not reached the
//! account's server yet (ARCHITECTURE.md, "Accounts and sync"), and the
//! other way in, records from other devices merged by last writer wins.
//!
//! Once the profile holds an account sync key, every local change of a
//! synced record (a thread, a message, a project, a setting, a device's
//! name, this device's draft of a chat, an attachment sent with a message)
//! writes an entry to
//! [`Table::Outbox`] naming the record, *before* the record itself. sled
//! keeps one log for every table and a crash leaves a prefix
//! of it, so a change on disk always has its entry; an entry whose change a
//! crash cut off names a record as it was, and sending that again is a
//! no-op on the server (same stamp, same version). Entries name records,
//! not versions: ten edits of a title send the title once, as it is when
//! the outbox drains. Each entry holds a number that changes with every
//! mark, so [`crate::Store::sent`] removes an entry only if nothing marked
//! it again while it was on its way.
//!
//! Before a sync key exists nothing is marked (a profile that never syncs
//! pays nothing); when it arrives, everything there is gets marked once.
//!
//! Settings travel per field (`theme`, `providers`, `instructions`, …), each
//! with the stamp of the save that last changed it, kept in a sealed map
//! beside the settings record, so two devices changing different settings
//! both keep their change. Device-local settings ([`LOCAL_SETTINGS`]) never
//! travel. API keys travel only while the user syncs them (see
//! `sealed/api_keys.rs`).

use std::collections::BTreeMap;
use std::sync::PoisonError;
use std::sync::atomic::Ordering;

use pakchat_core::{
    DeviceId, DeviceName, Hlc, Message, MessageStatus, Project, ProjectId, Settings, Stamp, Thread, ThreadId,
};

use super::{SETTINGS_KEY, SealedStore, message_key};
use crate::kv::Table;
use crate::{MessageSlot, Store as _, StoreError};

/// Settings that belong to this device and never sync.
pub const LOCAL_SETTINGS: &[&str] = &["account_server", "keep_files_offline", "stamp"];
/// Where the per-field stamps of the settings live in [`Table::Settings`].
const FIELD_STAMPS_KEY: &[u8] = b"field-stamps";
/// Where the pull cursor lives in [`Table::Secrets`] (whose log it reads).
const CURSOR_KEY: &[u8] = b"\0sync-cursor";
/// Keys read per page while marking everything at enrolment.
const PAGE: usize = 4096;

/// A record that changed here.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    /// A thread's record (title, pin, project, mode, model, tombstone).
    Thread(ThreadId),
    /// The message at a position of a thread.
    Message(ThreadId, u64),
    /// A project's record.
    Project(ProjectId),
    /// One field of the settings.
    Setting(String),
    /// A device's name.
    Device(DeviceId),
    /// A provider's API key (marked only while the user syncs keys).
    ApiKey(String),
    /// This device's draft of a thread.
    Draft(ThreadId),
    /// An attachment (synced once it was sent with a message).
    Attachment(ThreadId, pakchat_core::AttachmentId),
}

impl Change {
    fn key(&self) -> Vec<u8> {
        let mut key = Vec::with_capacity(25);
        match self {
            Self::Thread(id) => {
                key.push(b't');
                key.extend_from_slice(id.as_bytes());
            }
            Self::Message(thread, position) => {
                key.push(b'm');
                key.extend_from_slice(&message_key(*thread, *position));
            }
            Self::Project(id) => {
                key.push(b'p');
                key.extend_from_slice(id.as_bytes());
            }
            Self::Setting(field) => {
                key.push(b's');
                key.extend_from_slice(field.as_bytes());
            }
            Self::Device(id) => {
                key.push(b'd');
                key.extend_from_slice(id.as_bytes());
            }
            Self::ApiKey(provider) => {
                key.push(b'k');
                key.extend_from_slice(provider.as_bytes());
            }
            Self::Draft(thread) => {
                key.push(b'r');
                key.extend_from_slice(thread.as_bytes());
            }
            Self::Attachment(thread, id) => {
                key.push(b'a');
                key.extend_from_slice(&super::attachment_key(*thread, *id));
            }
        }
        key
    }

    pub(super) fn from_key(key: &[u8]) -> Option<Self> {
        let (&tag, rest) = key.split_first()?;
        let id = |bytes: &[u8]| <[u8; 16]>::try_from(bytes).ok();
        Some(match tag {
            b't' => Self::Thread(ThreadId::from_bytes(id(rest)?)),
            b'p' => Self::Project(ProjectId::from_bytes(id(rest)?)),
            b'm' if rest.len() == 24 => {
                let position = u64::from_be_bytes(<[u8; 8]>::try_from(&rest[16..]).ok()?);
                Self::Message(ThreadId::from_bytes(id(&rest[..16])?), position)
            }
            b's' => Self::Setting(String::from_utf8(rest.to_vec()).ok()?),
            b'd' => Self::Device(DeviceId::from_bytes(id(rest)?)),
            b'k' => Self::ApiKey(String::from_utf8(rest.to_vec()).ok()?),
            b'r' => Self::Draft(ThreadId::from_bytes(id(rest)?)),
            b'a' if rest.len() == 32 => Self::Attachment(
                ThreadId::from_bytes(id(&rest[..16])?),
                pakchat_core::AttachmentId::from_bytes(id(&rest[16..])?),
            ),
            _ => return None,
        })
    }
}

/// An outbox entry: the change and the mark it carried when read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// What changed.
    pub change: Change,
    mark: Vec<u8>,
}

/// A synced record as it travels between devices (plain: the sync layer
/// seals it under the account key).
#[derive(Clone, Debug, PartialEq)]
pub enum SyncRecord {
    /// A thread (its draft is this device's and stays out).
    Thread(Thread),
    /// A message.
    Message(Message),
    /// A project.
    Project(Project),
    /// One field of the settings, as its JSON value.
    Setting {
        /// The field's name.
        field: String,
        /// Its value.
        value: serde_json::Value,
        /// The save that last changed it.
        stamp: Stamp,
    },
    /// What a device is called.
    Device(DeviceName),
    /// A provider's API key (only while the user syncs keys).
    ApiKey(super::api_keys::ApiKeyRecord),
    /// A device's draft of a thread.
    Draft(super::drafts::DraftRecord),
    /// An attachment and where its files are.
    Attachment(super::files::SyncedAttachment),
}

impl SyncRecord {
    /// The record's version stamp.
    #[must_use]
    pub fn stamp(&self) -> Stamp {
        match self {
            Self::Thread(t) => t.stamp,
            Self::Message(m) => m.stamp,
            Self::Project(p) => p.stamp,
            Self::Setting { stamp, .. } => *stamp,
            Self::Device(d) => d.stamp,
            Self::ApiKey(k) => k.stamp,
            Self::Draft(d) => d.stamp,
            Self::Attachment(a) => a.attachment.stamp,
        }
    }

    /// Whether it is a tombstone.
    #[must_use]
    pub fn deleted(&self) -> bool {
        match self {
            Self::Thread(t) => t.deleted,
            Self::Project(p) => p.deleted,
            Self::Message(_)
            | Self::Setting { .. }
            | Self::Device(_)
            | Self::ApiKey(_)
            | Self::Draft(_)
            | Self::Attachment(_) => false,
        }
    }
}

/// What [`crate::Store::apply_incoming`] did with a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// It was not here and now is.
    Added,
    /// It replaced an older copy.
    Replaced,
    /// The copy here is as new or newer (or the field is device-local).
    Kept,
}

/// The stamp of a record never stamped (older than any edit).
fn zero_stamp(device: DeviceId) -> Stamp {
    Stamp { hlc: Hlc::default(), device }
}

/// Whether `thread` is the tombstone of a chat deleted for good: its
/// device purged it once the deletion could no longer be undone, and blanked
/// its title.
pub(super) fn purged(thread: &Thread) -> bool {
    thread.deleted && thread.title.is_empty()
}

/// A settings record as a map of its fields.
fn fields(settings: &Settings) -> Result<serde_json::Map<String, serde_json::Value>, StoreError> {
    match serde_json::to_value(settings) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(StoreError::CorruptHeader("settings are not an object".to_owned())),
        Err(e) => Err(StoreError::CorruptHeader(format!("encode settings: {e}"))),
    }
}

impl SealedStore {
    /// Whether local changes are marked (the profile has a sync key).
    pub(super) fn syncing(&self) -> bool {
        self.syncing.load(Ordering::Relaxed)
    }

    /// Note that `change` happened here, before it is written.
    pub(super) fn mark(&self, change: &Change) -> Result<(), StoreError> {
        if !self.syncing() {
            return Ok(());
        }
        let _guard = self.outbox_lock.lock().unwrap_or_else(PoisonError::into_inner);
        let mark = self.outbox_marks.fetch_add(1, Ordering::Relaxed);
        Ok(self.kv.insert(Table::Outbox, &change.key(), &mark.to_be_bytes())?)
    }

    /// Write a change of the records `changes` name with `write`, marked
    /// before (so a crash never leaves a change without its entry) and
    /// again after: a round that read the entry between the first mark and
    /// the write, and sent the record as it was before, finds the entry
    /// marked anew and leaves it for the next round.
    pub(super) fn marking<R>(
        &self,
        changes: &[Change],
        write: impl FnOnce() -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        for change in changes {
            self.mark(change)?;
        }
        let written = write()?;
        for change in changes {
            self.mark(change)?;
        }
        Ok(written)
    }

    /// Save `new` over `old`: the fields it changes are stamped and marked
    /// (see [`Self::marking`]); the stamps are written after the record, so
    /// a round never sends a field's old value under its new stamp.
    pub(super) fn write_settings(&self, old: &Settings, new: &Settings) -> Result<(), StoreError> {
        let keys_turned_on = !old.syncs_api_keys() && new.syncs_api_keys();
        let (old, new_fields) = (fields(old)?, fields(new)?);
        let stamp = new.stamp.unwrap_or_else(|| zero_stamp(self.header.device_id));
        let mut stamps = self.field_stamps()?;
        let mut changed = Vec::new();
        for (field, value) in &new_fields {
            if !LOCAL_SETTINGS.contains(&field.as_str()) && old.get(field) != Some(value) {
                stamps.insert(field.clone(), stamp);
                changed.push(field.clone());
            }
        }
        let changed: Vec<Change> = changed.into_iter().map(Change::Setting).collect();
        self.marking(&changed, || {
            self.put(Table::Settings, SETTINGS_KEY, new)?;
            if changed.is_empty() { Ok(()) } else { self.put(Table::Settings, FIELD_STAMPS_KEY, &stamps) }
        })?;
        if keys_turned_on {
            self.mark_api_keys()?;
        }
        Ok(())
    }

    fn field_stamps(&self) -> Result<BTreeMap<String, Stamp>, StoreError> {
        match self.kv.get(Table::Settings, FIELD_STAMPS_KEY)? {
            Some(bytes) => Ok(self.open(Table::Settings, FIELD_STAMPS_KEY, &bytes)?),
            None => Ok(BTreeMap::new()),
        }
    }

    /// The stamp of a field of `settings`: the save that last changed it;
    /// for a field changed before fields had stamps, the settings' own
    /// stamp, unless it still holds its default (then older than any edit,
    /// so a device that never touched it does not override one that did).
    fn field_stamp(
        &self,
        field: &str,
        settings: &Settings,
        map: &serde_json::Map<String, serde_json::Value>,
        stamps: &BTreeMap<String, Stamp>,
    ) -> Result<Stamp, StoreError> {
        let zero = zero_stamp(self.header.device_id);
        if let Some(stamp) = stamps.get(field) {
            return Ok(*stamp);
        }
        let default = fields(&Settings::default())?;
        Ok(if default.get(field) == map.get(field) { zero } else { settings.stamp.unwrap_or(zero) })
    }

    /// The sync key arrived (`on`) or went: from now on, changes are marked,
    /// and on arrival everything already here is marked once.
    pub(super) fn set_syncing(&self, on: bool) -> Result<(), StoreError> {
        let was = self.syncing.swap(on, Ordering::Relaxed);
        if !on || was {
            return Ok(());
        }
        let mut marked = 0u64;
        let tables = [
            (Table::Threads, b't'),
            (Table::Projects, b'p'),
            (Table::Messages, b'm'),
            (Table::Devices, b'd'),
            (Table::Attachments, b'a'),
        ];
        for (table, tag) in tables {
            let mut from = Vec::new();
            loop {
                let page = self.kv.range(table, &from, &[0xFF; 40], PAGE)?;
                for (key, _) in &page {
                    let change = Change::from_key(&[&[tag][..], key].concat());
                    if let Some(change) = change {
                        self.mark(&change)?;
                        marked += 1;
                    }
                }
                match page.last() {
                    Some((key, _)) if page.len() == PAGE => {
                        from.clone_from(key);
                        from.push(0);
                    }
                    _ => break,
                }
            }
        }
        if self.kv.get(Table::Settings, SETTINGS_KEY)?.is_some() {
            for field in fields(&self.settings()?)?.keys() {
                if !LOCAL_SETTINGS.contains(&field.as_str()) {
                    self.mark(&Change::Setting(field.clone()))?;
                    marked += 1;
                }
            }
            if self.settings()?.syncs_api_keys() {
                marked += self.mark_api_keys()?;
            }
        }
        marked += self.mark_drafts()?;
        tracing::info!(marked, "everything here was marked for the account's first sync");
        Ok(())
    }

    /// See [`crate::Store::outbox`].
    pub(super) fn read_outbox(&self, limit: usize) -> Result<Vec<Pending>, StoreError> {
        let entries = self.kv.range(Table::Outbox, &[], &[0xFF; 64], limit)?;
        Ok(entries
            .into_iter()
            .filter_map(|(key, mark)| {
                let change = Change::from_key(&key);
                if change.is_none() {
                    tracing::warn!("an outbox entry this version does not know was skipped");
                }
                Some(Pending { change: change?, mark })
            })
            .collect())
    }

    /// See [`crate::Store::sent`].
    pub(super) fn clear_sent(&self, done: &[Pending]) -> Result<(), StoreError> {
        let _guard = self.outbox_lock.lock().unwrap_or_else(PoisonError::into_inner);
        for pending in done {
            let key = pending.change.key();
            if self.kv.get(Table::Outbox, &key)?.as_deref() == Some(&pending.mark[..]) {
                self.kv.remove(Table::Outbox, &key)?;
            }
        }
        Ok(())
    }

    /// See [`crate::Store::outgoing`].
    pub(super) fn read_outgoing(&self, change: &Change) -> Result<Option<SyncRecord>, StoreError> {
        Ok(match change {
            Change::Thread(id) => self.thread(*id)?.map(|t| SyncRecord::Thread(Thread { draft: String::new(), ..t })),
            Change::Project(id) => self.project(*id)?.map(SyncRecord::Project),
            Change::Message(thread, position) => match self.messages(*thread, *position, 1)?.pop() {
                Some(MessageSlot::Ok(mut m)) => {
                    // A growing reply: newer with each chunk, so the other
                    // devices take each send over the one before.
                    if matches!(m.status, MessageStatus::Sending | MessageStatus::Streaming) {
                        let chunks = self.chunk_count(*thread, *position)?;
                        m.stamp.hlc.counter = m.stamp.hlc.counter.saturating_add(chunks);
                    }
                    Some(SyncRecord::Message(m))
                }
                _ => None,
            },
            Change::Setting(field) => {
                let settings = self.settings()?;
                let map = fields(&settings)?;
                let stamp = self.field_stamp(field, &settings, &map, &self.field_stamps()?)?;
                map.get(field).map(|value| SyncRecord::Setting { field: field.clone(), value: value.clone(), stamp })
            }
            Change::Device(id) => self.device_name(*id)?.map(SyncRecord::Device),
            Change::ApiKey(provider) => self.api_key_outgoing(provider)?,
            Change::Draft(thread) => self.draft_outgoing(*thread)?,
            Change::Attachment(thread, id) => self.attachment_outgoing(*thread, *id)?,
        })
    }

    /// See [`crate::Store::apply_incoming`].
    pub(super) fn apply(&self, record: &SyncRecord) -> Result<Applied, StoreError> {
        match record {
            SyncRecord::Thread(thread) => {
                // An unreadable copy loses to one that can be read.
                let here = (self.kv.get(Table::Threads, thread.id.as_bytes())?)
                    .map(|bytes| self.open::<Thread>(Table::Threads, thread.id.as_bytes(), &bytes).ok());
                if matches!(&here, Some(Some(t)) if t.stamp >= thread.stamp) {
                    return Ok(Applied::Kept);
                }
                let record = Thread { draft: String::new(), ..thread.clone() };
                self.put(Table::Threads, thread.id.as_bytes(), &record)?;
                if purged(thread) {
                    self.purge_deleted_elsewhere(thread.id)?;
                }
                Ok(if here.is_some() { Applied::Replaced } else { Applied::Added })
            }
            SyncRecord::Project(project) => {
                let here = (self.kv.get(Table::Projects, project.id.as_bytes())?)
                    .map(|bytes| self.open::<Project>(Table::Projects, project.id.as_bytes(), &bytes).ok());
                if matches!(&here, Some(Some(p)) if p.stamp >= project.stamp) {
                    return Ok(Applied::Kept);
                }
                self.put(Table::Projects, project.id.as_bytes(), project)?;
                Ok(if here.is_some() { Applied::Replaced } else { Applied::Added })
            }
            // A chat deleted for good keeps no messages, wherever they come from.
            SyncRecord::Message(message) if self.thread(message.thread_id)?.is_some_and(|t| purged(&t)) => {
                Ok(Applied::Kept)
            }
            SyncRecord::Message(message) => Ok(match self.merge(message)? {
                super::Merged::Added(_) => Applied::Added,
                super::Merged::Replaced(_) => Applied::Replaced,
                super::Merged::Kept(_) => Applied::Kept,
            }),
            SyncRecord::Setting { field, value, stamp } => self.apply_setting(field, value, *stamp),
            SyncRecord::Device(name) => self.apply_device_name(name),
            SyncRecord::ApiKey(key) => self.apply_api_key(key),
            SyncRecord::Draft(draft) => self.apply_draft(draft),
            SyncRecord::Attachment(a) => self.apply_attachment(a),
        }
    }

    fn apply_setting(&self, field: &str, value: &serde_json::Value, stamp: Stamp) -> Result<Applied, StoreError> {
        if LOCAL_SETTINGS.contains(&field) {
            return Ok(Applied::Kept);
        }
        let mut stamps = self.field_stamps()?;
        let settings = self.settings()?;
        let mut map = fields(&settings)?;
        if self.field_stamp(field, &settings, &map, &stamps)? >= stamp {
            return Ok(Applied::Kept);
        }
        let existed = map.insert(field.to_owned(), value.clone()).is_some();
        let mut merged: Settings = match serde_json::from_value(serde_json::Value::Object(map)) {
            Ok(s) => s,
            Err(e) => {
                // A field this version cannot read (a newer app's) is left.
                tracing::warn!(field, err = %e, "a synced setting could not be read here and was left out");
                return Ok(Applied::Kept);
            }
        };
        merged.stamp = settings.stamp.max(Some(stamp));
        stamps.insert(field.to_owned(), stamp);
        self.put(Table::Settings, FIELD_STAMPS_KEY, &stamps)?;
        self.put(Table::Settings, SETTINGS_KEY, &merged)?;
        // Another device turned sync of keys on: this one's go up too.
        if merged.syncs_api_keys() && !settings.syncs_api_keys() {
            self.mark_api_keys()?;
        }
        Ok(if existed { Applied::Replaced } else { Applied::Added })
    }

    /// A chat another device deleted for good: its messages, drafts,
    /// attachments and the files no other chat uses go here too.
    fn purge_deleted_elsewhere(&self, thread: ThreadId) -> Result<(), StoreError> {
        let orphans = self.purge_thread_content(thread)?;
        if !orphans.is_empty() {
            let used = self.blobs_in_use()?;
            for blob in orphans.iter().filter(|b| !used.contains(b)) {
                self.remove_blob(blob)?;
            }
        }
        Ok(())
    }

    /// See [`crate::Store::sync_cursor`].
    pub(super) fn read_cursor(&self) -> Result<Option<(String, u64)>, StoreError> {
        let Some(bytes) = self.kv.get(Table::Secrets, CURSOR_KEY)? else { return Ok(None) };
        Ok(self.open(Table::Secrets, CURSOR_KEY, &bytes)?)
    }

    /// See [`crate::Store::put_sync_cursor`].
    pub(super) fn write_cursor(&self, cursor: Option<(&str, u64)>) -> Result<(), StoreError> {
        self.put(Table::Secrets, CURSOR_KEY, &cursor)
    }
}

#[cfg(test)]
mod tests;
