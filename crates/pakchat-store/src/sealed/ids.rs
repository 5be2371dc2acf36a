//! Messages by id (store format 5). A message is stored at its position in
//! its thread (positions page the history and name branches); beside it,
//! `message-ids` maps each message's id to that position, so a record that
//! names only its id (from another device through sync, or an archive) finds
//! its place, and a message new here merges into the thread by its parent
//! and stamp instead of by arrival order.
//!
//! Keys are thread id ‖ the first 16 bytes of HMAC-SHA256 of the message id
//! under a key derived from the data key (ids are UUIDv7 and carry their
//! creation time, which plain keys would show); values are the position,
//! big-endian, which today's message keys show anyway. An entry is written
//! before its message, and every lookup checks that the record at that
//! position carries that id, so an entry a crash left without its message
//! (or whose position a later append took) is never believed.

use super::{SealedStore, message_key};
use crate::kv::Table;
use crate::{MessageSlot, Store as _, StoreError};
use pakchat_core::{Message, MessageId, ROOT, ThreadId};

/// What [`crate::Store::merge_message`] did with a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Merged {
    /// It was new here and was stored at this position.
    Added(u64),
    /// The stored one was older (by stamp) and was replaced.
    Replaced(u64),
    /// The stored one was as new or newer and stays.
    Kept(u64),
}

impl SealedStore {
    /// Key of `id`'s entry in [`Table::MessageIds`].
    fn id_key(&self, thread: ThreadId, id: MessageId) -> [u8; 32] {
        use hmac::Mac as _;
        let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(self.message_ids.as_ref()) else {
            unreachable!("HMAC takes keys of any length");
        };
        mac.update(id.as_bytes());
        let tag = mac.finalize().into_bytes();
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(thread.as_bytes());
        key[16..].copy_from_slice(&tag[..16]);
        key
    }

    /// Record that the message `id` of `thread` is at `position`.
    pub(super) fn note_id(&self, thread: ThreadId, id: MessageId, position: u64) -> Result<(), StoreError> {
        Ok(self.kv.insert(Table::MessageIds, &self.id_key(thread, id), &position.to_be_bytes())?)
    }

    /// Where message `id` of `thread` is stored, checked against the record.
    pub(super) fn find_message(&self, thread: ThreadId, id: MessageId) -> Result<Option<u64>, StoreError> {
        let Some(value) = self.kv.get(Table::MessageIds, &self.id_key(thread, id))? else { return Ok(None) };
        let Ok(bytes) = <[u8; 8]>::try_from(value.as_slice()) else { return Ok(None) };
        let position = u64::from_be_bytes(bytes);
        Ok(match self.messages(thread, position, 1)?.into_iter().next() {
            Some(MessageSlot::Ok(m)) if m.id == id => Some(position),
            _ => None,
        })
    }

    /// Drop every id entry of `thread`.
    pub(super) fn drop_ids(&self, thread: ThreadId) -> Result<(), StoreError> {
        for (key, _) in self.kv.scan_prefix(Table::MessageIds, thread.as_bytes())? {
            self.kv.remove(Table::MessageIds, &key)?;
        }
        Ok(())
    }

    /// Format 4 → 5: an id entry for every message there is. Writing one
    /// twice does no harm, so a step cut short is simply taken again.
    pub(super) fn index_message_ids(&self) -> Result<(), StoreError> {
        let mut from = message_key(ThreadId::from_bytes([0; 16]), 0).to_vec();
        let mut noted = 0u64;
        loop {
            let page = self.kv.range(Table::Messages, &from, &[0xFF; 25], super::migrate::PAGE)?;
            for (key, value) in &page {
                let Some(position) = key.get(16..24).and_then(|b| <[u8; 8]>::try_from(b).ok()) else { continue };
                // An unreadable record has no id to note; it stays as it is.
                let Ok(message) = self.open_message(key, value) else { continue };
                self.note_id(message.thread_id, message.id, u64::from_be_bytes(position))?;
                noted += 1;
            }
            match page.last() {
                Some((key, _)) if page.len() == super::migrate::PAGE => {
                    from.clone_from(key);
                    from.push(0);
                }
                _ => break,
            }
        }
        self.kv.flush()?;
        tracing::info!(noted, "message ids indexed");
        Ok(())
    }

