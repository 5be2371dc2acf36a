//! Facts coming back from the backend; the UI applies them each frame.

use std::path::PathBuf;

pub use super::history::RowFork;
use crate::domain::{Attachment, AttachmentId, Message, MessageId, Settings, Thread, ThreadId};
use crate::store::{MessageSlot, ProjectSlot, ProtectionKind, Unreadable};

/// What the sidebar knows of a thread.
#[derive(Clone, Debug, PartialEq)]
pub enum ThreadSummary {
    /// A readable thread.
    Ok(Thread),
    /// A thread whose record cannot be opened.
    Unreadable {
        /// Its id.
        id: ThreadId,
        /// Why.
        reason: Unreadable,
    },
}

impl From<crate::store::ThreadSlot> for ThreadSummary {
    fn from(slot: crate::store::ThreadSlot) -> Self {
        match slot {
            crate::store::ThreadSlot::Ok(t) => Self::Ok(t),
            crate::store::ThreadSlot::Unreadable { id, reason } => Self::Unreadable { id, reason },
        }
    }
}

impl ThreadSummary {
    /// The thread's id.
    #[must_use]
    pub fn id(&self) -> ThreadId {
        match self {
            Self::Ok(t) => t.id,
            Self::Unreadable { id, .. } => *id,
        }
    }
}

/// Where a provider's API key comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyOrigin {
    /// Entered in the app (sealed in the store).
    Stored,
    /// Read from this environment variable.
    Environment(String),
    /// The provider needs none (a local server).
    NotNeeded,
    /// None yet.
    Missing,
}

/// A provider's key status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    /// [`crate::domain::ProviderConfig::id`].
    pub provider: String,
    /// Where its key comes from.
    pub origin: KeyOrigin,
}

/// One message that matched a search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchHit {
    /// Its thread.
    pub thread: ThreadId,
    /// Its stored position (for [`super::Command::ShowMessage`]).
    pub position: u64,
    /// Who wrote it.
    pub role: crate::domain::Role,
    /// When, Unix ms.
    pub created_ms: u64,
    /// The text around the first match, matches marked.
    pub snippet: crate::store::search::Snippet,
}

