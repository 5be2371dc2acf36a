//! Pak.Chat: a native, GPU-rendered AI chat client with an encrypted,
//! local-first store.
//!
//! Layers, inner to outer (see `ARCHITECTURE.md` in the shared notes):
//! [`domain`] (plain data), [`archive`] (export and import files), [`media`] (what attached files are; previews),
//! [`store`] (encryption at rest and persistence),
//! [`backend`] (the actor that owns the store; commands in, events out),
//! [`ui`] (egui only). The native entry point is `main.rs`; the web entry
//! point is `web::start`.

pub mod archive;
pub mod backend;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub use pakchat_core as domain;
pub mod kiosk;
pub mod media;
pub mod providers;
pub mod store;
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod web;
#[cfg(not(target_arch = "wasm32"))]
pub mod zeroing_alloc;
