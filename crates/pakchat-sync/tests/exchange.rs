//! Two devices of one person and a real server (in this process, SQLite in
//! a temporary folder, sessions from oauth2-mock-server): the first device
//! makes the account key, the second joins with the recovery code (a wrong
//! code changes nothing), a canary sealed on the first is read on the
//! second and is nowhere in the server's files (SQLite's, and PostgreSQL's
//! data folder); an envelope changed in the server's database does not
//! open.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../tests/common/peers.rs"]
#[allow(dead_code)]
mod peers;

use std::sync::Arc;

use pakchat_core::{DeviceId, Hlc, Stamp};
use pakchat_protocol::{KdfParams, Kind, PushOutcome, RecordId};
use pakchat_server::api::AppState;
use pakchat_sync::{
    JoinError, KeyError, OpenError, Record, RecoveryCode, Server, create_account_key, join, open, seal,
};
use sqlx::Executor as _;

const CLIENT: &str = "pakchat-sync-test";
const CANARY: &str = "canary-7f3a9e-Hunza-lake";
const CHEAP: KdfParams = KdfParams { m_cost_kib: 1024, t_cost: 1, p_cost: 1 };

struct Rig {
    dir: tempfile::TempDir,
    url: String,
    base: String,
    _state: Arc<AppState>,
    idp: peers::Server,
}

async fn rig() -> Rig {
    rig_with(pakchat_server::limits::Limits::default()).await
}

async fn rig_with(limits: pakchat_server::limits::Limits) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("server.sqlite3").display());
    rig_on(dir, url, limits).await
}

/// A server on the database at `url`.
async fn rig_on(dir: tempfile::TempDir, url: String, limits: pakchat_server::limits::Limits) -> Rig {
    let idp = peers::oidc_mock();
    let db = pakchat_server::db::Db::open(&url).await.unwrap();
    let verifier = pakchat_server::oidc::Verifier::new(&idp.base, vec![CLIENT.to_owned()]).unwrap();
    let state = Arc::new(AppState::with_limits(db, verifier, 3_600_000, &url, limits));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let serving = state.clone();
    tokio::spawn(async move { pakchat_server::serve(listener, serving, std::future::pending()).await });
    Rig { dir, url, base, _state: state, idp }
}

/// A session for the mock's user `sub` (a device signing in).
async fn session(rig: &Rig, sub: &str) -> Server {
    let claims = serde_json::json!({ "sub": sub });
    Server::new(&rig.base, &peers::session_token(&rig.base, &rig.idp.base, CLIENT, claims).await).unwrap()
}

async fn user_id(rig: &Rig, sub: &str) -> String {
    let row = sqlx::query("SELECT id FROM users WHERE subject = $1").bind(sub);
    let pool = sqlx::AnyPool::connect(&rig.url).await.unwrap();
    let id: String = sqlx::Row::get(&row.fetch_one(&pool).await.unwrap(), "id");
    pool.close().await;
    id
}

fn record(id: &str, millis: u64) -> Record {
    Record {
        id: RecordId::new(id).unwrap(),
        kind: Kind::new("thread").unwrap(),
        stamp: Stamp { hlc: Hlc { millis, counter: 0 }, device: DeviceId::from_bytes([1; 16]) },
        deleted: false,
    }
}

/// Every way `secret` could sit in a file: raw, hex, base64 (three alignments).
fn forms(secret: &[u8]) -> Vec<Vec<u8>> {
    use base64::Engine as _;
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let mut out = vec![secret.to_vec(), hex.clone().into_bytes(), hex.to_uppercase().into_bytes()];
    for pad in 0..3 {
        let mut shifted = vec![0u8; pad];
        shifted.extend_from_slice(secret);
        let encoded = base64::engine::general_purpose::STANDARD.encode(&shifted);
        let start = (pad * 4).div_ceil(3) + 1;
        out.push(encoded.as_bytes()[start..encoded.len() - 4].to_vec());
    }
    out
}

/// The files under `dir` (and its folders) that hold a form of `secret`.
fn files_hold(dir: &std::path::Path, secret: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            hits.extend(files_hold(&path, secret));
        } else if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            if forms(secret).iter().any(|f| bytes.windows(f.len()).any(|w| w == f.as_slice())) {
                hits.push(path.display().to_string());
            }
        }
    }
    hits
}

