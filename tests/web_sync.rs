//! Signing in and syncing from the web build, in headless Chromium: the
//! page signs in to the server that hosts it by redirect through
//! oauth2-mock-server (the page leaves for the provider and comes back
//! with the code, then is unlocked again), joins the account with the
//! recovery code a desktop profile printed, and shows the desktop's chat —
//! a message the desktop sends later arrives live, without a reload, and
//! one typed in the page reaches the desktop. A share link made on the
//! desktop (`pakchat share`) opens in a fresh browser without an account,
//! refuses a damaged key, and says so once revoked. A page hosted on one
//! origin uses a server on another only when that server allows the
//! page's origin (CORS): refused with words that say so, then signed in
//! and syncing once allowed.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::sync_rig::{Rig, code_in, message};
use common::web_page::{PASSPHRASE, STARTED, assert_no_console_errors, create_profile, dist, keep, live, live_is};
use common::webdriver::Browser;
use pakchat::domain::{HlcClock, Thread, ThreadId};
use pakchat::store::Store as _;

/// A script: whether the page's notice region (the newest banner) says `text`.
fn notice_is(text: &str) -> String {
    format!("return document.getElementById('pakchat-notice').textContent === {text:?}")
}

#[test]
fn the_page_signs_in_by_redirect_joins_with_the_recovery_code_and_shows_the_desktops_messages_live() {
    let rig = Rig::with_web(&dist());
    // The desktop: a chat, then sync turned on (its recovery code printed).
    let (desktop, code, thread, first) = desktop_with_a_chat(&rig);

    let browser = Browser::start(1000, 700);
    browser.open(&format!("{}/", rig.server.base));
    browser.wait_for("the app to start", Duration::from_secs(60), STARTED);
    create_profile(&browser);
    keep(&browser, "web-sync-fresh");
    let step = || std::thread::sleep(Duration::from_millis(600));

    // "Sign in with Google" at the foot of the sidebar: the page's own
    // server, no address to type. The page leaves for the provider (which
    // answers at once) and comes back locked.
    browser.click(94, 454);
    back_signed_in(&browser, &rig.server.base, &rig.server.base);
    step();
    keep(&browser, "web-sync-signed-in");
    assert_eq!(rig.server.users(), 1, "the same person as the desktop");

    join_and_open(&browser, &code, "You: Meet at the harbour at nine");

    // The desktop writes again and syncs: the open page hears it live.
    {
        let store = desktop.store();
        let mut clock = HlcClock::new(store.device_id());
        store.append_message(&message(&mut clock, thread, Some(first.id), "Bring the charts")).unwrap();
        store.flush().unwrap();
    }
    desktop.synced();
    browser.wait_for("the desktop's second message, live", Duration::from_secs(30), &live_is("You: Bring the charts"));
    keep(&browser, "web-sync-live");

    // And back: a message typed in the page reaches the desktop.
    browser.click(600, 470); // the composer
    step();
    browser.keys("On my way\u{E007}");
    browser.wait_for("the page's message stored", Duration::from_secs(20), &live_is("You: On my way"));
    let arrived = (0..20).any(|_| {
        std::thread::sleep(Duration::from_millis(500));
        desktop.synced();
        desktop.contents().get(&thread).is_some_and(|(_, texts)| texts.contains("On my way"))
    });
    assert!(arrived, "the page's message never reached the desktop: {:?}", desktop.contents());

    // Settings → Data → Sign out and forget this browser: the server ends
    // the page's session (the desktop's list of devices loses it) and the
    // page starts afresh.
    let devices = || {
        let out = desktop.pakchat(&["account", "devices"], "");
        String::from_utf8_lossy(&out.stdout).lines().count()
    };
    assert_eq!(devices(), 2, "the desktop and the page");
    browser.click(55, 486); // Settings
    step();
    browser.click(690, 74); // Data
    step();
    browser.wheel(500, 400, 600); // to the end of the tab
    step();
    keep(&browser, "web-sync-forget");
    browser.click(FORGET.0, FORGET.1); // Sign out and forget this browser…
    step();
    browser.click(DELETE.0, DELETE.1); // Delete everything
    browser.wait_for(
        "the setup screen again",
        Duration::from_secs(30),
        &live_is("Welcome: set up your private chat history."),
    );
    assert_eq!(devices(), 1, "the page's session ended at the server");
    assert_no_console_errors(&browser);
}

/// Where Settings → Data shows "Sign out and forget this browser…", and
/// then "Delete everything", in a 1000 × 700 window.
const FORGET: (u32, u32) = (330, 516);
const DELETE: (u32, u32) = (547, 516);

