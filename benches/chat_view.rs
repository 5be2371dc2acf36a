//! UI budgets, measured headless through `egui::Context::run_ui` with the real
//! backend and a sled store:
//! * opening a thread of 100,000 messages until a frame shows its last page;
//! * frame time (layout + tessellation) with that thread at top, middle, end;
//! * the UI's rows held for a 1,000 vs a 100,000 message thread;
//! * start-up to first frame, and to a filled sidebar, with 10 vs 10,000 threads;
//! * frame time while a reply streams at 2,000 tokens/s (20,000 vs 1,000 tokens in);
//! * a font change until the frame that shows it;
//! * a delta's trip: written by a (local, OpenAI-format) server until the
//!   frame that shows it, through reqwest, the decoder, the actor and the UI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr, missing_docs)]

#[path = "rig/mod.rs"]
mod rig;

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use pakchat::backend::Event;
use pakchat::domain::{Message, MessageId, MessageStatus, Role, Thread, ThreadId};
use pakchat::store::{KeySource, Kv, SealedStore, SledKv, Store};
use pakchat::ui::PakApp;
use pakchat::ui::chat_list::ListState;
use rig::{Rig, seed, stamp};

fn chat_view(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (small, medium, big) = (ThreadId::new(), ThreadId::new(), ThreadId::new());
    seed(dir.path(), &[(small, 10), (medium, 1_000), (big, 100_000)], 0);
    let mut rig = Rig::new(dir.path());
    rig.ready(3);

    c.bench_function("open_100k_thread/until_frame_shows_last_page", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                rig.open_and_wait_for_last_page(small);
                let t = Instant::now();
                rig.open_and_wait_for_last_page(big);
                total += t.elapsed();
            }
            total
        });
    });

    // UI-side memory: rows held by the view model, per thread length.
    for (id, n) in [(medium, 1_000), (big, 100_000)] {
        rig.open_and_wait_for_last_page(id);
        let open = rig.app.view_model().open.as_ref().unwrap();
        let bytes: usize = open
            .rows
            .values()
            .map(|r| match &r.content {
                pakchat::ui::view_model::RowContent::Message(m) => std::mem::size_of::<Message>() + m.content.len(),
                pakchat::ui::view_model::RowContent::Unreadable(s) => s.len(),
            })
            .sum();
        eprintln!("ui memory: thread of {n} messages -> {} rows held, ~{bytes} bytes of row data", open.rows.len());
    }

    rig.open_and_wait_for_last_page(big);
    let mut group = c.benchmark_group("frame_100k_thread");
    for (name, list) in [
        ("top", ListState { anchor: 0, offset: 0.0, follow_bottom: false }),
        ("middle", ListState { anchor: 50_000, offset: 0.0, follow_bottom: false }),
        ("end", ListState::default()),
    ] {
        rig.place(list);
        group.bench_function(name, |b| b.iter(|| rig.frame()));
    }
    group.finish();
}

fn start_up(c: &mut Criterion) {
    let mut group = c.benchmark_group("start_up");
    group.sample_size(10);
    for threads in [10usize, 10_000] {
        let dir = tempfile::tempdir().unwrap();
        seed(dir.path(), &[], threads);
        group.bench_with_input(BenchmarkId::new("first_frame", threads), &threads, |b, _| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    let mut rig = Rig::new(dir.path());
                    rig.frame();
                    total += t.elapsed();
                    rig.ready(threads);
                }
                total
            });
        });
        group.bench_with_input(BenchmarkId::new("sidebar_filled", threads), &threads, |b, _| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    let mut rig = Rig::new(dir.path());
                    rig.ready(threads);
                    rig.frame();
                    total += t.elapsed();
                }
                total
            });
        });
    }
    group.finish();
}

/// A long reply in a paragraph-per-50-words shape, `tokens` words long.
fn long_reply(tokens: usize) -> String {
    let mut s = String::with_capacity(tokens * 7);
    for i in 0..tokens {
        s.push_str("token ");
        if i % 50 == 49 {
            s.push_str("\n\n");
        }
    }
    s
}

