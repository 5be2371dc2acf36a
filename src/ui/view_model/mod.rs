//! The UI's picture of the world, built only from backend [`Event`]s (and
//! optimistic rows the UI adds itself). Drawing reads it; nothing here does
//! I/O.

mod events;
mod notices;
mod sidebar_items;

pub use notices::{Notice, Notices};
pub use sidebar_items::SidebarItem;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use crate::backend::{Event, KeyInfo, MessageSlot, ProjectSlot, ProtectionKind, RowFork, ThreadSummary};
use crate::domain::{
    Attachment, AttachmentId, CatalogModel, Message, MessageId, MessageStatus, ModelChoice, Project, ProjectId,
    ThreadId,
};

use crate::ui::chat_state::{ChatViewState, Textures};
use crate::ui::local_settings::LocalSettings;
use crate::ui::thread_groups::{Group, group_of};
use crate::ui::tracked::Tracked;

/// Messages per page loaded from the store.
pub const PAGE: u64 = 50;
/// Pages kept on each side of the viewport; farther rows are dropped.
pub const KEEP_PAGES: u64 = 3;

/// Where the app is in its start-up.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// Waiting for the backend to open the store.
    Starting,
    /// First run: choose how to protect the profile.
    Setup {
        /// Where the data will live.
        data_dir: Option<PathBuf>,
        /// Whether the OS keychain answered.
        keychain_available: bool,
    },
    /// The profile exists and needs its key.
    Unlock {
        /// How it is protected.
        protection: ProtectionKind,
        /// Why automatic unlocking failed.
        problem: Option<String>,
    },
    /// The store cannot be used.
    Failed {
        /// Why.
        message: String,
    },
    /// Open and working.
    Ready,
}

/// One thread as the sidebar sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadRow {
    /// Id.
    pub id: ThreadId,
    /// Title, or a note that it cannot be read.
    pub title: String,
    /// Why the record cannot be read, if so.
    pub unreadable: Option<String>,
    /// Pinned to the top.
    pub pinned: bool,
    /// Last change, Unix ms.
    pub updated_ms: u64,
    /// Tombstoned (hidden; can be restored).
    pub deleted: bool,
    /// Saved composer text.
    pub draft: String,
    /// The thread's own model, if chosen.
    pub model: Option<ModelChoice>,
    /// The thread's system prompt.
    pub system_prompt: String,
    /// The thread's custom mode, if any.
    pub mode: Option<String>,
    /// The project it belongs to, if any.
    pub project: Option<ProjectId>,
}

impl From<ThreadSummary> for ThreadRow {
    fn from(summary: ThreadSummary) -> Self {
        match summary {
            ThreadSummary::Ok(t) => Self {
                id: t.id,
                title: t.title,
                unreadable: None,
                pinned: t.pinned,
                updated_ms: t.updated_ms,
                deleted: t.deleted,
                draft: t.draft,
                model: t.model,
                system_prompt: t.system_prompt,
                mode: t.mode,
                project: t.project_id,
            },
            ThreadSummary::Unreadable { id, reason } => Self {
                id,
                title: "Unreadable thread".to_owned(),
                unreadable: Some(reason.to_string()),
                pinned: false,
                updated_ms: 0,
                deleted: false,
                draft: String::new(),
                model: None,
                system_prompt: String::new(),
                mode: None,
                project: None,
            },
        }
    }
}

/// A project as the UI knows it.
#[derive(Clone, Debug, PartialEq)]
pub enum ProjectRow {
    /// A readable project (deleted ones are not kept).
    Ok(Project),
    /// A project whose record cannot be opened; its threads are listed
    /// under it all the same.
    Unreadable(String),
}

impl ProjectRow {
    /// The name shown.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::Ok(p) => &p.name,
            Self::Unreadable(_) => "Unreadable project",
        }
    }

    /// The project, when readable.
    #[must_use]
    pub fn project(&self) -> Option<&Project> {
        match self {
            Self::Ok(p) => Some(p),
            Self::Unreadable(_) => None,
        }
    }
}

/// A row of the chat view.
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant, reason = "nearly every row is a message: boxing would only add an allocation")]
pub enum RowContent {
    /// A message.
    Message(Message),
    /// A message whose record cannot be opened.
    Unreadable(String),
}

/// A loaded row and its cached layout.
#[derive(Clone, Debug)]
pub struct LoadedRow {
    /// What to draw.
    pub content: RowContent,
    /// Where its message stands among its siblings, if it has any (◀ 2/3 ▶).
    pub fork: Option<crate::domain::Fork>,
}

