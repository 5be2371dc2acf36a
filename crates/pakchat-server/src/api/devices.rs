//! `GET /v1/devices` and `DELETE /v1/devices/{id}`: a user's signed-in
//! devices, and signing one of them out (a lost laptop). Only the asking
//! user's devices are listed or reachable.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use pakchat_protocol::{DeviceInfo, DeviceList};

use super::{ApiError, AppState, Authenticated};
use crate::db::now_ms;

pub(super) async fn list(
    State(state): State<Arc<AppState>>,
    session: Authenticated,
) -> Result<Json<DeviceList>, ApiError> {
    let devices = state.db.devices(&session.user_id, now_ms()).await?;
    let devices = devices
        .into_iter()
        .map(|d| DeviceInfo { current: d.id == session.device_id, id: d.id, last_seen_ms: d.last_seen_ms })
        .collect();
    Ok(Json(DeviceList { devices }))
}

pub(super) async fn remove(
    State(state): State<Arc<AppState>>,
    session: Authenticated,
    Path(device): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.db.remove_device(&session.user_id, &device).await? == 0 {
        return Err(ApiError {
            status: StatusCode::NOT_FOUND,
            error: "no_device",
            reason: Some("no signed-in device of this account has that id".to_owned()),
            retry_after: None,
        });
    }
    tracing::info!(user = %session.user_id, "a device was signed out by another");
    // Its live stream, wherever it is held, checks its session at a poke
    // and ends.
    let seq = state.db.log_seq(&session.user_id).await?;
    state.live.poke(&state.db, &session.user_id, seq).await;
    Ok(StatusCode::NO_CONTENT)
}
