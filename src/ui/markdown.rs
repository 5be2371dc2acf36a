//! Markdown to egui text: one [`LayoutJob`] per block (paragraph, heading,
//! list, quote, table, fenced code). GitHub tables and task lists are on;
//! code is monospace on a tinted background; inline and block math keep
//! their TeX in monospace so it stays readable. Parsing is per block, so a
//! streaming reply re-parses only its last block.

use egui::text::LayoutJob;
use egui::{Color32, FontFamily, FontId, Stroke, TextFormat, TextStyle, Ui};
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// A link in a laid-out block: the characters it covers and where it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// Character (not byte) range in the block's text, as galley cursors count.
    pub chars: std::ops::Range<usize>,
    /// The address.
    pub url: String,
}

/// Whether a link may be opened: web and mail addresses only (never
/// `file:`, `javascript:` or app schemes a reply could smuggle in).
#[must_use]
pub fn openable(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    ["https://", "http://", "mailto:"].iter().any(|p| lower.starts_with(p))
}

/// Bare `http(s)://` addresses in `text`, as byte ranges. Trailing
/// punctuation stays outside ("see https://x.org." ends before the dot), and
/// a closing bracket only belongs to the address if it opened one.
fn bare_urls(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = ["https://", "http://"].iter().filter_map(|p| text[from..].find(p)).min() {
        let start = from + found;
        let len = text[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`'))
            .unwrap_or(text.len() - start);
        let mut url = &text[start..start + len];
        loop {
            let opened = |o: char, c: char| url.matches(o).count() >= url.matches(c).count();
            url = match url.chars().last() {
                Some('.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' | '_') => &url[..url.len() - 1],
                Some(')') if !opened('(', ')') => &url[..url.len() - 1],
                Some(']') if !opened('[', ']') => &url[..url.len() - 1],
                _ => break,
            };
        }
        if url.len() > "https://".len() {
            out.push(start..start + url.len());
        }
        from = start + len.max(1);
    }
    out
}

/// What a laid-out block is, for the row's actions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockKind {
    /// Prose, lists, tables…
    Text,
    /// A fenced or indented code block, with its raw code for "Copy code".
    Code(String),
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

/// Appends text to a job, holding back newlines until more text follows so a
/// block never ends in empty lines.
struct Writer {
    job: LayoutJob,
    newline: Option<TextFormat>,
}

impl Writer {
    /// Append `text`; returns the byte offset where it starts.
    fn text(&mut self, text: &str, format: TextFormat) -> usize {
        if let Some(nl) = self.newline.take() {
            self.job.append("\n", 0.0, nl);
        }
        let start = self.job.text.len();
        self.job.append(text, 0.0, format);
        start
    }

    /// Append `text`.
    fn put(&mut self, text: &str, format: TextFormat) {
        self.text(text, format);
    }

    fn newline(&mut self, format: TextFormat) {
        if let Some(nl) = self.newline.replace(format) {
            self.job.append("\n", 0.0, nl);
        }
    }
}

/// Load the syntax definitions now (tens of ms), so the first code block
/// does not pay for it on the UI thread. Native `main` calls it on a thread.
pub fn preload() {
    // Only the side effect matters: the sets are loaded and kept.
    syntect();
}

/// The syntax definitions and themes, loaded once.
fn syntect() -> &'static (syntect::parsing::SyntaxSet, syntect::highlighting::ThemeSet) {
    static SETS: std::sync::OnceLock<(syntect::parsing::SyntaxSet, syntect::highlighting::ThemeSet)> =
        std::sync::OnceLock::new();
    SETS.get_or_init(|| {
        (syntect::parsing::SyntaxSet::load_defaults_newlines(), syntect::highlighting::ThemeSet::load_defaults())
    })
}

/// A run of highlighted code: its colour and text (no newline).
type Run = (Color32, String);

/// What was highlighted of one code block: its complete lines, their runs and
/// the highlighter's state after them. A code block streaming in grows by a
/// few characters per frame; with this, only its new lines are highlighted
/// (syntect's pure-Rust regexes manage about 0.4 MB/s, so highlighting a
/// 300-line block from the start took 50 ms per frame).
struct Highlighted {
    lang: String,
    dark: bool,
    /// The complete lines (each ending in `\n`) highlighted so far.
    prefix: String,
    lines: Vec<Vec<Run>>,
    state: (syntect::highlighting::HighlightState, syntect::parsing::ParseState),
}

/// Code blocks remembered (a few are on screen at a time).
const HIGHLIGHT_CACHE: usize = 16;

thread_local! {
    static HIGHLIGHTED: std::cell::RefCell<std::collections::VecDeque<Highlighted>> =
        const { std::cell::RefCell::new(std::collections::VecDeque::new()) };
}

/// Append `code` coloured for `lang` (plain monospace when the language is
/// unknown or highlighting fails).
fn highlight(w: &mut Writer, code: &str, lang: &str, base: &TextFormat, dark: bool) {
    use syntect::easy::HighlightLines;
    use syntect::util::LinesWithEndings;
    let (syntaxes, themes) = syntect();
    let syntax = if lang.is_empty() { None } else { syntaxes.find_syntax_by_token(lang) };
    let theme = themes.themes.get(if dark { "base16-ocean.dark" } else { "InspiredGitHub" });
    let (Some(syntax), Some(theme)) = (syntax, theme) else {
        plain_lines(w, code, base);
        return;
    };
    let runs = |spans: Vec<(syntect::highlighting::Style, &str)>| -> Vec<Run> {
        spans
            .into_iter()
            .map(|(style, piece)| {
                let c = style.foreground;
                (Color32::from_rgb(c.r, c.g, c.b), piece.trim_end_matches('\n').to_owned())
            })
            .collect()
    };
    HIGHLIGHTED.with_borrow_mut(|cache| {
        // The longest earlier highlighting this code continues, else a fresh one.
        let found = cache
            .iter()
            .enumerate()
            .filter(|(_, h)| h.lang == lang && h.dark == dark && code.starts_with(&h.prefix))
            .max_by_key(|(_, h)| h.prefix.len())
            .map(|(i, _)| i);
        let mut done = match found.and_then(|i| cache.remove(i)) {
            Some(h) => h,
            None => Highlighted {
                lang: lang.to_owned(),
                dark,
                prefix: String::new(),
                lines: Vec::new(),
                state: HighlightLines::new(syntax, theme).state(),
            },
        };
        let mut partial: Option<Vec<Run>> = None;
        let mut failed = false;
        for line in LinesWithEndings::from(&code[done.prefix.len()..]) {
            let complete = line.ends_with('\n');
            let (hs, ps) = done.state.clone();
            let mut h = HighlightLines::from_state(theme, hs, ps);
            let Ok(spans) = h.highlight_line(line, syntaxes) else {
                failed = true;
                break;
            };
            let spans = runs(spans);
            if complete {
                done.state = h.state();
                done.prefix.push_str(line);
                done.lines.push(spans);
            } else {
                partial = Some(spans);
            }
        }
        if failed {
            plain_lines(w, code, base);
            return;
        }
        for (i, line) in done.lines.iter().chain(partial.iter()).enumerate() {
            if i > 0 {
                w.newline(base.clone());
            }
            for (color, text) in line {
                if !text.is_empty() {
                    w.text(text, TextFormat { color: *color, ..base.clone() });
                }
            }
        }
        if code.ends_with('\n') {
            w.newline(base.clone());
        }
        cache.push_front(done);
        cache.truncate(HIGHLIGHT_CACHE);
    });
}

fn plain_lines(w: &mut Writer, code: &str, base: &TextFormat) {
    for (i, line) in code.split('\n').enumerate() {
        if i > 0 {
            w.newline(base.clone());
        }
        if !line.is_empty() {
            w.text(line, base.clone());
        }
    }
}

/// The text formats of a block, from the style and the text colour.
struct Formats {
    body: FontId,
    strong: Color32,
    link: Color32,
    color: Color32,
    /// Inline code and code blocks.
    code: TextFormat,
}

impl Formats {
    fn new(ui: &Ui, color: Color32) -> Self {
        let style = ui.style();
        let mono = TextStyle::Monospace.resolve(style);
        Self {
            body: TextStyle::Body.resolve(style),
            strong: ui.visuals().strong_text_color(),
            link: ui.visuals().hyperlink_color,
            color,
            code: TextFormat {
                font_id: FontId::new(mono.size, FontFamily::Monospace),
                color,
                background: ui.visuals().code_bg_color,
                ..Default::default()
            },
        }
    }

    /// Prose in the given styles.
    fn text(&self, bold: bool, italic: bool, strike: bool, heading: Option<HeadingLevel>, link_on: bool) -> TextFormat {
        let size = match heading {
            Some(HeadingLevel::H1) => self.body.size * 1.5,
            Some(HeadingLevel::H2) => self.body.size * 1.3,
            Some(_) => self.body.size * 1.15,
            None => self.body.size,
        };
        let color = if link_on {
            self.link
        } else if bold || heading.is_some() {
            self.strong
        } else {
            self.color
        };
        TextFormat {
            font_id: FontId::new(size, self.body.family.clone()),
            color,
            italics: italic,
            strikethrough: if strike { Stroke::new(1.0, self.color) } else { Stroke::NONE },
            underline: if link_on { Stroke::new(1.0, self.link) } else { Stroke::NONE },
            ..Default::default()
        }
    }
}

/// The marker of a new list item ("• ", "3. "), indented by its depth.
fn list_marker(list_stack: &mut [Option<u64>]) -> String {
    let depth = list_stack.len().saturating_sub(1);
    let marker = match list_stack.last_mut() {
        Some(Some(n)) => {
            let m = format!("{n}. ");
            *n += 1;
            m
        }
        _ => "• ".to_owned(),
    };
    format!("{}{marker}", "    ".repeat(depth))
}

/// Bare addresses in prose are links too (not in code, not inside links).
/// Found in the finished text: the parser may split one across events.
fn add_bare_links(job: &LayoutJob, code_bg: Color32, links: &mut Vec<(std::ops::Range<usize>, String)>) {
    for r in bare_urls(&job.text) {
        let in_code = job
            .sections
            .iter()
            .any(|s| (s.byte_range.start.0..s.byte_range.end.0).contains(&r.start) && s.format.background == code_bg);
        let in_link = links.iter().any(|(l, _)| l.start < r.end && r.start < l.end);
        if !in_code && !in_link {
            links.push((r.clone(), job.text[r].to_owned()));
        }
    }
}

/// Lay out one markdown block for `wrap` width; also returns its links.
#[must_use]
pub fn block_job(ui: &Ui, source: &str, wrap: f32, color: Color32) -> (LayoutJob, BlockKind, Vec<Link>) {
    let formats = Formats::new(ui, color);
    let code_fmt = formats.code.clone();
    let mut job = LayoutJob::default();
    job.wrap.max_width = wrap;
    let mut w = Writer { job, newline: None };
    let mut kind = BlockKind::Text;

    let (mut bold, mut italic, mut strike, mut heading, mut code_block, mut in_link) = (0, 0, 0, None, false, false);
    let mut list_stack: Vec<Option<u64>> = Vec::new();
    let mut code = String::new();
    let mut lang = String::new();
    // Byte ranges of links, and the link being written (address, start).
    let mut links: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut open_link: Option<(String, Option<usize>)> = None;
    for event in Parser::new_ext(source, options()) {
        let f = formats.text(bold > 0, italic > 0, strike > 0, heading, in_link);
        match event {
            Event::Start(Tag::Strong) => bold += 1,
            Event::End(TagEnd::Strong) => bold -= 1,
            Event::Start(Tag::Emphasis) => italic += 1,
            Event::End(TagEnd::Emphasis) => italic -= 1,
            Event::Start(Tag::Strikethrough) => strike += 1,
            Event::End(TagEnd::Strikethrough) => strike -= 1,
            Event::Start(Tag::Heading { level, .. }) => heading = Some(level),
            Event::End(TagEnd::Heading(_)) => {
                heading = None;
                w.newline(f);
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                in_link = true;
                open_link = Some((dest_url.to_string(), None));
            }
            Event::End(TagEnd::Link) => {
                in_link = false;
                if let Some((url, Some(start))) = open_link.take() {
                    links.push((start..w.job.text.len(), url));
                }
            }
            Event::Start(Tag::List(first)) => list_stack.push(first),
            Event::End(TagEnd::List(_)) => {
                list_stack.pop();
            }
            Event::Start(Tag::Item) => w.put(&list_marker(&mut list_stack), f),
            Event::End(TagEnd::Item | TagEnd::Paragraph | TagEnd::TableRow | TagEnd::TableHead) => {
                w.newline(f);
            }
            Event::Start(Tag::CodeBlock(k)) => {
                code_block = true;
                if let CodeBlockKind::Fenced(l) = k
                    && !l.is_empty()
                {
                    lang = l.split_whitespace().next().unwrap_or("").to_owned();
                    w.text(&l, TextFormat { color: ui.visuals().weak_text_color(), ..code_fmt.clone() });
                    w.newline(code_fmt.clone());
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                code_block = false;
                let text = code.trim_end_matches('\n').to_owned();
                highlight(&mut w, &text, &lang, &code_fmt, ui.visuals().dark_mode);
                kind = BlockKind::Code(text);
            }
            Event::End(TagEnd::TableCell) => w.put(" | ", code_fmt.clone()),
            Event::TaskListMarker(done) => w.put(if done { "[x] " } else { "[ ] " }, f),
            // Code is collected and highlighted as a whole at its end.
            Event::Text(t) if code_block => code.push_str(&t),
            Event::Text(t) if in_link => {
                let start = w.text(&t, f);
                if let Some((_, s @ None)) = &mut open_link {
                    *s = Some(start);
                }
            }
            // Raw HTML is shown as written: never interpreted.
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => w.put(&t, f),
            Event::Code(t) | Event::InlineMath(t) => {
                let start = w.text(&t, code_fmt.clone());
                if let Some((_, s @ None)) = &mut open_link {
                    *s = Some(start);
                }
            }
            Event::DisplayMath(t) => {
                w.text(&t, code_fmt.clone());
                w.newline(f);
            }
            Event::SoftBreak => w.put(" ", f),
            Event::HardBreak => w.newline(f),
            Event::Rule => {
                w.text("——————", f.clone());
                w.newline(f);
            }
            _ => {}
        }
    }
    add_bare_links(&w.job, formats.code.background, &mut links);
    links.sort_by_key(|(r, _)| r.start);
    let text = &w.job.text;
    let chars = |b: usize| text.get(..b).map_or(0, |t| t.chars().count());
    let links = links.into_iter().map(|(r, url)| Link { chars: chars(r.start)..chars(r.end), url }).collect();
    (w.job, kind, links)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_start_after_blank_lines() {
        let text = "one\n\ntwo\nstill two\n\n\nthree";
        let starts = block_starts(text, 0);
        assert_eq!(starts.iter().map(|&s| &text[s..s + 3]).collect::<Vec<_>>(), vec!["one", "two", "thr"]);
        assert_eq!(block_starts("trailing\n\n", 0), vec![0]);
        assert_eq!(block_starts(text, starts[1]), starts[1..].to_vec());
    }

    #[test]
    fn blocks_split_at_blank_lines_but_not_inside_code_fences() {
        let text = "Intro\n\n```rust\nfn a() {}\n\nfn b() {}\n```\n\nAfter";
        let starts = block_starts(text, 0);
        let blocks: Vec<&str> = starts
            .iter()
            .enumerate()
            .map(|(i, &s)| &text[s..starts.get(i + 1).copied().unwrap_or(text.len())])
            .collect();
        assert_eq!(blocks, vec!["Intro\n\n", "```rust\nfn a() {}\n\nfn b() {}\n```\n\n", "After"]);
        assert_eq!(block_starts("streaming\n\n", 0), vec![0]);
    }

    fn plain(source: &str) -> (String, BlockKind) {
        let ctx = egui::Context::default();
        let mut out = (String::new(), BlockKind::Text);
        ctx.run_ui(egui::RawInput::default(), |ui| {
            let (job, kind, _) = block_job(ui, source, 400.0, Color32::WHITE);
            out = (job.text, kind);
        })
        .textures_delta
        .clear();
        out
    }

    #[test]
    fn code_is_coloured_by_language() {
        let ctx = egui::Context::default();
        let mut colours = Vec::new();
        ctx.run_ui(egui::RawInput::default(), |ui| {
            let (job, _, _) = block_job(ui, "```rust\nfn main() { let x = 42; }\n```", 400.0, Color32::WHITE);
            colours = job.sections.iter().map(|s| s.format.color).collect();
        })
        .textures_delta
        .clear();
        colours.dedup();
        assert!(colours.len() >= 3, "keywords, names and numbers differ: {colours:?}");
    }

    fn links(source: &str) -> Vec<(String, String)> {
        let ctx = egui::Context::default();
        let mut out = Vec::new();
        ctx.run_ui(egui::RawInput::default(), |ui| {
            let (job, _, links) = block_job(ui, source, 400.0, Color32::WHITE);
            let chars: Vec<char> = job.text.chars().collect();
            out = links.into_iter().map(|l| (chars[l.chars].iter().collect(), l.url)).collect();
        })
        .textures_delta
        .clear();
        out
    }

    /// (colour, text) of each section of a block's job.
    fn coloured(source: &str) -> Vec<(Color32, String)> {
        let ctx = egui::Context::default();
        let mut out = Vec::new();
        ctx.run_ui(egui::RawInput::default(), |ui| {
            let (job, _, _) = block_job(ui, source, 400.0, Color32::WHITE);
            out = job
                .sections
                .iter()
                .map(|s| (s.format.color, job.text[s.byte_range.start.0..s.byte_range.end.0].to_owned()))
                .collect();
        })
        .textures_delta
        .clear();
        out
    }

    #[test]
    fn code_highlighted_as_it_streams_in_matches_highlighting_it_whole() {
        let code = "```rust\n/* a comment\nover lines */\nfn main() {\n    let s = \"text\";\n    let n = 42;\n}\n```";
        let mut cuts: Vec<usize> = code.char_indices().map(|(i, _)| i).filter(|&i| i > 8).collect();
        cuts.push(code.len());
        for &cut in &cuts {
            // Grown a piece at a time (the cache continues earlier work)…
            let streamed = coloured(&code[..cut]);
            // …and from nothing.
            HIGHLIGHTED.with_borrow_mut(std::collections::VecDeque::clear);
            let whole = coloured(&code[..cut]);
            assert_eq!(streamed, whole, "at {cut}: {:?}", &code[..cut]);
        }
        let colours: std::collections::HashSet<_> = coloured(code).into_iter().map(|(c, _)| c).collect();
        assert!(colours.len() >= 4, "comment, keyword, string, number differ: {colours:?}");
    }

    #[test]
    fn links_know_their_text_and_address() {
        assert_eq!(
            links("Read **[the “docs”](https://example.com/d)** first."),
            vec![("the “docs”".to_owned(), "https://example.com/d".to_owned())]
        );
        assert_eq!(
            links("Ünïcode first, then https://example.org/a_(b). And http://x.io, done"),
            vec![
                ("https://example.org/a_(b)".to_owned(), "https://example.org/a_(b)".to_owned()),
                ("http://x.io".to_owned(), "http://x.io".to_owned())
            ]
        );
        assert_eq!(
            links("<https://auto.link/x>"),
            vec![("https://auto.link/x".to_owned(), "https://auto.link/x".to_owned())]
        );
        assert!(links("`https://in.code/x` and https:// alone").is_empty());
        assert_eq!(links("(see https://x.org/y)")[0].1, "https://x.org/y");
        assert!(openable("HTTPS://example.com") && openable("mailto:a@b.c"));
        assert!(!openable("javascript:alert(1)") && !openable("file:///etc/passwd") && !openable("slack://x"));
    }

    #[test]
    fn markdown_becomes_readable_text() {
        assert_eq!(plain("# Title").0, "Title");
        assert_eq!(plain("Some **bold** and `code`.").0, "Some bold and code.");
        assert_eq!(plain("- one\n- [x] two").0, "• one\n• [x] two");
        assert_eq!(plain("1. a\n2. b").0, "1. a\n2. b");
        assert_eq!(plain("| a | b |\n|---|---|\n| 1 | 2 |").0, "a | b | \n1 | 2 | ");
        assert_eq!(plain("Euler: $e^{i\\pi}+1=0$").0, "Euler: e^{i\\pi}+1=0");
        let (text, kind) = plain("```rust\nfn main() {}\n```");
        assert_eq!(text, "rust\nfn main() {}");
        assert_eq!(kind, BlockKind::Code("fn main() {}".to_owned()));
        let (text, _) = plain("```\nplain\n\ncode\n```");
        assert_eq!(text, "plain\n\ncode");
    }
}