/// The image viewer.
#[derive(Debug)]
pub struct Viewer {
    /// The thread the image is in.
    pub thread: ThreadId,
    /// The attachment shown.
    pub id: AttachmentId,
    /// The decoded image (kept for Copy image while the viewer is open).
    pub image: Option<std::sync::Arc<egui::ColorImage>>,
    /// The texture (keyed by the attachment).
    pub texture: Textures,
    /// 100 % (panned) rather than fit to the window.
    pub actual_size: bool,
    /// The outcome of "Save as…".
    pub status: Option<String>,
}

/// The thread shown in the chat view. Holds only a window of rows around the
/// viewport, so its memory does not grow with the thread.
#[derive(Debug)]
pub struct OpenThread {
    /// Which thread.
    pub id: ThreadId,
    /// Stored messages in the thread.
    pub count: u64,
    /// Loaded rows by position.
    pub rows: BTreeMap<u64, LoadedRow>,
    /// Pages asked for and not yet here.
    pub requested: HashSet<u64>,
    /// Messages shown optimistically, not yet stored (after `count`).
    pub pending: Vec<Message>,
    /// Whether the backend has answered the open request.
    pub loaded: bool,
    /// The thread's attachment records (sent and waiting in the composer).
    pub attachments: HashMap<AttachmentId, Attachment>,
    /// Thumbnails of attachments waiting in the composer.
    pub thumbnails: HashMap<AttachmentId, Arc<egui::ColorImage>>,
    /// Decoded previews for message rows, until they become textures.
    pub previews: HashMap<AttachmentId, Arc<egui::ColorImage>>,
    /// Previews asked for and not yet here.
    pub previews_requested: HashSet<AttachmentId>,
    /// Why files dropped or picked for this thread were not attached.
    pub attach_notes: Vec<String>,
    /// The rows the user wrote, for the navigation bar.
    pub outline: crate::ui::nav_bar::Outline,
    /// The chat view's scroll position, unfolded reasoning, layouts and
    /// textures: how it is shown, not what it holds.
    pub view: ChatViewState,
}

impl LoadedRow {
    /// The message shown, if the row could be read.
    #[must_use]
    pub fn message_id(&self) -> Option<MessageId> {
        match &self.content {
            RowContent::Message(m) => Some(m.id),
            RowContent::Unreadable(_) => None,
        }
    }
}

impl OpenThread {
    /// A thread being opened; rows arrive with [`Event::ThreadOpened`].
    #[must_use]
    pub fn new(id: ThreadId) -> Self {
        Self {
            id,
            count: 0,
            rows: BTreeMap::new(),
            requested: HashSet::new(),
            pending: Vec::new(),
            loaded: false,
            attachments: HashMap::new(),
            thumbnails: HashMap::new(),
            previews: HashMap::new(),
            previews_requested: HashSet::new(),
            attach_notes: Vec::new(),
            outline: crate::ui::nav_bar::Outline::default(),
            view: ChatViewState::default(),
        }
    }

    /// Attachments waiting in the composer, oldest first.
    #[must_use]
    pub fn waiting_attachments(&self) -> Vec<&Attachment> {
        let mut list: Vec<&Attachment> = self.attachments.values().filter(|a| a.message_id.is_none()).collect();
        list.sort_by_key(|a| a.id);
        list
    }

