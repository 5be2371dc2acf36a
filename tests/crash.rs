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

/// A finished message of the user's with `text`.
fn done_message(thread_id: ThreadId, content: String) -> Message {
    Message {
        id: MessageId::new(),
        thread_id,
        parent_id: None,
        role: Role::User,
        content,
        reasoning: String::new(),
        attachments: Vec::new(),
        model: None,
        status: MessageStatus::Done,
        failure: None,
        usage: None,
        created_ms: 0,
        stamp: stamp(),
    }
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
        let position = store.append_message(&done_message(THREAD, text.clone())).unwrap();
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

const OPENER_ENV: &str = "PAKCHAT_OPENER_CHILD_DIR";
/// Enough messages that rebuilding their search index takes a while.
const MIGRATION_MESSAGES: usize = 20_000;
const MIGRATION_THREADS: usize = 8;
const MIGRATION_ROUNDS: u32 = 7;

fn migration_thread(n: usize) -> ThreadId {
    ThreadId(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0001_0000 + n as u128))
}

/// The text of message `n`: a word of its own, and "heron" in every seventh.
fn migration_text(n: usize) -> String {
    let bird = if n.is_multiple_of(7) { "heron" } else { "swift" };
    format!("note zq{n} about the {bird} we saw near the river, with some more words to index")
}

/// Make `dir`'s profile look like one written by format 3: the header says
/// so, and the old index's table holds entries (its content does not
/// matter, the step drops it).
fn set_format_3(dir: &Path) {
    use pakchat::store::{Kv as _, Table};
    let kv = SledKv::open_patiently(&dir.join("profile"), Duration::from_secs(5)).unwrap();
    let mut header = SealedStore::read_header(&kv).unwrap().unwrap();
    header.format_version = 3;
    kv.insert(Table::Meta, b"header", &serde_json::to_vec(&header).unwrap()).unwrap();
    for i in 0..2000u32 {
        kv.insert(Table::LegacyPostings, &i.to_be_bytes(), &[7u8; 40]).unwrap();
    }
    kv.flush().unwrap();
}

/// Opens the profile, which migrates or compacts it, and says when that is
/// done: not a test of its own, the parent kills it on the way.
#[test]
#[ignore = "started by the migration and compaction crash tests"]
fn crash_child_opener() {
    let Ok(dir) = std::env::var(OPENER_ENV) else { return };
    // libtest's "test crash_child_opener ... " has no newline of its own.
    println!("\nopening");
    let store = open(Path::new(&dir));
    assert_eq!(store.header().format_version, pakchat::store::keys::FORMAT_VERSION, "opening migrates to the end");
    println!("migrated to {}", store.header().format_version);
}

/// Start the opener; kill it `kill_after` past its "opening" line (never
/// when `None`). Returns how long it took to open, if it got there.
fn run_opener(exe: &Path, dir: &Path, kill_after: Option<Duration>) -> Option<Duration> {
    let mut child = Command::new(exe)
        .args(["crash_child_opener", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(OPENER_ENV, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line == "opening" || line.starts_with("migrated") {
                tx.send((line, Instant::now())).unwrap();
            }
        }
    });
    let (first, opened_at) = rx.recv_timeout(Duration::from_secs(60)).expect("the opener started");
    assert_eq!(first, "opening");
    let migrated = match kill_after {
        Some(delay) => {
            std::thread::sleep(delay.saturating_sub(opened_at.elapsed()));
            child.kill().unwrap(); // SIGKILL on Unix.
            child.wait().unwrap();
            reader.join().unwrap();
            rx.try_recv().ok()
        }
        None => {
            let done = rx.recv_timeout(Duration::from_secs(300)).ok();
            assert!(child.wait().unwrap().success(), "the opener failed");
            reader.join().unwrap();
            done
        }
    };
    migrated.map(|(line, at)| {
        assert_eq!(line, format!("migrated to {}", pakchat::store::keys::FORMAT_VERSION));
        at - opened_at
    })
}

