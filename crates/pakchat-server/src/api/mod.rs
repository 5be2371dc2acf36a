//! The HTTP API. JSON in and out; every endpoint but `/healthz`,
//! `GET /v1/sign-in`, `POST /v1/session` and `GET /v1/shares/{id}` needs
//! `Authorization: Bearer <session token>`.
//!
//! * `GET /healthz`: 200 `ok` when the database answers, 503 otherwise.
//! * `GET /v1/sign-in`: how to sign in here → `{"issuer", "client_id"}` (the
//!   first configured client id), so an app needs only the server's address.
//! * `POST /v1/session` `{"id_token": "…", "nonce": "…"?, "device": "…"?}`: sign in with an
//!   ID token of the configured issuer → 200 `{"token", "expires_ms",
//!   "user": {"name", "email", "picture"}}`; 401 `{"error": "invalid_token",
//!   "reason"}` when the token is refused (nothing is written then).
//! * `POST /v1/session/rotate`: a fresh token for the same user, the old one
//!   ends → 200 `{"token", "expires_ms"}`.
//! * `DELETE /v1/session`: sign out (this session only) → 204.
//! * `POST /v1/records`, `GET /v1/records?after=&limit=`: the blind record
//!   log (push and pull; `records.rs`, format in `pakchat_protocol`).
//! * `POST /v1/chunks/missing` `{"ids": […]}` → `{"missing": […]}`: which
//!   of these file chunks (at most 1000) this user has not uploaded, in the
//!   order asked; `PUT /v1/chunks/{id}` with the sealed chunk as an
//!   `application/octet-stream` body (at most `MAX_SEALED_CHUNK` bytes; 413
//!   over it or over the quota) → 201 stored, 200 already here (the first
//!   upload stays); `GET /v1/chunks/{id}` → 200 the bytes as uploaded, 404
//!   `no_chunk` when this user has none of that id (`chunks.rs`; another
//!   user's chunks are not shared, nor said to exist).
//! * `PUT /v1/shares/{id}?expires_ms=N` with a sealed share (a read-only
//!   chat snapshot under a key only the link's `#fragment` holds) as an
//!   `application/octet-stream` body → 201 with its
//!   `pakchat_protocol::ShareInfo`; 400 `bad_request` for an id that fails
//!   `valid_share_id`, an empty body or an `expires_ms` (Unix ms, optional)
//!   not in the future; 413 `too_large` over `MAX_SHARE_BYTES` or when the
//!   user has `MAX_SHARES` live links already; 409 `share_exists` when the
//!   id is taken, by anyone (not said whose). The content of the user's
//!   expired shares is dropped then (`shares.rs`).
//! * `GET /v1/shares` → `ShareList`: this user's shares, newest first,
//!   revoked and expired ones included.
//! * `DELETE /v1/shares/{id}` → 204: revoked (`revoked_ms` set) and its
//!   content dropped (`size` 0); 204 again for one revoked before; 404
//!   `no_share` when this user has none of that id (another user's is not
//!   told apart from none).
//! * `GET /v1/shares/{id}`, with **no** session (whoever has the link) →
//!   200 the sealed bytes (`application/octet-stream`, `Cache-Control:
//!   no-store`); 410 `revoked`, 410 `expired` (`expires_ms` <= now); 404
//!   `no_share` for an unknown or invalid id. Every answer carries
//!   `Access-Control-Allow-Origin: *` (no credentials). Not rate-limited,
//!   unlike the routes a session reaches.
//! * `PUT /v1/keys`, `GET /v1/keys`: the account key, wrapped by the
//!   recovery code (`keys.rs`; 409 when it exists, 404 before).
//! * `GET /v1/live`: server-sent events, pokes and heartbeats only
//!   (`crate::live`).
//! * `GET /v1/devices`: this user's signed-in devices (id, last seen, which
//!   is the asking one); `DELETE /v1/devices/{id}` signs one out (404 for a
//!   device that is not this user's).
//! * `POST /v1/relay`: a call to an LLM provider the browser may not make
//!   itself (CORS), sent on to the `x-pakchat-relay-to` URL with the
//!   `x-relay-*` headers unprefixed, its answer streamed back; only to
//!   the origins of `--relay-origin` (403 `relay_refused` otherwise), 502
//!   `relay_unreachable` when the provider cannot be reached, 413 over
//!   `relay::MAX_BODY_BYTES` (`relay.rs`).
//! * `GET /v1/me`: the signed-in user → 200 `{"id", "name", "email",
//!   "picture", "created_ms"}` (`id`, the server's, is what every envelope's
//!   associated data binds).
//!
//! A session token is 256 random bits (base64url); the database keeps only
//! its SHA-256. No endpoint takes a user id: a session reaches only its own
//! user, and nothing says whether another user exists.
//!
//! Web apps on the origins of `--allowed-origin` may call every endpoint
//! from the browser (CORS, `cors.rs`): preflights are answered 204 before
//! any session check, and answers name the asking origin (`Vary: Origin`),
//! except the public `GET /v1/shares/{id}`, which keeps its own `*`. With
//! no origin allowed no answer carries CORS headers but that one.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

