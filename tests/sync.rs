//! Sync end to end: profiles on disk, the real server (in-process, over
//! SQLite) and the shell's `pakchat sync` / `pakchat account join` as a
//! person on a headless machine runs them. A canary typed on one device
//! arrives on the other and is in none of the server's files; offline
//! edits on both sides converge, concurrent renames the same way on both;
//! records a hostile server changed are skipped, never applied; devices are
//! listed by the names they gave themselves and a lost one is signed out.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::sync_rig::{Rig, code_in, last_line, message, text};
use pakchat::domain::{HlcClock, Settings, ThemePreference, Thread, ThreadId};
use pakchat::store::Store as _;

const CANARY: &str = "canary-7f3a9-tangerine-lighthouse";

#[test]
fn a_canary_typed_on_one_device_arrives_on_the_other_and_in_no_server_file() {
    let rig = Rig::new();
    let (a, b) = (rig.device("ada"), rig.device("ada"));
    let thread = ThreadId::new();
    {
        let store = a.store();
        let mut clock = HlcClock::new(store.device_id());
        store.put_thread(&Thread::new(thread, "Trip plans".to_owned(), 0, clock.now())).unwrap();
        let first = message(&mut clock, thread, None, "Where should we go in May?");
        store.append_message(&first).unwrap();
        store.append_message(&message(&mut clock, thread, Some(first.id), &format!("Lisbon, says {CANARY}"))).unwrap();
        let settings = Settings { theme: ThemePreference::Dark, stamp: Some(clock.now()), ..Settings::default() };
        store.put_settings(&settings).unwrap();
        store.flush().unwrap();
    }

    // B first: no key anywhere yet, and B cannot make one while A might.
    // (A makes it: the first device to sync.)
    let first = a.synced();
    assert!(first.contains("recovery code (shown once"), "{first}");
    let code = code_in(&first);
    assert_eq!(code.len(), 29, "six groups of four: {code}");
    assert!(first.contains("nothing waiting"), "{first}");
    let again = a.synced();
    assert!(!again.contains("recovery code"), "the code is shown once: {again}");

    // B has no key: told to join, nothing written.
    let out = b.sync();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(last_line(&out).contains("join with its recovery code"), "{}", last_line(&out));
    assert!(b.store().sync_key().unwrap().is_none());
    // A wrong code: nothing; the right one, then a sync: everything.
    let out = b.pakchat(&["account", "join"], "0123-4567-89AB-CDEF-GHJK-MNPQ\n");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(b.contents().is_empty());
    let out = b.pakchat(&["account", "join"], &format!("{code}\n"));
    assert!(out.status.success(), "{}", text(&out));
    let took = b.synced();
    assert!(took.contains("took in"), "{took}");
    assert_eq!(b.contents(), a.contents(), "B holds what A wrote");
    let there = b.contents();
    let (title, texts) = &there[&thread];
    assert_eq!(title, "Trip plans");
    assert!(texts.contains(&format!("Lisbon, says {CANARY}")), "{texts:?}");
    assert_eq!(b.store().settings().unwrap().theme, ThemePreference::Dark, "settings came along");
    // B's own sync sent nothing back of what it took in.
    assert!(b.synced().contains("sent 0"), "B sends nothing it only received");

    // The server holds ciphertext only: no form of the canary, the title
    // or the recovery code in any of its files (database, WAL).
    let files = common::canary::files_under(rig.server.dir());
    assert!(files.iter().any(|(p, _)| p.to_string_lossy().ends_with("server.sqlite3")), "read the database");
    for secret in [CANARY, "Trip plans", code.as_str()] {
        for form in common::canary::forms(secret) {
            for (path, bytes) in &files {
                assert!(!common::canary::contains(bytes, &form), "{secret:?} in {}", path.display());
            }
        }
    }
}