#[test]
fn a_migration_killed_midway_is_finished_at_the_next_start() {
    use pakchat::store::{Kv as _, Table};
    let dir = tempfile::tempdir().unwrap();
    let exe: PathBuf = std::env::current_exe().unwrap();
    {
        let store = open(dir.path());
        for t in 0..MIGRATION_THREADS {
            store.put_thread(&Thread::new(migration_thread(t), format!("t{t}"), 0, stamp())).unwrap();
        }
        for n in 0..MIGRATION_MESSAGES {
            store.append_message(&done_message(migration_thread(n % MIGRATION_THREADS), migration_text(n))).unwrap();
        }
        store.flush().unwrap();
    }
    // One migration left alone tells how long the step takes here.
    set_format_3(dir.path());
    let whole = run_opener(&exe, dir.path(), None).expect("an undisturbed migration finishes");
    let mut rng = Lcg(0xfeed_u64 ^ u64::from(std::process::id()));
    let (mut killed_midway, mut whole) = (0, whole);
    for _ in 0..MIGRATION_ROUNDS * 3 {
        if killed_midway == MIGRATION_ROUNDS {
            break;
        }
        set_format_3(dir.path());
        // Anywhere from the first tenth to the last of the step.
        let tenth = whole / 10;
        let delay = tenth + tenth * u32::try_from(rng.next(9)).unwrap();
        if run_opener(&exe, dir.path(), Some(delay)).is_none() {
            killed_midway += 1;
            // A kill mid-way may be followed by another before it finishes.
            if rng.next(2) == 0 {
                let again = tenth * u32::try_from(1 + rng.next(4)).unwrap();
                run_opener(&exe, dir.path(), Some(again));
            }
        } else {
            // Finished first: the step is quicker than measured (the load
            // on a shared machine changes), so aim earlier.
            whole = whole * 2 / 3;
        }
    }
    assert_eq!(killed_midway, MIGRATION_ROUNDS, "kills landed during the migration");

    // The next start finishes the step, and nothing is lost.
    let store = open(dir.path());
    assert_eq!(store.header().format_version, pakchat::store::keys::FORMAT_VERSION);
    let mut seen = 0;
    for t in 0..MIGRATION_THREADS {
        let id = migration_thread(t);
        let count = store.message_count(id).unwrap();
        let slots = store.messages(id, 0, usize::try_from(count).unwrap()).unwrap();
        for (i, slot) in slots.into_iter().enumerate() {
            let MessageSlot::Ok(m) = slot else { panic!("a message became unreadable") };
            assert_eq!(m.content, migration_text(i * MIGRATION_THREADS + t), "thread {t} position {i}");
            assert_eq!(store.position_of(id, m.id).unwrap(), Some(i as u64), "found by id");
            seen += 1;
        }
    }
    assert_eq!(seen, MIGRATION_MESSAGES, "every message is there");
    // The index is whole: every heron, and each message by its own word.
    let herons = store.search("heron", MIGRATION_MESSAGES).unwrap();
    assert_eq!(herons.len(), MIGRATION_MESSAGES.div_ceil(7), "every heron is found once");
    for n in [0, 1, 777, MIGRATION_MESSAGES / 2, MIGRATION_MESSAGES - 1] {
        let hits = store.search(&format!("zq{n}"), 10).unwrap();
        let texts: Vec<_> = hits.into_iter().map(|(_, m)| m.content).collect();
        assert_eq!(texts, [migration_text(n)], "message {n} by its own word");
    }
    drop(store);
    let kv = SledKv::open_patiently(&dir.path().join("profile"), Duration::from_secs(5)).unwrap();
    assert!(kv.range(Table::LegacyPostings, &[], &[0xFF; 8], 1).unwrap().is_empty(), "the old index is gone");
}

/// Attachments kept through every compaction.
const KEPT_BLOBS: u32 = 3;

/// `len` bytes that do not compress, different for each `seed`.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = Lcg(seed);
    (0..len).map(|_| u8::try_from(rng.next(256)).unwrap()).collect()
}

/// Add and delete 30 MiB of attachments, so the next open gives it back.
fn make_room_to_reclaim(dir: &Path, round: u64) {
    let store = open(dir);
    let ids: Vec<_> = (0..120).map(|i| store.put_blob(&noise(round * 1000 + i, 256 * 1024)).unwrap()).collect();
    store.flush().unwrap();
    for id in &ids {
        store.remove_blob(id).unwrap();
    }
    store.flush().unwrap();
}

/// Everything the compaction test keeps is there and readable.
fn assert_kept(dir: &Path, blobs: &[pakchat::domain::BlobId]) {
    let store = open(dir);
    for (n, id) in blobs.iter().enumerate() {
        let want = noise(u64::MAX - n as u64, 300 * 1024);
        assert_eq!(store.blob(id).unwrap().as_deref(), Some(&want[..]), "attachment {n}");
    }
    let slots = store.messages(THREAD, 0, 5000).unwrap();
    assert_eq!(slots.len(), 2000, "every message");
    for (i, slot) in slots.into_iter().enumerate() {
        let MessageSlot::Ok(m) = slot else { panic!("message {i} became unreadable") };
        assert_eq!(m.content, migration_text(i));
    }
    assert_eq!(store.search("heron", 5000).unwrap().len(), 2000usize.div_ceil(7));
}

