//! `PUT /v1/shares/{id}`, `GET /v1/shares`, `DELETE /v1/shares/{id}` (the
//! owner's) and `GET /v1/shares/{id}` (anyone's with the link): share
//! links, read-only snapshots of a chat sealed by the client under a key
//! that lives only in the link's `#fragment`. The server stores and serves
//! the sealed bytes and never sees the key. Ids are the client's (see
//! [`pakchat_protocol::valid_share_id`]); one id names one share for good,
//! whoever's it is.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pakchat_protocol::{MAX_SHARE_BYTES, MAX_SHARES, ShareInfo, ShareList, valid_share_id};
use serde::Deserialize;

use super::{ApiError, AppState, Authenticated};
use crate::db::{ShareRefused, Shared, now_ms};

/// The body limit of `PUT /v1/shares/{id}`: a sealed share and some room,
/// so that one a byte too long is still read and answered as such.
pub const MAX_PUT_BYTES: usize = MAX_SHARE_BYTES + 4096;

/// 404 `no_share`: no share of that id (or, to its owner's routes, none of
/// this user's; another user's share is not said to exist).
fn no_share() -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        error: "no_share",
        reason: Some("there is no share of that id".to_owned()),
        retry_after: None,
    }
}

/// 410 Gone with `error`, in `reason`'s words.
fn gone(error: &'static str, reason: &str) -> ApiError {
    ApiError { status: StatusCode::GONE, error, reason: Some(reason.to_owned()), retry_after: None }
}

/// `id` when it can name a share, else 400.
fn share_id(id: String) -> Result<String, ApiError> {
    if valid_share_id(&id) {
        Ok(id)
    } else {
        Err(ApiError::bad_request("a share id is 16 to 64 characters of A-Z a-z 0-9 _ -".to_owned()))
    }
}

/// The query of `PUT /v1/shares/{id}`.
#[derive(Deserialize)]
pub(super) struct PutParams {
    /// When the share stops being served, Unix milliseconds (absent: never).
    #[serde(default)]
    expires_ms: Option<i64>,
}

/// `PUT /v1/shares/{id}?expires_ms=N`: keep the body as the asking user's
/// share `id` → 201 with its [`ShareInfo`]. 400 for a bad id, an empty
/// body or an expiry not in the future; 413 over [`MAX_SHARE_BYTES`] or
/// past [`MAX_SHARES`] live links; 409 when the id is taken (by anyone).
pub(super) async fn put(
    State(state): State<Arc<AppState>>,
    session: Authenticated,
    Path(id): Path<String>,
    params: Result<Query<PutParams>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<ShareInfo>), ApiError> {
    let id = share_id(id)?;
    let Query(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let too_large = || ApiError::too_large(format!("a sealed share is at most {MAX_SHARE_BYTES} bytes"));
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE { too_large() } else { ApiError::bad_request(e.body_text()) }
    })?;
    if bytes.len() > MAX_SHARE_BYTES {
        return Err(too_large());
    }
    if bytes.is_empty() {
        return Err(ApiError::bad_request("a share needs its sealed content as the body".to_owned()));
    }
    let now = now_ms();
    if params.expires_ms.is_some_and(|at| at <= now) {
        return Err(ApiError::bad_request("expires_ms must be in the future (Unix milliseconds)".to_owned()));
    }
    let user = session.user_id.as_str();
    match state.db.create_share(user, &id, &bytes, params.expires_ms, now, MAX_SHARES).await? {
        Ok(info) => {
            tracing::info!(user = %user, size = info.size, "share link made");
            Ok((StatusCode::CREATED, Json(info)))
        }
        Err(ShareRefused::Exists) => Err(ApiError {
            status: StatusCode::CONFLICT,
            error: "share_exists",
            reason: Some("a share of that id exists already: make another id".to_owned()),
            retry_after: None,
        }),
        Err(ShareRefused::TooMany) => {
            tracing::info!(user = %user, "a share past the account's limit of live links was refused");
            Err(ApiError::too_large(format!(
                "an account keeps at most {MAX_SHARES} live share links: revoke one first"
            )))
        }
    }
}

/// `GET /v1/shares`: the asking user's shares, newest first, revoked and
/// expired ones included.
pub(super) async fn list(
    State(state): State<Arc<AppState>>,
    session: Authenticated,
) -> Result<Json<ShareList>, ApiError> {
    Ok(Json(ShareList { shares: state.db.shares(&session.user_id).await? }))
}

/// `DELETE /v1/shares/{id}`: revoke the asking user's share `id` and drop
/// its content → 204 (again for one revoked before); 404 when this user
/// has no share of that id; 400 for an id no share can have.
pub(super) async fn revoke(
    State(state): State<Arc<AppState>>,
    session: Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = share_id(id)?;
    if !state.db.revoke_share(&session.user_id, &id, now_ms()).await? {
        return Err(no_share());
    }
    tracing::info!(user = %session.user_id, "share link revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/shares/{id}`, with no session (whoever has the link): 200 with
/// the sealed bytes (`application/octet-stream`, not to be cached); 410
/// `revoked` or `expired`; 404 `no_share` for an unknown or invalid id.
/// Every answer allows any origin, without credentials, so a web app
/// hosted elsewhere may open links.
///
/// Known gap: unlike the authenticated routes (rate-limited per user by
/// [`Authenticated`]), nothing limits how often this is asked; ids of 16
/// random bytes cannot be guessed, but a client may ask for a known link
/// as often as it likes.
pub(super) async fn open(State(state): State<Arc<AppState>>, id: Result<Path<String>, PathRejection>) -> Response {
    let mut response = match opened(&state, id.ok()).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response(),
        Err(e) => e.into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The bytes are anyone's upload: never taken for a page of this origin.
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// The bytes behind the link `id`, or why there are none.
async fn opened(state: &AppState, id: Option<Path<String>>) -> Result<Vec<u8>, ApiError> {
    let Some(Path(id)) = id.filter(|Path(id)| valid_share_id(id)) else { return Err(no_share()) };
    match state.db.shared(&id, now_ms()).await? {
        Some(Shared::Live(bytes)) => Ok(bytes),
        Some(Shared::Revoked) => Err(gone("revoked", "its owner revoked this share")),
        Some(Shared::Expired) => Err(gone("expired", "this share has expired")),
        None => Err(no_share()),
    }
}
