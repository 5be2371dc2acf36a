//! The blind search index: find messages by the words in them without any
//! plaintext on disk.
//!
//! Every indexed message's text is split into normalized terms ([`terms`]).
//! Each term becomes a *token*: the first [`TOKEN_LEN`] bytes of
//! HMAC-SHA256 under a key derived from the data key, so the same word
//! gives the same token in this profile only, and a token tells nothing
//! about its word to anyone without the key. A posting is the key
//! `token ‖ thread id ‖ position` with an empty value in
//! [`Table::SearchPostings`]; [`Table::SearchDocs`] keeps, sealed, the tokens
//! of each message so an edit or a purge can remove exactly its postings.
//!
//! What the index does reveal to someone holding the disk: how many messages
//! share an (unknown) word, and which messages share words — the usual
//! leakage of a blind index. Lengths and words themselves stay hidden.
//!
//! A query's terms must all be in a message (AND). The query walks the
//! postings of its rarest term from the newest thread back and checks each
//! hit against the other terms, so a two-term query costs about the length
//! of the shorter posting list (capped by the result limit), not the size of
//! the history. Postings of a crashed half-write can be stale; callers
//! verify hits against the opened message ([`matches_all`]).

use std::collections::HashSet;

use hmac::{Hmac, Mac as _};
use sha2::Sha256;

use super::kv::{Kv, KvError, Table};
use pakchat_core::ThreadId;
pub use pakchat_core::search::{MAX_TERM_CHARS, Snippet, matches_all, snippet, terms, words};

/// Bytes of a term token. 64 bits: collisions among a profile's words are
/// vanishingly rare, and a collision only adds a hit that verification drops.
pub const TOKEN_LEN: usize = 8;
/// Bytes of a posting key: token ‖ thread id ‖ position.
const POSTING_LEN: usize = TOKEN_LEN + 16 + 8;
/// Postings read per step of a query.
const PAGE: usize = 2048;

/// One term's token.
pub type Token = [u8; TOKEN_LEN];

/// A message's place: its thread and stored position.
pub type DocRef = (ThreadId, u64);

/// Makes tokens and reads and writes postings; holds the index key.
#[derive(Clone)]
pub struct Index {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Index")
    }
}

fn posting(token: &Token, doc: DocRef) -> [u8; POSTING_LEN] {
    let mut key = [0u8; POSTING_LEN];
    key[..TOKEN_LEN].copy_from_slice(token);
    key[TOKEN_LEN..TOKEN_LEN + 16].copy_from_slice(doc.0.as_bytes());
    key[TOKEN_LEN + 16..].copy_from_slice(&doc.1.to_be_bytes());
    key
}

fn doc_of(key: &[u8]) -> Option<DocRef> {
    let thread = <[u8; 16]>::try_from(key.get(TOKEN_LEN..TOKEN_LEN + 16)?).ok()?;
    let position = <[u8; 8]>::try_from(key.get(TOKEN_LEN + 16..POSTING_LEN)?).ok()?;
    Some((ThreadId::from_bytes(thread), u64::from_be_bytes(position)))
}

impl Index {
    /// An index keyed by `key` (a sub-key of the data key).
    #[must_use]
    pub fn new(key: &[u8; 32]) -> Self {
        let Ok(mac) = Hmac::<Sha256>::new_from_slice(key) else {
            unreachable!("HMAC takes keys of any length");
        };
        Self { mac }
    }

    /// The token of one normalized term.
    #[must_use]
    pub fn token(&self, term: &str) -> Token {
        let mut mac = self.mac.clone();
        mac.update(term.as_bytes());
        let full = mac.finalize().into_bytes();
        let mut token = [0u8; TOKEN_LEN];
        token.copy_from_slice(&full[..TOKEN_LEN]);
        token
    }

