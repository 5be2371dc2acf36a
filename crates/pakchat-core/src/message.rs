//! A message: one node in a thread's message tree.

use serde::{Deserialize, Serialize};

use super::{MessageId, Stamp, ThreadId};

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// The person using the app.
    User,
    /// A model's reply.
    Assistant,
    /// Instructions given to the model.
    System,
}

/// Where a message is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageStatus {
    /// Shown at once, not yet stored.
    Sending,
    /// A reply still arriving; stored as it grows.
    Streaming,
    /// Complete.
    Done,
    /// Could not be sent or generated; the text is kept for a retry.
    Failed,
    /// Was streaming when the app stopped.
    Interrupted,
    /// Stopped by the user; what arrived is kept.
    Cancelled,
}

/// Token counts reported by a provider.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens in the prompt.
    pub input_tokens: u64,
    /// Tokens in the reply.
    pub output_tokens: u64,
}

/// One message. `parent_id` makes a thread a tree: edits and regenerations
/// are siblings, nothing is overwritten.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Globally unique, time-ordered id.
    pub id: MessageId,
    /// The thread this message belongs to.
    pub thread_id: ThreadId,
    /// The message this one answers or follows; `None` for a thread's first.
    pub parent_id: Option<MessageId>,
    /// Who wrote it.
    pub role: Role,
    /// The text (sealed at rest).
    pub content: String,
    /// The model's reasoning ("thinking") text, if it showed any.
    #[serde(default)]
    pub reasoning: String,
    /// Files sent with it, or made by it (generated images).
    #[serde(default)]
    pub attachments: Vec<super::AttachmentId>,
    /// The model that wrote an assistant message.
    pub model: Option<String>,
    /// Life-cycle state.
    pub status: MessageStatus,
    /// Why a failed reply failed and what to do, in the user's words
    /// (shown in its row).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Token counts, when known.
    pub usage: Option<Usage>,
    /// Creation time, Unix milliseconds.
    pub created_ms: u64,
    /// Last-writer-wins version stamp.
    pub stamp: Stamp,
}
