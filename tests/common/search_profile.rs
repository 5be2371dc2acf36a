//! A generated, chat-shaped history and a fixed set of queries, the same on
//! every run: `examples/search_fixture.rs` recorded the results the blind
//! index of store format 3 (one key per posting) gave, before the index was
//! rewritten; `tests/search_index.rs` builds the same history with today's
//! code and compares.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::collections::BTreeMap;

use pakchat::domain::{DeviceId, Hlc, Message, MessageId, MessageStatus, Role, Stamp, ThreadId};
use pakchat::store::Store;

/// Threads of the history.
pub const THREADS: u64 = 12;
/// Messages in each.
pub const PER_THREAD: u64 = 250;
/// Words of the vocabulary (ranked, Zipf-like use).
const VOCABULARY: u64 = 5_000;

/// A small deterministic generator (xorshift).
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A word rank in `vocabulary`, roughly Zipf-shaped: rank r is drawn
    /// about 1/r as often.
    pub fn rank_in(&mut self, vocabulary: u64) -> u64 {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((vocabulary as f64).powf(u) as u64).saturating_sub(1)
    }

    fn word_rank(&mut self) -> u64 {
        self.rank_in(VOCABULARY)
    }

    fn text(&mut self, words: u64) -> String {
        (0..words).map(|_| word(self.word_rank())).collect::<Vec<_>>().join(" ")
    }

    /// The `i`th message of a chat: users write a line, replies run to a
    /// few paragraphs (about 440 bytes on average with a 50,000 vocabulary).
    pub fn chat_message(&mut self, i: u64, vocabulary: u64) -> (Role, String) {
        let (role, len) = if i.is_multiple_of(2) {
            (Role::User, 8 + self.next() % 18)
        } else {
            (Role::Assistant, 40 + self.next() % 160)
        };
        (role, (0..len).map(|_| word(self.rank_in(vocabulary))).collect::<Vec<_>>().join(" "))
    }
}

/// The word of rank `i` (0 is the commonest).
#[must_use]
pub fn word(i: u64) -> String {
    const SYL: [&str; 16] =
        ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "zu", "an", "el", "or", "ix", "um", "ye"];
    let mut out = String::new();
    let mut n = i + 16;
    while n > 0 {
        out.push_str(SYL[(n % 16) as usize]);
        n /= 16;
    }
    out
}

/// Thread number `n`'s id: fixed, and in creation order like real ids.
#[must_use]
pub fn thread_id(n: u64) -> ThreadId {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&(0x0190_0000_0000_0000 + n).to_be_bytes());
    bytes[8..].copy_from_slice(&0x8000_0000_0000_0000_u64.to_be_bytes());
    ThreadId::from_bytes(bytes)
}

/// A complete or streaming message of `thread`.
#[must_use]
pub fn message(thread: ThreadId, role: Role, content: String, status: MessageStatus) -> Message {
    Message {
        id: MessageId::new(),
        thread_id: thread,
        parent_id: None,
        role,
        content,
        reasoning: String::new(),
        attachments: Vec::new(),
        model: None,
        status,
        failure: None,
        usage: None,
        created_ms: 0,
        stamp: Stamp { hlc: Hlc::default(), device: DeviceId::from_bytes([1; 16]) },
    }
}

/// The queries asked, by word rank: everyday pairs, common with rare, very
/// common pairs, rare single words, three terms, and a word never written.
#[must_use]
pub fn queries() -> Vec<String> {
    let pairs: [(u64, u64); 12] = [
        (0, 1),
        (3, 10),
        (5, 50),
        (30, 31),
        (100, 200),
        (500, 501),
        (1_000, 2),
        (40, 2_500),
        (7, 8),
        (150, 151),
        (60, 61),
        (1, 900),
    ];
    let mut out: Vec<String> = pairs.iter().map(|&(a, b)| format!("{} {}", word(a), word(b))).collect();
    out.extend([3_000, 4_000, 1_234, 77].map(word));
    out.push(format!("{} {} {}", word(1), word(2), word(3)));
    out.push(format!("{} {}", word(4), word(VOCABULARY * 4)));
    out.push(word(2).to_uppercase());
    out
}

/// Phase 1: the history written in order, thread after thread.
pub fn write_history(store: &dyn Store) {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for t in 0..THREADS {
        let thread = thread_id(t);
        for i in 0..PER_THREAD {
            let (role, len) = if i.is_multiple_of(2) {
                (Role::User, 8 + rng.next() % 18)
            } else {
                (Role::Assistant, 40 + rng.next() % 160)
            };
            store.append_message(&message(thread, role, rng.text(len), MessageStatus::Done)).unwrap();
        }
    }
    store.flush().unwrap();
}

/// Phase 2: edits (every 7th message of thread 3 rewritten), a reply that
/// streams and then completes, and thread 5 purged.
pub fn change_history(store: &dyn Store) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let three = thread_id(3);
    for i in (0..PER_THREAD).step_by(7) {
        let len = 10 + rng.next() % 30;
        let edited = message(three, Role::User, format!("edited {}", rng.text(len)), MessageStatus::Done);
        store.update_message(three, i, &edited).unwrap();
    }
    let eight = thread_id(8);
    let mut reply = message(eight, Role::Assistant, String::new(), MessageStatus::Streaming);
    let at = store.append_message(&reply).unwrap();
    reply.content = rng.text(20);
    store.update_message(eight, at, &reply).unwrap();
    reply.content.push(' ');
    reply.content.push_str(&rng.text(60));
    reply.status = MessageStatus::Done;
    store.update_message(eight, at, &reply).unwrap();
    store.purge_thread_content(thread_id(5)).unwrap();
    store.flush().unwrap();
}

/// Each query's hits as (thread number, position), in the order given.
#[must_use]
pub fn results(store: &dyn Store, limit: usize) -> BTreeMap<String, Vec<(u64, u64)>> {
    let number = |id: ThreadId| (0..THREADS).find(|&n| thread_id(n) == id).unwrap();
    queries()
        .into_iter()
        .map(|q| {
            let hits = store.search(&q, limit).unwrap();
            (q, hits.into_iter().map(|(position, m)| (number(m.thread_id), position)).collect())
        })
        .collect()
}

/// Write the history, ask, change it, ask again. The record holds phase 1
/// with the first 50 hits in order and every hit in order, and phase 2 every
/// hit, sorted (an edit may move a hit in the order).
#[must_use]
pub fn record(store: &dyn Store) -> serde_json::Value {
    write_history(store);
    let first_50 = results(store, 50);
    let all = results(store, usize::MAX);
    change_history(store);
    let mut after_changes = results(store, usize::MAX);
    for hits in after_changes.values_mut() {
        hits.sort_unstable();
    }
    serde_json::json!({ "first_50": first_50, "all": all, "after_changes": after_changes })
}