#[tokio::test]
async fn a_canary_sealed_on_one_device_is_read_on_the_other_and_never_by_the_server() {
    let rig = rig().await;
    let (a, b) = (session(&rig, "ada").await, session(&rig, "ada").await);
    let user = user_id(&rig, "ada").await;

    // B before any key exists: told so.
    assert_eq!(join(&b, &RecoveryCode::generate().unwrap()).await.unwrap_err(), JoinError::NoKey);
    // A is first: it makes the key; a second "first" device is told to join.
    let (key_a, key_id, code) = create_account_key(&a, CHEAP).await.unwrap();
    assert_eq!(create_account_key(&b, CHEAP).await.unwrap_err(), JoinError::KeyExists);
    // Another person sees no key, and makes their own.
    let grace = session(&rig, "grace").await;
    assert_eq!(join(&grace, &code).await.unwrap_err(), JoinError::NoKey, "Ada's key is Ada's");
    assert!(create_account_key(&grace, CHEAP).await.is_ok());

    let sealed = seal(&key_a, key_id, &user, record("t1", 10), CANARY.as_bytes()).unwrap();
    let pushed = a.push(vec![sealed]).await.unwrap();
    assert!(matches!(pushed.results[0].outcome, PushOutcome::Stored { seq: 1 }));

    // A wrong code: a clear error, and B has nothing.
    let wrong = RecoveryCode::generate().unwrap();
    assert_eq!(join(&b, &wrong).await.unwrap_err(), JoinError::Key(KeyError::WrongCode));
    // The right one, typed loosely: the full history opens.
    let typed = code.display().to_lowercase().replace('-', " ");
    let (key_b, _) = join(&b, &RecoveryCode::parse(&typed).unwrap()).await.unwrap();
    let pulled = b.pull(0, 100).await.unwrap();
    let keys = |id| (id == key_id).then(|| key_b.clone());
    let texts: Vec<String> = pulled
        .envelopes
        .iter()
        .map(|s| String::from_utf8(open(&keys, &user, &s.envelope).unwrap().to_vec()).unwrap())
        .collect();
    assert_eq!(texts, [CANARY]);

    // The server's files hold neither the canary, nor the account key, nor the code.
    let server_dir = rig.dir.path();
    assert!(!files_hold(server_dir, b"ada@example.com").is_empty(), "the scan sees the database's plain text");
    for (what, secret) in [
        ("the canary", CANARY.as_bytes().to_vec()),
        ("the account key", key_a.as_bytes().to_vec()),
        ("the recovery code", code.display().replace('-', "").into_bytes()),
    ] {
        let hits = files_hold(server_dir, &secret);
        assert!(hits.is_empty(), "{what} is readable in {hits:?}");
    }
}

#[tokio::test]
async fn an_envelope_changed_in_the_servers_database_does_not_open() {
    let rig = rig().await;
    let a = session(&rig, "grace").await;
    let user = user_id(&rig, "grace").await;
    let (key, key_id, _code) = create_account_key(&a, CHEAP).await.unwrap();
    let first = seal(&key, key_id, &user, record("t1", 10), b"first").unwrap();
    let second = seal(&key, key_id, &user, record("t2", 10), b"second").unwrap();
    a.push(vec![first, second]).await.unwrap();

    // A hostile server swaps the two records' contents and re-stamps one.
    let pool =
        sqlx::AnyPool::connect(&format!("sqlite://{}", rig.dir.path().join("server.sqlite3").display())).await.unwrap();
    pool.execute(
        "UPDATE records SET ciphertext = (SELECT ciphertext FROM records WHERE id = 't2'),
            nonce = (SELECT nonce FROM records WHERE id = 't2') WHERE id = 't1'",
    )
    .await
    .unwrap();
    pool.execute("UPDATE records SET hlc_millis = 99 WHERE id = 't2'").await.unwrap();
    pool.close().await;

    let pulled = a.pull(0, 100).await.unwrap();
    let keys = |id| (id == key_id).then(|| key.clone());
    for s in &pulled.envelopes {
        assert_eq!(open(&keys, &user, &s.envelope).unwrap_err(), OpenError::Tampered, "{}", s.envelope.id.as_str());
    }
}

