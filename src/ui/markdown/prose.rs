//! Prose to one text: paragraphs, headings, lists and task items, and what
//! nests inside them (code, quotes, tables as plain rows). Also the text of a
//! quote and of a table cell.

use std::ops::Range;

use egui::TextFormat;
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Tag, TagEnd};

use super::links::{Link, add_bare_links};
use super::writer::{Formats, Writer};
use super::{Rich, Task};

/// How far each level of a nested list is indented (points).
const LIST_INDENT: f32 = 18.0;

/// Writes parser events as one text.
pub(super) struct Prose<'f> {
    f: &'f Formats,
    w: Writer,
    bold: u32,
    italic: u32,
    strike: u32,
    heading: Option<HeadingLevel>,
    in_link: bool,
    /// The numbering of each open list (`None` for bullets).
    lists: Vec<Option<u64>>,
    /// The code block being read: its language and code so far.
    code_block: Option<(String, String)>,
    /// The last code block's code, for "Copy code".
    code: Option<String>,
    /// Byte ranges of links, and the link being written (address, start).
    links: Vec<(Range<usize>, String)>,
    open_link: Option<(String, Option<usize>)>,
    /// Byte offsets where task items' text starts, and whether done.
    tasks: Vec<(usize, bool)>,
}

impl<'f> Prose<'f> {
    /// An empty text wrapped at `wrap`; `bold` for a table's header.
    pub(super) fn new(f: &'f Formats, wrap: f32, bold: bool) -> Self {
        Self {
            f,
            w: Writer::new(wrap),
            bold: u32::from(bold),
            italic: 0,
            strike: 0,
            heading: None,
            in_link: false,
            lists: Vec::new(),
            code_block: None,
            code: None,
            links: Vec::new(),
            open_link: None,
            tasks: Vec::new(),
        }
    }

    /// Write `events`.
    pub(super) fn events(&mut self, events: &[Event<'_>]) {
        for (i, event) in events.iter().enumerate() {
            self.event(event, &events[i + 1..]);
        }
    }

    /// Write display math, set apart on its own lines.
    pub(super) fn math(&mut self, tex: &str) {
        self.w.end_line(self.f.math.clone());
        self.w.put(tex.trim(), self.f.math.clone());
        self.w.end_line(self.f.math.clone());
    }

    fn format(&self) -> TextFormat {
        self.f.text(self.bold > 0, self.italic > 0, self.strike > 0, self.heading, self.in_link)
    }

    fn event(&mut self, event: &Event<'_>, next: &[Event<'_>]) {
        let f = self.format();
        match event {
            Event::Start(tag) => self.start(tag, next, f),
            Event::End(tag) => self.end(*tag, f),
            // Code is collected and highlighted as a whole at its end.
            Event::Text(t) if self.code_block.is_some() => {
                if let Some((_, code)) = &mut self.code_block {
                    code.push_str(t);
                }
            }
            Event::Text(t) if self.in_link => self.link_text(t, f),
            // Raw HTML is shown as written: never interpreted.
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => self.w.put(t, f),
            Event::Code(t) => self.link_text(t, self.f.code.clone()),
            Event::InlineMath(t) => self.link_text(t, self.f.math.clone()),
            Event::DisplayMath(t) => self.math(t),
            Event::SoftBreak => self.w.put(" ", f),
            Event::HardBreak => self.w.newline(f),
            Event::Rule => {
                self.w.end_line(f.clone());
                self.w.text("——————", f.clone());
                self.w.newline(f);
            }
            // Drawn as a box by the item's start.
            _ => {}
        }
    }

    /// Text that may open a link.
    fn link_text(&mut self, text: &str, format: TextFormat) {
        let start = self.w.text(text, format);
        if let Some((_, s @ None)) = &mut self.open_link {
            *s = Some(start);
        }
    }

