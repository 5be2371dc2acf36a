//! The provider relay over HTTP, against a small provider started here: a
//! signed-in user's call reaches a listed origin with its `x-relay-*`
//! headers unprefixed and nothing of the Pak.Chat session or cookies; the
//! status, body, `content-type` and `retry-after` come back; a streamed
//! reply streams (its first piece read before the provider sends its
//! last); a redirect is passed back, not followed; strangers, origins not
//! listed, a provider that is down and oversize bodies are refused, the
//! target's path and query never repeated. The relay does not touch the
//! database, so SQLite alone serves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures_util::StreamExt as _;
use pakchat_server::api::AppState;
use pakchat_server::api::relay::MAX_BODY_BYTES;
use pakchat_server::db::Db;
use pakchat_server::limits::Limits;
use pakchat_server::oidc::Verifier;
use serde_json::{Value, json};
use tokio::sync::Notify;

const CLIENT: &str = "pakchat-relay-test";

/// What the provider here saw.
#[derive(Default)]
struct Upstream {
    /// Requests answered, of any route.
    hits: AtomicUsize,
    /// Told by the test once it has read the stream's first piece; only
    /// then does `/stream` send its last.
    go_on: Notify,
}

/// `POST /echo` (or GET): 201 with the method, the headers it got and the
/// body, as JSON.
async fn echo(
    State(up): State<Arc<Upstream>>,
    method: axum::http::Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    up.hits.fetch_add(1, Ordering::SeqCst);
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), Value::String(value.to_str().unwrap().to_owned())))
        .collect();
    let body = String::from_utf8(body.to_vec()).unwrap();
    let answer = json!({ "method": method.as_str(), "headers": headers, "body": body });
    (StatusCode::CREATED, axum::Json(answer)).into_response()
}

/// `POST /stream`: `first`, then `last` once the test says so.
async fn stream(State(up): State<Arc<Upstream>>) -> Response {
    up.hits.fetch_add(1, Ordering::SeqCst);
    let pieces = futures_util::stream::unfold(0, move |step| {
        let up = up.clone();
        async move {
            match step {
                0 => Some((Ok::<_, std::io::Error>(Bytes::from_static(b"data: first\n\n")), 1)),
                1 => {
                    up.go_on.notified().await;
                    Some((Ok(Bytes::from_static(b"data: last\n\n")), 2))
                }
                _ => None,
            }
        }
    });
    ([("content-type", "text/event-stream")], Body::from_stream(pieces)).into_response()
}

/// `POST /moved`: 302 to `/echo`.
async fn moved(State(up): State<Arc<Upstream>>) -> Response {
    up.hits.fetch_add(1, Ordering::SeqCst);
    (StatusCode::FOUND, [("location", "/echo")]).into_response()
}

/// `POST /busy`: 429, wait 7 seconds.
async fn busy(State(up): State<Arc<Upstream>>) -> Response {
    up.hits.fetch_add(1, Ordering::SeqCst);
    let body = json!({ "error": { "message": "slow down" } });
    (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "7")], axum::Json(body)).into_response()
}

/// The provider, on a free port: its origin and what it saw.
async fn upstream() -> (String, Arc<Upstream>) {
    let up = Arc::new(Upstream::default());
    let app = axum::Router::new()
        .route("/echo", post(echo).get(echo))
        .route("/stream", post(stream))
        .route("/moved", post(moved))
        .route("/busy", post(busy))
        .with_state(up.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (origin, up)
}

/// An origin nothing listens on.
async fn closed_origin() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    origin
}

/// A Pak.Chat server on SQLite relaying to `origins`; its address, and the
/// folder its database lives in (as long as the value).
struct Running {
    base: String,
    _dir: tempfile::TempDir,
}

async fn server(issuer: &str, origins: &[&str]) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("server.sqlite3").display());
    let db = Db::open(&db_url).await.unwrap();
    let verifier = Verifier::new(issuer, vec![CLIENT.to_owned()]).unwrap();
    let origins = origins.iter().map(|o| (*o).to_owned()).collect();
    let state = AppState::with_limits(db, verifier, 3_600_000, &db_url, Limits::default()).with_relay_origins(origins);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { pakchat_server::serve(listener, Arc::new(state), std::future::pending()).await });
    Running { base, _dir: dir }
}

