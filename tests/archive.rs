//! Export and import through the public API: a whole profile out to JSON and
//! back into a fresh one record by record, and a real-shaped ChatGPT export.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use pakchat::archive::{self, ArchiveError, chatgpt};
use pakchat::domain::{
    Attachment, Branches, DeviceId, FileKind, HlcClock, Message, MessageId, MessageStatus, ROOT, Role, Stamp,
    ThemePreference, Thread, ThreadId,
};
use pakchat::store::{Argon2Params, KeySource, MemoryKv, MessageSlot, SealedStore, Store, ThreadSlot};
use zeroize::Zeroizing;

const FAST: Argon2Params = Argon2Params { m_cost_kib: 1024, t_cost: 1, p_cost: 1 };

fn store(passphrase: &str) -> SealedStore {
    SealedStore::create(Arc::new(MemoryKv::new()), &KeySource::Passphrase(Zeroizing::new(passphrase.to_owned())), FAST)
        .unwrap()
}

fn clock() -> HlcClock {
    HlcClock::new(DeviceId::from_bytes([7; 16]))
}

fn message(clock: &mut HlcClock, thread: ThreadId, parent: Option<&Message>, role: Role, text: &str) -> Message {
    Message {
        id: MessageId::new(),
        thread_id: thread,
        parent_id: parent.map(|p| p.id),
        role,
        content: text.to_owned(),
        reasoning: if role == Role::Assistant { format!("thinking about {text}") } else { String::new() },
        attachments: Vec::new(),
        model: (role == Role::Assistant).then(|| "gpt-test".to_owned()),
        status: MessageStatus::Done,
        failure: None,
        usage: None,
        created_ms: 1_700_000_000_000,
        stamp: clock.now(),
    }
}

fn attachment(store: &dyn Store, clock: &mut HlcClock, thread: ThreadId, name: &str, bytes: &[u8]) -> Attachment {
    let blob = store.put_blob(bytes).unwrap();
    let preview = store.put_blob(&[bytes, b" preview"].concat()).unwrap();
    Attachment {
        preview: Some(preview),
        preview_size: Some((4, 3)),
        dimensions: Some((40, 30)),
        created_ms: 1_700_000_000_100,
        ..Attachment::new(thread, name, FileKind::Png, bytes.len() as u64, blob, clock.now())
    }
}

/// A profile with a branched thread with a file, a plain one, a deleted one,
/// changed settings and an API key.
struct Fixture {
    store: SealedStore,
    branchy: ThreadId,
    plain: ThreadId,
    deleted: ThreadId,
}

fn fixture() -> Fixture {
    let store = store("first profile");
    let mut c = clock();

    let mut t = Thread::new(ThreadId::new(), "Branchy".to_owned(), 1_700_000_000_000, c.now());
    t.pinned = true;
    t.system_prompt = "Answer like a pirate.".to_owned();
    let mut photo = attachment(&store, &mut c, t.id, "photo.png", b"\x89PNG fake but stored bytes");
    let mut m0 = message(&mut c, t.id, None, Role::User, "what is in this photo");
    m0.attachments.push(photo.id);
    photo.message_id = Some(m0.id);
    store.put_attachment(&photo).unwrap();
    let m1 = message(&mut c, t.id, Some(&m0), Role::Assistant, "a lighthouse at dusk");
    let m2 = message(&mut c, t.id, Some(&m0), Role::Assistant, "a regenerated answer: a beacon");
    let m3 = message(&mut c, t.id, Some(&m2), Role::User, "follow-up on the regenerated branch");
    let mut b = Branches::default();
    for (position, (m, parent)) in [(&m0, ROOT), (&m1, 0), (&m2, 0), (&m3, 2)].into_iter().enumerate() {
        assert_eq!(store.append_message(m).unwrap(), position as u64);
        b.add_child(parent, position as u64, position as u64);
    }
    assert!(b.choose(0, 1, 4), "show the first answer");
    store.put_branches(t.id, &b).unwrap();
    store.put_thread(&t).unwrap();

    let mut project = pakchat::domain::Project::new(
        pakchat::domain::ProjectId::new(),
        "Essays".to_owned(),
        1_700_000_050_000,
        c.now(),
    );
    project.instructions = "Write plainly.".to_owned();
    project.files.push(pakchat::domain::KnowledgeFile {
        id: uuid::Uuid::now_v7(),
        name: "style.md".to_owned(),
        text: "Short sentences.".to_owned(),
    });
    store.put_project(&project).unwrap();
    let mut p = Thread::new(ThreadId::new(), "Plain: with / odd? name".to_owned(), 1_700_000_100_000, c.now());
    p.draft = "a draft still being written".to_owned();
    p.project_id = Some(project.id);
    p.mode = Some("tutor".to_owned());
    let mut last = None;
    for i in 0..5 {
        let role = if i % 2 == 0 { Role::User } else { Role::Assistant };
        let m = message(&mut c, p.id, last.as_ref(), role, &format!("plain message {i}"));
        store.append_message(&m).unwrap();
        last = Some(m);
    }
    store.put_thread(&p).unwrap();

    let mut d = Thread::new(ThreadId::new(), "Deleted".to_owned(), 1_700_000_200_000, c.now());
    d.deleted = true;
    store.put_thread(&d).unwrap();

    let mut settings = store.settings().unwrap();
    settings.theme = ThemePreference::Dark;
    settings.text_scale = 1.25;
    settings.personal.name = "Ada Lovelace".to_owned();
    store.put_settings(&settings).unwrap();
    store.put_api_key("openai", Some("sk-archive-test-secret-4242"), clock().now()).unwrap();
    Fixture { store, branchy: t.id, plain: p.id, deleted: d.id }
}

