//! The backend actor: owns the store, handles one [`Command`] at a time in
//! order, and reports every effect as an [`Event`]. This file holds the
//! actor's state, its loop, and [`Actor::handle`], which hands each command
//! to the module of its area: `profile`, `threads`, `messages`,
//! `streaming` (replies), `settings`, `projects`, `attachments`,
//! `transfer`. What its tasks and dialogs report comes back through its
//! inbox as [`Internal`].

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::{Command, Event, FilePicker, Runtime};
use crate::domain::HlcClock;
use crate::store::{Argon2Params, Kv, SealedStore, Store as _, StoreError};

/// Where the profile's data lives.
#[derive(Clone, Debug)]
pub enum StoreLocation {
    /// A sled database in this folder (native).
    Directory(PathBuf),
    /// In memory, gone when the app closes (kiosk guests, tests).
    Memory,
    /// The browser's IndexedDB database of this name (the web build).
    #[cfg(target_arch = "wasm32")]
    Browser(String),
}

/// How to start the backend.
#[derive(Clone, Debug)]
pub struct BackendConfig {
    /// Where the data lives.
    pub location: StoreLocation,
    /// A key file to create or unlock with, without asking (`--key-file`).
    pub key_file: Option<PathBuf>,
    /// Argon2id cost for new passphrase-protected profiles.
    pub argon2: Argon2Params,
    /// Whether to ask the OS keychain at all (tests turn it off so they never
    /// touch the user's keychain).
    pub use_keychain: bool,
    /// Time-outs and retries of provider calls.
    pub retry: crate::providers::RetryPolicy,
    /// Where "Attach files…" gets its files.
    pub picker: FilePicker,
    /// What this session may not do (kiosk mode); the default: nothing.
    pub lockdown: super::Lockdown,
    /// A command that opens addresses (sign-in) instead of `$BROWSER` and
    /// the system's opener; the address is its last argument. Tests set it.
    pub browser: Option<String>,
}

/// The UI's end of the backend: send commands, drain events.
#[derive(Debug)]
pub struct BackendHandle {
    commands: mpsc::UnboundedSender<Command>,
    events: std_mpsc::Receiver<Event>,
}

impl BackendHandle {
    /// Send a command; never blocks. Returns false when the backend is gone.
    pub fn send(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }

    /// The next waiting event, if any; never blocks.
    #[must_use]
    pub fn try_recv(&self) -> Option<Event> {
        self.events.try_recv().ok()
    }
}

/// Lets the native entry point wait, after the window closed, until the
/// backend has written everything and stopped.
#[derive(Debug)]
pub struct Stopped(std_mpsc::Receiver<()>);

impl Stopped {
    /// Wait at most `timeout` for the backend to stop. True if it did.
    #[must_use]
    pub fn wait(&self, timeout: Duration) -> bool {
        // The actor never sends; its sender is dropped when it ends.
        matches!(self.0.recv_timeout(timeout), Err(std_mpsc::RecvTimeoutError::Disconnected))
    }
}

/// Sends events and wakes the UI for each.
#[derive(Clone)]
pub(super) struct Events {
    tx: std_mpsc::Sender<Event>,
    repaint: Arc<dyn Fn() + Send + Sync>,
}

impl Events {
    pub(super) fn send(&self, event: Event) {
        // A closed receiver means the UI is gone; the actor ends when its
        // command channel closes too.
        if self.tx.send(event).is_ok() {
            (self.repaint)();
        }
    }
}

