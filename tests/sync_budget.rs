//! The budget "a new device pulling 100,000 messages: time and peak memory
//! (goal < 60 s, memory independent of history size)", measured. Device A
//! writes a long history (chat-like messages across 100 threads, each
//! answering the one before in its thread) and pushes it; device B, signed
//! in as the same user, joins with the recovery code and runs `pakchat sync`
//! under GNU time (`/usr/bin/time`) until it succeeds, which gives its
//! elapsed time and peak resident memory. The whole is done twice, for a
//! tenth of the history and then for all of it, to compare the peaks. The
//! server keeps its default request rate (20 a second, 200 at once), as a
//! user's does. Figures are printed; what is asserted is that B ends with
//! exactly the messages A wrote.
//!
//! Run by hand, on a release build (`PAKCHAT_SYNC_BUDGET` is the number of
//! messages, 100000 when unset):
//!
//! ```text
//! PAKCHAT_SYNC_BUDGET=100000 cargo test --release --offline --test sync_budget -- --ignored --nocapture
//! ```
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::sync_rig::{Device, Rig, code_in, last_line, message, text};
use pakchat::domain::{HlcClock, MessageId, Thread, ThreadId};
use pakchat::store::Store as _;

/// Threads the history is spread across.
const THREADS: usize = 100;
/// About how long a message's text is, in bytes.
const TEXT_BYTES: usize = 440;
/// Runs of `pakchat sync` a device may need to finish, at most.
const MAX_ROUNDS: u32 = 20;
/// The words texts are made of.
const WORDS: &str = "the a of and to in is that it for on with as was be this trip Lisbon train ticket morning evening \
    weather recipe garlic tomato oven minutes function compile error borrow lifetime thread answer question maybe \
    because however summary paragraph budget invoice meeting Thursday colleague draft review garden seedlings watering \
    library chapter novel character plot museum harbour bicycle mountain river coffee";

/// A small deterministic generator: the same texts on every run.
struct Lcg(u64);
impl Lcg {
    /// The next number below `bound`.
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(self.0 >> 33).unwrap() % bound
    }
}

/// A chat-like text of about [`TEXT_BYTES`] bytes: the message's number,
/// then words drawn from `words`.
fn chat_text(rng: &mut Lcg, words: &[&str], n: usize) -> String {
    let mut text = format!("({n})");
    while text.len() < TEXT_BYTES {
        text.push(' ');
        text.push_str(words[rng.next(words.len())]);
        if rng.next(9) == 0 {
            text.push('.');
        }
    }
    text
}

/// Write `n` messages on `device` across [`THREADS`] threads, each
/// answering the one before it in its thread; the threads' ids. The store
/// is closed on return.
fn write_history(device: &Device, n: usize) -> Vec<ThreadId> {
    let store = device.store();
    let mut clock = HlcClock::new(store.device_id());
    let threads: Vec<ThreadId> = (0..THREADS).map(|_| ThreadId::new()).collect();
    for (i, id) in threads.iter().enumerate() {
        store.put_thread(&Thread::new(*id, format!("Budget chat {i}"), 0, clock.now())).unwrap();
    }
    let mut parents: Vec<Option<MessageId>> = vec![None; THREADS];
    let mut rng = Lcg(0xb0d9_e7ab);
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    for i in 0..n {
        let t = i % THREADS;
        let next = message(&mut clock, threads[t], parents[t], &chat_text(&mut rng, &words, i));
        parents[t] = Some(next.id);
        store.append_message(&next).unwrap();
    }
    store.flush().unwrap();
    threads
}

/// `pakchat sync` on `device` until it succeeds (the server may ask it to
/// wait part of the way through: the next run goes on); how many runs.
fn sync_until_done(device: &Device) -> u32 {
    for round in 1..=MAX_ROUNDS {
        let out = device.sync();
        if out.status.success() {
            return round;
        }
        println!("  A's round {round} stopped: {}", last_line(&out));
        std::thread::sleep(Duration::from_secs(5));
    }
    panic!("A's pakchat sync did not finish in {MAX_ROUNDS} runs");
}

/// What B's catching up took: runs of `pakchat sync`, their elapsed times
/// summed and the largest peak resident memory among them.
struct Pull {
    rounds: u32,
    seconds: f64,
    peak_kib: u64,
}

