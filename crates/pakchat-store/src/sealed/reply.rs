//! A reply still streaming grows by appended chunks: each persisted piece
//! is a small sealed record of its own, keyed by the message's place and a
//! sequence number, so a long reply is not sealed and written whole again
//! every time it grows (writes stay proportional to the text that arrived).
//! Reading the message folds its chunks in; the next
//! [`crate::Store::update_message`] (the reply's end, or marking it
//! interrupted after a crash) writes the whole text once and drops them.
//!
//! On a synced profile every fourth chunk marks the message, so its text so
//! far reaches the other devices about once a second; it goes out stamped
//! its record's stamp plus its chunk count, newer with every chunk and
//! older than the stamp the reply's end writes (see `sealed/outbox.rs`).

use pakchat_core::{Message, MessageStatus, ThreadId};

use super::outbox::Change;
use super::{SealedStore, message_key};
use crate::kv::Table;
use crate::{StoreError, Unreadable};

/// Chunks between two sends of a growing reply's text.
const CHUNKS_PER_SYNC: u32 = 4;

/// A chunk's key: the message's place ‖ its sequence number.
fn chunk_key(thread: ThreadId, index: u64, seq: u32) -> [u8; 28] {
    let mut key = [0u8; 28];
    key[..24].copy_from_slice(&message_key(thread, index));
    key[24..].copy_from_slice(&seq.to_be_bytes());
    key
}

impl SealedStore {
    /// Store `text` and `reasoning` as the next chunk of the reply at
    /// `thread`/`index`.
    pub(super) fn append_chunk(
        &self,
        thread: ThreadId,
        index: u64,
        text: &str,
        reasoning: &str,
    ) -> Result<(), StoreError> {
        if text.is_empty() && reasoning.is_empty() {
            return Ok(());
        }
        let place = message_key(thread, index);
        let last = self.kv.last_with_prefix(Table::ReplyChunks, &place)?;
        let seq = last
            .and_then(|(key, _)| <[u8; 4]>::try_from(key.get(24..28)?).ok())
            .map_or(0, |b| u32::from_be_bytes(b).saturating_add(1));
        let write = || self.put(Table::ReplyChunks, &chunk_key(thread, index, seq), &(text, reasoning));
        // The text so far goes to the account's other devices every
        // [`CHUNKS_PER_SYNC`] chunks (chunks come every 250 ms or so).
        if seq % CHUNKS_PER_SYNC == CHUNKS_PER_SYNC - 1 {
            self.marking(&[Change::Message(thread, index)], write)
        } else {
            write()
        }
    }

    /// How many chunks the reply at `thread`/`index` has (0 for one that
    /// is not growing).
    pub(super) fn chunk_count(&self, thread: ThreadId, index: u64) -> Result<u32, StoreError> {
        let last = self.kv.last_with_prefix(Table::ReplyChunks, &message_key(thread, index))?;
        Ok(last
            .and_then(|(key, _)| <[u8; 4]>::try_from(key.get(24..28)?).ok())
            .map_or(0, |b| u32::from_be_bytes(b).saturating_add(1)))
    }

    /// `message` (read from `thread`/`index`) with the chunks appended to
    /// it while it was streaming; a chunk that does not open makes the
    /// whole message unreadable, as a damaged record would.
    pub(super) fn with_chunks(
        &self,
        thread: ThreadId,
        index: u64,
        mut message: Message,
    ) -> Result<Message, Unreadable> {
        if !matches!(message.status, MessageStatus::Sending | MessageStatus::Streaming) {
            return Ok(message);
        }
        let chunks = self
            .kv
            .scan_prefix(Table::ReplyChunks, &message_key(thread, index))
            .map_err(|e| Unreadable { table: Table::ReplyChunks.name(), reason: e.to_string() })?;
        for (key, value) in chunks {
            let (text, reasoning): (String, String) = self.open(Table::ReplyChunks, &key, &value)?;
            message.content.push_str(&text);
            message.reasoning.push_str(&reasoning);
        }
        Ok(message)
    }

