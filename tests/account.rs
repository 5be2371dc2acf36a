//! Signing in end to end, as a headless user does it: `pakchat account
//! sign-in` opens "the browser" (`$BROWSER`: a script that follows the
//! redirects like a browser would), oauth2-mock-server authenticates with
//! PKCE, the loopback takes the code, the server verifies the ID token and
//! keeps the user; then status, a renamed user, sign-out, a session revoked
//! by the server, a replayed `state` and a wrong PKCE verifier.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use pakchat::store::{KeySource, SealedStore, SledKv, Store as _};
use serde_json::json;

const CLIENT: &str = "pakchat-desktop-test";

/// "The browser": `tests/peers/browser.py`.
fn browser() -> std::path::PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/browser.py")).to_owned()
}

struct Rig {
    dir: tempfile::TempDir,
    server: String,
    local: common::server::LocalServer,
    idp: common::peers::Server,
}

impl Rig {
    fn new() -> Self {
        let idp = common::peers::oidc_mock();
        let local = common::server::LocalServer::start(&idp.base, CLIENT);
        let dir = tempfile::tempdir().unwrap();
        // A profile to sign in from.
        let profile = dir.path().join("data/profiles/default");
        let kv = Arc::new(SledKv::open(&profile).unwrap());
        drop(SealedStore::create(kv, &KeySource::KeyFile(dir.path().join("key")), Default::default()).unwrap());
        Self { dir, server: local.base.clone(), local, idp }
    }

    fn pakchat(&self, args: &[&str], mode: &str) -> Output {
        self.pakchat_logging(args, mode, "warn")
    }

    fn pakchat_logging(&self, args: &[&str], mode: &str, log: &str) -> Output {
        let data = self.dir.path().join("data");
        let key = self.dir.path().join("key");
        let mut all = vec!["--data-dir", data.to_str().unwrap(), "--key-file", key.to_str().unwrap()];
        all.extend_from_slice(args);
        Command::new(env!("CARGO_BIN_EXE_pakchat"))
            .args(&all)
            .env("BROWSER", browser())
            .env("OPENER_MODE", mode)
            .env("OPENER_LOG", self.dir.path().join("browser.log"))
            .env("PAKCHAT_OIDC_CLIENT_ID", CLIENT)
            .env("PAKCHAT_LOG", log)
            .output()
            .unwrap()
    }