    /// Rows in the list: stored plus pending.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.count + self.pending.len() as u64
    }

    fn insert_slots(&mut self, start: u64, slots: Vec<MessageSlot>, forks: &[RowFork]) {
        for (i, slot) in slots.into_iter().enumerate() {
            let content = match slot {
                MessageSlot::Ok(m) => RowContent::Message(m),
                MessageSlot::Unreadable(reason) => RowContent::Unreadable(reason.to_string()),
            };
            let row = start + i as u64;
            let fork = forks.iter().find(|f| f.row == row).map(|f| f.fork);
            self.rows.insert(row, LoadedRow { content, fork });
        }
    }

    /// Drop rows more than [`KEEP_PAGES`] pages from `[first, last]`.
    pub fn evict_far_rows(&mut self, first: u64, last: u64) {
        let low = (first / PAGE).saturating_sub(KEEP_PAGES) * PAGE;
        let high = (last / PAGE + KEEP_PAGES + 1) * PAGE;
        self.rows.retain(|&i, _| i >= low && i < high);
    }

    /// The newest message, if its row is loaded and readable.
    fn newest_message(&self) -> Option<&crate::domain::Message> {
        match &self.rows.get(&self.count.checked_sub(1)?)?.content {
            RowContent::Message(m) => Some(m),
            RowContent::Unreadable(_) => None,
        }
    }

    /// Whether the newest message is a reply still streaming in.
    #[must_use]
    pub fn is_streaming(&self) -> bool {
        self.newest_message().is_some_and(|m| m.status == MessageStatus::Streaming)
    }

    /// Whether the newest message is a reply this device is writing (one
    /// another device of the account is writing shows as it grows, but
    /// this one can neither stop it nor is it kept from sending).
    #[must_use]
    pub fn is_writing_here(&self, here: Option<crate::domain::DeviceId>) -> bool {
        self.newest_message()
            .is_some_and(|m| m.status == MessageStatus::Streaming && here.is_none_or(|d| m.stamp.device == d))
    }

    /// The newest message, if it is a reply that ended badly (failed,
    /// stopped or interrupted): the composer then offers Retry.
    #[must_use]
    pub fn retryable_reply(&self) -> bool {
        self.newest_message().is_some_and(|m| {
            m.role == crate::domain::Role::Assistant
                && matches!(m.status, MessageStatus::Failed | MessageStatus::Cancelled | MessageStatus::Interrupted)
        })
    }

    /// Whether every row of page `page` is loaded.
    #[must_use]
    pub fn page_loaded(&self, page: u64) -> bool {
        let start = page * PAGE;
        let end = ((page + 1) * PAGE).min(self.count);
        start >= end || self.rows.range(start..end).count() as u64 == end - start
    }
}

/// Everything the UI shows.
#[derive(Debug)]
pub struct ViewModel {
    /// Start-up phase.
    pub phase: Phase,
    /// While opening gives disk space back after large deletions: how far
    /// it got, in percent.
    pub giving_back: Option<u8>,
    /// How the profile is protected, once open.
    pub protection: Option<ProtectionKind>,
    /// Where the profile lives, once known.
    pub data_dir: Option<PathBuf>,
    /// This device, once the profile is open.
    pub device: Option<crate::domain::DeviceId>,
    /// Every known thread.
    pub threads: Tracked<HashMap<ThreadId, ThreadRow>>,
    /// Every live project.
    pub projects: Tracked<HashMap<ProjectId, ProjectRow>>,
    /// Projects whose threads the sidebar folds away.
    pub folded_projects: Tracked<HashSet<ProjectId>>,
    /// The thread in the chat view.
    pub open: Option<OpenThread>,
    /// Threads open in windows of their own.
    pub windows: Vec<crate::ui::thread_window::ThreadWindow>,
    /// User settings, with this UI's edits applied at once.
    pub settings: LocalSettings,
    /// Errors to show until dismissed, each with its chat.
    pub errors: Notices,
    /// How the last export or import is going or how it ended.
    pub status: Option<String>,
    /// Where the account stands.
    pub account: crate::backend::AccountView,
    /// How sync stands, and since when (for the retry countdown).
    pub sync: (crate::backend::SyncView, web_time::Instant),
    /// The recovery code of the account key just made here, shown until
    /// the user says it is saved (it is kept nowhere else).
    pub recovery_code: Option<zeroize::Zeroizing<String>>,
    /// The recovery code being typed to join this device.
    pub join_code: zeroize::Zeroizing<String>,
    /// Why turning sync on or joining did not work, until the next try.
    pub enrol_error: Option<String>,
    /// The account's devices, as Settings → Account lists them.
    pub devices: DevicesPane,
    /// The account's share links and the share window.
    pub shares: crate::ui::shares::SharesPane,
    /// Second launches of the app not answered yet with a window.
    pub window_requests: u32,
    /// The last setup/unlock failure.
    pub unlock_error: Option<String>,
    /// A setup or unlock request is in flight.
    pub unlocking: bool,
    /// Text that came back from a failed send, for the composer.
    pub returned_text: Option<(ThreadId, String)>,
    /// Models picked for a thread that the backend has not echoed yet: an
    /// older echo (of an earlier pick) must not undo the newer one.
    pub model_edits: HashMap<ThreadId, crate::domain::ModelChoice>,
    /// Files read from the clipboard, waiting to be attached.
    pub clipboard_files: Option<Vec<std::path::PathBuf>>,
    /// Where each provider's key comes from.
    pub key_status: Vec<KeyInfo>,
    /// Set when a reply needs a key or model: the keys screen opens.
    pub keys_needed: Option<String>,
    /// A reply waiting to retry: the thread, why, and when the next attempt starts.
    pub retry_note: Option<(ThreadId, String, web_time::Instant)>,
    /// The model catalog shipped with the app.
    pub catalog: Vec<CatalogModel>,
    /// The only models offered (a kiosk's list), if limited.
    pub model_filter: Option<Vec<ModelChoice>>,
    /// Results of "check key", by provider id.
    pub key_checks: HashMap<String, Result<(), String>>,
    /// The image viewer, when open.
    pub viewer: Option<Viewer>,
    /// The system's fonts, once the backend has looked for them.
    pub system_fonts: crate::ui::fonts::SystemFonts,
    /// The newest search answer: its serial and hits.
    pub search: (u64, Vec<crate::backend::SearchHit>),
    /// The sidebar's lines and what they were built from: the change
    /// counts of threads, projects and folds, and the day.
    sidebar_cache: Option<([u64; 3], i64, std::sync::Arc<[SidebarItem]>)>,
}

