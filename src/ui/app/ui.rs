//! Drawing the main window: incoming files (drop and paste), notices, the
//! thread header, the sidebar, composer, chat view and windows, and the
//! keys that reach them.

use super::*;

impl PakApp {
    /// The chats shown now: the main window's and those in windows of
    /// their own (their errors are shown; other chats' wait).
    fn shown_chats(&self) -> Vec<ThreadId> {
        self.vm.open.iter().map(|o| o.id).chain(self.vm.windows.iter().map(|w| w.open.id)).collect()
    }

    /// Errors, the export status, undo and the keys prompt, one banner each:
    /// the text wraps left of its buttons, which stay on screen.
    pub(super) fn notices_ui(&mut self, ui: &mut Ui) {
        let hidden = self.personal_hidden();
        let shown = self.shown_chats();
        let error = ui.visuals().error_fg_color;
        let mut dismiss = None;
        for (place, notice) in self.vm.errors.shown(&shown) {
            if crate::ui::banner::banner(
                ui,
                error,
                &crate::ui::policy::without_home(&notice.text, hidden),
                &["Dismiss"],
            )
            .is_some()
            {
                dismiss = Some(place);
            }
        }
        if let Some(place) = dismiss {
            self.vm.errors.dismiss(place);
        }
        let text = ui.visuals().text_color();
        if let Some(status) = &self.vm.status
            && crate::ui::banner::banner(ui, text, &crate::ui::policy::without_home(status, hidden), &["Dismiss"])
                .is_some()
        {
            self.vm.status = None;
        }
        if let Some((id, title, _)) = &self.undo
            && crate::ui::banner::banner(ui, text, &format!("Deleted “{title}”."), &["Undo"]).is_some()
        {
            let id = *id;
            self.undo = None;
            self.send(Command::RestoreThread { id });
        }
        if let Some(why) = &self.vm.keys_needed {
            let buttons: &[&str] = if self.policy.locked { &["Dismiss"] } else { &["Open API keys", "Dismiss"] };
            if let Some(i) = crate::ui::banner::banner(ui, ui.visuals().warn_fg_color, why, buttons) {
                self.vm.keys_needed = None;
                if buttons[i] == "Open API keys" {
                    self.settings_form.open_at(SettingsTab::ApiKeys);
                }
            }
        }
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
        self.send_all(commands);
        if let Some(choice) = chosen {
            self.apply_palette(choice);
        }
        self.sidebar_panel_ui(ui, &mut actions);
        let dropped = self.incoming_files(ui);
        let refusal = self.vm.attachment_refusal();
        let (output, pick) = self.composer_panel_ui(ui, &refusal);
        self.side_windows_ui(ui, dropped, &mut actions);
        if pick {
            self.run(UiCommand::Attach);
        }
        if !self.vm.errors.shown(&self.shown_chats()).is_empty()
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
            self.send_all(commands);
        }
        self.central_ui(ui, &mut actions);
        self.apply_composer(output, refusal.is_some());
        self.windows_ui(ui.ctx());
        for action in actions {
            self.apply_action(action);
        }
    }

    fn send_all(&mut self, commands: Vec<Command>) {
        for command in commands {
            self.send(command);
        }
    }

    /// The sidebar: the thread list, and under it who is signed in, the
    /// settings, keys and View menu, and how the profile is protected.
    fn sidebar_panel_ui(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        let protection = self.vm.protection;
        let mut open_keys = false;
        let mut open_settings = false;
        let hidden = self.personal_hidden();
        let personal = (!hidden).then(|| self.vm.settings.personal.clone());
        let locked = self.policy.locked;
        let mut account_commands = Vec::new();
        let mut open_account = false;
        let mut view_menu = None;
        let mut expanded = !self.sidebar_hidden;
        let fill = crate::ui::theme::current(ui.visuals()).sidebar;
        egui::Panel::left("sidebar")
            .resizable(true)
            .default_size(260.0)
            .min_size(180.0)
            .frame(egui::Frame::side_top_panel(ui.style()).fill(fill))
            .show_collapsible(ui, &mut expanded, |ui| {
                let frame = egui::Frame::side_top_panel(ui.style()).fill(fill);
                egui::Panel::bottom("protection").frame(frame).show(ui, |ui| {
                    let signed_in = matches!(self.vm.account, crate::backend::AccountView::SignedIn { .. });
                    if !locked {
                        open_account =
                            crate::ui::account::footer_ui(ui, &self.vm, &mut self.avatar, hidden, &mut |c| {
                                account_commands.push(c);
                            });
                    }
                    // The name typed in Settings → Profile, unless the account names the user.
                    let personal = personal.filter(|_| !signed_in);
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
                            let hint = UiCommand::Settings.hint(ui.ctx());
                            open_settings = ui.button("Settings").on_hover_text(hint).clicked();
                            open_keys = ui.button("Manage API keys").clicked();
                            view_menu = view_menu_ui(ui, self.present, self.high_contrast);
                        });
                    }
                    if let Some(p) = protection {
                        ui.small(protection_text(p)).on_hover_text(p.describe());
                    }
                });
                sidebar_ui(ui, &mut self.vm, locked, actions);
            });
        self.sidebar_hidden = !expanded;
        self.send_all(account_commands);
        if open_account {
            self.settings_form.open_at(crate::ui::settings_window::SettingsTab::Account);
        }
        if let Some(command) = view_menu {
            self.run(command);
        }
        if open_keys {
            self.run(UiCommand::ApiKeys);
        }
        if open_settings {
            self.settings_form.open = true;
        }
    }

    /// The composer and what sits over it (attachments, refusals, image
    /// mode, the model picker, a retry countdown). Returns what the
    /// composer asked for and whether "Attach files…" was clicked.
    fn composer_panel_ui(&mut self, ui: &mut Ui, refusal: &Option<String>) -> (ComposerOutput, bool) {
        let mut output = ComposerOutput::None;
        let mut pick = false;
        let open_id = self.vm.open.as_ref().map(|o| o.id);
        let here = self.vm.device;
        let streaming = self.vm.open.as_ref().is_some_and(|o| o.is_writing_here(here));
        let hovering_files = self.policy.attachments && ui.input(|i| !i.raw.hovered_files.is_empty());
        let has_attachments = self.vm.open.as_ref().is_some_and(|o| !o.waiting_attachments().is_empty());
        let mut commands = Vec::new();
        egui::Panel::bottom("composer").show_separator_line(false).show(ui, |ui| {
            crate::ui::theme::column(ui, |ui| {
                ui.add_space(6.0);
                if let Some(open) = self.vm.open.as_mut() {
                    attachment_bar_ui(ui, open, &mut self.vm.settings, &mut |c| commands.push(c));
                }
                if let Some(why) = refusal {
                    ui.add(egui::Label::new(RichText::new(why).color(ui.visuals().warn_fg_color)).wrap());
                }
                if hovering_files {
                    ui.colored_label(ui.visuals().hyperlink_color, "Drop the files to attach them to this chat.");
                }
                self.retry_countdown_ui(ui, open_id);
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
                // One card: the text with Send, and under it what goes with
                // the message (files, image mode, the model).
                crate::ui::theme::card(ui).show(ui, |ui| {
                    output = composer_ui(ui, &mut self.composer, streaming, has_attachments);
                    ui.horizontal_wrapped(|ui| {
                        if self.policy.picker() {
                            let hint = format!("Images, PDFs, text ({})", UiCommand::Attach.hint(ui.ctx()));
                            pick |= ui.button("Attach files…").on_hover_text(hint).clicked();
                        }
                        let toggle = egui::Button::new("Make images").selected(self.image_mode);
                        if self.policy.image_generation
                            && ui.add(toggle).on_hover_text("Image mode (Esc leaves it)").clicked()
                        {
                            self.image_mode = !self.image_mode;
                            self.composer.wants_focus = true;
                        }
                        model_picker_ui(ui, &mut self.vm, open_id, &mut |c| commands.push(c));
                    });
                });
                ui.add_space(8.0);
            });
        });
        self.send_all(commands);
        (output, pick)
    }

    /// A reply waiting to try again: why, and a live countdown (one
    /// repaint a second while waiting).
    fn retry_countdown_ui(&self, ui: &mut Ui, open_id: Option<ThreadId>) {
        if let Some((_, reason, at)) = self.vm.retry_note.as_ref().filter(|(t, ..)| Some(*t) == open_id) {
            let left = at.saturating_duration_since(web_time::Instant::now());
            // Its own line, wrapped: a long reason never pushes Stop away.
            let text = format!("{reason} — trying again in {} s", left.as_secs() + u64::from(left.subsec_nanos() > 0));
            ui.add(egui::Label::new(egui::RichText::new(text).color(ui.visuals().warn_fg_color)).wrap());
            if !left.is_zero() {
                ui.ctx().request_repaint_after(left.min(Duration::from_secs(1)));
            }
        }
    }

    /// The settings, share, project and image viewer windows; files that came in
    /// go to the open project's knowledge, or else to the open chat.
    fn side_windows_ui(&mut self, ui: &mut Ui, mut dropped: Vec<IncomingFile>, actions: &mut Vec<Action>) {
        let mut commands = Vec::new();
        let hidden = self.personal_hidden();
        settings_window_ui(ui, &mut self.vm, &mut self.settings_form, hidden, &mut |c| commands.push(c));
        crate::ui::shares::dialog_ui(ui.ctx(), &mut self.vm, &mut |c| commands.push(c));
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
        let open = self.vm.open.as_ref();
        crate::ui::attachments::viewer_ui(ui, &mut self.vm.viewer, open, &self.policy, hidden, &mut |c| {
            commands.push(c);
        });
        self.send_all(commands);
        self.attach(dropped);
    }

    /// The header and the chat, or the start screen with no chat open.
    fn central_ui(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        let mut branch = None;
        egui::CentralPanel::default().show(ui, |ui| {
            self.header_ui(ui, actions);
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
                None => self.start_screen_ui(ui),
            }
            self.send_all(commands);
        });
        if let Some((thread, row)) = branch {
            self.branch_off(thread, row);
        }
    }

    /// No chat open: how to start one, and how to get replies at all.
    fn start_screen_ui(&mut self, ui: &mut Ui) {
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

    /// Do what the composer asked: send (or keep the text when it cannot
    /// go: no image model, a file the model cannot take), give up an edit,
    /// edit the last message, stop the reply.
    fn apply_composer(&mut self, output: ComposerOutput, refused: bool) {
        match output {
            ComposerOutput::Send(text) if self.image_mode && self.image_form.options().is_none() => {
                self.composer.text = text;
                self.vm.keys_needed = Some("No image model is offered: add an OpenAI or Gemini key.".to_owned());
            }
            ComposerOutput::Send(text) if refused && self.composer.editing.is_none() && !self.image_mode => {
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
                if let Some(thread) = self.vm.open.as_ref().map(|o| o.id) {
                    self.send(Command::StopReply { thread });
                }
            }
            ComposerOutput::None => {}
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

/// The View menu (sidebar footer): presentation and high contrast.
fn view_menu_ui(ui: &mut Ui, present: bool, high_contrast: bool) -> Option<UiCommand> {
    let mut choice = None;
    ui.menu_button("View", |ui| {
        let hint = UiCommand::Present.hint(ui.ctx());
        if ui.add(egui::Button::new("Present").selected(present).shortcut_text(hint)).clicked() {
            choice = Some(UiCommand::Present);
        }
        if ui.add(egui::Button::new("High contrast").selected(high_contrast)).clicked() {
            choice = Some(UiCommand::HighContrast);
        }
    });
    choice
}

/// How the profile is protected, in a few words.
fn protection_text(protection: ProtectionKind) -> &'static str {
    match protection {
        ProtectionKind::Keychain => "Encrypted · system keychain",
        ProtectionKind::Passphrase => "Encrypted · passphrase",
        ProtectionKind::KeyFile => "Encrypted · key file (weaker)",
        ProtectionKind::Throwaway => "Guest session · wiped when it ends",
    }
}
