//! No secret in logs or on disk: a whole chat runs with a canary API key,
//! every log line (down to TRACE) is captured, and neither the logs nor any
//! file of the profile contain the key in any common encoding.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pakchat::backend::{Argon2Params, BackendConfig, Command, Event, Runtime, StoreLocation, start};
use pakchat::domain::{MessageId, MessageStatus, ModelChoice, Role, ThreadId};

const CANARY: &str = "sk-CANARY-93f1c2d7e8a4b6f0-secret";

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_canary_api_key_appears_in_no_log_line_and_no_file() {
    let logs = Arc::new(Mutex::new(Vec::new()));
    let sink = Capture(logs.clone());
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .init();

    let server = common::peers::aimock();
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = BackendConfig {
        location: StoreLocation::Directory(dir.path().join("profile")),
        key_file: Some(dir.path().join("key")),
        argon2: Argon2Params { m_cost_kib: 1024, t_cost: 1, p_cost: 1 },
        use_keychain: false,
        retry: pakchat::providers::RetryPolicy::default(),
        picker: pakchat::backend::FilePicker::System,
        lockdown: pakchat::backend::Lockdown::default(),
        browser: None,
    };
    let (backend, stopped) = start(&Runtime::new(rt.handle().clone()), config, || {});
    let next = |what: &str, pred: &dyn Fn(&Event) -> bool| -> Event {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(e) = backend.try_recv() {
                if pred(&e) {
                    return e;
                }
                continue;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    let Event::SettingsLoaded { mut settings, .. } = next("settings", &|e| matches!(e, Event::SettingsLoaded { .. }))
    else {
        unreachable!()
    };
    let openai = settings.providers.iter_mut().find(|p| p.id == "openai").unwrap();
    openai.base_url = format!("{}/v1", server.base);
    settings.default_model = Some(ModelChoice { provider: "openai".to_owned(), model: "gpt-4o-mini".to_owned() });
    assert!(backend.send(Command::SaveSettings { settings, revision: 1 }));
    assert!(backend.send(Command::SetApiKey {
        provider: "openai".to_owned(),
        key: Some(zeroize::Zeroizing::new(CANARY.to_owned()))
    }));
    let thread = ThreadId::new();
    assert!(backend.send(Command::CreateThread { id: thread, project: None }));
    assert!(backend.send(Command::SendMessage {
        thread,
        id: MessageId::new(),
        text: "hello".to_owned(),
        attachments: Vec::new(),
        images: None,
    }));
    let done = next(
        "the finished reply",
        &|e| matches!(e, Event::MessageStored { message, .. } if message.role == Role::Assistant && message.status != MessageStatus::Streaming),
    );
    let Event::MessageStored { message, .. } = done else { unreachable!() };
    assert_eq!(message.status, MessageStatus::Done, "the chat worked with the canary key");
    assert!(backend.send(Command::Shutdown));
    drop(backend);
    assert!(stopped.wait(Duration::from_secs(10)));

    // The key reached the provider (aimock redacts it in its journal).
    let journal = reqwest::blocking_free_get(&format!("{}/__aimock/journal", server.base));
    assert!(journal.contains("\"authorization\":\"[REDACTED]\""), "the request carried the key: {journal}");

    let logs = logs.lock().unwrap().clone();
    assert!(logs.len() > 1000, "the test captured real log output ({} bytes)", logs.len());
    for form in common::canary::forms(CANARY) {
        assert!(!common::canary::contains(&logs, &form), "a log line contains the key");
        for (path, bytes) in common::canary::files_under(dir.path()) {
            assert!(!common::canary::contains(&bytes, &form), "{} contains the key", path.display());
        }
    }
}

/// A tiny GET without reqwest's blocking feature: one request on a fresh runtime.
mod reqwest {
    pub fn blocking_free_get(url: &str) -> String {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async { ::reqwest::get(url).await.unwrap().text().await.unwrap() })
    }
}
