//! The chat view: a virtualized list of the open thread's messages. Only rows
//! that intersect the viewport are laid out and drawn; pages of messages are
//! requested around the viewport and dropped when far away.
//!
//! Rows are the branch of the message tree the backend shows (row indices,
//! not stored positions); each is drawn by [`super::chat_row`].

use egui::{FontSelection, Rect, Sense, TextStyle, Ui, pos2, vec2};

use super::attachments::{release_textures, strip_height, strip_ui};
use super::chat_row::{RowAction, RowDraw, draw_row};
use super::commands::{PAGE_DOWN, PAGE_UP, UiCommand};
use super::row_layout::{GAP, PAD, RowCache, layout_row};
use super::view_model::{LoadedRow, OpenThread, PAGE, RowContent};
use crate::backend::Command;
use crate::domain::Fork;

/// Height assumed for a row that is not loaded yet.
pub const ESTIMATED_ROW_HEIGHT: f32 = 64.0;
const SCROLLBAR_WIDTH: f32 = 10.0;
/// How long a message opened from a search stays marked.
/// Layouts kept beyond the loaded rows before the stale ones are dropped.
const LAYOUT_SLACK: usize = 64;
const FLASH: std::time::Duration = std::time::Duration::from_secs(2);

/// Height of row `i`, laying out (and caching) loaded rows at `width`.
fn row_height(ui: &Ui, open: &mut OpenThread, i: u64, width: f32) -> f32 {
    if i >= open.count {
        let Some(m) = usize::try_from(i - open.count).ok().and_then(|p| open.pending.get(p)) else {
            return ESTIMATED_ROW_HEIGHT;
        };
        let mut scratch = None;
        let strip = strip_height(&open.attachments, m);
        return layout_row(ui, &RowContent::Message(m.clone()), width, false, &mut scratch).height + strip;
    }
    let expanded = open.view.expanded_reasoning.contains(&i);
    let Some(row) = open.rows.get(&i) else {
        return ESTIMATED_ROW_HEIGHT;
    };
    let text = layout_row(ui, &row.content, width, expanded, open.view.layout_slot(row.message_id())).height;
    let strip = match &row.content {
        RowContent::Message(m) => strip_height(&open.attachments, m),
        RowContent::Unreadable(_) => 0.0,
    };
    text + strip
}

/// What the chat view asks the app to do (beyond commands it sends itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChatAction {
    /// Edit the user's message at `row` in the composer.
    Edit {
        /// The row.
        row: u64,
        /// Its current text.
        text: String,
    },
    /// Open this image in the viewer.
    OpenImage(crate::domain::AttachmentId),
    /// Copy the conversation up to `row` into a new thread and open it.
    BranchOff {
        /// The last row copied.
        row: u64,
    },
}

