//! The live channel: a device listening on `GET /v1/live` is poked when its
//! user's log moves (not when another user's does), on SQLite within one
//! process and on PostgreSQL across two server processes sharing the
//! database; a device signed out from another process loses its stream at
//! once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use pakchat_server::api::AppState;
use pakchat_server::db::Db;
use pakchat_server::oidc::Verifier;
use serde_json::{Value, json};

const CLIENT: &str = "pakchat-live-test";

async fn server(db_url: &str, issuer: &str) -> String {
    let db = Db::open(db_url).await.unwrap();
    let verifier = Verifier::new(issuer, vec![CLIENT.to_owned()]).unwrap();
    let state = Arc::new(AppState::new(db, verifier, 3_600_000, db_url));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { pakchat_server::serve(listener, state, std::future::pending()).await });
    base
}

async fn session(base: &str, issuer: &str, sub: &str) -> String {
    let claims = json!({ "sub": sub, "email": format!("{sub}@example.com") });
    common::peers::session_token(base, issuer, CLIENT, claims).await
}

async fn push(http: &reqwest::Client, base: &str, token: &str, id: &str) {
    use base64::Engine as _;
    let envelope = json!({
        "id": id,
        "kind": "thread",
        "stamp": { "hlc": { "millis": 1, "counter": 0 }, "device": "01a2454c-0c90-748a-bfb9-fb80d4da7ea2" },
        "deleted": false,
        "key_id": 1,
        "nonce": base64::engine::general_purpose::STANDARD.encode([1u8; 12]),
        "ciphertext": "AAAA",
    });
    let r = http.post(format!("{base}/v1/records")).bearer_auth(token).json(&json!({ "envelopes": [envelope] })).send();
    assert_eq!(r.await.unwrap().status().as_u16(), 200);
}

/// The events of a live stream, one JSON value each.
struct Listening {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buffer: String,
}

impl Listening {
    async fn open(http: &reqwest::Client, base: &str, token: &str) -> Self {
        let r = http.get(format!("{base}/v1/live")).bearer_auth(token).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.headers()["content-type"], "text/event-stream");
        Self { body: Box::pin(r.bytes_stream()), buffer: String::new() }
    }

    /// The next event (heartbeats included), within five seconds.
    async fn next(&mut self) -> Value {
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let event: String = self.buffer.drain(..end + 2).collect();
                    let data: String = event.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim).collect();
                    if !data.is_empty() {
                        return serde_json::from_str(&data).unwrap();
                    }
                    continue;
                }
                let chunk = self.body.next().await.expect("the stream ended").unwrap();
                self.buffer.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await
        .expect("an event within 5 s")
    }

    /// Whether the stream ends within five seconds (events before the end
    /// are skipped).
    async fn ends(&mut self) -> bool {
        tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(chunk) = self.body.next().await {
                if chunk.is_err() {
                    break;
                }
            }
        })
        .await
        .is_ok()
    }
}

#[tokio::test]
async fn a_push_pokes_the_users_devices_and_only_theirs() {
    let idp = common::peers::oidc_mock();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("s.sqlite3").display());
    let base = server(&url, &idp.base).await;
    let http = reqwest::Client::new();
    let (ada, grace) = (session(&base, &idp.base, "ada").await, session(&base, &idp.base, "grace").await);
    let mut live = Listening::open(&http, &base, &ada).await;
    assert_eq!(live.next().await, json!({ "type": "poke", "seq": 0 }), "where the log is at first");
    push(&http, &base, &grace, "g1").await;
    push(&http, &base, &ada, "a1").await;
    assert_eq!(live.next().await, json!({ "type": "poke", "seq": 1 }), "Ada's push, not Grace's");
    push(&http, &base, &ada, "a2").await;
    assert_eq!(live.next().await, json!({ "type": "poke", "seq": 2 }));
    let r = http.get(format!("{base}/v1/live")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401, "no session, no stream");
}

#[tokio::test]
async fn a_push_to_one_process_pokes_a_device_listening_on_another() {
    let idp = common::peers::oidc_mock();
    let url = common::fresh_postgres().await;
    let (one, two) = (server(&url, &idp.base).await, server(&url, &idp.base).await);
    let http = reqwest::Client::new();
    let on_one = session(&one, &idp.base, "ada").await;
    let on_two = session(&two, &idp.base, "ada").await;
    let mut live = Listening::open(&http, &one, &on_one).await;
    assert_eq!(live.next().await, json!({ "type": "poke", "seq": 0 }));
    // Give the listener of process one its LISTEN before the NOTIFY.
    tokio::time::sleep(Duration::from_millis(300)).await;
    push(&http, &two, &on_two, "from-two").await;
    assert_eq!(live.next().await, json!({ "type": "poke", "seq": 1 }), "across processes");
}

#[tokio::test]
async fn a_device_signed_out_from_another_process_loses_its_stream_at_once() {
    let idp = common::peers::oidc_mock();
    let url = common::fresh_postgres().await;
    let (one, two) = (server(&url, &idp.base).await, server(&url, &idp.base).await);
    let http = reqwest::Client::new();
    let claims = json!({ "sub": "ada", "email": "ada@example.com" });
    let lost = common::peers::session_token_on(&one, &idp.base, CLIENT, claims.clone(), Some("lost-laptop")).await;
    let phone = common::peers::session_token_on(&two, &idp.base, CLIENT, claims, Some("phone")).await;
    let mut on_lost = Listening::open(&http, &one, &lost).await;
    let mut on_phone = Listening::open(&http, &two, &phone).await;
    assert_eq!(on_lost.next().await, json!({ "type": "poke", "seq": 0 }));
    assert_eq!(on_phone.next().await, json!({ "type": "poke", "seq": 0 }));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = http.delete(format!("{two}/v1/devices/lost-laptop")).bearer_auth(&phone).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert!(on_lost.ends().await, "the removed device's stream, on the other process, ends");
    let r = http.get(format!("{one}/v1/live")).bearer_auth(&lost).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401, "and it cannot listen again");
    // The phone's stream goes on: it hears the next push.
    push(&http, &one, &phone, "after").await;
    let mut next = on_phone.next().await;
    if next == json!({ "type": "poke", "seq": 0 }) {
        next = on_phone.next().await; // (the removal's poke)
    }
    assert_eq!(next, json!({ "type": "poke", "seq": 1 }));
}
