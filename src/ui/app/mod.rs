//! [`PakApp`]: the `eframe::App`, split by job as the rerun viewer is:
//! [`logic`] drains backend events into the view model and saves drafts;
//! [`ui`] draws and turns clicks and keys into [`Command`]s;
//! [`command_handling`] reacts to what the user asked for; [`windows`]
//! holds the windows of single threads. Nothing here waits on the backend.

use std::time::Duration;

use egui::{Key, RichText, Ui};

use crate::backend::{
    BackendHandle, Command, Event, ExportFormat, ExportWhat, IncomingFile, KeyOrigin, ProtectionKind,
};
use crate::domain::{
    AttachmentId, CodeFont, CustomMode, InterfaceFont, Message, MessageId, MessageStatus, Project, ProjectId, Role,
    Stamp, ThemePreference, ThreadId, wall_millis,
};

mod announce;
mod command_handling;
mod header;
mod incoming;
mod logic;
mod ui;
mod windows;

use super::attachments::attachment_bar_ui;
use super::chat_view::{ChatAction, chat_view_ui};
use super::commands::{Scope, UiCommand};
use super::composer::{Composer, ComposerOutput, composer_ui};
use super::lock_screen::{LockForm, lock_screen_ui};
use super::model_picker::model_picker_ui;
use super::settings_window::{SettingsForm, SettingsTab, settings_window_ui};
use super::sidebar::sidebar_ui;
use super::view_model::{OpenThread, PAGE, Phase, ViewModel};

/// Quiet time after the last keystroke before a draft is saved.
pub const DRAFT_DELAY: Duration = Duration::from_millis(400);
/// The text cursor stops blinking after this long without input (as
/// GNOME's `cursor-blink-timeout`): a focused window left alone then draws
/// nothing at all, instead of the whole window twice a second.
pub const CURSOR_BLINK_TIMEOUT: Duration = Duration::from_secs(10);
/// How much larger text is while presenting on a shared screen.
const PRESENT_SCALE: f32 = 1.4;
/// Frames in which message layouts are redone after a style change.
const RELAYOUT_FRAMES: u8 = 2;
/// How long "Undo" stays offered after a delete.
pub const UNDO_WINDOW: Duration = Duration::from_secs(10);

/// Something the user did in a part of the UI, applied by the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Start a new thread.
    NewThread,
    /// Show a thread.
    OpenThread(ThreadId),
    /// Edit a thread's title in place.
    StartRename(ThreadId),
    /// Pin or unpin.
    SetPinned(ThreadId, bool),
    /// Delete (with undo).
    Delete(ThreadId),
    /// Open the command palette.
    OpenPalette,
    /// Create a project and open it.
    NewProject,
    /// Open a project's window.
    OpenProject(ProjectId),
    /// Open a thread in a window of its own.
    OpenInWindow(ThreadId),
    /// Start a new chat in a project.
    NewThreadIn(ProjectId),
    /// Fold (true) or unfold a project's chats in the sidebar.
    FoldProject(ProjectId, bool),
    /// Move a thread into a project, or out of any.
    MoveToProject(ThreadId, Option<ProjectId>),
}

/// The Pak.Chat application.
pub struct PakApp {
    backend: BackendHandle,
    vm: ViewModel,
    composer: Composer,
    lock_form: LockForm,
    settings_form: SettingsForm,
    /// Ctrl+Shift+S folds the sidebar away.
    sidebar_hidden: bool,
    /// The signed-in user's picture, as a texture.
    avatar: crate::ui::account::AvatarCache,
    /// The thread whose final system prompt is shown.
    final_prompt: Option<ThreadId>,
    rename: Option<(ThreadId, String)>,
    /// The system prompt being edited, for which thread.
    system_prompt: Option<(ThreadId, String)>,
    undo: Option<(ThreadId, String, web_time::Instant)>,
    applied_theme: Option<(ThemePreference, u32)>,
    /// The fonts egui was given last, and whether the system's were known.
    applied_fonts: Option<(InterfaceFont, CodeFont, bool)>,
    /// The backend was asked for the system's fonts.
    asked_for_system_fonts: bool,
    /// When the process started, to log the time to the first frame once.
    started_at: Option<web_time::Instant>,
    /// The composer makes images instead of asking for a reply.
    image_mode: bool,
    /// The command palette (Ctrl+K) and the help sheet.
    palette: super::palette::Palette,
    /// The image mode's choices.
    image_form: super::image_mode::ImageForm,
    /// The project window.
    project_form: super::project_window::ProjectForm,
    /// Serial of the next thread window.
    next_window: u64,
    /// A thread window to bring forward on the next frame.
    focus_window: Option<egui::ViewportId>,
    /// Frames left in which cached message layouts are dropped, after a
    /// change of fonts, theme or text size.
    relayout_frames: u8,
    /// The last frame with input, and the cursor's own blink setting while
    /// it is held still after [`CURSOR_BLINK_TIMEOUT`].
    last_input: web_time::Instant,
    blink_held: Option<bool>,
    /// Whether the window had the focus last frame, and when coming back
    /// to the front last asked for a round of sync.
    was_focused: bool,
    focus_synced: Option<web_time::Instant>,
    /// The last chat was reopened at start (once).
    reopened: bool,
    /// What this app offers (everything, unless on a shared computer).
    policy: super::policy::Policy,
    /// Shared-screen presentation: larger text, personal information
    /// hidden, the sidebar folded.
    present: bool,
    /// The high-contrast theme.
    high_contrast: bool,
    /// Whether the sidebar was folded before presenting (it comes back).
    sidebar_before_present: bool,
    /// Whether egui was given the high-contrast visuals.
    applied_contrast: Option<bool>,
    /// What was seen of the keyboard since V was last let go.
    paste: PasteKeys,
}