/// Draw the chat view of `open` into the remaining space of `ui`.
/// `copy`: whether Copy buttons are offered (not on a kiosk that forbids
/// the clipboard).
pub fn chat_view_ui(
    ui: &mut Ui,
    open: &mut OpenThread,
    copy: bool,
    send: &mut dyn FnMut(Command),
) -> Option<ChatAction> {
    let viewport = ui.available_rect_before_wrap();
    let response = ui.allocate_rect(viewport, Sense::hover());
    if !open.loaded {
        ui.put(viewport, egui::Spinner::new());
        return None;
    }
    let total = open.total();
    if total == 0 {
        ui.put(viewport, egui::Label::new("No messages yet. Write the first one below."));
        return None;
    }
    // Branches stay put while a reply streams in.
    let busy = open.is_streaming() || !open.pending.is_empty();
    let retryable = open.retryable_reply();
    let mut chat_action = None;
    let mut drawn_textures = Vec::new();
    // A centred reading column; the scrollbar stays at the window's edge.
    let room = viewport.width() - SCROLLBAR_WIDTH;
    let width = super::theme::column_width(room);
    let left = viewport.left() + (room - width) / 2.0;
    let viewport_h = viewport.height();

    let mut list = open.view.list.clone();
    scroll(ui, open, &mut list, response.contains_pointer(), width, viewport_h);
    // A message opened from a search is marked for a moment.
    let flash = open.view.flash.and_then(|(row, at)| FLASH.checked_sub(at.elapsed()).map(|left| (row, left)));
    if flash.is_none() {
        open.view.flash = None;
    }

    // Draw from the anchor down until the viewport is full.
    let clip = ui.clip_rect().intersect(viewport);
    let mut y = viewport.top() - list.offset;
    let mut i = list.anchor;
    let mut heights_changed = false;
    while i < total && y < viewport.bottom() {
        let expanded = open.view.expanded_reasoning.contains(&i);
        // Borrow rows and their cached layouts; nothing per row is copied, so a
        // long reply costs the same to draw whatever its length.
        let pending_content: Option<RowContent>;
        let mut scratch = None;
        let drawn: Option<(&RowContent, &RowCache, Option<Fork>)> = if i < open.count {
            open.rows.get(&i).map(|row| {
                let slot = open.view.layout_slot(row.message_id());
                let before = slot.as_ref().map(|c| c.height);
                let layout = layout_row(ui, &row.content, width, expanded, slot);
                heights_changed |= before.is_some_and(|h| (h - layout.height).abs() > 0.5);
                (&row.content, layout, row.fork)
            })
        } else {
            pending_content = usize::try_from(i - open.count)
                .ok()
                .and_then(|p| open.pending.get(p))
                .map(|m| RowContent::Message(m.clone()));
            pending_content.as_ref().map(|c| (c, layout_row(ui, c, width, false, &mut scratch), None))
        };
        let h = match drawn {
            Some((content, layout, fork)) => {
                let (ids, strip) = match content {
                    RowContent::Message(m) if !m.attachments.is_empty() => {
                        (m.attachments.clone(), strip_height(&open.attachments, m))
                    }
                    _ => (Vec::new(), 0.0),
                };
                let text_height = layout.height;
                let height = text_height + strip;
                let rect = Rect::from_min_size(pos2(left, y), vec2(width, height));
                if let Some((_, left)) = flash.filter(|(row, _)| *row == i) {
                    paint_flash(ui, clip, rect, left);
                }
                let row_busy = busy || i >= open.count;
                let retry = !row_busy && i + 1 == open.count && retryable;
                let row = RowDraw { index: i, content, expanded, fork, busy: row_busy, copy, retry };
                let action = draw_row(ui, clip, rect, layout, &row);
                if !ids.is_empty() {
                    let top_left = pos2(rect.left() + PAD.x, rect.top() + text_height - GAP - PAD.y);
                    if let Some(id) = strip_ui(ui, clip, top_left, &ids, open, &mut drawn_textures, send) {
                        chat_action = Some(ChatAction::OpenImage(id));
                    }
                }
                if let Some(action) = action {
                    chat_action = row_action(ui, open, i, action, send).or(chat_action);
                }
                height
            }
            None => {
                paint_loading(ui, clip, Rect::from_min_size(pos2(left, y), vec2(width, ESTIMATED_ROW_HEIGHT)));
                ESTIMATED_ROW_HEIGHT
            }
        };
        y += h;
        i += 1;
    }
    let last_visible = i.saturating_sub(1);
    release_textures(open, &drawn_textures);
    if heights_changed {
        ui.ctx().request_repaint();
    }

    scrollbar_ui(ui, viewport, open, &mut list, total, width);
    open.view.list = list;
    request_pages(open, open.view.list.anchor, last_visible, send);
    // Layouts of rows evicted since go, a batch at a time.
    if open.view.layout_count() > open.rows.len() + LAYOUT_SLACK {
        let live: std::collections::HashSet<_> = open.rows.values().filter_map(LoadedRow::message_id).collect();
        open.view.keep_layouts_of(&live);
    }
    chat_action
}

/// Move `list` by what came in this frame: the wheel or touchpad over the
/// chat (`hovered`), Page Up / Page Down, Alt+Home / Alt+End, and a row
/// asked for (a search hit, the navigation bar).
fn scroll(
    ui: &Ui,
    open: &mut OpenThread,
    list: &mut crate::ui::chat_list::ListState,
    hovered: bool,
    width: f32,
    viewport_h: f32,
) {
    let mut dy = 0.0;
    if hovered {
        dy += ui.input(|i| i.smooth_scroll_delta.y);
    }
    ui.input_mut(|i| {
        if i.consume_shortcut(&PAGE_UP) {
            dy += viewport_h * 0.9;
        }
        if i.consume_shortcut(&PAGE_DOWN) {
            dy -= viewport_h * 0.9;
        }
    });
    let jump_top = ui.input_mut(|i| UiCommand::JumpToStart.consume(i));
    let jump_end = ui.input_mut(|i| UiCommand::JumpToEnd.consume(i));
    let jump_to = open.view.jump_to.take();
    let total = open.total();
    let mut height = |i: u64| row_height(ui, open, i, width);
    if jump_top {
        list.jump_to_fraction(0.0, total, viewport_h, &mut height);
    }
    if let Some(row) = jump_to {
        list.jump_to_row(row, total, viewport_h, &mut height);
    }
    if jump_end {
        list.follow_bottom = true;
    }
    list.scroll_by(dy, total, viewport_h, &mut height);
    list.settle(total, viewport_h, &mut height);
}

