//! `pakchat-backend`: the async side of the app: the actor that owns the
//! store, the [`Command`]s the UI sends it and the [`Event`]s it answers
//! with, and the [`kiosk`] configuration and limits. It may depend on the
//! core, media, providers and store crates, never on egui or a window:
//! images leave it as plain RGBA.
//!
//! The UI thread never waits on anything here: it sends commands through an
//! unbounded channel and drains events once per frame. Every event send asks
//! egui for a repaint, so the frame that follows shows it.
//!
//! Messages are stored by position; the UI speaks in rows of the branch it
//! shows, and the private `history` module maps one onto the other.

// The layers below, by the names the modules here use for them.
use pakchat_core as domain;
use pakchat_media as media;
use pakchat_providers as providers;
use pakchat_store as store;
use pakchat_store::archive;

pub mod account;
mod actor;
mod attachments;
mod branch_off;
#[cfg(target_arch = "wasm32")]
mod browser_files;
mod command;
pub mod devices;
mod dialogs;
mod event;
mod history;
mod images;
pub mod instance;
pub mod kiosk;
mod lockdown;
mod messages;
mod profile;
mod projects;
mod remote_files;
pub mod runtime;
mod settings;
pub mod shares;
mod streaming;
pub mod sync;
mod syncing;
mod system_fonts;
#[cfg(target_arch = "wasm32")]
mod tabs;
mod threads;
mod titles;
mod transfer;

pub use actor::{BackendConfig, BackendHandle, Stopped, StoreLocation, start};
#[cfg(target_arch = "wasm32")]
pub use attachments::BrowserFile;
pub use attachments::{CHIP_THUMB, Image, IncomingFile, PastedImage, ROW_IMAGE, Rgba};
pub use command::{Command, ImageOptions};
pub use dialogs::FilePicker;
pub use event::{
    AccountView, DeviceView, Event, KeyInfo, KeyOrigin, LoadedFont, RowFork, SearchHit, SyncView, ThreadSummary,
};
pub use lockdown::Lockdown;
pub use projects::ProjectThreads;
pub use runtime::Runtime;
pub use syncing::COUNT_CAP as SYNC_COUNT_CAP;
pub use titles::DEFAULT_TITLE;
pub use transfer::{ExportFormat, ExportWhat, MAX_IMPORT_BYTES};
#[cfg(not(target_arch = "wasm32"))]
pub use transfer::{read_capped, write_streamed, write_whole};

pub use crate::store::{Argon2Params, KeySource, MessageSlot, ProjectSlot, ProtectionKind, Unreadable};