/// Start the backend on `rt`. `repaint` is called after every event (egui's
/// `Context::request_repaint`, which coalesces calls into one frame).
pub fn start(
    rt: &Runtime,
    config: BackendConfig,
    repaint: impl Fn() + Send + Sync + 'static,
) -> (BackendHandle, Stopped) {
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (done_tx, done_rx) = std_mpsc::channel::<()>();
    let (ev_tx, ev_rx) = std_mpsc::channel();
    let (inbox, inbox_rx) = mpsc::unbounded_channel();
    let replies = super::streaming::Replies::new(config.retry.clone());
    // Whether this desktop can show a file dialog at all, asked once.
    let config = BackendConfig { picker: config.picker.resolved(), ..config };
    let actor = Actor {
        replies,
        inbox,
        rt: rt.clone(),
        events: Events { tx: ev_tx, repaint: Arc::new(repaint) },
        config,
        kv: None,
        #[cfg(target_arch = "wasm32")]
        idb: None,
        store: None,
        clock: HlcClock::new(crate::domain::DeviceId::from_bytes([0; 16])),
        instance: None,
        sign_in: None,
        sync: None,
        #[cfg(target_arch = "wasm32")]
        asked_to_hand_over: false,
        #[cfg(target_arch = "wasm32")]
        heard: super::tabs::Heard::default(),
        sent_messages: 0,
        _done: done_tx,
    };
    rt.spawn(actor.run(cmd_rx, inbox_rx));
    (BackendHandle { commands: cmd_tx, events: ev_rx }, Stopped(done_rx))
}

pub(super) struct Actor {
    pub(super) rt: Runtime,
    pub(super) events: Events,
    pub(super) config: BackendConfig,
    /// The profile's key-value store, once opened.
    pub(super) kv: Option<Arc<dyn Kv>>,
    /// The same engine as `kv` in a browser (it writes, or reads what
    /// another tab writes: `tabs.rs`).
    #[cfg(target_arch = "wasm32")]
    pub(super) idb: Option<Arc<crate::store::IdbKv>>,
    /// The unlocked store.
    pub(super) store: Option<Arc<SealedStore>>,
    pub(super) clock: HlcClock,
    pub(super) replies: super::streaming::Replies,
    /// Where the actor's tasks and dialogs report back; [`Actor::run`]
    /// listens on the other end.
    pub(super) inbox: mpsc::UnboundedSender<Internal>,
    /// Messages the user sent since the backend started (for the session limit).
    pub(super) sent_messages: u32,
    /// Answers second launches on this profile while the actor runs.
    pub(super) instance: Option<super::instance::Listener>,
    /// The sign-in waiting for the browser, while one is: its number (a
    /// newer one replaces it) and what stops it (gone once used).
    pub(super) sign_in: Option<(u64, Option<tokio::sync::oneshot::Sender<()>>)>,
    /// The sync task, while signed in with the account's key here.
    pub(super) sync: Option<super::syncing::SyncLink>,
    /// Another tab of this browser asked to write (see `tabs.rs`).
    #[cfg(target_arch = "wasm32")]
    pub(super) asked_to_hand_over: bool,
    /// What the tab that writes wrote and this one has not shown yet.
    #[cfg(target_arch = "wasm32")]
    pub(super) heard: super::tabs::Heard,
    /// Dropped when the actor ends, which is what [`Stopped`] waits for.
    _done: std_mpsc::Sender<()>,
}

/// Work the actor queues for itself, handled between commands in the order
/// it arrives: what its tasks report and what its file dialogs answered.
pub(super) enum Internal {
    /// A task talking to a provider reported.
    Reply(super::streaming::ReplyReport),
    /// A file dialog closed.
    Dialog(super::dialogs::DialogClosed),
    /// A sign-in or a session check ended.
    Account(super::account::AccountReport),
    /// The sync task finished a round.
    Sync(super::syncing::SyncReport),
    /// A file another device sent was fetched (or not).
    Fetched(super::remote_files::Fetched),
    /// Another tab of this browser must write (see `tabs.rs`).
    #[cfg(target_arch = "wasm32")]
    HandOver,
    /// The tab that writes wrote this.
    #[cfg(target_arch = "wasm32")]
    TabWrote(crate::store::TabChange),
    /// Time to show what it wrote.
    #[cfg(target_arch = "wasm32")]
    ShowTabWrites,
}

