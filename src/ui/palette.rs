//! The command palette (Ctrl+K): one box that finds actions, threads by
//! title, and messages by their words (through the store's blind index,
//! [`Command::Search`]). Up / Down move through the results, Enter takes
//! one, Esc closes. Also the help sheet of keyboard shortcuts.

use egui::text::{LayoutJob, TextFormat};
use egui::{Key, Modifiers, RichText, Ui};

use crate::backend::{Command, SearchHit};
use crate::domain::search;
use crate::domain::{Role, ThreadId};

use super::commands::UiCommand;
use super::view_model::ViewModel;

/// Accessible name of the palette's input.
pub const PALETTE_LABEL: &str = "Search chats, messages and actions";
/// Thread titles listed at most.
const MAX_THREADS: usize = 8;

/// What the user took from the palette.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaletteChoice {
    /// Run a command.
    Action(UiCommand),
    /// Open a thread.
    Thread(ThreadId),
    /// Open a thread at a message.
    Message {
        /// The thread.
        thread: ThreadId,
        /// The message's stored position.
        position: u64,
    },
}

/// The palette's state between frames.
#[derive(Debug, Default)]
pub struct Palette {
    /// Shown.
    pub open: bool,
    /// The help sheet is shown.
    pub help: bool,
    /// On a shared computer: actions that reach settings, keys, export and
    /// the like are not offered.
    pub locked: bool,
    query: String,
    /// The query the last [`Command::Search`] was sent for, and its serial.
    sent: (String, u64),
    selected: usize,
    focus: bool,
}

impl Palette {
    /// Open the palette with an empty query and the focus in it.
    pub fn show(&mut self) {
        self.open = true;
        self.query.clear();
        // Ask afresh: messages may have arrived since the last search.
        self.sent.0.clear();
        self.selected = 0;
        self.focus = true;
    }
}

/// Whether every word of `query` is in `text` (case and accents aside), as
/// typed so far: the last word may be the start of one.
fn title_matches(text: &str, query: &str) -> bool {
    let have: Vec<String> = search::words(text).map(|(_, w)| w).collect();
    let wanted: Vec<String> = search::words(query).map(|(_, w)| w).collect();
    let last = wanted.len().saturating_sub(1);
    let whole_last = query.ends_with(char::is_whitespace);
    wanted.iter().enumerate().all(|(i, w)| {
        if i == last && !whole_last { have.iter().any(|h| h.starts_with(w.as_str())) } else { have.contains(w) }
    }) && (!wanted.is_empty() || query.trim().is_empty())
}

fn action_matches(action: UiCommand, query: &str) -> bool {
    let label = action.label().to_lowercase();
    query.split_whitespace().all(|w| label.contains(&w.to_lowercase()))
}

/// One line of the results, for drawing and for the keyboard.
enum Item<'a> {
    Action(UiCommand),
    Thread(ThreadId, &'a str),
    Message(&'a SearchHit, &'a str),
}

impl Item<'_> {
    fn choice(&self) -> PaletteChoice {
        match self {
            Self::Action(a) => PaletteChoice::Action(*a),
            Self::Thread(id, _) => PaletteChoice::Thread(*id),
            Self::Message(hit, _) => PaletteChoice::Message { thread: hit.thread, position: hit.position },
        }
    }
}

/// A snippet with its matches in bold on a marked background.
fn snippet_job(ui: &Ui, snippet: &search::Snippet) -> LayoutJob {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let plain = TextFormat { font_id: font.clone(), color: ui.visuals().text_color(), ..Default::default() };
    let marked = TextFormat {
        font_id: font,
        color: ui.visuals().strong_text_color(),
        background: ui.visuals().selection.bg_fill.gamma_multiply(0.6),
        ..Default::default()
    };
    let mut job = LayoutJob::default();
    let mut at = 0;
    for r in &snippet.highlights {
        if r.start < at || r.end > snippet.text.len() {
            continue;
        }
        job.append(&snippet.text[at..r.start], 0.0, plain.clone());
        job.append(&snippet.text[r.clone()], 0.0, marked.clone());
        at = r.end;
    }
    job.append(&snippet.text[at..], 0.0, plain);
    job.wrap.max_rows = 2;
    job
}

