//! Pak.Chat's server: accounts and sessions today, the blind record log of
//! end-to-end encrypted sync next (ARCHITECTURE.md, "Accounts and sync").
//!
//! * [`config`]: flags and `PAKCHAT_SERVER_*` variables, checked at start.
//! * [`db`]: users and sessions in SQLite (embedded default) or PostgreSQL
//!   (several processes on one database), one schema and one set of queries.
//! * [`chunks`]: the bytes of uploaded file chunks, in the data folder or
//!   an S3-compatible object store (several processes share it).
//! * [`oidc`]: verifying OpenID Connect ID tokens against the issuer's keys.
//! * [`api`]: the HTTP endpoints, and CORS for the web apps of other origins.
//! * [`limits`]: per-user quotas and request rate.
//! * [`live`]: pokes to signed-in devices (server-sent events), across
//!   processes through PostgreSQL's `LISTEN`/`NOTIFY`.
//!
//! It speaks plain HTTP: TLS is a reverse proxy's job, and it refuses a
//! non-loopback address unless told it is behind one. Logs name users by
//! our id only: no tokens, no e-mail addresses.

pub mod api;
pub mod chunks;
pub mod config;
pub mod db;
pub mod limits;
pub mod live;
pub mod oidc;
pub mod web;

use std::sync::Arc;

/// Everything a running server needs, made from a [`config::Config`].
///
/// # Errors
/// The data folder, the chunk store or the database could not be opened.
pub async fn state(config: &config::Config) -> Result<Arc<api::AppState>, String> {
    if config.database_url.starts_with("sqlite:") {
        make_private_dir(&config.data_dir)
            .map_err(|e| format!("the data folder {}: {e}", config.data_dir.display()))?;
    }
    let db = db::Db::open(&config.database_url)
        .await
        .map_err(|e| format!("{} ({})", e, config::redact(&config.database_url)))?;
    let verifier = oidc::Verifier::new(&config.issuer, config.client_ids.clone())?;
    let chunks = match &config.s3 {
        Some(s3) => chunks::ChunkStore::S3(chunks::S3Store::new(s3)?),
        None => {
            let root = config.data_dir.join("chunks");
            make_private_dir(&config.data_dir)
                .and_then(|()| chunks::FolderStore::open(root.clone()))
                .map(chunks::ChunkStore::Folder)
                .map_err(|e| format!("the chunk folder {}: {e}", root.display()))?
        }
    };
    let session_ms = i64::from(config.session_days) * 86_400_000;
    let state = api::AppState::with_limits(db, verifier, session_ms, &config.database_url, config.limits);
    let web = config.web_dir.as_deref().map(web::WebDir::open).transpose()?;
    Ok(Arc::new(
        state
            .with_chunks(chunks)
            .with_web(web)
            .with_origins(config.allowed_origins.clone())
            .with_relay_origins(config.relay_origins.clone()),
    ))
}

/// Serve `state` on `listener` until `shutdown` resolves.
///
/// # Errors
/// The listener failed.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<api::AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, api::router(state)).with_graceful_shutdown(shutdown).await
}

fn make_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}