/// Something that happened in the backend.
#[derive(Debug)]
pub enum Event {
    /// No profile exists yet: ask how to protect it.
    NeedsSetup {
        /// Where the data will live (`None`: in memory only).
        data_dir: Option<PathBuf>,
        /// Whether an OS keychain answered.
        keychain_available: bool,
    },
    /// A profile exists and needs its key.
    NeedsUnlock {
        /// How it is protected.
        protection: ProtectionKind,
        /// Why automatic unlocking failed, if it was tried.
        problem: Option<String>,
    },
    /// Setting up or unlocking failed; the screen stays and says why.
    UnlockFailed {
        /// What went wrong, for the user.
        message: String,
    },
    /// Opening the profile gives disk space back after large deletions (a
    /// copy of what is live; up to a minute at a million messages): how
    /// far it got, 0 to 100.
    GivingBackSpace {
        /// Done so far.
        percent: u8,
    },
    /// The store cannot be opened at all (e.g. another instance holds it).
    StoreFailed {
        /// What went wrong, for the user.
        message: String,
    },
    /// The profile is open.
    Unlocked {
        /// How it is protected.
        protection: ProtectionKind,
        /// Where it lives (`None`: in memory only).
        data_dir: Option<PathBuf>,
        /// This device, as the profile's records name it (a reply another
        /// device is writing is told apart by it).
        device: crate::domain::DeviceId,
    },
    /// Every thread, after unlocking.
    ThreadsLoaded(Vec<ThreadSummary>),
    /// A thread was created or changed.
    ThreadChanged(ThreadSummary),
    /// Every project, after unlocking (tombstones included).
    ProjectsLoaded(Vec<ProjectSlot>),
    /// A project was created or changed (or deleted: a tombstone).
    ProjectChanged(ProjectSlot),
    /// A thread was opened, or the branch it shows changed (a regenerated
    /// reply, an edit, another branch chosen): every row the UI holds is
    /// replaced by these.
    ThreadOpened {
        /// Which thread.
        id: ThreadId,
        /// How many rows the shown branch has.
        count: u64,
        /// Row of the first message sent along.
        start: u64,
        /// The last messages.
        messages: Vec<MessageSlot>,
        /// Rows among them that have siblings.
        forks: Vec<RowFork>,
        /// The row of a message asked for with
        /// [`super::Command::ShowMessage`], to scroll to and mark.
        reveal: Option<u64>,
    },
    /// Messages that hold every word of a query (answer to
    /// [`super::Command::Search`]).
    SearchResults {
        /// The query's serial, as sent.
        serial: u64,
        /// The hits, newest thread first.
        hits: Vec<SearchHit>,
    },
    /// A page of messages.
    MessagesLoaded {
        /// Which thread.
        thread: ThreadId,
        /// Row of the first.
        start: u64,
        /// The messages.
        messages: Vec<MessageSlot>,
        /// Rows among them that have siblings.
        forks: Vec<RowFork>,
    },
    /// The user's rows of a thread's shown branch, from `from` on.
    Outline {
        /// Which thread.
        thread: ThreadId,
        /// The first row looked at.
        from: u64,
        /// How many rows the branch had then.
        count: u64,
        /// The rows the user wrote, ascending.
        user_rows: Vec<u64>,
    },
    /// A message was stored durably.
    MessageStored {
        /// Which thread.
        thread: ThreadId,
        /// Its row.
        index: u64,
        /// The stored message.
        message: Message,
    },
    /// A message could not be stored; its text comes back to the composer.
    SendFailed {
        /// Which thread.
        thread: ThreadId,
        /// The pending row to remove.
        id: MessageId,
        /// The text, so nothing typed is lost.
        text: String,
        /// What went wrong.
        reason: String,
    },
    /// More of a reply that is streaming in (appended to the row at `index`).
    MessageDelta {
        /// Which thread.
        thread: ThreadId,
        /// The assistant message's row.
        index: u64,
        /// Its id (a row whose message differs is left alone).
        id: MessageId,
        /// New reply text.
        text: String,
        /// New reasoning text.
        reasoning: String,
    },
    /// A reply attempt failed before any text and will be retried.
    ReplyRetrying {
        /// Which thread.
        thread: ThreadId,
        /// What happened, for the user.
        reason: String,
        /// How long until the next attempt.
        wait: std::time::Duration,
    },
    /// Which providers have a key, and where it comes from (never the key).
    KeyStatus(Vec<KeyInfo>),
    /// A reply needs a key or a model the user has not set: open the keys screen.
    KeysNeeded {
        /// What is missing, for the user.
        message: String,
    },
    /// The result of [`super::Command::CheckKey`].
    KeyChecked {
        /// Which provider.
        provider: String,
        /// `Ok`, or what is wrong and what to do, for the user.
        result: Result<(), String>,
    },
    /// A file was attached (it waits in the composer).
    AttachmentAdded {
        /// The stored record.
        attachment: Attachment,
        /// A small thumbnail of an image.
        thumbnail: Option<super::attachments::Image>,
    },
    /// A file was not attached; the message says why, for the user.
    AttachmentRejected {
        /// Which thread.
        thread: ThreadId,
        /// Why, and that nothing was attached.
        message: String,
    },
    /// Every attachment record of a thread (after it was opened).
    AttachmentsLoaded {
        /// Which thread.
        thread: ThreadId,
        /// The records.
        attachments: Vec<Attachment>,
    },
    /// An attachment's preview, decoded for a message row.
    AttachmentPreview {
        /// Which attachment.
        id: AttachmentId,
        /// The preview, ready for a texture.
        image: super::attachments::Image,
    },
    /// The preview of an attachment another device sent could not be
    /// downloaded (offline, signed out, damaged on the server): the row
    /// says so and offers to try again.
    AttachmentPreviewMissing {
        /// Which attachment.
        id: AttachmentId,
        /// Why, in words.
        reason: String,
    },
    /// An image attachment decoded whole, for the viewer, ready to become a
    /// texture (converted off the UI thread: up to 16 million pixels).
    AttachmentImage {
        /// Which attachment.
        id: AttachmentId,
        /// The image (at most 4096 a side).
        image: super::attachments::Image,
    },
    /// The result of [`super::Command::SaveAttachment`]: where it went, or
    /// why not (`Ok(None)`: the user cancelled).
    AttachmentSaved {
        /// Which attachment.
        id: AttachmentId,
        /// The file written, or what went wrong.
        result: Result<Option<std::path::PathBuf>, String>,
    },
    /// The system's fonts, as far as they were found.
    SystemFonts {
        /// The sans-serif interface font.
        sans: Option<LoadedFont>,
        /// The monospace font.
        mono: Option<LoadedFont>,
    },
    /// The settings, after unlocking or a change.
    SettingsLoaded {
        /// What the store holds now.
        settings: Settings,
        /// The revision of the [`super::Command::SaveSettings`] this answers
        /// (stored or, after a failure, not), 0 when it answers none.
        revision: u64,
    },
    /// How long work the user started is going, or how it ended (an
    /// export, an import); `None` clears the line.
    Status {
        /// For the user.
        message: Option<String>,
    },
    /// Pak.Chat was launched again on this profile: show a new window.
    WindowRequested,
    /// The files on the clipboard (none: it held nothing to paste).
    ClipboardFiles {
        /// Their paths.
        paths: Vec<std::path::PathBuf>,
    },
    /// A command failed; shown as a dismissable error, with the chat it
    /// belongs to (shown only while that chat is open) or over every chat.
    Error {
        /// The chat the error is about, if any.
        thread: Option<ThreadId>,
        /// What went wrong, for the user.
        message: String,
    },
    /// Where the account stands (after unlocking, signing in or out, or
    /// when the server ended the session).
    Account(AccountView),
    /// How sync with the account's server stands.
    Sync(SyncView),
    /// The account's key was made here: its recovery code, to show once
    /// (it is kept nowhere).
    RecoveryCode(zeroize::Zeroizing<String>),
    /// Turning sync on or joining with a recovery code did not work: why,
    /// in words for a person (shown beside the code field; nothing was
    /// kept).
    EnrolFailed(String),
    /// The account's signed-in devices (after [`crate::Command::ListDevices`],
    /// a removal or a rename), or why they could not be listed or changed.
    Devices(Result<Vec<DeviceView>, String>),
    /// A share link of `thread` was made (the whole link, its key in the
    /// fragment), or why not.
    ShareMade {
        /// The chat shared.
        thread: crate::domain::ThreadId,
        /// The link, or why there is none.
        result: Result<String, String>,
    },
    /// The account's share links, newest first (after
    /// [`crate::Command::ListShares`] or a revocation), or why not.
    Shares(Result<Vec<crate::shares::ShareView>, String>),
}

