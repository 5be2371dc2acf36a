//! The sealed store through its public API, on the real sled engine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::Arc;

use pakchat::domain::{
    Attachment, BlobId, DeviceId, FileKind, Hlc, KnowledgeFile, Message, MessageId, MessageStatus, Project, ProjectId,
    Role, Settings, Stamp, ThemePreference, Thread, ThreadId, Usage,
};
use pakchat::store::{
    Argon2Params, KeySource, Kv, MessageSlot, ProtectionKind, SealedStore, SledKv, Store, StoreError, Table, ThreadSlot,
};
use zeroize::Zeroizing;

/// Cheap Argon2 parameters: these tests are about the store, not the KDF cost.
const FAST: Argon2Params = Argon2Params { m_cost_kib: 1024, t_cost: 1, p_cost: 1 };

fn stamp(n: u64) -> Stamp {
    Stamp { hlc: Hlc { millis: n, counter: 0 }, device: DeviceId::from_bytes([1; 16]) }
}

fn pass(p: &str) -> KeySource {
    KeySource::Passphrase(Zeroizing::new(p.to_owned()))
}

/// Reopening right after a drop can find sled's I/O threads still holding
/// the lock for a moment (CI failed on exactly that once).
fn open_kv(dir: &Path) -> Arc<dyn Kv> {
    Arc::new(SledKv::open_patiently(dir, std::time::Duration::from_secs(5)).unwrap())
}

/// Every record in every table.
fn dump(kv: &dyn Kv) -> Vec<(Table, Vec<u8>, Vec<u8>)> {
    Table::ALL.iter().flat_map(|&t| kv.scan_prefix(t, &[]).unwrap().into_iter().map(move |(k, v)| (t, k, v))).collect()
}

fn thread(title: &str) -> Thread {
    let mut t = Thread::new(ThreadId::new(), title.to_owned(), 1_700_000_000_000, stamp(1));
    t.draft = format!("draft of {title}");
    t.pinned = true;
    t
}

/// Store a thread and its draft (a record of its own since format 3).
fn keep(store: &dyn Store, t: &Thread) {
    store.put_thread(t).unwrap();
    store.put_draft(t.id, &t.draft).unwrap();
}

fn message(thread: ThreadId, text: &str) -> Message {
    Message {
        id: MessageId::new(),
        thread_id: thread,
        parent_id: Some(MessageId::new()),
        role: Role::Assistant,
        content: text.to_owned(),
        reasoning: String::new(),
        attachments: Vec::new(),
        model: Some("gpt-test".to_owned()),
        status: MessageStatus::Done,
        failure: None,
        usage: Some(Usage { input_tokens: 3, output_tokens: 5 }),
        created_ms: 1_700_000_000_001,
        stamp: stamp(2),
    }
}

#[test]
fn every_record_type_round_trips_through_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let t = thread("Trip to Lahore");
    let m1 = message(t.id, "first");
    let m2 = message(t.id, "second");
    let settings =
        Settings { theme: ThemePreference::Dark, text_scale: 1.25, stamp: Some(stamp(3)), ..Settings::default() };
    let mut project = Project::new(ProjectId::new(), "Lahore trip".to_owned(), 5, stamp(4));
    project.instructions = "Plan by train.".to_owned();
    project.files.push(KnowledgeFile {
        id: uuid::Uuid::now_v7(),
        name: "route.md".to_owned(),
        text: "Day 1".to_owned(),
    });
    let mut t = t;
    t.project_id = Some(project.id);
    {
        let store = SealedStore::create(open_kv(dir.path()), &pass("correct horse"), FAST).unwrap();
        store.put_project(&project).unwrap();
        keep(&store, &t);
        assert_eq!(store.append_message(&m1).unwrap(), 0);
        assert_eq!(store.append_message(&m2).unwrap(), 1);
        store.put_settings(&settings).unwrap();
        store.flush().unwrap();
    }
    let store = SealedStore::unlock(open_kv(dir.path()), &pass("correct horse")).unwrap();
    assert_eq!(store.protection(), ProtectionKind::Passphrase);
    assert_eq!(store.thread(t.id).unwrap(), Some(t.clone()));
    assert_eq!(store.threads().unwrap(), vec![ThreadSlot::Ok(t.clone())]);
    assert_eq!(store.message_count(t.id).unwrap(), 2);
    assert_eq!(store.messages(t.id, 0, 10).unwrap(), vec![MessageSlot::Ok(m1), MessageSlot::Ok(m2.clone())]);
    assert_eq!(store.messages(t.id, 1, 10).unwrap(), vec![MessageSlot::Ok(m2)]);
    assert_eq!(store.settings().unwrap(), settings);
    assert_eq!(store.message_count(ThreadId::new()).unwrap(), 0);
    assert_eq!(store.project(project.id).unwrap(), Some(project.clone()));
    assert_eq!(store.projects().unwrap(), vec![pakchat::store::ProjectSlot::Ok(project)]);
}