#[tokio::test]
async fn too_often_is_told_when_to_come_back_and_a_full_account_says_so() {
    use pakchat_server::db::Quota;
    use pakchat_sync::SyncError;
    let limits =
        pakchat_server::limits::Limits { quota: Quota { bytes: 1 << 20, records: 2 }, rate_per_s: 1, burst: 3 };
    let rig = rig_with(limits).await;
    let a = session(&rig, "ada").await;
    let user = user_id(&rig, "ada").await;
    let key = pakchat_sync::AccountKey::generate().unwrap();
    let sealed = |id: &str| seal(&key, 1, &user, record(id, 10), b"x").unwrap();

    // The burst: three requests pass, the fourth is told to wait, and waiting works.
    a.push(vec![sealed("r1"), sealed("r2")]).await.unwrap();
    a.pull(0, 10).await.unwrap();
    a.pull(0, 10).await.unwrap();
    let Err(SyncError::Wait(wait, reason)) = a.pull(0, 10).await else { panic!("a fourth request at once passed") };
    assert!(wait >= std::time::Duration::from_secs(1) && wait <= std::time::Duration::from_secs(2), "{wait:?}");
    assert!(reason.contains("slow down"), "{reason}");
    tokio::time::sleep(wait).await;
    assert_eq!(a.pull(0, 10).await.unwrap().envelopes.len(), 2, "after the wait it answers");

    // A third record is past this account's quota: nothing of it is kept.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let Err(SyncError::Full(reason)) = a.push(vec![sealed("r3")]).await else { panic!("over the quota") };
    assert!(reason.contains("more than its 1 MiB and 2 records"), "{reason}");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(a.pull(0, 10).await.unwrap().envelopes.len(), 2);
}

/// The same on PostgreSQL: after a checkpoint, neither this database's
/// files nor the cluster's write-ahead log hold the canary, the key or the
/// code (the data folder is `PAKCHAT_TEST_PG_DATA`, the cluster
/// `scripts/check.sh` starts).
#[tokio::test]
async fn on_postgresql_the_canary_is_in_no_file_of_the_data_folder() {
    let data = std::env::var("PAKCHAT_TEST_PG_DATA")
        .expect("PAKCHAT_TEST_PG_DATA: run the tests through scripts/check.sh, which starts PostgreSQL");
    let admin_url = peers::postgres_url();
    sqlx::any::install_default_drivers();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let name = format!("pakchat_canary_{}_{now}", std::process::id());
    let admin = sqlx::AnyPool::connect(&admin_url).await.unwrap();
    admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
    let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
    let rig = rig_on(tempfile::tempdir().unwrap(), url.clone(), pakchat_server::limits::Limits::default()).await;
    let (a, b) = (session(&rig, "ada").await, session(&rig, "ada").await);
    let user = user_id(&rig, "ada").await;
    let (key, key_id, code) = create_account_key(&a, CHEAP).await.unwrap();
    a.push(vec![seal(&key, key_id, &user, record("t1", 10), CANARY.as_bytes()).unwrap()]).await.unwrap();
    assert_eq!(b.pull(0, 10).await.unwrap().envelopes.len(), 1, "stored");

    // Everything on disk: the tables' pages as well as the log.
    admin.execute("CHECKPOINT").await.unwrap();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT CAST(oid AS TEXT) AS oid FROM pg_database WHERE datname = '{name}'"
    )));
    let oid: String = sqlx::Row::get(&row.fetch_one(&admin).await.unwrap(), "oid");
    admin.close().await;
    let data = std::path::Path::new(&data);
    let places = [data.join("base").join(oid), data.join("pg_wal")];
    let held = |secret: &[u8]| places.iter().flat_map(|p| files_hold(p, secret)).collect::<Vec<_>>();
    assert!(!held(b"ada@example.com").is_empty(), "the scan sees the database's plain text");
    for (what, secret) in [
        ("the canary", CANARY.as_bytes().to_vec()),
        ("the account key", key.as_bytes().to_vec()),
        ("the recovery code", code.display().replace('-', "").into_bytes()),
    ] {
        let hits = held(&secret);
        assert!(hits.is_empty(), "{what} is readable in {hits:?}");
    }
}
