//! Markdown to egui text. A message is split into blocks at blank lines
//! ([`block_starts`]); each block is parsed alone, so a streaming reply
//! re-parses only its last block, and becomes [`Part`]s: prose (one text per
//! run of paragraphs, headings and lists), a code block (highlighted), a
//! quote, displayed math, or a GitHub table (one text per cell). Task items
//! leave room for a box the chat view draws; math keeps its TeX, in
//! monospace on its own tint.

mod code;
mod links;
mod prose;
mod table;
#[cfg(test)]
mod tests;
mod writer;

use egui::text::LayoutJob;
use egui::{Color32, Ui};
use pulldown_cmark::{Event, Options, Parser, Tag};

pub use code::preload;
pub use links::{Link, openable};
pub use table::{Table, column_widths};
pub use writer::math_bg;

use prose::Prose;
use writer::Formats;

/// How far a quote's text is indented (its bar is drawn in that room).
pub const QUOTE_INDENT: f32 = 14.0;
/// Padding each side of displayed math inside its panel.
pub const MATH_PAD: f32 = 8.0;

/// A task item's box: where its text starts and whether it is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Task {
    /// Character index where the item's text starts (the box is left of it).
    pub char: usize,
    /// Checked.
    pub done: bool,
}

/// Text ready to lay out, with its links and task boxes.
#[derive(Clone, Debug)]
pub struct Rich {
    /// The text and its formats.
    pub job: LayoutJob,
    /// Links (clickable).
    pub links: Vec<Link>,
    /// Task boxes to draw.
    pub tasks: Vec<Task>,
}

/// One part of a block, drawn by its kind.
#[derive(Clone, Debug)]
pub enum Part {
    /// Paragraphs, headings, lists.
    Text(Rich),
    /// A code block (or prose holding one), with its raw code for "Copy code".
    Code(Rich, String),
    /// A block quote: its text, in a weaker colour, drawn indented behind a bar.
    Quote(Rich),
    /// Displayed math (`$$…$$`), its TeX shown apart in a panel.
    Math(Rich),
    /// A GitHub table.
    Table(Table),
}

/// Where blocks of `text[from..]` start: after a blank line (a run of blank
/// lines stays with the block before it), but never inside a fenced code
/// block. Used for every row, markdown or not.
#[must_use]
pub fn block_starts(text: &str, from: usize) -> Vec<usize> {
    let mut starts = vec![from];
    let mut in_fence = false;
    let mut blank_seen = false;
    let mut offset = from;
    for line in text[from..].split_inclusive('\n') {
        let trimmed = line.trim_start();
        let is_fence = trimmed.starts_with("```") || trimmed.starts_with("~~~");
        if !in_fence && blank_seen && !line.trim().is_empty() && offset > from {
            starts.push(offset);
        }
        if is_fence {
            in_fence = !in_fence;
        }
        blank_seen = !in_fence && line.trim().is_empty();
        offset += line.len();
    }
    starts
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_MATH
}

/// A top-level element's kind, as it decides which [`Part`] it becomes.
#[derive(PartialEq, Eq)]
enum Top {
    /// Joins the prose around it.
    Prose,
    Code,
    Quote,
    Math,
    Table,
}

fn top(events: &[Event<'_>]) -> Top {
    match events.first() {
        Some(Event::Start(Tag::Table(_))) => Top::Table,
        Some(Event::Start(Tag::BlockQuote(_))) => Top::Quote,
        Some(Event::Start(Tag::CodeBlock(_))) => Top::Code,
        // A paragraph of nothing but `$$…$$` is displayed math.
        Some(Event::Start(Tag::Paragraph))
            if events.iter().any(|e| matches!(e, Event::DisplayMath(_)))
                && events[1..events.len() - 1].iter().all(|e| match e {
                    Event::DisplayMath(_) | Event::SoftBreak | Event::HardBreak => true,
                    Event::Text(t) => t.trim().is_empty(),
                    _ => false,
                }) =>
        {
            Top::Math
        }
        _ => Top::Prose,
    }
}

/// The index ranges of the top-level elements of `events`.
fn top_level(events: &[Event<'_>]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, event) in events.iter().enumerate() {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < events.len() {
        out.push(start..events.len());
    }
    out
}

/// Prose (a run of elements) as a text part, or a code part if it holds code.
fn prose_part(f: &Formats, events: &[Event<'_>], wrap: f32) -> Part {
    let mut prose = Prose::new(f, wrap, false);
    prose.events(events);
    match prose.finish() {
        (rich, Some(code)) => Part::Code(rich, code),
        (rich, None) => Part::Text(rich),
    }
}

/// Lay out one markdown block (text up to a blank line) for `wrap` width, in
/// `color`: its parts, in order.
#[must_use]
pub fn block_parts(ui: &Ui, source: &str, wrap: f32, color: Color32) -> Vec<Part> {
    let events: Vec<Event<'_>> = Parser::new_ext(source, options()).collect();
    let formats = Formats::new(ui, color);
    let mut parts = Vec::new();
    // The run of prose elements not yet written.
    let mut run: Option<std::ops::Range<usize>> = None;
    for range in top_level(&events) {
        let element = &events[range.clone()];
        let kind = top(element);
        if kind == Top::Prose {
            run = Some(run.map_or(range.clone(), |r| r.start..range.end));
            continue;
        }
        if let Some(r) = run.take() {
            parts.push(prose_part(&formats, &events[r], wrap));
        }
        parts.push(match kind {
            Top::Table => Part::Table(table::table(&formats, element)),
            Top::Quote => {
                let quote = Formats::new(ui, color.lerp_to_gamma(ui.visuals().weak_text_color(), 0.4));
                let mut prose = Prose::new(&quote, wrap - QUOTE_INDENT, false);
                prose.events(&element[1..element.len() - 1]);
                Part::Quote(prose.finish().0)
            }
            Top::Math => {
                let mut prose = Prose::new(&formats, wrap - 2.0 * MATH_PAD, false);
                for event in element {
                    if let Event::DisplayMath(tex) = event {
                        prose.math(tex);
                    }
                }
                Part::Math(prose.finish().0)
            }
            Top::Code | Top::Prose => prose_part(&formats, element, wrap),
        });
    }
    if let Some(r) = run {
        parts.push(prose_part(&formats, &events[r], wrap));
    }
    if parts.is_empty() {
        // An empty message still has its (empty) line.
        parts.push(prose_part(&formats, &[], wrap));
    }
    parts
}