#[test]
fn a_canary_written_everywhere_is_absent_from_every_file_on_disk() {
    let canary = "PAKCHAT-CANARY-7f3a9c1e-do-not-leak";
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    {
        let store = SealedStore::create(open_kv(&profile), &KeySource::KeyFile(dir.path().join("key")), FAST).unwrap();
        for i in 0..50 {
            let mut t = thread(&format!("{canary} title {i}"));
            t.draft = format!("{canary} draft {i}");
            keep(&store, &t);
            for j in 0..20 {
                store.append_message(&message(t.id, &format!("{canary} message {i}/{j}"))).unwrap();
            }
        }
        store.put_settings(&Settings::default()).unwrap();
        // An attached text file whose name and content carry the canary.
        let content = format!("{canary} attached file ").repeat(20_000);
        let t = thread("with an attachment");
        let blob = store.put_blob(content.as_bytes()).unwrap();
        store.put_attachment(&attachment(t.id, &format!("{canary}.txt"), blob)).unwrap();
        // A reply cut off while it streamed: its appended chunks carry it.
        let mut growing = message(t.id, "");
        growing.status = MessageStatus::Streaming;
        let at = store.append_message(&growing).unwrap();
        store.append_to_reply(t.id, at, &format!("{canary} streamed"), &format!("{canary} thought")).unwrap();
        // A project whose name, instructions and knowledge carry it too.
        let mut project = Project::new(ProjectId::new(), format!("{canary} project"), 0, stamp(4));
        project.instructions = format!("{canary} instructions");
        project.files.push(KnowledgeFile {
            id: uuid::Uuid::now_v7(),
            name: format!("{canary}.md"),
            text: format!("{canary} knowledge ").repeat(1_000),
        });
        store.put_project(&project).unwrap();
        store.flush().unwrap();
    }
    // The search index was written (the canary's words find its messages)…
    {
        let store = SealedStore::unlock(open_kv(&profile), &KeySource::KeyFile(dir.path().join("key"))).unwrap();
        assert_eq!(store.search("canary 7F3A9C1E message", usize::MAX).unwrap().len(), 50 * 20);
    }
    let files = common::canary::files_under(&profile);
    assert!(files.iter().map(|(_, b)| b.len()).sum::<usize>() > 50 * 20 * 30, "the data was written");
    // … and holds none of them: not the canary, nor its normalized terms.
    let mut forms = common::canary::forms(canary);
    forms.extend(common::canary::forms(&canary.to_lowercase()));
    forms.extend(common::canary::forms("7f3a9c1e"));
    for form in forms {
        for (path, bytes) in &files {
            assert!(
                !common::canary::contains(bytes, &form),
                "{} contains the canary as {:?}",
                path.display(),
                String::from_utf8_lossy(&form)
            );
        }
    }
}

fn attachment(thread: ThreadId, name: &str, blob: BlobId) -> Attachment {
    Attachment::new(thread, name, FileKind::Text, 1, blob, stamp(1))
}

