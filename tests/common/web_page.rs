//! The web app in headless Chromium, as the browser tests drive it: the
//! bundle `scripts/web.sh` built, a profile made through the setup screen,
//! and the page's live region (what a screen reader hears) read back.

use std::time::Duration;

use super::webdriver::Browser;

/// The OAuth client id the test servers trust.
pub const CLIENT: &str = "pakchat-web-test";

/// The bundle to serve (`PAKCHAT_TEST_WEB_DIST`).
pub fn dist() -> std::path::PathBuf {
    std::env::var_os("PAKCHAT_TEST_WEB_DIST")
        .map(std::path::PathBuf::from)
        .expect("PAKCHAT_TEST_WEB_DIST: run the tests through scripts/check.sh, which builds the web app")
}

/// Save a screenshot for a person to look at, when `PAKCHAT_SHOTS` is set.
pub fn keep(browser: &Browser, name: &str) {
    if let Some(dir) = std::env::var_os("PAKCHAT_SHOTS") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), browser.screenshot()).unwrap();
    }
}

/// The passphrase every test profile is made with.
pub const PASSPHRASE: &str = "correct horse battery";

/// First run: the passphrase field has the keyboard; type it, Tab to the
/// second field, type it again, Enter. Each step in its own frame (egui
/// moves the focus at the end of the frame the Tab arrived in).
pub fn create_profile(browser: &Browser) {
    browser.wait_for(
        "the setup screen",
        Duration::from_secs(30),
        &live_is("Welcome: set up your private chat history."),
    );
    // The passphrase field takes the keyboard in the frame after.
    std::thread::sleep(Duration::from_millis(300));
    browser.keys(PASSPHRASE);
    std::thread::sleep(Duration::from_millis(300));
    browser.keys("\u{E004}");
    std::thread::sleep(Duration::from_millis(300));
    browser.keys(PASSPHRASE);
    std::thread::sleep(Duration::from_millis(300));
    browser.keys("\u{E007}");
    browser.wait_for("the profile made", Duration::from_secs(30), &live_is("No chat open."));
}

/// A script: whether the page's live region (what a screen reader hears)
/// says `text`.
pub fn live_is(text: &str) -> String {
    format!("return document.getElementById('pakchat-live').textContent === {text:?}")
}

/// What the page's live region says.
pub fn live(browser: &Browser) -> String {
    browser.run("return document.getElementById('pakchat-live').textContent").as_str().unwrap_or_default().to_owned()
}

/// A script: whether the app has started on its canvas (the loader note
/// is gone).
pub const STARTED: &str = "return !document.getElementById('loading')";

/// A new headless Chromium of 1000 × 700 on `server`'s page, the app
/// started in it.
pub fn open_app(server: &super::server::LocalServer) -> Browser {
    let browser = Browser::start(1000, 700);
    browser.open(&format!("{}/", server.base));
    browser.wait_for("the app to start", Duration::from_secs(60), STARTED);
    browser
}

/// Fail the test with the page's console errors, if it logged any.
pub fn assert_no_console_errors(browser: &Browser) {
    let errors: Vec<_> = browser.console().into_iter().filter(|(level, _)| level == "SEVERE").collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}