impl Default for ViewModel {
    fn default() -> Self {
        Self {
            phase: Phase::Starting,
            giving_back: None,
            protection: None,
            data_dir: None,
            device: None,
            threads: Tracked::default(),
            projects: Tracked::default(),
            folded_projects: Tracked::default(),
            open: None,
            windows: Vec::new(),
            settings: LocalSettings::default(),
            errors: Notices::default(),
            status: None,
            account: crate::backend::AccountView::default(),
            sync: (crate::backend::SyncView::default(), web_time::Instant::now()),
            recovery_code: None,
            join_code: zeroize::Zeroizing::default(),
            enrol_error: None,
            devices: DevicesPane::default(),
            shares: crate::ui::shares::SharesPane::default(),
            window_requests: 0,
            unlock_error: None,
            unlocking: false,
            returned_text: None,
            model_edits: HashMap::new(),
            clipboard_files: None,
            key_status: Vec::new(),
            keys_needed: None,
            retry_note: None,
            // A broken shipped catalog is caught by a unit test; run without one.
            catalog: crate::domain::shipped_catalog().unwrap_or_default(),
            model_filter: None,
            key_checks: HashMap::new(),
            viewer: None,
            system_fonts: crate::ui::fonts::SystemFonts::default(),
            search: (0, Vec::new()),
            sidebar_cache: None,
        }
    }
}

impl ViewModel {
    /// Drop every cached message layout (fonts, theme or text size changed).
    pub fn forget_layouts(&mut self) {
        let opens = self.open.iter_mut().chain(self.windows.iter_mut().map(|w| &mut w.open));
        for open in opens {
            open.view.forget_layouts();
        }
    }

    /// The views of thread `id`: the main window's and every other window's.
    pub fn opens_mut(&mut self, id: ThreadId) -> impl Iterator<Item = &mut OpenThread> {
        self.open.iter_mut().chain(self.windows.iter_mut().map(|w| &mut w.open)).filter(move |o| o.id == id)
    }

    fn apply_project(&mut self, slot: ProjectSlot) {
        match slot {
            ProjectSlot::Ok(p) if p.deleted => {
                self.projects.remove(&p.id);
            }
            ProjectSlot::Ok(p) => {
                self.projects.insert(p.id, ProjectRow::Ok(p));
            }
            ProjectSlot::Unreadable { id, reason } => {
                self.projects.insert(id, ProjectRow::Unreadable(reason.to_string()));
            }
        }
    }

    /// The live project a thread belongs to (`None`: none, or one that is
    /// gone: the thread is then listed by its date).
    #[must_use]
    pub fn project_of(&self, thread: ThreadId) -> Option<ProjectId> {
        self.threads.get(&thread).and_then(|t| t.project).filter(|p| self.projects.contains_key(p))
    }

    /// Projects in the order the sidebar lists them (by name).
    #[must_use]
    pub fn projects_by_name(&self) -> Vec<(ProjectId, &ProjectRow)> {
        let mut list: Vec<(ProjectId, &ProjectRow)> = self.projects.iter().map(|(id, p)| (*id, p)).collect();
        list.sort_by(|a, b| a.1.name().to_lowercase().cmp(&b.1.name().to_lowercase()).then(a.0.cmp(&b.0)));
        list
    }