#[test]
fn blobs_are_chunked_sealed_stored_once_and_checked_on_read() {
    let dir = tempfile::tempdir().unwrap();
    let kv = open_kv(&dir.path().join("profile"));
    let store = SealedStore::create(kv.clone(), &KeySource::KeyFile(dir.path().join("key")), FAST).unwrap();
    let big: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
    let id = store.put_blob(&big).unwrap();
    assert_eq!(store.blob(&id).unwrap().as_deref(), Some(big.as_slice()));
    let entries = kv.scan_prefix(Table::Blobs, &[]).unwrap().len();
    assert_eq!(entries, 3 + 1, "three 256 KiB chunks and a length record");
    // The same content again: the same id, nothing new written.
    assert_eq!(store.put_blob(&big).unwrap(), id);
    assert_eq!(kv.scan_prefix(Table::Blobs, &[]).unwrap().len(), entries);
    // The id is keyed: another profile names the same content differently.
    let other = tempfile::tempdir().unwrap();
    let store2 =
        SealedStore::create(open_kv(&other.path().join("p")), &KeySource::KeyFile(other.path().join("k")), FAST)
            .unwrap();
    assert_ne!(store2.blob_id(&big), id);
    // Two chunks swapped: the read fails, it does not return other bytes.
    let chunks = kv.scan_prefix(Table::Blobs, &id.0).unwrap();
    kv.insert(Table::Blobs, &chunks[0].0, &chunks[1].1).unwrap();
    assert!(matches!(store.blob(&id), Err(StoreError::Unreadable(_))));
    // Attachment records list per thread; removal takes them and the blob away.
    let t = ThreadId::new();
    let small = store.put_blob(b"hello").unwrap();
    let a = attachment(t, "a.txt", small);
    store.put_attachment(&a).unwrap();
    assert_eq!(store.attachments(t).unwrap(), vec![Ok(a.clone())]);
    assert_eq!(store.attachment(t, a.id).unwrap(), Some(a.clone()));
    assert_eq!(store.attachment(ThreadId::new(), a.id).unwrap(), None, "looked up under its own thread only");
    assert!(store.attachments(ThreadId::new()).unwrap().is_empty());
    store.remove_attachment(t, a.id).unwrap();
    store.remove_blob(&small).unwrap();
    assert!(store.attachments(t).unwrap().is_empty());
    assert_eq!(store.blob(&small).unwrap(), None);
}

#[test]
fn a_wrong_passphrase_is_rejected_without_touching_data() {
    let dir = tempfile::tempdir().unwrap();
    let t = thread("secret plans");
    {
        let store = SealedStore::create(open_kv(dir.path()), &pass("right"), FAST).unwrap();
        keep(&store, &t);
        store.flush().unwrap();
    }
    let kv = open_kv(dir.path());
    let before = dump(kv.as_ref());
    let err = SealedStore::unlock(kv.clone(), &pass("wrong")).unwrap_err();
    assert!(matches!(err, StoreError::WrongKey), "{err:?}");
    assert_eq!(err.to_string(), "that passphrase or key does not unlock this profile");
    // sled rewrites its own bookkeeping files on open; what matters is that
    // no record changed, the header included.
    assert!(dump(kv.as_ref()) == before, "a failed unlock changed stored records");
    let store = SealedStore::unlock(kv, &pass("right")).unwrap();
    assert_eq!(store.thread(t.id).unwrap(), Some(t));
}