fn all_messages(store: &dyn Store, thread: ThreadId) -> Vec<MessageSlot> {
    let n = store.message_count(thread).unwrap();
    store.messages(thread, 0, n as usize + 1).unwrap()
}

fn live_threads(store: &dyn Store) -> Vec<Thread> {
    let mut out: Vec<Thread> = store
        .threads()
        .unwrap()
        .into_iter()
        .filter_map(|s| match s {
            ThreadSlot::Ok(t) if !t.deleted => Some(t),
            _ => None,
        })
        .collect();
    out.sort_by_key(|t| t.created_ms);
    out
}

fn stamper() -> impl FnMut() -> Stamp {
    let mut c = clock();
    move || c.now()
}

#[test]
fn export_then_import_into_a_fresh_profile_gives_back_every_record() {
    let f = fixture();
    let (archive, report) = archive::export_all(&f.store).unwrap();
    assert_eq!((report.threads, report.messages, report.attachments, report.unreadable), (2, 9, 1, 0));
    let json = archive::to_json(&archive).unwrap();
    let text = String::from_utf8(json.clone()).unwrap();
    assert!(!text.contains("sk-archive-test-secret-4242"), "API keys never leave the store");
    assert!(!text.contains("Deleted"), "deleted chats are not exported");

    // "Wipe": a new profile with another key, so every blob id differs.
    let fresh = store("second profile");
    let pending = archive::open(&json).unwrap();
    let mut heard = Vec::new();
    let imported = pending.import(&fresh, true, &mut stamper(), &mut |done, total| heard.push((done, total))).unwrap();
    assert_eq!(heard, [(1, 2), (2, 2)], "progress after each chat");
    assert_eq!((imported.threads, imported.skipped, imported.messages, imported.attachments), (2, 0, 9, 1));
    assert!(imported.settings);

    assert_eq!(live_threads(&fresh), live_threads(&f.store));
    for id in [f.branchy, f.plain] {
        assert_eq!(all_messages(&fresh, id), all_messages(&f.store, id), "messages of {id:?}");
        assert_eq!(fresh.branches(id).unwrap(), f.store.branches(id).unwrap(), "branches of {id:?}");
        let before: Vec<Attachment> = f.store.attachments(id).unwrap().into_iter().map(Result::unwrap).collect();
        let after: Vec<Attachment> = fresh.attachments(id).unwrap().into_iter().map(Result::unwrap).collect();
        assert_eq!(before.len(), after.len());
        for (a, b) in before.iter().zip(&after) {
            // Blob ids are keyed per profile: compare everything else, and the contents.
            let same_but_blobs =
                Attachment { blob: a.blob, preview: a.preview, text: a.text, sent_copy: a.sent_copy, ..b.clone() };
            assert_eq!(&same_but_blobs, a);
            assert_ne!(a.blob, b.blob, "the new profile's key names the file differently");
            for (x, y) in a.blobs().iter().zip(b.blobs().iter()) {
                assert_eq!(f.store.blob(x).unwrap().unwrap(), fresh.blob(y).unwrap().unwrap());
            }
        }
    }
    assert!(fresh.thread(f.deleted).unwrap().is_none());
    assert_eq!(fresh.projects().unwrap(), f.store.projects().unwrap(), "the project with its knowledge");
    assert_eq!(imported.projects, 1);
    assert_eq!(fresh.settings().unwrap(), f.store.settings().unwrap());
    assert!(fresh.api_key("openai").unwrap().is_none());
    assert_eq!(fresh.search("lighthouse dusk", 10).unwrap().len(), 1, "imported messages are searchable");

    // The same file again adds nothing.
    let again = archive::import(&fresh, archive::parse(&json, &mut stamper()).unwrap(), false).unwrap();
    assert_eq!((again.threads, again.skipped, again.messages), (0, 2, 0));
    assert_eq!(all_messages(&fresh, f.plain).len(), 5);
}

