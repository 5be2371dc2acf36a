//! The web app talking to providers from the page, in headless Chromium
//! against aimock (which answers CORS): a reply streams in and Stop keeps
//! what came, a photo chosen in the browser's picker goes along, an export
//! downloads, Anthropic gets its browser-access header; and a chat of
//! 10,000 messages imported through the page opens, scrolls and reloads
//! (its load times and frame gaps printed); a reply streaming in one tab
//! is written to its end before a second tab takes the profile; a provider
//! that refuses web pages (llmock sends no CORS headers) answers through
//! the signed-in server's relay. Clicks land where a 1000 × 700
//! window draws things (egui draws on a canvas: there is no DOM to find
//! them by); the live region says what happened.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::web_page::{
    CLIENT, PASSPHRASE, STARTED, assert_no_console_errors, create_profile, dist, keep, live, live_is, open_app,
};
use common::webdriver::Browser;

/// Settings → API keys: OpenAI's base URL pointed at `base`, a key saved;
/// then GPT-4o mini chosen in the composer. Clicks where a 1000 × 700
/// window draws them.
fn use_openai_at(browser: &Browser, base: &str) {
    // A step per frame or two: egui moves the focus at the end of a frame.
    let step = || std::thread::sleep(Duration::from_millis(400));
    browser.click(630, 214); // "Add an API key" on the empty chat view
    step();
    browser.click(490, 340); // OpenAI base URL
    step();
    browser.chord('\u{E009}', 'a');
    step();
    browser.keys(&format!("{base}/v1"));
    step();
    browser.click(472, 276); // OpenAI API key (leaving the URL field keeps it)
    step();
    browser.keys("sk-web-test");
    step();
    browser.click(700, 276); // Save OpenAI key
    step();
    keep(browser, "web-keys");
    browser.click(885, 74); // Done
    step();
    browser.click(700, 516); // Model
    step();
    browser.click(685, 147); // GPT-4o mini
    step();
    browser.click(600, 470); // the composer
    step();
}

