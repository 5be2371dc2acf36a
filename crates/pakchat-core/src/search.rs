//! Search terms, the same on every side: how a message's text and a query
//! are split into normalized words (lower case, accents folded, ideographs
//! one by one), whether a text holds every term of a query, and the snippet
//! shown for a hit. The store's blind index (`pakchat-store`) turns these
//! terms into keyed tokens; the UI uses them to match titles as they are
//! typed.

use std::collections::HashSet;
use std::ops::Range;

/// Terms longer than this many characters are cut (on both sides alike).
pub const MAX_TERM_CHARS: usize = 40;

/// Whether `c` is written without spaces between words (CJK, kana, Hangul
/// syllables are searched one character at a time).
fn is_ideographic(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x2FFFF) // CJK Extensions B–F
}

/// The letter without its accent, for the common precomposed Latin letters
/// (so "café" finds "cafe" and the other way round).
fn fold(c: char) -> char {
    match c {
        'à'..='å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
        'ď' | 'đ' => 'd',
        'è'..='ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'ì'..='ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => 'i',
        'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
        'ò'..='ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => 'o',
        'ś' | 'ŝ' | 'ş' | 'š' => 's',
        'ţ' | 'ť' => 't',
        'ù'..='ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'ý' | 'ÿ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        'ł' => 'l',
        _ => c,
    }
}

/// The words of `text` with their byte ranges, each normalized: lower case,
/// accents folded, cut at [`MAX_TERM_CHARS`]. Words are runs of letters and
/// digits; ideographs are words of one character. Single Latin letters and
/// digits are not words (too common to be worth an entry).
pub fn words(text: &str) -> impl Iterator<Item = (Range<usize>, String)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        loop {
            let (start, c) = chars.next()?;
            if !c.is_alphanumeric() {
                continue;
            }
            if is_ideographic(c) {
                return Some((start..start + c.len_utf8(), c.to_string()));
            }
            let mut end = start + c.len_utf8();
            let mut term = String::new();
            let mut count = 0;
            let mut push = |c: char, term: &mut String| {
                for l in c.to_lowercase() {
                    if count < MAX_TERM_CHARS {
                        term.push(fold(l));
                        count += 1;
                    }
                }
            };
            push(c, &mut term);
            while let Some(&(i, c)) = chars.peek() {
                if !c.is_alphanumeric() || is_ideographic(c) {
                    break;
                }
                push(c, &mut term);
                end = i + c.len_utf8();
                chars.next();
            }
            if term.chars().count() > 1 {
                return Some((start..end, term));
            }
        }
    })
}

/// The distinct normalized terms of `text`, in order of first appearance.
#[must_use]
pub fn terms(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    words(text).filter_map(|(_, t)| seen.insert(t.clone()).then_some(t)).collect()
}

/// Whether every one of `query_terms` is a word of `text`.
#[must_use]
pub fn matches_all(text: &str, query_terms: &[String]) -> bool {
    let have: HashSet<String> = words(text).map(|(_, t)| t).collect();
    query_terms.iter().all(|t| have.contains(t))
}

/// A piece of a message around its first match, for a result list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snippet {
    /// The text shown (with "…" where it was cut).
    pub text: String,
    /// Byte ranges of `text` that matched a query term.
    pub highlights: Vec<Range<usize>>,
}

/// About `max_chars` characters of `text` around the first word that is one
/// of `query_terms`, with every match in it marked. Line breaks become
/// spaces.
#[must_use]
pub fn snippet(text: &str, query_terms: &[String], max_chars: usize) -> Snippet {
    let wanted: HashSet<&str> = query_terms.iter().map(String::as_str).collect();
    let hits: Vec<Range<usize>> = words(text).filter(|(_, t)| wanted.contains(t.as_str())).map(|(r, _)| r).collect();
    let first = hits.first().map_or(0, |r| r.start);
    // Start a third of the window before the first hit, on a char boundary.
    let start = text[..first].char_indices().rev().take(max_chars / 3).last().map_or(first, |(i, _)| i);
    let end = text[start..].char_indices().nth(max_chars).map_or(text.len(), |(i, _)| start + i);
    let lead = if start > 0 { "…" } else { "" };
    let mut out = String::from(lead);
    // Whitespace control characters are one byte, like the space that
    // replaces them, so byte offsets carry over.
    out.extend(text[start..end].chars().map(|c| if matches!(c, '\n' | '\r' | '\t') { ' ' } else { c }));
    if end < text.len() {
        out.push('…');
    }
    let highlights = hits
        .into_iter()
        .filter(|r| r.start >= start && r.end <= end)
        .map(|r| r.start - start + lead.len()..r.end - start + lead.len())
        .collect();
    Snippet { text: out, highlights }
}