fn streaming(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (long, short) = (ThreadId::new(), ThreadId::new());
    seed(dir.path(), &[(long, 9_999), (short, 9_999)], 0);
    // The open message: an assistant reply that has reached 20,000 (or 1,000) tokens.
    {
        let kv: Arc<dyn Kv> =
            Arc::new(SledKv::open_patiently(&dir.path().join("profile"), std::time::Duration::from_secs(5)).unwrap());
        let store = SealedStore::unlock(kv, &KeySource::KeyFile(dir.path().join("key"))).unwrap();
        for (id, tokens) in [(long, 20_000), (short, 1_000)] {
            let m = Message {
                id: MessageId::new(),
                thread_id: id,
                parent_id: None,
                role: Role::Assistant,
                content: long_reply(tokens),
                reasoning: String::new(),
                attachments: Vec::new(),
                model: Some("bench-model".to_owned()),
                status: MessageStatus::Streaming,
                failure: None,
                usage: None,
                created_ms: 0,
                stamp: stamp(),
            };
            store.append_message(&m).unwrap();
        }
        store.flush().unwrap();
    }
    let mut rig = Rig::new(dir.path());
    rig.ready(2);
    let mut group = c.benchmark_group("frame_while_streaming_2000_tok_s");
    for (name, id) in [("reply_at_20k_tokens", long), ("reply_at_1k_tokens", short)] {
        rig.open_and_wait_for_last_page(id);
        let open = rig.app.view_model().open.as_ref().unwrap();
        let index = open.count - 1;
        let Some(pakchat::ui::view_model::RowContent::Message(reply)) = open.rows.get(&index).map(|r| &r.content)
        else {
            panic!("the open reply is loaded")
        };
        let reply_id = reply.id;
        let mut n = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                // 2,000 tokens/s at 60 frames/s: about 33 tokens arrive per frame.
                n += 1;
                let mut text = "word ".repeat(33);
                if n.is_multiple_of(2) {
                    text.push_str("\n\n");
                }
                rig.app.view_model_mut().apply(Event::MessageDelta {
                    thread: id,
                    index,
                    id: reply_id,
                    text,
                    reasoning: String::new(),
                });
                rig.frame()
            });
        });
    }
    group.finish();
}

/// A one-connection OpenAI-format server: answers the first request with an
/// event stream and writes one `data:` event per word it is handed.
fn sse_server() -> (String, std::sync::mpsc::Sender<String>) {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_nodelay(true).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        reader.read_exact(&mut vec![0; length]).unwrap();
        let mut out = stream;
        out.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n").unwrap();
        for word in rx {
            let event = serde_json::json!({
                "id": "bench", "object": "chat.completion.chunk", "model": "bench-model",
                "choices": [{"index": 0, "delta": {"content": word}, "finish_reason": null}]
            });
            if out.write_all(format!("data: {event}\n\n").as_bytes()).is_err() {
                return;
            }
            out.flush().unwrap();
        }
    });
    (base, tx)
}

