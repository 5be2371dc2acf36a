//! A disk that fills up during an import: the store's engine refuses writes
//! past a budget of bytes, as a full disk does. The import stops with the
//! disk's own reason, everything acknowledged before is still there and
//! readable, and once there is room the same import completes whole.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use pakchat::domain::{HlcClock, Message, MessageId, MessageStatus, Role, Thread, ThreadId, wall_millis};
use pakchat::store::kv::Entry;
use pakchat::store::{Argon2Params, KeySource, Kv, KvError, MemoryKv, MessageSlot, SealedStore, Store, Table};

/// A memory engine with a disk's size: writes past `room` bytes fail.
struct SmallDisk {
    inner: MemoryKv,
    room: AtomicI64,
}

impl SmallDisk {
    fn with_room(&self, bytes: i64) {
        self.room.store(bytes, Ordering::SeqCst);
    }
}

impl Kv for SmallDisk {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        self.inner.get(table, key)
    }
    fn insert(&self, table: Table, key: &[u8], value: &[u8]) -> Result<(), KvError> {
        let size = i64::try_from(key.len() + value.len()).unwrap();
        if self.room.fetch_sub(size, Ordering::SeqCst) < size {
            self.room.fetch_add(size, Ordering::SeqCst);
            return Err(KvError::Io("No space left on device (os error 28)".to_owned()));
        }
        self.inner.insert(table, key, value)
    }
    fn remove(&self, table: Table, key: &[u8]) -> Result<(), KvError> {
        self.inner.remove(table, key)
    }
    fn range(&self, table: Table, start: &[u8], end: &[u8], limit: usize) -> Result<Vec<Entry>, KvError> {
        self.inner.range(table, start, end, limit)
    }
    fn range_rev(&self, table: Table, start: &[u8], end: &[u8], limit: usize) -> Result<Vec<Entry>, KvError> {
        self.inner.range_rev(table, start, end, limit)
    }
    fn scan_prefix(&self, table: Table, prefix: &[u8]) -> Result<Vec<Entry>, KvError> {
        self.inner.scan_prefix(table, prefix)
    }
    fn last_with_prefix(&self, table: Table, prefix: &[u8]) -> Result<Option<Entry>, KvError> {
        self.inner.last_with_prefix(table, prefix)
    }
    fn flush(&self) -> Result<(), KvError> {
        self.inner.flush()
    }
}

fn archive_bytes() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/format2/expected.json")).unwrap()
}

#[test]
fn an_import_that_fills_the_disk_says_so_keeps_what_was_there_and_completes_once_there_is_room() {
    let dir = tempfile::tempdir().unwrap();
    let disk = Arc::new(SmallDisk { inner: MemoryKv::new(), room: AtomicI64::new(i64::MAX) });
    let store = SealedStore::create(disk.clone(), &KeySource::KeyFile(dir.path().join("key")), Argon2Params::default())
        .unwrap();
    let mut clock = HlcClock::new(store.device_id());

    // Acknowledged before: a chat with three messages, flushed.
    let thread = Thread::new(ThreadId::new(), "Kept".to_owned(), wall_millis(), clock.now());
    for i in 0..3 {
        let m = Message {
            id: MessageId::new(),
            thread_id: thread.id,
            parent_id: None,
            role: Role::User,
            content: format!("kept message {i}"),
            reasoning: String::new(),
            attachments: Vec::new(),
            model: None,
            status: MessageStatus::Done,
            failure: None,
            usage: None,
            created_ms: wall_millis(),
            stamp: clock.now(),
        };
        store.append_message(&m).unwrap();
    }
    store.put_thread(&thread).unwrap();
    store.flush().unwrap();

    // The disk fills part way through an import.
    disk.with_room(6_000);
    let archive = pakchat::archive::parse(&archive_bytes(), &mut || clock.now()).unwrap();
    let ids: Vec<ThreadId> = archive.threads.iter().map(|t| t.thread.id).collect();
    let err = pakchat::archive::import(&store, archive, false).unwrap_err();
    assert!(err.to_string().contains("No space left on device"), "the disk's reason: {err}");
    let begun = ids.iter().any(|id| store.message_count(*id).unwrap() > 0);
    assert!(begun, "the disk filled part way through, with a chat begun");

    // Everything acknowledged before is there and readable.
    let kept = store.thread(thread.id).unwrap().expect("the chat");
    assert_eq!(kept.title, "Kept");
    let messages = store.messages(thread.id, 0, 10).unwrap();
    let texts: Vec<String> = messages
        .into_iter()
        .map(|s| match s {
            MessageSlot::Ok(m) => m.content,
            MessageSlot::Unreadable(u) => panic!("unreadable after a full disk: {u:?}"),
        })
        .collect();
    assert_eq!(texts, ["kept message 0", "kept message 1", "kept message 2"]);

    // With room again, the same import completes whole: a chat cut short is
    // started again, not left half there.
    disk.with_room(i64::MAX);
    let archive = pakchat::archive::parse(&archive_bytes(), &mut || clock.now()).unwrap();
    let report = pakchat::archive::import(&store, archive, false).unwrap();
    let (everything, _) = pakchat::archive::export_all(&store).unwrap();
    let imported: usize =
        everything.threads.iter().filter(|t| t.thread.id != thread.id).map(|t| t.messages.len()).sum();
    assert_eq!(imported, 11, "both chats whole ({report:?})");
    assert_eq!(everything.threads.len(), 3);
}
