//! `POST /v1/records` (push) and `GET /v1/records` (pull): the blind log
//! over HTTP (the format: `pakchat_protocol`). A session reaches only its
//! own user's log.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use pakchat_protocol::{MAX_PULL, PullResponse, PushRequest, PushResponse, VERSION, VERSION_HEADER};
use serde::Deserialize;

use super::{ApiError, AppState, Authenticated};

/// The most envelopes one push may carry.
pub const MAX_PUSH: usize = 1000;
/// The largest push body.
pub const MAX_PUSH_BYTES: usize = 8 * 1024 * 1024;

/// Refuse a request that names a protocol version this server does not
/// speak (one that names none is taken as the current one).
fn check_version(headers: &HeaderMap) -> Result<(), ApiError> {
    match headers.get(VERSION_HEADER).map(|v| v.to_str().map(str::trim)) {
        None => Ok(()),
        Some(Ok(v)) if v == VERSION.to_string() => Ok(()),
        Some(_) => Err(ApiError::bad_request(format!("this server speaks sync protocol {VERSION}"))),
    }
}

pub(super) async fn push(
    State(state): State<Arc<AppState>>,
    session: Authenticated,
    headers: HeaderMap,
    body: Result<Json<PushRequest>, JsonRejection>,
) -> Result<Json<PushResponse>, ApiError> {
    check_version(&headers)?;
    let Json(request) = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(format!("a push is at most {} MiB", MAX_PUSH_BYTES >> 20))
        } else {
            ApiError::bad_request(e.body_text())
        }
    })?;
    if request.envelopes.len() > MAX_PUSH {
        return Err(ApiError::too_large(format!("a push carries at most {MAX_PUSH} envelopes")));
    }
    let (results, seq) = match state.db.push(&session.user_id, &request.envelopes, state.limits.quota).await? {
        Ok(done) => done,
        Err(over) => {
            tracing::info!(user = %session.user_id, "a push over the account's quota was refused");
            return Err(ApiError {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                error: "quota_exceeded",
                reason: Some(over.to_string()),
                retry_after: None,
            });
        }
    };
    if results.iter().any(|r| matches!(r.outcome, pakchat_protocol::PushOutcome::Stored { .. })) {
        state.live.poke(&state.db, &session.user_id, seq).await;
    }
    tracing::debug!(user = %session.user_id, envelopes = request.envelopes.len(), seq, "push");
    Ok(Json(PushResponse { results, seq }))
}

#[derive(Deserialize)]
pub(super) struct PullParams {
    #[serde(default)]
    after: u64,
    #[serde(default)]
    limit: Option<u32>,
}

pub(super) async fn pull(
    State(state): State<Arc<AppState>>,
    session: Authenticated,
    headers: HeaderMap,
    params: Result<Query<PullParams>, QueryRejection>,
) -> Result<Json<PullResponse>, ApiError> {
    check_version(&headers)?;
    let Query(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = params.limit.unwrap_or(MAX_PULL).clamp(1, MAX_PULL);
    let (envelopes, more) = state.db.pull(&session.user_id, params.after, limit).await?;
    let next = envelopes.last().map_or(params.after, |s| s.seq);
    Ok(Json(PullResponse { envelopes, next, more }))
}
