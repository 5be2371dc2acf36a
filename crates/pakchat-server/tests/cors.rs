//! Cross-origin requests (CORS) over HTTP: a web app on an allowed origin
//! is answered its preflights before any session check and may read every
//! answer (its origin named, `Vary: Origin`, `retry-after` readable), the
//! live stream included; another origin is granted nothing; a server with
//! no allowed origin sends no CORS headers; the public share link keeps
//! its one `Access-Control-Allow-Origin: *` either way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use pakchat_server::api::AppState;
use pakchat_server::db::Db;
use pakchat_server::limits::Limits;
use pakchat_server::oidc::Verifier;
use reqwest::header::HeaderMap;
use serde_json::json;

const CLIENT: &str = "pakchat-cors-test";
/// The web app's origin, allowed.
const APP: &str = "https://app.example.org";
/// A second allowed origin: another server's `--web-dir`.
const OTHER_APP: &str = "http://127.0.0.1:18711";
/// An origin not allowed.
const STRANGER: &str = "https://evil.example";

/// A server on SQLite letting `origins` call it; its address, and the
/// folder its database lives in (as long as the value).
struct Running {
    base: String,
    _dir: tempfile::TempDir,
}

async fn server(issuer: &str, origins: &[&str], limits: Limits) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("server.sqlite3").display());
    let db = Db::open(&db_url).await.unwrap();
    let verifier = Verifier::new(issuer, vec![CLIENT.to_owned()]).unwrap();
    let origins = origins.iter().map(|o| (*o).to_owned()).collect();
    let state = AppState::with_limits(db, verifier, 3_600_000, &db_url, limits).with_origins(origins);
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

/// Every value of the list header `name`, lower case, however many lines
/// it came in.
fn list(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .collect()
}

/// The `Access-Control-Allow-Origin` values (a browser takes exactly one).
fn allow_origin(headers: &HeaderMap) -> Vec<String> {
    headers.get_all("access-control-allow-origin").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

/// The preflight a browser sends from `origin` before `method` on `path`.
async fn preflight(http: &reqwest::Client, base: &str, origin: &str, method: &str, path: &str) -> reqwest::Response {
    http.request(reqwest::Method::OPTIONS, format!("{base}{path}"))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", "authorization,content-type,pakchat-protocol")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn preflights_from_an_allowed_origin_succeed_before_any_session() {
    let idp = common::peers::oidc_mock();
    let s = server(&idp.base, &[APP, OTHER_APP], Limits::default()).await;
    let http = reqwest::Client::new();
    let asked = [
        ("POST", "/v1/records"),
        ("PUT", "/v1/keys"),
        ("GET", "/v1/live"),
        ("DELETE", "/v1/session"),
        ("PUT", "/v1/shares/share-0000000000000001"),
    ];
    for (method, path) in asked {
        for origin in [APP, OTHER_APP] {
            let r = preflight(&http, &s.base, origin, method, path).await;
            assert!(r.status().is_success(), "{method} {path} from {origin}: {}", r.status());
            let h = r.headers();
            assert_eq!(allow_origin(h), [origin], "{method} {path}: its own origin, once");
            assert!(list(h, "access-control-allow-methods").contains(&method.to_ascii_lowercase()), "{h:?}");
            let allowed = list(h, "access-control-allow-headers");
            for name in ["authorization", "content-type", pakchat_protocol::VERSION_HEADER] {
                assert!(allowed.iter().any(|a| a == name), "{name} in {allowed:?}");
            }
            assert_eq!(h["access-control-max-age"], "600");
            assert!(list(h, "vary").contains(&"origin".to_owned()), "{h:?}");
            assert!(h.get("access-control-allow-credentials").is_none(), "bearer tokens, no cookies");
        }
        let r = preflight(&http, &s.base, STRANGER, method, path).await;
        assert!(allow_origin(r.headers()).is_empty(), "{method} {path}: nothing for a stranger");
        assert!(r.headers().get("access-control-allow-methods").is_none());
    }
    // An origin is matched whole: not by prefix, not with another port or scheme.
    for near in ["https://app.example.org.evil.example", "http://app.example.org", "https://app.example.org:8443"] {
        let r = preflight(&http, &s.base, near, "GET", "/v1/me").await;
        assert!(allow_origin(r.headers()).is_empty(), "{near}");
    }
}

#[tokio::test]
async fn a_relay_preflight_grants_the_relay_and_provider_headers_only() {
    let idp = common::peers::oidc_mock();
    let s = server(&idp.base, &[APP], Limits::default()).await;
    let asked = "authorization, content-type, accept, x-pakchat-relay-to, x-pakchat-relay-method, \
                 x-relay-authorization, x-relay-anthropic-version, x-sneaky, cookie";
    let r = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, format!("{}/v1/relay", s.base))
        .header("origin", APP)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", asked)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let allowed = list(r.headers(), "access-control-allow-headers");
    for name in [
        "authorization",
        "content-type",
        "accept",
        "x-pakchat-relay-to",
        "x-pakchat-relay-method",
        "x-relay-authorization",
        "x-relay-anthropic-version",
    ] {
        assert!(allowed.iter().any(|a| a == name), "{name} in {allowed:?}");
    }
    for name in ["x-sneaky", "cookie"] {
        assert!(!allowed.iter().any(|a| a == name), "{name} granted: {allowed:?}");
    }
}

