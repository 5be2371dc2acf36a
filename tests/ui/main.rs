//! The app driven as a user would, through egui_kittest and accessible names,
//! over a real sled store in a temporary folder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod account;
#[path = "../common/mod.rs"]
mod common;
mod files;
#[path = "../common/app.rs"]
mod harness;
mod keys;
mod look;
mod markdown;
mod notices;
mod replies;
mod settings;
mod sync;
mod threads;

use std::sync::Arc;
use std::time::Duration;

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;
use harness::*;
use pakchat::backend::BackendConfig;
use pakchat::domain::{Message, MessageStatus, Role as MsgRole, Thread, ThreadId};
use pakchat::store::{KeySource, Kv, SealedStore, SledKv, Store, Table};
use pakchat::ui::COMPOSER_LABEL;
use pakchat::ui::view_model::Phase;
