use std::sync::Arc;

use pakchat_core::Thread;

use super::*;
use crate::{Argon2Params, KeySource, MemoryKv, Store as _};

const FAST: Argon2Params = Argon2Params { m_cost_kib: 8, t_cost: 1, p_cost: 1 };

fn store() -> SealedStore {
    let source = KeySource::Passphrase(zeroize::Zeroizing::new("pw".to_owned()));
    SealedStore::create(Arc::new(MemoryKv::new()), &source, FAST).unwrap()
}

fn shown(store: &SealedStore, thread: ThreadId) -> String {
    store.thread(thread).unwrap().unwrap().draft
}

#[test]
fn a_chat_shows_its_newest_draft_and_what_is_typed_here_wins_over_what_came_before() {
    let store = store();
    store.put_sync_key(Some((1, &[3; 32]))).unwrap();
    let me = store.device_id();
    let other = DeviceId::from_bytes([8; 16]);
    let t = ThreadId::new();
    store.put_thread(&Thread::new(t, "t".to_owned(), 0, never(me))).unwrap();
    store.put_draft(t, "typed here").unwrap();
    assert_eq!(shown(&store, t), "typed here");
    let id = store.draft_record_id(t, other).unwrap().unwrap();
    let from_other = |text: &str, hlc: Hlc| DraftRecord {
        id: id.clone(),
        thread: t,
        device: other,
        text: text.to_owned(),
        stamp: Stamp { hlc, device: other },
    };
    // A draft from the other device, written later: the chat shows it.
    let later = Hlc { millis: wall_millis() + 60_000, counter: 0 };
    assert_eq!(store.apply_incoming(&SyncRecord::Draft(from_other("typed there", later))).unwrap(), Applied::Added);
    assert_eq!(shown(&store, t), "typed there");
    assert_eq!(
        store.apply_incoming(&SyncRecord::Draft(from_other("older there", Hlc::default()))).unwrap(),
        Applied::Kept
    );
    // Typing here again wins, even against a clock ahead elsewhere.
    store.put_draft(t, "typed here again").unwrap();
    assert_eq!(shown(&store, t), "typed here again");
    let Some(SyncRecord::Draft(out)) = store.outgoing(&Change::Draft(t)).unwrap() else { panic!("a draft record") };
    assert_eq!((out.device, out.text.as_str()), (me, "typed here again"));
    assert!(out.stamp.hlc > later);
    assert!(!out.id.contains(&t.0.simple().to_string()), "the chat is not in the id");
    // Sent: a message clears it, and the clearing goes out too.
    store.sent(&store.outbox(100).unwrap()).unwrap();
    store.put_draft(t, "").unwrap();
    assert_eq!(shown(&store, t), "");
    let Some(SyncRecord::Draft(out)) = store.outgoing(&Change::Draft(t)).unwrap() else { panic!("a cleared draft") };
    assert_eq!(out.text, "");
    // Under another chat's id: left.
    let moved = DraftRecord { thread: ThreadId::new(), ..from_other("moved", later) };
    assert_eq!(store.apply_incoming(&SyncRecord::Draft(moved)).unwrap(), Applied::Kept);
}

#[test]
fn an_unstamped_draft_of_an_older_release_still_shows_and_a_profile_that_does_not_sync_keeps_none_empty() {
    let store = store();
    let me = store.device_id();
    let t = ThreadId::new();
    store.put_thread(&Thread::new(t, "t".to_owned(), 0, never(me))).unwrap();
    store.put(Table::Drafts, &draft_key(t, me), &"from before").unwrap();
    assert_eq!(shown(&store, t), "from before");
    store.put_draft(t, "").unwrap();
    assert!(store.kv.get(Table::Drafts, &draft_key(t, me)).unwrap().is_none(), "removed, not kept empty");
    // The account key arrives: this device's drafts are marked.
    store.put_draft(t, "now").unwrap();
    store.put_sync_key(Some((1, &[3; 32]))).unwrap();
    assert!(store.outbox(100).unwrap().iter().any(|p| p.change == Change::Draft(t)));
}
