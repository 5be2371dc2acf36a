//! Pak.Chat: a native, GPU-rendered AI chat client with an encrypted,
//! local-first store.
//!
//! Layers, inner to outer (see `ARCHITECTURE.md` in the shared notes). The
//! inner ones are crates of their own under `crates/`, re-exported here by
//! their old names: [`domain`] (`pakchat-core`: plain data), [`media`]
//! (`pakchat-media`: what attached files are; previews), [`providers`]
//! (`pakchat-providers`: the LLM wire protocols), [`store`] and [`archive`]
//! (`pakchat-store`: encryption at rest, persistence, export and import
//! files), [`backend`] and [`kiosk`] (`pakchat-backend`: the actor that owns
//! the store, commands in and events out; the kiosk's configuration and
//! limits). In this crate: [`ui`] (egui only) and the allocator a kiosk
//! needs. The native entry point is `main.rs`; the web entry point is
//! `web::start`.

pub use pakchat_backend as backend;
pub use pakchat_store::archive;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub use pakchat_backend::kiosk;
pub use pakchat_core as domain;
pub use pakchat_media as media;
pub use pakchat_providers as providers;
pub use pakchat_store as store;
#[cfg(not(target_arch = "wasm32"))]
pub mod shell;
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod web;
#[cfg(not(target_arch = "wasm32"))]
pub mod zeroing_alloc;
