//! Links in a block: which may be opened, and bare addresses found in prose.

use std::ops::Range;

use egui::Color32;
use egui::text::LayoutJob;

/// A link in a laid-out text: the characters it covers and where it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// Character (not byte) range in the text, as galley cursors count.
    pub chars: Range<usize>,
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
fn bare_urls(text: &str) -> Vec<Range<usize>> {
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

/// Bare addresses in prose are links too (not in code or math, whose
/// backgrounds are `not_prose`, not inside links).
/// Found in the finished text: the parser may split one across events.
pub(super) fn add_bare_links(job: &LayoutJob, not_prose: &[Color32], links: &mut Vec<(Range<usize>, String)>) {
    for r in bare_urls(&job.text) {
        let in_code = job.sections.iter().any(|s| {
            (s.byte_range.start.0..s.byte_range.end.0).contains(&r.start) && not_prose.contains(&s.format.background)
        });
        let in_link = links.iter().any(|(l, _)| l.start < r.end && r.start < l.end);
        if !in_code && !in_link {
            links.push((r.clone(), job.text[r].to_owned()));
        }
    }
}
