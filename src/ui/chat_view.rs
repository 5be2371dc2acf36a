//! The chat view: a virtualized list of the open thread's messages. Only rows
//! that intersect the viewport are laid out and drawn; pages of messages are
//! requested around the viewport and dropped when far away.
//!
//! Rows are the branch of the message tree the backend shows (row indices,
//! not stored positions). A row's header carries ◀ n/m ▶ when its message
//! has siblings, and, while hovered, Copy, Branch off, and Regenerate (replies) or Edit
//! (the user's messages). None of these move when the pointer arrives, so a
//! click never lands on a button that just appeared.

use egui::{FontSelection, Rect, Sense, TextStyle, Ui, pos2, vec2};

use super::attachments::{release_textures, strip_height, strip_ui};
use super::commands::{PAGE_DOWN, PAGE_UP, UiCommand};
use super::markdown::{MATH_PAD, QUOTE_INDENT, math_bg};
use super::row_layout::{BLOCK_GAP, Body, GAP, HEADER_GAP, PAD, RowCache, TableLayout, Text, layout_row};
use super::view_model::{LoadedRow, OpenThread, PAGE, RowContent};
use crate::backend::Command;
use crate::domain::{Fork, Role};

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
    let mut chat_action = None;
    let mut drawn_textures = Vec::new();
    let width = viewport.width() - SCROLLBAR_WIDTH;
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
                let rect = Rect::from_min_size(pos2(viewport.left(), y), vec2(width, height));
                if let Some((_, left)) = flash.filter(|(row, _)| *row == i) {
                    paint_flash(ui, clip, rect, left);
                }
                let row = RowDraw { index: i, content, expanded, fork, busy: busy || i >= open.count, copy };
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
                paint_loading(
                    ui,
                    clip,
                    Rect::from_min_size(pos2(viewport.left(), y), vec2(width, ESTIMATED_ROW_HEIGHT)),
                );
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
    }
    None
}

/// The body of a row, block by block from `pos`: only blocks inside `clip`
/// are put (and reach the accessibility tree); code gets its panel and,
/// when `copy`, a Copy code button.
fn draw_blocks(ui: &Ui, row_ui: &mut Ui, clip: Rect, rect: Rect, mut pos: egui::Pos2, layout: &RowCache, copy: bool) {
    let right = rect.right() - PAD.x;
    let painter = ui.painter().with_clip_rect(clip);
    for block in &layout.blocks {
        let height = block.height();
        // Blocks wholly outside the viewport are not put (nor in the a11y tree).
        if pos.y <= clip.bottom() && pos.y + height >= clip.top() {
            // Code and math panels span the row, not just the longest line.
            let panel = Rect::from_min_max(pos, pos2(right, pos.y + height)).expand(4.0);
            match &block.body {
                Body::Text(text) => text_ui(row_ui, pos, text),
                Body::Code(text, code) => {
                    painter.rect_filled(panel, 4.0, ui.visuals().code_bg_color);
                    text_ui(row_ui, pos, text);
                    let r = Rect::from_min_max(pos2(right - 84.0, pos.y), pos2(right, pos.y + 18.0));
                    if copy && row_ui.put(r, egui::Button::new(egui::RichText::new("Copy code").small())).clicked() {
                        ui.ctx().copy_text(code.clone());
                    }
                }
                Body::Quote(text) => {
                    let x = pos.x + 3.0;
                    painter.vline(x, pos.y..=pos.y + height, (3.0, ui.visuals().weak_text_color().gamma_multiply(0.5)));
                    text_ui(row_ui, pos + vec2(QUOTE_INDENT, 0.0), text);
                }
                Body::Math(text) => {
                    painter.rect_filled(panel, 4.0, math_bg(ui.visuals()));
                    let x = ((right - pos.x - text.galley.size().x) / 2.0).max(MATH_PAD);
                    text_ui(row_ui, pos + vec2(x, 0.0), text);
                }
                Body::Table(table) => table_ui(ui, row_ui, clip, pos, table),
            }
        }
        pos.y += height + if layout.markdown { BLOCK_GAP } else { 0.0 };
    }
}

