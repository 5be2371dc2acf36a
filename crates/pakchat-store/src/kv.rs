//! The raw key-value layer under the sealed store: named tables of byte keys
//! and byte values. It never sees plaintext of the user's.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

/// The tables of a profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// The store header (plain: format version, key wrapping, ids).
    Meta,
    /// Sealed [`pakchat_core::Thread`] records, keyed by thread id.
    Threads,
    /// Sealed [`pakchat_core::Message`] records, keyed by thread id ‖ position.
    Messages,
    /// The sealed settings record.
    Settings,
    /// Sealed API keys, one record per provider id.
    Secrets,
    /// Sealed [`pakchat_core::Branches`] of threads that branched, keyed by
    /// thread id (absent: a straight thread).
    Branches,
    /// Sealed chunks of attachment content, keyed by blob id ‖ chunk index.
    Blobs,
    /// Sealed [`pakchat_core::Attachment`] records, keyed by thread id ‖
    /// attachment id.
    Attachments,
    /// Store format 3's search postings (one key per posting); emptied by
    /// the migration to format 4, unused after it.
    LegacyPostings,
    /// Store format 3's sealed token lists per message; emptied by the
    /// migration to format 4, unused after it.
    LegacyDocs,
    /// Sealed [`pakchat_core::Project`] records, keyed by project id.
    Projects,
    /// Sealed unsent text, one record per thread and device, keyed by
    /// thread id ‖ device id (apart from the thread record, so typing never
    /// changes the thread's stamp).
    Drafts,
    /// The blind search index's sealed posting blocks, keyed term token ‖
    /// first document (see [`super::search`]).
    SearchBlocks,
    /// Sealed thread id ‖ position of each indexed document, keyed by the
    /// document number.
    SearchPlaces,
    /// Sealed document number of each indexed message, keyed by thread id
    /// ‖ position.
    SearchRefs,
    /// Sealed pieces of a reply still streaming, keyed by thread id ‖
    /// position ‖ sequence number (see `sealed/reply.rs`); folded into the
    /// message record when the reply ends.
    ReplyChunks,
    /// The position of each message, keyed by thread id ‖ a keyed hash of
    /// the message id (see `sealed/ids.rs`).
    MessageIds,
    /// Records changed here and not yet sent to the account's server, keyed
    /// by what changed (see `sealed/outbox.rs`); empty unless the profile
    /// syncs.
    Outbox,
    /// Sealed names of the account's devices (this one's included), keyed
    /// by device id; synced so each device can name the others.
    Devices,
}

impl Table {
    /// Every table, for iteration.
    pub const ALL: [Self; 19] = [
        Self::Meta,
        Self::Threads,
        Self::Messages,
        Self::Settings,
        Self::Secrets,
        Self::Branches,
        Self::Blobs,
        Self::Attachments,
        Self::LegacyPostings,
        Self::LegacyDocs,
        Self::Projects,
        Self::Drafts,
        Self::SearchBlocks,
        Self::SearchPlaces,
        Self::SearchRefs,
        Self::ReplyChunks,
        Self::MessageIds,
        Self::Outbox,
        Self::Devices,
    ];

    /// The on-disk name, also bound into every sealed value's associated data.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Meta => "meta",
            Self::Threads => "threads",
            Self::Messages => "messages",
            Self::Settings => "settings",
            Self::Secrets => "secrets",
            Self::Branches => "branches",
            Self::Blobs => "blobs",
            Self::Attachments => "attachments",
            Self::LegacyPostings => "search-postings",
            Self::LegacyDocs => "search-docs",
            Self::Projects => "projects",
            Self::Drafts => "drafts",
            Self::SearchBlocks => "search-blocks",
            Self::SearchPlaces => "search-places",
            Self::SearchRefs => "search-refs",
            Self::ReplyChunks => "reply-chunks",
            Self::MessageIds => "message-ids",
            Self::Outbox => "outbox",
            Self::Devices => "devices",
        }
    }
}

/// A failure of the storage engine itself (disk, lock, corruption).
#[derive(Debug, thiserror::Error)]
pub enum KvError {
    /// Another process holds the store open.
    #[error("the profile is already open in another Pak.Chat window or process")]
    Locked,
    /// Reading or writing the disk failed.
    #[error("storage error: {0}")]
    Io(String),
    /// The browser's storage quota for this site is used up (IndexedDB's
    /// `QuotaExceededError`, see `IdbKv`).
    #[error("the browser's storage for this site is full: free space or allow more; nothing written since was kept")]
    Full,
    /// In a browser: another tab of it writes the profile; this one reads
    /// it until it takes over (see `IdbKv`).
    #[error("another tab of this browser is writing Pak.Chat's data and did not let this one write; try again")]
    OtherTab,
}

/// One key-value pair.
pub type Entry = (Vec<u8>, Vec<u8>);

/// A key-value engine with named tables, ordered keys and a durable flush.
pub trait Kv: Send + Sync {
    /// The value at `key`, if any.
    ///
    /// # Errors
    /// Engine failure.
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, KvError>;

    /// Write `value` at `key`, replacing what was there.
    ///
    /// # Errors
    /// Engine failure.
    fn insert(&self, table: Table, key: &[u8], value: &[u8]) -> Result<(), KvError>;

    /// Remove the value at `key` (nothing if absent).
    ///
    /// # Errors
    /// Engine failure.
    fn remove(&self, table: Table, key: &[u8]) -> Result<(), KvError>;