    /// `pakchat ARGS…` with `input` on standard input.
    fn pakchat_with_input(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write as _;
        let data = self.dir.path().join("data");
        let key = self.dir.path().join("key");
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

    fn sync_key(&self) -> Option<[u8; 32]> {
        let kv = Arc::new(SledKv::open(&self.dir.path().join("data/profiles/default")).unwrap());
        let store = SealedStore::unlock(kv, &KeySource::KeyFile(self.dir.path().join("key"))).unwrap();
        store.sync_key().unwrap().map(|(_, k)| *k)
    }

    fn sign_in(&self, mode: &str) -> Output {
        self.pakchat(&["account", "sign-in", "--server", &self.server], mode)
    }

    fn browser_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("browser.log")).unwrap_or_default()
    }

    fn stored_account(&self) -> Option<pakchat::domain::Account> {
        let kv = Arc::new(SledKv::open(&self.dir.path().join("data/profiles/default")).unwrap());
        let store = SealedStore::unlock(kv, &KeySource::KeyFile(self.dir.path().join("key"))).unwrap();
        store.account().unwrap()
    }

    fn users(&self) -> i64 {
        self.local.users()
    }

    fn claims(&self, claims: &serde_json::Value) {
        let r = reqwest::blocking::Client::new().post(format!("{}/_control/claims", self.idp.base)).json(claims).send();
        assert_eq!(r.unwrap().status().as_u16(), 204);
    }

    fn me(&self, token: &str) -> u16 {
        let r = reqwest::blocking::Client::new().get(format!("{}/v1/me", self.server)).bearer_auth(token).send();
        r.unwrap().status().as_u16()
    }
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn signing_in_from_a_shell_keeps_the_user_and_a_sealed_session() {
    let rig = Rig::new();
    let out = rig.sign_in("follow");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(stdout(&out), format!("signed in to {} as Ada Lovelace <ada@example.com>", rig.server));
    assert!(rig.browser_log().contains("Pak.Chat has your sign-in"), "{}", rig.browser_log());
    assert!(text(&out).contains("/authorize?"), "the address is shown in case no browser opens");
    assert_eq!(rig.users(), 1);

    let account = rig.stored_account().expect("an account");
    // The server knows this device by the profile's device id.
    let devices: serde_json::Value = reqwest::blocking::Client::new()
        .get(format!("{}/v1/devices", rig.server))
        .bearer_auth(&account.token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(devices["devices"][0]["current"], true, "{devices}");
    assert_eq!(devices["devices"][0]["id"].as_str().map(str::len), Some(36), "a UUID: {devices}");
    assert_eq!(account.user.name, "Ada Lovelace");
    assert!(account.avatar.is_some(), "the picture was fetched and kept");
    assert_eq!(rig.me(&account.token), 200);
    // The session token is sealed: in no file of the profile, in no encoding.
    for (path, bytes) in common::canary::files_under(&rig.dir.path().join("data")) {
        for form in common::canary::forms(&account.token) {
            assert!(!bytes.windows(form.len()).any(|w| w == form), "the token is readable in {}", path.display());
        }
    }
    let out = rig.pakchat(&["account", "status"], "follow");
    assert!(stdout(&out).starts_with(&format!("signed in to {} as Ada Lovelace", rig.server)), "{}", text(&out));
    // This server's sessions last an hour, well within the week before
    // their end: status swapped it for a fresh one and the old one ended.
    let rotated = rig.stored_account().unwrap();
    assert_ne!(rotated.token, account.token, "rotated near its end");
    assert_eq!((rig.me(&account.token), rig.me(&rotated.token)), (401, 200));

    // Signing in again with a new name updates the one user record.
    rig.claims(&json!({ "name": "Ada King" }));
    let out = rig.sign_in("follow");
    assert!(stdout(&out).ends_with("as Ada King <ada@example.com>"), "{}", text(&out));
    assert_eq!(rig.users(), 1, "the same person");
    let renewed = rig.stored_account().unwrap();
    assert_eq!(rig.me(&renewed.token), 200);

    // Sign out: here and at the server.
    let out = rig.pakchat(&["account", "sign-out"], "follow");
    assert_eq!(stdout(&out), format!("signed out of {}", rig.server), "{}", text(&out));
    assert_eq!(rig.me(&renewed.token), 401, "the server ended the session");
    assert!(rig.stored_account().is_none());
    assert_eq!(stdout(&rig.pakchat(&["account", "status"], "follow")), "not signed in");
}

#[test]
fn a_session_the_server_ends_shows_as_signed_out_and_nothing_local_is_lost() {
    let rig = Rig::new();
    let archive = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/format2/expected.json"));
    let out = rig.pakchat(&["import", archive.to_str().unwrap()], "follow");
    assert!(out.status.success(), "{}", text(&out));
    let before = stdout(&rig.pakchat(&["stats"], "follow"));
    assert!(rig.sign_in("follow").status.success());
    let token = rig.stored_account().unwrap().token;
    // Revoked elsewhere (another device signed this session out).
    let r = reqwest::blocking::Client::new().delete(format!("{}/v1/session", rig.server)).bearer_auth(&token).send();
    assert_eq!(r.unwrap().status().as_u16(), 204);

    let out = rig.pakchat(&["account", "status"], "follow");
    assert_eq!(
        stdout(&out),
        format!("signed out by {} (session expired or revoked): sign in again", rig.server),
        "{}",
        text(&out)
    );
    let kept = rig.stored_account().unwrap();
    assert!(kept.expired, "remembered, so the app can say so without asking again");
    let after = stdout(&rig.pakchat(&["stats"], "follow"));
    let without_size = |s: &str| s.lines().filter(|l| !l.starts_with("bytes on disk")).collect::<Vec<_>>().join("\n");
    assert_eq!(without_size(&after), without_size(&before), "every chat is still there");
    // Signing in again works from that state.
    assert!(rig.sign_in("follow").status.success());
    assert!(!rig.stored_account().unwrap().expired);
}

#[test]
fn a_replayed_state_is_refused_and_the_real_sign_in_goes_on() {
    let rig = Rig::new();
    let out = rig.sign_in("replay");
    assert!(rig.browser_log().contains("replay refused 400"), "{}", rig.browser_log());
    assert!(out.status.success(), "the genuine answer still signs in: {}", text(&out));
    assert_eq!(rig.users(), 1);
}

#[test]
fn a_wrong_pkce_verifier_fails_the_sign_in_and_stores_nothing() {
    let rig = Rig::new();
    let out = rig.sign_in("tamper");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let last = String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default().to_owned();
    assert!(last.contains("the identity provider refused the sign-in"), "{last}");
    assert!(rig.stored_account().is_none());
    assert_eq!(rig.users(), 0, "the server never saw a token");
}

#[test]
fn a_server_that_is_not_there_is_one_clear_line() {
    let rig = Rig::new();
    let out = rig.pakchat(&["account", "sign-in", "--server", "http://127.0.0.1:9"], "follow");
    assert_eq!(out.status.code(), Some(2));
    let last = String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default().to_owned();
    assert!(last.contains("http://127.0.0.1:9 could not be reached"), "{last}");
    let out = rig.pakchat(&["account", "sign-in", "--server", "ftp://x"], "follow");
    assert!(text(&out).contains("is not a server address"), "{}", text(&out));
}

#[test]
fn no_log_line_holds_the_session_token_even_at_trace() {
    let rig = Rig::new();
    let out = rig.pakchat_logging(&["account", "sign-in", "--server", &rig.server], "follow", "trace");
    assert!(out.status.success(), "{}", text(&out));
    let token = rig.stored_account().unwrap().token;
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.lines().count() > 5, "trace logging was on: {log}");
    for form in common::canary::forms(&token) {
        let form = String::from_utf8_lossy(&form).into_owned();
        assert!(!log.contains(&form), "the session token is in the log");
    }
    let out = rig.pakchat_logging(&["account", "status"], "follow", "trace");
    let rotated = rig.stored_account().unwrap().token;
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!log.contains(&token) && !log.contains(&rotated), "no token in the log of status");
}

