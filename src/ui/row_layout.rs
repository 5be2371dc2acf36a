//! Laid-out text of one chat row, cached per width, in blocks (paragraphs
//! split after a blank line). A reply streaming in only appends, so each frame
//! lays out again only its last block: the cost of a frame does not grow with
//! the length of the message. Assistant replies are markdown ([`super::markdown`]).

use std::sync::Arc;

use egui::text::LayoutJob;
use egui::{Align, FontSelection, Galley, TextStyle, Ui, Vec2, vec2};

use crate::domain::{Message, MessageStatus, Role};

use super::markdown::{Link, Part, Rich, Table, Task, column_widths};
use super::view_model::RowContent;

/// Padding inside a row.
pub const PAD: Vec2 = vec2(12.0, 8.0);
/// Space below a row.
pub const GAP: f32 = 6.0;
/// Space between the header line and the body.
pub const HEADER_GAP: f32 = 2.0;
/// Space between markdown blocks (their blank lines are not laid out).
pub const BLOCK_GAP: f32 = 8.0;

/// Padding inside a table cell.
pub const CELL_PAD: Vec2 = vec2(8.0, 4.0);

/// Laid-out text with its links and task boxes.
#[derive(Clone, Debug)]
pub struct Text {
    /// The galley.
    pub galley: Arc<Galley>,
    /// Links in the text (clickable).
    pub links: Vec<Link>,
    /// Task boxes, drawn left of where their item's text starts.
    pub tasks: Vec<Task>,
}

impl Text {
    fn new(ui: &Ui, rich: Rich) -> Self {
        Self { galley: ui.painter().layout_job(rich.job), links: rich.links, tasks: rich.tasks }
    }
}

/// A table cell's text and where it sits in the table.
#[derive(Clone, Debug)]
pub struct Cell {
    /// The text, wrapped to its column.
    pub text: Text,
    /// Where the text's top left is, from the table's top left.
    pub pos: Vec2,
}

/// A laid-out table: its grid lines and cells.
#[derive(Clone, Debug)]
pub struct TableLayout {
    /// The x of each column's left edge, and of the right edge last.
    pub columns: Vec<f32>,
    /// The y of each row's top edge, and of the bottom edge last.
    pub rows: Vec<f32>,
    /// The cells, row by row; the first row is the header.
    pub cells: Vec<Vec<Cell>>,
}

/// What a block is and how it is drawn.
#[derive(Clone, Debug)]
pub enum Body {
    /// Plain text, prose, headings, lists.
    Text(Text),
    /// Code on a panel, with the raw code for "Copy code".
    Code(Text, String),
    /// A quote, indented by [`super::markdown::QUOTE_INDENT`] behind a bar.
    Quote(Text),
    /// Displayed math, centred on a panel.
    Math(Text),
    /// A grid.
    Table(TableLayout),
}

/// One laid-out block of the body.
#[derive(Clone, Debug)]
pub struct Block {
    /// Where the block's markdown starts in the text (the parts of one
    /// markdown block share it).
    pub start: usize,
    /// What it is.
    pub body: Body,
}

impl Block {
    /// Its height on screen.
    #[must_use]
    pub fn height(&self) -> f32 {
        match &self.body {
            Body::Text(t) | Body::Code(t, _) | Body::Quote(t) | Body::Math(t) => t.galley.size().y,
            Body::Table(table) => table.rows.last().copied().unwrap_or(0.0),
        }
    }
}

