//! The sidebar: a "New chat" button and every thread, grouped by Pinned /
//! Today / Yesterday / Last 7 days / Last 30 days / Older. The list is
//! virtualized: only visible lines are laid out.

use egui::{Align, Layout, RichText, ScrollArea, Ui};

use super::app::Action;
use super::view_model::{SidebarItem, ViewModel};

const LINE_HEIGHT: f32 = 26.0;

/// Draw the sidebar; user intent is pushed into `actions`.
pub fn sidebar_ui(ui: &mut Ui, vm: &mut ViewModel, actions: &mut Vec<Action>) {
    ui.add_space(8.0);
    if ui.add_sized([ui.available_width(), 30.0], egui::Button::new("+  New chat")).on_hover_text("Ctrl+N").clicked() {
        actions.push(Action::NewThread);
    }
    if ui
        .add_sized([ui.available_width(), 24.0], egui::Button::new("Search…"))
        .on_hover_text("Chats, messages and actions (Ctrl+K)")
        .clicked()
    {
        actions.push(Action::OpenPalette);
    }
    ui.add_space(6.0);
    let now = chrono::Local::now();
    let open_id = vm.open.as_ref().map(|o| o.id);
    let items = vm.sidebar_items(&now);
    if items.is_empty() {
        ui.weak("No threads yet.");
        return;
    }
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
                SidebarItem::Thread(id) => {
                    let Some(row) = vm.threads.get(&id) else { continue };
                    let mut text =
                        RichText::new(if row.pinned { format!("• {}", row.title) } else { row.title.clone() });
                    if row.unreadable.is_some() {
                        text = text.color(ui.visuals().warn_fg_color);
                    }
                    let response = ui
                        .allocate_ui_with_layout(
                            egui::vec2(ui.available_width(), LINE_HEIGHT),
                            Layout::left_to_right(Align::Center),
                            |ui| {
                                ui.add_sized(
                                    [ui.available_width(), LINE_HEIGHT - 2.0],
                                    egui::Button::selectable(open_id == Some(id), (text, egui::Atom::grow()))
                                        .truncate(),
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
                    response.context_menu(|ui| {
                        if ui.button("Rename").clicked() {
                            actions.push(Action::OpenThread(id));
                            actions.push(Action::StartRename(id));
                        }
                        if ui.button(if pinned { "Unpin" } else { "Pin" }).clicked() {
                            actions.push(Action::SetPinned(id, !pinned));
                        }
                        if ui.button("Delete").clicked() {
                            actions.push(Action::Delete(id));
                        }
                    });
                }
            }
        }
    });
}