/// A session token of the user `sub`.
async fn session(base: &str, issuer: &str, sub: &str) -> String {
    let claims = json!({ "sub": sub, "email": format!("{sub}@example.com") });
    common::peers::session_token(base, issuer, CLIENT, claims).await
}

/// `POST /v1/relay` to `target` with the session `token`, if any.
fn relay(base: &str, token: Option<&str>, target: &str) -> reqwest::RequestBuilder {
    let mut r = reqwest::Client::new().post(format!("{base}/v1/relay")).header("x-pakchat-relay-to", target);
    if let Some(token) = token {
        r = r.bearer_auth(token);
    }
    r
}

/// The status and JSON of an answer.
async fn answer(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_call_reaches_a_listed_provider_with_its_own_headers_only() {
    let idp = common::peers::oidc_mock();
    let (origin, up) = upstream().await;
    let s = server(&idp.base, &[&origin]).await;
    let token = session(&s.base, &idp.base, "ada").await;

    let r = relay(&s.base, Some(&token), &format!("{origin}/echo?key=AIza-secret"))
        .header("x-relay-authorization", "Bearer sk-test")
        .header("x-relay-x-api-key", "sk-ant-test")
        .header("x-relay-anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .header("cookie", "pakchat=session-cookie")
        .header("x-other", "not for the provider")
        .body(r#"{"model":"m","messages":[]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/json", "the provider's content type");
    let (status, got) = answer(r).await;
    assert_eq!(status, 201, "the provider's status: {got}");
    assert_eq!(got["body"], r#"{"model":"m","messages":[]}"#, "the body as sent");
    let h = got["headers"].as_object().unwrap();
    assert_eq!(h["authorization"], "Bearer sk-test", "x-relay-authorization unprefixed: {h:?}");
    assert_eq!(h["x-api-key"], "sk-ant-test");
    assert_eq!(h["anthropic-version"], "2023-06-01");
    assert_eq!(h["content-type"], "application/json");
    assert_eq!(h["accept"], "application/json");
    for name in h.keys() {
        assert!(!name.starts_with("x-relay-") && !name.starts_with("x-pakchat"), "{name} went upstream");
        assert!(!["cookie", "x-other", "origin"].contains(&name.as_str()), "{name} went upstream");
    }
    let seen = serde_json::to_string(h).unwrap();
    assert!(!seen.contains(&token), "the Pak.Chat session does not leave: {seen}");
    assert!(!seen.contains("session-cookie"), "nor the cookies: {seen}");
    assert_eq!(got["method"], "POST");
    assert_eq!(up.hits.load(Ordering::SeqCst), 1);

    // A key check lists models: the method named goes upstream, no body.
    let r = relay(&s.base, Some(&token), &format!("{origin}/echo"))
        .header("x-pakchat-relay-method", "GET")
        .header("x-relay-authorization", "Bearer sk-test")
        .body("ignored")
        .send()
        .await
        .unwrap();
    let (status, got) = answer(r).await;
    assert_eq!((status, got["method"].as_str(), got["body"].as_str()), (201, Some("GET"), Some("")), "{got}");
    // Any other method is refused before the provider.
    let r = relay(&s.base, Some(&token), &format!("{origin}/echo"))
        .header("x-pakchat-relay-method", "DELETE")
        .send()
        .await
        .unwrap();
    let (status, got) = answer(r).await;
    assert_eq!(status, 400, "{got}");
    assert_eq!(up.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn strangers_and_origins_not_listed_are_refused_before_the_provider() {
    let idp = common::peers::oidc_mock();
    let (origin, up) = upstream().await;
    let s = server(&idp.base, &[&origin]).await;

    let r = relay(&s.base, None, &format!("{origin}/echo")).body("{}").send().await.unwrap();
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let (status, got) = answer(r).await;
    assert_eq!((status, got["error"].as_str()), (401, Some("unauthorized")), "{got}");
    let r = relay(&s.base, Some("not-a-session"), &format!("{origin}/echo")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);

    let token = session(&s.base, &idp.base, "ada").await;
    let port = origin.rsplit(':').next().unwrap();
    let not_listed = [
        ("https://api.openai.com/v1/chat/completions".to_owned(), "https://api.openai.com"),
        (format!("http://localhost:{port}/echo"), "http://localhost"),
        (format!("https://127.0.0.1:{port}/echo"), "https://127.0.0.1"),
    ];
    for (target, named) in &not_listed {
        let (status, got) = answer(relay(&s.base, Some(&token), target).send().await.unwrap()).await;
        assert_eq!((status, got["error"].as_str()), (403, Some("relay_refused")), "{target}: {got}");
        let reason = got["reason"].as_str().unwrap();
        assert!(reason.contains(named) && reason.contains("--relay-origin"), "{target}: {reason}");
        assert!(!reason.contains("/echo") && !reason.contains("/v1/chat"), "the origin only: {reason}");
    }
    let with_user = format!("http://user:pw@127.0.0.1:{port}/echo");
    for target in [with_user.as_str(), "file:///etc/passwd", "ftp://127.0.0.1/x"] {
        let (status, got) = answer(relay(&s.base, Some(&token), target).send().await.unwrap()).await;
        assert_eq!((status, got["error"].as_str()), (403, Some("relay_refused")), "{target}: {got}");
    }
    let r = reqwest::Client::new().post(format!("{}/v1/relay", s.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400, "no target");
    assert_eq!(up.hits.load(Ordering::SeqCst), 0, "the provider never asked");
}

#[tokio::test]
async fn a_streamed_reply_streams() {
    let idp = common::peers::oidc_mock();
    let (origin, up) = upstream().await;
    let s = server(&idp.base, &[&origin]).await;
    let token = session(&s.base, &idp.base, "ada").await;

    let r = relay(&s.base, Some(&token), &format!("{origin}/stream")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let mut pieces = r.bytes_stream();
    let mut read = Vec::new();
    // The provider holds its last piece back until told: this loop ends
    // only if the first came through alone.
    while !read.ends_with(b"data: first\n\n") {
        read.extend_from_slice(&pieces.next().await.unwrap().unwrap());
    }
    assert_eq!(read, b"data: first\n\n");
    up.go_on.notify_one();
    while let Some(piece) = pieces.next().await {
        read.extend_from_slice(&piece.unwrap());
    }
    assert_eq!(read, b"data: first\n\ndata: last\n\n");
}

#[tokio::test]
async fn redirects_and_refusals_come_back_as_the_provider_sent_them() {
    let idp = common::peers::oidc_mock();
    let (origin, up) = upstream().await;
    let s = server(&idp.base, &[&origin]).await;
    let token = session(&s.base, &idp.base, "ada").await;

    let no_follow = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = no_follow
        .post(format!("{}/v1/relay", s.base))
        .bearer_auth(&token)
        .header("x-pakchat-relay-to", format!("{origin}/moved"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 302, "passed back");
    assert_eq!(up.hits.load(Ordering::SeqCst), 1, "not followed to /echo");

    let r = relay(&s.base, Some(&token), &format!("{origin}/busy")).send().await.unwrap();
    assert_eq!(r.headers()["retry-after"], "7");
    let (status, got) = answer(r).await;
    assert_eq!((status, got["error"]["message"].as_str()), (429, Some("slow down")), "{got}");
}

#[tokio::test]
async fn a_provider_down_is_502_naming_its_origin_only() {
    let idp = common::peers::oidc_mock();
    let down = closed_origin().await;
    let s = server(&idp.base, &[&down]).await;
    let token = session(&s.base, &idp.base, "ada").await;

    let target = format!("{down}/v1beta/models/gemini:streamGenerateContent?key=AIza-secret");
    let r = relay(&s.base, Some(&token), &target).body("{}").send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(status, 502, "{text}");
    let got: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(got["error"], "relay_unreachable");
    assert!(got["reason"].as_str().unwrap().contains(&down), "{text}");
    for secret in ["/v1beta", "streamGenerateContent", "key=", "AIza-secret"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let idp = common::peers::oidc_mock();
    let (origin, up) = upstream().await;
    let s = server(&idp.base, &[&origin]).await;
    let token = session(&s.base, &idp.base, "ada").await;

    let r = relay(&s.base, Some(&token), &format!("{origin}/echo")).body(vec![b'a'; MAX_BODY_BYTES + 1]).send().await;
    let (status, got) = answer(r.unwrap()).await;
    assert_eq!((status, got["error"].as_str()), (413, Some("too_large")), "{got}");
    assert_eq!(up.hits.load(Ordering::SeqCst), 0, "the provider never asked");
    let (status, _) =
        answer(relay(&s.base, Some(&token), &format!("{origin}/echo")).body("{}").send().await.unwrap()).await;
    assert_eq!(status, 201, "a body within the limit goes");
}
