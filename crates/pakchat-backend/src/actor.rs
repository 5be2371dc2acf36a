//! The backend actor: owns the store, handles one [`Command`] at a time in
//! order, and reports every effect as an [`Event`].

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::history::View;
use super::{Command, Event, FilePicker, Runtime, ThreadSummary};
use crate::domain::{HlcClock, Message, MessageStatus, Role, Thread, ThreadId, wall_millis};
use crate::store::{
    Argon2Params, KeySource, Kv, KvError, MemoryKv, Protection, SealedStore, Store, StoreError, ThreadSlot,
};

/// Title of a thread the user has not named and not written in yet.
pub const DEFAULT_TITLE: &str = "New chat";
/// Length of a title taken from the first message.
const TITLE_CHARS: usize = 80;
/// How long to wait for a closing instance to let go of the profile.
#[cfg(not(target_arch = "wasm32"))]
const LOCK_WAIT: Duration = Duration::from_secs(3);
/// Rows sent around a message opened from a search hit.
const PAGE_AROUND: u64 = 100;

/// Where the profile's data lives.
#[derive(Clone, Debug)]
pub enum StoreLocation {
    /// A sled database in this folder (native).
    Directory(PathBuf),
    /// In memory, gone when the app closes (web until the browser backend
    /// lands; tests).
    Memory,
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
        store: None,
        clock: HlcClock::new(crate::domain::DeviceId::from_bytes([0; 16])),
        instance: None,
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
    kv: Option<Arc<dyn Kv>>,
    store: Option<Arc<SealedStore>>,
    pub(super) clock: HlcClock,
    pub(super) replies: super::streaming::Replies,
    /// Where the actor's tasks and dialogs report back; [`Actor::run`]
    /// listens on the other end.
    pub(super) inbox: mpsc::UnboundedSender<Internal>,
    /// Messages the user sent since the backend started (for the session limit).
    sent_messages: u32,
    /// Answers second launches on this profile while the actor runs.
    instance: Option<super::instance::Listener>,
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

fn data_dir(location: &StoreLocation) -> Option<PathBuf> {
    match location {
        StoreLocation::Directory(dir) => Some(dir.clone()),
        StoreLocation::Memory => None,
    }
}

pub(super) fn title_from(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut title: String = line.chars().take(TITLE_CHARS).collect();
    if line.chars().count() > TITLE_CHARS {
        title.push('…');
    }
    if title.is_empty() { DEFAULT_TITLE.to_owned() } else { title }
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
                    self.handle(command).await;
                }
                Some(internal) = inbox.recv() => self.on_internal(internal).await,
            }
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

    async fn open_kv(&mut self) -> bool {
        let kv: Result<Arc<dyn Kv>, KvError> = match &self.config.location {
            StoreLocation::Memory => Ok(Arc::new(MemoryKv::new())),
            #[cfg(not(target_arch = "wasm32"))]
            StoreLocation::Directory(dir) => {
                let dir = dir.clone();
                // A previous instance may still be closing (a quick restart):
                // give it a moment before calling the profile busy.
                self.rt
                    .blocking(move || crate::store::SledKv::open_patiently(&dir, LOCK_WAIT))
                    .await
                    .map(|kv| Arc::new(kv) as Arc<dyn Kv>)
            }
            #[cfg(target_arch = "wasm32")]
            StoreLocation::Directory(_) => Ok(Arc::new(MemoryKv::new())),
        };
        match kv {
            Ok(kv) => {
                self.kv = Some(kv);
                if let StoreLocation::Directory(dir) = &self.config.location
                    && !self.config.lockdown.guest
                {
                    // We hold the profile's lock: a second launch now hands over to us.
                    let events = self.events.clone();
                    match super::instance::listen(dir, move || events.send(Event::WindowRequested)) {
                        Ok(listener) => self.instance = Some(listener),
                        Err(e) => tracing::warn!(err = %e, "a second launch will not be able to hand over"),
                    }
                }
                true
            }
            Err(e) => {
                tracing::error!(err = %e, "cannot open the store");
                self.events.send(Event::StoreFailed { message: e.to_string() });
                false
            }
        }
    }

    async fn keychain_available(&self) -> bool {
        if !self.config.use_keychain {
            return false;
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let probe = self.rt.blocking(crate::store::keychain::available);
            tokio::time::timeout(Duration::from_secs(5), probe).await.unwrap_or(false)
        }
        #[cfg(target_arch = "wasm32")]
        {
            false
        }
    }

    async fn start_unlock(&mut self) {
        let Some(kv) = self.kv.clone() else { return };
        let header = match self.rt.blocking(move || SealedStore::read_header(kv.as_ref())).await {
            Ok(h) => h,
            Err(e) => {
                self.events.send(Event::StoreFailed { message: e.to_string() });
                return;
            }
        };
        let Some(header) = header else {
            if self.config.lockdown.guest {
                self.set_up(KeySource::Throwaway).await;
            } else if let Some(path) = self.config.key_file.clone() {
                self.set_up(KeySource::KeyFile(path)).await;
            } else {
                let keychain_available = self.keychain_available().await;
                self.events.send(Event::NeedsSetup { data_dir: data_dir(&self.config.location), keychain_available });
            }
            return;
        };
        let kind = header.protection.kind();
        let source = match header.protection {
            Protection::Keychain if self.config.use_keychain => Some(KeySource::Keychain),
            Protection::KeyFile { path } => Some(KeySource::KeyFile(self.config.key_file.clone().unwrap_or(path))),
            Protection::Keychain | Protection::Passphrase { .. } | Protection::Throwaway => None,
        };
        let problem = match source {
            Some(source) => match self.try_unlock(source).await {
                Ok(()) => return,
                Err(e) => Some(e.to_string()),
            },
            None => None,
        };
        self.events.send(Event::NeedsUnlock { protection: kind, problem });
    }

    async fn try_unlock(&mut self, source: KeySource) -> Result<(), StoreError> {
        let Some(kv) = self.kv.clone() else { return Err(StoreError::NotOpen) };
        let store = self.rt.blocking(move || SealedStore::unlock(kv, &source)).await?;
        self.opened(store).await;
        Ok(())
    }

    async fn set_up(&mut self, source: KeySource) {
        let Some(kv) = self.kv.clone() else { return };
        let params = self.config.argon2;
        match self.rt.blocking(move || SealedStore::create(kv, &source, params)).await {
            Ok(store) => self.opened(store).await,
            Err(e) => self.events.send(Event::UnlockFailed { message: e.to_string() }),
        }
    }

    async fn opened(&mut self, store: SealedStore) {
        let store = Arc::new(store);
        self.clock = HlcClock::new(store.device_id());
        self.store = Some(store.clone());
        tracing::info!(protection = ?store.protection(), "profile unlocked");
        self.events.send(Event::Unlocked { protection: store.protection(), data_dir: data_dir(&self.config.location) });
        match self.with_store(Store::threads).await {
            Ok(slots) => {
                let ids: Vec<ThreadId> = slots
                    .iter()
                    .filter_map(|s| match s {
                        ThreadSlot::Ok(t) => Some(t.id),
                        ThreadSlot::Unreadable { .. } => None,
                    })
                    .collect();
                // Deletions whose undo window closed with the app: finish them.
                let deleted: Vec<ThreadId> = slots
                    .iter()
                    .filter_map(|s| match s {
                        ThreadSlot::Ok(t) if t.deleted && !t.title.is_empty() => Some(t.id),
                        _ => None,
                    })
                    .collect();
                let summaries = slots.into_iter().map(ThreadSummary::from).collect();
                self.events.send(Event::ThreadsLoaded(summaries));
                self.send_projects().await;
                // After the sidebar has its list: no command (opening a thread
                // included) is handled before this finishes, so nobody sees a
                // stale "writing…".
                self.mark_interrupted(ids).await;
                self.purge_threads(deleted).await;
            }
            Err(e) => self.events.send(Event::Error { message: format!("Could not list your threads: {e}") }),
        }
        self.reload_settings().await;
    }

    /// Read the settings and tell the UI (after unlocking, after an import
    /// that brought settings).
    pub(super) async fn reload_settings(&mut self) {
        match self.with_store(Store::settings).await {
            Ok(settings) => {
                self.replies.settings = settings.clone();
                self.events.send(Event::SettingsLoaded { settings, revision: 0 });
                self.send_key_status().await;
            }
            Err(e) => self
                .events
                .send(Event::Error { message: format!("Your settings could not be read ({e}); using defaults.") }),
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
            Internal::Dialog(closed) => self.on_dialog_closed(closed).await,
        }
    }

    /// Remove for good the content of those of `ids` that are deleted: their
    /// messages, branches, attachment records, and the blobs nothing else
    /// names. The thread record stays as a tombstone without title or draft.
    pub(super) async fn purge_threads(&mut self, ids: Vec<ThreadId>) {
        let stamp = self.clock.now();
        let result = self
            .with_store(move |s| {
                let mut orphans = Vec::new();
                let mut purged = 0;
                for id in ids {
                    let Some(mut thread) = s.thread(id)? else { continue };
                    if !thread.deleted {
                        continue;
                    }
                    orphans.extend(s.purge_thread_content(id)?);
                    if !thread.title.is_empty() || !thread.draft.is_empty() || !thread.system_prompt.is_empty() {
                        thread.title.clear();
                        thread.draft.clear();
                        thread.system_prompt.clear();
                        thread.stamp = stamp;
                        s.put_thread(&thread)?;
                    }
                    purged += 1;
                }
                if !orphans.is_empty() {
                    let used = s.blobs_in_use()?;
                    for blob in orphans.iter().filter(|b| !used.contains(b)) {
                        s.remove_blob(blob)?;
                    }
                }
                s.flush()?;
                Ok(purged)
            })
            .await;
        match result {
            Ok(0) => {}
            Ok(n) => tracing::info!(threads = n, "deleted threads purged"),
            Err(e) => self.events.send(Event::Error { message: format!("A deleted thread could not be removed: {e}") }),
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

    /// Load a thread, change it, save it durably and tell the UI.
    pub(super) async fn edit_thread(
        &mut self,
        id: ThreadId,
        what: &str,
        edit: impl FnOnce(&mut Thread) + Send + 'static,
    ) {
        let stamp = self.clock.now();
        let result = self
            .with_store(move |store| {
                let Some(mut thread) = store.thread(id)? else {
                    return Ok(None);
                };
                edit(&mut thread);
                thread.stamp = stamp;
                store.put_thread(&thread)?;
                store.flush()?;
                Ok(Some(thread))
            })
            .await;
        match result {
            Ok(Some(thread)) => self.events.send(Event::ThreadChanged(ThreadSummary::Ok(thread))),
            Ok(None) => {
                self.events.send(Event::Error { message: format!("Could not {what}: the thread no longer exists.") });
            }
            Err(e) => self.events.send(Event::Error { message: format!("Could not {what}: {e}") }),
        }
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::SetUp(source) => {
                if self.store.is_some() {
                    self.events.send(Event::UnlockFailed { message: "The profile is already set up.".to_owned() });
                } else {
                    self.set_up(source).await;
                }
            }
            Command::Unlock(source) => {
                if self.store.is_none()
                    && let Err(e) = self.try_unlock(source).await
                {
                    self.events.send(Event::UnlockFailed { message: e.to_string() });
                }
            }
            Command::CreateThread { id, project } => {
                let now = wall_millis();
                let mut thread = Thread::new(id, DEFAULT_TITLE.to_owned(), now, self.clock.now());
                thread.project_id = project;
                let saved = thread.clone();
                match self.with_store(move |s| s.put_thread(&saved).and_then(|()| s.flush())).await {
                    Ok(()) => self.events.send(Event::ThreadChanged(ThreadSummary::Ok(thread))),
                    Err(e) => self.events.send(Event::Error { message: format!("Could not create the thread: {e}") }),
                }
            }
            Command::RenameThread { id, title } => {
                let title = title.trim().to_owned();
                if title.is_empty() {
                    self.events.send(Event::Error { message: "A thread needs a title.".to_owned() });
                } else {
                    self.edit_thread(id, "rename the thread", move |t| {
                        t.title = title;
                        t.auto_title = false;
                    })
                    .await;
                }
            }
            Command::SetPinned { id, pinned } => {
                self.edit_thread(id, "pin the thread", move |t| t.pinned = pinned).await;
            }
            Command::DeleteThread { id } => self.edit_thread(id, "delete the thread", |t| t.deleted = true).await,
            Command::PurgeThread { id } => self.purge_threads(vec![id]).await,
            Command::RestoreThread { id } => self.edit_thread(id, "restore the thread", |t| t.deleted = false).await,
            Command::OpenThread { id, tail } => {
                self.send_rows(id, None, tail).await;
                self.send_attachments(id).await;
            }
            Command::AttachFiles { thread, files } => self.attach(thread, files).await,
            Command::PickFiles { thread } => self.pick_files(thread),
            Command::RemoveAttachment { thread, id } => self.remove_attachment(thread, id).await,
            Command::LoadPreview { thread, id } => self.load_preview(thread, id).await,
            Command::LoadOriginal { thread, id } => self.load_original(thread, id).await,
            Command::SaveAttachment { thread, id } => self.save_attachment(thread, id).await,
            Command::LoadMessages { thread, start, len } => {
                let result = self
                    .with_store(move |s| {
                        let view = View::load(s, thread)?;
                        view.page(s, thread, start, len)
                    })
                    .await;
                match result {
                    Ok((messages, forks)) => {
                        self.events.send(Event::MessagesLoaded { thread, start, messages, forks });
                    }
                    Err(e) => self.events.send(Event::Error { message: format!("Could not load messages: {e}") }),
                }
            }
            Command::Search { query, serial } => self.search(query, serial).await,
            Command::ShowMessage { thread, position } => self.show_message(thread, position).await,
            Command::LoadOutline { thread, from } => {
                let result = self
                    .with_store(move |s| {
                        let view = View::load(s, thread)?;
                        Ok((view.path.len(), view.user_rows(s, thread, from)?))
                    })
                    .await;
                match result {
                    Ok((count, user_rows)) => self.events.send(Event::Outline { thread, from, count, user_rows }),
                    Err(e) => {
                        self.events.send(Event::Error { message: format!("Could not read the thread's outline: {e}") });
                    }
                }
            }
            Command::RegenerateReply { thread, row } => self.regenerate(thread, row).await,
            Command::EditMessage { thread, row, text } => self.edit_message(thread, row, text).await,
            Command::SwitchBranch { thread, row, step } => self.switch_branch(thread, row, step).await,
            Command::SendMessage { thread, id, text, attachments, images } => {
                let refusal = self.config.lockdown.refuses_message(self.sent_messages).or_else(|| {
                    (images.is_some() && !self.config.lockdown.image_generation)
                        .then(|| "making images is turned off on this computer".to_owned())
                });
                if let Some(reason) = refusal {
                    self.events.send(Event::SendFailed { thread, id, text, reason });
                } else {
                    self.sent_messages += 1;
                    self.send_message(thread, id, text, attachments, images).await;
                }
            }
            Command::SaveDraft { thread, text } => {
                let stamp = self.clock.now();
                let result = self
                    .with_store(move |s| {
                        if let Some(mut t) = s.thread(thread)?
                            && t.draft != text
                        {
                            t.draft = text;
                            t.stamp = stamp;
                            s.put_thread(&t)?;
                            s.flush()?;
                        }
                        Ok(())
                    })
                    .await;
                if let Err(e) = result {
                    self.events.send(Event::Error { message: format!("Your draft could not be saved: {e}") });
                }
            }
            Command::Shutdown => {}
            Command::PickKnowledge { .. } | Command::Export { .. } | Command::Import
                if !self.config.picker.reaches_disk() =>
            {
                self.events.send(Event::Error { message: FilePicker::DISABLED.to_owned() });
            }
            Command::Export { what } => self.ask_export_path(what).await,
            Command::BranchOff { thread, row, new_id } => self.branch_off(thread, row, new_id).await,
            Command::CreateProject { id, name } => self.create_project(id, name).await,
            Command::EditProject { id, name, instructions } => {
                let name = name.trim().to_owned();
                self.edit_project(id, "save the project", move |p| {
                    if !name.is_empty() {
                        p.name = name;
                    }
                    p.instructions = instructions;
                    Ok(())
                })
                .await;
            }
            Command::PickKnowledge { project } => self.pick_knowledge(project),
            Command::AddKnowledge { project, files } => self.add_knowledge(project, files).await,
            Command::RemoveKnowledge { project, file } => {
                self.edit_project(project, "remove the knowledge file", move |p| {
                    p.files.retain(|f| f.id != file);
                    Ok(())
                })
                .await;
            }
            Command::DeleteProject { id, threads } => self.delete_project(id, threads).await,
            Command::SetThreadProject { id, project } => self.set_thread_project(id, project).await,
            Command::Import => self.ask_import_path(),
            Command::SetApiKey { provider, key } => {
                let trimmed = key.map(|k| zeroize::Zeroizing::new(k.trim().to_owned())).filter(|k| !k.is_empty());
                let result = self
                    .with_store(move |s| {
                        s.put_api_key(&provider, trimmed.as_deref().map(String::as_str)).and_then(|()| s.flush())
                    })
                    .await;
                match result {
                    Ok(()) => self.send_key_status().await,
                    Err(e) => {
                        self.events.send(Event::Error { message: format!("The API key could not be saved: {e}") });
                    }
                }
            }
            Command::SetThreadModel { id, model } => {
                self.edit_thread(id, "change the model", move |t| t.model = model).await;
            }
            Command::SetThreadMode { id, mode } => {
                self.edit_thread(id, "change the mode", move |t| t.mode = mode).await;
            }
            Command::ReadClipboardFiles => self.read_clipboard_files(),
            Command::LoadSystemFonts => {
                let (rt, events) = (self.rt.clone(), self.events.clone());
                self.rt.spawn(async move {
                    let (sans, mono) = rt.blocking(super::system_fonts::find).await;
                    events.send(Event::SystemFonts { sans, mono });
                });
            }
            Command::StopReply { thread } => self.stop_reply(thread),
            Command::SetSystemPrompt { id, prompt } => {
                let prompt = prompt.trim().to_owned();
                self.edit_thread(id, "save the system prompt", move |t| t.system_prompt = prompt).await;
            }
            Command::CheckKey { provider } => self.check_key(provider).await,
            Command::RetryReply { thread } => self.retry_reply(thread).await,
            Command::SaveSettings { mut settings, revision } => {
                settings.stamp = Some(self.clock.now());
                let saved = settings.clone();
                match self.with_store(move |s| s.put_settings(&saved).and_then(|()| s.flush())).await {
                    Ok(()) => {
                        // Key status depends on the providers only; a typed
                        // instruction need not re-read every key.
                        let providers_changed = self.replies.settings.providers != settings.providers;
                        self.replies.settings = settings.clone();
                        self.events.send(Event::SettingsLoaded { settings, revision });
                        if providers_changed {
                            self.send_key_status().await;
                        }
                    }
                    Err(e) => {
                        self.events.send(Event::Error { message: format!("Settings could not be saved: {e}") });
                        // The UI showed the change already: take it back.
                        let settings = self.replies.settings.clone();
                        self.events.send(Event::SettingsLoaded { settings, revision });
                    }
                }
            }
        }
    }

    /// Send the UI the rows of `id`'s shown branch: a page around `around`,
    /// or its last `len` rows. Every row the UI holds is replaced.
    /// Answer a search: the newest hits in threads that are not deleted,
    /// each with a snippet.
    async fn search(&mut self, query: String, serial: u64) {
        /// Hits sent per query (the list shows the newest).
        const LIMIT: usize = 50;
        const SNIPPET_CHARS: usize = 140;
        let result = self
            .with_store(move |s| {
                let terms = crate::store::search::terms(&query);
                let mut live: std::collections::HashMap<ThreadId, bool> = std::collections::HashMap::new();
                let mut hits = Vec::new();
                // Ask for a few more than shown, for hits in deleted threads.
                for (position, m) in s.search(&query, LIMIT * 2)? {
                    let shown = match live.get(&m.thread_id) {
                        Some(&shown) => shown,
                        None => {
                            let shown = s.thread(m.thread_id).ok().flatten().is_some_and(|t| !t.deleted);
                            live.insert(m.thread_id, shown);
                            shown
                        }
                    };
                    if shown && hits.len() < LIMIT {
                        hits.push(super::SearchHit {
                            thread: m.thread_id,
                            position,
                            role: m.role,
                            created_ms: m.created_ms,
                            snippet: crate::store::search::snippet(&m.content, &terms, SNIPPET_CHARS),
                        });
                    }
                }
                Ok(hits)
            })
            .await;
        match result {
            Ok(hits) => self.events.send(Event::SearchResults { serial, hits }),
            Err(e) => self.events.send(Event::Error { message: format!("Search failed: {e}") }),
        }
    }

    /// Open a thread at one stored message, on the branch that holds it
    /// (unless a reply is streaming into the thread: then its branch stays).
    async fn show_message(&mut self, id: ThreadId, position: u64) {
        let may_switch = !self.busy(id);
        let result = self
            .with_store(move |s| {
                let mut view = View::load(s, id)?;
                if may_switch && view.path.row_of(position).is_none() && view.branches.reveal(position, view.count) {
                    s.put_branches(id, &view.branches)?;
                    s.flush()?;
                    view.path = view.branches.path(view.count);
                }
                let count = view.path.len();
                let row = view.path.row_of(position);
                let len = usize::try_from(PAGE_AROUND).unwrap_or(100);
                let start = row.map_or(count.saturating_sub(PAGE_AROUND), |r| {
                    r.saturating_sub(PAGE_AROUND / 2).min(count.saturating_sub(PAGE_AROUND))
                });
                let (messages, forks) = view.page(s, id, start, len)?;
                Ok((count, start, messages, forks, row))
            })
            .await;
        match result {
            Ok((count, start, messages, forks, reveal)) => {
                self.events.send(Event::ThreadOpened { id, count, start, messages, forks, reveal });
                self.send_attachments(id).await;
            }
            Err(e) => self.events.send(Event::Error { message: format!("Could not open the thread: {e}") }),
        }
    }

    pub(super) async fn send_rows(&mut self, id: ThreadId, around: Option<u64>, len: usize) {
        let result = self
            .with_store(move |s| {
                let view = View::load(s, id)?;
                let count = view.path.len();
                let start = match around {
                    Some(row) => row.saturating_sub(len as u64 / 2).min(count.saturating_sub(len as u64)),
                    None => count.saturating_sub(len as u64),
                };
                let (messages, forks) = view.page(s, id, start, len)?;
                Ok((count, start, messages, forks))
            })
            .await;
        match result {
            Ok((count, start, messages, forks)) => {
                self.events.send(Event::ThreadOpened { id, count, start, messages, forks, reveal: None });
            }
            Err(e) => self.events.send(Event::Error { message: format!("Could not open the thread: {e}") }),
        }
    }

    async fn send_message(
        &mut self,
        thread_id: ThreadId,
        id: crate::domain::MessageId,
        text: String,
        attachments: Vec<crate::domain::AttachmentId>,
        images: Option<super::ImageOptions>,
    ) {
        let stamp = self.clock.now();
        let thread_stamp = self.clock.now();
        let content = text.clone();
        let result = self
            .with_store(move |s| {
                let Some(mut thread) = s.thread(thread_id)? else {
                    return Ok(None);
                };
                let mut view = View::load(s, thread_id)?;
                let leaf = view.path.leaf();
                let parent_id = match view.path.len().checked_sub(1) {
                    Some(last) => view.message(s, thread_id, last)?.map(|m| m.id),
                    None => None,
                };
                let now = wall_millis();
                let message = Message {
                    id,
                    thread_id,
                    parent_id,
                    role: Role::User,
                    content,
                    reasoning: String::new(),
                    attachments: Vec::new(),
                    model: None,
                    status: MessageStatus::Done,
                    usage: None,
                    created_ms: now,
                    stamp,
                };
                let first = view.count == 0;
                // The attachments waiting in the thread that go with it.
                let mut message = message;
                for mut a in s.attachments(thread_id)?.into_iter().flatten() {
                    if a.message_id.is_none() && attachments.contains(&a.id) {
                        a.message_id = Some(id);
                        s.put_attachment(&a)?;
                        message.attachments.push(a.id);
                    }
                }
                let (position, row) = view.add_child(s, thread_id, leaf, &message)?;
                if first && thread.title == DEFAULT_TITLE {
                    thread.title = title_from(&message.content);
                    thread.auto_title = true;
                }
                thread.updated_ms = now;
                thread.draft.clear();
                thread.stamp = thread_stamp;
                s.put_thread(&thread)?;
                s.flush()?;
                Ok(Some((position, row, message, thread)))
            })
            .await;
        match result {
            Ok(Some((position, row, message, thread))) => {
                self.events.send(Event::MessageStored { thread: thread_id, index: row, message: message.clone() });
                self.events.send(Event::ThreadChanged(ThreadSummary::Ok(thread.clone())));
                match images {
                    Some(options) => self.start_images(thread, message, position, options).await,
                    None => self.start_reply(thread, message, position).await,
                }
            }
            Ok(None) => self.events.send(Event::SendFailed {
                thread: thread_id,
                id,
                text,
                reason: "the thread no longer exists".to_owned(),
            }),
            Err(e) => self.events.send(Event::SendFailed { thread: thread_id, id, text, reason: e.to_string() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::title_from;

    #[test]
    fn title_is_the_first_words_of_the_first_message() {
        assert_eq!(title_from("  Plan a\n trip to Lahore "), "Plan a trip to Lahore");
        assert_eq!(title_from(&"x".repeat(100)).chars().count(), 81);
        assert_eq!(title_from("   "), "New chat");
    }
}