#[test]
fn a_flipped_byte_and_a_moved_value_are_unreadable_not_misread() {
    let dir = tempfile::tempdir().unwrap();
    let kv = open_kv(dir.path());
    let (a, b) = (thread("alpha"), thread("beta"));
    let store = SealedStore::create(kv.clone(), &pass("p"), FAST).unwrap();
    keep(&store, &a);
    keep(&store, &b);
    store.append_message(&message(a.id, "hello")).unwrap();
    store.append_message(&message(a.id, "world")).unwrap();

    // Flip one byte inside thread a's sealed value.
    let mut sealed = kv.get(Table::Threads, a.id.as_bytes()).unwrap().unwrap();
    let mid = sealed.len() / 2;
    sealed[mid] ^= 0x20;
    kv.insert(Table::Threads, a.id.as_bytes(), &sealed).unwrap();
    // Copy thread b's value over to a third id.
    let copied_id = ThreadId::new();
    let b_value = kv.get(Table::Threads, b.id.as_bytes()).unwrap().unwrap();
    kv.insert(Table::Threads, copied_id.as_bytes(), &b_value).unwrap();
    // Swap the two messages' values (same table, other keys).
    let msgs = kv.scan_prefix(Table::Messages, a.id.as_bytes()).unwrap();
    kv.insert(Table::Messages, &msgs[0].0, &msgs[1].1).unwrap();

    assert!(matches!(store.thread(a.id), Err(StoreError::Unreadable(_))));
    assert!(matches!(store.thread(copied_id), Err(StoreError::Unreadable(_))));
    assert_eq!(store.thread(b.id).unwrap(), Some(b.clone()), "the original is untouched");
    let slots = store.threads().unwrap();
    assert_eq!(slots.len(), 3);
    for slot in &slots {
        match slot {
            ThreadSlot::Ok(t) => assert_eq!(t, &b),
            ThreadSlot::Unreadable { id, reason } => {
                assert!([a.id, copied_id].contains(id));
                assert!(reason.to_string().contains("failed authentication"), "{reason}");
            }
        }
    }
    let messages = store.messages(a.id, 0, 10).unwrap();
    assert!(matches!(messages[0], MessageSlot::Unreadable(_)), "moved message is unreadable");
    assert!(matches!(&messages[1], MessageSlot::Ok(m) if m.content == "world"));
}

#[test]
fn a_value_sealed_in_another_table_does_not_open_there() {
    let dir = tempfile::tempdir().unwrap();
    let kv = open_kv(dir.path());
    let store = SealedStore::create(kv.clone(), &pass("p"), FAST).unwrap();
    store.put_settings(&Settings::default()).unwrap();
    let settings_value = kv.get(Table::Settings, b"settings").unwrap().unwrap();
    let id = ThreadId::new();
    kv.insert(Table::Threads, id.as_bytes(), &settings_value).unwrap();
    assert!(matches!(store.thread(id), Err(StoreError::Unreadable(_))));
}

#[test]
fn a_profile_written_by_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let kv = open_kv(dir.path());
    drop(SealedStore::create(kv.clone(), &pass("p"), FAST).unwrap());
    let mut header = SealedStore::read_header(kv.as_ref()).unwrap().unwrap();
    header.format_version = 99;
    kv.insert(Table::Meta, b"header", &serde_json::to_vec(&header).unwrap()).unwrap();
    let err = SealedStore::unlock(kv, &pass("p")).unwrap_err();
    assert!(matches!(err, StoreError::NewerFormat(99)), "{err:?}");
}

#[test]
fn key_files_are_private_and_checked() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("keys").join("pak.key");
    let t = thread("with a key file");
    {
        let store =
            SealedStore::create(open_kv(&dir.path().join("p")), &KeySource::KeyFile(key.clone()), FAST).unwrap();
        assert_eq!(store.protection(), ProtectionKind::KeyFile);
        keep(&store, &t);
        store.flush().unwrap();
    }
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    let kv = open_kv(&dir.path().join("p"));
    // Someone else's key file is the wrong key.
    let other = dir.path().join("other.key");
    drop(SealedStore::create(open_kv(&dir.path().join("q")), &KeySource::KeyFile(other.clone()), FAST).unwrap());
    let err = SealedStore::unlock(kv.clone(), &KeySource::KeyFile(other)).unwrap_err();
    assert!(matches!(err, StoreError::WrongKey), "{err:?}");
    // A world-readable key file is refused with the fix in the message.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = SealedStore::unlock(kv.clone(), &KeySource::KeyFile(key.clone())).unwrap_err();
    assert!(err.to_string().contains("chmod 600"), "{err}");
    // A missing key file names the path.
    let missing = dir.path().join("nope.key");
    let err = SealedStore::unlock(kv.clone(), &KeySource::KeyFile(missing)).unwrap_err();
    assert!(err.to_string().contains("nope.key"), "{err}");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let store = SealedStore::unlock(kv, &KeySource::KeyFile(key)).unwrap();
    assert_eq!(store.thread(t.id).unwrap(), Some(t));
}