/// What was seen since V was last let go: its press (typed, not a
/// shortcut egui swallowed), a command modifier, a paste egui made.
#[derive(Clone, Copy, Debug, Default)]
struct PasteKeys {
    v_pressed: bool,
    command: bool,
    pasted: bool,
}

impl PakApp {
    /// A new app talking to `backend`.
    #[must_use]
    pub fn new(backend: BackendHandle) -> Self {
        Self {
            backend,
            vm: ViewModel::default(),
            composer: Composer { wants_focus: true, ..Composer::default() },
            lock_form: LockForm::default(),
            settings_form: SettingsForm::default(),
            sidebar_hidden: false,
            avatar: crate::ui::account::AvatarCache::default(),
            final_prompt: None,
            rename: None,
            system_prompt: None,
            undo: None,
            applied_theme: None,
            applied_fonts: None,
            asked_for_system_fonts: false,
            started_at: None,
            image_mode: false,
            palette: super::palette::Palette::default(),
            image_form: super::image_mode::ImageForm::default(),
            project_form: super::project_window::ProjectForm::default(),
            next_window: 1,
            focus_window: None,
            relayout_frames: 0,
            last_input: web_time::Instant::now(),
            blink_held: None,
            was_focused: true,
            focus_synced: None,
            reopened: false,
            policy: super::policy::Policy::default(),
            present: false,
            high_contrast: false,
            sidebar_before_present: false,
            applied_contrast: None,
            paste: PasteKeys::default(),
        }
    }

    /// Log (at info level) how long after `started` the first frame was drawn.
    #[must_use]
    pub fn with_start_time(mut self, started: web_time::Instant) -> Self {
        self.started_at = Some(started);
        self
    }

    /// Offer only what `policy` allows (kiosk mode).
    #[must_use]
    pub fn with_policy(mut self, policy: super::policy::Policy) -> Self {
        self.vm.model_filter.clone_from(&policy.models);
        self.palette.locked = policy.locked;
        self.policy = policy;
        self
    }

    /// Start in shared-screen presentation, high contrast or not.
    #[must_use]
    pub fn presenting(mut self, high_contrast: bool) -> Self {
        self.set_present(true);
        self.high_contrast = high_contrast;
        self
    }

    /// Give a new profile its settings and API keys (a kiosk's guest
    /// session starts this way).
    pub fn preset(&mut self, settings: crate::domain::Settings, keys: Vec<(String, zeroize::Zeroizing<String>)>) {
        *self.vm.settings = settings;
        let save = self.vm.settings.save();
        self.send(save);
        for (provider, key) in keys {
            self.send(Command::SetApiKey { provider, key: Some(key) });
        }
    }

    /// Tell the backend to finish and stop (the app is closing or a kiosk
    /// session ends); nothing more is sent after this.
    pub fn stop_backend(&mut self) {
        self.send(Command::Shutdown);
    }

    /// Turn shared-screen presentation on or off.
    pub fn set_present(&mut self, on: bool) {
        if on && !self.present {
            self.sidebar_before_present = self.sidebar_hidden;
            self.sidebar_hidden = true;
        } else if !on && self.present {
            self.sidebar_hidden = self.sidebar_before_present;
        }
        self.present = on;
    }

    /// Whether the user is presenting (shared screen).
    #[must_use]
    pub fn is_presenting(&self) -> bool {
        self.present
    }

    fn personal_hidden(&self) -> bool {
        self.vm.settings.hide_personal || self.present || self.policy.locked
    }

    /// The page's (or window's) title: the open chat's, then the app's.
    #[must_use]
    pub fn title(&self) -> String {
        let vm = &self.vm;
        if matches!(vm.phase, super::view_model::Phase::Failed { .. }) {
            return "Not opened — Pak.Chat".to_owned();
        }
        match vm.open.as_ref().and_then(|open| vm.threads.get(&open.id)) {
            Some(row) if !row.title.is_empty() && row.unreadable.is_none() => format!("{} — Pak.Chat", row.title),
            _ => "Pak.Chat".to_owned(),
        }
    }

    /// What the UI currently knows (for tests and benchmarks).
    #[must_use]
    pub fn view_model(&self) -> &ViewModel {
        &self.vm
    }

    /// Mutable view model, for benchmarks that place the scroll position.
    pub fn view_model_mut(&mut self) -> &mut ViewModel {
        &mut self.vm
    }

    /// The composer's current text.
    #[must_use]
    pub fn composer_text(&self) -> &str {
        &self.composer.text
    }

    fn send(&mut self, command: Command) {
        if matches!(command, Command::SetUp(_) | Command::Unlock(_)) {
            self.vm.unlocking = true;
            self.vm.unlock_error = None;
        }
        if !self.backend.send(command) {
            self.vm.errors.push(None, "The background worker stopped; please restart Pak.Chat.".to_owned());
        }
    }
}

/// The sidebar row of a thread just created, shown before the backend
/// confirms it.
fn new_thread_row(id: ThreadId, project: Option<ProjectId>) -> super::view_model::ThreadRow {
    super::view_model::ThreadRow {
        id,
        title: crate::backend::DEFAULT_TITLE.to_owned(),
        unreadable: None,
        pinned: false,
        updated_ms: wall_millis(),
        deleted: false,
        draft: String::new(),
        model: None,
        system_prompt: String::new(),
        mode: None,
        project,
    }
}

impl eframe::App for PakApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.logic_step(ctx);
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.ui_step(ui);
    }

    fn on_exit(&mut self) {
        // Unsaved composer text goes to the backend before the channel closes;
        // the backend flushes it before it stops.
        self.save_draft_now();
        self.save_window_drafts();
        self.send(Command::Shutdown);
    }
}
