//! Drawing the main window: incoming files (drop and paste), notices, the
//! thread header, the sidebar, composer, chat view and windows, and the
//! keys that reach them.

use super::*;

impl PakApp {
    /// Files that came in this frame: dropped on the window, pasted (an
    /// image, `file://` addresses, or the files a file manager put on the
    /// clipboard with no text beside them), less what this computer refuses.
    pub(super) fn incoming_files(&mut self, ui: &mut Ui) -> Vec<IncomingFile> {
        // Files dropped on the window are attached to the open thread.
        #[cfg(not(target_arch = "wasm32"))]
        let mut dropped: Vec<IncomingFile> =
            ui.input(|i| i.raw.dropped_files.iter().map(|f| IncomingFile::Path(f.path().to_path_buf())).collect());
        // The browser tells no path; the backend reads the file's bytes.
        #[cfg(target_arch = "wasm32")]
        let mut dropped: Vec<IncomingFile> = ui.input(|i| {
            let dropped = i.raw.dropped_files.iter();
            dropped
                .map(|f| {
                    IncomingFile::Dropped(std::sync::Arc::new(crate::ui::attachments::DroppedInBrowser(f.clone())))
                })
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
                    let image = std::sync::Arc::new(crate::ui::attachments::PastedThroughEgui(image.clone()));
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
    pub(super) fn note_refusal(&mut self, message: String) {
        match self.vm.open.as_mut() {
            Some(open) => open.attach_notes.push(message),
            None => self.vm.errors.push(message),
        }
    }

    pub(super) fn notices_ui(&mut self, ui: &mut Ui) {
        let mut dismiss = None;
        let hidden = self.personal_hidden();
        for (i, error) in self.vm.errors.iter().enumerate() {
            ui.horizontal(|ui| {
                ui.colored_label(ui.visuals().error_fg_color, crate::ui::policy::without_home(error, hidden));
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
                ui.label(crate::ui::policy::without_home(status, hidden));
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

    pub(super) fn header_ui(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
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
                            crate::ui::sidebar::move_to_project_menu_ui(ui, id, current_project, &projects, actions);
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

    pub(super) fn main_ui(&mut self, ui: &mut Ui) {
        let mut actions = Vec::new();
        // The app-wide keys, each taken once, in the commands' order.
        for command in UiCommand::ALL {
            if command.scope() == Scope::App
                && !(self.policy.locked && command.kiosk_locked())
                && ui.input_mut(|i| command.consume(i))
            {
                self.run(command);
            }
        }
        // The palette is drawn first so its keys (Up, Down, Enter, Esc) are
        // not taken by the composer or the chat behind it.
        let mut commands = Vec::new();
        let chosen = crate::ui::palette::palette_ui(ui, &self.vm, &mut self.palette, &mut |c| commands.push(c));
        crate::ui::palette::help_ui(ui, &mut self.palette);
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
                            open_settings =
                                ui.button("Settings").on_hover_text(UiCommand::Settings.hint(ui.ctx())).clicked();
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
        let mut pick = false;
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
                    let hint = format!("Images, PDFs, text ({})", UiCommand::Attach.hint(ui.ctx()));
                    pick |= ui.button("Attach files…").on_hover_text(hint).clicked();
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
                    && ui.input_mut(|i| UiCommand::Escape.consume(i))
                {
                    self.image_mode = false;
                } else {
                    crate::ui::image_mode::image_mode_ui(ui, &self.vm, &mut self.image_form);
                }
            }
            output = composer_ui(ui, &mut self.composer, streaming, has_attachments);
            ui.add_space(6.0);
        });
        let hidden = self.personal_hidden();
        settings_window_ui(ui, &mut self.vm, &mut self.settings_form, hidden, &mut |c| commands.push(c));
        let project_output =
            crate::ui::project_window::project_window_ui(ui, &self.vm, &mut self.project_form, &mut |c| {
                commands.push(c);
            });
        if let crate::ui::project_window::ProjectOutput::NewChat(id) = project_output {
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
        crate::ui::attachments::viewer_ui(ui, &mut self.vm.viewer, open, &self.policy, hidden, &mut |c| {
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
                .exact_size(crate::ui::nav_bar::WIDTH + 8.0)
                .resizable(false)
                .show_separator_line(false)
                .show(ui, |ui| crate::ui::nav_bar::nav_bar_ui(ui, open, &mut |c| commands.push(c)));
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
                            self.vm.viewer = Some(crate::ui::view_model::Viewer {
                                thread,
                                id,
                                image: None,
                                texture: crate::ui::chat_state::Textures::default(),
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
        let hint = UiCommand::Present.hint(ui.ctx());
        if ui.add(egui::Button::new("Present").selected(present).shortcut_text(hint)).clicked() {
            choice = Some(ViewChoice::Present);
        }
        if ui.add(egui::Button::new("High contrast").selected(high_contrast)).clicked() {
            choice = Some(ViewChoice::HighContrast);
        }
    });
    choice
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