/// One of the account's signed-in devices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceView {
    /// Its id (what [`crate::Command::RemoveDevice`] takes).
    pub id: String,
    /// What it is called (synced from the device itself).
    pub name: String,
    /// When it last used its session (to the minute), Unix milliseconds.
    pub last_seen_ms: i64,
    /// Whether it is this device.
    pub current: bool,
}

/// Sync with the account's server, as the UI shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SyncView {
    /// Not syncing: not signed in.
    #[default]
    Off,
    /// Signed in, but this device does not hold the account's key yet.
    NoKey,
    /// Sync just started (a round is under way).
    Syncing,
    /// Everything here is on the server, and what was there is here.
    Synced,
    /// The server cannot be reached; changes wait here.
    Offline {
        /// Changes waiting (counted up to 10,000).
        waiting: usize,
        /// Seconds until the next try.
        retry_s: u64,
    },
    /// The server refused; changes wait here.
    Failed {
        /// Changes waiting.
        waiting: usize,
        /// Why, and what to do.
        message: String,
    },
}

/// The account as the UI shows it.
#[derive(Clone, Debug, Default)]
pub enum AccountView {
    /// Not signed in.
    #[default]
    SignedOut,
    /// Waiting for the browser to come back.
    SigningIn {
        /// The server being signed in to.
        server: String,
        /// The address the browser was sent to (to copy if none opened).
        url: Option<String>,
    },
    /// Signed in.
    SignedIn {
        /// The server.
        server: String,
        /// Who.
        user: crate::domain::AccountUser,
        /// Their picture, small.
        avatar: Option<crate::Image>,
    },
    /// The server ended the session (expired or revoked): sign in again.
    Expired {
        /// The server.
        server: String,
        /// Who was signed in.
        user: crate::domain::AccountUser,
    },
}

/// A font file read from the system.
#[derive(Clone)]
pub struct LoadedFont {
    /// Its family name, e.g. "DejaVu Sans".
    pub family: String,
    /// The whole file (shared, never copied again).
    pub bytes: std::sync::Arc<Vec<u8>>,
    /// The face in a collection file.
    pub index: u32,
}

impl std::fmt::Debug for LoadedFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedFont").field("family", &self.family).field("bytes", &self.bytes.len()).finish()
    }
}