/// Lay out a table within `wrap`: columns as wide as their widest cell when
/// the table fits, else the wide columns share what is left and wrap.
fn table_layout(ui: &Ui, table: Table, wrap: f32) -> TableLayout {
    let columns = table.rows.iter().map(Vec::len).max().unwrap_or(0);
    let lay = |rich: &Rich, width: f32| {
        let mut job = rich.job.clone();
        job.wrap.max_width = width;
        ui.painter().layout_job(job)
    };
    let natural: Vec<f32> = (0..columns)
        .map(|c| {
            table.rows.iter().filter_map(|r| r.get(c)).map(|cell| lay(cell, f32::INFINITY).size().x).fold(0.0, f32::max)
        })
        .collect();
    #[expect(clippy::cast_precision_loss, reason = "a table has a few columns")]
    let room = wrap - columns as f32 * 2.0 * CELL_PAD.x;
    let widths = column_widths(&natural, room.max(0.0));
    let mut edges = vec![0.0];
    for w in &widths {
        edges.push(edges.last().copied().unwrap_or(0.0) + w + 2.0 * CELL_PAD.x);
    }
    let mut rows = vec![0.0];
    let mut cells = Vec::new();
    for row in table.rows {
        let top = rows.last().copied().unwrap_or(0.0);
        let mut line = Vec::new();
        for (c, rich) in row.into_iter().enumerate() {
            let width = widths.get(c).copied().unwrap_or(0.0);
            let galley = lay(&rich, width.max(1.0));
            let slack = (width - galley.size().x).max(0.0);
            let x = match table.align.get(c) {
                Some(Align::Center) => slack / 2.0,
                Some(Align::Max) => slack,
                _ => 0.0,
            };
            let pos = vec2(edges[c] + CELL_PAD.x + x, top + CELL_PAD.y);
            line.push(Cell { text: Text { galley, links: rich.links, tasks: rich.tasks }, pos });
        }
        let height = line.iter().map(|c| c.text.galley.size().y).fold(0.0, f32::max);
        rows.push(top + height + 2.0 * CELL_PAD.y);
        cells.push(line);
    }
    TableLayout { columns: edges, rows, cells }
}

/// A part of a markdown block, laid out.
fn block(ui: &Ui, start: usize, part: Part, wrap: f32) -> Block {
    let body = match part {
        Part::Text(rich) => Body::Text(Text::new(ui, rich)),
        Part::Code(rich, code) => Body::Code(Text::new(ui, rich), code),
        Part::Quote(rich) => Body::Quote(Text::new(ui, rich)),
        Part::Math(rich) => Body::Math(Text::new(ui, rich)),
        Part::Table(table) => Body::Table(table_layout(ui, table, wrap)),
    };
    Block { start, body }
}

/// A row's layout at one width.
#[derive(Clone, Debug)]
pub struct RowCache {
    width: f32,
    expanded: bool,
    header_text: String,
    /// The header line (who, status, usage).
    pub header: Arc<Galley>,
    /// Reasoning, when shown.
    pub reasoning: Option<Arc<Galley>>,
    /// Why a failed reply failed, below the body.
    pub failure: Option<Arc<Galley>>,
    failure_text: String,
    reasoning_len: usize,
    /// The body, block by block.
    pub blocks: Vec<Block>,
    laid_len: usize,
    /// Whether the row is the user's (drawn filled).
    pub is_user: bool,
    /// Whether blocks are markdown (spaced by [`BLOCK_GAP`]).
    pub markdown: bool,
    /// Full height including padding and gap.
    pub height: f32,
}

/// The header line of a message.
#[must_use]
pub fn header_text(message: &Message) -> String {
    let usage = message
        .usage
        .filter(|u| u.input_tokens + u.output_tokens > 0)
        .map(|u| format!(" · {} in / {} out tokens", u.input_tokens, u.output_tokens))
        .unwrap_or_default();
    format!("{}{usage}", author_and_state(message))
}

/// Who wrote `message` and where it is in its life: "gpt-4o-mini ·
/// writing…", "You".
#[must_use]
pub fn author_and_state(message: &Message) -> String {
    let who = match message.role {
        Role::User => "You",
        Role::Assistant => message.model.as_deref().unwrap_or("Assistant"),
        Role::System => "System",
    };
    let status = match message.status {
        MessageStatus::Done => "",
        MessageStatus::Sending => " · sending…",
        MessageStatus::Streaming => " · writing…",
        MessageStatus::Failed => " · failed",
        MessageStatus::Interrupted => " · interrupted",
        MessageStatus::Cancelled => " · stopped",
    };
    format!("{who}{status}")
}

