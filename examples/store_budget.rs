//! Issue 14's store budgets, printed: bytes on disk per message as a ratio
//! to a bare sled tree holding the same text, write throughput as the
//! history grows, and two-term search latency at the end. Both profiles are
//! written in one run, so the ratio is what counts on a shared machine.
//! The size is shown as written and after the next start, which gives back
//! the space that rewrites left behind.
//!
//! `cargo run --release --example store_budget -- 1000000 [DIR]`
//! (DIR: where to write, default a temporary folder; it is removed after.)
//!
//! The history is chat-shaped: threads of 200 messages, users write a line,
//! replies run to a few paragraphs, words drawn Zipf-like from a 50,000-word
//! vocabulary (about 440 bytes of text per message).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use pakchat::domain::{MessageStatus, ThreadId};
use pakchat::store::{Argon2Params, KeySource, Kv, SealedStore, SledKv, Store, Table};

#[path = "../tests/common/search_profile.rs"]
mod search_profile;

const VOCABULARY: u64 = 50_000;
const PER_THREAD: u64 = 200;

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .map(|e| match e.file_type() {
                Ok(t) if t.is_dir() => dir_size(&e.path()),
                _ => e.metadata().map_or(0, |m| m.len()),
            })
            .sum()
    })
}

/// Entries and bytes of keys and values in `table`.
fn live(kv: &dyn Kv, table: Table) -> anyhow::Result<(u64, u64)> {
    let (mut entries, mut bytes, mut from) = (0u64, 0u64, Vec::new());
    loop {
        let page = kv.range(table, &from, &[0xFF; 64], 65_536)?;
        entries += page.len() as u64;
        bytes += page.iter().map(|(k, v)| (k.len() + v.len()) as u64).sum::<u64>();
        match page.last() {
            Some((k, _)) if page.len() == 65_536 => {
                from.clone_from(k);
                from.push(0);
            }
            _ => return Ok((entries, bytes)),
        }
    }
}

fn median_ms(mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..21)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[10]
}

fn main() -> anyhow::Result<()> {
    let n: u64 = std::env::args().nth(1).context("usage: store_budget MESSAGES [DIR]")?.parse()?;
    let tmp = tempfile::tempdir()?;
    let root = std::env::args().nth(2).map_or_else(|| tmp.path().to_path_buf(), Into::into);
    let (sealed_dir, bare_dir) = (root.join("sealed"), root.join("bare"));
    let kv: Arc<dyn Kv> = Arc::new(SledKv::open(&sealed_dir)?);
    let fast = Argon2Params { m_cost_kib: 1024, t_cost: 1, p_cost: 1 };
    let store = SealedStore::create(kv, &KeySource::KeyFile(root.join("key")), fast)?;
    // The same engine and settings, one tree used: text under thread ‖ position.
    let bare = SledKv::open(&bare_dir)?;

    let mut rng = search_profile::Rng(0x2545_F491_4F6C_DD1D);
    let mut thread = ThreadId::new();
    let (mut sealed_time, mut bare_time, mut text_bytes) = (0.0f64, 0.0f64, 0u64);
    let mut checkpoint = 10_000.min(n);
    println!("messages  text B/msg  sealed B/msg  bare B/msg  ratio  sealed ms/msg (last step)  bare ms/msg");
    let (mut step_start, mut step_time) = (0u64, 0.0f64);
    for i in 0..n {
        if i % PER_THREAD == 0 {
            thread = ThreadId::new();
        }
        let (role, text) = rng.chat_message(i, VOCABULARY);
        text_bytes += text.len() as u64;
        let t = Instant::now();
        let mut key = thread.as_bytes().to_vec();
        key.extend_from_slice(&(i % PER_THREAD).to_be_bytes());
        bare.insert(Table::Messages, &key, text.as_bytes())?;
        bare_time += t.elapsed().as_secs_f64();
        let t = Instant::now();
        store.append_message(&search_profile::message(thread, role, text, MessageStatus::Done))?;
        let spent = t.elapsed().as_secs_f64();
        sealed_time += spent;
        step_time += spent;
        if i + 1 == checkpoint {
            store.flush()?;
            bare.flush()?;
            let done = i + 1;
            let (sealed, plain) = (dir_size(&sealed_dir), dir_size(&bare_dir));
            let plain = plain.max(1);
            println!(
                "{done:>8}  {:>10}  {:>12}  {:>10}  {:>5.2}  {:>10.3} ({:.3})  {:>24.3}",
                text_bytes / done,
                sealed / done,
                plain / done,
                sealed as f64 / plain as f64,
                sealed_time * 1000.0 / done as f64,
                step_time * 1000.0 / (done - step_start) as f64,
                bare_time * 1000.0 / done as f64,
            );
            (step_start, step_time) = (done, 0.0);
            checkpoint = (checkpoint * 10).min(n);
        }
    }
    println!("written in {:.1} s (sealed store) and {:.1} s (bare tree)", sealed_time, bare_time);
    drop(store);
    drop(bare);
    // The next start gives back what rewrites left behind (see
    // `pakchat-store/src/sled_kv/compact.rs`).
    let (written, plain) = (dir_size(&sealed_dir), dir_size(&bare_dir).max(1));
    let started = Instant::now();
    let kv = SledKv::open_patiently(&sealed_dir, std::time::Duration::from_secs(5))?;
    let opened = started.elapsed();
    let sealed = dir_size(&sealed_dir);
    println!(
        "after the next start: {} B/msg ({:.2}x the bare tree; {} B/msg as written), that open took {:.1} s",
        sealed / n,
        sealed as f64 / plain as f64,
        written / n,
        opened.as_secs_f64()
    );
    for table in Table::ALL {
        let (entries, bytes) = live(&kv, table)?;
        if entries > 0 {
            println!("  {:<16} {entries:>9} entries  {:>8.1} B/message live", table.name(), bytes as f64 / n as f64);
        }
    }
    drop(kv);
    let store = SealedStore::unlock(Arc::new(SledKv::open(&sealed_dir)?), &KeySource::KeyFile(root.join("key")))?;
    for (name, query) in [
        ("two everyday terms", format!("{} {}", search_profile::word(3_000), search_profile::word(3_100))),
        ("common and rare", format!("{} {}", search_profile::word(5), search_profile::word(20_000))),
        ("two common terms", format!("{} {}", search_profile::word(300), search_profile::word(310))),
        ("two very common terms", format!("{} {}", search_profile::word(5), search_profile::word(6))),
    ] {
        let hits = store.search(&query, 50)?.len();
        let ms = median_ms(|| {
            std::hint::black_box(store.search(&query, 50).ok());
        });
        println!("search {name}: {hits} hits (limit 50), median {ms:.2} ms");
    }
    Ok(())
}
