//! The migration hook: each step brings a store's layout from one format to
//! the next. A step is added (never changed in what it leaves behind) when
//! the layout changes, and every step can be cut short — by a crash or a
//! SIGKILL — and simply taken again from the start at the next unlock: the
//! header records a step only once it is whole.

use super::{SealedStore, message_key};
use crate::keys::FORMAT_VERSION;
use crate::kv::Table;
use crate::{Store as _, StoreError, Unreadable};
use pakchat_core::{Message, Thread};

/// One step: brings a store from `from` to `from + 1`.
type Migration = fn(&SealedStore) -> Result<(), StoreError>;

/// Steps from each old format to the next. Format 1 is the first.
const MIGRATIONS: &[(u32, Migration)] = &[
    // Format 1 → 2 built the first search index; step 3 builds today's from
    // the messages whatever was there, so this one has nothing left to do.
    (1, |_| Ok(())),
    (2, SealedStore::move_drafts_out_of_threads),
    (3, SealedStore::rebuild_search_index),
    (4, SealedStore::index_message_ids),
];

/// Messages read at once while indexing.
pub(super) const PAGE: usize = 1024;

impl SealedStore {
    /// Run every step from the stored format up to [`FORMAT_VERSION`],
    /// recording progress in the header after each.
    pub(super) fn migrate(&mut self) -> Result<(), StoreError> {
        while self.header.format_version < FORMAT_VERSION {
            let from = self.header.format_version;
            let Some((_, step)) = MIGRATIONS.iter().find(|(v, _)| *v == from) else {
                return Err(StoreError::CorruptHeader(format!("no migration from format {from}")));
            };
            tracing::info!(from, to = from + 1, "store migration starts");
            step(self)?;
            self.header.format_version = from + 1;
            let bytes = serde_json::to_vec(&self.header).map_err(|e| StoreError::CorruptHeader(e.to_string()))?;
            self.kv.insert(Table::Meta, super::HEADER_KEY, &bytes)?;
            self.kv.flush()?;
            tracing::info!(from, to = from + 1, "store migrated");
        }
        Ok(())
    }

    /// Format 2 → 3: a thread's draft moves from its record to a record of
    /// its own for this device. Each thread is rewritten after its draft is
    /// stored, so a step cut short is taken again from where it stopped.
    fn move_drafts_out_of_threads(&self) -> Result<(), StoreError> {
        for (key, value) in self.kv.scan_prefix(Table::Threads, &[])? {
            // An unreadable record stays as it is (it is shown as such).
            let Ok(thread) = self.open::<Thread>(Table::Threads, &key, &value) else { continue };
            if !thread.draft.is_empty() {
                self.put_draft(thread.id, &thread.draft)?;
                self.put_thread(&thread)?;
            }
        }
        Ok(())
    }

    /// Format 3 → 4: the search index in blocks replaces one key per
    /// posting. The new tables are emptied first, so a step cut short
    /// starts over; the old ones are dropped once the new index is whole.
    fn rebuild_search_index(&self) -> Result<(), StoreError> {
        self.search.clear(self.kv.as_ref())?;
        let mut from = message_key(pakchat_core::ThreadId::from_bytes([0; 16]), 0).to_vec();
        let mut indexed = 0u64;
        loop {
            let page = self.kv.range(Table::Messages, &from, &[0xFF; 25], PAGE)?;
            for (key, value) in &page {
                let Some(position) = key.get(16..24).and_then(|b| <[u8; 8]>::try_from(b).ok()) else { continue };
                let opened: Result<Message, Unreadable> = self.open_message(key, value);
                let Ok(message) = opened else { continue };
                self.reindex(message.thread_id, u64::from_be_bytes(position), Some(&message))?;
                indexed += 1;
            }
            match page.last() {
                Some((key, _)) if page.len() == PAGE => {
                    from.clone_from(key);
                    from.push(0);
                }
                _ => break,
            }
        }
        self.search.write_pending(self.kv.as_ref())?;
        self.kv.flush()?;
        self.kv.clear(Table::LegacyPostings)?;
        self.kv.clear(Table::LegacyDocs)?;
        tracing::info!(indexed, "search index rebuilt in blocks");
        Ok(())
    }
}