    /// See [`crate::Store::merge_message`].
    pub(super) fn merge(&self, message: &Message) -> Result<Merged, StoreError> {
        let thread = message.thread_id;
        let _guard = self.append.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(at) = self.find_message(thread, message.id)? {
            let newer = match self.messages(thread, at, 1)?.into_iter().next() {
                Some(MessageSlot::Ok(stored)) => message.stamp > stored.stamp,
                // What is here cannot be read: the copy that can wins.
                _ => true,
            };
            if !newer {
                return Ok(Merged::Kept(at));
            }
            self.replace_message(thread, at, message)?;
            return Ok(Merged::Replaced(at));
        }
        let count = self.message_count(thread)?;
        let mut branches = self.branches(thread)?;
        // A parent not here (never, when records arrive in the order they
        // were made) is taken as the end of the conversation shown, so the
        // message is kept and seen.
        let parent = match message.parent_id {
            None => ROOT,
            Some(parent) => match self.find_message(thread, parent)? {
                Some(at) => at,
                None => branches.path(count).leaf(),
            },
        };
        // Siblings in stamp order: the new one goes before the first newer.
        let mut place = 0;
        for sibling in branches.children_of(parent, count) {
            match self.messages(thread, sibling, 1)?.into_iter().next() {
                Some(MessageSlot::Ok(m)) if m.stamp > message.stamp => break,
                _ => place += 1,
            }
        }
        let at = self.append_unlocked(message, false)?;
        branches.merge_child(parent, at, count, place);
        self.put_branches(thread, &branches)?;
        Ok(Merged::Added(at))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::kv::Kv as _;
    use crate::{Argon2Params, KeySource, MemoryKv, Store};
    use pakchat_core::{DeviceId, Hlc, MessageStatus, Role, Stamp, Thread};

    const FAST: Argon2Params = Argon2Params { m_cost_kib: 8, t_cost: 1, p_cost: 1 };
    const T: ThreadId = ThreadId(uuid::Uuid::from_u128(7));

    fn stamp(millis: u64, device: u8) -> Stamp {
        Stamp { hlc: Hlc { millis, counter: 0 }, device: DeviceId::from_bytes([device; 16]) }
    }

    fn message(text: &str, parent: Option<MessageId>, at: Stamp) -> Message {
        Message {
            id: MessageId::new(),
            thread_id: T,
            parent_id: parent,
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

    fn store() -> Result<(Arc<MemoryKv>, SealedStore), StoreError> {
        let kv = Arc::new(MemoryKv::new());
        let store =
            SealedStore::create(kv.clone(), &KeySource::Passphrase(zeroize::Zeroizing::new("p".to_owned())), FAST)?;
        store.put_thread(&Thread::new(T, "t".to_owned(), 0, stamp(0, 1)))?;
        Ok((kv, store))
    }

    /// The texts of the conversation shown.
    fn shown(store: &SealedStore) -> Result<Vec<String>, StoreError> {
        let count = store.message_count(T)?;
        let path = store.branches(T)?.path(count);
        let mut out = Vec::new();
        for row in 0..path.len() {
            let Some(at) = path.position(row) else { break };
            if let Some(MessageSlot::Ok(m)) = store.messages(T, at, 1)?.into_iter().next() {
                out.push(m.content);
            }
        }
        Ok(out)
    }

    #[test]
    fn a_message_is_found_by_its_id_and_a_stale_entry_is_not_believed() -> Result<(), StoreError> {
        let (kv, store) = store()?;
        let first = message("first", None, stamp(1, 1));
        let second = message("second", Some(first.id), stamp(2, 1));
        assert_eq!(store.append_message(&first)?, 0);
        assert_eq!(store.append_message(&second)?, 1);
        assert_eq!(store.position_of(T, second.id)?, Some(1));
        assert_eq!(store.position_of(T, MessageId::new())?, None);
        // An entry whose message never got written (a crash between the
        // two), and whose position the next append took.
        let lost = message("lost", None, stamp(3, 1));
        store.note_id(T, lost.id, 2)?;
        store.append_message(&message("third", None, stamp(4, 1)))?;
        assert_eq!(store.position_of(T, lost.id)?, None, "the record at 2 is another message");
        // The key shows neither the id nor its time.
        let keys = kv.scan_prefix(Table::MessageIds, &[]).map_err(StoreError::Kv)?;
        assert!(keys.iter().all(|(k, _)| !k.windows(16).any(|w| w == first.id.as_bytes())));
        // Purging the thread takes them.
        store.purge_thread_content(T)?;
        assert!(kv.scan_prefix(Table::MessageIds, &[]).map_err(StoreError::Kv)?.is_empty());
        Ok(())
    }

    #[test]
    fn messages_from_another_device_merge_by_parent_and_stamp() -> Result<(), StoreError> {
        let (_kv, store) = store()?;
        let question = message("question", None, stamp(10, 1));
        store.append_message(&question)?;
        let answer = message("answer here", Some(question.id), stamp(20, 1));
        store.append_message(&answer)?;
        // Elsewhere, earlier: another answer to the same question. It is a
        // sibling placed before ours (older stamp), and ours stays shown.
        let theirs = message("answer there", Some(question.id), stamp(15, 2));
        assert_eq!(store.merge_message(&theirs)?, Merged::Added(2));
        assert_eq!(shown(&store)?, ["question", "answer here"]);
        let count = store.message_count(T)?;
        assert_eq!(store.branches(T)?.children_of(0, count), [2, 1], "siblings in stamp order");
        // A follow-up to ours from the other device continues what is shown.
        let follow = message("follow-up", Some(answer.id), stamp(30, 2));
        assert_eq!(store.merge_message(&follow)?, Merged::Added(3));
        assert_eq!(shown(&store)?, ["question", "answer here", "follow-up"]);
        // The same record again changes nothing; a newer edit of it replaces
        // it in place; an older one is ignored.
        assert_eq!(store.merge_message(&follow)?, Merged::Kept(3));
        let mut edited = follow.clone();
        edited.content = "follow-up, edited".to_owned();
        edited.stamp = stamp(40, 2);
        assert_eq!(store.merge_message(&edited)?, Merged::Replaced(3));
        let mut stale = follow;
        stale.content = "stale".to_owned();
        assert_eq!(store.merge_message(&stale)?, Merged::Kept(3));
        assert_eq!(shown(&store)?, ["question", "answer here", "follow-up, edited"]);
        assert_eq!(store.search("edited", 5)?.len(), 1, "the merged edit is searchable");
        // A message whose parent never came is kept, at the end of what is shown.
        let orphan = message("orphan", Some(MessageId::new()), stamp(50, 2));
        assert_eq!(store.merge_message(&orphan)?, Merged::Added(4));
        assert_eq!(shown(&store)?.last().map(String::as_str), Some("orphan"));
        Ok(())
    }
}
