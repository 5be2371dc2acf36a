//! Helpers shared by integration tests.
#![allow(dead_code)]

pub mod canary;
#[cfg(target_os = "linux")]
pub mod memory;
pub mod peers;
#[cfg(not(target_arch = "wasm32"))]
pub mod proxy;
pub mod search_profile;
pub mod server;
#[cfg(not(target_arch = "wasm32"))]
pub mod sync_rig;
#[cfg(not(target_arch = "wasm32"))]
pub mod web_page;
#[cfg(not(target_arch = "wasm32"))]
pub mod webdriver;
