//! File chunks over HTTP, on SQLite and on PostgreSQL: an upload is no
//! longer missing and comes back byte for byte, the first upload of an id
//! stays, one user never reaches another's chunks, bad ids, oversize bodies,
//! a full account and strangers are refused. Then the same through an
//! S3-compatible store (moto, checking every signature), and two servers
//! on one PostgreSQL sharing one bucket.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use pakchat_protocol::{ChunkId, MAX_MISSING, MAX_SEALED_CHUNK};
use pakchat_server::api::AppState;
use pakchat_server::chunks::{ChunkStore, S3Config, S3Credentials, S3Store};
use pakchat_server::db::{Db, Quota};
use pakchat_server::limits::Limits;
use pakchat_server::oidc::Verifier;
use serde_json::{Value, json};

const CLIENT: &str = "pakchat-chunks-test";

/// A server on `db_url`, its chunks in `store` (default: beside the
/// database); its address and state.
async fn server(db_url: &str, issuer: &str, limits: Limits, store: Option<ChunkStore>) -> (String, Arc<AppState>) {
    let db = Db::open(db_url).await.unwrap();
    let verifier = Verifier::new(issuer, vec![CLIENT.to_owned()]).unwrap();
    let mut state = AppState::with_limits(db, verifier, 3_600_000, db_url, limits);
    if let Some(store) = store {
        state = state.with_chunks(store);
    }
    let state = Arc::new(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let serving = state.clone();
    tokio::spawn(async move { pakchat_server::serve(listener, serving, std::future::pending()).await });
    (base, state)
}

/// A signed-in device of the user `sub`: its token and the user's id.
async fn session(base: &str, issuer: &str, sub: &str) -> (String, String) {
    let claims = json!({ "sub": sub, "email": format!("{sub}@example.com") });
    let token = common::peers::session_token(base, issuer, CLIENT, claims).await;
    let me: Value = reqwest::Client::new()
        .get(format!("{base}/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (token, me["id"].as_str().unwrap().to_owned())
}

fn id(n: u8) -> ChunkId {
    ChunkId::from_hash(&[n; 32])
}

use common::body;

async fn put(base: &str, token: Option<&str>, id: &str, bytes: Vec<u8>) -> (u16, Value) {
    common::put_bytes(format!("{base}/v1/chunks/{id}"), token, bytes).await
}

async fn get(base: &str, token: Option<&str>, id: &str) -> (u16, Vec<u8>) {
    let mut r = reqwest::Client::new().get(format!("{base}/v1/chunks/{id}"));
    if let Some(token) = token {
        r = r.bearer_auth(token);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    if status == 200 {
        assert_eq!(r.headers()["content-type"], "application/octet-stream");
    }
    (status, r.bytes().await.unwrap().to_vec())
}

async fn missing(base: &str, token: Option<&str>, ids: &[String]) -> (u16, Value) {
    let mut r = reqwest::Client::new().post(format!("{base}/v1/chunks/missing")).json(&json!({ "ids": ids }));
    if let Some(token) = token {
        r = r.bearer_auth(token);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn ids(ns: &[u8]) -> Vec<String> {
    ns.iter().map(|&n| id(n).as_str().to_owned()).collect()
}

/// Upload, missing, download and one user against another, on `base`.
/// Returns the server's ids of the two users (ada, grace).
async fn upload_and_fetch(base: &str, issuer: &str, what: &str) -> (String, String) {
    let (ada, ada_id) = session(base, issuer, "ada").await;
    let (grace, grace_id) = session(base, issuer, "grace").await;
    let first = body(300_000, 7);
    assert_eq!(missing(base, Some(&ada), &ids(&[3, 1, 2])).await, (200, json!({ "missing": ids(&[3, 1, 2]) })));
    assert_eq!(put(base, Some(&ada), id(1).as_str(), first.clone()).await.0, 201, "{what}");
    let answer = missing(base, Some(&ada), &ids(&[3, 1, 2])).await;
    assert_eq!(answer, (200, json!({ "missing": ids(&[3, 2]) })), "{what}: in the order asked");
    assert_eq!(get(base, Some(&ada), id(1).as_str()).await, (200, first.clone()), "{what}");

    // The same id again: 200, and the first body stays.
    assert_eq!(put(base, Some(&ada), id(1).as_str(), body(10, 9)).await.0, 200, "{what}");
    assert_eq!(get(base, Some(&ada), id(1).as_str()).await.1, first, "{what}: the first upload stays");

    // Another user: not theirs, not even said to exist.
    let (status, answer) = get(base, Some(&grace), id(1).as_str()).await;
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!((status, answer["error"].as_str()), (404, Some("no_chunk")), "{what}");
    assert_eq!(missing(base, Some(&grace), &ids(&[1])).await.1, json!({ "missing": ids(&[1]) }), "{what}");
    let theirs = body(5_000, 42);
    assert_eq!(put(base, Some(&grace), id(1).as_str(), theirs.clone()).await.0, 201, "{what}: their own upload");
    assert_eq!(get(base, Some(&grace), id(1).as_str()).await.1, theirs, "{what}");
    assert_eq!(get(base, Some(&ada), id(1).as_str()).await.1, first, "{what}: each keeps their own");
    assert_eq!(get(base, Some(&ada), id(2).as_str()).await.0, 404, "{what}");
    (ada_id, grace_id)
}

#[tokio::test]
async fn an_upload_is_no_longer_missing_comes_back_whole_and_stays_its_owners() {
    let idp = common::peers::oidc_mock();
    let dbs = common::databases().await;
    for (backend, url) in &dbs.urls {
        let (base, state) = server(url, &idp.base, Limits::default(), None).await;
        let (ada, grace) = upload_and_fetch(&base, &idp.base, backend).await;
        // What the database says each user holds is what was uploaded.
        for (user, chunk, held) in [(&ada, 1, true), (&ada, 2, false), (&grace, 1, true), (&grace, 3, false)] {
            assert_eq!(state.db.has_chunk(user, &id(chunk)).await.unwrap(), held, "{backend}: chunk {chunk}");
        }
        state.db.close().await;
    }
}

#[tokio::test]
async fn the_server_keeps_a_chunks_bytes_as_sent_in_a_private_folder() {
    let idp = common::peers::oidc_mock();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("server.sqlite3").display());
    let store = pakchat_server::chunks::FolderStore::open(dir.path().join("files")).unwrap();
    let (base, _state) = server(&url, &idp.base, Limits::default(), Some(ChunkStore::Folder(store))).await;
    let (ada, user) = session(&base, &idp.base, "ada").await;
    let sent = body(MAX_SEALED_CHUNK, 0);
    assert_eq!(put(&base, Some(&ada), id(0xab).as_str(), sent.clone()).await.0, 201, "the largest body fits");
    let file = dir.path().join("files").join(&user).join("ab").join(id(0xab).as_str());
    assert!(std::fs::read(&file).unwrap() == sent, "the file holds what the client sent");
    let folder = file.parent().unwrap();
    assert_eq!(std::fs::read_dir(folder).unwrap().count(), 1, "no temporary file is left");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(folder).unwrap().permissions().mode() & 0o777, 0o700);
    }
    // Bytes lost from the store: the chunk is missing again, to be re-sent.
    std::fs::remove_file(&file).unwrap();
    assert_eq!(get(&base, Some(&ada), id(0xab).as_str()).await.0, 404);
    assert_eq!(missing(&base, Some(&ada), &ids(&[0xab])).await.1, json!({ "missing": ids(&[0xab]) }));
    assert_eq!(put(&base, Some(&ada), id(0xab).as_str(), sent).await.0, 201);
}

#[tokio::test]
async fn bad_ids_oversize_bodies_long_questions_and_strangers_are_refused() {
    let idp = common::peers::oidc_mock();
    let dbs = common::databases().await;
    for (backend, url) in &dbs.urls {
        let (base, state) = server(url, &idp.base, Limits::default(), None).await;
        let (ada, _) = session(&base, &idp.base, "ada").await;
        let good = id(0xab).as_str().to_owned();
        for bad in [good.to_uppercase(), good[..63].to_owned(), format!("{}zz", &good[..62])] {
            let (status, answer) = put(&base, Some(&ada), &bad, body(10, 0)).await;
            assert_eq!((status, answer["error"].as_str()), (400, Some("bad_request")), "{backend}: {bad}");
            assert_eq!(get(&base, Some(&ada), &bad).await.0, 400, "{backend}: {bad}");
        }
        let answer = reqwest::Client::new()
            .post(format!("{base}/v1/chunks/missing"))
            .bearer_auth(&ada)
            .json(&json!({ "ids": ["../../etc/passwd"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 400, "{backend}");

        let (status, answer) = put(&base, Some(&ada), &good, body(MAX_SEALED_CHUNK + 1, 0)).await;
        assert_eq!((status, answer["error"].as_str()), (413, Some("too_large")), "{backend}: {answer}");
        let (status, answer) = put(&base, Some(&ada), &good, body(3 * MAX_SEALED_CHUNK, 0)).await;
        assert_eq!((status, answer["error"].as_str()), (413, Some("too_large")), "{backend}: {answer}");
        assert_eq!(get(&base, Some(&ada), &good).await.0, 404, "{backend}: nothing kept");

        let many: Vec<String> = (0..=MAX_MISSING).map(|n| ChunkId::from_hash(&[(n % 251) as u8; 32]).into()).collect();
        let (status, answer) = missing(&base, Some(&ada), &many).await;
        assert_eq!((status, answer["error"].as_str()), (413, Some("too_large")), "{backend}: {answer}");
        let (status, _) = missing(&base, Some(&ada), &many[..MAX_MISSING]).await;
        assert_eq!(status, 200, "{backend}: {MAX_MISSING} ids may be asked about");

        assert_eq!(put(&base, None, &good, body(10, 0)).await.0, 401, "{backend}");
        assert_eq!(put(&base, Some("not-a-session"), &good, body(10, 0)).await.0, 401, "{backend}");
        assert_eq!(get(&base, None, &good).await.0, 401, "{backend}");
        assert_eq!(missing(&base, None, &ids(&[0xab])).await.0, 401, "{backend}");
        state.db.close().await;
    }
}

async fn push(base: &str, token: &str, id: &str, ciphertext_len: usize) -> (u16, Value) {
    use base64::Engine as _;
    let envelope = json!({
        "id": id,
        "kind": "thread",
        "stamp": { "hlc": { "millis": 1, "counter": 0 }, "device": "01a2454c-0c90-748a-bfb9-fb80d4da7ea2" },
        "deleted": false,
        "key_id": 1,
        "nonce": base64::engine::general_purpose::STANDARD.encode([1u8; 12]),
        "ciphertext": base64::engine::general_purpose::STANDARD.encode(vec![7u8; ciphertext_len]),
    });
    let r = reqwest::Client::new().post(format!("{base}/v1/records")).bearer_auth(token);
    let r = r.json(&json!({ "envelopes": [envelope] })).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn chunks_count_towards_the_quota_records_use() {
    let idp = common::peers::oidc_mock();
    let dbs = common::databases().await;
    let limits = Limits { quota: Quota { bytes: 100_000, records: 1000 }, ..Limits::default() };
    for (backend, url) in &dbs.urls {
        let (base, state) = server(url, &idp.base, limits, None).await;
        let (ada, user) = session(&base, &idp.base, "ada").await;
        assert_eq!(push(&base, &ada, "r1", 2_000).await.0, 200, "{backend}");
        assert_eq!(put(&base, Some(&ada), id(1).as_str(), body(90_000, 1)).await.0, 201, "{backend}");
        let used = state.db.used_bytes(&user).await.unwrap();
        assert!((92_000..93_000).contains(&used), "{backend}: records and chunks together: {used}");

        // Past the quota: the same answer a push gets, and nothing kept.
        let (status, answer) = put(&base, Some(&ada), id(2).as_str(), body(9_000, 2)).await;
        assert_eq!((status, answer["error"].as_str()), (413, Some("quota_exceeded")), "{backend}: {answer}");
        assert_eq!(missing(&base, Some(&ada), &ids(&[2])).await.1, json!({ "missing": ids(&[2]) }), "{backend}");
        assert_eq!(get(&base, Some(&ada), id(2).as_str()).await.0, 404, "{backend}");
        let (status, answer) = push(&base, &ada, "r2", 9_000).await;
        assert_eq!((status, answer["error"].as_str()), (413, Some("quota_exceeded")), "{backend}: chunks fill it");
        assert_eq!(state.db.used_bytes(&user).await.unwrap(), used, "{backend}: nothing counted");
        // What fits still fits; the same id again costs nothing.
        assert_eq!(put(&base, Some(&ada), id(2).as_str(), body(5_000, 2)).await.0, 201, "{backend}");
        assert_eq!(put(&base, Some(&ada), id(2).as_str(), body(5_000, 2)).await.0, 200, "{backend}");
        assert_eq!(state.db.used_bytes(&user).await.unwrap(), used + 5_000, "{backend}");
        state.db.close().await;
    }
}

/// moto with authentication on and a user allowed everything in S3: the
/// user's key, and the moto server.
async fn moto_with_key() -> (common::peers::Server, S3Credentials) {
    use pakchat_server::chunks::s3::SigV4;
    let moto = common::peers::moto();
    let http = reqwest::Client::new();
    // Before authentication is on, any key will do: the signature's scope
    // tells moto which service is asked.
    let anyone = S3Credentials { access_key_id: "AKIDSETUP".to_owned(), secret_access_key: "setup".to_owned() };
    let iam = SigV4::new(anyone, "us-east-1", "iam");
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    let mut answer = String::new();
    for params in [
        vec![("Action", "CreateUser"), ("UserName", "pakchat")],
        vec![("Action", "PutUserPolicy"), ("UserName", "pakchat"), ("PolicyName", "s3"), ("PolicyDocument", policy)],
        vec![("Action", "CreateAccessKey"), ("UserName", "pakchat")],
    ] {
        let mut form = reqwest::Url::parse("http://form/").unwrap();
        form.query_pairs_mut().extend_pairs(params).append_pair("Version", "2010-05-08");
        let form = form.query().unwrap().to_owned();
        let url = reqwest::Url::parse(&format!("{}/", moto.base)).unwrap();
        let mut r = http.post(url.clone()).header("content-type", "application/x-www-form-urlencoded");
        for (name, value) in iam.sign("POST", &url, &[], form.as_bytes(), now_s()) {
            r = r.header(name, value);
        }
        let r = r.body(form).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "IAM setup");
        answer = r.text().await.unwrap();
    }
    let between = |tag: &str| answer.split(&format!("<{tag}>")).nth(1).unwrap().split('<').next().unwrap().to_owned();
    let key = S3Credentials { access_key_id: between("AccessKeyId"), secret_access_key: between("SecretAccessKey") };
    let r = http.post(format!("{}/moto-api/reset-auth", moto.base)).body("0").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "authentication on");
    (moto, key)
}

fn now_s() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn s3_config(moto: &common::peers::Server, bucket: &str, key: &S3Credentials) -> S3Config {
    S3Config {
        endpoint: moto.base.clone(),
        bucket: bucket.to_owned(),
        region: "us-east-1".to_owned(),
        credentials: key.clone(),
    }
}

fn s3_store(config: &S3Config) -> ChunkStore {
    ChunkStore::S3(S3Store::new(config).unwrap())
}

#[tokio::test]
async fn chunks_live_in_an_s3_bucket_as_sent_and_every_request_is_signed() {
    let (moto, key) = moto_with_key().await;
    let config = s3_config(&moto, "pakchat-chunks", &key);
    S3Store::new(&config).unwrap().create_bucket().await.unwrap();
    // A wrong secret is refused: moto checks each signature.
    let forged = S3Credentials { secret_access_key: "not-the-secret".to_owned(), ..key.clone() };
    let refused = S3Store::new(&s3_config(&moto, "pakchat-chunks", &forged)).unwrap().create_bucket().await;
    assert!(refused.unwrap_err().to_string().contains("SignatureDoesNotMatch"));

    let idp = common::peers::oidc_mock();
    let dbs = common::databases().await;
    for (backend, url) in &dbs.urls {
        let (base, state) = server(url, &idp.base, Limits::default(), Some(s3_store(&config))).await;
        upload_and_fetch(&base, &idp.base, backend).await;
        // In the bucket under the user's id, as the client sent it.
        let (ada, user) = session(&base, &idp.base, "ada").await;
        let sent = body(MAX_SEALED_CHUNK, 3);
        assert_eq!(put(&base, Some(&ada), id(9).as_str(), sent.clone()).await.0, 201, "{backend}");
        let stored = s3_store(&config).get(&user, &id(9)).await.unwrap();
        assert!(stored.as_deref() == Some(&sent[..]), "{backend}: the object is the body sent");
        assert_eq!(s3_store(&config).get(&user, &id(10)).await.unwrap(), None, "{backend}");
        state.db.close().await;
    }
    // With the store gone, an upload is refused and nothing is recorded.
    let url = &dbs.urls[0].1;
    let (base, state) = server(url, &idp.base, Limits::default(), Some(s3_store(&config))).await;
    let (ada, _) = session(&base, &idp.base, "ada").await;
    drop(moto);
    let (status, answer) = put(&base, Some(&ada), id(11).as_str(), body(100, 0)).await;
    assert_eq!((status, answer["error"].as_str()), (503, Some("unavailable")));
    assert_eq!(missing(&base, Some(&ada), &ids(&[11])).await.1, json!({ "missing": ids(&[11]) }));
    state.db.close().await;
}

#[tokio::test]
async fn two_servers_on_one_postgresql_share_chunks_through_one_bucket() {
    let (moto, key) = moto_with_key().await;
    let config = s3_config(&moto, "shared-chunks", &key);
    S3Store::new(&config).unwrap().create_bucket().await.unwrap();
    let idp = common::peers::oidc_mock();
    let url = common::fresh_postgres().await;
    let (one, state_one) = server(&url, &idp.base, Limits::default(), Some(s3_store(&config))).await;
    let (two, state_two) = server(&url, &idp.base, Limits::default(), Some(s3_store(&config))).await;
    let (on_one, _) = session(&one, &idp.base, "ada").await;
    let (on_two, _) = session(&two, &idp.base, "ada").await;
    let sent = body(200_000, 5);
    assert_eq!(put(&one, Some(&on_one), id(1).as_str(), sent.clone()).await.0, 201);
    assert_eq!(missing(&two, Some(&on_two), &ids(&[1, 2])).await.1, json!({ "missing": ids(&[2]) }));
    assert_eq!(get(&two, Some(&on_two), id(1).as_str()).await, (200, sent.clone()), "served by the other");
    assert_eq!(put(&two, Some(&on_two), id(1).as_str(), body(10, 0)).await.0, 200, "already there");
    assert_eq!(get(&one, Some(&on_one), id(1).as_str()).await.1, sent);
    state_one.db.close().await;
    state_two.db.close().await;
}
