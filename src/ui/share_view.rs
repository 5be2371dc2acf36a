//! A share link opened in a page: the read-only copy of a chat, without an
//! account or a profile. The page fetches and opens the copy
//! ([`crate::backend::shares::open_link`]) and puts the outcome in
//! [`Shared`]; this draws it — the title, each message with who wrote it
//! and its Markdown — or why the link does not open ("This link was
//! revoked…"). Nothing is stored.

use std::sync::{Arc, Mutex, PoisonError};

use egui::{RichText, Ui};

use crate::backend::shares::Snapshot;
use crate::domain::Role;

use super::markdown::{Part, block_parts, block_starts};

/// Where an opened link stands.
#[derive(Debug, Default)]
pub enum Shared {
    /// Fetching and opening.
    #[default]
    Loading,
    /// The copy.
    Shown(Snapshot),
    /// Why it does not open, in words for a person.
    Failed(String),
}

/// The viewer: the state the page fills in, and the copy laid out.
#[derive(Debug, Default)]
pub struct ShareViewer {
    /// Filled in by whoever fetches the link.
    pub state: Arc<Mutex<Shared>>,
    /// Each message's Markdown parts, laid out for `laid_for` points.
    parts: Vec<Vec<Part>>,
    laid_for: f32,
    /// The app's theme and fonts are set (once, on the first frame).
    styled: bool,
}

fn author(role: Role, model: Option<&str>) -> String {
    match role {
        Role::User => "You".to_owned(),
        Role::Assistant => model.unwrap_or("Assistant").to_owned(),
        Role::System => "System".to_owned(),
    }
}

impl ShareViewer {
    /// The tab's title.
    #[must_use]
    pub fn title(&self) -> String {
        match &*self.state.lock().unwrap_or_else(PoisonError::into_inner) {
            Shared::Shown(copy) => format!("{} — shared on Pak.Chat", copy.title),
            _ => "Shared chat — Pak.Chat".to_owned(),
        }
    }

    /// What a screen reader hears: the chat, how long it is and its last
    /// message, or why the link does not open.
    #[must_use]
    pub fn announcement(&self) -> String {
        match &*self.state.lock().unwrap_or_else(PoisonError::into_inner) {
            Shared::Loading => "Opening the shared chat…".to_owned(),
            Shared::Failed(why) => why.clone(),
            Shared::Shown(copy) => {
                let n = copy.messages.len();
                let last = copy
                    .messages
                    .last()
                    .map(|m| format!(" Last message — {}: {}", author(m.role, m.model.as_deref()), m.content))
                    .unwrap_or_default();
                let count = if n == 1 { "1 message".to_owned() } else { format!("{n} messages") };
                format!("Shared chat “{}” ({count}, read-only).{last}", copy.title)
            }
        }
    }

    /// Draw the page.
    pub fn ui(&mut self, ui: &mut Ui) {
        if !self.styled {
            // The app's look: its palette and bundled fonts (no settings here).
            crate::ui::theme::apply(ui.ctx(), false);
            let fonts = super::fonts::SystemFonts::default();
            ui.ctx().set_fonts(super::fonts::font_definitions(Default::default(), Default::default(), &fonts));
            self.styled = true;
        }
        let state = self.state.clone();
        let state = state.lock().unwrap_or_else(PoisonError::into_inner);
        egui::CentralPanel::default().show(ui, |ui| match &*state {
            Shared::Loading => {
                ui.centered_and_justified(|ui| {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Opening the shared chat…");
                    });
                });
            }
            Shared::Failed(why) => {
                ui.add_space(ui.available_height() / 3.0);
                ui.vertical_centered(|ui| {
                    ui.heading(why);
                    ui.add_space(8.0);
                    ui.weak("Ask whoever sent it for a new link.");
                });
            }
            Shared::Shown(copy) => crate::ui::theme::column(ui, |ui| self.copy_ui(ui, copy)),
        });
    }

    fn copy_ui(&mut self, ui: &mut Ui, copy: &Snapshot) {
        ui.horizontal(|ui| {
            ui.heading(&copy.title);
            ui.weak("· shared chat, read-only");
        });
        let shared = i64::try_from(copy.shared_ms)
            .ok()
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|t| t.format("%-d %B %Y").to_string())
            .unwrap_or_default();
        ui.weak(format!("A copy made on {shared} with Pak.Chat. Files in it are not shared."));
        ui.separator();
        let wrap = (ui.available_width() - 24.0).max(120.0);
        if (wrap - self.laid_for).abs() > 0.5 || self.parts.len() != copy.messages.len() {
            let color = ui.visuals().text_color();
            self.parts = copy
                .messages
                .iter()
                .map(|m| {
                    let starts = block_starts(&m.content, 0);
                    let ends = starts.iter().skip(1).copied().chain([m.content.len()]);
                    starts.iter().zip(ends).flat_map(|(&a, b)| block_parts(ui, &m.content[a..b], wrap, color)).collect()
                })
                .collect();
            self.laid_for = wrap;
        }
        egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
            for (message, parts) in copy.messages.iter().zip(&self.parts) {
                let palette = crate::ui::theme::current(ui.visuals());
                let fill = if message.role == Role::User { palette.bubble } else { palette.surface };
                egui::Frame::new().fill(fill).corner_radius(10.0).inner_margin(12.0).show(ui, |ui| {
                    ui.set_width(wrap);
                    ui.label(RichText::new(author(message.role, message.model.as_deref())).small().weak());
                    for part in parts {
                        part_ui(ui, part);
                    }
                    if message.files > 0 {
                        let files =
                            if message.files == 1 { "1 file".to_owned() } else { format!("{} files", message.files) };
                        ui.weak(format!("({files} not shared)"));
                    }
                });
                ui.add_space(6.0);
            }
        });
    }
}

/// One Markdown part, read-only (a table as its cells' text, one row a line).
fn part_ui(ui: &mut Ui, part: &Part) {
    match part {
        Part::Text(rich) | Part::Code(rich, _) | Part::Quote(rich) | Part::Math(rich) => {
            ui.label(egui::WidgetText::LayoutJob(std::sync::Arc::new(rich.job.clone())));
        }
        Part::Table(table) => {
            for row in &table.rows {
                let cells: Vec<&str> = row.iter().map(|cell| cell.job.text.as_str()).collect();
                ui.monospace(cells.join("  │  "));
            }
        }
    }
}
