//! [`PakApp`]: the `eframe::App`. `logic` drains backend events into the view
//! model and saves drafts; `ui` draws and turns clicks and keys into
//! [`Command`]s. Neither ever waits on the backend. Windows of single
//! threads are in [`windows`].

use std::time::Duration;

use egui::{Key, Modifiers, RichText, Ui};

use crate::backend::{
    BackendHandle, Command, Event, ExportFormat, ExportWhat, IncomingFile, KeyOrigin, ProtectionKind,
};
use crate::domain::{
    AttachmentId, CodeFont, CustomMode, InterfaceFont, Message, MessageId, MessageStatus, Project, ProjectId, Role,
    Stamp, ThemePreference, ThreadId, wall_millis,
};

mod windows;

use super::attachments::attachment_bar_ui;
use super::chat_view::{ChatAction, chat_view_ui};
use super::composer::{Composer, ComposerOutput, composer_ui};
use super::lock_screen::{LockForm, lock_screen_ui};
use super::model_picker::model_picker_ui;
use super::settings_window::{SettingsForm, SettingsTab, settings_window_ui};
use super::sidebar::sidebar_ui;
use super::view_model::{OpenThread, PAGE, Phase, ViewModel};

/// Quiet time after the last keystroke before a draft is saved.
pub const DRAFT_DELAY: Duration = Duration::from_millis(400);
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
    applied_contrast: bool,
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
            policy: super::policy::Policy::default(),
            present: false,
            high_contrast: false,
            sidebar_before_present: false,
            applied_contrast: false,
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
            self.vm.errors.push("The background worker stopped; please restart Pak.Chat.".to_owned());
        }
    }

    /// Apply every waiting backend event. Cheap when there are none.
    pub fn drain_events(&mut self) {
        while let Some(event) = self.backend.try_recv() {
            let unlocked = matches!(event, Event::Unlocked { .. });
            self.vm.apply(event);
            if unlocked {
                self.composer.wants_focus = true;
            }
            if let Some((thread, text)) = self.vm.returned_text.take() {
                if self.vm.open.as_ref().is_some_and(|o| o.id == thread) {
                    // Never overwrite what was typed since: put the failed text first.
                    self.composer.text = if self.composer.text.trim().is_empty() {
                        text
                    } else {
                        format!("{text}\n\n{}", self.composer.text)
                    };
                    self.composer.dirty_since = Some(web_time::Instant::now());
                } else if let Some(row) = self.vm.threads.get_mut(&thread) {
                    // Kept as that thread's draft (and saved) for when it is opened.
                    row.draft = if row.draft.trim().is_empty() { text } else { format!("{text}\n\n{}", row.draft) };
                    let draft = row.draft.clone();
                    self.send(Command::SaveDraft { thread, text: draft });
                }
            }
        }
    }

    fn apply_settings(&mut self, ctx: &egui::Context) {
        let s = &self.vm.settings;
        // Compare the scale in hundredths so an unchanged setting costs nothing.
        let scale = if self.present && !self.policy.locked { s.text_scale * PRESENT_SCALE } else { s.text_scale };
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let key = (s.theme, (scale * 100.0).round() as u32);
        if self.applied_theme != Some(key) {
            ctx.set_theme(match s.theme {
                ThemePreference::System => egui::ThemePreference::System,
                ThemePreference::Light => egui::ThemePreference::Light,
                ThemePreference::Dark => egui::ThemePreference::Dark,
            });
            if (0.5..=4.0).contains(&scale) {
                ctx.set_zoom_factor(scale);
            }
            self.applied_theme = Some(key);
            self.relayout_frames = RELAYOUT_FRAMES;
        }
        if self.applied_contrast != self.high_contrast {
            for theme in [egui::Theme::Dark, egui::Theme::Light] {
                let cursor = ctx.style_of(theme).visuals.text_cursor.clone();
                let mut visuals =
                    if self.high_contrast { super::contrast::high_contrast(theme) } else { theme.default_visuals() };
                visuals.text_cursor = cursor;
                ctx.set_visuals_of(theme, visuals);
            }
            self.applied_contrast = self.high_contrast;
            self.relayout_frames = RELAYOUT_FRAMES;
        }
        let s = &self.vm.settings;
        let fonts = (s.interface_font, s.code_font, self.vm.system_fonts.loaded);
        if self.applied_fonts != Some(fonts) {
            let wants_system = s.interface_font == InterfaceFont::System || s.code_font == CodeFont::System;
            if wants_system && !self.vm.system_fonts.loaded && !self.asked_for_system_fonts {
                // Read from disk in the backend; the bundled font stands in until then.
                self.asked_for_system_fonts = true;
                self.send(Command::LoadSystemFonts);
            }
            ctx.set_fonts(super::fonts::font_definitions(fonts.0, fonts.1, &self.vm.system_fonts));
            self.applied_fonts = Some(fonts);
            self.relayout_frames = RELAYOUT_FRAMES;
        }
    }

    /// Save the composer text as the open thread's draft if it changed.
    pub fn save_draft_now(&mut self) {
        if self.composer.dirty_since.take().is_none() {
            return;
        }
        let text = self.composer.text.clone();
        let thread = match self.vm.open.as_ref() {
            Some(open) => open.id,
            None if text.trim().is_empty() => return,
            // Text typed before any thread exists gets a thread, so it is kept.
            None => self.create_thread(),
        };
        if let Some(row) = self.vm.threads.get_mut(&thread) {
            row.draft.clone_from(&text);
        }
        self.send(Command::SaveDraft { thread, text });
    }

    fn tick_drafts(&mut self, ctx: &egui::Context) {
        if let Some(since) = self.composer.dirty_since {
            let elapsed = since.elapsed();
            if elapsed >= DRAFT_DELAY {
                self.save_draft_now();
            } else {
                ctx.request_repaint_after(DRAFT_DELAY.saturating_sub(elapsed));
            }
        }
        if let Some((id, _, at)) = &self.undo {
            let elapsed = at.elapsed();
            if elapsed >= UNDO_WINDOW {
                // Too late to undo: its messages and files go for good.
                let id = *id;
                self.undo = None;
                self.send(Command::PurgeThread { id });
            } else {
                ctx.request_repaint_after(UNDO_WINDOW.saturating_sub(elapsed));
            }
        }
    }

    fn create_thread(&mut self) -> ThreadId {
        self.create_thread_in(None)
    }

    fn create_thread_in(&mut self, project: Option<ProjectId>) -> ThreadId {
        let id = ThreadId::new();
        self.send(Command::CreateThread { id, project });
        // Shown at once; the backend's ThreadChanged replaces it.
        self.vm.threads.insert(id, new_thread_row(id, project));
        self.vm.threads_version += 1;
        self.open_thread_with(id, String::new(), true);
        id
    }

    fn open_thread(&mut self, id: ThreadId) {
        if self.vm.open.as_ref().is_some_and(|o| o.id == id) {
            return;
        }
        // An edit in progress is given up; the draft it set aside comes back.
        self.composer.end_edit();
        self.save_draft_now();
        // Keep the text being left as that thread's draft for when it reopens.
        if let Some(current) = self.vm.open.as_ref().map(|o| o.id)
            && let Some(row) = self.vm.threads.get_mut(&current)
        {
            row.draft.clone_from(&self.composer.text);
        }
        let draft = self.vm.threads.get(&id).map(|t| t.draft.clone()).unwrap_or_default();
        self.open_thread_with(id, draft, false);
        self.send(Command::OpenThread { id, tail: usize::try_from(PAGE * 2).unwrap_or(100) });
    }

    fn open_thread_with(&mut self, id: ThreadId, draft: String, brand_new: bool) {
        let mut open = OpenThread::new(id);
        // A brand-new thread has nothing to load.
        open.loaded = brand_new;
        self.vm.open = Some(open);
        self.composer.editing = None;
        self.composer.text = draft;
        self.composer.dirty_since = None;
        self.composer.wants_focus = true;
        self.rename = None;
    }

    fn send_message(&mut self, text: String) {
        let thread = match self.vm.open.as_ref() {
            Some(open) => open.id,
            None => self.create_thread(),
        };
        let attachments: Vec<AttachmentId> = self
            .vm
            .open
            .as_ref()
            .filter(|o| o.id == thread)
            .map(|o| o.waiting_attachments().iter().map(|a| a.id).collect())
            .unwrap_or_default();
        let images = self.image_mode.then(|| self.image_form.options()).flatten();
        self.send_message_to(thread, text, attachments, images);
    }

    /// Send `text` (with files waiting in the main composer) into `thread`,
    /// shown at once as pending in every window that shows the thread.
    fn send_message_to(
        &mut self,
        thread: ThreadId,
        text: String,
        attachments: Vec<AttachmentId>,
        images: Option<crate::backend::ImageOptions>,
    ) {
        let id = MessageId::new();
        // Shown at once as "sending"; the backend's MessageStored replaces it.
        let pending = Message {
            id,
            thread_id: thread,
            parent_id: None,
            role: Role::User,
            content: text.clone(),
            reasoning: String::new(),
            attachments: attachments.clone(),
            model: None,
            status: MessageStatus::Sending,
            usage: None,
            created_ms: wall_millis(),
            stamp: Stamp { hlc: crate::domain::Hlc::default(), device: crate::domain::DeviceId::from_bytes([0; 16]) },
        };
        self.vm.add_pending(&pending);
        if let Some(row) = self.vm.threads.get_mut(&thread) {
            row.draft.clear();
        }
        for open in self.vm.opens_mut(thread) {
            // Notes on files refused for the bar go with the bar's files.
            open.attach_notes.clear();
            // Out of the bar at once; they show under the pending message.
            for a in &attachments {
                if let Some(record) = open.attachments.get_mut(a) {
                    record.message_id = Some(id);
                }
            }
        }
        self.send(Command::SendMessage { thread, id, text, attachments, images });
    }

    /// Files that came in this frame: dropped on the window, pasted (an
    /// image, `file://` addresses, or the files a file manager put on the
    /// clipboard with no text beside them), less what this computer refuses.
    fn incoming_files(&mut self, ui: &mut Ui) -> Vec<IncomingFile> {
        // Files dropped on the window are attached to the open thread.
        #[cfg(not(target_arch = "wasm32"))]
        let mut dropped: Vec<IncomingFile> =
            ui.input(|i| i.raw.dropped_files.iter().map(|f| IncomingFile::Path(f.path().to_path_buf())).collect());
        // The browser tells no path; the backend reads the file's bytes.
        #[cfg(target_arch = "wasm32")]
        let mut dropped: Vec<IncomingFile> = ui.input(|i| {
            let dropped = i.raw.dropped_files.iter();
            dropped
                .map(|f| IncomingFile::Dropped(std::sync::Arc::new(super::attachments::DroppedInBrowser(f.clone()))))
                .collect()
        });
        // An image pasted (Ctrl+V with a screenshot or copied picture on the
        // clipboard): handed over as it is; the backend converts and encodes it.
        // Files copied in a file manager paste as their `file://` addresses:
        // taken out of the input before the composer types them, attached.
        // egui turns Ctrl+V into a paste of the clipboard's text or image and
        // swallows the key press; with neither there, nothing comes but the
        // key's release. Then the backend reads the clipboard's file list.
        let mut paste = self.paste;
        let mut read_clipboard = false;
        ui.input_mut(|i| {
            i.events.retain(|event| match event {
                egui::Event::PasteImage(image) => {
                    paste.pasted = true;
                    let name = format!("Pasted image {}.png", chrono::Local::now().format("%Y-%m-%d %H.%M.%S"));
                    let image = std::sync::Arc::new(super::attachments::PastedThroughEgui(image.clone()));
                    dropped.push(IncomingFile::Pasted { name, image });
                    true
                }
                egui::Event::Key { key: Key::V, pressed: true, .. } => {
                    paste.v_pressed = true;
                    true
                }
                egui::Event::Key { key: Key::V, pressed: false, modifiers, .. } => {
                    let taken = std::mem::take(&mut paste);
                    read_clipboard |= !taken.v_pressed && (taken.command || modifiers.command) && !taken.pasted;
                    true
                }
                egui::Event::Key { modifiers, .. } | egui::Event::ModifiersChanged(modifiers) => {
                    paste.command |= modifiers.command;
                    true
                }
                egui::Event::Paste(text) if !cfg!(target_arch = "wasm32") => {
                    paste.pasted = true;
                    match crate::domain::pasted_file_paths(text) {
                        Some(paths) => {
                            dropped.extend(paths.into_iter().map(IncomingFile::Path));
                            false
                        }
                        None => true,
                    }
                }
                _ => true,
            });
        });
        self.paste = paste;
        if read_clipboard && !cfg!(target_arch = "wasm32") && self.policy.attachments {
            self.send(Command::ReadClipboardFiles);
        }
        match self.vm.clipboard_files.take() {
            Some(paths) if paths.is_empty() => {
                self.note_refusal("Nothing to paste: the clipboard holds no text, image or files.".to_owned());
            }
            Some(paths) => dropped.extend(paths.into_iter().map(IncomingFile::Path)),
            None => {}
        }
        if !dropped.is_empty() && !self.policy.attachments {
            // Nothing comes in on this computer: not dropped, not pasted.
            dropped.clear();
            self.note_refusal("Files cannot be attached on this computer.".to_owned());
        }
        if !self.policy.file_dialogs && dropped.iter().any(IncomingFile::is_path) {
            // A path, typed and pasted or dropped, could name any file this
            // account can read: none is opened (the backend refuses too).
            dropped.retain(|f| !f.is_path());
            tracing::info!("a path pasted or dropped was refused: no file access on this computer");
            self.note_refusal(crate::backend::FilePicker::NO_PATHS.to_owned());
        }
        dropped
    }

    /// Say why files were not attached: in the open chat's attachment bar,
    /// or as an error when no chat is open (none is made for a refusal).
    fn note_refusal(&mut self, message: String) {
        match self.vm.open.as_mut() {
            Some(open) => open.attach_notes.push(message),
            None => self.vm.errors.push(message),
        }
    }

    /// Attach files to the open thread (a new one if none is open).
    fn attach(&mut self, files: Vec<IncomingFile>) {
        if files.is_empty() {
            return;
        }
        let thread = match self.vm.open.as_ref() {
            Some(open) => open.id,
            None => self.create_thread(),
        };
        self.send(Command::AttachFiles { thread, files });
    }

    /// Do what a click or shortcut asked for.
    pub fn apply_action(&mut self, action: Action) {
        match action {
            Action::NewThread => {
                self.save_draft_now();
                self.create_thread();
            }
            Action::OpenThread(id) => self.open_thread(id),
            Action::StartRename(id) => {
                let title = self.vm.threads.get(&id).map(|t| t.title.clone()).unwrap_or_default();
                self.rename = Some((id, title));
            }
            Action::SetPinned(id, pinned) => self.send(Command::SetPinned { id, pinned }),
            Action::Delete(id) => {
                let title = self.vm.threads.get(&id).map(|t| t.title.clone()).unwrap_or_default();
                if self.vm.open.as_ref().is_some_and(|o| o.id == id) {
                    self.save_draft_now();
                }
                // One undo at a time: an earlier deletion is final now.
                if let Some((earlier, ..)) = self.undo.take() {
                    self.send(Command::PurgeThread { id: earlier });
                }
                self.undo = Some((id, title, web_time::Instant::now()));
                self.send(Command::DeleteThread { id });
            }
            Action::OpenPalette => self.palette.show(),
            Action::NewProject => {
                let id = ProjectId::new();
                let name = "New project".to_owned();
                self.send(Command::CreateProject { id, name: name.clone() });
                // Shown at once; the backend's ProjectChanged replaces it.
                let stamp =
                    Stamp { hlc: crate::domain::Hlc::default(), device: crate::domain::DeviceId::from_bytes([0; 16]) };
                let project = Project::new(id, name, wall_millis(), stamp);
                self.vm.projects.insert(id, super::view_model::ProjectRow::Ok(project));
                self.vm.threads_version += 1;
                self.project_form.show(&self.vm, id);
            }
            Action::OpenProject(id) => {
                if let Some(save) = self.project_form.take_edits() {
                    self.send(save);
                }
                self.project_form.show(&self.vm, id);
            }
            Action::OpenInWindow(id) => self.open_window(id),
            Action::NewThreadIn(id) => {
                self.save_draft_now();
                self.create_thread_in(Some(id));
            }
            Action::FoldProject(id, fold) => {
                if fold {
                    self.vm.folded_projects.insert(id);
                } else {
                    self.vm.folded_projects.remove(&id);
                }
                self.vm.threads_version += 1;
            }
            Action::MoveToProject(id, project) => {
                if let Some(row) = self.vm.threads.get_mut(&id) {
                    row.project = project;
                    self.vm.threads_version += 1;
                }
                self.send(Command::SetThreadProject { id, project });
            }
        }
    }

    /// Copy `thread` up to `row` into a new thread and open it; the backend
    /// makes the copy before it answers the open request.
    fn branch_off(&mut self, thread: ThreadId, row: u64) {
        self.save_draft_now();
        let new_id = ThreadId::new();
        self.send(Command::BranchOff { thread, row, new_id });
        let title = self.vm.threads.get(&thread).map_or_else(String::new, |t| format!("{} (branch)", t.title));
        let source = self.vm.threads.get(&thread).cloned();
        if let Some(mut row) = source {
            // Shown at once; the backend's ThreadChanged replaces it.
            row.id = new_id;
            row.title = title;
            row.pinned = false;
            row.draft.clear();
            row.updated_ms = wall_millis();
            self.vm.threads.insert(new_id, row);
            self.vm.threads_version += 1;
        }
        self.open_thread(new_id);
    }

    /// Open `thread` at the message stored at `position` (a search hit).
    fn show_message(&mut self, thread: ThreadId, position: u64) {
        self.open_thread(thread);
        self.send(Command::ShowMessage { thread, position });
    }

    /// Do what was taken from the command palette.
    fn apply_palette(&mut self, choice: super::palette::PaletteChoice) {
        use super::palette::{PaletteAction, PaletteChoice};
        match choice {
            PaletteChoice::Thread(id) => self.apply_action(Action::OpenThread(id)),
            PaletteChoice::Message { thread, position } => self.show_message(thread, position),
            PaletteChoice::Action(action) => match action {
                PaletteAction::NewThread => self.apply_action(Action::NewThread),
                PaletteAction::Settings => self.settings_form.open = true,
                PaletteAction::ApiKeys => self.settings_form.open_at(SettingsTab::ApiKeys),
                PaletteAction::ToggleSidebar => self.sidebar_hidden = !self.sidebar_hidden,
                PaletteAction::ToggleNavBar => {
                    let show = !self.vm.settings.show_nav_bar;
                    self.vm.settings.show_nav_bar = show;
                    let save = self.vm.settings.save();
                    self.send(save);
                }
                PaletteAction::TogglePersonal => {
                    let hide = !self.vm.settings.hide_personal;
                    self.vm.settings.hide_personal = hide;
                    let save = self.vm.settings.save();
                    self.send(save);
                }
                PaletteAction::Help => self.palette.help = true,
                PaletteAction::ExportMarkdown | PaletteAction::ExportJson => {
                    if let Some(id) = self.vm.open.as_ref().map(|o| o.id) {
                        let format = if action == PaletteAction::ExportMarkdown {
                            ExportFormat::Markdown
                        } else {
                            ExportFormat::Json
                        };
                        self.send(Command::Export { what: ExportWhat::Thread { id, format } });
                    }
                }
                PaletteAction::ExportAll => self.send(Command::Export { what: ExportWhat::All }),
                PaletteAction::NewProject => self.apply_action(Action::NewProject),
                PaletteAction::Present => self.set_present(!self.present),
                PaletteAction::HighContrast => self.high_contrast = !self.high_contrast,
                PaletteAction::OpenInWindow => {
                    if let Some(id) = self.vm.open.as_ref().map(|o| o.id) {
                        self.open_window(id);
                    }
                }
                PaletteAction::BranchOff => {
                    if let Some((thread, count)) = self.vm.open.as_ref().map(|o| (o.id, o.count))
                        && let Some(last) = count.checked_sub(1)
                    {
                        self.branch_off(thread, last);
                    }
                }
                PaletteAction::Import => self.send(Command::Import),
            },
        }
    }

    /// Up in an empty composer: put the last message the user wrote (on
    /// the shown branch, among the loaded rows) in it for editing.
    fn edit_last_message(&mut self) {
        let Some(open) = self.vm.open.as_ref() else { return };
        // Only from the end of the thread, where the last message is loaded.
        if open.count == 0 || !open.rows.contains_key(&(open.count - 1)) {
            return;
        }
        let last = open.rows.iter().rev().find_map(|(&row, r)| match &r.content {
            super::view_model::RowContent::Message(m) if m.role == Role::User => Some((row, m.content.clone())),
            _ => None,
        });
        if let Some((row, text)) = last {
            let thread = open.id;
            self.save_draft_now();
            self.composer.start_edit(thread, row, text);
        }
    }

    fn notices_ui(&mut self, ui: &mut Ui) {
        let mut dismiss = None;
        let hidden = self.personal_hidden();
        for (i, error) in self.vm.errors.iter().enumerate() {
            ui.horizontal(|ui| {
                ui.colored_label(ui.visuals().error_fg_color, super::policy::without_home(error, hidden));
                if ui.small_button("Dismiss").clicked() {
                    dismiss = Some(i);
                }
            });
        }
        if let Some(i) = dismiss {
            self.vm.errors.remove(i);
        }
        let mut clear_status = false;
        if let Some(status) = &self.vm.status {
            ui.horizontal(|ui| {
                ui.label(super::policy::without_home(status, hidden));
                clear_status = ui.small_button("Dismiss").clicked();
            });
        }
        if clear_status {
            self.vm.status = None;
        }
        let mut restore = None;
        if let Some((id, title, _)) = &self.undo {
            ui.horizontal(|ui| {
                ui.label(format!("Deleted “{title}”."));
                if ui.button("Undo").clicked() {
                    restore = Some(*id);
                }
            });
        }
        let mut open_keys = false;
        let mut dismiss_keys = false;
        if let Some(why) = &self.vm.keys_needed {
            ui.horizontal(|ui| {
                ui.colored_label(ui.visuals().warn_fg_color, why);
                open_keys = !self.policy.locked && ui.button("Open API keys").clicked();
                dismiss_keys = ui.small_button("Dismiss").clicked();
            });
        }
        if dismiss_keys {
            self.vm.keys_needed = None;
        }
        if open_keys {
            self.vm.keys_needed = None;
            self.settings_form.open_at(SettingsTab::ApiKeys);
        }
        if let Some(id) = restore {
            self.undo = None;
            self.send(Command::RestoreThread { id });
        }
    }

    fn header_ui(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        let Some(id) = self.vm.open.as_ref().map(|o| o.id) else { return };
        let row = self.vm.threads.get(&id);
        let title = row.map_or_else(|| crate::backend::DEFAULT_TITLE.to_owned(), |r| r.title.clone());
        let pinned = row.is_some_and(|r| r.pinned);
        let current_prompt = row.map(|r| r.system_prompt.clone()).unwrap_or_default();
        let current_mode = row.and_then(|r| r.mode.clone());
        let current_project = row.and_then(|r| r.project);
        ui.horizontal(|ui| {
            if let Some((rename_id, text)) = self.rename.as_mut().filter(|(r, _)| *r == id) {
                let label = ui.label("Title");
                let response = ui.add(egui::TextEdit::singleline(text).desired_width(320.0)).labelled_by(label.id);
                if !response.has_focus() && !response.lost_focus() {
                    response.request_focus();
                }
                let enter = response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
                let escape = ui.input(|i| i.key_pressed(Key::Escape));
                if enter || ui.button("Save").clicked() {
                    let (rid, title) = (*rename_id, text.clone());
                    self.rename = None;
                    self.send(Command::RenameThread { id: rid, title });
                    self.composer.wants_focus = true;
                } else if escape || ui.button("Cancel").clicked() {
                    self.rename = None;
                    self.composer.wants_focus = true;
                }
            } else {
                // Buttons from the right; the title takes what is left, cut short if long.
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if !self.policy.locked {
                        ui.menu_button("More", |ui| {
                            if ui.button("Export as Markdown…").clicked() {
                                let what = ExportWhat::Thread { id, format: ExportFormat::Markdown };
                                self.send(Command::Export { what });
                            }
                            if ui
                                .button("Export as JSON…")
                                .on_hover_text("Every branch and file; can be imported")
                                .clicked()
                            {
                                self.send(Command::Export {
                                    what: ExportWhat::Thread { id, format: ExportFormat::Json },
                                });
                            }
                            if ui.button("Open in new window").clicked() {
                                actions.push(Action::OpenInWindow(id));
                            }
                            let projects = self.vm.projects_by_name();
                            super::sidebar::move_to_project_menu_ui(ui, id, current_project, &projects, actions);
                        });
                    }
                    if ui.button("Delete").on_hover_text("Delete this thread (you can undo)").clicked() {
                        actions.push(Action::Delete(id));
                    }
                    if ui.button(if pinned { "Unpin" } else { "Pin" }).clicked() {
                        actions.push(Action::SetPinned(id, !pinned));
                    }
                    if ui.button("Rename").on_hover_text("F2").clicked() {
                        actions.push(Action::StartRename(id));
                    }
                    let label = if current_prompt.is_empty() { "System prompt" } else { "System prompt •" };
                    if ui.button(label).on_hover_text("Instructions sent before this chat").clicked() {
                        self.system_prompt = Some((id, current_prompt.clone()));
                    }
                    let showing = self.final_prompt == Some(id);
                    let button = egui::Button::new("Final prompt").selected(showing);
                    if ui.add(button).on_hover_text("Everything the model is told before this chat").clicked() {
                        self.final_prompt = if showing { None } else { Some(id) };
                    }
                    if let Some(mode) = mode_picker_ui(ui, &self.vm.settings.modes, current_mode.as_deref()) {
                        if let Some(row) = self.vm.threads.get_mut(&id) {
                            row.mode.clone_from(&mode);
                        }
                        self.send(Command::SetThreadMode { id, mode });
                    }
                    ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                        ui.add(egui::Label::new(RichText::new(&title).heading()).truncate());
                    });
                });
            }
        });
        let mut save = None;
        let mut close = false;
        if let Some((prompt_id, text)) = self.system_prompt.as_mut().filter(|(p, _)| *p == id) {
            ui.horizontal(|ui| {
                let label = ui.label("System prompt");
                ui.add(egui::TextEdit::multiline(text).desired_rows(3).desired_width(ui.available_width() - 140.0))
                    .labelled_by(label.id);
                ui.vertical(|ui| {
                    if ui.button("Save prompt").clicked() {
                        save = Some((*prompt_id, text.clone()));
                    }
                    close = ui.button("Cancel").clicked();
                });
            });
        }
        if let Some((thread, prompt)) = save {
            if let Some(row) = self.vm.threads.get_mut(&thread) {
                row.system_prompt.clone_from(&prompt);
            }
            self.send(Command::SetSystemPrompt { id: thread, prompt });
            close = true;
        }
        if close {
            self.system_prompt = None;
            self.composer.wants_focus = true;
        }
        if self.final_prompt == Some(id) {
            let row = self.vm.threads.get(&id);
            let project = self.vm.project_of(id).and_then(|p| self.vm.projects.get(&p)).and_then(|p| p.project());
            let composed = crate::domain::compose_system_prompt(
                &self.vm.settings,
                project,
                row.and_then(|r| r.mode.as_deref()),
                row.map_or("", |r| r.system_prompt.as_str()),
            );
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.label(RichText::new("Final system prompt").strong());
                ui.weak("Your custom instructions, the chat's project, its mode, then its own system prompt.");
                match composed {
                    Some(text) => {
                        egui::ScrollArea::vertical().id_salt("final prompt").max_height(160.0).show(ui, |ui| {
                            ui.label(RichText::new(text).monospace());
                        });
                    }
                    None => {
                        ui.label("Nothing: the model gets no system prompt in this chat.");
                    }
                }
            });
        }
        ui.separator();
    }

    fn main_ui(&mut self, ui: &mut Ui) {
        let mut actions = Vec::new();
        if ui.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::N)) {
            actions.push(Action::NewThread);
        }
        if let Some(open) = &self.vm.open
            && self.rename.is_none()
            && ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::F2))
        {
            actions.push(Action::StartRename(open.id));
        }
        if !self.policy.locked && ui.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::Comma)) {
            self.settings_form.open = !self.settings_form.open;
        }
        if !self.policy.locked && ui.input_mut(|i| i.consume_key(Modifiers::COMMAND | Modifiers::SHIFT, Key::P)) {
            self.set_present(!self.present);
        }
        if ui.input_mut(|i| i.consume_key(Modifiers::COMMAND | Modifiers::SHIFT, Key::S)) {
            self.sidebar_hidden = !self.sidebar_hidden;
        }
        if ui.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::K)) {
            if self.palette.open {
                self.palette.open = false;
            } else {
                self.palette.show();
            }
        }
        if ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::F1) || i.consume_key(Modifiers::COMMAND, Key::Slash)) {
            self.palette.help = !self.palette.help;
        }
        // The palette is drawn first so its keys (Up, Down, Enter, Esc) are
        // not taken by the composer or the chat behind it.
        let mut commands = Vec::new();
        let chosen = super::palette::palette_ui(ui, &self.vm, &mut self.palette, &mut |c| commands.push(c));
        super::palette::help_ui(ui, &mut self.palette);
        for command in commands {
            self.send(command);
        }
        if let Some(choice) = chosen {
            self.apply_palette(choice);
        }
        let protection = self.vm.protection;
        let mut open_keys = false;
        let mut open_settings = false;
        let personal = (!self.personal_hidden()).then(|| self.vm.settings.personal.clone());
        let locked = self.policy.locked;
        let mut view_menu = None;
        let mut expanded = !self.sidebar_hidden;
        egui::Panel::left("sidebar").resizable(true).default_size(260.0).min_size(180.0).show_collapsible(
            ui,
            &mut expanded,
            |ui| {
                egui::Panel::bottom("protection").show(ui, |ui| {
                    if let Some(p) = personal.filter(|p| !p.name.trim().is_empty() || !p.email.trim().is_empty()) {
                        ui.add_space(4.0);
                        if !p.name.trim().is_empty() {
                            ui.label(RichText::new(p.name.trim()).strong());
                        }
                        if !p.email.trim().is_empty() {
                            ui.small(p.email.trim());
                        }
                    }
                    if !locked {
                        ui.horizontal_wrapped(|ui| {
                            open_settings = ui.button("Settings").on_hover_text("Ctrl+,").clicked();
                            open_keys = ui.button("Manage API keys").clicked();
                            view_menu = view_menu_ui(ui, self.present, self.high_contrast);
                        });
                    }
                    if let Some(p) = protection {
                        let short = match p {
                            ProtectionKind::Keychain => "Encrypted · system keychain",
                            ProtectionKind::Passphrase => "Encrypted · passphrase",
                            ProtectionKind::KeyFile => "Encrypted · key file (weaker)",
                            ProtectionKind::Throwaway => "Guest session · wiped when it ends",
                        };
                        ui.small(short).on_hover_text(p.describe());
                    }
                });
                sidebar_ui(ui, &mut self.vm, locked, &mut actions);
            },
        );
        self.sidebar_hidden = !expanded;
        match view_menu {
            Some(ViewChoice::Present) => self.set_present(!self.present),
            Some(ViewChoice::HighContrast) => self.high_contrast = !self.high_contrast,
            None => {}
        }
        if open_keys {
            self.settings_form.open_at(SettingsTab::ApiKeys);
        }
        if open_settings {
            self.settings_form.open = true;
        }
        let mut output = ComposerOutput::None;
        let open_id = self.vm.open.as_ref().map(|o| o.id);
        let streaming = self.vm.open.as_ref().is_some_and(OpenThread::is_streaming);
        let retryable = self.vm.open.as_ref().is_some_and(OpenThread::retryable_reply);
        let mut commands = Vec::new();
        let mut pick = ui.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::O)) && self.policy.picker();
        let mut dropped = self.incoming_files(ui);
        let hovering_files = self.policy.attachments && ui.input(|i| !i.raw.hovered_files.is_empty());
        let has_attachments = self.vm.open.as_ref().is_some_and(|o| !o.waiting_attachments().is_empty());
        let refusal = self.vm.attachment_refusal();
        egui::Panel::bottom("composer").show(ui, |ui| {
            ui.add_space(6.0);
            if let Some(open) = self.vm.open.as_mut() {
                attachment_bar_ui(ui, open, &mut self.vm.settings, &mut |c| commands.push(c));
            }
            if let Some(why) = &refusal {
                ui.colored_label(ui.visuals().warn_fg_color, why);
            }
            if hovering_files {
                ui.colored_label(ui.visuals().hyperlink_color, "Drop the files to attach them to this chat.");
            }
            ui.horizontal(|ui| {
                if self.policy.picker() {
                    pick |= ui.button("Attach files…").on_hover_text("Images, PDFs, text (Ctrl+O)").clicked();
                }
                let toggle = egui::Button::new("Make images").selected(self.image_mode);
                if self.policy.image_generation && ui.add(toggle).on_hover_text("Image mode (Esc leaves it)").clicked()
                {
                    self.image_mode = !self.image_mode;
                    self.composer.wants_focus = true;
                }
                model_picker_ui(ui, &mut self.vm, open_id, &mut |c| commands.push(c));
                if let Some(thread) = open_id.filter(|_| retryable && !streaming)
                    && ui.button("Retry reply").clicked()
                {
                    commands.push(Command::RetryReply { thread });
                }
                if let Some((_, reason, at)) = self.vm.retry_note.as_ref().filter(|(t, ..)| Some(*t) == open_id) {
                    // A live countdown: one repaint a second while waiting.
                    let left = at.saturating_duration_since(web_time::Instant::now());
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!("{reason} — trying again in {} s", left.as_secs() + u64::from(left.subsec_nanos() > 0)),
                    );
                    if !left.is_zero() {
                        ui.ctx().request_repaint_after(left.min(Duration::from_secs(1)));
                    }
                }
            });
            if self.image_mode {
                if !streaming
                    && self.composer.editing.is_none()
                    && self.vm.viewer.is_none()
                    && ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape))
                {
                    self.image_mode = false;
                } else {
                    super::image_mode::image_mode_ui(ui, &self.vm, &mut self.image_form);
                }
            }
            output = composer_ui(ui, &mut self.composer, streaming, has_attachments);
            ui.add_space(6.0);
        });
        let hidden = self.personal_hidden();
        settings_window_ui(ui, &mut self.vm, &mut self.settings_form, hidden, &mut |c| commands.push(c));
        let project_output =
            super::project_window::project_window_ui(ui, &self.vm, &mut self.project_form, &mut |c| commands.push(c));
        if let super::project_window::ProjectOutput::NewChat(id) = project_output {
            actions.push(Action::NewThreadIn(id));
        }
        // Files dropped while a project is open are its knowledge.
        if let Some(project) = self.project_form.open {
            let files: Vec<IncomingFile> = std::mem::take(&mut dropped)
                .into_iter()
                .filter(|f| !matches!(f, IncomingFile::Pasted { .. }))
                .collect();
            if !files.is_empty() {
                commands.push(Command::AddKnowledge { project, files });
            }
        }
        let hidden = self.personal_hidden();
        let open = self.vm.open.as_ref();
        super::attachments::viewer_ui(ui, &mut self.vm.viewer, open, &self.policy, hidden, &mut |c| {
            commands.push(c);
        });
        for command in commands {
            self.send(command);
        }
        self.attach(dropped);
        if pick {
            let thread = match self.vm.open.as_ref() {
                Some(open) => open.id,
                None => self.create_thread(),
            };
            self.send(Command::PickFiles { thread });
        }
        if !self.vm.errors.is_empty()
            || self.undo.is_some()
            || self.vm.keys_needed.is_some()
            || self.vm.status.is_some()
        {
            egui::Panel::top("notices").show(ui, |ui| self.notices_ui(ui));
        }
        if self.vm.settings.show_nav_bar
            && let Some(open) = self.vm.open.as_mut()
        {
            let mut commands = Vec::new();
            egui::Panel::right("nav bar")
                .exact_size(super::nav_bar::WIDTH + 8.0)
                .resizable(false)
                .show_separator_line(false)
                .show(ui, |ui| super::nav_bar::nav_bar_ui(ui, open, &mut |c| commands.push(c)));
            for command in commands {
                self.send(command);
            }
        }
        let mut branch = None;
        egui::CentralPanel::default().show(ui, |ui| {
            self.header_ui(ui, &mut actions);
            let mut commands = Vec::new();
            match self.vm.open.as_mut() {
                Some(open) => {
                    let thread = open.id;
                    match chat_view_ui(ui, open, self.policy.clipboard, &mut |c| commands.push(c)) {
                        Some(ChatAction::Edit { row, text }) => {
                            self.save_draft_now();
                            self.composer.start_edit(thread, row, text);
                        }
                        Some(ChatAction::OpenImage(id)) => {
                            self.vm.viewer = Some(super::view_model::Viewer {
                                thread,
                                id,
                                image: None,
                                texture: super::view_model::Textures::default(),
                                actual_size: false,
                                status: None,
                            });
                            commands.push(Command::LoadOriginal { thread, id });
                        }
                        Some(ChatAction::BranchOff { row }) => branch = Some((thread, row)),
                        None => {}
                    }
                }
                None => {
                    let no_keys = !self.vm.key_status.is_empty()
                        && self.vm.key_status.iter().all(|k| matches!(k.origin, KeyOrigin::Missing | KeyOrigin::NotNeeded));
                    ui.vertical_centered(|ui| {
                        ui.add_space(ui.available_height() / 3.0);
                        ui.label(RichText::new("Start a new chat: type below and press Enter.").weak());
                        if no_keys && !self.policy.locked {
                            ui.add_space(8.0);
                            ui.label("To get replies, add an API key for a provider (or use a local Ollama / LM Studio server).");
                            if ui.button("Add an API key").clicked() {
                                self.settings_form.open_at(SettingsTab::ApiKeys);
                            }
                        }
                    });
                }
            }
            for command in commands {
                self.send(command);
            }
        });
        if let Some((thread, row)) = branch {
            self.branch_off(thread, row);
        }
        match output {
            ComposerOutput::Send(text) if self.image_mode && self.image_form.options().is_none() => {
                self.composer.text = text;
                self.vm.keys_needed = Some("No image model is offered: add an OpenAI or Gemini key.".to_owned());
            }
            ComposerOutput::Send(text) if refusal.is_some() && self.composer.editing.is_none() && !self.image_mode => {
                // Not sent: the model cannot take a waiting file (the bar says why).
                self.composer.text = text;
            }
            ComposerOutput::Send(text) => match self.composer.end_edit() {
                Some(edit) => self.send(Command::EditMessage { thread: edit.thread, row: edit.row, text }),
                None => self.send_message(text),
            },
            ComposerOutput::CancelEdit => {
                self.composer.end_edit();
            }
            ComposerOutput::EditLast => self.edit_last_message(),
            ComposerOutput::Stop => {
                if let Some(thread) = open_id {
                    self.send(Command::StopReply { thread });
                }
            }
            ComposerOutput::None => {}
        }
        self.windows_ui(ui.ctx());
        for action in actions {
            self.apply_action(action);
        }
    }

    /// Everything `eframe::App::logic` does; callable from tests and benches.
    pub fn logic_step(&mut self, ctx: &egui::Context) {
        self.drain_events();
        self.apply_settings(ctx);
        if self.relayout_frames > 0 {
            // New fonts and styles take effect with the next pass, so the rows
            // are laid out again in this frame and in the next.
            self.relayout_frames -= 1;
            self.vm.forget_layouts();
            ctx.request_repaint();
        }
        self.tick_drafts(ctx);
        self.tick_window_drafts(ctx);
        self.answer_window_requests(ctx);
    }

    /// Everything `eframe::App::ui` does; callable from tests and benches.
    pub fn ui_step(&mut self, ui: &mut Ui) {
        if let Some(started) = self.started_at.take() {
            tracing::info!(ms = started.elapsed().as_secs_f64() * 1000.0, "first frame");
        }
        if self.vm.phase == Phase::Ready {
            self.main_ui(ui);
        } else {
            let mut commands = Vec::new();
            egui::CentralPanel::default().show(ui, |ui| {
                lock_screen_ui(ui, &self.vm, &mut self.lock_form, &mut |c| commands.push(c));
            });
            for command in commands {
                self.send(command);
            }
        }
    }
}