/// GNU time's figures, the last line of `out`'s standard error: elapsed
/// seconds and peak resident memory in KiB.
fn measured(out: &Output) -> (f64, u64) {
    let line = last_line(out);
    let (seconds, kib) = line.split_once(' ').unwrap_or_else(|| panic!("no figures from /usr/bin/time: {line:?}"));
    (seconds.parse().unwrap(), kib.parse().unwrap())
}

/// Why a run of `pakchat sync` stopped: its last `pakchat:` line.
fn why(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    err.lines().rev().find(|l| l.starts_with("pakchat:")).unwrap_or("(no reason given)").to_owned()
}

/// `pakchat sync` on `device` (as [`Device::pakchat`] runs it) under GNU
/// time, until it succeeds.
fn pull_timed(device: &Device) -> Pull {
    let data = device.dir.path().join("data");
    let key = device.key();
    let mut pull = Pull { rounds: 0, seconds: 0.0, peak_kib: 0 };
    while pull.rounds < MAX_ROUNDS {
        pull.rounds += 1;
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%e %M", env!("CARGO_BIN_EXE_pakchat")])
            .args(["--data-dir", data.to_str().unwrap(), "--key-file", key.to_str().unwrap(), "sync"])
            .env("PAKCHAT_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let (seconds, kib) = measured(&out);
        pull.seconds += seconds;
        pull.peak_kib = pull.peak_kib.max(kib);
        if out.status.success() {
            return pull;
        }
        println!("  B's round {} stopped: {}", pull.rounds, why(&out));
        std::thread::sleep(Duration::from_secs(1));
    }
    panic!("B's pakchat sync did not finish in {MAX_ROUNDS} runs");
}

/// Mebibytes, from KiB.
fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Device A of the user `who` writes and pushes a history of `n` messages;
/// then B, a new device of the same user, pulls it all: what that took,
/// and how many threads and messages B holds then.
fn history(rig: &Rig, who: &str, n: usize) -> (Pull, usize, u64) {
    let (a, b) = (rig.device(who), rig.device(who));
    // The key first, while A has nothing to send: the code is all this
    // round is for (a long first push may take several runs).
    let code = code_in(&a.synced());
    let started = Instant::now();
    let threads = write_history(&a, n);
    println!("{who}: A wrote {n} messages in {:.1} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    let rounds = sync_until_done(&a);
    println!("{who}: A pushed them in {:.1} s ({rounds} rounds)", started.elapsed().as_secs_f64());

    // A new device comes along later: the user's allowance of requests
    // (200 at once, 20 a second) has filled up again by then.
    std::thread::sleep(Duration::from_secs(12));
    let out = b.pakchat(&["account", "join"], &format!("{code}\n"));
    assert!(out.status.success(), "{}", text(&out));
    let started = Instant::now();
    let pull = pull_timed(&b);
    println!(
        "{who}: B pulled {n} messages in {:.1} s ({} rounds, {:.1} s with the waits between), peak RSS {:.1} MiB",
        pull.seconds,
        pull.rounds,
        started.elapsed().as_secs_f64(),
        mib(pull.peak_kib)
    );
    let store = b.store();
    let held: u64 = threads.iter().map(|t| store.message_count(*t).unwrap()).sum();
    (pull, store.threads().unwrap().len(), held)
}

#[test]
#[ignore = "a budget measurement: run by hand"]
fn a_new_device_pulls_a_long_history() {
    let n: usize = std::env::var("PAKCHAT_SYNC_BUDGET")
        .map_or(100_000, |v| v.trim().parse().expect("PAKCHAT_SYNC_BUDGET: a number of messages"));
    let rig = Rig::new();
    let mut pulls = Vec::new();
    for (who, messages) in [("ada-budget-small", n / 10), ("ada-budget", n)] {
        let (pull, threads, held) = history(&rig, who, messages);
        assert_eq!(threads, THREADS, "{who}: B holds every thread");
        assert_eq!(held, u64::try_from(messages).unwrap(), "{who}: B holds exactly the messages A wrote");
        pulls.push(pull);
    }
    let (small, large) = (&pulls[0], &pulls[1]);
    println!(
        "peak RSS: {:.1} MiB for {} messages, {:.1} MiB for {n}: x{:.2} for x10 the history (goal: about x1)",
        mib(small.peak_kib),
        n / 10,
        mib(large.peak_kib),
        large.peak_kib as f64 / small.peak_kib.max(1) as f64
    );
    println!("time: B pulled {n} messages in {:.1} s (goal for 100,000: under 60 s)", large.seconds);
}
