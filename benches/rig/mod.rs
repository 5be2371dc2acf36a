//! The headless app the UI benchmarks drive: a [`PakApp`] over the real
//! backend and a sled store in a temporary folder, one frame at a time
//! through `egui::Context::run_ui`, and profiles seeded straight through
//! the store. Included by each UI bench with `#[path]`.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pakchat::backend::{Argon2Params, BackendConfig, Runtime, StoreLocation, start};
use pakchat::domain::{DeviceId, Hlc, Message, MessageId, MessageStatus, Role, Stamp, Thread, ThreadId};
use pakchat::store::{KeySource, Kv, SealedStore, SledKv, Store};
use pakchat::ui::chat_list::ListState;
use pakchat::ui::view_model::Phase;
use pakchat::ui::{Action, PakApp};

pub const FAST: Argon2Params = Argon2Params { m_cost_kib: 1024, t_cost: 1, p_cost: 1 };

pub fn stamp() -> Stamp {
    Stamp { hlc: Hlc::default(), device: DeviceId::from_bytes([2; 16]) }
}

pub fn seed(dir: &Path, threads: &[(ThreadId, u64)], extra_threads: usize) {
    let kv: Arc<dyn Kv> =
        Arc::new(SledKv::open_patiently(&dir.join("profile"), std::time::Duration::from_secs(5)).unwrap());
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
                attachments: Vec::new(),
                model: None,
                status: MessageStatus::Done,
                failure: None,
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

pub struct Rig {
    pub ctx: egui::Context,
    pub app: PakApp,
    _rt: tokio::runtime::Runtime,
}

impl Rig {
    pub fn new(dir: &Path) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let ctx = egui::Context::default();
        let repaint = ctx.clone();
        let config = BackendConfig {
            location: StoreLocation::Directory(dir.join("profile")),
            key_file: Some(dir.join("key")),
            argon2: FAST,
            use_keychain: false,
            retry: pakchat::providers::RetryPolicy::default(),
            picker: pakchat::backend::FilePicker::System,
            lockdown: pakchat::backend::Lockdown::default(),
            browser: None,
        };
        let (backend, _stopped) = start(&Runtime::new(rt.handle().clone()), config, move || repaint.request_repaint());
        Self { ctx, app: PakApp::new(backend), _rt: rt }
    }

    /// One headless frame: logic, layout, tessellation.
    pub fn frame(&mut self) -> usize {
        self.frame_with(Vec::new())
    }

    /// One headless frame with these input events.
    pub fn frame_with(&mut self, events: Vec<egui::Event>) -> usize {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1100.0, 720.0))),
            events,
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

    pub fn frames_until(&mut self, done: impl Fn(&PakApp) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done(&self.app) {
            self.frame();
            assert!(Instant::now() < deadline, "timed out");
        }
    }

    pub fn ready(&mut self, threads: usize) {
        self.frames_until(|a| a.view_model().phase == Phase::Ready && a.view_model().threads.len() == threads);
    }

    pub fn open_and_wait_for_last_page(&mut self, id: ThreadId) {
        self.app.apply_action(Action::OpenThread(id));
        self.frames_until(|a| {
            a.view_model().open.as_ref().is_some_and(|o| o.id == id && o.loaded && o.rows.contains_key(&(o.count - 1)))
        });
        self.frame();
    }

    /// Place the list, then draw until every visible row is loaded.
    pub fn place(&mut self, list: ListState) {
        self.app.view_model_mut().open.as_mut().unwrap().view.list = list;
        for _ in 0..3 {
            self.frame();
        }
        self.frames_until(|a| a.view_model().open.as_ref().is_some_and(|o| o.requested.is_empty()));
        for _ in 0..3 {
            self.frame();
        }
    }
}
