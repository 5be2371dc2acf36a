//! Laid-out text of one chat row, cached per width, in blocks (paragraphs
//! split after a blank line). A reply streaming in only appends, so each frame
//! lays out again only its last block: the cost of a frame does not grow with
//! the length of the message. Assistant replies are markdown ([`super::markdown`]).

use std::sync::Arc;

use egui::text::LayoutJob;
use egui::{FontSelection, Galley, TextStyle, Ui, Vec2, vec2};

use crate::domain::{Message, MessageStatus, Role};

use super::view_model::RowContent;

/// Padding inside a row.
pub const PAD: Vec2 = vec2(12.0, 8.0);
/// Space below a row.
pub const GAP: f32 = 6.0;
/// Space between the header line and the body.
pub const HEADER_GAP: f32 = 2.0;
/// Space between markdown blocks (their blank lines are not laid out).
pub const BLOCK_GAP: f32 = 8.0;

/// One laid-out block of the body.
#[derive(Clone, Debug)]
pub struct Block {
    /// Where the block starts in the text.
    pub start: usize,
    /// The galley.
    pub galley: Arc<Galley>,
    /// The raw code of a code block, for "Copy code".
    pub code: Option<String>,
    /// Links in the block (clickable).
    pub links: Vec<super::markdown::Link>,
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
    let usage = message
        .usage
        .filter(|u| u.input_tokens + u.output_tokens > 0)
        .map(|u| format!(" · {} in / {} out tokens", u.input_tokens, u.output_tokens))
        .unwrap_or_default();
    format!("{who}{status}{usage}")
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
    let show_reasoning = expanded && !reasoning.is_empty();
    if show_reasoning && (c.reasoning.is_none() || c.reasoning_len != reasoning.len()) {
        c.reasoning = Some(galley(ui, reasoning, TextStyle::Body, visuals.weak_text_color(), true, wrap));
        c.reasoning_len = reasoning.len();
    } else if !show_reasoning {
        c.reasoning = None;
    }
    if c.blocks.is_empty() || body.len() != c.laid_len {
        // Re-lay only from the start of the last block: earlier ones are final.
        let from = c.blocks.pop().map_or(0, |b| b.start);
        let starts = super::markdown::block_starts(body, from);
        for (k, &start) in starts.iter().enumerate() {
            let end = starts.get(k + 1).copied().unwrap_or(body.len());
            let text = body.get(start..end).unwrap_or("");
            let block = if markdown {
                let (job, kind, links) = super::markdown::block_job(ui, text, wrap, color);
                let code = match kind {
                    super::markdown::BlockKind::Code(code) => Some(code),
                    super::markdown::BlockKind::Text => None,
                };
                Block { start, galley: ui.painter().layout_job(job), code, links }
            } else {
                Block {
                    start,
                    galley: galley(ui, text, TextStyle::Body, color, false, wrap),
                    code: None,
                    links: Vec::new(),
                }
            };
            c.blocks.push(block);
        }
        c.laid_len = body.len();
    }
    let reasoning_h = c.reasoning.as_ref().map_or(0.0, |g| g.size().y + HEADER_GAP * 4.0);
    let body_h: f32 = c.blocks.iter().map(|b| b.galley.size().y).sum::<f32>()
        + if markdown { BLOCK_GAP * c.blocks.len().saturating_sub(1) as f32 } else { 0.0 };
    c.height = PAD.y * 2.0 + c.header.size().y + HEADER_GAP + reasoning_h + body_h + GAP;
    c
}
