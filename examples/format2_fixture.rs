//! How `tests/fixtures/format2/` was made: a small profile in store format 2
//! (the format of the release before the store rework of issue 14), written
//! with that release's code, and the archive export of it made then.
//! `tests/format2.rs` opens the committed copy with today's code and checks
//! that nothing of it was lost.
//!
//! Run once, before format 3 exists; running it again on a newer format
//! would make a fixture of the wrong format (it refuses to):
//! `cargo run --release --example format2_fixture -- tests/fixtures/format2`

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use pakchat::domain::{
    Attachment, AttachmentId, Branches, FileKind, HlcClock, KnowledgeFile, Message, MessageId, MessageStatus, Project,
    ProjectId, ROOT, Role, ThemePreference, Thread, ThreadId, Usage,
};
use pakchat::store::keys::FORMAT_VERSION;
use pakchat::store::{Argon2Params, KeySource, SealedStore, SledKv, Store};

/// Fixed times, so the fixture says when it was "written", not when it was made.
const T0: u64 = 1_764_000_000_000;

struct Writer {
    store: SealedStore,
    clock: HlcClock,
    at: u64,
}

impl Writer {
    fn message(&mut self, thread: ThreadId, parent: Option<&Message>, role: Role, text: &str) -> Message {
        self.at += 1_000;
        Message {
            id: MessageId::new(),
            thread_id: thread,
            parent_id: parent.map(|p| p.id),
            role,
            content: text.to_owned(),
            reasoning: String::new(),
            attachments: Vec::new(),
            model: (role == Role::Assistant).then(|| "gpt-4o-mini".to_owned()),
            status: MessageStatus::Done,
            failure: None,
            usage: None,
            created_ms: self.at,
            stamp: self.clock.now(),
        }
    }

    fn file(
        &mut self,
        thread: ThreadId,
        message: &mut Message,
        name: &str,
        kind: FileKind,
        bytes: &[u8],
    ) -> anyhow::Result<()> {
        let blob = self.store.put_blob(bytes)?;
        let image = matches!(kind, FileKind::Png);
        let preview = image.then(|| self.store.put_blob(&[bytes, b" (preview)"].concat())).transpose()?;
        // A document's extracted text is a blob of its own.
        let text = (!image).then(|| self.store.put_blob(bytes)).transpose()?;
        let attachment = Attachment {
            id: AttachmentId::new(),
            thread_id: thread,
            message_id: Some(message.id),
            name: name.to_owned(),
            kind,
            size: bytes.len() as u64,
            blob,
            preview,
            preview_size: image.then_some((4, 3)),
            dimensions: image.then_some((40, 30)),
            exif: None,
            text,
            pages: None,
            sent_copy: None,
            created_ms: self.at,
            stamp: self.clock.now(),
        };
        message.attachments.push(attachment.id);
        self.store.put_attachment(&attachment)?;
        Ok(())
    }
}