    /// The distinct tokens of `text`, sorted.
    #[must_use]
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        let mut tokens: Vec<Token> = terms(text).iter().map(|t| self.token(t)).collect();
        tokens.sort_unstable();
        tokens.dedup();
        tokens
    }

    /// Replace `doc`'s postings `old` by `new` (both sorted), touching only
    /// the difference.
    ///
    /// # Errors
    /// Engine failure.
    pub fn update(kv: &dyn Kv, doc: DocRef, old: &[Token], new: &[Token]) -> Result<(), KvError> {
        for t in old.iter().filter(|t| new.binary_search(t).is_err()) {
            kv.remove(Table::SearchPostings, &posting(t, doc))?;
        }
        for t in new.iter().filter(|t| old.binary_search(t).is_err()) {
            kv.insert(Table::SearchPostings, &posting(t, doc), &[])?;
        }
        Ok(())
    }

    /// Up to `limit` messages holding every term of `query`, newest thread
    /// first, newest message first within a thread. Unverified: a caller
    /// opens each and checks it with [`matches_all`].
    ///
    /// # Errors
    /// Engine failure.
    pub fn query(&self, kv: &dyn Kv, query: &str, limit: usize) -> Result<Vec<DocRef>, KvError> {
        let mut tokens: Vec<Token> = terms(query).iter().map(|t| self.token(t)).collect();
        tokens.sort_unstable();
        tokens.dedup();
        if tokens.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        // The first page of every term: a term whose page is not full is
        // complete, and the shortest complete one drives the walk.
        let mut firsts: Vec<(Token, Vec<DocRef>, bool)> = Vec::with_capacity(tokens.len());
        for token in tokens {
            let page = page_before(kv, &token, None)?;
            if page.is_empty() {
                return Ok(Vec::new());
            }
            let complete = page.len() < PAGE;
            firsts.push((token, page, complete));
        }
        firsts.sort_by_key(|(_, page, complete)| (!*complete, page.len()));
        let mut firsts = firsts.into_iter();
        let Some((driver, mut page, mut complete)) = firsts.next() else { return Ok(Vec::new()) };
        // Each other term's first page as a set, and how far back it
        // reaches: a hit newer than that is decided by the set alone, only
        // older ones need a lookup.
        let others: Vec<(Token, HashSet<DocRef>, Option<DocRef>)> = firsts
            .map(|(token, page, complete)| {
                let reach = if complete { None } else { page.last().copied() };
                (token, page.into_iter().collect(), reach)
            })
            .collect();
        let mut found = Vec::new();
        loop {
            for &doc in &page {
                let mut all = true;
                for (token, set, reach) in &others {
                    let has = match reach {
                        Some(oldest) if doc < *oldest => kv.contains(Table::SearchPostings, &posting(token, doc))?,
                        _ => set.contains(&doc),
                    };
                    if !has {
                        all = false;
                        break;
                    }
                }
                if all {
                    found.push(doc);
                    if found.len() == limit {
                        return Ok(found);
                    }
                }
            }
            let Some(&last) = page.last() else { break };
            if complete {
                break;
            }
            page = page_before(kv, &driver, Some(last))?;
            complete = page.len() < PAGE;
        }
        Ok(found)
    }
}

/// The postings of `token` before `before` (newest first), a page of them.
fn page_before(kv: &dyn Kv, token: &Token, before: Option<DocRef>) -> Result<Vec<DocRef>, KvError> {
    let start = posting(token, (ThreadId::from_bytes([0; 16]), 0));
    let end: Vec<u8> = match before {
        Some(doc) => posting(token, doc).to_vec(),
        // Every posting key of the token is shorter than this and starts the same.
        None => {
            let mut end = token.to_vec();
            end.extend_from_slice(&[0xFF; POSTING_LEN - TOKEN_LEN + 1]);
            end
        }
    };
    Ok(kv.range_rev(Table::SearchPostings, &start, &end, PAGE)?.iter().filter_map(|(k, _)| doc_of(k)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryKv;

    #[test]
    fn words_are_lowercased_folded_and_split() {
        assert_eq!(terms("Hello, WORLD! Café crème — x 42 a-b"), ["hello", "world", "cafe", "creme", "42"]);
        assert_eq!(terms("日本語 text"), ["日", "本", "語", "text"]);
        assert_eq!(terms("straße STRASSE"), ["straße", "strasse"]);
        assert!(terms("a b c . , !").is_empty());
    }

    #[test]
    fn a_snippet_marks_its_matches() {
        let text = "The quick brown fox\njumps over the lazy dog. The fox sleeps.";
        let s = snippet(text, &["fox".to_owned()], 200);
        assert_eq!(s.text, "The quick brown fox jumps over the lazy dog. The fox sleeps.");
        let marked: Vec<&str> = s.highlights.iter().map(|r| &s.text[r.clone()]).collect();
        assert_eq!(marked, ["fox", "fox"]);

        let long = format!("{} needle {}", "word ".repeat(100), "tail ".repeat(100));
        let s = snippet(&long, &["needle".to_owned()], 60);
        assert!(s.text.starts_with('…') && s.text.ends_with('…'), "{}", s.text);
        let marked: Vec<&str> = s.highlights.iter().map(|r| &s.text[r.clone()]).collect();
        assert_eq!(marked, ["needle"]);
        assert!(s.text.chars().count() <= 62);
    }

    #[test]
    fn a_query_needs_every_term_and_pages_through_long_lists() {
        let kv = MemoryKv::new();
        let index = Index::new(&[7; 32]);
        let thread = ThreadId::new();
        // "common" is in more messages than one page holds.
        let n = (PAGE as u64) * 2 + 10;
        for p in 0..n {
            let text = if p % 3 == 0 { "common rare" } else { "common" };
            Index::update(&kv, (thread, p), &[], &index.tokens(text)).unwrap_or_else(|e| panic!("{e}"));
        }
        let hits = index.query(&kv, "RARE common", usize::MAX).unwrap_or_else(|e| panic!("{e}"));
        let want: Vec<DocRef> = (0..n).rev().filter(|p| p % 3 == 0).map(|p| (thread, p)).collect();
        assert_eq!(hits, want);
        let all = index.query(&kv, "common", usize::MAX).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(all.len() as u64, n);
        assert_eq!(index.query(&kv, "common", 5).unwrap_or_else(|e| panic!("{e}")).len(), 5);
        assert!(index.query(&kv, "common absent", 10).unwrap_or_else(|e| panic!("{e}")).is_empty());

        // An edit removes the postings it no longer has.
        Index::update(&kv, (thread, 0), &index.tokens("common rare"), &index.tokens("common"))
            .unwrap_or_else(|e| panic!("{e}"));
        let hits = index.query(&kv, "rare", usize::MAX).unwrap_or_else(|e| panic!("{e}"));
        assert!(!hits.contains(&(thread, 0)));
        assert_eq!(hits.len(), want.len() - 1);
    }
}
