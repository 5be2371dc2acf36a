//! `PUT /v1/keys` and `GET /v1/keys`: the user's account key, wrapped by
//! their recovery code ([`pakchat_protocol::KeyBundle`]). The first device
//! puts it; a second "first" device gets 409 and joins with the code
//! instead; a device without it gets 404 (about its own user only).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use pakchat_protocol::KeyBundle;

use super::{ApiError, AppState, Authenticated};
use crate::db::now_ms;

pub(super) async fn put(
    State(state): State<Arc<AppState>>,
    session: Authenticated,
    body: Result<Json<KeyBundle>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(bundle) = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let text = serde_json::to_string(&bundle).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if state.db.put_key_bundle(&session.user_id, &text, now_ms()).await? {
        tracing::info!(user = %session.user_id, "account key stored (wrapped)");
        Ok(StatusCode::CREATED)
    } else {
        Err(ApiError {
            status: StatusCode::CONFLICT,
            error: "key_exists",
            reason: Some("this account has a key already: join with its recovery code".to_owned()),
            retry_after: None,
        })
    }
}

pub(super) async fn get(
    State(state): State<Arc<AppState>>,
    session: Authenticated,
) -> Result<Json<KeyBundle>, ApiError> {
    let Some(text) = state.db.key_bundle(&session.user_id).await? else {
        return Err(ApiError {
            status: StatusCode::NOT_FOUND,
            error: "no_key",
            reason: Some("this account has no key yet: the first device makes it".to_owned()),
            retry_after: None,
        });
    };
    let bundle = serde_json::from_str(&text).map_err(|e| {
        tracing::error!(user = %session.user_id, err = %e, "a stored key bundle does not parse");
        ApiError { status: StatusCode::SERVICE_UNAVAILABLE, error: "unavailable", reason: None, retry_after: None }
    })?;
    Ok(Json(bundle))
}
