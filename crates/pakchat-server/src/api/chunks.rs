//! `POST /v1/chunks/missing`, `PUT /v1/chunks/{id}`, `GET /v1/chunks/{id}`:
//! sealed file chunks, per user (format: `pakchat_protocol::ChunkId` and
//! friends). Bytes go to the chunk store before the database row that says
//! the user has them; the row is what `missing` and the quota read.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use pakchat_protocol::{ChunkId, MAX_MISSING, MAX_SEALED_CHUNK, MissingRequest, MissingResponse};

use super::{ApiError, AppState, Authenticated};
use crate::chunks::StoreError;
use crate::db::{Added, OverQuota, now_ms};

/// The body limit of `PUT /v1/chunks/{id}`: a sealed chunk and some room,
/// so that one a byte too long is still read and answered as such.
pub const MAX_PUT_BYTES: usize = MAX_SEALED_CHUNK + 4096;
/// The body limit of `POST /v1/chunks/missing`: [`MAX_MISSING`] quoted ids
/// with their commas, and some room.
pub const MAX_MISSING_BYTES: usize = MAX_MISSING * 67 + 4096;

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(err = %e, "the chunk store failed");
        Self { status: StatusCode::SERVICE_UNAVAILABLE, error: "unavailable", reason: None, retry_after: None }
    }
}

fn chunk_id(id: &str) -> Result<ChunkId, ApiError> {
    ChunkId::new(id).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// The same answer a push past the quota gets.
fn over_quota(user_id: &str, over: OverQuota) -> ApiError {
    tracing::info!(user = %user_id, "an upload over the account's quota was refused");
    ApiError {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        error: "quota_exceeded",
        reason: Some(over.to_string()),
        retry_after: None,
    }
}

pub(super) async fn missing(
    State(state): State<Arc<AppState>>,
    session: Authenticated,
    body: Result<Json<MissingRequest>, JsonRejection>,
) -> Result<Json<MissingResponse>, ApiError> {
    let Json(request) = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(format!("ask about at most {MAX_MISSING} chunks at once"))
        } else {
            ApiError::bad_request(e.body_text())
        }
    })?;
    if request.ids.len() > MAX_MISSING {
        return Err(ApiError::too_large(format!("ask about at most {MAX_MISSING} chunks at once")));
    }
    let missing = state.db.missing_chunks(&session.user_id, &request.ids).await?;
    Ok(Json(MissingResponse { missing }))
}

pub(super) async fn put(
    State(state): State<Arc<AppState>>,
    session: Authenticated,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    let id = chunk_id(&id)?;
    let too_large = || ApiError::too_large(format!("a sealed chunk is at most {MAX_SEALED_CHUNK} bytes"));
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE { too_large() } else { ApiError::bad_request(e.body_text()) }
    })?;
    if bytes.len() > MAX_SEALED_CHUNK {
        return Err(too_large());
    }
    let user = session.user_id.as_str();
    if state.db.has_chunk(user, &id).await? {
        // The first upload stays: an id names one content.
        return Ok(StatusCode::OK);
    }
    let size = bytes.len() as u64;
    // Asked before the bytes are written, so a full account stores nothing.
    state.db.chunk_room(user, size, state.limits.quota).await?.map_err(|over| over_quota(user, over))?;
    state.chunks.put(user, &id, bytes).await?;
    match state.db.add_chunk(user, &id, size, now_ms(), state.limits.quota).await? {
        Ok(Added::New) => {
            tracing::debug!(user = %user, size, "chunk stored");
            Ok(StatusCode::CREATED)
        }
        Ok(Added::AlreadyThere) => Ok(StatusCode::OK),
        Err(over) => Err(over_quota(user, over)),
    }
}

pub(super) async fn get(
    State(state): State<Arc<AppState>>,
    session: Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = chunk_id(&id)?;
    let user = session.user_id.as_str();
    let not_found = || ApiError {
        status: StatusCode::NOT_FOUND,
        error: "no_chunk",
        reason: Some("this account has no chunk of that id".to_owned()),
        retry_after: None,
    };
    if !state.db.has_chunk(user, &id).await? {
        return Err(not_found());
    }
    let Some(bytes) = state.chunks.get(user, &id).await? else {
        // Lost from the store: forget it, so `missing` asks a device for it again.
        tracing::error!(user = %user, "a chunk's bytes are gone from the store; its row is dropped");
        state.db.forget_chunk(user, &id).await?;
        return Err(not_found());
    };
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}