fn main() -> anyhow::Result<()> {
    let out = PathBuf::from(std::env::args().nth(1).context("usage: format2_fixture OUT_DIR")?);
    if FORMAT_VERSION != 2 {
        bail!("this code writes store format {FORMAT_VERSION}, not 2: the fixture must stay as it was made");
    }
    if out.join("profile").exists() {
        bail!("{} holds a fixture already", out.display());
    }
    let kv = Arc::new(SledKv::open(&out.join("profile"))?);
    let store = SealedStore::create(kv, &KeySource::KeyFile(out.join("key")), Argon2Params::default())?;
    let clock = HlcClock::new(store.device_id());
    let mut w = Writer { store, clock, at: T0 };

    // A project with knowledge.
    let mut project = Project::new(ProjectId::new(), "Thesis".to_owned(), T0, w.clock.now());
    project.instructions = "Cite every source.".to_owned();
    project.files.push(KnowledgeFile {
        id: uuid::Uuid::now_v7(),
        name: "outline.md".to_owned(),
        text: "# Outline\nThe Indus flows south to the Arabian Sea.".to_owned(),
    });
    w.store.put_project(&project)?;

    // A pinned chat in the project: a photo and a note, a reply regenerated
    // into a second branch (the first one shown), a follow-up on the second,
    // a draft, a system prompt and a mode.
    let mut trip = Thread::new(ThreadId::new(), "Trip to Hunza 🏔".to_owned(), T0, w.clock.now());
    trip.pinned = true;
    trip.project_id = Some(project.id);
    trip.system_prompt = "Answer briefly.".to_owned();
    trip.mode = Some("tutor".to_owned());
    trip.draft = "and what about the return — by road?".to_owned();
    let mut m0 = w.message(trip.id, None, Role::User, "Plan three days in Hunza; here is my route.");
    w.file(trip.id, &mut m0, "route.png", FileKind::Png, b"\x89PNG not a real image, kept byte for byte")?;
    w.file(trip.id, &mut m0, "notes.txt", FileKind::Text, "Karimabad, Attabad lake, Passu cones.\n".as_bytes())?;
    let mut m1 = w.message(
        trip.id,
        Some(&m0),
        Role::Assistant,
        "Day 1: Karimabad.\n\n| Day | Place |\n|---|---|\n| 1 | Karimabad |",
    );
    m1.reasoning = "Three days, start near the fort.".to_owned();
    m1.usage = Some(Usage { input_tokens: 42, output_tokens: 17 });
    let m2 = w.message(trip.id, Some(&m0), Role::Assistant, "A regenerated plan: Passu first.");
    let m3 = w.message(trip.id, Some(&m2), Role::User, "Why Passu first?");
    let mut m4 = w.message(trip.id, Some(&m3), Role::Assistant, "");
    m4.status = MessageStatus::Failed;
    m4.failure =
        Some("The reply failed: HTTP 429: Slow down. The provider asks you to wait before trying again.".to_owned());
    let mut branches = Branches::default();
    for (position, (m, parent)) in [(&m0, ROOT), (&m1, 0), (&m2, 0), (&m3, 2), (&m4, 3)].into_iter().enumerate() {
        let at = w.store.append_message(m)?;
        assert_eq!(at, position as u64);
        branches.add_child(parent, at, at);
    }
    assert!(branches.choose(0, 1, 5), "the first answer is shown");
    w.store.put_branches(trip.id, &branches)?;
    w.store.put_thread(&trip)?;

    // A plain chat, a stopped reply at its end.
    let mut plain = Thread::new(ThreadId::new(), "Biryani for twelve".to_owned(), T0 + 100_000, w.clock.now());
    plain.auto_title = true;
    let mut last = None;
    for i in 0..6 {
        let role = if i % 2 == 0 { Role::User } else { Role::Assistant };
        let mut m =
            w.message(plain.id, last.as_ref(), role, &format!("message {i}: rice, yoghurt, saffron — step {i}"));
        if i == 5 {
            m.status = MessageStatus::Cancelled;
        }
        w.store.append_message(&m)?;
        last = Some(m);
    }
    w.store.put_thread(&plain)?;

    // A deleted chat (a tombstone).
    let mut gone = Thread::new(ThreadId::new(), "Deleted chat".to_owned(), T0 + 200_000, w.clock.now());
    gone.deleted = true;
    w.store.put_thread(&gone)?;

    // Settings and a key.
    let mut settings = w.store.settings()?;
    settings.theme = ThemePreference::Dark;
    settings.text_scale = 1.25;
    settings.personal.name = "Ada Lovelace".to_owned();
    w.store.put_settings(&settings)?;
    w.store.put_api_key("openai", Some("sk-format2-fixture-not-a-real-key"), w.clock.now())?;
    w.store.flush()?;

    // The export made before any migration: what the fixture must still hold.
    let (archive, _) = pakchat::archive::export_all(&w.store)?;
    let json = pakchat::archive::to_json(&archive).map_err(anyhow::Error::msg)?;
    std::fs::write(out.join("expected.json"), json)?;
    Ok(())
}