#[test]
fn a_malformed_archive_is_refused_with_a_reason_and_imports_nothing() {
    let f = fixture();
    let (archive, _) = archive::export_all(&f.store).unwrap();
    let json = archive::to_json(&archive).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json).unwrap();

    let mut wrong_thread = value.clone();
    wrong_thread["threads"][0]["messages"][1]["thread_id"] = serde_json::json!(ThreadId::new());
    let mut missing_file = value.clone();
    missing_file["threads"][0]["attachments"][0]["blobs"].as_object_mut().unwrap().clear();
    let mut damaged_file = value.clone();
    for (_, v) in damaged_file["threads"][0]["attachments"][0]["blobs"].as_object_mut().unwrap() {
        *v = serde_json::json!("not base64 at all!");
    }
    let mut not_a_message = value.clone();
    not_a_message["threads"][1]["messages"][2] = serde_json::json!({"text": "hello"});
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated", json[..json.len() / 2].to_vec(), "not a readable export"),
        ("wrong thread", serde_json::to_vec(&wrong_thread).unwrap(), "names another chat"),
        ("missing file", serde_json::to_vec(&missing_file).unwrap(), "content of \"photo.png\" is missing"),
        ("damaged file", serde_json::to_vec(&damaged_file).unwrap(), "damaged"),
        ("not a message", serde_json::to_vec(&not_a_message).unwrap(), "missing field"),
        ("binary", b"\x89PNG\r\n\x1a\n".to_vec(), "conversations.json"),
    ];
    let fresh = store("empty profile");
    for (what, bytes, reason) in cases {
        let e = archive::parse(&bytes, &mut stamper()).expect_err(what);
        assert!(e.to_string().contains(reason), "{what}: {e}");
    }
    assert!(fresh.threads().unwrap().is_empty(), "nothing was written");
    assert_eq!(fresh.message_count(f.branchy).unwrap(), 0);
}

#[test]
fn markdown_holds_the_branch_on_screen_with_its_files() {
    let f = fixture();
    let (archive, _) = archive::export_thread(&f.store, f.branchy).unwrap();
    assert!(archive.settings.is_none(), "one thread's export carries no settings");
    let md = archive::thread_markdown(&archive.threads[0]);
    assert!(md.starts_with("# Branchy\n"), "{md}");
    assert!(md.contains("## You · 2023-11-14"), "{md}");
    assert!(md.contains("what is in this photo") && md.contains("- Attached: photo.png"), "{md}");
    assert!(md.contains("## gpt-test · ") && md.contains("a lighthouse at dusk"), "{md}");
    assert!(!md.contains("a beacon") && !md.contains("follow-up"), "only the branch shown: {md}");
    assert_eq!(archive::file_name("Plain: with / odd? name", "md"), "Plain_ with _ odd_ name.md");
}

const CHATGPT: &[u8] = include_bytes!("fixtures/chatgpt/conversations.json");

fn texts_on_screen(store: &dyn Store, thread: ThreadId) -> Vec<String> {
    let count = store.message_count(thread).unwrap();
    let path = store.branches(thread).unwrap().path(count);
    let slots = all_messages(store, thread);
    (0..path.len())
        .map(|row| match &slots[path.position(row).unwrap() as usize] {
            MessageSlot::Ok(m) => m.content.clone(),
            MessageSlot::Unreadable(u) => panic!("{u}"),
        })
        .collect()
}