#[test]
fn a_reply_streams_from_aimock_into_the_page_stop_keeps_what_arrived_a_picked_photo_goes_along_and_an_export_downloads()
{
    let idp = common::peers::oidc_mock();
    let llm = common::peers::aimock();
    let server = common::server::LocalServer::with_web(&idp.base, CLIENT, &dist());
    let browser = open_app(&server);
    create_profile(&browser);
    // The page fetches the provider itself (aimock answers CORS), through
    // reqwest's wasm fetch, streamed as server-sent events.
    use_openai_at(&browser, &llm.base);
    browser.keys("hello\u{E007}");
    let whole = "gpt-4o-mini: Hi there, friend! This reply comes in several chunks of text.";
    browser.wait_for("the whole reply", Duration::from_secs(30), &live_is(whole));
    keep(&browser, "web-reply");

    // A slow reply (four words a second): Stop keeps what came.
    browser.keys("slow\u{E007}");
    browser.wait_for("the reply arriving", Duration::from_secs(10), &live_is("gpt-4o-mini · writing…"));
    std::thread::sleep(Duration::from_millis(1500));
    keep(&browser, "web-streaming");
    browser.click(937, 472); // Stop, where Send was
    browser.wait_for(
        "the reply stopped",
        Duration::from_secs(10),
        "return document.getElementById('pakchat-live').textContent.startsWith('gpt-4o-mini · stopped: ')",
    );
    keep(&browser, "web-stopped");
    let stopped = live(&browser);
    let kept = stopped.trim_start_matches("gpt-4o-mini · stopped: ");
    assert!(kept.starts_with("one two"), "what arrived before Stop is kept: {stopped:?}");
    assert!(!kept.contains("twelve"), "the reply stopped before its end: {stopped:?}");
    // Nothing more arrives after Stop.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(live(&browser), stopped, "no text after Stop");

    // Attach files… opens the browser's picker (an input the page clicks;
    // the driver chooses a photo in it), and the photo goes with the next
    // message to the provider.
    browser.intercept_file_pickers();
    browser.click(342, 516); // Attach files…
    browser.wait_for(
        "the browser's picker",
        Duration::from_secs(5),
        "return !!document.querySelector('input[type=file]')",
    );
    let photo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gps_rotated.jpg");
    browser.choose_file("input[type=file]", &photo);
    browser.wait_for("the picker gone", Duration::from_secs(5), "return !document.querySelector('input[type=file]')");
    std::thread::sleep(Duration::from_secs(2));
    keep(&browser, "web-attached");
    browser.click(600, 470); // the composer
    browser.keys("hello\u{E007}");
    browser.wait_for("the reply to the photo", Duration::from_secs(30), &live_is(whole));
    keep(&browser, "web-photo-sent");
    let journal: serde_json::Value =
        reqwest::blocking::get(format!("{}/__aimock/journal", llm.base)).unwrap().json().unwrap();
    let last = journal.as_array().unwrap().last().unwrap()["body"].to_string();
    assert!(
        last.contains("data:image/jpeg;base64,"),
        "the photo went with the message: {}",
        &last[..last.len().min(400)]
    );

    // Export as Markdown… is a download in a browser, named after the chat.
    let downloads = tempfile::tempdir().unwrap();
    browser.download_into(downloads.path());
    browser.click(960, 22); // More
    std::thread::sleep(Duration::from_millis(500));
    keep(&browser, "web-more");
    browser.click(903, 184); // Export as Markdown…
    let file = downloads.path().join("Friendly Greetings.md");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !file.exists() {
        let there: Vec<_> = std::fs::read_dir(downloads.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(std::time::Instant::now() < deadline, "no download: {there:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let markdown = std::fs::read_to_string(&file).unwrap();
    assert!(markdown.starts_with("# Friendly Greetings"), "{markdown}");
    for said in ["hello", "Hi there, friend! This reply comes in several chunks of text.", "one two"] {
        assert!(markdown.contains(said), "{said:?} in the export: {markdown}");
    }

    assert_no_console_errors(&browser);
}

#[test]
fn a_reply_streaming_in_one_tab_is_written_to_its_end_before_a_second_tab_writes_and_both_show_it_whole() {
    let idp = common::peers::oidc_mock();
    let llm = common::peers::aimock();
    let server = common::server::LocalServer::with_web(&idp.base, CLIENT, &dist());
    let browser = open_app(&server);
    create_profile(&browser);
    use_openai_at(&browser, &llm.base);
    let first = browser.tab();
    browser.keys("slow\u{E007}");
    browser.wait_for("the reply arriving", Duration::from_secs(10), &live_is("gpt-4o-mini · writing…"));

    // A second tab is unlocked while the first still writes the reply: it
    // waits for the first to finish (handing the profile over mid-reply
    // would cut it), then opens the chat with all of it.
    let second = browser.new_tab();
    browser.open(&format!("{}/", server.base));
    browser.wait_for(
        "the second tab asking for the passphrase",
        Duration::from_secs(30),
        &live_is("Pak.Chat is locked: type your passphrase."),
    );
    std::thread::sleep(Duration::from_millis(300));
    browser.keys(&format!("{PASSPHRASE}\u{E007}"));
    let whole = "gpt-4o-mini: one two three four five six seven eight nine ten eleven twelve";
    browser.wait_for("the whole reply in the second tab", Duration::from_secs(30), &live_is(whole));
    keep(&browser, "web-second-tab-after-reply");
    assert_no_console_errors(&browser);
    browser.switch_to(&first);
    browser.wait_for("the whole reply in the first tab", Duration::from_secs(10), &live_is(whole));
    assert_no_console_errors(&browser);
    browser.switch_to(&second);
}

/// A ChatGPT `conversations.json` holding "Long history" with `messages`
/// messages and "Short chat" with 40 (question and answer in turn, a few
/// hundred bytes of words each), the long one the more recent.
fn chats_export(path: &std::path::Path, messages: u64) {
    let mut rng = common::search_profile::Rng(0x2545_F491_4F6C_DD1D);
    let mut chats = Vec::new();
    for (n, (title, count, start)) in
        [("Long history", messages, 1_600_000_000_u64), ("Short chat", 40, 1_500_000_000)].into_iter().enumerate()
    {
        let id = |j: u64| format!("00000000-0000-4000-800{n}-{j:012x}");
        let mut mapping = serde_json::Map::new();
        let root = format!("root-{n}");
        mapping.insert(
            root.clone(),
            serde_json::json!({ "id": root, "message": null, "parent": null, "children": [id(0)] }),
        );
        for j in 0..count {
            let (role, text) = rng.chat_message(j, 50_000);
            let role = if role == pakchat::domain::Role::User { "user" } else { "assistant" };
            let message = serde_json::json!({
                "id": id(j), "author": { "role": role }, "create_time": start + j,
                "content": { "content_type": "text", "parts": [text] }, "metadata": {}, "recipient": "all",
            });
            let parent = if j == 0 { root.clone() } else { id(j - 1) };
            let children: Vec<String> = if j + 1 < count { vec![id(j + 1)] } else { Vec::new() };
            mapping.insert(
                id(j),
                serde_json::json!({ "id": id(j), "message": message, "parent": parent, "children": children }),
            );
        }
        chats.push(serde_json::json!({
            "title": title, "create_time": start, "mapping": mapping, "current_node": id(count - 1),
        }));
    }
    std::fs::write(path, serde_json::to_vec(&chats).unwrap()).unwrap();
}

/// Turn the wheel up over the chat 60 times; the gaps between frames
/// meanwhile: (median, 95th percentile, longest), in ms.
fn scroll_up(browser: &Browser) -> (f64, f64, f64) {
    measure_frames(browser);
    for _ in 0..60 {
        browser.wheel(600, 250, -400);
        std::thread::sleep(Duration::from_millis(30));
    }
    frame_gaps(browser)
}

/// Start measuring the gaps between the page's animation frames.
fn measure_frames(browser: &Browser) {
    browser.run(
        "window.pakchatFrames = []; window.pakchatFramesDone = false; let last = performance.now();
         const tick = (now) => { window.pakchatFrames.push(now - last); last = now;
                                 if (!window.pakchatFramesDone) requestAnimationFrame(tick); };
         requestAnimationFrame(tick);",
    );
}

/// Stop measuring: (median, 95th percentile, longest) gap, in ms.
fn frame_gaps(browser: &Browser) -> (f64, f64, f64) {
    let gaps = browser.run("window.pakchatFramesDone = true; return window.pakchatFrames");
    let mut gaps: Vec<f64> = gaps.as_array().unwrap().iter().filter_map(serde_json::Value::as_f64).collect();
    assert!(gaps.len() > 10, "frames were drawn: {gaps:?}");
    gaps.sort_by(f64::total_cmp);
    let at = |q: f64| gaps[((gaps.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95), at(1.0))
}

#[test]
fn a_10000_message_chat_imported_in_the_page_opens_scrolls_and_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("conversations.json");
    chats_export(&export, 10_000);
    let idp = common::peers::oidc_mock();
    let server = common::server::LocalServer::with_web(&idp.base, CLIENT, &dist());
    let browser = open_app(&server);
    create_profile(&browser);
    // Settings → Data → Import chats…, the file chosen in the browser's picker.
    browser.intercept_file_pickers();
    let step = || std::thread::sleep(Duration::from_millis(600));
    browser.click(55, 486); // Settings
    step();
    browser.click(690, 74); // Data
    step();
    keep(&browser, "web-data");
    browser.click(411, 368); // Import chats…
    browser.wait_for(
        "the browser's picker",
        Duration::from_secs(5),
        "return !!document.querySelector('input[type=file]')",
    );
    browser.choose_file("input[type=file]", &export);
    browser.keys("\u{E00C}"); // Escape closes the settings
    // The chat shows in the list once imported: open it.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while browser.run("return document.title") != "Long history — Pak.Chat" {
        assert!(std::time::Instant::now() < deadline, "the imported chat did not open");
        browser.click(130, 161); // the first chat in the list
        std::thread::sleep(Duration::from_secs(1));
    }
    browser.wait_for(
        "the last message",
        Duration::from_secs(10),
        "return document.getElementById('pakchat-live').textContent.length > 40",
    );
    std::thread::sleep(Duration::from_secs(1));
    keep(&browser, "web-long-end");
    let end = browser.screenshot();

    // Scrolling up through it: the gaps between frames while the wheel
    // turns, beside the same in a chat of 40 messages (a ratio in one run).
    let (median, p95, longest) = scroll_up(&browser);
    println!(
        "web: scrolling a 10,000-message chat: frame gaps median {median:.1} ms, 95th {p95:.1} ms, longest {longest:.1} ms"
    );
    std::thread::sleep(Duration::from_millis(500));
    keep(&browser, "web-long-scrolled");
    assert_ne!(browser.screenshot(), end, "the chat scrolled");
    browser.click(130, 194); // the second chat in the list
    browser.wait_for("the short chat", Duration::from_secs(10), "return document.title === 'Short chat — Pak.Chat'");
    std::thread::sleep(Duration::from_secs(1));
    let (median, p95, longest) = scroll_up(&browser);
    println!(
        "web: scrolling a 40-message chat: frame gaps median {median:.1} ms, 95th {p95:.1} ms, longest {longest:.1} ms"
    );
    browser.click(130, 161);
    browser.wait_for("the long chat", Duration::from_secs(10), "return document.title === 'Long history — Pak.Chat'");

    // With the long chat stored: page load to first frame, and the chat back.
    let reloading = std::time::Instant::now();
    browser.reload();
    browser.wait_for("the app to start again", Duration::from_secs(60), STARTED);
    browser.wait_for("a frame", Duration::from_secs(30), "return window.pakchatFirstFrameMs > 0");
    let first_frame = browser.run("return Math.round(window.pakchatFirstFrameMs)");
    println!("web: page load to first frame with a 10,000-message chat stored: {first_frame} ms");
    // The whole profile is read from IndexedDB before the unlock screen.
    browser.wait_for(
        "the unlock screen",
        Duration::from_secs(30),
        &live_is("Pak.Chat is locked: type your passphrase."),
    );
    println!("web: reload to the unlock screen: {} ms", reloading.elapsed().as_millis());
    let unlocking = std::time::Instant::now();
    browser.keys(&format!("{PASSPHRASE}\u{E007}"));
    // The chat open before the reload opens again.
    browser.wait_for(
        "the long chat again",
        Duration::from_secs(60),
        "return document.title === 'Long history — Pak.Chat'",
    );
    println!("web: unlock to the 10,000-message chat on screen: {} ms", unlocking.elapsed().as_millis());
    keep(&browser, "web-long-reloaded");
    assert_no_console_errors(&browser);
}

#[test]
fn a_page_calls_anthropic_with_its_browser_access_header() {
    let idp = common::peers::oidc_mock();
    let llm = common::peers::aimock();
    let server = common::server::LocalServer::with_web(&idp.base, CLIENT, &dist());
    let browser = open_app(&server);
    create_profile(&browser);
    // Settings → API keys: Anthropic's key saved, its base URL at aimock;
    // then a message to Claude (a page's call, which Anthropic answers only
    // with the header).
    let step = || std::thread::sleep(Duration::from_millis(400));
    browser.click(630, 214); // "Add an API key"
    step();
    browser.click(488, 465); // Anthropic API key
    step();
    browser.keys("sk-ant-web-test");
    step();
    browser.click(725, 465); // Save Anthropic key
    step();
    browser.wheel(500, 400, 100); // the list of providers down by 100
    step();
    browser.click(505, 429); // Anthropic base URL
    step();
    browser.chord('\u{E009}', 'a');
    step();
    browser.keys(&llm.base);
    step();
    browser.click(760, 397); // beside Check Anthropic: the URL field lets go (kept)
    step();
    browser.click(885, 74); // Done
    step();
    browser.click(700, 516); // Model
    step();
    browser.click(735, 299); // Claude Sonnet 4.5
    step();
    browser.click(600, 470); // the composer
    step();
    browser.keys("hello\u{E007}");
    browser.wait_for(
        "Anthropic's reply",
        Duration::from_secs(30),
        "return document.getElementById('pakchat-live').textContent.endsWith(': Hi there, friend! This reply comes in several chunks of text.')",
    );
    let journal: serde_json::Value =
        reqwest::blocking::get(format!("{}/__aimock/journal", llm.base)).unwrap().json().unwrap();
    let asked = journal.as_array().unwrap().iter().find(|e| e["path"] == "/v1/messages");
    let headers = asked.unwrap_or_else(|| panic!("Anthropic was not called: {journal}"))["headers"].clone();
    keep(&browser, "web-anthropic");
    assert_eq!(headers["anthropic-dangerous-direct-browser-access"], "true", "{headers}");
    assert_eq!(headers["anthropic-version"], "2023-06-01", "{headers}");
    assert_no_console_errors(&browser);
}

#[test]
fn a_provider_that_refuses_web_pages_answers_through_the_signed_in_server() {
    let idp = common::peers::oidc_mock();
    let llm = common::peers::llmock();
    let server = common::server::LocalServer::with_relay(&idp.base, CLIENT, Some(&dist()), vec![llm.base.clone()]);
    let browser = open_app(&server);
    create_profile(&browser);
    let step = || std::thread::sleep(Duration::from_millis(600));
    // Signed in (by redirect: the page's own server).
    browser.click(94, 454); // Sign in with Google
    browser.wait_for("back, locked", Duration::from_secs(60), &live_is("Pak.Chat is locked: type your passphrase."));
    std::thread::sleep(Duration::from_secs(1));
    browser.keys(&format!("{PASSPHRASE}\u{E007}"));
    let signed_in = format!("Signed in to {}.", server.base);
    browser.wait_for(
        "signed in",
        Duration::from_secs(30),
        &format!("return document.getElementById('pakchat-notice').textContent === {signed_in:?}"),
    );
    step();
    keep(&browser, "web-relay-signed-in");
    browser.click(955, 10); // Dismiss the banner
    step();
    use_openai_at(&browser, &llm.base);
    // llmock answers without CORS headers: the page may not read it, and
    // says so, offering the relay.
    browser.keys("hello\u{E007}");
    let failed = "return document.getElementById('pakchat-live').textContent.startsWith('gpt-4o-mini · failed: ')";
    browser.wait_for("the call refused", Duration::from_secs(30), failed);
    keep(&browser, "web-relay-refused");
    let said = live(&browser);
    let place = llm.base.trim_start_matches("http://");
    assert!(said.contains(&format!("Could not reach {place} from this page")), "{said}");
    assert!(said.contains("(CORS)") && said.contains("Through my server"), "{said}");
    assert!(!said.contains("JsValue") && !said.contains("wasm-function"), "no JavaScript stack: {said}");

    // API keys → OpenAI → Through my server: the same provider answers,
    // through the page's own server.
    browser.click(86, 518); // Manage API keys
    step();
    browser.click(448, 221); // OpenAI: Through my server
    step();
    keep(&browser, "web-relay-keys");
    browser.click(885, 74); // Done
    step();
    browser.click(600, 470); // the composer
    step();
    browser.keys("hello again\u{E007}");
    let answered = "const t = document.getElementById('pakchat-live').textContent;
                    return t.startsWith('gpt-4o-mini: ') && t.includes('hello again')";
    browser.wait_for("llmock's answer through the server", Duration::from_secs(30), answered);
    keep(&browser, "web-relay-answered");
    // The browser logged the refused calls (CORS), and nothing else.
    let errors: Vec<_> = browser.console().into_iter().filter(|(level, _)| level == "SEVERE").collect();
    assert!(!errors.is_empty(), "the direct calls were refused by the browser");
    assert!(errors.iter().all(|(_, text)| text.contains(&format!("{}/v1/chat/completions", llm.base))), "{errors:?}");
}
