//! The web build in a real browser: the bundle `scripts/web.sh` made
//! (`PAKCHAT_TEST_WEB_DIST`; `scripts/check.sh` builds it and sets it),
//! served by `pakchat-server --web-dir`, opened in headless Chromium. The
//! page loads, the app starts on its canvas and draws its first screen (a
//! screenshot that is not blank), and the console holds no error.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::webdriver::Browser;

const CLIENT: &str = "pakchat-web-test";

fn dist() -> std::path::PathBuf {
    std::env::var_os("PAKCHAT_TEST_WEB_DIST")
        .map(std::path::PathBuf::from)
        .expect("PAKCHAT_TEST_WEB_DIST: run the tests through scripts/check.sh, which builds the web app")
}

/// How many distinct colours a PNG holds (a blank page has one or two).
fn colours(png: &[u8]) -> usize {
    let image = image::load_from_memory(png).expect("a PNG").to_rgb8();
    let mut seen = std::collections::HashSet::new();
    for pixel in image.pixels() {
        seen.insert(pixel.0);
    }
    seen.len()
}

#[test]
fn the_page_loads_and_the_app_draws_its_first_screen_without_a_console_error() {
    let idp = common::peers::oidc_mock();
    let server = common::server::LocalServer::with_web(&idp.base, CLIENT, &dist());
    let browser = Browser::start(1000, 700);
    browser.open(&format!("{}/", server.base));
    // The loader note goes once the app runs on its canvas.
    browser.wait_for("the app to start", Duration::from_secs(60), "return !document.getElementById('loading')");
    browser.wait_for("a frame", Duration::from_secs(10), "return window.pakchatFirstFrameMs > 0");
    // Reported, not asserted (timing belongs in benches): navigation start to
    // the first frame after the app started.
    let first_frame = browser.run("return Math.round(window.pakchatFirstFrameMs)");
    println!("web: page load to first frame {first_frame} ms");
    // A few frames for the first screen.
    std::thread::sleep(Duration::from_secs(2));
    let shot = browser.screenshot();
    if let Some(dir) = std::env::var_os("PAKCHAT_SHOTS") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join("web-first-screen.png"), &shot).unwrap();
    }
    let (width, height) = image::load_from_memory(&shot).map(|i| (i.width(), i.height())).unwrap();
    assert!(width >= 900 && height >= 500, "the whole window: {width} × {height}");
    let drawn = colours(&shot);
    assert!(drawn > 50, "the canvas is drawn on (text, buttons): {drawn} colours");
    let canvas = browser.run(
        "const c = document.getElementById('pakchat'); return [c.width, c.height, document.title, !!window.WebAssembly];",
    );
    assert!(canvas[0].as_u64().unwrap() >= 900, "the canvas fills the page: {canvas}");
    assert_eq!(canvas[2], "Pak.Chat");
    let errors: Vec<_> = browser.console().into_iter().filter(|(level, _)| level == "SEVERE").collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}