#[test]
fn a_compaction_killed_midway_loses_nothing_and_is_finished_later() {
    let dir = tempfile::tempdir().unwrap();
    let exe: PathBuf = std::env::current_exe().unwrap();
    let blobs: Vec<_> = {
        let store = open(dir.path());
        store.put_thread(&Thread::new(THREAD, "kept".to_owned(), 0, stamp())).unwrap();
        for n in 0..2000 {
            store.append_message(&done_message(THREAD, migration_text(n))).unwrap();
        }
        let blobs = (0..KEPT_BLOBS).map(|n| store.put_blob(&noise(u64::MAX - u64::from(n), 300 * 1024)).unwrap());
        let blobs = blobs.collect();
        store.flush().unwrap();
        blobs
    };
    let profile = dir.path().join("profile");
    let size = |p: &Path| -> u64 {
        let walk = walkdir(p);
        walk.iter().map(|f| f.metadata().map_or(0, |m| m.len())).sum()
    };
    make_room_to_reclaim(dir.path(), 0);
    let dirty = size(&profile);
    let whole = run_opener(&exe, dir.path(), None).expect("an undisturbed compaction finishes");
    let compacted = size(&profile);
    assert!(compacted * 2 < dirty, "the profile shrank from {dirty} to {compacted} bytes");
    assert_kept(dir.path(), &blobs);

    let mut rng = Lcg(0xc0de_u64 ^ u64::from(std::process::id()));
    let (mut killed_midway, mut whole) = (0, whole);
    for round in 1..=MIGRATION_ROUNDS * 3 {
        if killed_midway == MIGRATION_ROUNDS {
            break;
        }
        make_room_to_reclaim(dir.path(), u64::from(round));
        let tenth = whole / 10;
        let delay = tenth + tenth * u32::try_from(rng.next(9)).unwrap();
        if run_opener(&exe, dir.path(), Some(delay)).is_none() {
            killed_midway += 1;
        } else {
            // Finished first: aim earlier (see the migration test).
            whole = whole * 2 / 3;
        }
        // The next open finishes or undoes it, and nothing is lost.
        assert_kept(dir.path(), &blobs);
    }
    assert_eq!(killed_midway, MIGRATION_ROUNDS, "kills landed while opening");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    for name in &names {
        let name = name.to_string_lossy();
        assert!(!name.ends_with(".compacting") && !name.ends_with(".compacted") && !name.ends_with(".old"), "{name}");
    }
    assert!(size(&profile) * 2 < dirty, "still small: {} bytes", size(&profile));
}

/// Every file under `dir`.
fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { files.extend(walkdir(&path)) } else { files.push(path) }
    }
    files
}

const REPLY_ENV: &str = "PAKCHAT_REPLY_CHILD_DIR";

/// Streams a reply into the store in small appended pieces, acknowledging
/// each once flushed: not a test of its own, the parent kills it.
#[test]
#[ignore = "started by a_growing_reply_keeps_every_acknowledged_piece_through_sigkill"]
fn crash_child_streamer() {
    let Ok(dir) = std::env::var(REPLY_ENV) else { return };
    let store = open(Path::new(&dir));
    if store.thread(THREAD).unwrap().is_none() {
        store.put_thread(&Thread::new(THREAD, "crash".to_owned(), 0, stamp())).unwrap();
    }
    let mut reply = done_message(THREAD, String::new());
    reply.role = Role::Assistant;
    reply.status = MessageStatus::Streaming;
    let at = store.append_message(&reply).unwrap();
    store.flush().unwrap();
    let stored = store.messages(THREAD, at, 1).unwrap();
    assert!(matches!(&stored[..], [MessageSlot::Ok(m)] if m.id == reply.id), "the reply is stored before it grows");
    let mut out = std::io::stdout().lock();
    writeln!(out, "at {at}").unwrap();
    for n in 0.. {
        let piece = format!("p{n} ");
        store.append_to_reply(THREAD, at, &piece, "").unwrap();
        store.flush().unwrap();
        writeln!(out, "ack {piece}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn a_growing_reply_keeps_every_acknowledged_piece_through_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let exe: PathBuf = std::env::current_exe().unwrap();
    let mut rng = Lcg(0xcafe_u64 ^ u64::from(std::process::id()));
    for round in 0..8 {
        let mut child = Command::new(&exe)
            .args(["crash_child_streamer", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env(REPLY_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let (mut at, mut text) = (None, String::new());
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(piece) = line.strip_prefix("ack ") {
                    text.push_str(piece);
                } else if let Some(n) = line.strip_prefix("at ") {
                    at = n.parse::<u64>().ok();
                }
            }
            (at, text)
        });
        std::thread::sleep(Duration::from_millis(100 + rng.next(300)));
        child.kill().unwrap(); // SIGKILL on Unix.
        child.wait().unwrap();
        let (at, acked) = reader.join().unwrap();
        let Some(at) = at else { continue };
        let store = open(dir.path());
        let Some(MessageSlot::Ok(reply)) = store.messages(THREAD, at, 1).unwrap().pop() else {
            panic!("round {round}: the growing reply is missing or unreadable")
        };
        assert_eq!(reply.status, MessageStatus::Streaming);
        assert!(acked.len() > 3, "round {round}: the streamer made progress");
        // Every acknowledged piece is there, in order (one more may be).
        assert!(reply.content.starts_with(&acked), "round {round}: {} not in {}", acked, reply.content);
        assert!(reply.content.len() <= acked.len() + 12, "round {round}: nothing but the pieces");
    }
}