/// Every entry under `dir` (itself included) whose mode lets group or
/// others in, with that mode.
#[cfg(unix)]
fn open_to_others(dir: &Path) -> Vec<(std::path::PathBuf, u32)> {
    use std::os::unix::fs::PermissionsExt as _;
    let mut out = Vec::new();
    let meta = std::fs::symlink_metadata(dir).unwrap();
    if meta.permissions().mode() & 0o077 != 0 {
        out.push((dir.to_path_buf(), meta.permissions().mode() & 0o777));
    }
    if meta.is_dir() {
        for entry in std::fs::read_dir(dir).unwrap() {
            out.extend(open_to_others(&entry.unwrap().path()));
        }
    }
    out
}

#[cfg(unix)]
#[test]
fn a_profile_folder_and_its_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = root.path().join("pakchat");
    let profile = data.join("profiles").join("default");
    {
        let store = SealedStore::create(open_kv(&profile), &KeySource::KeyFile(data.join("k.key")), FAST).unwrap();
        store.put_thread(&thread("private")).unwrap();
        store.put_blob(&vec![7u8; 3 << 20]).unwrap();
        store.flush().unwrap();
        // While it is open, the folders made for it already keep others out.
        for dir in [&data, &data.join("profiles"), &profile] {
            let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", dir.display());
        }
    }
    // Reopened: sled's files, made with the umask, are tightened too.
    drop(open_kv(&profile));
    assert_eq!(open_to_others(&data), Vec::new());

    // A profile from before this rule: everything 0755 / 0644, fixed on open.
    for (path, mode) in [(&data, 0o755), (&profile, 0o755)] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    for entry in std::fs::read_dir(&profile).unwrap() {
        let path = entry.unwrap().path();
        let mode = if path.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    assert!(!open_to_others(&profile).is_empty());
    let store = SealedStore::unlock(open_kv(&profile), &KeySource::KeyFile(data.join("k.key"))).unwrap();
    assert_eq!(open_to_others(&profile), Vec::new());
    assert_eq!(store.threads().unwrap().len(), 1, "nothing lost");
}

#[test]
fn a_second_opener_of_the_same_profile_is_told_it_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    let _first = SledKv::open(dir.path()).unwrap();
    let err = SledKv::open(dir.path()).unwrap_err();
    assert_eq!(err.to_string(), "the profile is already open in another Pak.Chat window or process");
}

#[test]
fn the_default_passphrase_cost_is_real_argon2id() {
    // Guard against shipping test-grade parameters.
    let p = Argon2Params::default();
    assert!(p.m_cost_kib >= 19 * 1024 && p.t_cost >= 2, "{p:?}");
}

/// A tiny deterministic generator (xorshift), so the test data is the same
/// on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Skewed towards small numbers, like word frequencies.
    fn zipf(&mut self, n: u64) -> u64 {
        let a = self.next() % n;
        let b = self.next() % n;
        a.min(b) * (self.next() % n) / n
    }
}

use common::search_profile::word;

/// The words a person would say the text has, found independently of the
/// store's own tokenizer: split at whitespace, strip punctuation, lower case.
fn brute_words(text: &str) -> std::collections::HashSet<String> {
    text.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase()).collect()
}