#[test]
fn a_kiosk_guest_cannot_sign_in() {
    use pakchat::backend::{AccountView, BackendConfig, Command, Event, Runtime, StoreLocation, start};
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = BackendConfig {
        location: StoreLocation::Memory,
        key_file: None,
        argon2: pakchat::backend::Argon2Params { m_cost_kib: 1024, t_cost: 1, p_cost: 1 },
        use_keychain: false,
        retry: pakchat::providers::RetryPolicy::default(),
        picker: pakchat::backend::FilePicker::Scripted(Vec::new()),
        lockdown: pakchat::backend::Lockdown { guest: true, ..Default::default() },
        browser: Some(dir.path().join("no-browser").display().to_string()),
    };
    let (backend, _stopped) = start(&Runtime::new(rt.handle().clone()), config, || {});
    assert!(backend.send(Command::SignIn { server: "http://127.0.0.1:9".to_owned() }));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match backend.try_recv() {
            Some(Event::Error { message, .. }) => {
                assert_eq!(message, "Signing in is not available here.");
                break;
            }
            Some(Event::Account(view @ (AccountView::SigningIn { .. } | AccountView::SignedIn { .. }))) => {
                panic!("a guest started signing in: {view:?}")
            }
            Some(_) => {}
            None => {
                assert!(std::time::Instant::now() < deadline, "no answer");
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
    }
}

#[test]
fn a_second_click_replaces_the_first_sign_in_quietly_and_cancel_ends_it() {
    use pakchat::backend::{AccountView, BackendConfig, Command, Event, Runtime, StoreLocation, start};
    let idp = common::peers::oidc_mock();
    let local = common::server::LocalServer::start(&idp.base, CLIENT);
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = BackendConfig {
        location: StoreLocation::Directory(dir.path().join("profile")),
        key_file: Some(dir.path().join("key")),
        argon2: pakchat::backend::Argon2Params { m_cost_kib: 1024, t_cost: 1, p_cost: 1 },
        use_keychain: false,
        retry: pakchat::providers::RetryPolicy::default(),
        picker: pakchat::backend::FilePicker::Scripted(Vec::new()),
        lockdown: pakchat::backend::Lockdown::default(),
        // A browser that opens and never comes back.
        browser: Some("true".to_owned()),
    };
    let (backend, _stopped) = start(&Runtime::new(rt.handle().clone()), config, || {});
    let mut seen = Vec::new();
    let wait_for = |what: &str, done: &dyn Fn(&Event) -> bool, seen: &mut Vec<Event>| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            match backend.try_recv() {
                Some(e) if done(&e) => return,
                Some(e) => seen.push(e),
                None => {
                    assert!(std::time::Instant::now() < deadline, "no {what}");
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            }
        }
    };
    let at_browser = |e: &Event| matches!(e, Event::Account(AccountView::SigningIn { url: Some(_), .. }));
    wait_for("the start", &|e| matches!(e, Event::Account(AccountView::SignedOut)), &mut seen);
    assert!(backend.send(Command::SignIn { server: local.base.clone() }));
    wait_for("the first sign-in at the browser", &at_browser, &mut seen);
    assert!(backend.send(Command::SignIn { server: local.base.clone() }));
    wait_for("the second sign-in at the browser", &at_browser, &mut seen);
    std::thread::sleep(std::time::Duration::from_millis(500));
    while let Some(e) = backend.try_recv() {
        seen.push(e);
    }
    let quiet = seen
        .iter()
        .all(|e| !matches!(e, Event::Account(AccountView::SignedOut) | Event::Status { .. } | Event::Error { .. }));
    assert!(quiet, "the replaced sign-in said something: {seen:?}");
    assert!(backend.send(Command::CancelSignIn));
    let cancelled = |e: &Event| matches!(e, Event::Status { message: Some(m) } if m == "Sign-in cancelled.");
    wait_for("the cancel", &cancelled, &mut seen);
    assert!(seen.iter().any(|e| matches!(e, Event::Account(AccountView::SignedOut))), "shown signed out again");
}