    /// Up to `limit` entries with keys in `[start, end)`, in key order.
    ///
    /// # Errors
    /// Engine failure.
    fn range(&self, table: Table, start: &[u8], end: &[u8], limit: usize) -> Result<Vec<Entry>, KvError>;

    /// Up to `limit` entries with keys in `[start, end)`, greatest key first.
    ///
    /// # Errors
    /// Engine failure.
    fn range_rev(&self, table: Table, start: &[u8], end: &[u8], limit: usize) -> Result<Vec<Entry>, KvError>;

    /// Whether `key` holds a value.
    ///
    /// # Errors
    /// Engine failure.
    fn contains(&self, table: Table, key: &[u8]) -> Result<bool, KvError> {
        Ok(self.get(table, key)?.is_some())
    }

    /// Every entry whose key starts with `prefix`, in key order.
    ///
    /// # Errors
    /// Engine failure.
    fn scan_prefix(&self, table: Table, prefix: &[u8]) -> Result<Vec<Entry>, KvError>;

    /// The entry with the greatest key starting with `prefix`.
    ///
    /// # Errors
    /// Engine failure.
    fn last_with_prefix(&self, table: Table, prefix: &[u8]) -> Result<Option<Entry>, KvError>;

    /// Make every write so far durable.
    ///
    /// # Errors
    /// Engine failure.
    fn flush(&self) -> Result<(), KvError>;

    /// Remove every entry of `table` (engines free the space at once where
    /// they can; this default removes entry by entry).
    ///
    /// # Errors
    /// Engine failure.
    fn clear(&self, table: Table) -> Result<(), KvError> {
        loop {
            let page = self.range(table, &[], &[0xFF; 64], 4096)?;
            if page.is_empty() {
                return Ok(());
            }
            for (key, _) in page {
                self.remove(table, &key)?;
            }
        }
    }
}

/// An in-memory engine: the web build's store until `IdbKv` is wired in,
/// the mirror inside `IdbKv`, and a fast engine for tests. Loses everything
/// when dropped.
#[derive(Debug, Default)]
pub struct MemoryKv {
    tables: Mutex<Tables>,
}

/// Every table's entries, keyed by table then key.
type Tables = BTreeMap<(Table, Vec<u8>), Vec<u8>>;

impl MemoryKv {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn with<R>(&self, f: impl FnOnce(&mut Tables) -> R) -> R {
        f(&mut self.tables.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Kv for MemoryKv {
    fn remove(&self, table: Table, key: &[u8]) -> Result<(), KvError> {
        self.with(|t| t.remove(&(table, key.to_vec())));
        Ok(())
    }

    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self.with(|t| t.get(&(table, key.to_vec())).cloned()))
    }

    fn insert(&self, table: Table, key: &[u8], value: &[u8]) -> Result<(), KvError> {
        self.with(|t| t.insert((table, key.to_vec()), value.to_vec()));
        Ok(())
    }

    fn range(&self, table: Table, start: &[u8], end: &[u8], limit: usize) -> Result<Vec<Entry>, KvError> {
        Ok(self.with(|t| {
            t.range((table, start.to_vec())..(table, end.to_vec()))
                .take(limit)
                .map(|((_, k), v)| (k.clone(), v.clone()))
                .collect()
        }))
    }

    fn range_rev(&self, table: Table, start: &[u8], end: &[u8], limit: usize) -> Result<Vec<Entry>, KvError> {
        Ok(self.with(|t| {
            t.range((table, start.to_vec())..(table, end.to_vec()))
                .rev()
                .take(limit)
                .map(|((_, k), v)| (k.clone(), v.clone()))
                .collect()
        }))
    }

    fn scan_prefix(&self, table: Table, prefix: &[u8]) -> Result<Vec<Entry>, KvError> {
        Ok(self.with(|t| {
            t.range((table, prefix.to_vec())..)
                .take_while(|((tb, k), _)| *tb == table && k.starts_with(prefix))
                .map(|((_, k), v)| (k.clone(), v.clone()))
                .collect()
        }))
    }

    fn last_with_prefix(&self, table: Table, prefix: &[u8]) -> Result<Option<Entry>, KvError> {
        Ok(self.with(|t| {
            t.range((table, prefix.to_vec())..)
                .take_while(|((tb, k), _)| *tb == table && k.starts_with(prefix))
                .last()
                .map(|((_, k), v)| (k.clone(), v.clone()))
        }))
    }

    fn flush(&self) -> Result<(), KvError> {
        Ok(())
    }

    fn clear(&self, table: Table) -> Result<(), KvError> {
        self.with(|t| t.retain(|(tb, _), _| *tb != table));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_empties_one_table_whatever_its_keys() {
        let kv = MemoryKv::new();
        for table in [Table::Drafts, Table::Threads, Table::Devices] {
            kv.insert(table, &[], b"empty key").unwrap();
            kv.insert(table, &[0xFF; 80], b"past the default's range end").unwrap();
        }
        kv.clear(Table::Threads).unwrap();
        assert!(kv.scan_prefix(Table::Threads, &[]).unwrap().is_empty());
        assert_eq!(kv.scan_prefix(Table::Drafts, &[]).unwrap().len(), 2);
        assert_eq!(kv.scan_prefix(Table::Devices, &[]).unwrap().len(), 2);
    }
}