#[test]
fn search_over_100k_messages_finds_exactly_what_a_full_scan_finds() {
    const THREADS: u64 = 100;
    const PER_THREAD: u64 = 1_000;
    const VOCABULARY: u64 = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let kv = open_kv(dir.path());
    let store = SealedStore::create(kv.clone(), &pass("p"), FAST).unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // (thread, position, text) of every message, for the brute-force scan.
    let mut all: Vec<(ThreadId, u64, String)> = Vec::new();
    for _ in 0..THREADS {
        let t = ThreadId::new();
        for _ in 0..PER_THREAD {
            let len = 3 + rng.next() % 12;
            let mut text = String::new();
            for k in 0..len {
                let w = word(rng.zipf(VOCABULARY));
                // Some capitals and punctuation, as people write.
                if k == 0 {
                    let mut c = w.chars();
                    text.extend(c.next().map(|c| c.to_ascii_uppercase()));
                    text.push_str(c.as_str());
                } else {
                    text.push_str(&w);
                }
                text.push_str(if rng.next().is_multiple_of(7) { ", " } else { " " });
            }
            text.push('.');
            let position = store.append_message(&message(t, &text)).unwrap();
            all.push((t, position, text));
        }
    }
    store.flush().unwrap();
    let brute: Vec<std::collections::HashSet<String>> = all.iter().map(|(_, _, text)| brute_words(text)).collect();
    let scan = |terms: &[String]| -> Vec<(ThreadId, u64)> {
        let mut hits: Vec<(ThreadId, u64)> = all
            .iter()
            .zip(&brute)
            .filter(|(_, words)| terms.iter().all(|t| words.contains(t)))
            .map(|((t, p, _), _)| (*t, *p))
            .collect();
        // Newest thread first, newest message first.
        hits.sort_by(|a, b| b.cmp(a));
        hits
    };
    let queries: Vec<Vec<u64>> =
        vec![vec![0], vec![1, 2], vec![3, 400], vec![5_000, 7], vec![12_345], vec![2, 3, 4], vec![19_999], vec![0, 1]];
    let mut queries: Vec<Vec<String>> = queries.into_iter().map(|q| q.into_iter().map(word).collect()).collect();
    for _ in 0..10 {
        queries.push(vec![word(rng.zipf(VOCABULARY)), word(rng.zipf(VOCABULARY))]);
    }
    // Pairs that some message has.
    for _ in 0..10 {
        let mut words: Vec<String> = brute[(rng.next() % (THREADS * PER_THREAD)) as usize].iter().cloned().collect();
        words.sort();
        queries.push(vec![words[0].clone(), words[words.len() - 1].clone()]);
    }
    let mut non_empty = 0;
    for terms in queries {
        let want = scan(&terms);
        // Typed in capitals, with punctuation: normalized the same way.
        let typed = terms.iter().map(|t| t.to_uppercase()).collect::<Vec<_>>().join(", ");
        let got: Vec<(ThreadId, u64)> =
            store.search(&typed, usize::MAX).unwrap().into_iter().map(|(p, m)| (m.thread_id, p)).collect();
        assert_eq!(got.len(), want.len(), "query {typed:?}");
        assert!(got == want, "query {typed:?}: other messages than the full scan's");
        non_empty += usize::from(!want.is_empty());
        // A limit gives the newest hits.
        let first: Vec<(ThreadId, u64)> =
            store.search(&typed, 10).unwrap().into_iter().map(|(p, m)| (m.thread_id, p)).collect();
        assert_eq!(first, want[..want.len().min(10)], "query {typed:?} with a limit");
    }
    assert!(non_empty >= 15, "the queries exercise real hits ({non_empty} had some)");
    assert!(store.search("nosuchword", 10).unwrap().is_empty());

    // An edited message is found by its new words only.
    let (t, p, _) = all[1234].clone();
    store.update_message(t, p, &message(t, "entirely quixotic replacement")).unwrap();
    let hits = store.search("quixotic", 10).unwrap();
    assert_eq!(hits.iter().map(|(p, m)| (m.thread_id, *p)).collect::<Vec<_>>(), [(t, p)]);
    let old_terms: Vec<String> = brute[1234].iter().cloned().collect();
    assert!(!store.search(&old_terms.join(" "), usize::MAX).unwrap().iter().any(|(q, m)| m.thread_id == t && *q == p));

    // A purged thread's messages are gone from the index too.
    let (gone, _, _) = all[0].clone();
    let before = scan(&[word(0)]);
    store.purge_thread_content(gone).unwrap();
    let after: Vec<(ThreadId, u64)> =
        store.search(&word(0), usize::MAX).unwrap().into_iter().map(|(p, m)| (m.thread_id, p)).collect();
    let want: Vec<(ThreadId, u64)> = before.into_iter().filter(|(t, _)| *t != gone).collect();
    assert_eq!(after, want);
    assert!(kv.scan_prefix(Table::SearchRefs, gone.as_bytes()).unwrap().is_empty(), "refs of the purged thread remain");
    let places = kv.scan_prefix(Table::SearchPlaces, &[]).unwrap().len();
    assert_eq!(
        places,
        kv.scan_prefix(Table::SearchRefs, &[]).unwrap().len(),
        "a place without its ref, or the reverse"
    );
    assert_eq!(places as u64, THREADS * PER_THREAD - PER_THREAD, "one document per message left");
    // Blocks, not a key per posting: far fewer keys than postings.
    let blocks = kv.scan_prefix(Table::SearchBlocks, &[]).unwrap().len();
    let postings: usize = brute.iter().map(std::collections::HashSet::len).sum();
    assert!(blocks > 0 && blocks * 4 < postings, "{blocks} blocks for {postings} postings");
}