#[test]
fn a_device_joins_with_the_recovery_code_and_a_wrong_one_writes_nothing() {
    let rig = Rig::new();
    let last_line = |out: &Output| String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default().to_owned();
    let code_file = rig.dir.path().join("code.txt");
    let join = || rig.pakchat(&["account", "join", "--recovery-code-file", code_file.to_str().unwrap()], "follow");

    std::fs::write(&code_file, "0123-4567-89AB-CDEF-GHJK-MNPQ\n").unwrap();
    let out = join();
    assert_eq!(out.status.code(), Some(2));
    assert!(last_line(&out).contains("not signed in"), "{}", last_line(&out));

    assert!(rig.sign_in("follow").status.success());
    let out = join();
    assert_eq!(out.status.code(), Some(2));
    assert!(last_line(&out).contains("has no key yet"), "{}", last_line(&out));

    // Another device of the same person makes the account key first.
    let token = rig.stored_account().unwrap().token;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let first = pakchat_sync::Server::new(&rig.server, &token).unwrap();
    let cheap = pakchat_sync::KdfParams { m_cost_kib: 1024, t_cost: 1, p_cost: 1 };
    let (key, _, code) = runtime.block_on(pakchat_sync::create_account_key(&first, cheap)).unwrap();

    // A wrong code, a malformed one: said, and nothing kept.
    std::fs::write(&code_file, "0123-4567-89AB-CDEF-GHJK-MNPQ\n").unwrap();
    let out = join();
    assert_eq!(out.status.code(), Some(2));
    assert!(last_line(&out).contains("that recovery code does not unlock this account"), "{}", last_line(&out));
    std::fs::write(&code_file, "not a code").unwrap();
    let out = join();
    assert_eq!(out.status.code(), Some(2));
    assert!(last_line(&out).contains("a recovery code is 24 letters and digits"), "{}", last_line(&out));
    assert!(rig.sync_key().is_none(), "nothing written");

    // The right one, on standard input as a person would paste it.
    let out = rig.pakchat_with_input(&["account", "join"], &format!("\n  {}  \n", code.display().to_lowercase()));
    assert!(out.status.success(), "{}", text(&out));
    assert!(stdout(&out).starts_with("joined: this device holds the account's key"), "{}", stdout(&out));
    assert_eq!(rig.sync_key(), Some(*key.as_bytes()));
    // The key is sealed like everything else: in no file of the profile.
    for (path, bytes) in common::canary::files_under(&rig.dir.path().join("data")) {
        assert!(!bytes.windows(32).any(|w| w == key.as_bytes()), "the raw key is in {}", path.display());
    }
}

