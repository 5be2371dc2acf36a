//! The one harness factory for UI tests and the helpers that drive the app
//! as a user would: an app over a real sled store in a temporary folder,
//! waiting for the backend, typing, clicking by accessible name.
//!
//! Included by the UI test files with `#[path]`, so the store-only test
//! binaries do not build egui_kittest.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use pakchat::backend::{Argon2Params, BackendConfig, Runtime, Stopped, StoreLocation, start};
use pakchat::domain::{DeviceId, Hlc, Message, MessageId, MessageStatus, Role as MsgRole, Stamp, ThreadId};
use pakchat::store::{KeySource, Kv, SealedStore, SledKv, Store};
use pakchat::ui::view_model::Phase;
use pakchat::ui::{COMPOSER_LABEL, PakApp};

pub const FAST: Argon2Params = Argon2Params { m_cost_kib: 1024, t_cost: 1, p_cost: 1 };

/// Whether any node has exactly this accessible label.
pub fn present<S>(h: &Harness<'static, S>, label: &str) -> bool {
    h.query_all_by_label(label).next().is_some()
}

/// A running app and what keeps it alive.
pub struct App {
    pub harness: Harness<'static, PakApp>,
    pub stopped: Rc<RefCell<Option<Stopped>>>,
    pub _rt: tokio::runtime::Runtime,
}

pub fn config(dir: &Path, key_file: bool) -> BackendConfig {
    config_picking(dir, key_file, Vec::new())
}

/// A config whose "Attach files…" picks `files`.
pub fn config_picking(dir: &Path, key_file: bool, files: Vec<std::path::PathBuf>) -> BackendConfig {
    BackendConfig {
        location: StoreLocation::Directory(dir.join("profile")),
        key_file: key_file.then(|| dir.join("key")),
        argon2: FAST,
        use_keychain: false,
        retry: pakchat::providers::RetryPolicy::default(),
        picker: pakchat::backend::FilePicker::Scripted(files),
        lockdown: pakchat::backend::Lockdown::default(),
        browser: None,
    }
}

/// The one harness factory: an app over `config`, sized like a small window,
/// its cursor steady (snapshots do not depend on the time).
pub fn new_app(config: BackendConfig) -> App {
    build_app(config)
}

/// An app whose text cursor blinks, as it does for a user (the harness
/// turns blinking off after any setup of ours: turned on again here).
pub fn new_app_blinking(config: BackendConfig) -> App {
    let app = build_app(config);
    app.harness.ctx.all_styles_mut(|s| s.visuals.text_cursor.blink = true);
    app
}

fn build_app(config: BackendConfig) -> App {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let runtime = Runtime::new(rt.handle().clone());
    let stopped = Rc::new(RefCell::new(None));
    let slot = stopped.clone();
    let harness = Harness::builder()
        .with_size(egui::vec2(900.0, 600.0))
        .with_context_setup(|ctx| ctx.all_styles_mut(|s| s.visuals.text_cursor.blink = false))
        .wgpu()
        .build_eframe(move |cc| {
            let ctx = cc.egui_ctx.clone();
            let (backend, stop) = start(&runtime, config, move || ctx.request_repaint());
            *slot.borrow_mut() = Some(stop);
            PakApp::new(backend)
        });
    App { harness, stopped, _rt: rt }
}

/// Step `harness` until `done` holds, at most 60 s (a loaded CI machine
/// runs the UI suite three times slower); a timeout panics naming `what`
/// and what `state` tells of the app.
pub fn step_until<S>(
    harness: &mut Harness<'static, S>,
    what: &str,
    done: impl Fn(&Harness<'static, S>) -> bool,
    state: impl Fn(&Harness<'static, S>) -> String,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        harness.step();
        if done(harness) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what} ({})", state(harness));
        std::thread::sleep(Duration::from_millis(5));
    }
}

impl App {
    /// Step frames until `done` holds; the backend answers asynchronously.
    pub fn wait_for(&mut self, what: &str, done: impl Fn(&Harness<'static, PakApp>) -> bool) {
        step_until(&mut self.harness, what, done, |h| {
            let vm = h.state().view_model();
            format!(
                "errors: {:?}, keys prompt: {:?}, open: {:?}",
                vm.errors,
                vm.keys_needed,
                vm.open.as_ref().map(|o| (o.count, o.rows.len()))
            )
        });
    }

    pub fn wait_ready(&mut self) {
        self.wait_for("the profile to open", |h| h.state().view_model().phase == Phase::Ready);
        // Panels take their size from the frame before: let the first
        // frames after the lock screen settle before anything is clicked.
        for _ in 0..3 {
            self.harness.step();
        }
    }

    pub fn has_label(&self, label: &str) -> bool {
        present(&self.harness, label)
    }

    pub fn label_count(&self, label: &str) -> usize {
        self.harness.query_all_by_label(label).count()
    }

    pub fn type_in_composer(&mut self, text: &str) {
        let composer = self.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL);
        composer.focus();
        composer.type_text(text);
        self.harness.step();
    }

