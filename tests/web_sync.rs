//! Signing in and syncing from the web build, in headless Chromium: the
//! page signs in to the server that hosts it by redirect through
//! oauth2-mock-server (the page leaves for the provider and comes back
//! with the code, then is unlocked again), joins the account with the
//! recovery code a desktop profile printed, and shows the desktop's chat —
//! a message the desktop sends later arrives live, without a reload, and
//! one typed in the page reaches the desktop.
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
    // The person: the same on the desktop and in the page.
    let who = serde_json::json!({ "sub": "grace", "email": "grace@example.org", "name": "Grace Hopper" });
    let r = reqwest::blocking::Client::new().post(format!("{}/_control/claims", rig.idp.base)).json(&who).send();
    assert_eq!(r.unwrap().status().as_u16(), 204);

    // The desktop: a chat, then sync turned on (its recovery code printed).
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
    browser.wait_for(
        "back from the provider, locked",
        Duration::from_secs(60),
        &live_is("Pak.Chat is locked: type your passphrase."),
    );
    let address = browser.run("return location.href").as_str().unwrap_or_default().to_owned();
    assert_eq!(address, format!("{}/", rig.server.base), "the code is off the address bar");
    std::thread::sleep(Duration::from_secs(1));
    browser.keys(&format!("{PASSPHRASE}\u{E007}"));
    let signed_in = format!("Signed in to {}.", rig.server.base);
    browser.wait_for("signed in", Duration::from_secs(30), &notice_is(&signed_in));
    step();
    keep(&browser, "web-sync-signed-in");
    assert_eq!(rig.server.users(), 1, "the same person as the desktop");

    // Turn on… → Settings → Account: the recovery code, Enter.
    browser.click(58, 455);
    step();
    keep(&browser, "web-sync-account");
    browser.click(470, 464); // Recovery code
    step();
    browser.keys(&format!("{code}\u{E007}"));
    step();
    keep(&browser, "web-sync-joining");
    browser.click(764, 74); // Done
    step();
    // The desktop's chat comes into the sidebar (under "Older") once the page
    // has joined and fetched: open it (clicked again until it is there).
    let heard = live_is("You: Meet at the harbour at nine");
    let shown = (0..30).any(|_| {
        browser.click(68, 161);
        std::thread::sleep(Duration::from_secs(1));
        browser.run(&heard).as_bool() == Some(true)
    });
    keep(&browser, "web-sync-chat");
    assert!(shown, "the desktop's message never showed in the page: {:?}", live(&browser));
    assert_eq!(browser.run("return document.title").as_str(), Some("Harbour plans — Pak.Chat"));

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
    assert_no_console_errors(&browser);
}