#[test]
fn a_chatgpt_export_imports_with_its_branches_intact() {
    let fresh = store("chatgpt profile");
    // As the app and `pakchat import` do it: a conversation at a time, with progress.
    let pending = archive::open(CHATGPT).unwrap();
    assert_eq!(pending.chats(), 2, "the empty conversation is not counted");
    let mut heard = Vec::new();
    let report = pending.import(&fresh, false, &mut stamper(), &mut |done, total| heard.push((done, total))).unwrap();
    assert_eq!(heard, [(1, 2), (2, 2)]);
    assert_eq!((report.threads, report.messages, report.settings), (2, 9, false), "{report:?}");
    assert_eq!(report.summary(), "Imported 2 chats with 9 messages.");

    let threads = live_threads(&fresh);
    let titles: Vec<&str> = threads.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(titles, ["Sourdough starter", "What bird is this"], "the empty conversation is left out");
    let sourdough = &threads[0];
    assert_eq!(sourdough.id.0.to_string(), "66283b1a-1f2e-4d3c-9b4a-5e6f7a8b9c0d");
    assert_eq!(sourdough.created_ms, 1_714_000_000_125);

    // The branch the user last looked at (current_node: the first answer to
    // "And how often?") is the one shown, though newer branches exist.
    assert_eq!(
        texts_on_screen(&fresh, sourdough.id),
        [
            "How do I feed a sourdough starter?",
            "Feed it equal weights of flour and water, and discard half first.",
            "And how often?",
            "Once a day at room temperature."
        ]
    );
    // Every node is kept as a sibling where it was: the edit and the regeneration.
    let slots = all_messages(&fresh, sourdough.id);
    let m: Vec<&Message> = slots
        .iter()
        .map(|s| match s {
            MessageSlot::Ok(m) => m,
            MessageSlot::Unreadable(u) => panic!("{u}"),
        })
        .collect();
    let at = |text: &str| m.iter().position(|x| x.content == text).unwrap() as u64;
    let count = m.len() as u64;
    assert_eq!(count, 7, "system, tool call and tool output are left out");
    let b = fresh.branches(sourdough.id).unwrap();
    let first_answer = at("Feed it equal weights of flour and water, and discard half first.");
    assert_eq!(b.children_of(first_answer, count), [at("And how often?"), at("And if I keep it in the fridge?")]);
    assert_eq!(
        b.children_of(at("And how often?"), count),
        [at("Once a day at room temperature."), at("Every 12 hours if your kitchen is warm.")]
    );
    let fridge = &m[at("In the fridge, feed it **once a week**.") as usize];
    assert_eq!(
        fridge.parent_id,
        Some(m[at("And if I keep it in the fridge?") as usize].id),
        "a reply after tool calls answers the user's message"
    );
    assert_eq!(fridge.model.as_deref(), Some("gpt-4o"));
    assert_eq!(m[at("Every 12 hours if your kitchen is warm.") as usize].model.as_deref(), Some("gpt-4o-mini"));
    assert_eq!(m[0].parent_id, None);
    assert_eq!(m[0].role, Role::User);
    assert_eq!(m[0].created_ms, 1_714_000_001_500);

    // An image the export keeps outside conversations.json is named, not lost silently.
    let bird = texts_on_screen(&fresh, threads[1].id);
    assert_eq!(
        bird,
        [format!("{}\n\nWhat bird is this?", chatgpt::IMAGE_NOTE), "That is a greater flamingo.".to_owned()]
    );

    // Importing the same export again adds nothing (read whole this time).
    let again = archive::import(&fresh, archive::parse(CHATGPT, &mut stamper()).unwrap(), false).unwrap();
    assert_eq!((again.threads, again.skipped), (0, 2));
}

#[test]
fn a_malformed_chatgpt_export_is_refused_and_imports_nothing() {
    let fresh = store("chatgpt profile");
    let cut = &CHATGPT[..CHATGPT.len() - 200];
    let cases: [(&str, &[u8], &str); 4] = [
        ("truncated", cut, "not a ChatGPT conversations.json"),
        ("no mapping", br#"[{"title": "x", "create_time": 1.0}]"#, "missing field `mapping`"),
        ("empty", b"[]", "holds no conversations"),
        (
            "only empty chats",
            br#"[{"title": "x", "mapping": {"r": {"message": null, "children": []}}}]"#,
            "no conversation",
        ),
    ];
    for (what, bytes, reason) in cases {
        let e = archive::parse(bytes, &mut stamper()).expect_err(what);
        assert!(matches!(e, ArchiveError::Malformed(_)), "{what}: {e:?}");
        assert!(e.to_string().contains(reason), "{what}: {e}");
        let Err(e) = archive::open(bytes) else { panic!("{what}: opened") };
        assert!(e.to_string().contains(reason), "{what}, opened: {e}");
    }
    assert!(fresh.threads().unwrap().is_empty());
}

#[test]
fn the_streamed_export_reads_back_as_the_whole_export() {
    let f = fixture();
    let (whole, whole_report) = archive::export_all(&f.store).unwrap();
    let mut streamed = Vec::new();
    let report = archive::write_all(&f.store, &mut streamed).unwrap();
    assert_eq!(
        (report.threads, report.messages, report.attachments),
        (whole_report.threads, whole_report.messages, whole_report.attachments)
    );
    let mut c = clock();
    let mut read = archive::parse(&streamed, &mut || c.now()).unwrap();
    read.exported_ms = whole.exported_ms;
    assert_eq!(read, whole, "the same archive, written a thread at a time");
}
