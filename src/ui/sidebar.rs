//! The sidebar: a "New chat" button and every thread: Pinned, then each
//! project with its threads (foldable), then the rest by Today / Yesterday /
//! Last 7 days / Last 30 days / Older. The list is virtualized: only visible
//! lines are laid out.

use egui::{Align, Layout, RichText, ScrollArea, Ui};

use super::app::Action;
use super::commands::UiCommand;
use crate::domain::{ProjectId, ThreadId};

use super::view_model::{SidebarItem, ThreadRow, ViewModel};

const LINE_HEIGHT: f32 = 26.0;

/// Draw the sidebar; user intent is pushed into `actions`.
/// `locked`: on a shared computer, without projects and extra windows.
pub fn sidebar_ui(ui: &mut Ui, vm: &mut ViewModel, locked: bool, actions: &mut Vec<Action>) {
    ui.add_space(8.0);
    if ui
        .add_sized([ui.available_width(), 30.0], egui::Button::new("+  New chat"))
        .on_hover_text(UiCommand::NewThread.hint(ui.ctx()))
        .clicked()
    {
        actions.push(Action::NewThread);
    }
    if ui
        .add_sized([ui.available_width(), 24.0], egui::Button::new("Search…"))
        .on_hover_text("Chats, messages and actions (Ctrl+K)")
        .clicked()
    {
        actions.push(Action::OpenPalette);
    }
    if !locked && ui.add_sized([ui.available_width(), 24.0], egui::Button::new("+  New project")).clicked() {
        actions.push(Action::NewProject);
    }
    ui.add_space(6.0);
    let now = chrono::Local::now();
    let open_id = vm.open.as_ref().map(|o| o.id);
    let items = vm.sidebar_items(&now);
    if items.is_empty() {
        ui.weak("No threads yet.");
        return;
    }
    let projects = vm.projects_by_name();
    ScrollArea::vertical().auto_shrink([false, false]).show_rows(ui, LINE_HEIGHT, items.len(), |ui, range| {
        for item in &items[range] {
            match *item {
                SidebarItem::Heading(group) => {
                    ui.allocate_ui_with_layout(
                        egui::vec2(ui.available_width(), LINE_HEIGHT),
                        Layout::bottom_up(Align::Min),
                        |ui| ui.label(RichText::new(group.heading()).small().strong()),
                    );
                }
                SidebarItem::Project(id) => project_line_ui(ui, vm, id, actions),
                SidebarItem::Thread(id) => {
                    if let Some(row) = vm.threads.get(&id) {
                        thread_line_ui(ui, row, open_id == Some(id), 0.0, (!locked).then_some(&projects[..]), actions);
                    }
                }
                SidebarItem::ProjectThread(id) => {
                    if let Some(row) = vm.threads.get(&id) {
                        thread_line_ui(ui, row, open_id == Some(id), 14.0, (!locked).then_some(&projects[..]), actions);
                    }
                }
            }
        }
    });
}

/// A project's heading: fold toggle, name (opens the project), and a
/// context menu.
fn project_line_ui(ui: &mut Ui, vm: &ViewModel, id: ProjectId, actions: &mut Vec<Action>) {
    let Some(project) = vm.projects.get(&id) else { return };
    let folded = vm.folded_projects.contains(&id);
    ui.allocate_ui_with_layout(
        egui::vec2(ui.available_width(), LINE_HEIGHT),
        Layout::left_to_right(Align::Center),
        |ui| {
            let fold = ui
                .add(egui::Button::new(if folded { "▶" } else { "▼" }).small().frame(false))
                .on_hover_text(if folded { "Show its chats" } else { "Hide its chats" });
            if fold.clicked() {
                actions.push(Action::FoldProject(id, !folded));
            }
            let name = RichText::new(project.name()).strong();
            let response = ui
                .add_sized(
                    [ui.available_width(), LINE_HEIGHT - 2.0],
                    egui::Button::new((name, egui::Atom::grow())).truncate(),
                )
                .on_hover_text("Project: instructions and knowledge files");
            if response.clicked() {
                actions.push(Action::OpenProject(id));
            }
            response.context_menu(|ui| {
                if ui.button("New chat in this project").clicked() {
                    actions.push(Action::NewThreadIn(id));
                }
                if ui.button("Edit project").clicked() {
                    actions.push(Action::OpenProject(id));
                }
            });
        },
    );
}

/// One thread's line (indented under its project), with its context menu.
fn thread_line_ui(
    ui: &mut Ui,
    row: &ThreadRow,
    selected: bool,
    indent: f32,
    projects: Option<&[(ProjectId, &super::view_model::ProjectRow)]>,
    actions: &mut Vec<Action>,
) {
    let id: ThreadId = row.id;
    let mut text = RichText::new(if row.pinned { format!("• {}", row.title) } else { row.title.clone() });
    if row.unreadable.is_some() {
        text = text.color(ui.visuals().warn_fg_color);
    }
    let response = ui
        .allocate_ui_with_layout(
            egui::vec2(ui.available_width(), LINE_HEIGHT),
            Layout::left_to_right(Align::Center),
            |ui| {
                ui.add_space(indent);
                ui.add_sized(
                    [ui.available_width(), LINE_HEIGHT - 2.0],
                    egui::Button::selectable(selected, (text, egui::Atom::grow())).truncate(),
                )
            },
        )
        .inner;
    let response = match &row.unreadable {
        Some(reason) => response.on_hover_text(reason),
        None => response,
    };
    if response.clicked() {
        actions.push(Action::OpenThread(id));
    }
    let pinned = row.pinned;
    let current = row.project;
    response.context_menu(|ui| {
        if ui.button("Rename").clicked() {
            actions.push(Action::OpenThread(id));
            actions.push(Action::StartRename(id));
        }
        if ui.button(if pinned { "Unpin" } else { "Pin" }).clicked() {
            actions.push(Action::SetPinned(id, !pinned));
        }
        // `None`: a shared computer, with neither windows nor projects.
        if let Some(projects) = projects {
            if ui.button("Open in new window").clicked() {
                actions.push(Action::OpenInWindow(id));
            }
            move_to_project_menu_ui(ui, id, current, projects, actions);
        }
        if ui.button("Delete").clicked() {
            actions.push(Action::Delete(id));
        }
    });
}

/// "Move to project" with every project and "No project".
pub fn move_to_project_menu_ui(
    ui: &mut Ui,
    id: ThreadId,
    current: Option<ProjectId>,
    projects: &[(ProjectId, &super::view_model::ProjectRow)],
    actions: &mut Vec<Action>,
) {
    if projects.is_empty() {
        return;
    }
    ui.menu_button("Move to project", |ui| {
        for (pid, project) in projects {
            let here = current == Some(*pid);
            if ui.add_enabled(!here, egui::Button::new(project.name())).clicked() {
                actions.push(Action::MoveToProject(id, Some(*pid)));
            }
        }
        if current.is_some() && ui.button("No project").clicked() {
            actions.push(Action::MoveToProject(id, None));
        }
    });
}