    /// Show a message at once, before the backend stores it (in every
    /// window that shows its thread).
    pub fn add_pending(&mut self, message: &Message) {
        for open in self.opens_mut(message.thread_id) {
            open.pending.push(message.clone());
            open.view.list.follow_bottom = true;
        }
    }

    /// The model a thread talks to: its own, else the default.
    #[must_use]
    pub fn model_of(&self, thread: Option<ThreadId>) -> Option<ModelChoice> {
        thread
            .and_then(|id| self.threads.get(&id))
            .and_then(|t| t.model.clone())
            .or_else(|| self.settings.default_model.clone())
    }

    /// Why the open thread's model cannot take a file waiting in the
    /// composer, if it cannot (said before sending, not after).
    #[must_use]
    pub fn attachment_refusal(&self) -> Option<String> {
        let open = self.open.as_ref()?;
        let choice = self.model_of(Some(open.id))?;
        let provider = self.settings.providers.iter().find(|p| p.id == choice.provider)?;
        let entry = self.catalog.iter().find(|m| m.provider == choice.provider && m.id == choice.model);
        open.waiting_attachments()
            .iter()
            .find(|a| {
                // A PDF with extracted text can always go, as text.
                let as_text = a.kind == crate::domain::FileKind::Pdf && a.text.is_some();
                !as_text && !crate::domain::accepts_file(entry, provider, a.kind)
            })
            .map(|a| crate::domain::refusal(&self.model_name(&choice), a.kind))
    }

    /// Every model offered: the shipped catalog, then the user's own.
    pub fn models(&self) -> impl Iterator<Item = &CatalogModel> {
        self.catalog.iter().chain(&self.settings.custom_models).filter(|m| {
            self.model_filter
                .as_ref()
                .is_none_or(|only| only.iter().any(|c| c.provider == m.provider && c.model == m.id))
        })
    }

    /// A model's display name (its id when it is in no list).
    #[must_use]
    pub fn model_name(&self, choice: &ModelChoice) -> String {
        self.models()
            .find(|m| m.provider == choice.provider && m.id == choice.model)
            .map_or_else(|| choice.model.clone(), |m| m.name.clone())
    }

    /// The id of a pending message, for tests and the UI.
    #[must_use]
    pub fn pending_ids(&self) -> Vec<MessageId> {
        self.open.as_ref().map(|o| o.pending.iter().map(|m| m.id).collect()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DeviceId, Hlc, ModelChoice, Stamp, Thread};

    #[test]
    fn an_older_echo_does_not_undo_the_model_just_picked() {
        let choice = |m: &str| ModelChoice { provider: "openai".to_owned(), model: m.to_owned() };
        let stamp = Stamp { hlc: Hlc::default(), device: DeviceId::from_bytes([1; 16]) };
        let id = ThreadId::new();
        let echo = |model: &str| {
            let mut t = Thread::new(id, "Chat".to_owned(), 0, stamp);
            t.model = Some(choice(model));
            Event::ThreadChanged(ThreadSummary::Ok(t))
        };
        let mut vm = ViewModel::default();
        vm.apply(echo("o3-mini"));
        // Picked twice; the echo of the first pick arrives after the second.
        vm.model_edits.insert(id, choice("gpt-4o-mini"));
        vm.apply(echo("o3-mini"));
        assert_eq!(vm.threads[&id].model, Some(choice("gpt-4o-mini")), "the stale echo won");
        vm.apply(echo("gpt-4o-mini"));
        assert!(vm.model_edits.is_empty(), "the pick is confirmed");
        // From then on the backend's word counts (another window, a restore).
        vm.apply(echo("o3-mini"));
        assert_eq!(vm.threads[&id].model, Some(choice("o3-mini")));
    }
}

/// The account's devices in Settings → Account.
#[derive(Debug, Default)]
pub struct DevicesPane {
    /// The last list the server gave (`None`: not yet).
    pub list: Option<Vec<crate::backend::DeviceView>>,
    /// Why the last listing, removal or rename failed.
    pub error: Option<String>,
    /// When the list was last asked for (it is asked again after a minute).
    pub asked: Option<web_time::Instant>,
    /// This device's name as being edited (`None`: not touched).
    pub rename: Option<String>,
    /// The device whose Sign out was clicked once and waits to be confirmed.
    pub confirm: Option<String>,
}