mod chunks;
pub mod cors;
mod devices;
mod keys;
mod records;
pub mod relay;
mod shares;

use crate::db::{Db, DbError, Upserted, now_ms};
use crate::oidc::Verifier;

/// What the handlers share.
pub struct AppState {
    /// Users and sessions.
    pub db: Db,
    /// Checks ID tokens.
    pub verifier: Verifier,
    /// How long a session lasts, in milliseconds.
    pub session_ms: i64,
    /// Pokes to signed-in devices.
    pub live: crate::live::Live,
    /// What one user may keep and how often they may ask.
    pub limits: crate::limits::Limits,
    /// Requests per user, per second.
    pub rate: crate::limits::RateLimiter,
    /// The bytes of uploaded file chunks.
    pub chunks: crate::chunks::ChunkStore,
    /// The web app served beside the API (`--web-dir`), if any.
    pub web: Option<crate::web::WebDir>,
    /// The origins whose web apps may call the API (CORS, [`cors`]),
    /// as browsers send them in `Origin`; empty: none.
    pub origins: Vec<String>,
    /// Where `POST /v1/relay` may go, and the client it goes with.
    pub relay: relay::Relay,
}

impl AppState {
    /// The state of a server on `database_url` (on PostgreSQL this starts
    /// listening for other processes' pokes: call it inside the runtime).
    /// File chunks go to [`crate::chunks::ChunkStore::beside`] the database
    /// unless [`Self::with_chunks`] says otherwise.
    #[must_use]
    pub fn new(db: Db, verifier: Verifier, session_ms: i64, database_url: &str) -> Self {
        Self::with_limits(db, verifier, session_ms, database_url, crate::limits::Limits::default())
    }

    /// [`Self::new`] with other [`crate::limits::Limits`].
    #[must_use]
    pub fn with_limits(
        db: Db,
        verifier: Verifier,
        session_ms: i64,
        database_url: &str,
        limits: crate::limits::Limits,
    ) -> Self {
        Self {
            db,
            verifier,
            session_ms,
            live: crate::live::Live::start(database_url),
            rate: crate::limits::RateLimiter::new(limits.rate_per_s, limits.burst),
            limits,
            chunks: crate::chunks::ChunkStore::beside(database_url),
            web: None,
            origins: Vec::new(),
            relay: relay::Relay::new(relay::DEFAULT_ORIGINS.iter().map(|o| (*o).to_owned()).collect()),
        }
    }

    /// This state with file chunks kept in `chunks`.
    #[must_use]
    pub fn with_chunks(self, chunks: crate::chunks::ChunkStore) -> Self {
        Self { chunks, ..self }
    }

    /// This state serving the web app in `web` on every path the API does
    /// not answer.
    #[must_use]
    pub fn with_web(self, web: Option<crate::web::WebDir>) -> Self {
        Self { web, ..self }
    }

    /// This state letting web apps on `origins` call the API (CORS):
    /// each `scheme://host[:port]` as browsers send it, as
    /// [`crate::config::Config::allowed_origins`] has them.
    #[must_use]
    pub fn with_origins(self, origins: Vec<String>) -> Self {
        Self { origins, ..self }
    }

