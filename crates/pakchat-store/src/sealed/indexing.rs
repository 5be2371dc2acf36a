//! Keeping the blind search index in line with the messages: a message is
//! indexed when its text is complete, re-indexed when it changes, removed
//! with its chat, and postings a crash lost are written again at the next
//! open.

use super::{PURGE_PAGE, SealedStore, message_key};
use crate::StoreError;
use crate::kv::Table;
use crate::search::{self, Token};
use pakchat_core::{Message, ThreadId};

impl SealedStore {
    /// The tokens of the text indexed for the message at `place` (its
    /// stored text; none when it is absent, unreadable or still streaming).
    pub(super) fn indexed_tokens(&self, place: search::DocRef) -> Result<Vec<Token>, StoreError> {
        use pakchat_core::MessageStatus;
        let key = message_key(place.0, place.1);
        let Some(sealed) = self.kv.get(Table::Messages, &key)? else { return Ok(Vec::new()) };
        Ok(match self.open_message(&key, &sealed) {
            Ok(m) if !matches!(m.status, MessageStatus::Sending | MessageStatus::Streaming) => {
                self.search.tokens(&m.content)
            }
            _ => Vec::new(),
        })
    }

    /// Bring the search index in line with `message` becoming the record at
    /// `thread`/`index` (`None`: it is gone). Called before the record is
    /// written, so the text being replaced still tells which postings to
    /// remove. A reply still streaming is not indexed until it is complete.
    pub(super) fn reindex(&self, thread: ThreadId, index: u64, message: Option<&Message>) -> Result<(), StoreError> {
        use pakchat_core::MessageStatus;
        let place = (thread, index);
        let streaming = message.is_some_and(|m| matches!(m.status, MessageStatus::Sending | MessageStatus::Streaming));
        let new = match message {
            Some(m) if !streaming => self.search.tokens(&m.content),
            _ => Vec::new(),
        };
        if let Some(doc) = self.search.doc_of(self.kv.as_ref(), place)? {
            let old = self.indexed_tokens(place)?;
            if old == new && !streaming {
                return Ok(());
            }
            self.search.remove(self.kv.as_ref(), &[(doc, place, old)])?;
        }
        if !new.is_empty() {
            self.search.add(self.kv.as_ref(), place, &new)?;
        }
        Ok(())
    }

    /// Remove every indexed message of `thread` from the search index, a
    /// page at a time (each block rewritten once per page).
    pub(super) fn unindex_thread(&self, thread: ThreadId) -> Result<(), StoreError> {
        let (start, end) = (message_key(thread, 0), message_key(thread, u64::MAX));
        loop {
            let refs = self.kv.range(Table::SearchRefs, &start, &end, PURGE_PAGE)?;
            if refs.is_empty() {
                return Ok(());
            }
            let mut gone = Vec::with_capacity(refs.len());
            for (key, _) in refs {
                let position = key.get(16..24).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_be_bytes);
                match position.map(|p| ((thread, p), self.search.doc_of(self.kv.as_ref(), (thread, p)))) {
                    Some((place, Ok(Some(doc)))) => gone.push((doc, place, self.indexed_tokens(place)?)),
                    // A damaged ref names no postings it could remove.
                    _ => self.kv.remove(Table::SearchRefs, &key)?,
                }
            }
            self.search.remove(self.kv.as_ref(), &gone)?;
        }
    }

    /// Index again the documents whose postings were only in memory when
    /// the profile last closed (a crash).
    pub(super) fn recover_index(&self) -> Result<(), StoreError> {
        let unwritten = self.search.unwritten();
        if unwritten.is_empty() {
            return Ok(());
        }
        let count = unwritten.end - unwritten.start;
        for doc in unwritten {
            // A damaged or stale place is skipped: hits are verified anyway.
            let Ok(Some(place)) = self.search.place_of(self.kv.as_ref(), doc) else { continue };
            if matches!(self.search.doc_of(self.kv.as_ref(), place), Ok(Some(d)) if d == doc) {
                self.search.readd(doc, &self.indexed_tokens(place)?);
            }
        }
        self.search.write_pending(self.kv.as_ref())?;
        tracing::info!(count, "search postings a crash lost were written again");
        Ok(())
    }

    /// Before another instance of this profile writes it (a browser's other
    /// tab): write what this one keeps in memory, the search postings.
    ///
    /// # Errors
    /// Engine failure.
    pub fn pause_writing(&self) -> Result<(), StoreError> {
        self.search.write_pending(self.kv.as_ref())?;
        Ok(self.kv.flush()?)
    }

    /// Another instance wrote the profile since this one last did: read
    /// again what this one keeps in memory from it (the search index's
    /// counters, indexing again what the other left only in its memory;
    /// whether the profile syncs).
    ///
    /// # Errors
    /// Engine failure.
    pub fn resume_writing(&self) -> Result<(), StoreError> {
        self.search.read_counters(self.kv.as_ref())?;
        self.recover_index()?;
        let syncing = self.read_sync_key()?.is_some();
        self.syncing.store(syncing, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}
