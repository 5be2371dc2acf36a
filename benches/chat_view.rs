//! UI budgets, measured headless through `egui::Context::run_ui` with the real
//! backend and a sled store:
//! * opening a thread of 100,000 messages until a frame shows its last page;
//! * frame time (layout + tessellation) with that thread at top, middle, end;
//! * the UI's rows held for a 1,000 vs a 100,000 message thread;
//! * start-up to first frame, and to a filled sidebar, with 10 vs 10,000 threads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr, missing_docs)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use pakchat::backend::{Argon2Params, BackendConfig, Event, Runtime, StoreLocation, start};
use pakchat::domain::{DeviceId, Hlc, Message, MessageId, MessageStatus, Role, Stamp, Thread, ThreadId};
use pakchat::store::{KeySource, Kv, SealedStore, SledKv, Store};
use pakchat::ui::chat_list::ListState;
use pakchat::ui::view_model::Phase;
use pakchat::ui::{Action, PakApp};

const FAST: Argon2Params = Argon2Params { m_cost_kib: 1024, t_cost: 1, p_cost: 1 };

fn stamp() -> Stamp {
    Stamp { hlc: Hlc::default(), device: DeviceId::from_bytes([2; 16]) }
}

fn seed(dir: &Path, threads: &[(ThreadId, u64)], extra_threads: usize) {
    let kv: Arc<dyn Kv> = Arc::new(SledKv::open(&dir.join("profile")).unwrap());
    let store = SealedStore::create(kv, &KeySource::KeyFile(dir.join("key")), FAST).unwrap();
    let now = pakchat::domain::wall_millis();
    for &(id, n) in threads {
        store.put_thread(&Thread::new(id, format!("{n} messages"), now, stamp())).unwrap();
        for i in 0..n {
            let m = Message {
                id: MessageId::new(),
                thread_id: id,
                parent_id: None,
                role: if i % 2 == 0 { Role::User } else { Role::Assistant },
                content: format!(
                    "Message {i}: a sentence or two of ordinary chat text, long enough to wrap once in a narrow window."
                ),
                reasoning: String::new(),
                model: None,
                status: MessageStatus::Done,
                usage: None,
                created_ms: now,
                stamp: stamp(),
            };
            store.append_message(&m).unwrap();
        }
    }
    for i in 0..extra_threads {
        store
            .put_thread(&Thread::new(ThreadId::new(), format!("Thread {i}"), now - (i as u64) * 60_000, stamp()))
            .unwrap();
    }
    store.flush().unwrap();
}

struct Rig {
    ctx: egui::Context,
    app: PakApp,
    _rt: tokio::runtime::Runtime,
}

impl Rig {
    fn new(dir: &Path) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let ctx = egui::Context::default();
        let repaint = ctx.clone();
        let config = BackendConfig {
            location: StoreLocation::Directory(dir.join("profile")),
            key_file: Some(dir.join("key")),
            argon2: FAST,
            use_keychain: false,
            retry: pakchat::providers::RetryPolicy::default(),
        };
        let (backend, _stopped) = start(&Runtime::new(rt.handle().clone()), config, move || repaint.request_repaint());
        Self { ctx, app: PakApp::new(backend), _rt: rt }
    }

    /// One headless frame: logic, layout, tessellation.
    fn frame(&mut self) -> usize {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1100.0, 720.0))),
            ..Default::default()
        };
        let app = &mut self.app;
        let out = self.ctx.run_ui(input, |ui| {
            app.logic_step(ui.ctx());
            app.ui_step(ui);
        });
        let prims = self.ctx.tessellate(out.shapes, out.pixels_per_point);
        prims.len()
    }

    fn frames_until(&mut self, done: impl Fn(&PakApp) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done(&self.app) {
            self.frame();
            assert!(Instant::now() < deadline, "timed out");
        }
    }

    fn ready(&mut self, threads: usize) {
        self.frames_until(|a| a.view_model().phase == Phase::Ready && a.view_model().threads.len() == threads);
    }

    fn open_and_wait_for_last_page(&mut self, id: ThreadId) {
        self.app.apply_action(Action::OpenThread(id));
        self.frames_until(|a| {
            a.view_model().open.as_ref().is_some_and(|o| o.id == id && o.loaded && o.rows.contains_key(&(o.count - 1)))
        });
        self.frame();
    }

    /// Place the list, then draw until every visible row is loaded.
    fn place(&mut self, list: ListState) {
        self.app.view_model_mut().open.as_mut().unwrap().list = list;
        for _ in 0..3 {
            self.frame();
        }
        self.frames_until(|a| a.view_model().open.as_ref().is_some_and(|o| o.requested.is_empty()));
        for _ in 0..3 {
            self.frame();
        }
    }
}

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
        let kv: Arc<dyn Kv> = Arc::new(SledKv::open(&dir.path().join("profile")).unwrap());
        let store = SealedStore::unlock(kv, &KeySource::KeyFile(dir.path().join("key"))).unwrap();
        for (id, tokens) in [(long, 20_000), (short, 1_000)] {
            let m = Message {
                id: MessageId::new(),
                thread_id: id,
                parent_id: None,
                role: Role::Assistant,
                content: long_reply(tokens),
                reasoning: String::new(),
                model: Some("bench-model".to_owned()),
                status: MessageStatus::Streaming,
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

criterion_group!(benches, chat_view, start_up, streaming);
criterion_main!(benches);