    /// This state relaying `POST /v1/relay` to the providers on `origins`
    /// only (each `scheme://host[:port]`, as
    /// [`crate::config::Config::relay_origins`] has them) instead of
    /// [`relay::DEFAULT_ORIGINS`].
    #[must_use]
    pub fn with_relay_origins(self, origins: Vec<String>) -> Self {
        Self { relay: relay::Relay::new(origins), ..self }
    }
}

/// The API's routes over `state`, answering CORS for its allowed origins
/// when there are any.
pub fn router(state: Arc<AppState>) -> Router {
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/v1/sign-in", get(sign_in_config))
        .route("/v1/session", post(sign_in).delete(sign_out))
        .route("/v1/session/rotate", post(rotate))
        .route("/v1/me", get(me))
        .route("/v1/keys", get(keys::get).put(keys::put))
        .route("/v1/live", get(crate::live::stream))
        .route("/v1/devices", get(devices::list))
        .route("/v1/devices/{id}", axum::routing::delete(devices::remove))
        .route("/v1/chunks/missing", post(chunks::missing).layer(DefaultBodyLimit::max(chunks::MAX_MISSING_BYTES)))
        .route("/v1/chunks/{id}", get(chunks::get).put(chunks::put).layer(DefaultBodyLimit::max(chunks::MAX_PUT_BYTES)))
        .route("/v1/relay", post(relay::forward).layer(DefaultBodyLimit::max(relay::MAX_BODY_BYTES)))
        .route("/v1/shares", get(shares::list))
        .route(
            "/v1/shares/{id}",
            get(shares::open)
                .put(shares::put)
                .delete(shares::revoke)
                .layer(DefaultBodyLimit::max(shares::MAX_PUT_BYTES)),
        )
        .route(
            "/v1/records",
            post(records::push).get(records::pull).layer(DefaultBodyLimit::max(records::MAX_PUSH_BYTES)),
        )
        .fallback(get(crate::web::page))
        .layer(DefaultBodyLimit::max(64 * 1024));
    if state.origins.is_empty() {
        return router.with_state(state);
    }
    router.layer(axum::middleware::from_fn_with_state(state.clone(), cors::answer)).with_state(state)
}

/// An error answer: a status and a JSON body
/// ([`pakchat_protocol::ErrorBody`]: `{"error", "reason"?, "retry_after_s"?}`).
pub struct ApiError {
    status: StatusCode,
    error: &'static str,
    reason: Option<String>,
    /// Seconds to wait (429): `Retry-After` and `retry_after_s`.
    retry_after: Option<u64>,
}

impl ApiError {
    fn unauthorized() -> Self {
        Self { status: StatusCode::UNAUTHORIZED, error: "unauthorized", reason: None, retry_after: None }
    }

    fn bad_request(reason: String) -> Self {
        Self { status: StatusCode::BAD_REQUEST, error: "bad_request", reason: Some(reason), retry_after: None }
    }

    fn too_large(reason: String) -> Self {
        Self { status: StatusCode::PAYLOAD_TOO_LARGE, error: "too_large", reason: Some(reason), retry_after: None }
    }

