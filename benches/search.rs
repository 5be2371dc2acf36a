//! Search latency of the blind index on sled, at 100,000 and 1,000,000
//! messages (goal: < 20 ms for a two-term query at 1M), and the index's size
//! per message.
//!
//! The history is made up but shaped like a chat: short user messages and
//! long replies, words drawn from a 50,000-word vocabulary with a skew like
//! real word frequencies. Sizes can be chosen with `PAKCHAT_SEARCH_SIZES`
//! (comma-separated message counts; default `100000,1000000`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr, missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use pakchat::domain::{DeviceId, Hlc, Message, MessageId, MessageStatus, Role, Stamp, ThreadId};
use pakchat::store::{Argon2Params, KeySource, Kv, SealedStore, SledKv, Store, Table};

const VOCABULARY: u64 = 50_000;
const PER_THREAD: u64 = 200;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Roughly Zipf-shaped: rank r is drawn about 1/r as often.
    fn word_rank(&mut self) -> u64 {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((VOCABULARY as f64).powf(u) as u64).saturating_sub(1)
    }
}

#[path = "../tests/common/search_profile.rs"]
mod search_profile;
use search_profile::word;

fn message(thread: ThreadId, role: Role, content: String) -> Message {
    Message {
        id: MessageId::new(),
        thread_id: thread,
        parent_id: None,
        role,
        content,
        reasoning: String::new(),
        attachments: Vec::new(),
        model: None,
        status: MessageStatus::Done,
        failure: None,
        usage: None,
        created_ms: 0,
        stamp: Stamp { hlc: Hlc::default(), device: DeviceId::from_bytes([1; 16]) },
    }
}

fn bytes_of(kv: &dyn Kv, table: Table) -> u64 {
    kv.scan_prefix(table, &[]).unwrap().iter().map(|(k, v)| (k.len() + v.len()) as u64).sum()
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() { dir_size(&e.path()) } else { e.metadata().unwrap().len() }
        })
        .sum()
}

fn search(c: &mut Criterion) {
    let sizes: Vec<u64> = std::env::var("PAKCHAT_SEARCH_SIZES")
        .unwrap_or_else(|_| "100000,1000000".to_owned())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    for n in sizes {
        let dir = tempfile::tempdir().unwrap();
        let kv: Arc<dyn Kv> =
            Arc::new(SledKv::open_patiently(&dir.path().join("p"), std::time::Duration::from_secs(5)).unwrap());
        let fast = Argon2Params { m_cost_kib: 1024, t_cost: 1, p_cost: 1 };
        let store = SealedStore::create(kv.clone(), &KeySource::KeyFile(dir.path().join("key")), fast).unwrap();
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let started = std::time::Instant::now();
        let mut thread = ThreadId::new();
        let mut words_written = 0u64;
        for i in 0..n {
            if i % PER_THREAD == 0 {
                thread = ThreadId::new();
            }
            // Users write a line, replies run to a few paragraphs.
            let (role, len) =
                if i % 2 == 0 { (Role::User, 8 + rng.next() % 18) } else { (Role::Assistant, 40 + rng.next() % 160) };
            let text: Vec<String> = (0..len).map(|_| word(rng.word_rank())).collect();
            words_written += len;
            store.append_message(&message(thread, role, text.join(" "))).unwrap();
        }
        store.flush().unwrap();
        let index = bytes_of(kv.as_ref(), Table::SearchBlocks)
            + bytes_of(kv.as_ref(), Table::SearchPlaces)
            + bytes_of(kv.as_ref(), Table::SearchRefs);
        let postings = kv.scan_prefix(Table::SearchBlocks, &[]).unwrap().len() as u64;
        eprintln!(
            "{n} messages ({:.0} words each on average) written in {:.1} s; index: {postings} blocks, {} B \
             of keys and values = {} B per message; profile on disk {:.1} MiB",
            words_written as f64 / n as f64,
            started.elapsed().as_secs_f64(),
            index,
            index / n,
            dir_size(&dir.path().join("p")) as f64 / 1_048_576.0,
        );

        let mut group = c.benchmark_group(format!("search_{n}"));
        group.sample_size(20);
        // Term ranks: 5 is among the commonest words, 300 common, 3,000
        // everyday, 20,000 rare.
        for (name, query) in [
            ("two_everyday_terms", format!("{} {}", word(3_000), word(3_100))),
            ("common_and_rare", format!("{} {}", word(5), word(20_000))),
            ("two_common_terms", format!("{} {}", word(300), word(310))),
            ("two_very_common_terms", format!("{} {}", word(5), word(6))),
            ("one_rare_term", word(20_000)),
        ] {
            let hits = store.search(&query, 50).unwrap().len();
            eprintln!("search_{n}/{name}: {hits} hits (limit 50)");
            group.bench_function(name, |b| b.iter(|| store.search(black_box(&query), 50).unwrap()));
        }
        group.finish();
    }
}

criterion_group!(benches, search);
criterion_main!(benches);
