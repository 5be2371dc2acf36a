//! A device killed with changes waiting loses none of them: a writer
//! adding messages is SIGKILLed at random moments with its outbox full,
//! and `pakchat sync` itself is killed mid-round; after each kill the next
//! `pakchat sync` goes on. In the end another device holds every message
//! the writer acknowledged, each exactly once.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::sync_rig::{Rig, code_in, message};
use pakchat::domain::{HlcClock, Thread, ThreadId};
use pakchat::store::{MessageSlot, Store as _};

const CHILD_ENV: &str = "PAKCHAT_SYNC_CRASH_PROFILE";
const THREAD: ThreadId = ThreadId(uuid_from(0x5ca1_ab1e));
const ROUNDS: u32 = 6;

const fn uuid_from(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(n)
}

/// The writer, not a test of its own: adds messages to the profile named
/// by [`CHILD_ENV`] (its data folder) until killed, saying which are kept.
#[test]
#[ignore = "started by a_device_killed_with_changes_waiting_sends_them_all_once"]
fn sync_crash_child_writer() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let dir = std::path::Path::new(&dir);
    let kv = pakchat::store::SledKv::open_patiently(&dir.join("data/profiles/default"), Duration::from_secs(5));
    let source = pakchat::store::KeySource::KeyFile(dir.join("key"));
    let store = pakchat::store::SealedStore::unlock(std::sync::Arc::new(kv.unwrap()), &source).unwrap();
    let round = std::env::var("PAKCHAT_SYNC_CRASH_ROUND").unwrap();
    let mut clock = HlcClock::new(store.device_id());
    let mut out = std::io::stdout().lock();
    // libtest's "test … " line has no newline of its own.
    writeln!(out).unwrap();
    // A conversation: each message answers the one before.
    let count = store.message_count(THREAD).unwrap();
    let mut parent = match store.messages(THREAD, count.saturating_sub(1), 1).unwrap().pop() {
        Some(MessageSlot::Ok(m)) => Some(m.id),
        _ => None,
    };
    for n in 0.. {
        let text = format!("r{round}-m{n}");
        let next = message(&mut clock, THREAD, parent, &text);
        parent = Some(next.id);
        let at = store.append_message(&next).unwrap();
        store.flush().unwrap();
        // Acknowledged only once it is there to be found.
        assert_eq!(store.position_of(THREAD, next.id).unwrap(), Some(at), "{text} stored");
        writeln!(out, "ack {text}").unwrap();
        out.flush().unwrap();
    }
}

/// A small deterministic generator so a failure can be replayed.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

/// Run the writer on `dir` for `run`, then SIGKILL it; what it acknowledged.
fn write_then_kill(dir: &std::path::Path, round: u32, run: Duration) -> Vec<String> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["sync_crash_child_writer", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir)
        .env("PAKCHAT_SYNC_CRASH_ROUND", round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| l.strip_prefix("ack ").map(str::to_owned))
            .collect::<Vec<_>>()
    });
    std::thread::sleep(run);
    child.kill().unwrap(); // SIGKILL on Unix.
    child.wait().unwrap();
    reader.join().unwrap()
}

/// `pakchat sync` on the device in `dir`, SIGKILLed after `after` (or let
/// finish when `None`); how long it took when it finished, `None` when killed.
fn sync_maybe_killed(dir: &std::path::Path, after: Option<Duration>) -> Option<Duration> {
    let data = dir.join("data");
    let key = dir.join("key");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pakchat"))
        .args(["--data-dir", data.to_str().unwrap(), "--key-file", key.to_str().unwrap(), "sync"])
        .env("PAKCHAT_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let deadline = after.map(|a| started + a);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            assert!(status.success(), "pakchat sync failed: {err}");
            return Some(started.elapsed());
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            child.kill().unwrap();
            child.wait().unwrap();
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_device_killed_with_changes_waiting_sends_them_all_once() {
    let rig = Rig::new();
    let (a, b) = (rig.device("ada-crash"), rig.device("ada-crash"));
    {
        let store = a.store();
        let mut clock = HlcClock::new(store.device_id());
        store.put_thread(&Thread::new(THREAD, "written through kills".to_owned(), 0, clock.now())).unwrap();
    }
    let code = code_in(&a.synced());
    let mut rng = Lcg(0x51ac_u64 ^ u64::from(std::process::id()));
    let mut acked = Vec::new();
    let mut killed_syncs = 0;
    // How long a whole sync may take: a kill is drawn within it, and it
    // shrinks whenever a sync finishes before its kill, so that on a fast
    // machine kills still land mid-round.
    let mut whole = Duration::from_millis(600);
    let mut round = 0;
    while round < ROUNDS || (killed_syncs < 2 && round < ROUNDS * 5) {
        // The writer, killed with its changes unsent.
        let run = Duration::from_millis(150 + rng.next(250));
        let got = write_then_kill(a.dir.path(), round, run);
        assert!(!got.is_empty(), "the writer wrote in round {round}");
        acked.extend(got);
        let waiting = a.store().outbox(100_000).unwrap().len();
        assert!(waiting > 0, "changes wait after the kill in round {round}");
        // A sync killed part of the way through, or not at all.
        if rng.next(3) != 0 {
            let whole_ms = u64::try_from(whole.as_millis()).unwrap().max(2);
            match sync_maybe_killed(a.dir.path(), Some(Duration::from_millis(1 + rng.next(whole_ms)))) {
                None => killed_syncs += 1,
                Some(took) => whole = whole.min(took * 2 / 3),
            }
        }
        round += 1;
    }
    assert!(killed_syncs >= 2, "syncs were killed mid-round ({killed_syncs} in {round} rounds)");
    assert!(sync_maybe_killed(a.dir.path(), None).is_some(), "the last sync finishes");
    assert!(a.store().outbox(10).unwrap().is_empty(), "nothing left waiting on A");

    // B gets every acknowledged message, once.
    assert!(b.pakchat(&["account", "join"], &code).status.success());
    b.synced();
    let store = b.store();
    let count = store.message_count(THREAD).unwrap();
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    let mut ids = HashSet::new();
    for slot in store.messages(THREAD, 0, usize::try_from(count).unwrap()).unwrap() {
        let MessageSlot::Ok(m) = slot else { panic!("an unreadable message on B") };
        assert!(ids.insert(m.id), "message {} twice on B", m.content);
        *seen.entry(m.content).or_default() += 1;
    }
    for text in &acked {
        assert_eq!(seen.get(text), Some(&1), "{text}, acknowledged on A, is on B once");
    }
    let written_on_a = a.store().message_count(THREAD).unwrap();
    assert_eq!(count, written_on_a, "B holds what A holds (acknowledged or written just before a kill)");
}
