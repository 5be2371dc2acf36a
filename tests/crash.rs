//! Crash safety: a writer process is killed with SIGKILL at random moments;
//! every reopen must succeed and keep every message acknowledged before the
//! kill ("acknowledged" = the store's durable flush returned).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pakchat::domain::{DeviceId, Hlc, Message, MessageId, MessageStatus, Role, Stamp, Thread, ThreadId};
use pakchat::store::{Argon2Params, KeySource, MessageSlot, SealedStore, SledKv, Store};

const CHILD_ENV: &str = "PAKCHAT_CRASH_CHILD_DIR";
const ROUNDS: u32 = 40;
const THREAD: ThreadId = ThreadId(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001));

fn open(dir: &Path) -> SealedStore {
    let kv = Arc::new(SledKv::open_patiently(&dir.join("profile"), std::time::Duration::from_secs(5)).unwrap());
    let key = KeySource::KeyFile(dir.join("key"));
    match SealedStore::read_header(kv.as_ref()).unwrap() {
        Some(_) => SealedStore::unlock(kv, &key).unwrap(),
        None => SealedStore::create(kv, &key, Argon2Params::default()).unwrap(),
    }
}

fn stamp() -> Stamp {
    Stamp { hlc: Hlc::default(), device: DeviceId::from_bytes([9; 16]) }
}

/// The writer, not a test of its own: the parent test starts this binary
/// with `--ignored` and [`CHILD_ENV`] set, then kills it.
#[test]
#[ignore = "started by acknowledged_messages_survive_sigkill_at_random_moments"]
fn crash_child_writer() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let round = std::env::var("PAKCHAT_CRASH_ROUND").unwrap();
    let store = open(Path::new(&dir));
    if store.thread(THREAD).unwrap().is_none() {
        store.put_thread(&Thread::new(THREAD, "crash".to_owned(), 0, stamp())).unwrap();
    }
    let mut out = std::io::stdout().lock();
    for n in 0.. {
        let text = format!("r{round}-m{n}-{}", "x".repeat(200));
        let message = Message {
            id: MessageId::new(),
            thread_id: THREAD,
            parent_id: None,
            role: Role::User,
            content: text.clone(),
            reasoning: String::new(),
            attachments: Vec::new(),
            model: None,
            status: MessageStatus::Done,
            failure: None,
            usage: None,
            created_ms: 0,
            stamp: stamp(),
        };
        let position = store.append_message(&message).unwrap();
        assert_eq!(store.message_count(THREAD).unwrap(), position + 1, "the message went to the end");
        // Every few messages also rewrite the thread, like a draft save does.
        if n % 3 == 0 {
            let mut t = store.thread(THREAD).unwrap().unwrap();
            t.draft = text.clone();
            store.put_thread(&t).unwrap();
        }
        store.flush().unwrap();
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

fn contents(dir: &Path) -> HashSet<String> {
    let store = open(dir);
    let count = store.message_count(THREAD).unwrap();
    let slots = store.messages(THREAD, 0, usize::try_from(count).unwrap()).unwrap();
    assert_eq!(slots.len() as u64, count, "positions are dense");
    slots
        .into_iter()
        .map(|s| match s {
            MessageSlot::Ok(m) => m.content,
            MessageSlot::Unreadable(u) => panic!("a message became unreadable after a crash: {u}"),
        })
        .collect()
}

#[test]
fn acknowledged_messages_survive_sigkill_at_random_moments() {
    let dir = tempfile::tempdir().unwrap();
    let exe: PathBuf = std::env::current_exe().unwrap();
    let mut rng = Lcg(0x5eed_u64 ^ u64::from(std::process::id()));
    let mut acked: Vec<String> = Vec::new();
    let mut killed_mid_stream = 0;
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args(["crash_child_writer", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .env("PAKCHAT_CRASH_ROUND", round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // Read acks on a thread; kill after a random delay.
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(text) = line.strip_prefix("ack ") {
                    lines.push(text.to_owned());
                }
            }
            lines
        });
        let delay = Duration::from_millis(20 + rng.next(180));
        let started = Instant::now();
        while started.elapsed() < delay {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("writer exited on its own in round {round}: {status}");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill().unwrap(); // SIGKILL on Unix.
        child.wait().unwrap();
        let round_acks = reader.join().unwrap();
        if !round_acks.is_empty() {
            killed_mid_stream += 1;
        }
        acked.extend(round_acks);
        let present = contents(dir.path());
        for text in &acked {
            assert!(present.contains(text), "round {round}: acknowledged message {} is missing", &text[..12]);
        }
    }
    assert!(acked.len() > usize::try_from(ROUNDS).unwrap(), "the writer made progress ({} acks)", acked.len());
    assert!(killed_mid_stream > ROUNDS / 2, "most kills landed while writing");
}