/// A text of a block as a selectable label (one node for a screen reader),
/// with its links and task boxes.
fn text_ui(row_ui: &mut Ui, pos: egui::Pos2, text: &Text) {
    let rect = Rect::from_min_size(pos, text.galley.size());
    let response = row_ui.put(rect, egui::Label::new(text.galley.clone()).selectable(true));
    if !text.links.is_empty() {
        link_ui(row_ui, &response, rect, text);
    }
    let icon = row_ui.spacing().icon_width;
    let space = icon + row_ui.spacing().icon_spacing + 2.0;
    for task in &text.tasks {
        // The box sits in the room left before the item's text.
        let at = text.galley.pos_from_cursor(egui::text::CCursor::new(task.char));
        let r = Rect::from_min_size(pos2(pos.x + at.left() - space, pos.y + at.top()), vec2(icon, at.height()));
        let mut done = task.done;
        row_ui.add_enabled_ui(false, |ui| ui.put(r, egui::Checkbox::without_text(&mut done)));
    }
}

/// A table: a tinted header, thin grid lines, each cell its own label. Rows
/// outside the viewport are not put.
fn table_ui(ui: &Ui, row_ui: &mut Ui, clip: Rect, origin: egui::Pos2, table: &TableLayout) {
    let (Some(&width), Some(&height)) = (table.columns.last(), table.rows.last()) else { return };
    let painter = ui.painter().with_clip_rect(clip);
    let visuals = ui.visuals();
    let stroke = visuals.widgets.noninteractive.bg_stroke;
    if let Some(&head) = table.rows.get(1) {
        painter.rect_filled(
            Rect::from_min_size(origin, vec2(width, head)),
            0.0,
            visuals.code_bg_color.gamma_multiply(0.6),
        );
    }
    for &y in &table.rows {
        painter.hline(origin.x..=origin.x + width, origin.y + y, stroke);
    }
    for &x in &table.columns {
        painter.vline(origin.x + x, origin.y..=origin.y + height, stroke);
    }
    for (cells, edges) in table.cells.iter().zip(table.rows.windows(2)) {
        if origin.y + edges[0] > clip.bottom() || origin.y + edges[1] < clip.top() {
            continue;
        }
        for cell in cells {
            text_ui(row_ui, origin + cell.pos, &cell.text);
        }
    }
}

/// What a click inside a row asks for.
enum RowAction {
    /// Show or hide the reasoning.
    ToggleReasoning,
    /// Another reply in place of this one.
    Regenerate,
    /// Edit this message of the user's.
    Edit(String),
    /// Show the older (-1) or newer (+1) sibling.
    Branch(i64),
    /// Copy the conversation up to here into a new thread.
    BranchOff,
}

/// One row to draw.
struct RowDraw<'a> {
    index: u64,
    content: &'a RowContent,
    expanded: bool,
    fork: Option<Fork>,
    /// Regenerate, edit and branch switching wait (a reply is streaming, or
    /// this row is not stored yet).
    busy: bool,
    /// Copy buttons are offered.
    copy: bool,
}