#[tokio::test]
async fn answers_name_an_allowed_origin_only() {
    let idp = common::peers::oidc_mock();
    let s = server(&idp.base, &[APP], Limits::default()).await;
    let http = reqwest::Client::new();
    let token = session(&s.base, &idp.base, "ada").await;
    let me = |origin: Option<&'static str>, token: Option<String>| {
        let mut r = http.get(format!("{}/v1/me", s.base));
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };

    let r = me(Some(APP), Some(token.clone())).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(allow_origin(r.headers()), [APP]);
    assert!(list(r.headers(), "vary").contains(&"origin".to_owned()), "{:?}", r.headers());
    assert_eq!(list(r.headers(), "access-control-expose-headers"), ["retry-after", "x-pakchat-relayed"]);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["email"], "ada@example.com");

    // A refusal is readable too, so the app can tell it is signed out.
    let r = me(Some(APP), None).await.unwrap();
    assert_eq!((r.status().as_u16(), allow_origin(r.headers())), (401, vec![APP.to_owned()]));

    // A stranger's request is still answered (CORS is the browser's rule),
    // but nothing lets its page read the answer.
    let r = me(Some(STRANGER), Some(token.clone())).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(allow_origin(r.headers()).is_empty() && r.headers().get("access-control-expose-headers").is_none());
    assert!(list(r.headers(), "vary").contains(&"origin".to_owned()), "a cache must not hand it the app's");
    let r = me(None, Some(token)).await.unwrap();
    assert_eq!((r.status().as_u16(), allow_origin(r.headers()).len()), (200, 0), "no Origin: not a web app");
}

#[tokio::test]
async fn a_web_app_reads_retry_after_when_slowed_down() {
    let idp = common::peers::oidc_mock();
    let s = server(&idp.base, &[APP], Limits { rate_per_s: 1, burst: 1, ..Limits::default() }).await;
    let http = reqwest::Client::new();
    let token = session(&s.base, &idp.base, "ada").await;
    let mut last = None;
    for _ in 0..3 {
        let r = http.get(format!("{}/v1/me", s.base)).header("origin", APP).bearer_auth(&token).send();
        last = Some(r.await.unwrap());
    }
    let r = last.unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(allow_origin(r.headers()), [APP]);
    assert_eq!(list(r.headers(), "access-control-expose-headers"), ["retry-after", "x-pakchat-relayed"]);
}

#[tokio::test]
async fn the_live_stream_flows_to_an_allowed_origin() {
    let idp = common::peers::oidc_mock();
    let s = server(&idp.base, &[APP], Limits::default()).await;
    let http = reqwest::Client::new();
    let token = session(&s.base, &idp.base, "ada").await;
    let r = http.get(format!("{}/v1/live", s.base)).header("origin", APP).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    assert_eq!(allow_origin(r.headers()), [APP]);
    // The first event (where the log reaches now) arrives while the stream stays open.
    let mut body = r.bytes_stream();
    let first = tokio::time::timeout(Duration::from_secs(5), async {
        let mut text = String::new();
        while !text.contains("\n\n") {
            text.push_str(&String::from_utf8_lossy(&body.next().await.expect("the stream ended").unwrap()));
        }
        text
    })
    .await
    .expect("an event within five seconds");
    assert!(first.contains("\"poke\"") && first.contains("\"seq\":0"), "{first:?}");
}

#[tokio::test]
async fn without_allowed_origins_no_answer_carries_cors_headers() {
    let idp = common::peers::oidc_mock();
    let s = server(&idp.base, &[], Limits::default()).await;
    let http = reqwest::Client::new();
    let token = session(&s.base, &idp.base, "ada").await;
    let r = preflight(&http, &s.base, APP, "POST", "/v1/records").await;
    assert_eq!(r.status().as_u16(), 405, "no route answers OPTIONS, as before");
    let me = http.get(format!("{}/v1/me", s.base)).header("origin", APP).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status().as_u16(), 200);
    for h in [r.headers(), me.headers()] {
        let cors: Vec<_> = h.keys().filter(|k| k.as_str().starts_with("access-control-")).collect();
        assert!(cors.is_empty() && !h.contains_key("vary"), "{h:?}");
    }
}

#[tokio::test]
async fn a_share_link_carries_one_allow_origin_with_and_without_allowed_origins() {
    let idp = common::peers::oidc_mock();
    let http = reqwest::Client::new();
    for origins in [&[APP][..], &[]] {
        let s = server(&idp.base, origins, Limits::default()).await;
        let token = session(&s.base, &idp.base, "ada").await;
        let id = "share-0000000000000001";
        let r = http
            .put(format!("{}/v1/shares/{id}", s.base))
            .header("origin", APP)
            .header("content-type", "application/octet-stream")
            .bearer_auth(&token)
            .body(vec![7u8; 64])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201, "{origins:?}");
        let named = if origins.is_empty() { 0 } else { 1 };
        assert_eq!(allow_origin(r.headers()).len(), named, "{origins:?}: the owner's route names the app");
        for path in [format!("/v1/shares/{id}"), "/v1/shares/share-0000000000000404".to_owned()] {
            for origin in [Some(APP), Some(STRANGER), None] {
                let mut r = http.get(format!("{}{path}", s.base));
                if let Some(o) = origin {
                    r = r.header("origin", o);
                }
                let r = r.send().await.unwrap();
                assert_eq!(allow_origin(r.headers()), ["*"], "{origins:?} {path} from {origin:?}: exactly one");
            }
        }
    }
}
