//! Helpers shared by integration tests.
#![allow(dead_code)]

pub mod canary;
#[cfg(target_os = "linux")]
pub mod memory;
pub mod peers;
pub mod search_profile;
pub mod server;