fn draw_row(ui: &mut Ui, clip: Rect, rect: Rect, layout: &RowCache, row: &RowDraw<'_>) -> Option<RowAction> {
    let RowDraw { index, content, expanded, fork, busy, copy } = *row;
    let painter = ui.painter().with_clip_rect(clip);
    let inner = rect.shrink2(vec2(4.0, 0.0));
    let bubble = Rect::from_min_max(inner.min, pos2(inner.max.x, inner.max.y - GAP));
    if layout.is_user {
        painter.rect_filled(bubble, 8.0, ui.visuals().faint_bg_color);
    } else {
        painter.rect_stroke(
            bubble,
            8.0,
            (1.0, ui.visuals().widgets.noninteractive.bg_stroke.color),
            egui::StrokeKind::Inside,
        );
    }
    let mut row_ui = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(rect)
            .id_salt(("chat_row", index))
            .layout(egui::Layout::top_down(egui::Align::Min)),
    );
    row_ui.set_clip_rect(clip);
    let mut pos = rect.min + PAD;
    row_ui.put(Rect::from_min_size(pos, layout.header.size()), egui::Label::new(layout.header.clone()));
    let mut action = None;
    // After the header, always in the same place (so hover buttons appearing
    // on the right never move them under the pointer): ◀ 2/3 ▶ for a message
    // with siblings, then the reasoning toggle.
    let mut x = pos.x + layout.header.size().x + 12.0;
    let top = rect.top() + 2.0;
    let small = |t: &str| egui::Button::new(egui::RichText::new(t).small());
    if let Some(fork) = fork {
        let prev = Rect::from_min_size(pos2(x, top), vec2(22.0, 18.0));
        if row_ui.add_enabled_ui(!busy && fork.index > 0, |ui| ui.put(prev, small("◀"))).inner.clicked() {
            action = Some(RowAction::Branch(-1));
        }
        x += 26.0;
        let text = format!("{}/{}", fork.index + 1, fork.count);
        let label = Rect::from_min_size(pos2(x, top), vec2(36.0, 18.0));
        row_ui.put(label, egui::Label::new(egui::RichText::new(text).small()));
        x += 40.0;
        let next = Rect::from_min_size(pos2(x, top), vec2(22.0, 18.0));
        if row_ui.add_enabled_ui(!busy && fork.index + 1 < fork.count, |ui| ui.put(next, small("▶"))).inner.clicked()
        {
            action = Some(RowAction::Branch(1));
        }
        x += 34.0;
    }
    if let RowContent::Message(message) = content
        && !message.reasoning.is_empty()
    {
        let label = if expanded { "Hide reasoning" } else { "Show reasoning" };
        let r = Rect::from_min_size(pos2(x, top), vec2(110.0, 18.0));
        if row_ui.put(r, small(label)).clicked() {
            action = Some(RowAction::ToggleReasoning);
        }
    }
    pos.y += layout.header.size().y + HEADER_GAP;
    if let Some(reasoning) = &layout.reasoning {
        pos.y += HEADER_GAP * 2.0;
        row_ui.put(Rect::from_min_size(pos, reasoning.size()), egui::Label::new(reasoning.clone()).selectable(true));
        pos.y += reasoning.size().y + HEADER_GAP * 2.0;
    }
    draw_blocks(ui, &mut row_ui, clip, rect, pos, layout, copy);
    // Row actions on the header line, right-aligned, while hovered: Copy,
    // then Regenerate (replies) or Edit (the user's messages) left of it.
    let RowContent::Message(message) = content else { return action };
    let hovered = ui.rect_contains_pointer(rect);
    let mut right = rect.right() - PAD.x;
    let button_rect =
        |right: f32, w: f32| Rect::from_min_max(pos2(right - w, rect.top() + 2.0), pos2(right, rect.top() + 20.0));
    if hovered && copy && !message.content.is_empty() {
        if row_ui.put(button_rect(right, 48.0), small("Copy")).clicked() {
            ui.ctx().copy_text(message.content.clone());
        }
        right -= 56.0;
    }
    if hovered && !busy {
        match message.role {
            Role::Assistant => {
                let r = row_ui.put(button_rect(right, 84.0), small("Regenerate"));
                if r.on_hover_text("Another reply; this one stays as a branch").clicked() {
                    action = Some(RowAction::Regenerate);
                }
            }
            Role::User => {
                let r = row_ui.put(button_rect(right, 40.0), small("Edit"));
                if r.on_hover_text("Send an edited copy as a new branch").clicked() {
                    action = Some(RowAction::Edit(message.content.clone()));
                }
                right -= 48.0;
            }
            Role::System => {}
        }
        if message.role == Role::Assistant {
            right -= 92.0;
        }
        let r = row_ui.put(button_rect(right, 76.0), small("Branch off"));
        if r.on_hover_text("A new chat with the conversation up to here").clicked() {
            action = Some(RowAction::BranchOff);
        }
    }
    action
}

/// Links in a block: the hand pointer and the address while hovered; a
/// click opens web and mail addresses in the browser (other schemes are
/// named, never opened).
fn link_ui(ui: &Ui, response: &egui::Response, rect: Rect, block: &Text) {
    let Some(pointer) = response.hover_pos() else { return };
    let at = block.galley.cursor_from_pos(pointer - rect.min).index.0;
    let Some(link) = block.links.iter().find(|l| l.chars.contains(&at)) else { return };
    let openable = super::markdown::openable(&link.url);
    if openable {
        ui.ctx().set_cursor_icon(egui::CursorIcon::PointingHand);
    }
    let tip = if openable { link.url.clone() } else { format!("{} (not opened: not a web or mail address)", link.url) };
    response.show_tooltip_text(tip);
    if openable && response.clicked() {
        ui.ctx().open_url(egui::OpenUrl::new_tab(&link.url));
    }
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
