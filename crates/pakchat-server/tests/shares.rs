//! Share links over HTTP, on SQLite and on PostgreSQL: a share comes back
//! byte for byte to anyone with its link (any origin, never cached) and is
//! listed for its owner only; another user cannot list, revoke or take its
//! id; a revoked share is gone, its content dropped; an expiring one stops
//! on time; bad ids, empty and oversize bodies, past expiries, strangers
//! and an account past its live links are refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use pakchat_protocol::{MAX_SHARE_BYTES, MAX_SHARES};
use pakchat_server::api::AppState;
use pakchat_server::db::Db;
use pakchat_server::limits::Limits;
use pakchat_server::oidc::Verifier;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

const CLIENT: &str = "pakchat-shares-test";

/// A server on `db_url` with `limits`; its address and state.
async fn server(db_url: &str, issuer: &str, limits: Limits) -> (String, Arc<AppState>) {
    let db = Db::open(db_url).await.unwrap();
    let verifier = Verifier::new(issuer, vec![CLIENT.to_owned()]).unwrap();
    let state = Arc::new(AppState::with_limits(db, verifier, 3_600_000, db_url, limits));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let serving = state.clone();
    tokio::spawn(async move { pakchat_server::serve(listener, serving, std::future::pending()).await });
    (base, state)
}

/// A session token of the user `sub`.
async fn session(base: &str, issuer: &str, sub: &str) -> String {
    let claims = json!({ "sub": sub, "email": format!("{sub}@example.com") });
    common::peers::session_token(base, issuer, CLIENT, claims).await
}

fn now_ms() -> i64 {
    pakchat_server::db::now_ms()
}

/// A 22-character id, as the client's are.
fn share_id(n: u32) -> String {
    format!("share-{n:016}")
}

use common::body;

/// `PUT /v1/shares/{id}` with `query` (e.g. `?expires_ms=…`).
async fn put(base: &str, token: Option<&str>, id: &str, query: &str, bytes: Vec<u8>) -> (u16, Value) {
    common::put_bytes(format!("{base}/v1/shares/{id}{query}"), token, bytes).await
}

/// `GET /v1/shares/{id}` with no session: status, headers, body.
async fn open(base: &str, id: &str) -> (u16, HeaderMap, Vec<u8>) {
    let r = reqwest::Client::new().get(format!("{base}/v1/shares/{id}")).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    assert_eq!(headers["access-control-allow-origin"], "*", "every answer to a link allows any origin");
    assert_eq!(headers["cache-control"], "no-store", "no answer to a link is cached");
    (status, headers, r.bytes().await.unwrap().to_vec())
}

/// The status and `error` of an anonymous `GET /v1/shares/{id}` that failed.
async fn open_error(base: &str, id: &str) -> (u16, String) {
    let (status, _, bytes) = open(base, id).await;
    let answer: Value = serde_json::from_slice(&bytes).unwrap();
    (status, answer["error"].as_str().unwrap().to_owned())
}

