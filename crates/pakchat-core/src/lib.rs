//! `pakchat-core`: plain data shared by every layer of Pak.Chat: ids,
//! threads, messages and their branches, attachments' records, projects,
//! settings, the model catalog, the system prompt, and the hybrid logical
//! clock that orders edits across devices.
//!
//! Nothing here does I/O or knows about egui, sled, networks or crypto; it
//! may depend on serde (and uuid, web-time) only. The app reaches it as
//! `pakchat::domain`.

mod account;
mod attachment;
mod branches;
mod hlc;
mod ids;
mod message;
mod pasted_files;
mod project;
mod provider;
pub mod search;
mod settings;
mod system_prompt;
mod text;
mod thread;

pub use account::{Account, AccountUser, DeviceName, GOOGLE_ISSUER};
pub use attachment::{Attachment, BlobId, ExifSummary, FileKind, FileManifest, human_size};
pub use branches::{Branches, Fork, Path, ROOT};
pub use hlc::{Hlc, HlcClock, Stamp, lww_merge, wall_millis};
pub use ids::{AttachmentId, DeviceId, MessageId, ProjectId, ThreadId};
pub use message::{Message, MessageStatus, Role, Usage};
pub use pasted_files::pasted_file_paths;
pub use project::{KnowledgeFile, MAX_KNOWLEDGE_CHARS, MAX_PROJECT_KNOWLEDGE_CHARS, Project};
pub use provider::{
    Capabilities, CatalogModel, ModelChoice, ProviderConfig, ProviderKind, accepts_file, refusal, shipped_catalog,
    title_model,
};
pub use settings::{CodeFont, CustomInstructions, CustomMode, InterfaceFont, Personal, Settings, ThemePreference};
pub use system_prompt::{compose as compose_system_prompt, system_prompt};
pub use text::sentence;
pub use thread::Thread;