impl From<super::syncing::SyncReport> for Internal {
    fn from(report: super::syncing::SyncReport) -> Self {
        Self::Sync(report)
    }
}

impl From<super::account::AccountReport> for Internal {
    fn from(report: super::account::AccountReport) -> Self {
        Self::Account(report)
    }
}

impl From<super::streaming::ReplyReport> for Internal {
    fn from(report: super::streaming::ReplyReport) -> Self {
        Self::Reply(report)
    }
}

impl From<super::dialogs::DialogClosed> for Internal {
    fn from(closed: super::dialogs::DialogClosed) -> Self {
        Self::Dialog(closed)
    }
}

/// Hand a task's report to the actor. It is gone only while the app
/// closes, when the report no longer matters: a debug line, not an error.
pub(super) fn to_actor(tx: &mpsc::UnboundedSender<Internal>, message: impl Into<Internal>) {
    if tx.send(message.into()).is_err() {
        tracing::debug!("the actor has stopped; a task's report was dropped");
    }
}

/// A handler was given a command of another area: a mistake in
/// [`Actor::handle`]'s routing. Logged without the command, which may hold
/// an API key or the user's text.
pub(super) fn misrouted(area: &str) {
    tracing::error!(area, "a command reached the handler of another area and was ignored");
}

impl Actor {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut inbox: mpsc::UnboundedReceiver<Internal>,
    ) {
        if self.open_kv().await {
            self.start_unlock().await;
        }
        loop {
            tokio::select! {
                command = commands.recv() => {
                    let Some(command) = command else { break };
                    if matches!(command, Command::Shutdown) {
                        break;
                    }
                    #[cfg(target_arch = "wasm32")]
                    if !self.write_here(&command).await {
                        continue;
                    }
                    self.handle(command).await;
                    // Most commands change a record; the task looks and
                    // finds nothing to send after the others.
                    self.nudge_sync(super::syncing::Nudge::Changed);
                }
                Some(internal) = inbox.recv() => {
                    let reply = matches!(internal, Internal::Reply(_));
                    self.on_internal(internal).await;
                    if reply {
                        self.nudge_sync(super::syncing::Nudge::Changed);
                    }
                }
            }
            #[cfg(target_arch = "wasm32")]
            self.hand_over_when_idle().await;
        }
        if let Some(store) = self.store.take()
            && let Err(e) = self.rt.blocking(move || store.flush()).await
        {
            tracing::error!(err = %e, "final flush failed");
        }
        #[cfg(not(target_arch = "wasm32"))]
        if let StoreLocation::Directory(dir) = &self.config.location {
            // Files sled made during this run (blobs, a snapshot) are 0600
            // before the next start too; the folder kept them private meanwhile.
            let (dir, kv) = (dir.clone(), self.kv.take());
            let tightened = self
                .rt
                .blocking(move || {
                    drop(kv);
                    crate::store::private_dir::tighten(&dir)
                })
                .await;
            if let Err(e) = tightened {
                tracing::warn!(err = %e, "could not make the profile's new files private");
            }
        }
    }

    /// Hand `command` to the handler of its area.
    async fn handle(&mut self, command: Command) {
        match command {
            // A kiosk without file dialogs: refused here, before any area.
            Command::PickKnowledge { .. } | Command::Export { .. } | Command::Import
                if !self.config.picker.reaches_disk() =>
            {
                self.events.send(Event::Error { thread: None, message: FilePicker::DISABLED.to_owned() });
            }
            c @ (Command::SetUp(_) | Command::Unlock(_) | Command::ForgetThisBrowser) => {
                self.handle_profile(c).await;
            }
            c @ (Command::CreateThread { .. }
            | Command::RenameThread { .. }
            | Command::SetPinned { .. }
            | Command::DeleteThread { .. }
            | Command::PurgeThread { .. }
            | Command::RestoreThread { .. }
            | Command::SetThreadModel { .. }
            | Command::SetThreadMode { .. }
            | Command::SetSystemPrompt { .. }
            | Command::SaveDraft { .. }) => self.handle_threads(c).await,
            c @ (Command::OpenThread { .. }
            | Command::LoadMessages { .. }
            | Command::LoadOutline { .. }
            | Command::Search { .. }
            | Command::ShowMessage { .. }
            | Command::SendMessage { .. }
            | Command::EditMessage { .. }
            | Command::SwitchBranch { .. }
            | Command::BranchOff { .. }) => self.handle_messages(c).await,
            c @ (Command::RegenerateReply { .. }
            | Command::RetryReply { .. }
            | Command::StopReply { .. }
            | Command::CheckKey { .. }) => self.handle_replies(c).await,
            c @ (Command::SaveSettings { .. } | Command::SetApiKey { .. } | Command::LoadSystemFonts) => {
                self.handle_settings(c).await;
            }
            c @ (Command::CreateProject { .. }
            | Command::EditProject { .. }
            | Command::PickKnowledge { .. }
            | Command::AddKnowledge { .. }
            | Command::RemoveKnowledge { .. }
            | Command::DeleteProject { .. }
            | Command::SetThreadProject { .. }) => self.handle_projects(c).await,
            c @ (Command::AttachFiles { .. }
            | Command::PickFiles { .. }
            | Command::RemoveAttachment { .. }
            | Command::LoadPreview { .. }
            | Command::LoadOriginal { .. }
            | Command::SaveAttachment { .. }
            | Command::ReadClipboardFiles) => self.handle_attachments(c).await,
            c @ (Command::Export { .. } | Command::Import) => self.handle_transfer(c).await,
            c @ (Command::SignIn { .. } | Command::CancelSignIn | Command::SignOut) => self.handle_account(c).await,
            Command::SyncNow => self.nudge_sync(super::syncing::Nudge::Now),
            c @ (Command::TurnOnSync | Command::JoinSync { .. }) => self.enrol(c),
            c @ (Command::ListDevices | Command::RemoveDevice { .. } | Command::RenameDevice { .. }) => {
                self.handle_devices(c).await;
            }
            c @ (Command::ShareThread { .. } | Command::ListShares | Command::RevokeShare { .. }) => {
                self.handle_shares(c).await;
            }
            // `run` stops before handing it here.
            Command::Shutdown => {}
        }
    }

    /// Queue work for the actor itself, handled after the command at hand.
    pub(super) fn internal(&self, message: impl Into<Internal>) {
        to_actor(&self.inbox, message);
    }

    /// Apply what a task or a dialog reported.
    async fn on_internal(&mut self, internal: Internal) {
        match internal {
            Internal::Reply(report) => self.on_reply_report(report).await,
            // What a dialog, a sign-in or a fetch brought is written here.
            #[cfg(target_arch = "wasm32")]
            Internal::Dialog(_) | Internal::Account(_) | Internal::Fetched(_) if !self.take_profile().await => {}
            Internal::Dialog(closed) => self.on_dialog_closed(closed).await,
            Internal::Account(report) => self.on_account_report(report).await,
            Internal::Sync(report) => self.on_sync_report(report).await,
            Internal::Fetched(fetched) => self.on_fetched(fetched).await,
            #[cfg(target_arch = "wasm32")]
            Internal::HandOver => self.on_hand_over_asked().await,
            #[cfg(target_arch = "wasm32")]
            Internal::TabWrote(change) => self.on_tab_wrote(change),
            #[cfg(target_arch = "wasm32")]
            Internal::ShowTabWrites => self.show_tab_writes().await,
        }
    }

    /// Run `work` on the store off the async workers.
    pub(super) async fn with_store<R: Send + 'static>(
        &self,
        work: impl FnOnce(&SealedStore) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let Some(store) = self.store.clone() else { return Err(StoreError::NotOpen) };
        self.rt.blocking(move || work(&store)).await
    }
}
