//! The project window: a project's name, instructions and knowledge files,
//! a new chat in it, and deleting it (asking what happens to its chats).

use egui::{RichText, Ui};

use crate::backend::{Command, ProjectThreads};
use crate::domain::{MAX_PROJECT_KNOWLEDGE_CHARS, ProjectId};

use super::view_model::{ProjectRow, ViewModel};

/// Accessible name of the project's instructions field.
pub const INSTRUCTIONS_LABEL: &str = "Project instructions";

/// State of the project window.
#[derive(Debug, Default)]
pub struct ProjectForm {
    /// The project shown, if the window is open.
    pub open: Option<ProjectId>,
    name: String,
    instructions: String,
    /// The user changed a field since it was loaded or saved.
    dirty: bool,
    confirm_delete: bool,
}

/// What the window asks the app to do besides sending commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProjectOutput {
    /// Nothing.
    None,
    /// Start a new chat in the project.
    NewChat(ProjectId),
}

impl ProjectForm {
    /// Open the window on project `id` with its stored name and instructions.
    pub fn show(&mut self, vm: &ViewModel, id: ProjectId) {
        let project = vm.projects.get(&id).and_then(|p| p.project());
        self.open = Some(id);
        self.name = project.map(|p| p.name.clone()).unwrap_or_default();
        self.instructions = project.map(|p| p.instructions.clone()).unwrap_or_default();
        self.dirty = false;
        self.confirm_delete = false;
    }

    /// The command that saves unsaved edits, if there are any.
    pub fn take_edits(&mut self) -> Option<Command> {
        let id = self.open?;
        self.dirty.then(|| {
            self.dirty = false;
            Command::EditProject { id, name: self.name.clone(), instructions: self.instructions.clone() }
        })
    }
}

/// Draw the project window when open.
pub fn project_window_ui(
    ui: &mut Ui,
    vm: &ViewModel,
    form: &mut ProjectForm,
    send: &mut dyn FnMut(Command),
) -> ProjectOutput {
    let Some(id) = form.open else { return ProjectOutput::None };
    let Some(row) = vm.projects.get(&id) else {
        // Deleted (here or in another window): nothing left to edit.
        form.open = None;
        return ProjectOutput::None;
    };
    let mut output = ProjectOutput::None;
    let mut open = true;
    let mut close = false;
    let chats = vm.threads.values().filter(|t| !t.deleted && t.project == Some(id)).count();
    egui::Window::new("Project").open(&mut open).default_width(520.0).show(ui.ctx(), |ui| {
        let project = match row {
            ProjectRow::Ok(p) => p,
            ProjectRow::Unreadable(reason) => {
                ui.colored_label(ui.visuals().warn_fg_color, format!("This project cannot be read: {reason}"));
                return;
            }
        };
        ui.horizontal(|ui| {
            let label = ui.label("Project name");
            form.dirty |=
                ui.add(egui::TextEdit::singleline(&mut form.name).desired_width(320.0)).labelled_by(label.id).changed();
        });
        let label = ui.label(INSTRUCTIONS_LABEL);
        let instructions = egui::TextEdit::multiline(&mut form.instructions)
            .hint_text("What every chat in this project should know or do")
            .desired_rows(4)
            .desired_width(f32::INFINITY);
        form.dirty |= ui.add(instructions).labelled_by(label.id).changed();
        ui.add_space(8.0);
        ui.label(RichText::new("Knowledge files").strong());
        ui.weak("Text files and PDFs. Their text goes with every message in this project's chats.");
        for f in &project.files {
            ui.horizontal(|ui| {
                ui.label(&f.name);
                ui.weak(format!("{} characters", f.text.chars().count()));
                if ui.small_button("Remove").on_hover_text(format!("Remove {}", f.name)).clicked() {
                    send(Command::RemoveKnowledge { project: id, file: f.id });
                }
            });
        }
        ui.horizontal(|ui| {
            if ui.button("Add files…").on_hover_text("Or drop files on this window").clicked() {
                send(Command::PickKnowledge { project: id });
            }
            ui.weak(format!("{} of {MAX_PROJECT_KNOWLEDGE_CHARS} characters used", project.knowledge_chars()));
        });
        ui.add_space(8.0);
        ui.label(format!("{chats} {} in this project.", if chats == 1 { "chat" } else { "chats" }));
        ui.separator();
        if form.confirm_delete {
            ui.label(format!("Delete the project “{}”? What happens to its {chats} chats?", project.name));
            ui.horizontal(|ui| {
                if ui.button("Keep the chats").clicked() {
                    send(Command::DeleteProject { id, threads: ProjectThreads::Keep });
                    form.confirm_delete = false;
                    form.dirty = false;
                    close = true;
                }
                if ui.button("Delete the chats too").clicked() {
                    send(Command::DeleteProject { id, threads: ProjectThreads::Delete });
                    form.confirm_delete = false;
                    form.dirty = false;
                    close = true;
                }
                if ui.button("Cancel").clicked() {
                    form.confirm_delete = false;
                }
            });
        } else {
            ui.horizontal(|ui| {
                if ui.button("New chat in this project").clicked() {
                    output = ProjectOutput::NewChat(id);
                    close = true;
                }
                if ui.add_enabled(form.dirty, egui::Button::new("Save")).clicked()
                    && let Some(save) = form.take_edits()
                {
                    send(save);
                }
                if ui.button("Done").clicked() {
                    close = true;
                }
                if ui.button("Delete project…").clicked() {
                    form.confirm_delete = true;
                }
            });
        }
    });
    let escape = ui.ctx().memory(|m| m.focused().is_none())
        && !egui::Popup::is_any_open(ui.ctx())
        && ui.input_mut(|i| super::commands::UiCommand::Escape.consume(i));
    if !open || close || escape {
        // Closing never loses what was typed.
        if let Some(save) = form.take_edits() {
            send(save);
        }
        form.open = None;
        form.confirm_delete = false;
    }
    output
}
