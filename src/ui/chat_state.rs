//! What the chat view keeps of a thread between frames, apart from the
//! thread's facts (`view_model::OpenThread`): where it is scrolled, which
//! reasoning is unfolded, where to jump, and what it has laid out and
//! uploaded to the GPU. Nothing here is read by the backend or saved.

use std::collections::{HashMap, HashSet};

use crate::domain::{AttachmentId, MessageId};

use super::chat_list::ListState;
use super::row_layout::RowCache;

/// GPU textures by attachment (a handle frees its texture when dropped).
#[derive(Default)]
pub struct Textures(pub HashMap<AttachmentId, egui::TextureHandle>);

impl std::fmt::Debug for Textures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Textures({})", self.0.len())
    }
}

impl std::ops::Deref for Textures {
    type Target = HashMap<AttachmentId, egui::TextureHandle>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Textures {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// The chat view's own state for one open thread.
#[derive(Debug, Default)]
pub struct ChatViewState {
    /// Scroll position.
    pub list: ListState,
    /// Rows whose reasoning is shown.
    pub expanded_reasoning: HashSet<u64>,
    /// A row to bring to the top on the next frame.
    pub jump_to: Option<u64>,
    /// A row to mark for a moment (a search hit that was opened), and when
    /// it was asked for.
    pub flash: Option<(u64, web_time::Instant)>,
    /// Textures of row images (bounded: see [`super::MAX_TEXTURES`]).
    pub textures: Textures,
    /// Textures of the composer's thumbnails.
    pub chip_textures: Textures,
    /// Previews of files from another device that did not download, and
    /// why (the row offers to try again).
    pub previews_missing: HashMap<AttachmentId, String>,
    /// Each message's layout at the last width it was drawn at. By message,
    /// not by row: a row that comes back (a page loaded again) keeps it,
    /// and another branch at the same row cannot borrow it.
    layouts: HashMap<MessageId, Option<RowCache>>,
    /// A layout for a row that has no message (unreadable, pending).
    scratch: Option<RowCache>,
}

impl ChatViewState {
    /// Where the layout of message `id` is cached; `None` gives a slot
    /// that is laid out afresh each time.
    pub fn layout_slot(&mut self, id: Option<MessageId>) -> &mut Option<RowCache> {
        match id {
            Some(id) => self.layouts.entry(id).or_default(),
            None => {
                self.scratch = None;
                &mut self.scratch
            }
        }
    }

    /// Forget the layout of message `id` (its text was replaced).
    pub fn forget_layout(&mut self, id: MessageId) {
        self.layouts.remove(&id);
    }

    /// Forget every layout (fonts, theme or text size changed).
    pub fn forget_layouts(&mut self) {
        self.layouts.clear();
        self.scratch = None;
    }

    /// How many message layouts are kept.
    pub fn layout_count(&self) -> usize {
        self.layouts.len()
    }

    /// Keep only the layouts of the messages in `live`.
    pub fn keep_layouts_of(&mut self, live: &HashSet<MessageId>) {
        self.layouts.retain(|id, _| live.contains(id));
    }
}