async fn list(base: &str, token: Option<&str>) -> (u16, Value) {
    let mut r = reqwest::Client::new().get(format!("{base}/v1/shares"));
    if let Some(token) = token {
        r = r.bearer_auth(token);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn revoke(base: &str, token: Option<&str>, id: &str) -> (u16, Value) {
    let mut r = reqwest::Client::new().delete(format!("{base}/v1/shares/{id}"));
    if let Some(token) = token {
        r = r.bearer_auth(token);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The ids a list answer names, in its order.
fn ids_of(list: &Value) -> Vec<String> {
    list["shares"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect()
}

/// The share `id` in a list answer.
fn entry<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["shares"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap_or_else(|| panic!("{id} in {list}"))
}

/// The bytes the database holds for share `id`, read past the server.
async fn stored_bytes(db_url: &str, id: &str) -> i64 {
    use sqlx::Row as _;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(db_url).await.unwrap();
    let row = sqlx::query("SELECT CAST(length(ciphertext) AS BIGINT) AS n FROM shares WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    row.try_get("n").unwrap()
}

#[tokio::test]
async fn a_share_is_served_to_anyone_with_its_link_and_listed_for_its_owner_only() {
    let idp = common::peers::oidc_mock();
    let dbs = common::databases().await;
    for (backend, url) in &dbs.urls {
        let (base, state) = server(url, &idp.base, Limits::default()).await;
        let ada = session(&base, &idp.base, "ada").await;
        let grace = session(&base, &idp.base, "grace").await;
        let (forever, later) = (share_id(1), share_id(2));
        let sent = body(MAX_SHARE_BYTES, 3);
        let before = now_ms();
        let (status, info) = put(&base, Some(&ada), &forever, "", sent.clone()).await;
        assert_eq!(status, 201, "{backend}: {info}");
        assert_eq!(info["id"], forever.as_str(), "{backend}");
        assert_eq!(info["size"], json!(MAX_SHARE_BYTES), "{backend}: the largest body fits");
        assert_eq!((info["expires_ms"].clone(), info["revoked_ms"].clone()), (Value::Null, Value::Null), "{backend}");
        let created = info["created_ms"].as_i64().unwrap();
        assert!((before..=now_ms()).contains(&created), "{backend}: {created}");

        // Anyone with the link: the bytes as sent, as bytes.
        let (status, headers, got) = open(&base, &forever).await;
        assert_eq!(status, 200, "{backend}");
        assert_eq!(headers["content-type"], "application/octet-stream", "{backend}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{backend}");
        assert!(got == sent, "{backend}: the link gives back what was put");

        tokio::time::sleep(Duration::from_millis(5)).await;
        let expires = now_ms() + 3_600_000;
        let (status, info) = put(&base, Some(&ada), &later, &format!("?expires_ms={expires}"), body(1234, 4)).await;
        assert_eq!((status, info["expires_ms"].as_i64()), (201, Some(expires)), "{backend}: {info}");
        assert_eq!(open(&base, &later).await.2, body(1234, 4), "{backend}");

        // The owner's list: newest first, with sizes and expiries.
        let (status, shares) = list(&base, Some(&ada)).await;
        assert_eq!(status, 200, "{backend}");
        assert_eq!(ids_of(&shares), vec![later.clone(), forever.clone()], "{backend}: newest first");
        let first = entry(&shares, &forever);
        assert_eq!(first["size"], json!(MAX_SHARE_BYTES), "{backend}");
        assert_eq!(first["created_ms"], json!(created), "{backend}");
        assert_eq!((first["expires_ms"].clone(), first["revoked_ms"].clone()), (Value::Null, Value::Null));
        let second = entry(&shares, &later);
        assert_eq!((second["size"].as_i64(), second["expires_ms"].as_i64()), (Some(1234), Some(expires)), "{backend}");

        // Another user: nothing to list, nothing to revoke, the id taken
        // (not said whose), and the link still works.
        assert_eq!(list(&base, Some(&grace)).await, (200, json!({ "shares": [] })), "{backend}");
        let (status, answer) = revoke(&base, Some(&grace), &forever).await;
        assert_eq!((status, answer["error"].as_str()), (404, Some("no_share")), "{backend}");
        let (status, answer) = put(&base, Some(&grace), &forever, "", body(10, 5)).await;
        assert_eq!((status, answer["error"].as_str()), (409, Some("share_exists")), "{backend}");
        assert!(!answer.to_string().contains("ada@"), "{backend}: not said whose: {answer}");
        // The owner cannot put it twice either: the first stays.
        let (status, answer) = put(&base, Some(&ada), &forever, "", body(10, 5)).await;
        assert_eq!((status, answer["error"].as_str()), (409, Some("share_exists")), "{backend}");
        assert!(open(&base, &forever).await.2 == sent, "{backend}: the first content stays");
        assert_eq!(ids_of(&list(&base, Some(&ada)).await.1).len(), 2, "{backend}");

        // Unknown and impossible ids: 404, with the same headers.
        assert_eq!(open_error(&base, &share_id(99)).await, (404, "no_share".to_owned()), "{backend}");
        for bad in ["short", "not%20a%20share%20id%20at%20all", &"x".repeat(65)] {
            assert_eq!(open_error(&base, bad).await, (404, "no_share".to_owned()), "{backend}: {bad}");
        }
        state.db.close().await;
    }
}

#[tokio::test]
async fn a_revoked_share_is_gone_for_good_and_its_content_dropped() {
    let idp = common::peers::oidc_mock();
    let dbs = common::databases().await;
    for (backend, url) in &dbs.urls {
        let (base, state) = server(url, &idp.base, Limits::default()).await;
        let ada = session(&base, &idp.base, "ada").await;
        let (gone, kept) = (share_id(1), share_id(2));
        assert_eq!(put(&base, Some(&ada), &gone, "", body(50_000, 1)).await.0, 201, "{backend}");
        assert_eq!(put(&base, Some(&ada), &kept, "", body(60_000, 2)).await.0, 201, "{backend}");
        assert_eq!(stored_bytes(url, &gone).await, 50_000, "{backend}");

        let before = now_ms();
        assert_eq!(revoke(&base, Some(&ada), &gone).await.0, 204, "{backend}");
        let after = now_ms();
        assert_eq!(open_error(&base, &gone).await, (410, "revoked".to_owned()), "{backend}");
        assert_eq!(stored_bytes(url, &gone).await, 0, "{backend}: the server no longer holds the content");
        assert_eq!(open(&base, &kept).await.2, body(60_000, 2), "{backend}: only that one");

        let shares = list(&base, Some(&ada)).await.1;
        let revoked = entry(&shares, &gone);
        let revoked_ms = revoked["revoked_ms"].as_i64().unwrap();
        assert!((before..=after).contains(&revoked_ms), "{backend}: {revoked}");
        assert_eq!(revoked["size"], 0, "{backend}");
        assert_eq!(
            (entry(&shares, &kept)["revoked_ms"].clone(), entry(&shares, &kept)["size"].as_i64()),
            (Value::Null, Some(60_000))
        );

        // Again: 204, and the first time stays.
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(revoke(&base, Some(&ada), &gone).await.0, 204, "{backend}");
        assert_eq!(entry(&list(&base, Some(&ada)).await.1, &gone)["revoked_ms"], json!(revoked_ms), "{backend}");
        // Its id is never served again, not even put again.
        let (status, answer) = put(&base, Some(&ada), &gone, "", body(10, 0)).await;
        assert_eq!((status, answer["error"].as_str()), (409, Some("share_exists")), "{backend}");
        assert_eq!(open_error(&base, &gone).await, (410, "revoked".to_owned()), "{backend}");
        // None of this user's: 404.
        let (status, answer) = revoke(&base, Some(&ada), &share_id(3)).await;
        assert_eq!((status, answer["error"].as_str()), (404, Some("no_share")), "{backend}");
        state.db.close().await;
    }
}

#[tokio::test]
async fn an_expiring_share_is_served_until_its_time_and_then_gone() {
    let idp = common::peers::oidc_mock();
    let dbs = common::databases().await;
    for (backend, url) in &dbs.urls {
        let (base, state) = server(url, &idp.base, Limits::default()).await;
        let ada = session(&base, &idp.base, "ada").await;
        let brief = share_id(1);
        let expires = now_ms() + 1000;
        let (status, info) = put(&base, Some(&ada), &brief, &format!("?expires_ms={expires}"), body(700, 1)).await;
        assert_eq!((status, info["expires_ms"].as_i64()), (201, Some(expires)), "{backend}: {info}");
        let (status, _, got) = open(&base, &brief).await;
        assert_eq!((status, got), (200, body(700, 1)), "{backend}: served before its time");

        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(open_error(&base, &brief).await, (410, "expired".to_owned()), "{backend}");
        let shares = list(&base, Some(&ada)).await.1;
        let expired = entry(&shares, &brief);
        assert_eq!((expired["expires_ms"].as_i64(), expired["revoked_ms"].clone()), (Some(expires), Value::Null));
        assert_eq!(stored_bytes(url, &brief).await, 700, "{backend}: held until the owner's next put");

        // The owner's next put drops the content of what has expired.
        assert_eq!(put(&base, Some(&ada), &share_id(2), "", body(10, 2)).await.0, 201, "{backend}");
        assert_eq!(stored_bytes(url, &brief).await, 0, "{backend}");
        assert_eq!(entry(&list(&base, Some(&ada)).await.1, &brief)["size"], 0, "{backend}");
        assert_eq!(open_error(&base, &brief).await, (410, "expired".to_owned()), "{backend}");
        // Revoking an expired share still works (it is the owner's).
        assert_eq!(revoke(&base, Some(&ada), &brief).await.0, 204, "{backend}");
        assert_eq!(open_error(&base, &brief).await, (410, "revoked".to_owned()), "{backend}");
        state.db.close().await;
    }
}

#[tokio::test]
async fn bad_ids_bodies_expiries_and_strangers_are_refused() {
    let idp = common::peers::oidc_mock();
    let dbs = common::databases().await;
    for (backend, url) in &dbs.urls {
        let (base, state) = server(url, &idp.base, Limits::default()).await;
        let ada = session(&base, &idp.base, "ada").await;
        let good = share_id(1);
        let refused = |(status, answer): (u16, Value), want: (u16, &str), what: &str| {
            assert_eq!((status, answer["error"].as_str()), (want.0, Some(want.1)), "{backend}: {what}: {answer}");
        };
        for bad in ["short", &"x".repeat(65), "has.a.dot.in.it.here", "has%20a%20space%20in%20it"] {
            refused(put(&base, Some(&ada), bad, "", body(10, 0)).await, (400, "bad_request"), bad);
            refused(revoke(&base, Some(&ada), bad).await, (400, "bad_request"), bad);
        }
        refused(put(&base, Some(&ada), &good, "", Vec::new()).await, (400, "bad_request"), "empty body");
        let past = format!("?expires_ms={}", now_ms() - 1);
        refused(put(&base, Some(&ada), &good, &past, body(10, 0)).await, (400, "bad_request"), "in the past");
        refused(put(&base, Some(&ada), &good, "?expires_ms=0", body(10, 0)).await, (400, "bad_request"), "at 0");
        refused(put(&base, Some(&ada), &good, "?expires_ms=soon", body(10, 0)).await, (400, "bad_request"), "words");
        let one_over = put(&base, Some(&ada), &good, "", body(MAX_SHARE_BYTES + 1, 0)).await;
        refused(one_over, (413, "too_large"), "a byte over");
        let far_over = put(&base, Some(&ada), &good, "", body(3 * MAX_SHARE_BYTES, 0)).await;
        refused(far_over, (413, "too_large"), "far over");

        refused(put(&base, None, &good, "", body(10, 0)).await, (401, "unauthorized"), "put, no session");
        refused(put(&base, Some("not-a-session"), &good, "", body(10, 0)).await, (401, "unauthorized"), "forged");
        refused(list(&base, None).await, (401, "unauthorized"), "list, no session");
        refused(revoke(&base, None, &good).await, (401, "unauthorized"), "revoke, no session");

        // Nothing of it was kept.
        assert_eq!(list(&base, Some(&ada)).await, (200, json!({ "shares": [] })), "{backend}");
        assert_eq!(open_error(&base, &good).await, (404, "no_share".to_owned()), "{backend}");
        assert_eq!(put(&base, Some(&ada), &good, "", body(10, 0)).await.0, 201, "{backend}: the id is free");
        state.db.close().await;
    }
}

#[tokio::test]
async fn an_account_keeps_at_most_max_shares_live_links() {
    let idp = common::peers::oidc_mock();
    let dbs = common::databases().await;
    // Enough requests a second to fill an account quickly.
    let limits = Limits { rate_per_s: 100_000, burst: 100_000, ..Limits::default() };
    let http = reqwest::Client::new();
    for (backend, url) in &dbs.urls {
        let (base, state) = server(url, &idp.base, limits).await;
        let ada = session(&base, &idp.base, "ada").await;
        let full = u32::try_from(MAX_SHARES).unwrap();
        for n in 1..full {
            let r = http.put(format!("{base}/v1/shares/{}", share_id(n))).bearer_auth(&ada).body(vec![1u8; 16]);
            assert_eq!(r.send().await.unwrap().status().as_u16(), 201, "{backend}: share {n}");
        }
        // The last one that fits expires soon.
        let soon = format!("?expires_ms={}", now_ms() + 1000);
        assert_eq!(put(&base, Some(&ada), &share_id(full), &soon, body(10, 0)).await.0, 201, "{backend}");
        let (status, answer) = put(&base, Some(&ada), &share_id(full + 1), "", body(10, 0)).await;
        assert_eq!((status, answer["error"].as_str()), (413, Some("too_large")), "{backend}: {answer}");
        assert!(answer["reason"].as_str().unwrap().contains(&MAX_SHARES.to_string()), "{backend}: {answer}");
        assert_eq!(open_error(&base, &share_id(full + 1)).await.0, 404, "{backend}: nothing kept");

        // Another user is not affected.
        let grace = session(&base, &idp.base, "grace").await;
        assert_eq!(put(&base, Some(&grace), &share_id(full + 100), "", body(10, 0)).await.0, 201, "{backend}");

        // An expired link no longer counts; a revoked one neither.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(put(&base, Some(&ada), &share_id(full + 1), "", body(10, 0)).await.0, 201, "{backend}");
        assert_eq!(put(&base, Some(&ada), &share_id(full + 2), "", body(10, 0)).await.0, 413, "{backend}");
        assert_eq!(revoke(&base, Some(&ada), &share_id(1)).await.0, 204, "{backend}");
        assert_eq!(put(&base, Some(&ada), &share_id(full + 2), "", body(10, 0)).await.0, 201, "{backend}");
        // The owner still sees every one of them.
        assert_eq!(ids_of(&list(&base, Some(&ada)).await.1).len(), MAX_SHARES + 2, "{backend}");
        state.db.close().await;
    }
}