    fn rate_limited(wait: std::time::Duration) -> Self {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            error: "rate_limited",
            reason: Some("too many requests from this account; slow down".to_owned()),
            retry_after: Some(seconds.max(1)),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        tracing::error!(err = %e, "storage failed");
        Self { status: StatusCode::SERVICE_UNAVAILABLE, error: "unavailable", reason: None, retry_after: None }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = pakchat_protocol::ErrorBody {
            error: self.error.to_owned(),
            reason: self.reason,
            retry_after_s: self.retry_after,
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::error!(err = %e, "health check: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

async fn sign_in_config(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let client_id = state.verifier.client_ids().first().cloned().unwrap_or_default();
    Json(json!({ "issuer": state.verifier.issuer(), "client_id": client_id }))
}

#[derive(Deserialize)]
struct SignIn {
    id_token: String,
    #[serde(default)]
    nonce: Option<String>,
    /// The client's device id (so its sessions can be listed and ended
    /// together); 1 to 64 of `[A-Za-z0-9_-]`.
    #[serde(default)]
    device: Option<pakchat_protocol::RecordId>,
}

#[derive(Serialize)]
struct Profile {
    name: String,
    email: String,
    picture: String,
}

async fn sign_in(
    State(state): State<Arc<AppState>>,
    request: Result<Json<SignIn>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(request) = request.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let identity = match state.verifier.verify(&request.id_token, request.nonce.as_deref()).await {
        Ok(identity) => identity,
        Err(crate::oidc::Rejected::KeysUnavailable(why)) => {
            tracing::error!(reason = %why, "sign-in failed: the identity provider's keys are unavailable");
            return Err(ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                error: "provider_unavailable",
                reason: Some("the identity provider could not be reached".to_owned()),
                retry_after: None,
            });
        }
        Err(rejected) => {
            tracing::warn!(reason = %rejected, "sign-in refused");
            return Err(ApiError {
                status: StatusCode::UNAUTHORIZED,
                error: "invalid_token",
                reason: Some(rejected.to_string()),
                retry_after: None,
            });
        }
    };
    let now = now_ms();
    let (user_id, what) = state.db.upsert_user(&identity, now).await?;
    match what {
        Upserted::Created => tracing::info!(user = %user_id, "new user"),
        Upserted::Updated => tracing::info!(user = %user_id, "user record updated"),
        Upserted::Unchanged => {}
    }
    let (token, hash) = new_token()?;
    let expires_ms = now + state.session_ms;
    let device = request.device.as_ref().map_or("", pakchat_protocol::RecordId::as_str);
    state.db.create_session(&hash, &user_id, device, now, expires_ms).await?;
    tracing::info!(user = %user_id, "signed in");
    let user = Profile { name: identity.name, email: identity.email, picture: identity.picture };
    Ok(Json(json!({ "token": token, "expires_ms": expires_ms, "user": user })).into_response())
}

async fn sign_out(State(state): State<Arc<AppState>>, session: Authenticated) -> Result<StatusCode, ApiError> {
    state.db.delete_session(&session.token_hash).await?;
    tracing::info!(user = %session.user_id, "signed out");
    Ok(StatusCode::NO_CONTENT)
}

async fn rotate(State(state): State<Arc<AppState>>, session: Authenticated) -> Result<Response, ApiError> {
    let (token, hash) = new_token()?;
    let now = now_ms();
    let expires_ms = now + state.session_ms;
    if !state.db.rotate_session(&session.token_hash, &hash, now, expires_ms).await? {
        // Signed out or rotated by another request meanwhile.
        return Err(ApiError::unauthorized());
    }
    tracing::info!(user = %session.user_id, "session rotated");
    Ok(Json(json!({ "token": token, "expires_ms": expires_ms })).into_response())
}

async fn me(State(state): State<Arc<AppState>>, session: Authenticated) -> Result<Response, ApiError> {
    let Some(user) = state.db.user(&session.user_id).await? else { return Err(ApiError::unauthorized()) };
    let i = user.identity;
    Ok(Json(json!({
        "id": session.user_id,
        "name": i.name,
        "email": i.email,
        "picture": i.picture,
        "created_ms": user.created_ms,
    }))
    .into_response())
}

/// A request with a valid session.
pub struct Authenticated {
    /// Whose session it is.
    pub user_id: String,
    /// The device it was made for.
    pub device_id: String,
    /// The hash it is stored under.
    pub token_hash: String,
}

impl FromRequestParts<Arc<AppState>> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(ApiError::unauthorized)?;
        let token_hash = hash_token(token);
        let session = state.db.session(&token_hash, now_ms()).await?.ok_or_else(ApiError::unauthorized)?;
        state.rate.check(&session.user_id).map_err(ApiError::rate_limited)?;
        Ok(Self { user_id: session.user_id, device_id: session.device_id, token_hash })
    }
}

/// A fresh session token and its hash.
fn new_token() -> Result<(String, String), ApiError> {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| {
        tracing::error!(err = %e, "no randomness from the operating system");
        ApiError { status: StatusCode::SERVICE_UNAVAILABLE, error: "unavailable", reason: None, retry_after: None }
    })?;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    Ok((token, hash))
}

/// How a session token is stored: the hex SHA-256 of its text.
#[must_use]
pub fn hash_token(token: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}