fn delta_to_frame(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let thread = ThreadId::new();
    seed(dir.path(), &[(thread, 10)], 0);
    let (base, words) = sse_server();
    {
        let kv: Arc<dyn Kv> =
            Arc::new(SledKv::open_patiently(&dir.path().join("profile"), std::time::Duration::from_secs(5)).unwrap());
        let store = SealedStore::unlock(kv, &KeySource::KeyFile(dir.path().join("key"))).unwrap();
        let mut settings = store.settings().unwrap();
        let openai = settings.providers.iter_mut().find(|p| p.id == "openai").unwrap();
        openai.base_url = base;
        settings.default_model =
            Some(pakchat::domain::ModelChoice { provider: "openai".to_owned(), model: "bench-model".to_owned() });
        store.put_settings(&settings).unwrap();
        store.put_api_key("openai", Some("sk-bench"), pakchat::domain::HlcClock::new(store.device_id()).now()).unwrap();
        store.flush().unwrap();
    }
    let mut rig = Rig::new(dir.path());
    rig.ready(1);
    rig.open_and_wait_for_last_page(thread);
    rig.frame();
    let enter = egui::Event::Key {
        key: egui::Key::Enter,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: egui::Modifiers::NONE,
    };
    rig.frame_with(vec![egui::Event::Text("go".to_owned()), enter]);
    rig.frames_until(|a| a.view_model().open.as_ref().is_some_and(pakchat::ui::view_model::OpenThread::is_streaming));
    let shown = |app: &PakApp, word: &str| {
        app.view_model().open.as_ref().and_then(|o| o.rows.get(&(o.count - 1))).is_some_and(
            |r| matches!(&r.content, pakchat::ui::view_model::RowContent::Message(m) if m.content.trim_end().ends_with(word.trim_end())),
        )
    };
    let mut n = 0u64;
    let mut frames_needed = [0u64; 4];
    c.bench_function("delta_to_frame/server_write_until_frame_shows_it", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                // Prose: a paragraph break every 40 words (one paragraph that
                // never ends is laid out whole each frame: see the note).
                let word = if n.is_multiple_of(40) { format!(" w{n}\n\n") } else { format!(" w{n}") };
                let t = Instant::now();
                words.send(word.clone()).unwrap();
                // Draw only when egui was asked to (as eframe does): the
                // backend's repaint request after the delta is what wakes it.
                let mut frames = 0u64;
                loop {
                    if rig.ctx.has_requested_repaint() {
                        rig.frame();
                        frames += 1;
                        if shown(&rig.app, &word) {
                            break;
                        }
                    } else {
                        std::thread::yield_now();
                    }
                    assert!(t.elapsed() < Duration::from_secs(10), "the delta never showed");
                }
                total += t.elapsed();
                frames_needed[usize::try_from(frames.min(3)).unwrap()] += 1;
            }
            total
        });
    });
    eprintln!(
        "delta_to_frame: frames drawn from the write until the delta showed (the first of two is the settle \
         frame the previous delta's taller row asked for): 1 -> {}, 2 -> {}, 3+ -> {}",
        frames_needed[1], frames_needed[2], frames_needed[3]
    );
}

/// One markdown block laid out (parse, highlight, galley) each frame: a
/// 300-line code block streaming in (its last line grows; no closing fence
/// yet), and the same block closed and unchanged.
fn code_block(c: &mut Criterion) {
    let line = "    let value = compute(index, &items[index..], 42) + offset; // note\n";
    let open = format!("```rust\nfn main() {{\n{}    let last", line.repeat(300));
    let grown = format!("{open} = 1");
    let closed = format!("{open};\n}}\n```\n");
    let ctx = egui::Context::default();
    let lay_out = |text: &str| {
        let mut rows = 0;
        let _ = ctx.run_ui(egui::RawInput::default(), |ui| {
            for part in pakchat::ui::markdown::block_parts(ui, text, 800.0, egui::Color32::WHITE) {
                if let pakchat::ui::markdown::Part::Code(rich, _) = part {
                    rows = ui.painter().layout_job(rich.job).rows.len();
                }
            }
        });
        rows
    };
    let mut group = c.benchmark_group("code_block_300_lines");
    let mut n = 0u64;
    group.bench_function("streaming", |b| {
        b.iter(|| {
            n += 1;
            lay_out(if n.is_multiple_of(2) { &grown } else { &open })
        });
    });
    group.bench_function("closed", |b| b.iter(|| lay_out(&closed)));
    group.finish();
}

