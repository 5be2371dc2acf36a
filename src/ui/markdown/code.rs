//! Syntax highlighting of code blocks (syntect), continued line by line as
//! a block streams in.

use egui::{Color32, TextFormat};

use super::writer::Writer;

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
pub(super) fn highlight(w: &mut Writer, code: &str, lang: &str, base: &TextFormat, dark: bool) {
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

/// Forget what was highlighted (a test highlights from nothing).
#[cfg(test)]
pub(super) fn forget_highlighting() {
    HIGHLIGHTED.with_borrow_mut(std::collections::VecDeque::clear);
}
