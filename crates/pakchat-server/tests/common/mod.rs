//! What the server's tests share: databases of both kinds, made fresh.

#![allow(dead_code, reason = "each test binary uses part of this")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../../tests/common/peers.rs"]
pub mod peers;

use sqlx::Executor as _;

/// A database URL of each backend, each a new, empty database; the
/// temporary folder holding the SQLite one lives as long as the value.
pub struct Databases {
    /// SQLite's folder.
    pub dir: tempfile::TempDir,
    /// `(name, url)`: "sqlite" and "postgres".
    pub urls: Vec<(&'static str, String)>,
}

/// A new SQLite database and a new PostgreSQL database on the server
/// `scripts/check.sh` started.
pub async fn databases() -> Databases {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = format!("sqlite://{}?mode=rwc", dir.path().join("server.sqlite3").display());
    Databases { urls: vec![("sqlite", sqlite), ("postgres", fresh_postgres().await)], dir }
}

/// A new database on the test PostgreSQL server.
pub async fn fresh_postgres() -> String {
    let base = peers::postgres_url();
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(&base).await.unwrap_or_else(|e| panic!("PostgreSQL at {base}: {e}"));
    let name = format!("pakchat_test_{}", uuid::Uuid::new_v4().simple());
    admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("create database");
    admin.close().await;
    let (server, _) = base.rsplit_once('/').expect("a URL with a database name");
    format!("{server}/{name}")
}

/// Run `suite` on a fresh database of each backend: "sqlite" and "postgres".
pub async fn on_both<F, Fut>(suite: F)
where
    F: Fn(&'static str, pakchat_server::db::Db) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dbs = databases().await;
    for (backend, url) in &dbs.urls {
        let db = pakchat_server::db::Db::open(url).await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        suite(backend, db.clone()).await;
        db.close().await;
    }
}

/// A sealed-looking body: every byte value, `len` long, varied by `seed`.
pub fn body(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// `PUT url` with `bytes` as `application/octet-stream`, with the session
/// `token` if given: the status and the JSON answer (null if none).
pub async fn put_bytes(url: String, token: Option<&str>, bytes: Vec<u8>) -> (u16, serde_json::Value) {
    let mut r = reqwest::Client::new().put(url).header("content-type", "application/octet-stream").body(bytes);
    if let Some(token) = token {
        r = r.bearer_auth(token);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}