/// A page's sign-in by redirect (`account::redirect`), driven as a
/// browser would: the authorization address is followed once, and the
/// provider's redirect back to the page is the answer `finish` reads.
#[test]
fn a_page_signs_in_by_redirect_and_a_forged_or_reused_answer_is_refused() {
    use pakchat::backend::account::{AccountError, redirect};
    let rig = Rig::new();
    let page = format!("{}/", rig.server);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let (pending, url) = rig.local.block_on(redirect::begin(&http, &rig.server, &page, None)).unwrap();
    let asked: std::collections::HashMap<String, String> =
        url::Url::parse(&url).unwrap().query_pairs().into_owned().collect();
    assert_eq!(asked["code_challenge_method"], "S256");
    assert_eq!(asked["redirect_uri"], page);
    assert_eq!(asked["client_id"], CLIENT, "the client id the server names");
    assert_ne!(asked["code_challenge"], pending.verifier, "the verifier itself never leaves");
    // The provider sends the page back to its own address with the code.
    let back = rig.local.block_on(http.get(&url).send()).unwrap();
    let location = back.headers()["location"].to_str().unwrap().to_owned();
    let answer = location.strip_prefix(&format!("{page}?")).unwrap_or_else(|| panic!("back to the page: {location}"));
    assert!(redirect::is_answer(answer), "{answer}");

    // An answer carrying another state (a forged link) is refused, and
    // the real code is still good afterwards.
    let forged: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(url::form_urlencoded::parse(answer.as_bytes()).map(|(k, v)| {
            if k == "state" { (k.into_owned(), "someone-elses".to_owned()) } else { (k.into_owned(), v.into_owned()) }
        }))
        .finish();
    let refused = rig.local.block_on(redirect::finish(&http, &pending, &forged, None, None)).unwrap_err();
    assert!(refused.to_string().contains("another sign-in"), "{refused}");
    assert_eq!(rig.users(), 0);

    let account = rig.local.block_on(redirect::finish(&http, &pending, answer, None, Some("web-device"))).unwrap();
    assert_eq!((account.user.name.as_str(), account.user.email.as_str()), ("Ada Lovelace", "ada@example.com"));
    assert_eq!(account.server, rig.server);
    assert_eq!(rig.me(&account.token), 200);
    assert_eq!(rig.users(), 1);

    // The same answer again (a reload, a replay): the provider refuses the
    // used code (the mock in its words: it no longer knows its challenge).
    let again = rig.local.block_on(redirect::finish(&http, &pending, answer, None, None)).unwrap_err();
    let refused_by_provider = |e: &AccountError| matches!(e, AccountError::Refused(why) if why.starts_with("the identity provider refused the sign-in: "));
    assert!(refused_by_provider(&again), "{again}");
    // And the provider's own refusal (the user said no) reaches the user.
    let denied = format!("state={}&error=access_denied&error_description=The+user+said+no", pending.state);
    let said = rig.local.block_on(redirect::finish(&http, &pending, &denied, None, None)).unwrap_err();
    assert_eq!(said.to_string(), "the identity provider said: access_denied (The user said no)");
}
