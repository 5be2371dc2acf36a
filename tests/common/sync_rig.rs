//! Profiles on disk signed in to a real server (in-process, over SQLite),
//! and the shell's `pakchat sync` / `pakchat account join` run on them as a
//! person on a headless machine does: the sync tests' rig.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;

use pakchat::domain::{Account, AccountUser, HlcClock, Message, MessageId, ThreadId};
use pakchat::store::{KeySource, MessageSlot, SealedStore, SledKv, Store as _, ThreadSlot};

const CLIENT: &str = "pakchat-sync-test";

pub struct Rig {
    pub idp: super::peers::Server,
    pub server: super::server::LocalServer,
    /// The OAuth client id the server trusts.
    pub client: &'static str,
}

impl Rig {
    pub fn new() -> Self {
        let idp = super::peers::oidc_mock();
        let server = super::server::LocalServer::start(&idp.base, CLIENT);
        Self { idp, server, client: CLIENT }
    }

    /// The server also hosting the web app in `dist` (`--web-dir`).
    pub fn with_web(dist: &std::path::Path) -> Self {
        let idp = super::peers::oidc_mock();
        let client = super::web_page::CLIENT;
        let server = super::server::LocalServer::with_web(&idp.base, client, dist);
        Self { idp, server, client }
    }

    /// A new profile signed in as `who` (a session made straight from an
    /// ID token: the sign-in itself is `tests/account.rs`'s).
    pub fn device(&self, who: &str) -> Device {
        let dir = tempfile::tempdir().unwrap();
        let device = Device { dir };
        let kv = Arc::new(SledKv::open(&device.profile()).unwrap());
        let store = SealedStore::create(kv, &KeySource::KeyFile(device.key()), Default::default()).unwrap();
        let claims = serde_json::json!({ "sub": who, "email": format!("{who}@example.org") });
        let id = store.device_id().0.to_string();
        let token = self.server.block_on(super::peers::session_token_on(
            &self.server.base,
            &self.idp.base,
            self.client,
            claims,
            Some(&id),
        ));
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

pub struct Device {
    pub dir: tempfile::TempDir,
}

impl Device {
    pub fn profile(&self) -> PathBuf {
        self.dir.path().join("data/profiles/default")
    }

    pub fn key(&self) -> PathBuf {
        self.dir.path().join("key")
    }

    /// The profile, opened (close it before running `pakchat`).
    pub fn store(&self) -> SealedStore {
        let kv = Arc::new(SledKv::open_patiently(&self.profile(), std::time::Duration::from_secs(5)).unwrap());
        SealedStore::unlock(kv, &KeySource::KeyFile(self.key())).unwrap()
    }

    pub fn pakchat(&self, args: &[&str], input: &str) -> Output {
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

    pub fn sync(&self) -> Output {
        self.pakchat(&["sync"], "")
    }

    /// `pakchat sync`, which must succeed; its standard output.
    pub fn synced(&self) -> String {
        let out = self.sync();
        assert!(out.status.success(), "pakchat sync failed: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Every live thread's title and its messages' texts, by thread id.
    pub fn contents(&self) -> std::collections::BTreeMap<ThreadId, (String, std::collections::BTreeSet<String>)> {
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

pub fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

pub fn last_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default().to_owned()
}

pub fn message(clock: &mut HlcClock, thread: ThreadId, parent: Option<MessageId>, text: &str) -> Message {
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
pub fn code_in(stdout: &str) -> String {
    let mut lines = stdout.lines().skip_while(|l| !l.contains("recovery code"));
    lines.nth(2).expect("the code two lines below the notice").trim().to_owned()
}