fn galley(ui: &Ui, text: &str, style: TextStyle, color: egui::Color32, italics: bool, wrap: f32) -> Arc<Galley> {
    let font_id = FontSelection::Style(style).resolve(ui.style());
    let mut job = LayoutJob::default();
    job.wrap.max_width = wrap;
    job.append(text, 0.0, egui::TextFormat { font_id, color, italics, ..Default::default() });
    ui.painter().layout_job(job)
}

/// Bring `cache` up to date for `content` at `width` and return it.
pub fn layout_row<'a>(
    ui: &Ui,
    content: &RowContent,
    width: f32,
    expanded: bool,
    cache: &'a mut Option<RowCache>,
) -> &'a RowCache {
    let visuals = ui.visuals();
    let wrap = (width - 2.0 * PAD.x).max(20.0);
    let (header_text, body, reasoning, color, is_user) = match content {
        RowContent::Message(m) => {
            (header_text(m), m.content.as_str(), m.reasoning.as_str(), visuals.text_color(), m.role == Role::User)
        }
        RowContent::Unreadable(reason) => {
            ("Unreadable message".to_owned(), reason.as_str(), "", visuals.warn_fg_color, false)
        }
    };
    let failure = match content {
        RowContent::Message(m) => m.failure.as_deref().unwrap_or(""),
        RowContent::Unreadable(_) => "",
    };
    // Replies are markdown; what people type is shown as they typed it.
    let markdown = matches!(content, RowContent::Message(m) if m.role == Role::Assistant);
    let reusable =
        cache.as_ref().is_some_and(|c| c.width == width && c.expanded == expanded && body.len() >= c.laid_len);
    if !reusable {
        *cache = None;
    }
    let c = cache.get_or_insert_with(|| RowCache {
        width,
        expanded,
        header_text: String::new(),
        header: galley(ui, "", TextStyle::Small, visuals.weak_text_color(), false, wrap),
        reasoning: None,
        reasoning_len: 0,
        failure: None,
        failure_text: String::new(),
        blocks: Vec::new(),
        laid_len: 0,
        is_user,
        markdown,
        height: 0.0,
    });
    if c.header_text != header_text {
        c.header = galley(ui, &header_text, TextStyle::Small, visuals.weak_text_color(), false, wrap);
        c.header_text = header_text;
    }
    if c.failure_text != failure {
        c.failure =
            (!failure.is_empty()).then(|| galley(ui, failure, TextStyle::Body, visuals.error_fg_color, false, wrap));
        failure.clone_into(&mut c.failure_text);
    }
    let show_reasoning = expanded && !reasoning.is_empty();
    if show_reasoning && (c.reasoning.is_none() || c.reasoning_len != reasoning.len()) {
        c.reasoning = Some(galley(ui, reasoning, TextStyle::Body, visuals.weak_text_color(), true, wrap));
        c.reasoning_len = reasoning.len();
    } else if !show_reasoning {
        c.reasoning = None;
    }
    if c.blocks.is_empty() || body.len() != c.laid_len {
        // Re-lay only from the start of the last block: earlier ones are final.
        let from = c.blocks.last().map_or(0, |b| b.start);
        while c.blocks.last().is_some_and(|b| b.start == from) {
            c.blocks.pop();
        }
        let starts = super::markdown::block_starts(body, from);
        for (k, &start) in starts.iter().enumerate() {
            let end = starts.get(k + 1).copied().unwrap_or(body.len());
            let text = body.get(start..end).unwrap_or("");
            if markdown {
                for part in super::markdown::block_parts(ui, text, wrap, color) {
                    c.blocks.push(block(ui, start, part, wrap));
                }
            } else {
                let galley = galley(ui, text, TextStyle::Body, color, false, wrap);
                c.blocks.push(Block { start, body: Body::Text(Text { galley, links: Vec::new(), tasks: Vec::new() }) });
            }
        }
        c.laid_len = body.len();
    }
    let reasoning_h = c.reasoning.as_ref().map_or(0.0, |g| g.size().y + HEADER_GAP * 4.0);
    let body_h: f32 = c.blocks.iter().map(Block::height).sum::<f32>()
        + if markdown { BLOCK_GAP * c.blocks.len().saturating_sub(1) as f32 } else { 0.0 };
    let failure_h = c.failure.as_ref().map_or(0.0, |g| g.size().y + if c.blocks.is_empty() { 0.0 } else { BLOCK_GAP });
    c.height = PAD.y * 2.0 + c.header.size().y + HEADER_GAP + reasoning_h + body_h + failure_h + GAP;
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table laid out `wrap` wide.
    fn table(source: &str, wrap: f32) -> TableLayout {
        let ctx = egui::Context::default();
        let mut out = None;
        ctx.run_ui(egui::RawInput::default(), |ui| {
            let mut parts = super::super::markdown::block_parts(ui, source, wrap, egui::Color32::GRAY);
            if let Some(Part::Table(t)) = parts.pop() {
                out = Some(table_layout(ui, t, wrap));
            }
        })
        .textures_delta
        .clear();
        out.expect("a table")
    }

    #[test]
    fn a_table_wider_than_the_row_wraps_its_wide_cells_and_rows_grow_to_fit() {
        let long = "words ".repeat(30);
        let t = table(&format!("| n | text |\n|---|---|\n| 1 | {long} |\n| 2 | short |"), 300.0);
        assert!(t.columns.last().copied().unwrap_or(0.0) <= 300.0, "the grid fits the row: {:?}", t.columns);
        let wrapped = &t.cells[1][1].text.galley;
        assert!(wrapped.rows.len() > 2, "the long cell wraps");
        // Each row is as tall as its tallest cell and its padding; the
        // table's height is the sum (the row cache relies on it).
        for (r, cells) in t.cells.iter().enumerate() {
            let tallest = cells.iter().map(|c| c.text.galley.size().y).fold(0.0, f32::max);
            assert!((t.rows[r + 1] - t.rows[r] - tallest - 2.0 * CELL_PAD.y).abs() < 0.01);
            for c in cells {
                assert!(c.pos.y >= t.rows[r] && c.pos.y + c.text.galley.size().y <= t.rows[r + 1]);
            }
        }
        let block = Block { start: 0, body: Body::Table(t.clone()) };
        assert_eq!(block.height(), t.rows[3]);
    }

    /// Heights and block starts of `text` as a reply, laid out in one go
    /// or, with `cache`, continuing from what was laid out before.
    fn lay(ctx: &egui::Context, text: &str, cache: &mut Option<RowCache>) -> (f32, Vec<usize>) {
        use crate::domain::{DeviceId, Hlc, Message, MessageId, MessageStatus, Stamp, ThreadId};
        let content = RowContent::Message(Message {
            id: MessageId::new(),
            thread_id: ThreadId::new(),
            parent_id: None,
            role: Role::Assistant,
            content: text.to_owned(),
            reasoning: String::new(),
            attachments: Vec::new(),
            model: None,
            status: MessageStatus::Streaming,
            failure: None,
            usage: None,
            created_ms: 0,
            stamp: Stamp { hlc: Hlc::default(), device: DeviceId::from_bytes([0; 16]) },
        });
        let mut out = (0.0, Vec::new());
        ctx.run_ui(egui::RawInput::default(), |ui| {
            let c = layout_row(ui, &content, 500.0, false, cache);
            out = (c.height, c.blocks.iter().map(|b| b.start).collect());
        })
        .textures_delta
        .clear();
        out
    }

    #[test]
    fn a_reply_streamed_in_is_laid_out_as_if_whole_with_its_tables_and_quotes() {
        let text = "Intro\n| a | b |\n|---|--:|\n| 1 | 2 |\n| wide cell here | 3 |\n\n> quote\n\n- x\n  - y\n- [x] z\n\n$$\nx^2\n$$\nEnd";
        let ctx = egui::Context::default();
        let mut streamed = None;
        for cut in (1..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let grown = lay(&ctx, &text[..cut], &mut streamed);
            let whole = lay(&ctx, &text[..cut], &mut None);
            assert_eq!(grown, whole, "at {cut}: {:?}", &text[..cut]);
        }
    }
}