    /// Remove the chunks of the reply at `thread`/`index` (its record now
    /// holds their text), or of every message of `thread` when `index` is
    /// `None`.
    pub(super) fn drop_chunks(&self, thread: ThreadId, index: Option<u64>) -> Result<(), StoreError> {
        let prefix = match index {
            Some(index) => message_key(thread, index).to_vec(),
            None => thread.as_bytes().to_vec(),
        };
        for (key, _) in self.kv.scan_prefix(Table::ReplyChunks, &prefix)? {
            self.kv.remove(Table::ReplyChunks, &key)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use pakchat_core::{DeviceId, Hlc, MessageId, Role, Stamp};

    use super::*;
    use crate::kv::{Kv as _, MemoryKv};
    use crate::{Argon2Params, KeySource, MessageSlot, Store as _};

    const FAST: Argon2Params = Argon2Params { m_cost_kib: 1024, t_cost: 1, p_cost: 1 };

    fn store() -> (Arc<MemoryKv>, SealedStore) {
        let kv = Arc::new(MemoryKv::new());
        let key = KeySource::Passphrase(zeroize::Zeroizing::new("p".to_owned()));
        let store = SealedStore::create(kv.clone(), &key, FAST).unwrap_or_else(|e| panic!("{e}"));
        (kv, store)
    }

    fn reply(thread: ThreadId, status: MessageStatus) -> Message {
        Message {
            id: MessageId::new(),
            thread_id: thread,
            parent_id: None,
            role: Role::Assistant,
            content: "It ".to_owned(),
            reasoning: String::new(),
            attachments: Vec::new(),
            model: None,
            status,
            failure: None,
            usage: None,
            created_ms: 0,
            stamp: Stamp { hlc: Hlc::default(), device: DeviceId::from_bytes([3; 16]) },
        }
    }

    fn only(store: &SealedStore, thread: ThreadId, index: u64) -> Result<Message, String> {
        match store.messages(thread, index, 1).map_err(|e| e.to_string())?.pop() {
            Some(MessageSlot::Ok(m)) => Ok(m),
            Some(MessageSlot::Unreadable(u)) => Err(u.to_string()),
            None => Err("absent".to_owned()),
        }
    }

    #[test]
    fn a_growing_reply_reads_with_its_chunks_and_ends_as_one_record() -> Result<(), String> {
        let (kv, store) = store();
        let thread = ThreadId::new();
        let at = store.append_message(&reply(thread, MessageStatus::Streaming)).map_err(|e| e.to_string())?;
        let record = kv.get(Table::Messages, &message_key(thread, at)).map_err(|e| e.to_string())?;
        for (text, thought) in [("was ", "hmm "), ("a ", ""), ("", "so "), ("dark night", "")] {
            store.append_to_reply(thread, at, text, thought).map_err(|e| e.to_string())?;
        }
        let grown = only(&store, thread, at)?;
        assert_eq!((grown.content.as_str(), grown.reasoning.as_str()), ("It was a dark night", "hmm so "));
        assert_eq!(
            kv.get(Table::Messages, &message_key(thread, at)).map_err(|e| e.to_string())?,
            record,
            "the record itself was not written again"
        );
        let mut done = grown;
        done.status = MessageStatus::Done;
        store.update_message(thread, at, &done).map_err(|e| e.to_string())?;
        assert_eq!(only(&store, thread, at)?, done);
        assert!(kv.scan_prefix(Table::ReplyChunks, &[]).map_err(|e| e.to_string())?.is_empty(), "chunks folded");
        assert_eq!(store.search("dark night", 5).map_err(|e| e.to_string())?.len(), 1, "indexed once it ended");
        Ok(())
    }

    #[test]
    fn a_damaged_chunk_makes_its_reply_unreadable_and_a_purge_takes_them_all() -> Result<(), String> {
        let (kv, store) = store();
        let thread = ThreadId::new();
        let at = store.append_message(&reply(thread, MessageStatus::Streaming)).map_err(|e| e.to_string())?;
        store.append_to_reply(thread, at, "one", "").map_err(|e| e.to_string())?;
        store.append_to_reply(thread, at, "two", "").map_err(|e| e.to_string())?;
        let chunks = kv.scan_prefix(Table::ReplyChunks, &[]).map_err(|e| e.to_string())?;
        assert_eq!(chunks.len(), 2);
        // Swapped chunks do not open under each other's keys.
        kv.insert(Table::ReplyChunks, &chunks[0].0, &chunks[1].1).map_err(|e| e.to_string())?;
        let err = only(&store, thread, at).expect_err("a moved chunk is refused");
        assert!(err.contains("reply-chunks"), "{err}");
        store.purge_thread_content(thread).map_err(|e| e.to_string())?;
        assert!(kv.scan_prefix(Table::ReplyChunks, &[]).map_err(|e| e.to_string())?.is_empty());
        Ok(())
    }

    #[test]
    fn chunks_of_a_reply_that_already_ended_are_not_shown_twice() -> Result<(), String> {
        let (_, store) = store();
        let thread = ThreadId::new();
        let at = store.append_message(&reply(thread, MessageStatus::Done)).map_err(|e| e.to_string())?;
        store.append_to_reply(thread, at, "late", "").map_err(|e| e.to_string())?;
        assert_eq!(only(&store, thread, at)?.content, "It ");
        Ok(())
    }
}