/// Mark a row opened from a search; fades over [`FLASH`] (`left` of it remains).
fn paint_flash(ui: &Ui, clip: Rect, rect: Rect, left: std::time::Duration) {
    let fade = left.as_secs_f32() / FLASH.as_secs_f32();
    let color = ui.visuals().selection.bg_fill.gamma_multiply(0.45 * fade);
    ui.painter().with_clip_rect(clip).rect_filled(rect, 6.0, color);
    ui.ctx().request_repaint_after(std::time::Duration::from_millis(50));
}

/// A row whose page has not arrived yet.
fn paint_loading(ui: &Ui, clip: Rect, rect: Rect) {
    ui.painter().with_clip_rect(clip).text(
        rect.left_center() + vec2(PAD.x, 0.0),
        egui::Align2::LEFT_CENTER,
        "Loading…",
        FontSelection::Style(TextStyle::Small).resolve(ui.style()),
        ui.visuals().weak_text_color(),
    );
}

/// Do what a click in row `i` asked: some things here, some by a command,
/// the rest by the app.
fn row_action(
    ui: &Ui,
    open: &mut OpenThread,
    i: u64,
    action: RowAction,
    send: &mut dyn FnMut(Command),
) -> Option<ChatAction> {
    match action {
        RowAction::ToggleReasoning => {
            if !open.view.expanded_reasoning.remove(&i) {
                open.view.expanded_reasoning.insert(i);
            }
            ui.ctx().request_repaint();
        }
        RowAction::Regenerate => send(Command::RegenerateReply { thread: open.id, row: i }),
        RowAction::Branch(step) => send(Command::SwitchBranch { thread: open.id, row: i, step }),
        RowAction::Edit(text) => return Some(ChatAction::Edit { row: i, text }),
        RowAction::BranchOff => return Some(ChatAction::BranchOff { row: i }),
        RowAction::Retry => send(Command::RetryReply { thread: open.id }),
    }
    None
}

fn scrollbar_ui(
    ui: &mut Ui,
    viewport: Rect,
    open: &mut OpenThread,
    list: &mut super::chat_list::ListState,
    total: u64,
    width: f32,
) {
    let track = Rect::from_min_max(pos2(viewport.right() - SCROLLBAR_WIDTH, viewport.top()), viewport.max);
    let response = ui.interact(track, ui.scope_id().with("chat_scrollbar"), Sense::click_and_drag());
    let anchor_h = row_height(ui, open, list.anchor, width);
    let top_fraction = if list.follow_bottom { 1.0 } else { list.fraction(total, anchor_h) };
    #[expect(clippy::cast_precision_loss)]
    let thumb_h = (viewport.height() * (viewport.height() / (total as f32 * ESTIMATED_ROW_HEIGHT)).min(1.0)).max(24.0);
    let thumb_top = track.top() + (track.height() - thumb_h) * top_fraction;
    let thumb = Rect::from_min_size(pos2(track.left() + 2.0, thumb_top), vec2(SCROLLBAR_WIDTH - 4.0, thumb_h));
    let color = if response.hovered() || response.dragged() {
        ui.visuals().widgets.hovered.bg_fill
    } else {
        ui.visuals().widgets.inactive.bg_fill
    };
    ui.painter().rect_filled(thumb, 3.0, color);
    if let Some(pos) = response.interact_pointer_pos().filter(|_| response.dragged() || response.clicked()) {
        let fraction = ((pos.y - track.top() - thumb_h / 2.0) / (track.height() - thumb_h).max(1.0)).clamp(0.0, 1.0);
        let viewport_h = viewport.height();
        let mut height = |i: u64| row_height(ui, open, i, width);
        if fraction >= 0.999 {
            list.follow_bottom = true;
            list.settle(total, viewport_h, &mut height);
        } else {
            list.jump_to_fraction(fraction, total, viewport_h, &mut height);
        }
    }
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ScrollBar, true, "Conversation scroll bar"));
}

/// Ask for the pages around `[first, last]` that are neither loaded nor
/// requested, and drop rows far from them.
fn request_pages(open: &mut OpenThread, first: u64, last: u64, send: &mut dyn FnMut(Command)) {
    if open.count == 0 {
        return;
    }
    let last = last.min(open.count - 1);
    let first_page = (first / PAGE).saturating_sub(1);
    let last_page = (last / PAGE + 1).min((open.count - 1) / PAGE);
    for page in first_page..=last_page {
        if !open.page_loaded(page) && open.requested.insert(page) {
            send(Command::LoadMessages {
                thread: open.id,
                start: page * PAGE,
                len: usize::try_from(PAGE).unwrap_or(50),
            });
        }
    }
    if open.rows.len() as u64 > (2 * super::view_model::KEEP_PAGES + 4) * PAGE {
        open.evict_far_rows(first, last);
    }
}
