//! Sync end to end: profiles on disk, the real server (in-process, over
//! SQLite) and the shell's `pakchat sync` / `pakchat account join` as a
//! person on a headless machine runs them. A canary typed on one device
//! arrives on the other and is in none of the server's files; offline
//! edits on both sides converge, concurrent renames the same way on both;
//! records a hostile server changed are skipped, never applied.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;

use pakchat::domain::{
    Account, AccountUser, HlcClock, Message, MessageId, Settings, ThemePreference, Thread, ThreadId,
};
use pakchat::store::{KeySource, MessageSlot, SealedStore, SledKv, Store as _, ThreadSlot};

const CLIENT: &str = "pakchat-sync-test";
const CANARY: &str = "canary-7f3a9-tangerine-lighthouse";

struct Rig {
    idp: common::peers::Server,
    server: common::server::LocalServer,
}

impl Rig {
    fn new() -> Self {
        let idp = common::peers::oidc_mock();
        let server = common::server::LocalServer::start(&idp.base, CLIENT);
        Self { idp, server }
    }

    /// A new profile signed in as `who` (a session made straight from an
    /// ID token: the sign-in itself is `tests/account.rs`'s).
    fn device(&self, who: &str) -> Device {
        let claims = serde_json::json!({ "sub": who, "email": format!("{who}@example.org") });
        let token =
            self.server.block_on(common::peers::session_token(&self.server.base, &self.idp.base, CLIENT, claims));
        let dir = tempfile::tempdir().unwrap();
        let device = Device { dir };
        let kv = Arc::new(SledKv::open(&device.profile()).unwrap());
        let store = SealedStore::create(kv, &KeySource::KeyFile(device.key()), Default::default()).unwrap();
        let user = AccountUser { name: who.to_owned(), email: format!("{who}@example.org"), picture: String::new() };
        let account = Account {
            server: self.server.base.clone(),
            token,
            expires_ms: i64::MAX,
            user,
            avatar: None,
            expired: false,
        };
        store.put_account(Some(&account)).unwrap();
        store.flush().unwrap();
        device
    }
}

struct Device {
    dir: tempfile::TempDir,
}

impl Device {
    fn profile(&self) -> PathBuf {
        self.dir.path().join("data/profiles/default")
    }

    fn key(&self) -> PathBuf {
        self.dir.path().join("key")
    }

    /// The profile, opened (close it before running `pakchat`).
    fn store(&self) -> SealedStore {
        let kv = Arc::new(SledKv::open_patiently(&self.profile(), std::time::Duration::from_secs(5)).unwrap());
        SealedStore::unlock(kv, &KeySource::KeyFile(self.key())).unwrap()
    }

    fn pakchat(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write as _;
        let data = self.dir.path().join("data");
        let key = self.key();
        let mut all = vec!["--data-dir", data.to_str().unwrap(), "--key-file", key.to_str().unwrap()];
        all.extend_from_slice(args);
        let mut child = Command::new(env!("CARGO_BIN_EXE_pakchat"))
            .args(&all)
            .env("PAKCHAT_LOG", "warn")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    fn sync(&self) -> Output {
        self.pakchat(&["sync"], "")
    }

    /// `pakchat sync`, which must succeed; its standard output.
    fn synced(&self) -> String {
        let out = self.sync();
        assert!(out.status.success(), "pakchat sync failed: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Every live thread's title and its messages' texts, by thread id.
    fn contents(&self) -> std::collections::BTreeMap<ThreadId, (String, std::collections::BTreeSet<String>)> {
        let store = self.store();
        let mut out = std::collections::BTreeMap::new();
        for slot in store.threads().unwrap() {
            let ThreadSlot::Ok(t) = slot else { panic!("an unreadable thread") };
            if t.deleted {
                continue;
            }
            let count = store.message_count(t.id).unwrap();
            let texts = store
                .messages(t.id, 0, usize::try_from(count).unwrap())
                .unwrap()
                .into_iter()
                .map(|m| match m {
                    MessageSlot::Ok(m) => m.content,
                    MessageSlot::Unreadable(u) => panic!("an unreadable message: {u:?}"),
                })
                .collect();
            out.insert(t.id, (t.title, texts));
        }
        out
    }
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn last_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default().to_owned()
}

fn message(clock: &mut HlcClock, thread: ThreadId, parent: Option<MessageId>, text: &str) -> Message {
    Message {
        id: MessageId::new(),
        thread_id: thread,
        parent_id: parent,
        role: pakchat::domain::Role::User,
        content: text.to_owned(),
        reasoning: String::new(),
        attachments: Vec::new(),
        model: None,
        status: pakchat::domain::MessageStatus::Done,
        failure: None,
        usage: None,
        created_ms: 0,
        stamp: clock.now(),
    }
}

/// The recovery code `pakchat sync` printed on the first device.
fn code_in(stdout: &str) -> String {
    let mut lines = stdout.lines().skip_while(|l| !l.contains("recovery code"));
    lines.nth(2).expect("the code two lines below the notice").trim().to_owned()
}

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
