//! Drafts as records of their own (store format 3): one per chat and
//! device, apart from the thread record, so typing never moves the chat's
//! stamp.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use pakchat::domain::{DeviceId, Hlc, Stamp, Thread, ThreadId};
use pakchat::store::{KeySource, Kv, SealedStore, SledKv, Store, Table, ThreadSlot};

const FAST: pakchat::store::Argon2Params = pakchat::store::Argon2Params { m_cost_kib: 1024, t_cost: 1, p_cost: 1 };

fn thread(title: &str) -> Thread {
    let stamp = Stamp { hlc: Hlc { millis: 1, counter: 0 }, device: DeviceId::from_bytes([1; 16]) };
    Thread::new(ThreadId::new(), title.to_owned(), 1_700_000_000_000, stamp)
}

#[test]
fn a_draft_is_a_record_of_its_own_and_leaves_the_thread_and_its_stamp_alone() {
    let dir = tempfile::tempdir().unwrap();
    let kv: Arc<dyn Kv> = Arc::new(SledKv::open(dir.path()).unwrap());
    let store = SealedStore::create(kv.clone(), &KeySource::KeyFile(dir.path().join("key")), FAST).unwrap();
    let t = thread("drafty");
    store.put_thread(&t).unwrap();
    let record = kv.get(Table::Threads, t.id.as_bytes()).unwrap();

    store.put_draft(t.id, "half a thought").unwrap();
    assert_eq!(kv.get(Table::Threads, t.id.as_bytes()).unwrap(), record, "the thread record is not rewritten");
    let read = store.thread(t.id).unwrap().unwrap();
    assert_eq!((read.draft.as_str(), read.stamp), ("half a thought", t.stamp), "the draft, the stamp unmoved");
    let key: Vec<u8> = [t.id.as_bytes().as_slice(), store.device_id().as_bytes().as_slice()].concat();
    assert!(kv.get(Table::Drafts, &key).unwrap().is_some(), "kept as this device's draft");

    // A change to the thread made from an older copy keeps the draft.
    let renamed = Thread { title: "renamed".to_owned(), draft: String::new(), ..t.clone() };
    store.put_thread(&renamed).unwrap();
    assert_eq!(store.thread(t.id).unwrap().unwrap().draft, "half a thought");
    assert!(matches!(&store.threads().unwrap()[..], [ThreadSlot::Ok(x)] if x.draft == "half a thought"));

    store.put_draft(t.id, "").unwrap();
    assert_eq!(store.thread(t.id).unwrap().unwrap().draft, "");
    assert!(kv.scan_prefix(Table::Drafts, &[]).unwrap().is_empty(), "an empty draft is no record");
}