/// One line of the results: an action with its key, a chat's title, or a
/// message's snippet under its chat's title.
fn item_ui(ui: &mut Ui, item: &Item<'_>, selected: bool) -> egui::Response {
    match item {
        Item::Action(a) => {
            // The key at the right edge, as menus show it.
            let button = egui::Button::selectable(selected, a.label()).shortcut_text(a.hint(ui.ctx()));
            ui.add(button.min_size(egui::vec2(ui.available_width(), 0.0)))
        }
        Item::Thread(_, title) => {
            ui.add(egui::Button::selectable(selected, *title).min_size(egui::vec2(ui.available_width(), 0.0)))
        }
        Item::Message(hit, title) => {
            let who = match hit.role {
                Role::User => "You",
                Role::Assistant => "Reply",
                Role::System => "System",
            };
            let frame =
                egui::Frame::new().inner_margin(egui::Margin::symmetric(6, 4)).corner_radius(4.0).fill(if selected {
                    ui.visuals().selection.bg_fill.gamma_multiply(0.35)
                } else {
                    egui::Color32::TRANSPARENT
                });
            let inner = frame.show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.label(RichText::new(format!("{title} · {who}")).small().weak());
                ui.label(snippet_job(ui, &hit.snippet));
            });
            let response = inner.response.interact(egui::Sense::click());
            let name = format!("{title}: {}", hit.snippet.text);
            response.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, selected, &name));
            response
        }
    }
}

/// Draw the palette when open; returns what the user took.
pub fn palette_ui(
    ui: &mut Ui,
    vm: &ViewModel,
    palette: &mut Palette,
    send: &mut dyn FnMut(Command),
) -> Option<PaletteChoice> {
    if !palette.open {
        return None;
    }
    // Ask the index when the query's words change.
    let words = search::terms(&palette.query).join(" ");
    if words != palette.sent.0 {
        palette.sent = (words.clone(), palette.sent.1 + 1);
        if !words.is_empty() {
            send(Command::Search { query: words.clone(), serial: palette.sent.1 });
        }
    }
    let mut items: Vec<Item> = UiCommand::ALL
        .into_iter()
        .filter(|a| a.in_palette() && !(palette.locked && a.kiosk_locked()) && action_matches(*a, &palette.query))
        .map(Item::Action)
        .collect();
    let mut threads: Vec<_> = vm
        .threads
        .values()
        .filter(|t| !t.deleted && t.unreadable.is_none() && title_matches(&t.title, &palette.query))
        .collect();
    threads.sort_by_key(|t| std::cmp::Reverse(t.updated_ms));
    items.extend(threads.iter().take(MAX_THREADS).map(|t| Item::Thread(t.id, t.title.as_str())));
    let searching = !words.is_empty() && vm.search.0 != palette.sent.1;
    if !words.is_empty() && !searching {
        items.extend(vm.search.1.iter().filter_map(|hit| {
            let title = vm.threads.get(&hit.thread).filter(|t| !t.deleted)?;
            Some(Item::Message(hit, title.title.as_str()))
        }));
    }

    let (down, up, enter) = ui.input_mut(|i| {
        (
            i.consume_key(Modifiers::NONE, Key::ArrowDown),
            i.consume_key(Modifiers::NONE, Key::ArrowUp),
            i.consume_key(Modifiers::NONE, Key::Enter),
        )
    });
    if down {
        palette.selected = (palette.selected + 1).min(items.len().saturating_sub(1));
    }
    if up {
        palette.selected = palette.selected.saturating_sub(1);
    }
    palette.selected = palette.selected.min(items.len().saturating_sub(1));
    let mut chosen = enter.then(|| items.get(palette.selected).map(Item::choice)).flatten();

    let id = egui::Id::unique("command palette");
    let area = egui::Modal::default_area(id).anchor(egui::Align2::CENTER_TOP, egui::vec2(0.0, 48.0));
    let width = (ui.ctx().content_rect().width() - 32.0).clamp(240.0, 620.0);
    let response = egui::Modal::new(id).area(area).show(ui.ctx(), |ui| {
        ui.set_width(width);
        let label = ui.label(RichText::new(PALETTE_LABEL).small().weak());
        let edit = egui::TextEdit::singleline(&mut palette.query)
            .hint_text("Type to search… (Up/Down to move, Enter to open, Esc to close)")
            .desired_width(f32::INFINITY);
        let input = ui.add(edit).labelled_by(label.id);
        if palette.focus {
            input.request_focus();
            palette.focus = false;
        }
        if input.changed() {
            palette.selected = 0;
        }
        ui.separator();
        let max_height = (ui.ctx().content_rect().height() * 0.6).max(160.0);
        // The list's height comes from what it holds, up to `max_height`: not
        // from the palette's size last frame (an area offers its content
        // only that much room), which kept new hits out of sight and a
        // once-narrowed list short until a restart.
        let list = egui::ScrollArea::vertical().max_height(max_height).min_scrolled_height(max_height);
        list.auto_shrink([false, true]).show(ui, |ui| {
            let mut section = "";
            for (i, item) in items.iter().enumerate() {
                let heading = match item {
                    Item::Action(_) => "Actions",
                    Item::Thread(..) => "Chats",
                    Item::Message(..) => "Messages",
                };
                if heading != section {
                    section = heading;
                    ui.add_space(4.0);
                    ui.label(RichText::new(heading).small().strong());
                }
                let selected = i == palette.selected;
                let response = item_ui(ui, item, selected);
                if selected && (up || down) {
                    response.scroll_to_me(None);
                }
                if response.clicked() {
                    chosen = Some(item.choice());
                }
            }
            if searching {
                ui.weak("Searching messages…");
            } else if !words.is_empty() && vm.search.1.is_empty() {
                ui.weak("No message has all of these words. (Messages match whole words.)");
            }
            if items.is_empty() && !searching && words.is_empty() {
                ui.weak("Nothing matches.");
            }
        });
    });
    if chosen.is_some() || response.should_close() {
        palette.open = false;
    }
    chosen
}

