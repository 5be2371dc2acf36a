//! The open thread's header: its title (and the rename field), the thread's
//! buttons and menu, its mode, and the system prompt and final prompt
//! panes under it.

use super::*;

impl PakApp {
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
                    // A title, one primary action, the rest in an overflow menu.
                    ui.menu_button("More", |ui| self.thread_menu_ui(ui, id, pinned, current_project, actions))
                        .response
                        .on_hover_text("Rename, pin, delete, the final prompt, export…");
                    let label = if current_prompt.is_empty() { "System prompt" } else { "System prompt •" };
                    if ui.button(label).on_hover_text("Instructions sent before this chat").clicked() {
                        self.system_prompt = Some((id, current_prompt.clone()));
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
        self.system_prompt_ui(ui, id);
        if self.final_prompt == Some(id) {
            self.final_prompt_ui(ui, id);
        }
        ui.separator();
    }

    /// The thread's "More" menu: rename, pin, the final prompt, delete; and
    /// (not on a kiosk) export, its own window, its project.
    fn thread_menu_ui(
        &mut self,
        ui: &mut Ui,
        id: ThreadId,
        pinned: bool,
        project: Option<ProjectId>,
        actions: &mut Vec<Action>,
    ) {
        if ui.button("Rename").on_hover_text(UiCommand::Rename.hint(ui.ctx())).clicked() {
            actions.push(Action::StartRename(id));
        }
        if ui.button(if pinned { "Unpin" } else { "Pin" }).clicked() {
            actions.push(Action::SetPinned(id, !pinned));
        }
        let showing = self.final_prompt == Some(id);
        let button = egui::Button::new("Final prompt").selected(showing);
        if ui.add(button).on_hover_text("Everything the model is told before this chat").clicked() {
            self.final_prompt = if showing { None } else { Some(id) };
        }
        if ui.button("Delete").on_hover_text("Delete this thread (you can undo)").clicked() {
            actions.push(Action::Delete(id));
        }
        if self.policy.locked {
            return;
        }
        ui.separator();
        if ui.button("Export as Markdown…").clicked() {
            let what = ExportWhat::Thread { id, format: ExportFormat::Markdown };
            self.send(Command::Export { what });
        }
        if ui.button("Export as JSON…").on_hover_text("Every branch and file; can be imported").clicked() {
            self.send(Command::Export { what: ExportWhat::Thread { id, format: ExportFormat::Json } });
        }
        let hover = "A read-only copy anyone with the link can open";
        if ui.button(crate::ui::shares::SHARE_LINK).on_hover_text(hover).clicked() {
            self.vm.shares.open(id);
        }
        if ui.button("Open in new window").clicked() {
            actions.push(Action::OpenInWindow(id));
        }
        let projects = self.vm.projects_by_name();
        crate::ui::sidebar::move_to_project_menu_ui(ui, id, project, &projects, actions);
    }

    /// The system prompt being edited for thread `id`, if it is.
    fn system_prompt_ui(&mut self, ui: &mut Ui, id: ThreadId) {
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
    }

    /// Everything the model is told before thread `id`, composed.
    fn final_prompt_ui(&mut self, ui: &mut Ui, id: ThreadId) {
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
    crate::ui::form::combo(ui, "Mode", text, None, |ui| {
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