/// A choice from the View menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ViewChoice {
    /// Turn presentation on or off.
    Present,
    /// Turn the high-contrast theme on or off.
    HighContrast,
}

/// The View menu (sidebar footer): presentation and high contrast.
fn view_menu_ui(ui: &mut Ui, present: bool, high_contrast: bool) -> Option<ViewChoice> {
    let mut choice = None;
    ui.menu_button("View", |ui| {
        if ui.add(egui::Button::new("Present").selected(present).shortcut_text("Ctrl+Shift+P")).clicked() {
            choice = Some(ViewChoice::Present);
        }
        if ui.add(egui::Button::new("High contrast").selected(high_contrast)).clicked() {
            choice = Some(ViewChoice::HighContrast);
        }
    });
    choice
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

/// The thread header's mode choice; `Some(new choice)` when changed
/// (`Some(None)`: no mode).
fn mode_picker_ui(ui: &mut Ui, modes: &[CustomMode], current: Option<&str>) -> Option<Option<String>> {
    if modes.is_empty() && current.is_none() {
        return None;
    }
    let shown = current.and_then(|id| modes.iter().find(|m| m.id == id));
    let text = match (shown, current) {
        (Some(m), _) => format!("{} {}", m.icon, m.name),
        // Its mode was deleted: nothing of it is sent any more.
        (None, Some(_)) => "Removed mode".to_owned(),
        (None, None) => "No mode".to_owned(),
    };
    let mut picked = None;
    egui::ComboBox::from_label("Mode").selected_text(text).show_ui(ui, |ui| {
        if ui.selectable_label(current.is_none(), "No mode").clicked() && current.is_some() {
            picked = Some(None);
        }
        for m in modes {
            let selected = current == Some(m.id.as_str());
            if ui.selectable_label(selected, format!("{} {}", m.icon, m.name)).clicked() && !selected {
                picked = Some(Some(m.id.clone()));
            }
        }
    });
    picked
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