#[test]
fn a_share_link_opens_in_a_fresh_browser_without_an_account_and_says_so_once_revoked() {
    let rig = Rig::with_web(&dist());
    let desktop = rig.device("ada");
    let thread = ThreadId::new();
    {
        let store = desktop.store();
        let mut clock = HlcClock::new(store.device_id());
        store.put_thread(&Thread::new(thread, "Harbour plans".to_owned(), 0, clock.now())).unwrap();
        let first = message(&mut clock, thread, None, "Meet at the harbour at nine");
        store.append_message(&first).unwrap();
        let mut reply = message(&mut clock, thread, Some(first.id), "**Bring** the charts\n\n- a map\n- a torch");
        reply.role = pakchat::domain::Role::Assistant;
        reply.model = Some("gpt-4o-mini".to_owned());
        store.append_message(&reply).unwrap();
        store.flush().unwrap();
    }
    let out = desktop.pakchat(&["share", "Harbour plans", "--days", "7"], "");
    assert!(out.status.success(), "{}", common::sync_rig::text(&out));
    let link = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(link.starts_with(&format!("{}/#share=", rig.server.base)), "{link}");
    // The server holds the copy sealed: no file of it has the words.
    for (path, bytes) in common::canary::files_under(rig.server.dir()) {
        for form in common::canary::forms("Meet at the harbour at nine") {
            assert!(!common::canary::contains(&bytes, &form), "the chat readable in {}", path.display());
        }
    }

    // A browser that never saw Pak.Chat: no profile, no account.
    let browser = Browser::start(1000, 700);
    browser.open(&link);
    let shown = "Shared chat “Harbour plans” (2 messages, read-only). Last message — gpt-4o-mini: **Bring** the \
                 charts\n\n- a map\n- a torch";
    browser.wait_for("the shared chat", Duration::from_secs(60), &live_is(shown));
    assert_eq!(browser.run("return document.title").as_str(), Some("Harbour plans — shared on Pak.Chat"));
    std::thread::sleep(Duration::from_secs(1));
    keep(&browser, "web-share-open");
    let databases = browser.run_async("indexedDB.databases().then(d => arguments[0](d.length))");
    assert_eq!(databases.as_i64(), Some(0), "opening a link made no profile in this browser");

    // The same link with its key changed does not open the copy. (Only the
    // fragment changes, which loads nothing by itself: the page reloads.)
    let (head, key) = link.rsplit_once('.').unwrap();
    let other = if key.starts_with('A') { "B" } else { "A" };
    browser.open(&format!("{head}.{other}{}", &key[1..]));
    let damaged = "This link's key does not open what the server sent: the link is damaged or the copy was changed.";
    browser.wait_for("the damaged link refused", Duration::from_secs(60), &live_is(damaged));

    // Listed on the desktop, revoked there: the link says so.
    let listed = desktop.pakchat(&["share", "--list"], "");
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    let id = link.split_once("#share=").unwrap().1.split_once('.').unwrap().0;
    assert_eq!(listed.trim(), format!("{id}\topen\tHarbour plans\t{link}"));
    let out = desktop.pakchat(&["share", "--revoke", id], "");
    assert!(out.status.success(), "{}", common::sync_rig::text(&out));
    browser.open(&link);
    browser.wait_for(
        "the revoked link",
        Duration::from_secs(60),
        &live_is("This link was revoked by the person who shared it."),
    );
    keep(&browser, "web-share-revoked");
    let listed = desktop.pakchat(&["share", "--list"], "");
    assert!(String::from_utf8_lossy(&listed.stdout).contains(&format!("{id}\trevoked\t")));
    // The browser's own line for the 410 answer is the only console error.
    let errors: Vec<_> = browser
        .console()
        .into_iter()
        .filter(|(level, text)| level == "SEVERE" && !text.contains("status of 410"))
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

/// Back from the provider (which answers at once) on the page at `page`,
/// locked, the code already off the address bar: the passphrase, then the
/// page says it is signed in to `server`.
fn back_signed_in(browser: &Browser, page: &str, server: &str) {
    browser.wait_for(
        "back from the provider, locked",
        Duration::from_secs(60),
        &live_is("Pak.Chat is locked: type your passphrase."),
    );
    let address = browser.run("return location.href").as_str().unwrap_or_default().to_owned();
    assert_eq!(address, format!("{page}/"), "the code is off the address bar");
    std::thread::sleep(Duration::from_secs(1));
    browser.keys(&format!("{PASSPHRASE}\u{E007}"));
    let signed_in = format!("Signed in to {server}.");
    browser.wait_for("signed in", Duration::from_secs(30), &notice_is(&signed_in));
}

/// Signed in, sync off: the footer's "Turn on…" → Settings → Account, the
/// recovery code and Enter, Done; then the desktop's chat, once it is
/// fetched, opened from the sidebar until the page says `heard`.
fn join_and_open(browser: &Browser, code: &str, heard: &str) {
    let step = || std::thread::sleep(Duration::from_millis(600));
    browser.click(58, 455); // Turn on…
    step();
    keep(browser, "web-sync-account");
    browser.click(470, 464); // Recovery code
    step();
    browser.keys(&format!("{code}\u{E007}"));
    step();
    keep(browser, "web-sync-joining");
    browser.click(764, 74); // Done
    step();
    // The desktop's chat comes into the sidebar (under "Older") once the
    // page has joined and fetched: open it (clicked again until it is there).
    let shown = (0..30).any(|_| {
        browser.click(68, 161);
        std::thread::sleep(Duration::from_secs(1));
        browser.run(&live_is(heard)).as_bool() == Some(true)
    });
    keep(browser, "web-sync-chat");
    assert!(shown, "the desktop's message never showed in the page: {:?}", live(browser));
    assert_eq!(browser.run("return document.title").as_str(), Some("Harbour plans — Pak.Chat"));
}

/// A desktop profile of Grace (the page's person too) on `rig`'s server
/// with the chat "Harbour plans", sync turned on: the profile, the
/// recovery code it printed, the chat and its first message.
fn desktop_with_a_chat(rig: &Rig) -> (common::sync_rig::Device, String, ThreadId, pakchat::domain::Message) {
    let who = serde_json::json!({ "sub": "grace", "email": "grace@example.org", "name": "Grace Hopper" });
    let r = reqwest::blocking::Client::new().post(format!("{}/_control/claims", rig.idp.base)).json(&who).send();
    assert_eq!(r.unwrap().status().as_u16(), 204);
    let desktop = rig.device("grace");
    let thread = ThreadId::new();
    let first = {
        let store = desktop.store();
        let mut clock = HlcClock::new(store.device_id());
        store.put_thread(&Thread::new(thread, "Harbour plans".to_owned(), 0, clock.now())).unwrap();
        let first = message(&mut clock, thread, None, "Meet at the harbour at nine");
        store.append_message(&first).unwrap();
        store.flush().unwrap();
        first
    };
    let code = code_in(&desktop.synced());
    (desktop, code, thread, first)
}

#[test]
fn a_page_on_another_origin_syncs_with_a_server_that_allows_it_and_is_told_why_not_by_one_that_does_not() {
    let idp = common::peers::oidc_mock();
    let client = common::web_page::CLIENT;
    let page = common::server::LocalServer::with_web(&idp.base, client, &dist());
    let closed = common::server::LocalServer::start(&idp.base, client);
    let allowing = common::server::LocalServer::with_origins(&idp.base, client, vec![page.base.clone()]);
    let rig = Rig { idp, server: allowing, client };
    let (_desktop, code, _, _) = desktop_with_a_chat(&rig);

    let browser = Browser::start(1000, 700);
    browser.open(&format!("{}/", page.base));
    browser.wait_for("the app to start", Duration::from_secs(60), STARTED);
    create_profile(&browser);
    let step = || std::thread::sleep(Duration::from_millis(600));
    // Settings → Account: a server that does not allow this page's origin.
    browser.click(55, 486); // Settings
    step();
    browser.click(617, 74); // Account
    step();
    keep(&browser, "web-cors-account");
    browser.click(SERVER.0, SERVER.1);
    step();
    browser.keys(&closed.base);
    step();
    keep(&browser, "web-cors-server");
    browser.click(SIGN_IN.0, SIGN_IN.1);
    browser.wait_for(
        "the refusal",
        Duration::from_secs(30),
        "return document.getElementById('pakchat-notice').textContent.includes('CORS')",
    );
    let said = browser.run("return document.getElementById('pakchat-notice').textContent");
    let said = said.as_str().unwrap_or_default();
    assert!(said.starts_with("Sign-in failed: ") && said.contains(&closed.base), "{said}");
    keep(&browser, "web-cors-refused");

    // The one that allows it: signed in by redirect, joined, syncing.
    browser.click(SERVER.0, SERVER.1);
    step();
    browser.chord('\u{E009}', 'a');
    browser.keys(&rig.server.base);
    step();
    browser.click(SIGN_IN.0, SIGN_IN.1);
    back_signed_in(&browser, &page.base, &rig.server.base);
    step();
    join_and_open(&browser, &code, "You: Meet at the harbour at nine");
    // The page's requests failed before, by design (the first server); since then none.
    let errors: Vec<_> = browser
        .console()
        .into_iter()
        .filter(|(level, text)| level == "SEVERE" && !text.contains(&closed.base))
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}

/// Where Settings → Account (signed out, opened from the sidebar on a new
/// profile) shows the server's field and "Sign in with Google", in a
/// 1000 × 700 window.
const SERVER: (u32, u32) = (420, 208);
const SIGN_IN: (u32, u32) = (285, 246);
