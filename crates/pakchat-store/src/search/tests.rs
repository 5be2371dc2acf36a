//! The blind index on its own: encoding, blocks, queries, removal, recovery.

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
fn postings_round_trip_through_their_encoding() {
    let docs = [5, 6, 7, 200, 201, 70_000, 70_001, u64::from(u32::MAX) + 9];
    let bytes = encode(5, &docs);
    assert_eq!(decode(5, &bytes).unwrap_or_default(), docs);
    // Close documents cost a byte each.
    assert_eq!(encode(0, &(0..100).collect::<Vec<_>>()).len(), 100);
    // A cut varint is refused, not read as something else.
    assert_eq!(decode(0, &[0x80]), None);
}

fn index() -> Index {
    Index::open(&MemoryKv::new(), &[7; 32], Sealer::new(&[9; 32])).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_query_needs_every_term_and_walks_many_blocks() {
    let kv = MemoryKv::new();
    let index = index();
    let thread = ThreadId::new();
    // "common" is in more messages than several blocks hold.
    let n = (BLOCK_POSTINGS as u64) * 5 + 10;
    let mut docs = Vec::new();
    for p in 0..n {
        let text = if p % 3 == 0 { "common rare" } else { "common" };
        docs.push(index.add(&kv, (thread, p), &index.tokens(text)).unwrap_or_else(|e| panic!("{e}")));
    }
    let hits = index.query(&kv, "RARE common", usize::MAX).unwrap_or_else(|e| panic!("{e}"));
    let want: Vec<DocRef> = (0..n).rev().filter(|p| p % 3 == 0).map(|p| (thread, p)).collect();
    assert_eq!(hits, want);
    // The other way round: the rare term checked against the common's blocks.
    let hits = index.query(&kv, "common rare", 7).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(hits, want[..7]);
    let all = index.query(&kv, "common", usize::MAX).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(all.len() as u64, n);
    assert_eq!(index.query(&kv, "common", 5).unwrap_or_else(|e| panic!("{e}")).len(), 5);
    assert!(index.query(&kv, "common absent", 10).unwrap_or_else(|e| panic!("{e}")).is_empty());
    // Blocks, not keys per posting: "common" takes n / BLOCK_POSTINGS + 1.
    let blocks = kv.scan_prefix(Table::SearchBlocks, &index.token("common")).unwrap_or_default().len();
    assert_eq!(blocks as u64, n.div_ceil(BLOCK_POSTINGS as u64));

    // A removal takes exactly its postings out (one in an old block,
    // one pending), and the place with them.
    let tokens = index.tokens("common rare");
    let last = n - 1 - (n - 1) % 3;
    let gone = [(docs[0], (thread, 0), tokens.clone()), (docs[last as usize], (thread, last), tokens)];
    index.remove(&kv, &gone).unwrap_or_else(|e| panic!("{e}"));
    let hits = index.query(&kv, "rare", usize::MAX).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(hits, want[1..want.len() - 1]);
    assert_eq!(index.query(&kv, "common", usize::MAX).unwrap_or_else(|e| panic!("{e}")).len() as u64, n - 2);
    assert_eq!(index.doc_of(&kv, (thread, 0)).unwrap_or_else(|e| panic!("{e}")), None);
}

#[test]
fn postings_lost_from_memory_are_found_again_and_written_once() {
    let kv = MemoryKv::new();
    let index = index();
    let thread = ThreadId::new();
    for p in 0..10 {
        index.add(&kv, (thread, p), &index.tokens("alpha beta")).unwrap_or_else(|e| panic!("{e}"));
    }
    index.write_pending(&kv).unwrap_or_else(|e| panic!("{e}"));
    for p in 10..15 {
        index.add(&kv, (thread, p), &index.tokens("alpha")).unwrap_or_else(|e| panic!("{e}"));
    }
    // A "crash": the pending five are lost; reopening sees them unwritten.
    let reopened = Index::open(&kv, &[7; 32], Sealer::new(&[9; 32])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reopened.unwritten(), 10..15);
    for doc in 10..15 {
        reopened.readd(doc, &reopened.tokens("alpha"));
    }
    // Written twice (a crash mid-write): still once in the blocks.
    reopened.write_pending(&kv).unwrap_or_else(|e| panic!("{e}"));
    for doc in 10..15 {
        reopened.readd(doc, &reopened.tokens("alpha"));
    }
    reopened.write_pending(&kv).unwrap_or_else(|e| panic!("{e}"));
    let hits = reopened.query(&kv, "alpha", usize::MAX).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(hits, (0..15).rev().map(|p| (thread, p)).collect::<Vec<_>>());
    assert_eq!(reopened.unwritten(), 15..15);
}
