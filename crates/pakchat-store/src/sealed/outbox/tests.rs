//! The outbox and the merge of incoming records.

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
    let Some(SyncRecord::Setting { value, stamp: s, .. }) = store.outgoing(&Change::Setting("theme".into()))? else {
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
    assert_eq!((now.theme, now.text_scale, now.account_server.as_str()), (ThemePreference::Dark, 1.5, "https://mine"));
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

#[test]
fn a_growing_reply_goes_out_about_once_a_second_newer_each_time_and_older_than_its_end() -> Result<(), StoreError> {
    let store = store()?;
    store.put_sync_key(Some((1, &[9; 32])))?;
    store.put_thread(&Thread::new(T, "t".to_owned(), 0, stamp(1, 1)))?;
    let start = stamp(2, 1);
    let reply = Message { status: MessageStatus::Streaming, role: Role::Assistant, ..message("", start) };
    let at = store.append_message(&reply)?;
    let everything = store.outbox(10)?;
    store.sent(&everything)?;

    let sent_text = |store: &SealedStore| -> Result<Option<(String, Stamp)>, StoreError> {
        let marked = changes(store)?.contains(&Change::Message(T, at));
        Ok(match store.outgoing(&Change::Message(T, at))? {
            Some(SyncRecord::Message(m)) if marked => Some((m.content, m.stamp)),
            _ => None,
        })
    };
    for piece in ["Once ", "upon ", "a "] {
        store.append_to_reply(T, at, piece, "")?;
    }
    assert_eq!(sent_text(&store)?, None, "three chunks: not yet");
    store.append_to_reply(T, at, "time", "")?;
    let (text, first) = sent_text(&store)?.expect("the fourth chunk marks it");
    assert_eq!(text, "Once upon a time");
    assert!(first > start, "newer than the reply's record");
    store.sent(&store.outbox(10)?)?;
    for piece in [",", " in", " a", " valley"] {
        store.append_to_reply(T, at, piece, "")?;
    }
    let (text, second) = sent_text(&store)?.expect("four more chunks");
    assert_eq!(text, "Once upon a time, in a valley");
    assert!(second > first, "each send newer than the one before");

    // The end: one record, stamped later, newer than every partial send.
    let end = stamp(3, 1);
    let done = Message { content: text, status: MessageStatus::Done, stamp: end, ..reply.clone() };
    store.update_message(T, at, &done)?;
    let (_, last) = sent_text(&store)?.expect("the end goes out");
    assert_eq!(last, end);
    assert!(last > second);
    Ok(())
}