/// Scrolling (PageUp / PageDown each frame) a thread of 1,000 messages that
/// each carry a photo: frame time, and the image textures held.
fn image_thread(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let thread = ThreadId::new();
    seed(dir.path(), &[], 0);
    {
        let kv: Arc<dyn Kv> =
            Arc::new(SledKv::open_patiently(&dir.path().join("profile"), std::time::Duration::from_secs(5)).unwrap());
        let store = SealedStore::unlock(kv, &KeySource::KeyFile(dir.path().join("key"))).unwrap();
        let now = pakchat::domain::wall_millis();
        store.put_thread(&Thread::new(thread, "1000 photos".to_owned(), now, stamp())).unwrap();
        for i in 0..1_000u32 {
            // Distinct photos (so distinct previews), each 640 × 480.
            let img =
                image::RgbImage::from_fn(640, 480, |x, y| image::Rgb([(x + i) as u8, (y + 2 * i) as u8, i as u8]));
            let mut jpeg = Vec::new();
            img.write_with_encoder(image::codecs::jpeg::JpegEncoder::new(&mut jpeg)).unwrap();
            let p = pakchat::media::process("photo.jpg", &jpeg, pakchat::media::DEFAULT_MAX_BYTES).unwrap();
            let preview = p.preview.unwrap();
            let message_id = MessageId::new();
            let file = pakchat::domain::Attachment::new(
                thread,
                format!("photo {i}.jpg"),
                p.kind,
                jpeg.len() as u64,
                store.put_blob(&jpeg).unwrap(),
                stamp(),
            );
            let attachment = pakchat::domain::Attachment {
                message_id: Some(message_id),
                preview: Some(store.put_blob(&preview.bytes).unwrap()),
                preview_size: Some((preview.width, preview.height)),
                dimensions: p.dimensions,
                created_ms: now,
                ..file
            };
            store.put_attachment(&attachment).unwrap();
            store
                .append_message(&Message {
                    id: message_id,
                    thread_id: thread,
                    parent_id: None,
                    role: Role::User,
                    content: format!("Photo {i}"),
                    reasoning: String::new(),
                    attachments: vec![attachment.id],
                    model: None,
                    status: MessageStatus::Done,
                    failure: None,
                    usage: None,
                    created_ms: now,
                    stamp: stamp(),
                })
                .unwrap();
        }
        store.flush().unwrap();
    }
    let mut rig = Rig::new(dir.path());
    rig.ready(1);
    rig.open_and_wait_for_last_page(thread);
    let key = |key| egui::Event::Key {
        key,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: egui::Modifiers::NONE,
    };
    let mut n = 0u64;
    let mut most_textures = 0;
    c.bench_function("frame_1000_image_thread/scrolling", |b| {
        b.iter(|| {
            n += 1;
            let k = if n % 60 < 30 { egui::Key::PageUp } else { egui::Key::PageDown };
            let prims = rig.frame_with(vec![key(k)]);
            most_textures = most_textures.max(rig.app.view_model().open.as_ref().unwrap().view.textures.len());
            prims
        });
    });
    eprintln!(
        "image thread: at most {most_textures} image textures held while scrolling (cap {} beyond those on screen)",
        pakchat::ui::MAX_TEXTURES
    );
}

/// A settings change (the interface and code fonts) until the frame that
/// shows every visible message in the new fonts: the frame of the change
/// and the next (egui applies new fonts with the next pass), against two
/// frames with nothing changed, over a 1,000-message thread.
fn font_change(c: &mut Criterion) {
    use pakchat::domain::{CodeFont, InterfaceFont};
    let dir = tempfile::tempdir().unwrap();
    let thread = ThreadId::new();
    seed(dir.path(), &[(thread, 1_000)], 0);
    let mut rig = Rig::new(dir.path());
    rig.ready(1);
    rig.open_and_wait_for_last_page(thread);
    for _ in 0..3 {
        rig.frame();
    }
    let mut group = c.benchmark_group("font_change");
    group.bench_function("two_frames_unchanged", |b| {
        b.iter(|| {
            rig.frame();
            rig.frame()
        });
    });
    let mut builtin = false;
    group.bench_function("two_frames_after_font_change", |b| {
        b.iter(|| {
            builtin = !builtin;
            let settings = &mut rig.app.view_model_mut().settings;
            settings.interface_font = if builtin { InterfaceFont::BuiltIn } else { InterfaceFont::Inter };
            settings.code_font = if builtin { CodeFont::BuiltIn } else { CodeFont::JetBrainsMono };
            rig.frame();
            rig.frame()
        });
    });
    group.finish();
}

criterion_group!(benches, chat_view, start_up, streaming, delta_to_frame, code_block, image_thread, font_change);
criterion_main!(benches);