/// The commands the help sheet lists: every one with a key, less those a
/// kiosk locks when `locked`.
pub fn help_lines(locked: bool) -> impl Iterator<Item = UiCommand> {
    UiCommand::ALL.into_iter().filter(move |c| !c.shortcuts().is_empty() && (!locked || !c.kiosk_locked()))
}

/// Draw the help sheet when open.
pub fn help_ui(ui: &mut Ui, palette: &mut Palette) {
    if !palette.help {
        return;
    }
    let is_mac = ui.ctx().os() == egui::os::OperatingSystem::Mac;
    let response = egui::Modal::new(egui::Id::unique("shortcuts")).show(ui.ctx(), |ui| {
        ui.heading("Keyboard shortcuts");
        ui.add_space(6.0);
        egui::Grid::new("shortcut grid").num_columns(2).spacing([24.0, 6.0]).striped(true).show(ui, |ui| {
            for command in help_lines(palette.locked) {
                ui.label(RichText::new(command.keys_text(is_mac)).monospace().strong());
                ui.label(command.label());
                ui.end_row();
            }
        });
        ui.add_space(6.0);
        ui.weak("In the palette: Up / Down move through the results, Enter opens one, Esc closes.");
        ui.add_space(8.0);
        ui.button("Close").clicked()
    });
    if response.inner || response.should_close() {
        palette.help = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_match_every_word_and_the_last_as_typed() {
        assert!(title_matches("Trip to Café Lisbon", "lisbon caf"));
        assert!(title_matches("Trip to Café Lisbon", "CAFE"));
        assert!(!title_matches("Trip to Café Lisbon", "caf "), "a finished word must be whole");
        assert!(!title_matches("Trip to Lisbon", "porto"));
        assert!(title_matches("Anything", ""));
        assert!(!title_matches("Anything", "!!"), "punctuation alone finds nothing");
    }
}
