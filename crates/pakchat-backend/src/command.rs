//! User intent, sent from the UI to the backend.

use crate::domain::{AttachmentId, MessageId, ModelChoice, ProjectId, Settings, ThreadId};
use crate::store::KeySource;

/// How to make images (the composer's image mode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageOptions {
    /// An image-generation model.
    pub model: ModelChoice,
    /// Pixel size, e.g. `1024x1024`.
    pub size: String,
    /// `auto`, `low`, `medium` or `high`.
    pub quality: String,
    /// 1 to 4.
    pub count: u8,
    /// `png`, `jpeg` or `webp`.
    pub format: String,
}

/// Something the user asked for. The backend answers with [`super::Event`]s.
#[derive(Debug)]
pub enum Command {
    /// First run: create the profile, its data key protected by this source.
    SetUp(KeySource),
    /// Unlock an existing profile with this key source.
    Unlock(KeySource),
    /// In a browser: delete everything this site keeps (the profile's
    /// IndexedDB database), then load the page afresh. Elsewhere refused.
    ForgetThisBrowser,
    /// Create an empty thread with this id (the UI shows it at once).
    CreateThread {
        /// Id chosen by the UI so it can select the thread optimistically.
        id: ThreadId,
        /// The project it starts in, if any.
        project: Option<ProjectId>,
    },
    /// Create a project with this id (the UI opens it at once).
    CreateProject {
        /// Id chosen by the UI.
        id: ProjectId,
        /// Its name.
        name: String,
    },
    /// Change a project's name and instructions.
    EditProject {
        /// Which project.
        id: ProjectId,
        /// The new name (empty: unchanged).
        name: String,
        /// The new instructions.
        instructions: String,
    },
    /// Open the file picker and add the chosen files to a project's
    /// knowledge.
    PickKnowledge {
        /// Which project.
        project: ProjectId,
    },
    /// Add files (dropped on the project window) to a project's knowledge.
    AddKnowledge {
        /// Which project.
        project: ProjectId,
        /// The files.
        files: Vec<super::attachments::IncomingFile>,
    },
    /// Take a knowledge file out of a project.
    RemoveKnowledge {
        /// Which project.
        project: ProjectId,
        /// [`crate::domain::KnowledgeFile::id`].
        file: uuid::Uuid,
    },
    /// Delete a project; its threads stay (outside any project) or go.
    DeleteProject {
        /// Which project.
        id: ProjectId,
        /// What happens to its threads.
        threads: super::ProjectThreads,
    },
    /// Move a thread into a project, or out (`None`).
    SetThreadProject {
        /// Which thread.
        id: ThreadId,
        /// The project.
        project: Option<ProjectId>,
    },
    /// Give a thread a new title.
    RenameThread {
        /// Which thread.
        id: ThreadId,
        /// The new title.
        title: String,
    },
    /// Pin or unpin a thread.
    SetPinned {
        /// Which thread.
        id: ThreadId,
        /// Pinned or not.
        pinned: bool,
    },
    /// Delete a thread (a tombstone; [`Command::RestoreThread`] undoes it).
    DeleteThread {
        /// Which thread.
        id: ThreadId,
    },
    /// The undo window of a deletion closed: remove the thread's messages
    /// and attachments for good (the record stays as an empty tombstone).
    PurgeThread {
        /// Which thread.
        id: ThreadId,
    },
    /// Undo a deletion.
    RestoreThread {
        /// Which thread.
        id: ThreadId,
    },
    /// Open a thread: its length and its last `tail` messages.
    OpenThread {
        /// Which thread.
        id: ThreadId,
        /// How many messages from the end to send along.
        tail: usize,
    },
    /// Load a page of messages around where the user is looking.
    LoadMessages {
        /// Which thread.
        thread: ThreadId,
        /// First row.
        start: u64,
        /// How many.
        len: usize,
    },
    /// Find messages holding every word of `query` (answered by
    /// [`super::Event::SearchResults`]).
    Search {
        /// What the user typed.
        query: String,
        /// Echoed back, so the UI can drop answers to older queries.
        serial: u64,
    },
    /// Open `thread` at the message stored at `position`, switching to the
    /// branch that holds it if needed.
    ShowMessage {
        /// Which thread.
        thread: ThreadId,
        /// The message's stored position (from a search hit).
        position: u64,
    },
    /// Which rows of the shown branch, from `from` on, the user wrote
    /// (answered by [`super::Event::Outline`]).
    LoadOutline {
        /// Which thread.
        thread: ThreadId,
        /// First row to look at (the rows before are known).
        from: u64,
    },
    /// Store a message the user wrote (shown already as `Sending`).
    SendMessage {
        /// Which thread.
        thread: ThreadId,
        /// Id chosen by the UI for the pending row.
        id: MessageId,
        /// What the user wrote.
        text: String,
        /// Attachments waiting in the composer that go with it.
        attachments: Vec<AttachmentId>,
        /// Make images from it instead of a text reply.
        images: Option<ImageOptions>,
    },
    /// Attach files to a thread (they wait in the composer until sent).
    AttachFiles {
        /// Which thread.
        thread: ThreadId,
        /// The files.
        files: Vec<super::attachments::IncomingFile>,
    },
    /// Open the system's file picker and attach what is chosen.
    PickFiles {
        /// Which thread.
        thread: ThreadId,
    },
    /// Take back an attachment that waits in the composer.
    RemoveAttachment {
        /// Which thread.
        thread: ThreadId,
        /// Which attachment.
        id: AttachmentId,
    },
    /// Decode an image attachment whole (upright) for the viewer.
    LoadOriginal {
        /// Which thread.
        thread: ThreadId,
        /// Which attachment.
        id: AttachmentId,
    },
    /// Ask where to save an attachment, and save its original there.
    SaveAttachment {
        /// Which thread.
        thread: ThreadId,
        /// Which attachment.
        id: AttachmentId,
    },
    /// Decode an attachment's preview for a message row.
    LoadPreview {
        /// Which thread.
        thread: ThreadId,
        /// Which attachment.
        id: AttachmentId,
    },
    /// Save the unsent composer text of a thread.
    SaveDraft {
        /// Which thread.
        thread: ThreadId,
        /// The text.
        text: String,
    },
    /// Choose a thread's custom mode (`None`: no mode).
    SetThreadMode {
        /// Which thread.
        id: ThreadId,
        /// [`crate::domain::CustomMode::id`].
        mode: Option<String>,
    },
    /// Read the files on the clipboard (a `text/uri-list` a file manager
    /// put there, with no text beside it), answered by
    /// [`super::Event::ClipboardFiles`].
    ReadClipboardFiles,
    /// Find the system's sans-serif and monospace fonts and read them
    /// (answered by [`super::Event::SystemFonts`]).
    LoadSystemFonts,
    /// Save changed settings.
    SaveSettings {
        /// The whole new value.
        settings: Settings,
        /// Echoed in [`super::Event::SettingsLoaded`], so the UI can tell an
        /// answer to an older edit from one to its newest.
        revision: u64,
    },
    /// Store (or with `None`, forget) the API key of a provider. Sealed at
    /// rest, never logged.
    SetApiKey {
        /// [`crate::domain::ProviderConfig::id`].
        provider: String,
        /// The key.
        key: Option<zeroize::Zeroizing<String>>,
    },
    /// Choose the model of a thread (`None`: the default model).
    SetThreadModel {
        /// Which thread.
        id: ThreadId,
        /// The model.
        model: Option<ModelChoice>,
    },
    /// Try a provider's key with its cheapest call (listing models).
    CheckKey {
        /// [`crate::domain::ProviderConfig::id`].
        provider: String,
    },
    /// Ask again for the reply to the thread's last user message (after a
    /// failed, stopped or interrupted reply; the old reply stays).
    RetryReply {
        /// Which thread.
        thread: ThreadId,
    },
    /// Ask for another reply in place of the one at `row`; the old one stays
    /// as a sibling branch.
    RegenerateReply {
        /// Which thread.
        thread: ThreadId,
        /// The assistant row.
        row: u64,
    },
    /// Send an edited version of the user message at `row` as a new branch
    /// (the original and its replies stay) and get a reply to it.
    EditMessage {
        /// Which thread.
        thread: ThreadId,
        /// The user row.
        row: u64,
        /// The new text.
        text: String,
    },
    /// Show another sibling of the message at `row` (`step` -1: the older
    /// one, +1: the newer one).
    SwitchBranch {
        /// Which thread.
        thread: ThreadId,
        /// The row with siblings.
        row: u64,
        /// Which way.
        step: i64,
    },
    /// Copy the shown branch of a thread, up to and including the message at
    /// `row`, into a new thread (the original stays as it is).
    BranchOff {
        /// Which thread.
        thread: ThreadId,
        /// The last row copied.
        row: u64,
        /// Id chosen by the UI for the new thread, so it can open it at once.
        new_id: ThreadId,
    },
    /// Set a thread's system prompt (empty: none).
    SetSystemPrompt {
        /// Which thread.
        id: ThreadId,
        /// The instructions.
        prompt: String,
    },
    /// Stop the reply streaming into a thread; what arrived is kept.
    StopReply {
        /// Which thread.
        thread: ThreadId,
    },
    /// Ask where to save, then export a thread or everything (never the
    /// API keys); answered by [`super::Event::Status`].
    Export {
        /// What, in which form.
        what: super::ExportWhat,
    },
    /// Ask for a Pak.Chat archive or a ChatGPT `conversations.json` and
    /// import it; a malformed file is refused before anything is written.
    Import,
    /// Sign in to the Pak.Chat server at `server` through the browser.
    SignIn {
        /// The server's address.
        server: String,
    },
    /// Stop waiting for the browser.
    CancelSignIn,
    /// Sign out here and at the server (chats stay).
    SignOut,
    /// Sync with the account's server now (also mid-way through waiting
    /// out a failure).
    SyncNow,
    /// The first device of an account: make the account's key (its
    /// recovery code comes back once, in [`super::Event::RecoveryCode`]).
    TurnOnSync,
    /// Every other device: get the account's key with its recovery code.
    JoinSync {
        /// The code as typed (any case, dashes optional).
        code: zeroize::Zeroizing<String>,
    },
    /// List the account's signed-in devices ([`super::Event::Devices`]).
    ListDevices,
    /// Sign another device of the account out (a lost laptop).
    RemoveDevice {
        /// Its id, as listed.
        id: String,
    },
    /// Rename this device (the name syncs to the others).
    RenameDevice {
        /// The new name.
        name: String,
    },
    /// Make a share link of the branch of `thread` on screen, lasting
    /// `days` (None: until revoked); [`super::Event::ShareMade`] answers.
    ShareThread {
        /// Which chat.
        thread: crate::domain::ThreadId,
        /// How long the link opens, in days.
        days: Option<u32>,
    },
    /// List the account's share links ([`super::Event::Shares`]).
    ListShares,
    /// Revoke a share link: it stops opening and its copy is deleted.
    RevokeShare {
        /// Its id, as listed.
        id: String,
    },
    /// The app is closing: finish what came before, flush, and stop.
    Shutdown,
}
