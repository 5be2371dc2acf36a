//! Everything drawn with egui: the [`PakApp`], its view model, the sidebar,
//! the virtualized chat view, the composer and the start-up screens.
//!
//! Nothing here touches disk, network or crypto; it sends
//! [`crate::backend::Command`]s and applies [`crate::backend::Event`]s.

pub mod account;
mod app;
mod attachments;
mod banner;
pub mod chat_list;
mod chat_row;
pub mod chat_state;
mod chat_view;
mod commands;
mod composer;
pub mod devices;
pub mod fonts;
mod form;
mod image_mode;
mod keys_window;
pub mod kiosk;
pub mod local_settings;
mod lock_screen;
pub mod markdown;
mod model_picker;
pub mod nav_bar;
mod palette;
pub mod policy;
mod project_window;
pub mod row_layout;
mod settings_window;
pub mod share_view;
pub mod shares;
mod sidebar;
pub mod theme;
pub mod thread_groups;
pub mod thread_window;
pub mod tracked;
pub mod view_model;

pub use app::{Action, CURSOR_BLINK_TIMEOUT, DRAFT_DELAY, PakApp};
pub use attachments::MAX_TEXTURES;
pub use commands::{Scope, UiCommand, shortcut_text};
pub use composer::COMPOSER_LABEL;
pub use palette::{PALETTE_LABEL, help_lines};
pub use project_window::INSTRUCTIONS_LABEL as PROJECT_INSTRUCTIONS_LABEL;
