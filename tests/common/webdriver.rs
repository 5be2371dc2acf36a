//! Headless Chromium driven through chromedriver (Debian's `chromium` and
//! `chromium-driver`, installed by `scripts/check.sh`) over the W3C
//! WebDriver protocol: plain JSON over HTTP, so a small blocking client
//! is all the web tests need. As root Chromium needs `--no-sandbox`;
//! WebGL comes from SwiftShader (no GPU here).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// A chromedriver process and one browser session on it.
pub struct Browser {
    driver: Child,
    base: String,
    http: reqwest::blocking::Client,
    /// The session's URL prefix, `http://127.0.0.1:PORT/session/ID`.
    session: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            self.http.delete(&self.session).send().ok();
        }
        self.driver.kill().ok();
        self.driver.wait().ok();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("address").port()
}

impl Browser {
    /// A new headless Chromium of `width` × `height` pixels, with a fresh
    /// profile (nothing stored by an earlier test).
    pub fn start(width: u32, height: u32) -> Self {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("chromedriver: {e} (scripts/check.sh installs chromium-driver)"));
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(120)).build().expect("client");
        // Stopped by Drop from here on, whatever fails.
        let mut browser = Self { driver, base, http, session: String::new() };
        let (base, http) = (browser.base.clone(), browser.http.clone());
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(format!("{base}/status")).send().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not answer on {base}");
            std::thread::sleep(Duration::from_millis(50));
        }
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--use-angle=swiftshader".to_owned(),
            "--enable-unsafe-swiftshader".to_owned(),
            "--no-first-run".to_owned(),
            format!("--window-size={width},{height}"),
        ];
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium(), "args": args },
            "goog:loggingPrefs": { "browser": "ALL" },
        }}});
        let answer: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .and_then(reqwest::blocking::Response::json)
            .expect("a browser session");
        let id = answer["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {answer}")).to_owned();
        browser.session = format!("{base}/session/{id}");
        browser
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().and_then(reqwest::blocking::Response::json).expect("webdriver");
        if let Some(error) = answer["value"]["error"].as_str() {
            panic!("webdriver {path}: {error}: {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    /// Go to `url` (returns once the page's load event fired).
    pub fn open(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })));
    }

    /// Run `script` (a function body) in the page; what it returns.
    pub fn run(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({ "script": script, "args": [] })))
    }

    /// Run `script` (a function body whose last argument is a callback) in
    /// the page; what it passes to the callback.
    pub fn run_async(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/async", Some(json!({ "script": script, "args": [] })))
    }

    /// Wait until `script` returns true, or panic saying `what` after `within`.
    pub fn wait_for(&self, what: &str, within: Duration, script: &str) {
        let deadline = Instant::now() + within;
        while self.run(script) != Value::Bool(true) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}; console: {:?}", self.console());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Click at `(x, y)` in the page (CSS pixels from its top left).
    pub fn click(&self, x: u32, y: u32) {
        let actions = json!({ "actions": [{
            "type": "pointer", "id": "mouse", "parameters": { "pointerType": "mouse" },
            "actions": [
                { "type": "pointerMove", "x": x, "y": y, "origin": "viewport", "duration": 0 },
                { "type": "pointerDown", "button": 0 },
                { "type": "pause", "duration": 50 },
                { "type": "pointerUp", "button": 0 },
            ],
        }]});
        self.call(reqwest::Method::POST, "/actions", Some(actions));
    }

    /// Type `text` as key presses to whatever has focus; `\u{E004}` is
    /// Tab, `\u{E007}` Enter (WebDriver's key codes).
    pub fn keys(&self, text: &str) {
        let mut presses = Vec::new();
        for c in text.chars() {
            presses.push(json!({ "type": "keyDown", "value": c.to_string() }));
            presses.push(json!({ "type": "keyUp", "value": c.to_string() }));
        }
        let actions = json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": presses }] });
        self.call(reqwest::Method::POST, "/actions", Some(actions));
    }

    /// Turn the mouse wheel over `(x, y)` by `dy` pixels (negative: up).
    /// The mouse goes there first: the page scrolls what is under it.
    pub fn wheel(&self, x: u32, y: u32, dy: i32) {
        let hover = json!({ "actions": [{
            "type": "pointer", "id": "mouse", "parameters": { "pointerType": "mouse" },
            "actions": [{ "type": "pointerMove", "x": x, "y": y, "origin": "viewport", "duration": 0 }],
        }]});
        self.call(reqwest::Method::POST, "/actions", Some(hover));
        let actions = json!({ "actions": [{
            "type": "wheel", "id": "wheel",
            "actions": [{ "type": "scroll", "x": x, "y": y, "deltaX": 0, "deltaY": dy, "duration": 0, "origin": "viewport" }],
        }]});
        self.call(reqwest::Method::POST, "/actions", Some(actions));
    }

    /// Hold `modifier` (`\u{E009}` Control, `\u{E008}` Shift) while
    /// pressing `key`.
    pub fn chord(&self, modifier: char, key: char) {
        let presses = json!([
            { "type": "keyDown", "value": modifier.to_string() },
            { "type": "keyDown", "value": key.to_string() },
            { "type": "keyUp", "value": key.to_string() },
            { "type": "keyUp", "value": modifier.to_string() },
        ]);
        let actions = json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": presses }] });
        self.call(reqwest::Method::POST, "/actions", Some(actions));
    }

    /// Let the page's file pickers wait for [`Browser::choose_file`]: a
    /// headless browser cannot show the dialog and otherwise answers a
    /// picker with "cancel" at once (Chrome DevTools'
    /// `Page.setInterceptFileChooserDialog`, through chromedriver).
    pub fn intercept_file_pickers(&self) {
        for (cmd, params) in
            [("Page.enable", json!({})), ("Page.setInterceptFileChooserDialog", json!({ "enabled": true }))]
        {
            self.call(reqwest::Method::POST, "/goog/cdp/execute", Some(json!({ "cmd": cmd, "params": params })));
        }
    }

    /// Let the page's downloads go into `dir` without asking.
    pub fn download_into(&self, dir: &std::path::Path) {
        let params = json!({ "behavior": "allow", "downloadPath": dir.to_str().expect("a UTF-8 path") });
        self.call(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(json!({ "cmd": "Browser.setDownloadBehavior", "params": params })),
        );
    }

    /// Give the page's file input matching `css` the file at `path`, as
    /// choosing it in the browser's picker does (chromedriver sets the
    /// input's files and fires its `change`).
    pub fn choose_file(&self, css: &str, path: &std::path::Path) {
        let found =
            self.call(reqwest::Method::POST, "/element", Some(json!({ "using": "css selector", "value": css })));
        let element = found.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).expect("an element");
        let text = path.to_str().expect("a UTF-8 path");
        self.call(reqwest::Method::POST, &format!("/element/{element}/value"), Some(json!({ "text": text })));
    }

    /// The current tab's handle.
    pub fn tab(&self) -> String {
        self.call(reqwest::Method::GET, "/window", None).as_str().expect("a handle").to_owned()
    }

    /// Open a new tab of the same browser (same site storage) and switch to it.
    pub fn new_tab(&self) -> String {
        let made = self.call(reqwest::Method::POST, "/window/new", Some(json!({ "type": "tab" })));
        let handle = made["handle"].as_str().expect("a handle").to_owned();
        self.switch_to(&handle);
        handle
    }

    /// Switch to the tab `handle`.
    pub fn switch_to(&self, handle: &str) {
        self.call(reqwest::Method::POST, "/window", Some(json!({ "handle": handle })));
    }

    /// Close the current tab (switch to another one after).
    pub fn close_tab(&self) {
        self.call(reqwest::Method::DELETE, "/window", None);
    }

    /// Reload the page (returns once it loaded again).
    pub fn reload(&self) {
        self.call(reqwest::Method::POST, "/refresh", Some(json!({})));
    }

    /// A screenshot of the page, PNG.
    pub fn screenshot(&self) -> Vec<u8> {
        let data = self.call(reqwest::Method::GET, "/screenshot", None);
        base64::engine::general_purpose::STANDARD.decode(data.as_str().expect("base64")).expect("PNG")
    }

    /// The console's messages since the last call: `(level, text)`.
    pub fn console(&self) -> Vec<(String, String)> {
        let answer: Value = self
            .http
            .post(format!("{}/se/log", self.session))
            .json(&json!({ "type": "browser" }))
            .send()
            .and_then(reqwest::blocking::Response::json)
            .unwrap_or(Value::Null);
        answer["value"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| {
                        let text = e["message"].as_str().unwrap_or_default().to_owned();
                        (e["level"].as_str().unwrap_or_default().to_owned(), text)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// chromedriver's address (for a second session, e.g. another tab).
    pub fn driver(&self) -> &str {
        &self.base
    }
}

/// Debian's Chromium binary.
fn chromium() -> &'static str {
    ["/usr/bin/chromium", "/usr/lib/chromium/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("/usr/bin/chromium")
}