    pub fn type_into(&mut self, role: Role, label: &str, text: &str) {
        self.harness.get_by_role_and_label(role, label).focus();
        self.harness.step();
        self.harness.get_by_role_and_label(role, label).type_text(text);
        self.harness.step();
    }

    /// Click, then run the frame that reacts and the one that shows it.
    /// The click lands where the control was drawn last: first let the
    /// layout settle (a window opening, a panel growing as an event comes
    /// in), until the control stands in the same place two frames running,
    /// or a pointer click on a loaded machine hits where it used to be.
    pub fn click(&mut self, label: &str) {
        self.settle(label);
        self.control(label).click();
        self.harness.step();
        self.harness.step();
    }

    /// Step until the control named `label` is drawn in the same place in
    /// two frames running (at most 20 frames).
    fn settle(&mut self, label: &str) {
        let mut last = self.control(label).rect();
        for _ in 0..20 {
            self.harness.step();
            let now = self.control(label).rect();
            if now == last {
                return;
            }
            last = now;
        }
    }

    /// The node named `label`; where a label before a control names it
    /// (a combo box, a field), the control.
    fn control<'a>(&'a self, label: &'a str) -> egui_kittest::Node<'a> {
        let mut nodes: Vec<_> = self.harness.query_all_by_label(label).collect();
        if nodes.len() > 1 {
            nodes.retain(|n| n.accesskit_node().role() != Role::Label);
        }
        assert_eq!(nodes.len(), 1, "one node named {label:?}");
        nodes.remove(0)
    }

    /// Choose `item` from the open chat's overflow menu ("More").
    pub fn chat_menu(&mut self, item: &str) {
        self.click("More");
        self.wait_for("the chat's menu", |h| present(h, item));
        self.click(item);
    }

    /// Click `label` as a screen reader does (an AccessKit action), for
    /// widgets scrolled out of view: egui reports their AccessKit bounds
    /// without the scroll offset, so a pointer click would miss them.
    pub fn click_accesskit(&mut self, label: &str) {
        self.control(label).click_accesskit();
        self.harness.step();
        self.harness.step();
    }

    /// Open the chat titled `title` from the sidebar, unless it is open
    /// already (a restart reopens the chat last written in; the header
    /// then shows its title too).
    pub fn open_chat(&mut self, title: &str) {
        self.wait_for("the chat in the sidebar", |h| present(h, title));
        // Let the panels settle before clicking in the sidebar.
        for _ in 0..4 {
            self.harness.step();
        }
        if self.open_title().as_deref() != Some(title) {
            self.click(title);
        }
    }

    /// The title of the open chat, if one is open.
    pub fn open_title(&self) -> Option<String> {
        let vm = self.harness.state().view_model();
        vm.open.as_ref().and_then(|o| vm.threads.get(&o.id)).map(|t| t.title.clone())
    }

    /// Start a new chat (Ctrl+N).
    pub fn apply_new_thread(&mut self) {
        self.harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
        self.harness.step();
        self.harness.step();
    }

    /// A look at the window for a person: with `PAKCHAT_SHOTS=DIR` set,
    /// saved as `DIR/name.png` (nothing is compared).
    pub fn shot(&mut self, name: &str) {
        if let Ok(dir) = std::env::var("PAKCHAT_SHOTS") {
            self.harness.render().unwrap().save(format!("{dir}/{name}.png")).unwrap();
        }
    }

    /// Drop the app and wait until its backend has flushed and stopped.
    pub fn close(self) {
        let App { harness, stopped, _rt } = self;
        drop(harness);
        let stop = stopped.borrow_mut().take().unwrap();
        assert!(stop.wait(Duration::from_secs(10)), "backend did not stop");
    }
}

pub fn stamp() -> Stamp {
    Stamp { hlc: Hlc::default(), device: DeviceId::from_bytes([3; 16]) }
}

