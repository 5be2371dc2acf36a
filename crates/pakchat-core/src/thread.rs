//! A conversation thread.

use serde::{Deserialize, Serialize};

use super::{ModelChoice, ProjectId, Stamp, ThreadId};

/// One conversation. Its messages live in their own records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thread {
    /// Globally unique id.
    pub id: ThreadId,
    /// What the sidebar shows; typed by the user (sealed at rest).
    pub title: String,
    /// Pinned threads sit above the date groups.
    pub pinned: bool,
    /// The project this thread belongs to, if any.
    pub project_id: Option<ProjectId>,
    /// Creation time, Unix milliseconds.
    pub created_ms: u64,
    /// Last change to the thread or a new message in it, Unix milliseconds.
    pub updated_ms: u64,
    /// The unsent text in the composer (sealed at rest).
    pub draft: String,
    /// A deleted thread stays as a tombstone so the deletion can sync.
    pub deleted: bool,
    /// The model this thread talks to (`None`: the default model).
    #[serde(default)]
    pub model: Option<ModelChoice>,
    /// Instructions sent to the model before the conversation (sealed at rest).
    #[serde(default)]
    pub system_prompt: String,
    /// The title was made by the app (from the first message), not the user:
    /// a model may replace it with a better one.
    #[serde(default)]
    pub auto_title: bool,
    /// The custom mode chosen for this thread ([`super::CustomMode::id`]).
    #[serde(default)]
    pub mode: Option<String>,
    /// Last-writer-wins version stamp.
    pub stamp: Stamp,
}

impl Thread {
    /// A new, empty thread.
    #[must_use]
    pub fn new(id: ThreadId, title: String, now_ms: u64, stamp: Stamp) -> Self {
        Self {
            id,
            title,
            pinned: false,
            project_id: None,
            created_ms: now_ms,
            updated_ms: now_ms,
            draft: String::new(),
            deleted: false,
            model: None,
            system_prompt: String::new(),
            auto_title: false,
            mode: None,
            stamp,
        }
    }
}