#[test]
fn offline_edits_on_both_sides_converge_and_a_concurrent_rename_resolves_the_same_on_both() {
    let rig = Rig::new();
    let (a, b) = (rig.device("grace"), rig.device("grace"));
    let thread = ThreadId::new();
    {
        let store = a.store();
        let mut clock = HlcClock::new(store.device_id());
        store.put_thread(&Thread::new(thread, "Draft".to_owned(), 0, clock.now())).unwrap();
        store.append_message(&message(&mut clock, thread, None, "shared start")).unwrap();
    }
    let code = code_in(&a.synced());
    assert!(b.pakchat(&["account", "join"], &code).status.success());
    b.synced();

    // Both offline: each renames the chat and writes in it; B renames last.
    for (device, title, words) in [(&a, "Title from A", "written on A"), (&b, "Title from B", "written on B")] {
        let store = device.store();
        let mut clock = HlcClock::new(store.device_id());
        let mut t = store.thread(thread).unwrap().unwrap();
        clock.observe(t.stamp.hlc, 0);
        t.title = title.to_owned();
        t.stamp = clock.now();
        store.put_thread(&t).unwrap();
        for n in 0..3 {
            store.append_message(&message(&mut clock, thread, None, &format!("{words} {n}"))).unwrap();
        }
        store.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // Back online, in either order.
    a.synced();
    b.synced();
    a.synced();
    let (on_a, on_b) = (a.contents(), b.contents());
    assert_eq!(on_a, on_b, "both ends equal");
    let (title, texts) = &on_a[&thread];
    assert_eq!(title, "Title from B", "the later rename wins on both");
    assert_eq!(texts.len(), 7, "every message written on either side: {texts:?}");
}

#[test]
fn records_a_hostile_server_changed_are_skipped_and_never_applied() {
    let rig = Rig::new();
    let (a, b) = (rig.device("mallory-target"), rig.device("mallory-target"));
    let (one, two) = (ThreadId::new(), ThreadId::new());
    {
        let store = a.store();
        let mut clock = HlcClock::new(store.device_id());
        store.put_thread(&Thread::new(one, "first chat".to_owned(), 0, clock.now())).unwrap();
        store.put_thread(&Thread::new(two, "second chat".to_owned(), 0, clock.now())).unwrap();
    }
    let code = code_in(&a.synced());
    // The server swaps the two threads' contents and re-stamps a third
    // record (a setting or a message would do as well).
    let url = format!("sqlite://{}", rig.server.dir().join("server.sqlite3").display());
    let (id1, id2) = (format!("t-{}", one.0.simple()), format!("t-{}", two.0.simple()));
    rig.server.block_on(async {
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let swap = "UPDATE records SET ciphertext = (SELECT ciphertext FROM records WHERE id = ?),
            nonce = (SELECT nonce FROM records WHERE id = ?) WHERE id = ?";
        sqlx::query(swap).bind(&id2).bind(&id2).bind(&id1).execute(&pool).await.unwrap();
        let restamp = "UPDATE records SET hlc_millis = hlc_millis + 1 WHERE id = ?";
        sqlx::query(restamp).bind(&id2).execute(&pool).await.unwrap();
        pool.close().await;
    });
    assert!(b.pakchat(&["account", "join"], &code).status.success());
    let out = b.synced();
    assert!(out.contains("2 records from the server did not open"), "{out}");
    assert!(b.contents().is_empty(), "neither changed thread was applied");
    // A still has both, whole.
    let titles: Vec<_> = a.contents().into_values().map(|(t, _)| t).collect();
    assert_eq!(titles.len(), 2);
}

#[test]
fn sync_without_an_account_or_a_reachable_server_says_why_and_keeps_the_changes() {
    let rig = Rig::new();
    let a = rig.device("linus");
    let code = code_in(&a.synced());
    assert_eq!(code.len(), 29);
    {
        let store = a.store();
        let mut clock = HlcClock::new(store.device_id());
        store.put_thread(&Thread::new(ThreadId::new(), "kept".to_owned(), 0, clock.now())).unwrap();
        // The server moved away.
        let mut account = store.account().unwrap().unwrap();
        account.server = "http://127.0.0.1:9".to_owned();
        store.put_account(Some(&account)).unwrap();
    }
    let out = a.sync();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let line = last_line(&out);
    assert!(line.contains("could not be reached") && line.contains("1 changes waiting"), "{line}");
    {
        let store = a.store();
        let mut account = store.account().unwrap().unwrap();
        account.server.clone_from(&rig.server.base);
        store.put_account(Some(&account)).unwrap();
    }
    assert!(a.synced().contains("sent 1"), "sent once the server is back");
    // Signed out: said so.
    a.store().put_account(None).unwrap();
    let out = a.sync();
    assert_eq!(out.status.code(), Some(2));
    assert!(last_line(&out).contains("not signed in"), "{}", last_line(&out));
}

#[test]
fn devices_are_listed_by_name_renamed_and_a_lost_one_signed_out_keeping_its_chats() {
    let rig = Rig::new();
    let (a, b) = (rig.device("ken"), rig.device("ken"));
    let a_id = a.store().device_id().0.to_string();
    let b_id = b.store().device_id().0.to_string();
    {
        let store = a.store();
        let mut clock = HlcClock::new(store.device_id());
        store.put_thread(&Thread::new(ThreadId::new(), "kept on the lost laptop".to_owned(), 0, clock.now())).unwrap();
    }
    let renamed = a.pakchat(&["account", "rename-device", "Ken's old laptop"], "");
    assert!(renamed.status.success(), "{}", text(&renamed));
    let code = code_in(&a.synced());
    assert!(b.pakchat(&["account", "join"], &code).status.success());
    b.synced();

    // B lists both: A by the name A gave itself, B marked as this device.
    let out = b.pakchat(&["account", "devices"], "");
    assert!(out.status.success(), "{}", text(&out));
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    let rows: Vec<Vec<&str>> = listed.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 2, "{listed}");
    let row_a = rows.iter().find(|r| r[0] == a_id).unwrap_or_else(|| panic!("A listed: {listed}"));
    assert_eq!(row_a[2], "Ken's old laptop", "{listed}");
    assert_eq!(row_a.len(), 3, "A is not this device: {listed}");
    let row_b = rows.iter().find(|r| r[0] == b_id).unwrap_or_else(|| panic!("B listed: {listed}"));
    assert_eq!(row_b.get(3), Some(&"this device"), "{listed}");

    // B cannot remove itself, nor a device that is not the account's.
    let out = b.pakchat(&["account", "remove-device", &b_id], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(last_line(&out).contains("sign out instead"), "{}", last_line(&out));
    let stranger = ThreadId::new().0.to_string();
    let out = b.pakchat(&["account", "remove-device", &stranger], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(last_line(&out).contains("has that id"), "{}", last_line(&out));

    // B signs the lost laptop out: A's next sync is refused, its chats stay.
    let out = b.pakchat(&["account", "remove-device", &a_id], "");
    assert!(out.status.success(), "{}", text(&out));
    let out = b.pakchat(&["account", "devices"], "");
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!listed.contains(&a_id) && listed.contains(&b_id), "{listed}");
    let out = a.sync();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(last_line(&out).contains("not signed in"), "{}", last_line(&out));
    let titles: Vec<_> = a.contents().into_values().map(|(t, _)| t).collect();
    assert_eq!(titles, ["kept on the lost laptop"]);
}

#[test]
fn api_keys_reach_the_other_device_only_once_the_user_syncs_them() {
    const KEY: &str = "sk-sync-canary-5d4c3b2a1f0e";
    let rig = Rig::new();
    let (a, b) = (rig.device("margaret"), rig.device("margaret"));
    {
        let store = a.store();
        store.put_api_key("openai", Some(KEY), HlcClock::new(store.device_id()).now()).unwrap();
    }
    let code = code_in(&a.synced());
    assert!(b.pakchat(&["account", "join"], &code).status.success());
    b.synced();
    assert!(b.store().api_key("openai").unwrap().is_none(), "off (the default), the key stays on A");

    // A turns it on: its key goes, and B has it after its next round.
    {
        let store = a.store();
        let stamp = Some(HlcClock::new(store.device_id()).now());
        store.put_settings(&Settings { sync_api_keys: Some(true), stamp, ..store.settings().unwrap() }).unwrap();
    }
    assert!(a.synced().contains("sent 2"), "the choice and the key");
    b.synced();
    {
        let store = b.store();
        assert_eq!(store.api_key("openai").unwrap().as_deref().map(String::as_str), Some(KEY));
        assert!(store.settings().unwrap().syncs_api_keys(), "the choice came along");
        // B removes the key: A loses it too.
        store.put_api_key("openai", None, HlcClock::new(store.device_id()).now()).unwrap();
    }
    b.synced();
    a.synced();
    assert!(a.store().api_key("openai").unwrap().is_none(), "removed on B, removed on A");

    // The server never held the key, nor the provider's name.
    let files = common::canary::files_under(rig.server.dir());
    for (path, bytes) in &files {
        for form in common::canary::forms(KEY) {
            assert!(!common::canary::contains(bytes, &form), "the key in {}", path.display());
        }
        assert!(!common::canary::contains(bytes, b"openai"), "the provider in {}", path.display());
    }
}

#[test]
fn a_reply_still_being_written_shows_its_text_so_far_on_the_other_device_then_its_end() {
    let rig = Rig::new();
    let (a, b) = (rig.device("ursula"), rig.device("ursula"));
    let thread = ThreadId::new();
    let code = code_in(&a.synced());
    assert!(b.pakchat(&["account", "join"], &code).status.success());
    let (reply, at) = {
        let store = a.store();
        let mut clock = HlcClock::new(store.device_id());
        store.put_thread(&Thread::new(thread, "Story".to_owned(), 0, clock.now())).unwrap();
        let mut reply = message(&mut clock, thread, None, "");
        reply.role = pakchat::domain::Role::Assistant;
        reply.status = pakchat::domain::MessageStatus::Streaming;
        let at = store.append_message(&reply).unwrap();
        for piece in ["Once ", "upon ", "a ", "time"] {
            store.append_to_reply(thread, at, piece, "").unwrap();
        }
        (reply, at)
    };
    let on_b = |b: &common::sync_rig::Device| {
        let store = b.store();
        match store.messages(thread, 0, 1).unwrap().pop() {
            Some(pakchat::store::MessageSlot::Ok(m)) => (m.content, m.status),
            other => panic!("B's reply: {other:?}"),
        }
    };
    a.synced();
    b.synced();
    assert_eq!(on_b(&b), ("Once upon a time".to_owned(), pakchat::domain::MessageStatus::Streaming));
    {
        let store = a.store();
        for piece in [",", " in", " a", " valley"] {
            store.append_to_reply(thread, at, piece, "").unwrap();
        }
    }
    a.synced();
    b.synced();
    assert_eq!(on_b(&b).0, "Once upon a time, in a valley", "the text so far, again");
    {
        let store = a.store();
        let mut clock = HlcClock::new(store.device_id());
        clock.observe(reply.stamp.hlc, 0);
        let done = pakchat::domain::Message {
            content: "Once upon a time, in a valley, the end.".to_owned(),
            status: pakchat::domain::MessageStatus::Done,
            stamp: clock.now(),
            ..reply
        };
        store.update_message(thread, at, &done).unwrap();
    }
    a.synced();
    b.synced();
    assert_eq!(
        on_b(&b),
        ("Once upon a time, in a valley, the end.".to_owned(), pakchat::domain::MessageStatus::Done),
        "the end replaces the text so far"
    );
}

#[test]
fn a_draft_follows_the_user_to_the_other_device_and_a_sent_message_clears_it_there() {
    let rig = Rig::new();
    let (a, b) = (rig.device("octavia"), rig.device("octavia"));
    let thread = ThreadId::new();
    let code = code_in(&a.synced());
    assert!(b.pakchat(&["account", "join"], &code).status.success());
    {
        let store = a.store();
        store.put_thread(&Thread::new(thread, "Letter".to_owned(), 0, HlcClock::new(store.device_id()).now())).unwrap();
        store.put_draft(thread, "Dear Ada, I started this on my laptop").unwrap();
    }
    a.synced();
    b.synced();
    let draft = |d: &common::sync_rig::Device| d.store().thread(thread).unwrap().unwrap().draft;
    assert_eq!(draft(&b), "Dear Ada, I started this on my laptop");
    // B goes on with it; A shows B's text.
    b.store().put_draft(thread, "Dear Ada, I started this on my laptop and finished it here").unwrap();
    b.synced();
    a.synced();
    assert_eq!(draft(&a), "Dear Ada, I started this on my laptop and finished it here");
    // B sends it (the draft is cleared): A's draft is gone too.
    b.store().put_draft(thread, "").unwrap();
    b.synced();
    a.synced();
    assert_eq!(draft(&a), "");
}

#[test]
fn a_chat_deleted_for_good_on_one_device_leaves_no_message_on_the_other() {
    let rig = Rig::new();
    let (a, b) = (rig.device("hedy"), rig.device("hedy"));
    let thread = ThreadId::new();
    {
        let store = a.store();
        let mut clock = HlcClock::new(store.device_id());
        store.put_thread(&Thread::new(thread, "Secret plans".to_owned(), 0, clock.now())).unwrap();
        store.append_message(&message(&mut clock, thread, None, "frequency hopping, first draft")).unwrap();
    }
    let code = code_in(&a.synced());
    assert!(b.pakchat(&["account", "join"], &code).status.success());
    b.synced();
    assert_eq!(b.store().message_count(thread).unwrap(), 1);
    // A deletes it; once that can no longer be undone, A purges it and
    // blanks the title (as the app does).
    {
        let store = a.store();
        let mut clock = HlcClock::new(store.device_id());
        let mut t = store.thread(thread).unwrap().unwrap();
        clock.observe(t.stamp.hlc, 0);
        t.deleted = true;
        t.stamp = clock.now();
        store.put_thread(&t).unwrap();
        store.purge_thread_content(thread).unwrap();
        t.title.clear();
        t.stamp = clock.now();
        store.put_thread(&t).unwrap();
    }
    a.synced();
    b.synced();
    let store = b.store();
    assert!(store.thread(thread).unwrap().unwrap().deleted);
    assert_eq!(store.message_count(thread).unwrap(), 0, "B keeps none of its messages");
}
