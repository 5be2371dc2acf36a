//! One row of the chat view, drawn from its layout ([`super::row_layout`]):
//! the header with ◀ n/m ▶ and the reasoning toggle, the body block by
//! block (code and math panels, quotes behind a bar, tables as grids, links
//! and task boxes), a failed reply's reason, and the row's buttons. The last
//! reply, when it failed or was stopped, carries Retry reply on its header
//! line; while hovered, Copy, Branch off, and Regenerate (replies) or Edit
//! (the user's messages) appear left of it. None of these move when the
//! pointer arrives, so a click never lands on a button that just appeared.

use egui::{Rect, Ui, pos2, vec2};

use super::markdown::{MATH_PAD, QUOTE_INDENT, math_bg};
use super::row_layout::{BLOCK_GAP, Body, GAP, HEADER_GAP, PAD, RowCache, TableLayout, Text};
use super::view_model::RowContent;
use crate::domain::{Fork, Message, Role};

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
        // Named by its item, so a screen reader says what is (not) done.
        let name: String = text.galley.text().chars().skip(task.char).take_while(|c| *c != '\n').collect();
        let response = row_ui.add_enabled_ui(false, |ui| ui.put(r, egui::Checkbox::without_text(&mut done))).inner;
        response.widget_info(|| egui::WidgetInfo::selected(egui::Role::CheckBox, false, done, name.trim()));
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
pub(super) enum RowAction {
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
    /// Answer the last message again (this reply failed or was stopped).
    Retry,
}

/// One row to draw.
pub(super) struct RowDraw<'a> {
    pub(super) index: u64,
    pub(super) content: &'a RowContent,
    pub(super) expanded: bool,
    pub(super) fork: Option<Fork>,
    /// Regenerate, edit and branch switching wait (a reply is streaming, or
    /// this row is not stored yet).
    pub(super) busy: bool,
    /// Copy buttons are offered.
    pub(super) copy: bool,
    /// The last reply, failed or stopped: Retry reply is offered.
    pub(super) retry: bool,
}

pub(super) fn draw_row(ui: &mut Ui, clip: Rect, rect: Rect, layout: &RowCache, row: &RowDraw<'_>) -> Option<RowAction> {
    let RowDraw { index, content, expanded, fork, busy, copy, .. } = *row;
    let painter = ui.painter().with_clip_rect(clip);
    let inner = rect.shrink2(vec2(4.0, 0.0));
    let bubble = Rect::from_min_max(inner.min, pos2(inner.max.x, inner.max.y - GAP));
    // Your messages in a bubble; replies are text on the page.
    if layout.is_user {
        painter.rect_filled(bubble, f32::from(super::theme::radius::M), ui.visuals().faint_bg_color);
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
    if let Some(failure) = &layout.failure {
        let at = pos2(pos.x, rect.top() + layout.height - GAP - PAD.y - failure.size().y);
        row_ui.put(Rect::from_min_size(at, failure.size()), egui::Label::new(failure.clone()).selectable(true));
    }
    match content {
        RowContent::Message(message) => row_buttons(ui, &mut row_ui, rect, message, row).or(action),
        RowContent::Unreadable(_) => action,
    }
}

/// The buttons on a row's header line, right-aligned: Retry reply on the
/// last reply that failed or was stopped; while hovered, Copy, then
/// Regenerate (replies) or Edit (the user's messages), then Branch off,
/// left of it.
fn row_buttons(ui: &Ui, row_ui: &mut Ui, rect: Rect, message: &Message, row: &RowDraw<'_>) -> Option<RowAction> {
    let hovered = ui.rect_contains_pointer(rect);
    let mut action = None;
    let mut right = rect.right() - PAD.x;
    // Each button as wide as its label in the font of the day (fixed widths
    // wrapped "Regenerate" in a browser's font), placed right to left.
    let mut button = |row_ui: &mut Ui, text: &str| {
        let font = egui::TextStyle::Small.resolve(ui.style());
        let width = ui.painter().layout_no_wrap(text.to_owned(), font, egui::Color32::PLACEHOLDER).size().x
            + 2.0 * ui.spacing().button_padding.x
            + 2.0;
        let at = Rect::from_min_max(pos2(right - width, rect.top() + 2.0), pos2(right, rect.top() + 20.0));
        right -= width + 8.0;
        row_ui.put(at, egui::Button::new(egui::RichText::new(text).small()).wrap_mode(egui::TextWrapMode::Extend))
    };
    if row.retry && button(row_ui, "Retry reply").on_hover_text("Ask for this reply again").clicked() {
        action = Some(RowAction::Retry);
    }
    if hovered && row.copy && !message.content.is_empty() && button(row_ui, "Copy").clicked() {
        ui.ctx().copy_text(message.content.clone());
    }
    if !hovered || row.busy {
        return action;
    }
    match message.role {
        Role::Assistant => {
            if button(row_ui, "Regenerate").on_hover_text("Another reply; this one stays as a branch").clicked() {
                action = Some(RowAction::Regenerate);
            }
        }
        Role::User => {
            if button(row_ui, "Edit").on_hover_text("Send an edited copy as a new branch").clicked() {
                action = Some(RowAction::Edit(message.content.clone()));
            }
        }
        Role::System => {}
    }
    if button(row_ui, "Branch off").on_hover_text("A new chat with the conversation up to here").clicked() {
        action = Some(RowAction::BranchOff);
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
