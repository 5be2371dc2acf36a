//! The HTTP API against a real OpenID provider (oauth2-mock-server, through
//! `tests/peers/oidc-mock.mjs`): sign-in, the user record, sign-out,
//! rotation, every refused token, and one user never reaching another's
//! session. Each runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use pakchat_server::api::AppState;
use pakchat_server::db::Db;
use pakchat_server::oidc::Verifier;
use serde_json::{Value, json};

const CLIENT: &str = "pakchat-test-client";

struct Running {
    base: String,
    state: Arc<AppState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        self.task.await.expect("server task");
        self.state.db.close().await;
    }
}

async fn server(db_url: &str, issuer: &str) -> Running {
    let db = Db::open(db_url).await.expect("database");
    let verifier = Verifier::new(issuer, vec![CLIENT.to_owned(), "another-app".to_owned()])
        .expect("verifier")
        .with_refetch_gap(Duration::ZERO);
    let state = Arc::new(AppState::new(db, verifier, 3_600_000, db_url));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = state.clone();
    let task = tokio::spawn(async move {
        pakchat_server::serve(listener, serving, async {
            stopped.await.ok();
        })
        .await
        .expect("serve");
    });
    Running { base, state, stop: Some(stop), task }
}

/// An ID token minted by the provider: `variant` as `oidc-mock.mjs` names them.
async fn mint(issuer: &str, variant: &str, claims: Value) -> String {
    common::peers::mint(issuer, CLIENT, variant, claims, Some("n-1")).await
}

