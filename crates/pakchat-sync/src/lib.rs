//! The client half of end-to-end encrypted sync (ARCHITECTURE.md,
//! "Accounts and sync"). So far:
//!
//! * [`AccountKey`]: the random 256-bit key every synced record is sealed
//!   with, made by a person's first device; [`RecoveryCode`] and
//!   [`WrappedKey`]: the key wrapped by a recovery code through Argon2id,
//!   the only form of it a server ever holds, with check values that tell a
//!   wrong code from a damaged blob.
//! * [`seal`] and [`open`]: a record as an [`pakchat_protocol::Envelope`]
//!   (AES-256-GCM, associated data [`pakchat_protocol::aad`]), and back;
//!   an envelope a server moved, swapped, re-stamped or resurrected does
//!   not open.
//!
//! * [`Server`]: push, pull and the wrapped key over HTTP;
//!   [`create_account_key`] (the first device) and [`join`] (every later
//!   one, with the recovery code); a failure changes nothing.
//!
//! * [`sync_once`]: one round — send what a [`Replica`] (a device's
//!   records, behind a trait: this crate knows no store) has waiting, take
//!   in what changed elsewhere; an envelope that does not open is skipped
//!   and counted, never applied.
//!
//! * [`FileKeys`], [`upload_file`], [`download_file`]: attached files as
//!   sealed, content-named chunks beside the log, checked whole on the way
//!   back.
//!
//! * [`Server::live`]: the live channel's pokes, so a device pulls as soon
//!   as another pushed.
//!
//! * [`share`]: share links, a read-only copy of a chat sealed with a key
//!   only the link carries.
//!
//! Google sign-in proves who someone is; it never derives a key.

mod client;
mod engine;
mod envelope;
mod files;
mod key;
mod live;
pub mod share;

pub use client::{JoinError, Server, SyncError, create_account_key, join};
pub use engine::{Keys, Outgoing, PUSH_BYTES, PUSH_RECORDS, Replica, ReplicaError, Report, Waiting, sync_once};
pub use envelope::{OpenError, Record, open, seal};
pub use files::{FileError, FileKeys, download_file, upload_file};
pub use key::{AccountKey, KeyError, RecoveryCode, unwrap_key, wrap_key};
pub use pakchat_protocol::{KdfParams, WrappedKey};
