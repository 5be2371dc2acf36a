//! The sync wire format (version [`VERSION`]): what devices and the server
//! say to each other about records, as JSON over HTTP (and pokes over the
//! live channel). Shared by the app, the server and the web build (it
//! builds for wasm32 and does no I/O).
//!
//! # Records are envelopes
//!
//! Every synced record (a thread, a message, the settings, …) travels as an
//! [`Envelope`]: its id, its kind, its version stamp (hybrid logical clock
//! and device), whether it is a tombstone, the id of the account key that
//! sealed it, the nonce and the ciphertext. The server stores and serves
//! envelopes without opening them: it sees ids, kinds, stamps and sizes,
//! never what a user typed. The client seals each record with AES-256-GCM
//! under the account key, with associated data binding the user, the id,
//! the kind, the stamp, the tombstone flag and the key id ([`aad`]), so a
//! server that moves, swaps, re-stamps or resurrects an envelope is caught
//! when it is opened. (Serving an *older* genuine envelope again is caught
//! by last-writer-wins: its stamp loses to what the device holds.)
//!
//! # Endpoints (all but `GET /v1/shares/{id}` need `Authorization: Bearer <session>`)
//!
//! * `POST /v1/records` with a [`PushRequest`] → [`PushResponse`]: each
//!   envelope is kept unless the server holds a newer one of that id (by
//!   `(hlc, device)`); pushing the same envelope twice changes nothing.
//!   Every kept envelope gets the user's next sequence number.
//! * `PUT /v1/keys` / `GET /v1/keys` with a [`KeyBundle`]: the account key,
//!   wrapped by the recovery code; put once by the first device (409 after
//!   that), fetched by every device that joins (404 before it exists).
//! * `GET /v1/records?after=SEQ&limit=N` → [`PullResponse`]: the envelopes
//!   stored after `SEQ`, oldest first, at most `N` (default and cap
//!   [`MAX_PULL`]); `more` says whether to ask again from `next`.
//!
//! * `POST /v1/chunks/missing` with a [`MissingRequest`] → [`MissingResponse`]:
//!   which of these file chunks the user has not uploaded yet.
//! * `PUT /v1/chunks/{id}` with the sealed chunk as the body
//!   (`application/octet-stream`, at most [`MAX_SEALED_CHUNK`] bytes) → 201
//!   when stored, 200 when it was there already (the first upload stays).
//!   Chunks count towards the user's byte quota.
//! * `GET /v1/chunks/{id}` → 200 with the sealed chunk, 404 when this user
//!   has no chunk of that id.
//!
//! * `PUT /v1/shares/{id}?expires_ms=N` with a sealed share as the body
//!   (`application/octet-stream`, at most [`MAX_SHARE_BYTES`] bytes; the id
//!   passes [`valid_share_id`]; `expires_ms`, optional, in the future) → 201
//!   with its [`ShareInfo`]; 409 when the id is taken (by anyone), 413 over
//!   the size or past [`MAX_SHARES`] live links.
//! * `GET /v1/shares` → [`ShareList`]: this user's shares, newest first,
//!   revoked and expired ones included.
//! * `DELETE /v1/shares/{id}` → 204: revoked, and its content dropped from
//!   the server (again: 204); 404 when this user has no share of that id.
//! * `GET /v1/shares/{id}`, the one endpoint that needs **no** session
//!   (whoever holds the link): 200 with the sealed bytes; 410 `revoked` or
//!   `expired`; 404 `no_share`. Every answer allows any origin
//!   (`Access-Control-Allow-Origin: *`), so a web app hosted elsewhere may
//!   open a link with a plain `fetch` (no credentials, no custom headers).
//!
//! Requests carry the header [`VERSION_HEADER`]; a server that does not
//! speak that version answers 400 with an [`ErrorBody`]. Errors are always
//! an [`ErrorBody`]; 413 and 429 come with `Retry-After` (seconds), also
//! given as `retry_after_s`.
//!
//! # Live channel
//!
//! The server pushes [`LiveMessage`]s (pokes: "something changed up to seq
//! N", and heartbeats); a device pulls on a poke, on reconnecting and on
//! window focus, so a lost poke costs nothing.

mod chunks;
mod envelope;
mod keys;
mod messages;
mod shares;

pub use chunks::{ChunkId, MAX_CHUNK, MAX_MISSING, MAX_SEALED_CHUNK, MissingRequest, MissingResponse};
pub use envelope::{Envelope, KeyId, Kind, MAX_ID_LEN, MAX_KIND_LEN, RecordId, aad};
pub use keys::{KdfParams, KeyBundle, WrappedKey};
pub use messages::{
    DeviceInfo, DeviceList, ErrorBody, LiveMessage, MAX_PULL, PullResponse, PushOutcome, PushRequest, PushResponse,
    PushResult, Stored,
};
pub use shares::{MAX_SHARE_BYTES, MAX_SHARES, ShareInfo, ShareList, valid_share_id};

/// The protocol version this build speaks.
pub const VERSION: u32 = 1;

/// The request header that names the protocol version.
pub const VERSION_HEADER: &str = "pakchat-protocol";

/// Why a value is not valid on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// A record id that is empty, too long or has characters outside `[A-Za-z0-9_-]`.
    #[error("record id: {0}")]
    RecordId(String),
    /// A kind that is not lowercase letters, digits and `-`, or too long.
    #[error("record kind: {0}")]
    Kind(String),
    /// A chunk id that is not 64 lowercase hex digits.
    #[error("chunk id: {0}")]
    ChunkId(String),
}