async fn sign_in(http: &reqwest::Client, base: &str, id_token: &str, nonce: Option<&str>) -> (u16, Value) {
    let r = http.post(format!("{base}/v1/session")).json(&json!({ "id_token": id_token, "nonce": nonce })).send();
    let r = r.await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn get_me(http: &reqwest::Client, base: &str, token: &str) -> (u16, Value) {
    let r = http.get(format!("{base}/v1/me")).bearer_auth(token).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn token_of(answer: &Value) -> String {
    answer["token"].as_str().unwrap_or_else(|| panic!("no token in {answer}")).to_owned()
}

#[tokio::test]
async fn signing_in_makes_the_user_and_a_session_that_ends_at_sign_out() {
    let idp = common::peers::oidc_mock();
    let dbs = common::databases().await;
    let http = reqwest::Client::new();
    for (backend, url) in &dbs.urls {
        let s = server(url, &idp.base).await;
        let id_token = mint(&idp.base, "good", json!({})).await;
        let (status, answer) = sign_in(&http, &s.base, &id_token, Some("n-1")).await;
        assert_eq!(status, 200, "{backend}: {answer}");
        assert_eq!(answer["user"]["name"], "Ada Lovelace");
        assert_eq!(answer["user"]["email"], "ada@example.com");
        let token = token_of(&answer);
        assert_eq!(token.len(), 43, "256 bits, base64url");
        assert!(answer["expires_ms"].as_i64().unwrap() > pakchat_server::db::now_ms());

        let (status, me) = get_me(&http, &s.base, &token).await;
        assert_eq!((status, me["name"].as_str()), (200, Some("Ada Lovelace")), "{backend}");
        assert_eq!(s.state.db.user_count().await.unwrap(), 1);

        // The same person again with a new name: the record follows.
        let renamed = mint(&idp.base, "good", json!({ "name": "Ada King" })).await;
        let (status, answer) = sign_in(&http, &s.base, &renamed, None).await;
        assert_eq!(status, 200, "{backend}: {answer}");
        let second = token_of(&answer);
        assert_eq!(get_me(&http, &s.base, &token).await.1["name"], "Ada King", "{backend}: one record, updated");
        assert_eq!(s.state.db.user_count().await.unwrap(), 1);

        // Sign out ends this session only.
        let out = http.delete(format!("{}/v1/session", s.base)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(out.status().as_u16(), 204);
        assert_eq!(get_me(&http, &s.base, &token).await.0, 401, "{backend}: signed out");
        assert_eq!(get_me(&http, &s.base, &second).await.0, 200, "{backend}: the other device stays in");

        // Rotation: a new token, the old one ends.
        let r = http.post(format!("{}/v1/session/rotate", s.base)).bearer_auth(&second).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let rotated = token_of(&r.json().await.unwrap());
        assert_ne!(rotated, second);
        assert_eq!(get_me(&http, &s.base, &second).await.0, 401, "{backend}: rotated away");
        assert_eq!(get_me(&http, &s.base, &rotated).await.0, 200);
        s.stop().await;
    }
}

#[tokio::test]
async fn a_real_code_flow_token_signs_in_and_its_nonce_is_checked() {
    let idp = common::peers::oidc_mock();
    let dbs = common::databases().await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    // Authorization code with PKCE S256, as the app does it, minus the browser.
    let verifier = "a-verifier-of-enough-length-for-pkce-0123456789abcdef";
    let challenge = {
        use base64::Engine as _;
        use sha2::Digest as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
    };
    let redirect = "http://127.0.0.1:9/callback";
    let authorize = http
        .get(format!("{}/authorize", idp.base))
        .query(&[
            ("response_type", "code"),
            ("client_id", CLIENT),
            ("redirect_uri", redirect),
            ("scope", "openid email profile"),
            ("state", "s-1"),
            ("nonce", "flow-nonce"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    let location = authorize.headers()["location"].to_str().unwrap().to_owned();
    let code = location.split("code=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let token: Value = http
        .post(format!("{}/token", idp.base))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("client_id", CLIENT),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_token = token["id_token"].as_str().unwrap_or_else(|| panic!("{token}"));
    for (backend, url) in &dbs.urls {
        let s = server(url, &idp.base).await;
        let (status, answer) = sign_in(&http, &s.base, id_token, Some("another-nonce")).await;
        assert_eq!((status, answer["reason"].as_str()), (401, Some("the nonce does not match")), "{backend}");
        assert_eq!(s.state.db.user_count().await.unwrap(), 0, "{backend}: nothing written");
        let (status, answer) = sign_in(&http, &s.base, id_token, Some("flow-nonce")).await;
        assert_eq!(status, 200, "{backend}: {answer}");
        assert_eq!(answer["user"]["email"], "ada@example.com");
        s.stop().await;
    }
}

#[tokio::test]
async fn every_forged_or_unfit_token_is_refused_and_writes_nothing() {
    let idp = common::peers::oidc_mock();
    let dbs = common::databases().await;
    let http = reqwest::Client::new();
    let cases = [
        ("expired", json!({}), "ExpiredSignature"),
        ("wrong-aud", json!({}), "InvalidAudience"),
        ("wrong-iss", json!({}), "InvalidIssuer"),
        ("bad-signature", json!({}), "InvalidSignature"),
        ("alg-none", json!({}), "the none algorithm is not accepted"),
        ("hs256-public", json!({}), "the HS256 algorithm is not accepted"),
        ("unknown-kid", json!({}), "the issuer has no key \"not-served\""),
        ("no-email-verified", json!({}), "the e-mail address is missing or not verified"),
        ("good", json!({ "email_verified": false }), "the e-mail address is missing or not verified"),
        ("good", json!({ "email": null }), "the e-mail address is missing or not verified"),
    ];
    for (backend, url) in &dbs.urls {
        let s = server(url, &idp.base).await;
        for (variant, claims, reason) in &cases {
            let token = mint(&idp.base, variant, claims.clone()).await;
            let (status, answer) = sign_in(&http, &s.base, &token, None).await;
            assert_eq!(status, 401, "{backend} {variant} {claims}: {answer}");
            assert_eq!(answer["error"], "invalid_token");
            let said = answer["reason"].as_str().unwrap_or_default();
            assert!(said.contains(reason), "{backend} {variant}: {said:?} should say {reason:?}");
        }
        let (status, _) = sign_in(&http, &s.base, "not.a.token", None).await;
        assert_eq!(status, 401, "{backend}: garbage");
        assert_eq!(s.state.db.user_count().await.unwrap(), 0, "{backend}: no refused token wrote a user");
        s.stop().await;
    }
}

#[tokio::test]
async fn a_signing_key_the_provider_rotated_in_is_fetched_when_its_first_token_comes() {
    let idp = common::peers::oidc_mock();
    let dbs = common::databases().await;
    let http = reqwest::Client::new();
    for (backend, url) in &dbs.urls {
        let s = server(url, &idp.base).await;
        // The first sign-in fetches the provider's keys; they are kept (an hour).
        let (status, answer) = sign_in(&http, &s.base, &mint(&idp.base, "good", json!({})).await, None).await;
        assert_eq!(status, 200, "{backend}: {answer}");
        // The provider starts signing with a key the server has not seen.
        let r: Value = http.post(format!("{}/_control/rotate", idp.base)).send().await.unwrap().json().await.unwrap();
        let kid = r["kid"].as_str().unwrap().to_owned();
        let token = mint(&idp.base, "good", json!({ "sub": "user-2" })).await;
        let header: Value = serde_json::from_slice(
            &base64::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                token.split('.').next().unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(header["kid"], kid.as_str(), "the new key signs");
        let (status, answer) = sign_in(&http, &s.base, &token, None).await;
        assert_eq!(status, 200, "{backend}: a token signed with the rotated-in key {kid}: {answer}");
        // A key the provider does not serve, even after fetching again: refused.
        let (status, _) = sign_in(&http, &s.base, &mint(&idp.base, "unknown-kid", json!({})).await, None).await;
        assert_eq!(status, 401, "{backend}");
        assert_eq!(s.state.db.user_count().await.unwrap(), 2, "{backend}");
        s.stop().await;
    }
}

#[tokio::test]
async fn a_session_reaches_only_its_own_user() {
    let idp = common::peers::oidc_mock();
    let dbs = common::databases().await;
    let http = reqwest::Client::new();
    for (backend, url) in &dbs.urls {
        let s = server(url, &idp.base).await;
        let ada = token_of(&sign_in(&http, &s.base, &mint(&idp.base, "good", json!({})).await, None).await.1);
        let grace_claims = json!({ "sub": "user-2", "name": "Grace Hopper", "email": "grace@example.com" });
        let grace_token = mint(&idp.base, "good", grace_claims).await;
        let grace = token_of(&sign_in(&http, &s.base, &grace_token, None).await.1);

        // GET /v1/me: each sees themselves.
        assert_eq!(get_me(&http, &s.base, &ada).await.1["email"], "ada@example.com", "{backend}");
        assert_eq!(get_me(&http, &s.base, &grace).await.1["email"], "grace@example.com", "{backend}");
        // POST /v1/session/rotate: Ada's rotation leaves Grace's token working.
        let r = http.post(format!("{}/v1/session/rotate", s.base)).bearer_auth(&ada).send().await.unwrap();
        let ada = token_of(&r.json().await.unwrap());
        assert_eq!(get_me(&http, &s.base, &grace).await.0, 200, "{backend}");
        // DELETE /v1/session: Ada signing out ends only her session.
        let r = http.delete(format!("{}/v1/session", s.base)).bearer_auth(&ada).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 204);
        assert_eq!(get_me(&http, &s.base, &grace).await.1["name"], "Grace Hopper", "{backend}");
        assert_eq!(get_me(&http, &s.base, &ada).await.0, 401);

        // Without a valid session, every endpoint but sign-in and health says 401 alike.
        for token in [None, Some(""), Some("made-up"), Some(ada.as_str())] {
            let endpoints = [
                ("GET", "/v1/me"),
                ("POST", "/v1/session/rotate"),
                ("DELETE", "/v1/session"),
                ("POST", "/v1/records"),
                ("GET", "/v1/records"),
                ("PUT", "/v1/keys"),
                ("GET", "/v1/keys"),
                ("GET", "/v1/devices"),
                ("DELETE", "/v1/devices/laptop-1"),
            ];
            for (method, path) in endpoints {
                let mut r = http.request(method.parse().unwrap(), format!("{}{path}", s.base));
                if let Some(t) = token {
                    r = r.bearer_auth(t);
                }
                let r = r.send().await.unwrap();
                assert_eq!(r.status().as_u16(), 401, "{backend} {method} {path} with {token:?}");
                assert_eq!(r.headers()["www-authenticate"], "Bearer");
                assert_eq!(r.json::<Value>().await.unwrap(), json!({ "error": "unauthorized" }));
            }
        }
        let health = http.get(format!("{}/healthz", s.base)).send().await.unwrap();
        assert_eq!((health.status().as_u16(), health.text().await.unwrap()), (200, "ok".to_owned()));
        s.stop().await;
    }
}

fn wire_envelope(id: &str, millis: u64, text: &str) -> Value {
    use base64::Engine as _;
    json!({
        "id": id,
        "kind": "thread",
        "stamp": { "hlc": { "millis": millis, "counter": 0 }, "device": "01a2454c-0c90-748a-bfb9-fb80d4da7ea2" },
        "deleted": false,
        "key_id": 1,
        "nonce": base64::engine::general_purpose::STANDARD.encode([7u8; 12]),
        "ciphertext": base64::engine::general_purpose::STANDARD.encode(text),
    })
}

#[tokio::test]
async fn records_are_pushed_and_pulled_per_user_over_http() {
    let idp = common::peers::oidc_mock();
    let dbs = common::databases().await;
    let http = reqwest::Client::new();
    for (backend, url) in &dbs.urls {
        let s = server(url, &idp.base).await;
        let ada = token_of(&sign_in(&http, &s.base, &mint(&idp.base, "good", json!({})).await, None).await.1);
        let grace_token = mint(&idp.base, "good", json!({ "sub": "user-2", "email": "g@example.com" })).await;
        let grace = token_of(&sign_in(&http, &s.base, &grace_token, None).await.1);
        let push = |token: &str, body: Value| {
            http.post(format!("{}/v1/records", s.base))
                .bearer_auth(token)
                .header("pakchat-protocol", "1")
                .json(&body)
                .send()
        };
        let pull = |token: &str, after: u64| {
            http.get(format!("{}/v1/records?after={after}&limit=10", s.base)).bearer_auth(token).send()
        };

        let r = push(
            &ada,
            json!({ "envelopes": [wire_envelope("t1", 5, "sealed-1"), wire_envelope("t2", 5, "sealed-2")] }),
        )
        .await
        .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{backend}");
        let answer: Value = r.json().await.unwrap();
        assert_eq!(answer["seq"], 2, "{backend}: {answer}");
        assert_eq!(answer["results"][1], json!({ "id": "t2", "outcome": "stored", "seq": 2 }));
        let pulled: Value = pull(&ada, 0).await.unwrap().json().await.unwrap();
        assert_eq!(pulled["envelopes"][0]["envelope"], wire_envelope("t1", 5, "sealed-1"), "{backend}: as pushed");
        assert_eq!((pulled["next"].as_u64(), pulled["more"].as_bool()), (Some(2), Some(false)));

        // Grace sees none of it, and her "t1" is hers.
        let theirs: Value = pull(&grace, 0).await.unwrap().json().await.unwrap();
        assert_eq!(theirs["envelopes"], json!([]), "{backend}");
        let r: Value = push(&grace, json!({ "envelopes": [wire_envelope("t1", 1, "grace")] }))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["results"][0]["outcome"], "stored", "{backend}: not stale against Ada's newer t1");
        let mine: Value = pull(&ada, 2).await.unwrap().json().await.unwrap();
        assert_eq!(mine["envelopes"], json!([]), "{backend}: Ada's log did not move");

        // What is refused, with an ErrorBody.
        let cases = [
            (json!({ "envelopes": [wire_envelope("../x", 1, "a")] }), 400, "bad_request"),
            (json!({ "envelopes": [wire_envelope("big", 1, &"x".repeat(9 << 20))] }), 413, "too_large"),
            (json!({ "envelopes": vec![wire_envelope("n", 1, ""); 1001] }), 413, "too_large"),
        ];
        for (body, status, error) in cases {
            let r = push(&ada, body).await.unwrap();
            assert_eq!(r.status().as_u16(), status, "{backend} {error}");
            assert_eq!(r.json::<Value>().await.unwrap()["error"], error, "{backend}");
        }
        let r = http
            .post(format!("{}/v1/records", s.base))
            .bearer_auth(&ada)
            .header("pakchat-protocol", "2")
            .json(&json!({ "envelopes": [] }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{backend}: another protocol version");
        assert_eq!(s.state.db.log_seq("no-such-user").await.unwrap(), 0);
        s.stop().await;
    }
}

#[tokio::test]
async fn a_user_sees_their_devices_and_signs_one_out_but_never_anothers() {
    let idp = common::peers::oidc_mock();
    let dbs = common::databases().await;
    let http = reqwest::Client::new();
    for (backend, url) in &dbs.urls {
        let s = server(url, &idp.base).await;
        let on = |device: &'static str, sub: &'static str| {
            let (http, s, idp) = (http.clone(), s.base.clone(), idp.base.clone());
            async move {
                let claims = json!({ "sub": sub, "email": format!("{sub}@example.com") });
                let id_token = mint(&idp, "good", claims).await;
                let r = http.post(format!("{s}/v1/session")).json(&json!({ "id_token": id_token, "device": device }));
                token_of(&r.send().await.unwrap().json().await.unwrap())
            }
        };
        let (laptop, phone, grace) =
            (on("laptop-1", "ada").await, on("phone-1", "ada").await, on("g-1", "grace").await);
        let list: Value =
            http.get(format!("{}/v1/devices", s.base)).bearer_auth(&laptop).send().await.unwrap().json().await.unwrap();
        let mut ids: Vec<(String, bool)> = list["devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["id"].as_str().unwrap().to_owned(), d["current"].as_bool().unwrap()))
            .collect();
        ids.sort();
        assert_eq!(ids, [("laptop-1".to_owned(), true), ("phone-1".to_owned(), false)], "{backend}: {list}");

        // Grace cannot reach Ada's phone; Ada's laptop can sign it out.
        let r = http.delete(format!("{}/v1/devices/phone-1", s.base)).bearer_auth(&grace).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 404, "{backend}");
        assert_eq!(get_me(&http, &s.base, &phone).await.0, 200, "{backend}: untouched");
        let r = http.delete(format!("{}/v1/devices/phone-1", s.base)).bearer_auth(&laptop).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 204, "{backend}");
        assert_eq!(get_me(&http, &s.base, &phone).await.0, 401, "{backend}: the phone is signed out");
        assert_eq!(get_me(&http, &s.base, &laptop).await.0, 200);
        // A rotated session stays on its device.
        let r = http.post(format!("{}/v1/session/rotate", s.base)).bearer_auth(&laptop).send().await.unwrap();
        let laptop = token_of(&r.json().await.unwrap());
        let list: Value =
            http.get(format!("{}/v1/devices", s.base)).bearer_auth(&laptop).send().await.unwrap().json().await.unwrap();
        assert_eq!(list["devices"][0]["id"], "laptop-1", "{backend}: {list}");
        assert_eq!(list["devices"].as_array().unwrap().len(), 1);
        let bad = json!({ "id_token": mint(&idp.base, "good", json!({})).await, "device": "../x" });
        let r = http.post(format!("{}/v1/session", s.base)).json(&bad).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 400, "{backend}: a device id that is not one");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "bad_request", "{backend}: {body}");
        assert!(body["reason"].as_str().unwrap().contains("record id"), "{backend}: {body}");
        s.stop().await;
    }
}