pub fn message(thread: ThreadId, text: String) -> Message {
    Message {
        id: MessageId::new(),
        thread_id: thread,
        parent_id: None,
        role: MsgRole::User,
        content: text,
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

/// A profile made directly through the store, unlocked by the key file the
/// app is given.
pub fn seeded_store(dir: &Path, seed: impl FnOnce(&SealedStore, &Arc<dyn Kv>)) {
    let kv: Arc<dyn Kv> =
        Arc::new(SledKv::open_patiently(&dir.join("profile"), std::time::Duration::from_secs(5)).unwrap());
    let store = SealedStore::create(kv.clone(), &KeySource::KeyFile(dir.join("key")), FAST).unwrap();
    seed(&store, &kv);
    store.flush().unwrap();
}

/// Point OpenAI at a local mock server (aimock or llmock), save a key, and pick GPT-4o mini — all
/// through the keys window and the model picker, as a user would.
pub fn connect_to_mock(app: &mut App, base: &str) {
    // Let the first frames settle the panels' layout before clicking in them.
    for _ in 0..4 {
        app.harness.step();
    }
    app.click("Manage API keys");
    app.wait_for("the keys window", |h| present(h, "OpenAI API key"));
    app.harness.get_by_role_and_label(Role::TextInput, "OpenAI base URL").focus();
    app.harness.step();
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    app.harness.step();
    app.harness.get_by_role_and_label(Role::TextInput, "OpenAI base URL").type_text(&format!("{base}/v1"));
    app.harness.step();
    app.harness.key_press(Key::Enter);
    app.harness.step();
    app.type_into(Role::PasswordInput, "OpenAI API key", "sk-local-test");
    app.click("Save OpenAI key");
    app.wait_for("the saved key", |h| present(h, "Key saved in Pak.Chat (encrypted)."));
    app.click("Check OpenAI");
    app.wait_for("the key check", |h| present(h, "OpenAI accepted the key."));
    app.click("Done");
    app.click("Model");
    app.wait_for("the model list", |h| present(h, "GPT-4o mini"));
    app.click("GPT-4o mini");
    app.wait_for("the chosen model", |h| {
        h.state().view_model().settings.default_model.as_ref().is_some_and(|m| m.model == "gpt-4o-mini")
    });
}

pub fn last_message(app: &App) -> Option<Message> {
    let open = app.harness.state().view_model().open.as_ref()?;
    match &open.rows.get(&open.count.checked_sub(1)?)?.content {
        pakchat::ui::view_model::RowContent::Message(m) => Some(m.clone()),
        pakchat::ui::view_model::RowContent::Unreadable(_) => None,
    }
}

/// A new app over the profile in `dir`, with the thread titled `title` open.
pub fn reopen_thread(dir: &Path, title: &str) -> App {
    let mut app = new_app(config(dir, true));
    app.wait_ready();
    app.open_chat(title);
    app
}

/// What aimock received, as its journal lists it.
pub fn aimock_journal(app: &App, base: &str) -> serde_json::Value {
    app._rt.block_on(async {
        let text = reqwest::get(format!("{base}/__aimock/journal")).await.unwrap().text().await.unwrap();
        serde_json::from_str(&text).unwrap()
    })
}

/// Make llmock's next answer, whatever is asked, `behaviour` (its JSON
/// form, e.g. `{"type":"fail","status":401,"message":"…"}`).
pub fn llmock_next(app: &App, base: &str, behaviour: &str) {
    app._rt.block_on(async {
        let body = format!(r#"{{"behaviors":[{behaviour}]}}"#);
        let r = reqwest::Client::new().post(format!("{base}/_llmock/scenario")).body(body).send().await.unwrap();
        assert!(r.status().is_success(), "llmock took the scenario");
    });
}

/// The message shown at `row` of the open thread.
pub fn row_message(h: &Harness<'static, PakApp>, row: u64) -> Option<Message> {
    match &h.state().view_model().open.as_ref()?.rows.get(&row)?.content {
        pakchat::ui::view_model::RowContent::Message(m) => Some(m.clone()),
        pakchat::ui::view_model::RowContent::Unreadable(_) => None,
    }
}

/// Point at a row's text so its hover actions (Copy, Regenerate, Edit) show.
/// (The chat's title may read the same as its first message: the row is
/// the last node so named.)
pub fn hover_row(app: &mut App, text: &str) {
    app.harness.query_all_by_label(text).last().expect("the row").hover();
    app.harness.step();
    app.harness.step();
}

pub fn last_user_message(app: &App) -> Message {
    let open = app.harness.state().view_model().open.as_ref().unwrap();
    open.rows
        .values()
        .rev()
        .find_map(|r| match &r.content {
            pakchat::ui::view_model::RowContent::Message(m) if m.role == MsgRole::User => Some(m.clone()),
            _ => None,
        })
        .unwrap()
}

/// A file dropped on the window, as eframe hands it over.
#[derive(Debug)]
pub struct Dropped(pub std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}