    fn start(&mut self, tag: &Tag<'_>, next: &[Event<'_>], f: TextFormat) {
        match tag {
            Tag::Strong => self.bold += 1,
            Tag::Emphasis => self.italic += 1,
            Tag::Strikethrough => self.strike += 1,
            Tag::Heading { level, .. } => self.heading = Some(*level),
            Tag::Link { dest_url, .. } => {
                self.in_link = true;
                self.open_link = Some((dest_url.to_string(), None));
            }
            Tag::List(first) => {
                // A nested list starts on its own line.
                self.w.end_line(f);
                self.lists.push(*first);
            }
            Tag::Item => self.item(next, f),
            Tag::CodeBlock(kind) => {
                let mut lang = String::new();
                self.w.end_line(f);
                if let CodeBlockKind::Fenced(l) = kind
                    && !l.is_empty()
                {
                    lang = l.split_whitespace().next().unwrap_or("").to_owned();
                    self.w.text(l, TextFormat { color: self.f.weak, ..self.f.code.clone() });
                    self.w.newline(self.f.code.clone());
                }
                self.code_block = Some((lang, String::new()));
            }
            _ => {}
        }
    }

    /// A list item: its marker ("• ", "3. ") or, for a task, room for the
    /// box drawn there; indented by depth.
    fn item(&mut self, next: &[Event<'_>], f: TextFormat) {
        #[expect(clippy::cast_precision_loss, reason = "a list is not nested millions deep")]
        let indent = self.lists.len().saturating_sub(1) as f32 * LIST_INDENT;
        let task = next.iter().find(|e| !matches!(e, Event::Start(Tag::Paragraph)));
        if let Some(Event::TaskListMarker(done)) = task {
            self.tasks.push((self.w.next_pos(), *done));
            self.w.indent(indent + self.f.task_space);
            return;
        }
        let marker = match self.lists.last_mut() {
            Some(Some(n)) => {
                let m = format!("{n}. ");
                *n += 1;
                m
            }
            _ => "• ".to_owned(),
        };
        self.w.indent(indent);
        self.w.put(&marker, f);
    }

    fn end(&mut self, tag: TagEnd, f: TextFormat) {
        match tag {
            TagEnd::Strong => self.bold = self.bold.saturating_sub(1),
            TagEnd::Emphasis => self.italic = self.italic.saturating_sub(1),
            TagEnd::Strikethrough => self.strike = self.strike.saturating_sub(1),
            TagEnd::Heading(_) => {
                self.heading = None;
                self.w.newline(f);
            }
            TagEnd::Link => {
                self.in_link = false;
                if let Some((url, Some(start))) = self.open_link.take() {
                    self.links.push((start..self.w.job.text.len(), url));
                }
            }
            TagEnd::List(_) => {
                self.lists.pop();
            }
            TagEnd::Item => {
                if self.w.indent_waiting() {
                    // An empty task item still shows its box.
                    self.w.put(" ", f.clone());
                }
                self.w.end_line(f);
            }
            TagEnd::Paragraph | TagEnd::TableRow | TagEnd::TableHead => self.w.newline(f),
            TagEnd::CodeBlock => {
                if let Some((lang, code)) = self.code_block.take() {
                    let text = code.trim_end_matches('\n').to_owned();
                    super::code::highlight(&mut self.w, &text, &lang, &self.f.code, self.f.dark);
                    self.w.end_line(f);
                    self.code = Some(text);
                }
            }
            // A table inside a list or quote stays plain rows.
            TagEnd::TableCell => self.w.put(" | ", self.f.code.clone()),
            _ => {}
        }
    }

    /// The text written, and the code of its last code block.
    pub(super) fn finish(self) -> (Rich, Option<String>) {
        let mut links = self.links;
        let job = self.w.job;
        add_bare_links(&job, &[self.f.code.background, self.f.math.background], &mut links);
        links.sort_by_key(|(r, _)| r.start);
        let text = &job.text;
        let chars = |b: usize| text.get(..b).map_or(0, |t| t.chars().count());
        let links = links.into_iter().map(|(r, url)| Link { chars: chars(r.start)..chars(r.end), url }).collect();
        let tasks = self.tasks.into_iter().map(|(b, done)| Task { char: chars(b), done }).collect();
        (Rich { job, links, tasks }, self.code)
    }
}