#[test]
fn opening_a_format_1_profile_indexes_its_messages() {
    let dir = tempfile::tempdir().unwrap();
    let kv = open_kv(dir.path());
    let t = ThreadId::new();
    {
        let store = SealedStore::create(kv.clone(), &pass("p"), FAST).unwrap();
        for i in 0..3000 {
            store.append_message(&message(t, &format!("message number{i} about llamas"))).unwrap();
        }
    }
    // Make it look like a profile from before the index.
    for table in [Table::SearchBlocks, Table::SearchPlaces, Table::SearchRefs] {
        kv.clear(table).unwrap();
    }
    kv.remove(Table::Meta, b"search-written-below").unwrap();
    let mut header = SealedStore::read_header(kv.as_ref()).unwrap().unwrap();
    header.format_version = 1;
    kv.insert(Table::Meta, b"header", &serde_json::to_vec(&header).unwrap()).unwrap();
    let store = SealedStore::unlock(kv.clone(), &pass("p")).unwrap();
    assert_eq!(store.header().format_version, pakchat::store::keys::FORMAT_VERSION);
    assert_eq!(store.search("llamas", usize::MAX).unwrap().len(), 3000);
    let hit = store.search("number2999", usize::MAX).unwrap();
    assert_eq!(hit.iter().map(|(p, _)| *p).collect::<Vec<_>>(), [2999]);
}

/// A browser stretches the passphrase in a Web Worker and hands the store
/// the result: the profile it makes opens with the passphrase typed, one
/// made with the passphrase opens with a stretch of it, and a stretch with
/// another salt or passphrase does not open it.
#[test]
fn a_passphrase_stretched_elsewhere_opens_the_same_profile() {
    use pakchat::store::keys::{Stretched, new_salt, passphrase_salt, stretch_passphrase};
    let stretched = |p: &str, salt: Vec<u8>| {
        let kek = stretch_passphrase(p, &salt, FAST).unwrap();
        KeySource::Stretched(Stretched { salt, params: FAST, kek })
    };
    let t = thread("made in a browser");
    let made = Arc::new(pakchat::store::MemoryKv::new()) as Arc<dyn Kv>;
    let store = SealedStore::create(made.clone(), &stretched("right", new_salt().unwrap()), FAST).unwrap();
    keep(&store, &t);
    drop(store);
    let store = SealedStore::unlock(made.clone(), &pass("right")).unwrap();
    assert_eq!(store.thread(t.id).unwrap(), Some(t.clone()));
    assert_eq!(store.protection(), ProtectionKind::Passphrase);
    drop(store);

    let header = SealedStore::read_header(made.as_ref()).unwrap().unwrap();
    let (salt, params) = passphrase_salt(&header).unwrap();
    assert_eq!(params, FAST);
    let store = SealedStore::unlock(made.clone(), &stretched("right", salt.clone())).unwrap();
    assert_eq!(store.thread(t.id).unwrap(), Some(t));
    drop(store);
    for wrong in [stretched("wrong", salt), stretched("right", new_salt().unwrap())] {
        let err = SealedStore::unlock(made.clone(), &wrong).unwrap_err();
        assert!(matches!(err, StoreError::WrongKey), "{err:?}");
    }
}
