//! The outbox: what changed on this device and has not reached the
//! account's server yet (ARCHITECTURE.md, "Accounts and sync"), and the
//! other way in, records from other devices merged by last writer wins.
//!
//! Once the profile holds an account sync key, every local change of a
//! synced record (a thread, a message, a project, a setting) writes an
//! entry to [`Table::Outbox`] naming the record, *before* the record
//! itself. sled keeps one log for every table and a crash leaves a prefix
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
//! travel.

use std::collections::BTreeMap;
use std::sync::PoisonError;
use std::sync::atomic::Ordering;

use pakchat_core::{DeviceId, Hlc, Message, Project, ProjectId, Settings, Stamp, Thread, ThreadId};

use super::{SETTINGS_KEY, SealedStore, message_key};
use crate::kv::Table;
use crate::{MessageSlot, Store as _, StoreError};

/// Settings that belong to this device and never sync.
pub const LOCAL_SETTINGS: &[&str] = &["account_server", "stamp"];
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
        }
        key
    }

    fn from_key(key: &[u8]) -> Option<Self> {
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
        }
    }

    /// Whether it is a tombstone.
    #[must_use]
    pub fn deleted(&self) -> bool {
        match self {
            Self::Thread(t) => t.deleted,
            Self::Project(p) => p.deleted,
            Self::Message(_) | Self::Setting { .. } => false,
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
        })
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
        for (table, tag) in [(Table::Threads, b't'), (Table::Projects, b'p'), (Table::Messages, b'm')] {
            let mut from = Vec::new();
            loop {
                let page = self.kv.range(table, &from, &[0xFF; 25], PAGE)?;
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
        }
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
                Some(MessageSlot::Ok(m)) => Some(SyncRecord::Message(m)),
                _ => None,
            },
            Change::Setting(field) => {
                let settings = self.settings()?;
                let map = fields(&settings)?;
                let stamp = self.field_stamp(field, &settings, &map, &self.field_stamps()?)?;
                map.get(field).map(|value| SyncRecord::Setting { field: field.clone(), value: value.clone(), stamp })
            }
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
            SyncRecord::Message(message) => Ok(match self.merge(message)? {
                super::Merged::Added(_) => Applied::Added,
                super::Merged::Replaced(_) => Applied::Replaced,
                super::Merged::Kept(_) => Applied::Kept,
            }),
            SyncRecord::Setting { field, value, stamp } => self.apply_setting(field, value, *stamp),
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
        Ok(if existed { Applied::Replaced } else { Applied::Added })
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
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{Argon2Params, KeySource, MemoryKv, Store};
    use pakchat_core::{MessageId, MessageStatus, Role, ThemePreference};

    const FAST: Argon2Params = Argon2Params { m_cost_kib: 8, t_cost: 1, p_cost: 1 };
    const T: ThreadId = ThreadId(uuid::Uuid::from_u128(7));

    fn stamp(millis: u64, device: u8) -> Stamp {
        Stamp { hlc: Hlc { millis, counter: 0 }, device: DeviceId::from_bytes([device; 16]) }
    }

    fn message(text: &str, at: Stamp) -> Message {
        Message {
            id: MessageId::new(),
            thread_id: T,
            parent_id: None,
            role: Role::User,
            content: text.to_owned(),
            reasoning: String::new(),
            attachments: Vec::new(),
            model: None,
            status: MessageStatus::Done,
            failure: None,
            usage: None,
            created_ms: 0,
            stamp: at,
        }
    }

    fn store() -> Result<SealedStore, StoreError> {
        let source = KeySource::Passphrase(zeroize::Zeroizing::new("p".to_owned()));
        SealedStore::create(Arc::new(MemoryKv::new()), &source, FAST)
    }

    fn changes(store: &SealedStore) -> Result<Vec<Change>, StoreError> {
        Ok(store.outbox(1000)?.into_iter().map(|p| p.change).collect())
    }

    #[test]
    fn nothing_is_marked_before_a_sync_key_and_everything_once_it_comes() -> Result<(), StoreError> {
        let store = store()?;
        store.put_thread(&Thread::new(T, "t".to_owned(), 0, stamp(1, 1)))?;
        for n in 0..3 {
            store.append_message(&message(&format!("m{n}"), stamp(2 + n, 1)))?;
        }
        let project = Project::new(ProjectId::new(), "p".to_owned(), 0, stamp(5, 1));
        store.put_project(&project)?;
        let settings = Settings { theme: ThemePreference::Dark, stamp: Some(stamp(6, 1)), ..Settings::default() };
        store.put_settings(&settings)?;
        assert!(changes(&store)?.is_empty(), "a profile that does not sync keeps no outbox");

        store.put_sync_key(Some((1, &[9; 32])))?;
        let marked = changes(&store)?;
        for want in [Change::Thread(T), Change::Message(T, 0), Change::Message(T, 2), Change::Project(project.id)] {
            assert!(marked.contains(&want), "{want:?} in {marked:?}");
        }
        assert!(marked.contains(&Change::Setting("theme".to_owned())));
        assert!(!marked.iter().any(|c| matches!(c, Change::Setting(f) if LOCAL_SETTINGS.contains(&f.as_str()))));
        // What goes out is the record as it is now.
        let Some(SyncRecord::Message(m)) = store.outgoing(&Change::Message(T, 1))? else { panic!("a message") };
        assert_eq!(m.content, "m1");
        let Some(SyncRecord::Setting { value, stamp: s, .. }) = store.outgoing(&Change::Setting("theme".into()))?
        else {
            panic!("a setting")
        };
        assert_eq!((value, s), (serde_json::json!("Dark"), stamp(6, 1)));
        Ok(())
    }

    #[test]
    fn an_entry_goes_once_sent_unless_its_record_changed_meanwhile() -> Result<(), StoreError> {
        let store = store()?;
        store.put_sync_key(Some((1, &[9; 32])))?;
        let mut thread = Thread::new(T, "first".to_owned(), 0, stamp(1, 1));
        store.put_thread(&thread)?;
        let read = store.outbox(10)?;
        assert_eq!(read.len(), 1);
        // Renamed while the first version was on its way: one entry still,
        // and clearing what was sent leaves it.
        thread.title = "second".to_owned();
        thread.stamp = stamp(2, 1);
        store.put_thread(&thread)?;
        assert_eq!(changes(&store)?, [Change::Thread(T)]);
        store.sent(&read)?;
        assert_eq!(changes(&store)?, [Change::Thread(T)], "the rename is still to send");
        let Some(SyncRecord::Thread(out)) = store.outgoing(&Change::Thread(T))? else { panic!("a thread") };
        assert_eq!(out.title, "second");
        store.sent(&store.outbox(10)?)?;
        assert!(changes(&store)?.is_empty());
        Ok(())
    }

    #[test]
    fn a_round_that_read_the_record_before_it_was_written_leaves_the_entry() -> Result<(), StoreError> {
        let store = store()?;
        store.put_sync_key(Some((1, &[9; 32])))?;
        store.put_thread(&Thread::new(T, "old".to_owned(), 0, stamp(1, 1)))?;
        store.sent(&store.outbox(10)?)?;
        // A rename, and a round reading between its first mark and its write.
        let renamed = Thread::new(T, "new".to_owned(), 0, stamp(2, 1));
        let seen = store.marking(&[Change::Thread(T)], || {
            let read = store.outbox(10)?;
            let sent = store.outgoing(&Change::Thread(T))?;
            store.put(Table::Threads, T.as_bytes(), &renamed)?;
            Ok((read, sent))
        })?;
        let Some(SyncRecord::Thread(sent)) = seen.1 else { panic!("a thread") };
        assert_eq!(sent.title, "old", "the round sent what it read");
        store.sent(&seen.0)?;
        assert_eq!(changes(&store)?, [Change::Thread(T)], "the rename still waits");
        let Some(SyncRecord::Thread(next)) = store.outgoing(&Change::Thread(T))? else { panic!("a thread") };
        assert_eq!(next.title, "new");
        Ok(())
    }

    #[test]
    fn records_from_elsewhere_merge_by_stamp_and_are_not_sent_back() -> Result<(), StoreError> {
        let store = store()?;
        store.put_sync_key(Some((1, &[9; 32])))?;
        store.put_thread(&Thread::new(T, "mine".to_owned(), 0, stamp(10, 1)))?;
        store.put_draft(T, "typing here")?;
        store.sent(&store.outbox(10)?)?;

        let older = Thread::new(T, "older".to_owned(), 0, stamp(5, 2));
        assert_eq!(store.apply_incoming(&SyncRecord::Thread(older))?, Applied::Kept);
        let newer = Thread { pinned: true, ..Thread::new(T, "newer".to_owned(), 0, stamp(11, 2)) };
        assert_eq!(store.apply_incoming(&SyncRecord::Thread(newer))?, Applied::Replaced);
        let here = store.thread(T)?.ok_or(StoreError::CorruptHeader("gone".into()))?;
        assert_eq!((here.title.as_str(), here.pinned, here.draft.as_str()), ("newer", true, "typing here"));

        let theirs = message("from the phone", stamp(12, 2));
        assert_eq!(store.apply_incoming(&SyncRecord::Message(theirs.clone()))?, Applied::Added);
        assert_eq!(store.apply_incoming(&SyncRecord::Message(theirs))?, Applied::Kept);
        let gone = Project { deleted: true, ..Project::new(ProjectId::new(), "p".into(), 0, stamp(13, 2)) };
        assert_eq!(store.apply_incoming(&SyncRecord::Project(gone.clone()))?, Applied::Added);
        assert_eq!(store.project(gone.id)?.map(|p| p.deleted), Some(true));
        assert!(changes(&store)?.is_empty(), "nothing that came in goes back out");
        Ok(())
    }

    #[test]
    fn settings_merge_field_by_field_and_device_settings_stay() -> Result<(), StoreError> {
        let store = store()?;
        store.put_sync_key(Some((1, &[9; 32])))?;
        let mine = Settings {
            theme: ThemePreference::Dark,
            account_server: "https://mine".to_owned(),
            stamp: Some(stamp(10, 1)),
            ..Settings::default()
        };
        store.put_settings(&mine)?;
        let field = |f: &str, v: serde_json::Value, s| SyncRecord::Setting { field: f.to_owned(), value: v, stamp: s };
        // An older theme loses; a font this device never changed is taken
        // even from an older save; a newer theme wins; the server address
        // is this device's own.
        assert_eq!(store.apply_incoming(&field("theme", "Light".into(), stamp(5, 2)))?, Applied::Kept);
        assert_eq!(store.apply_incoming(&field("text_scale", 1.5.into(), stamp(5, 2)))?, Applied::Replaced);
        assert_eq!(store.apply_incoming(&field("account_server", "https://x".into(), stamp(99, 2)))?, Applied::Kept);
        let now = store.settings()?;
        assert_eq!(
            (now.theme, now.text_scale, now.account_server.as_str()),
            (ThemePreference::Dark, 1.5, "https://mine")
        );
        assert_eq!(store.apply_incoming(&field("theme", "Light".into(), stamp(11, 2)))?, Applied::Replaced);
        assert_eq!(store.settings()?.theme, ThemePreference::Light);
        // A value this version cannot read is left out, not stored.
        assert_eq!(store.apply_incoming(&field("theme", "Plaid".into(), stamp(20, 2)))?, Applied::Kept);
        assert_eq!(store.settings()?.theme, ThemePreference::Light);
        // The changes that came in are not marked to go back.
        let marked = changes(&store)?;
        assert!(!marked.contains(&Change::Setting("text_scale".to_owned())), "{marked:?}");
        Ok(())
    }
}
