//! Kiosk mode driven as a visitor and an admin would, through egui_kittest:
//! what is locked away, the idle wipe on a simulated clock, nothing of a
//! visitor left in the UI or on disk, the session limits, the admin exit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
#[path = "../common/mod.rs"]
mod common;
#[path = "../common/app.rs"]
mod harness;
mod visitors;

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use harness::{Dropped, present};
use pakchat::backend::{Argon2Params, BackendConfig, Runtime, start};
use pakchat::kiosk::KioskConfig;
use pakchat::ui::COMPOSER_LABEL;
use pakchat::ui::kiosk::KioskApp;

/// The allocator the app's binary installs (`main.rs`), so the memory of a
/// wiped session is tested as it is in a real kiosk.
#[global_allocator]
static ALLOCATOR: pakchat::zeroing_alloc::ZeroingAlloc = pakchat::zeroing_alloc::ZeroingAlloc;

/// Every label and value in the accessibility tree.
fn tree_text<S>(h: &Harness<'static, S>) -> Vec<String> {
    h.root()
        .children_recursive()
        .flat_map(|n| [n.accesskit_node().label(), n.accesskit_node().value()])
        .flatten()
        .collect()
}

/// Whether any label or value in the tree holds `text`.
fn shows<S>(h: &Harness<'static, S>, text: &str) -> bool {
    tree_text(h).iter().any(|t| t.contains(text))
}

/// A kiosk over aimock at `base` with `extra` lines in `[kiosk]` and
/// `limits` as its `[limits]` table. The PIN is 2468.
fn kiosk_config(dir: &Path, base: &str, extra: &str, limits: &str) -> KioskConfig {
    let hash = pakchat::kiosk::hash_pin("2468").unwrap();
    let text = format!(
        "[kiosk]\nadmin_pin_hash = \"{hash}\"\nidle_timeout_seconds = 120\nidle_warning_seconds = 30\n{extra}\n\
         [limits]\n{limits}\n\
         [[provider]]\nid = \"openai\"\napi_key = \"sk-kiosk-test\"\nbase_url = \"{base}/v1\"\nmodels = [\"gpt-4o-mini\"]\n"
    );
    let files = pakchat::kiosk::config::DiskFiles { base: dir.to_path_buf() };
    pakchat::kiosk::config::parse(&text, "kiosk.toml", &files).unwrap()
}

/// A running kiosk, its simulated clock and what keeps it alive.
struct Kiosk {
    harness: Harness<'static, KioskApp>,
    /// How far the simulated clock is ahead of the real one.
    ahead: Rc<Cell<Duration>>,
    _rt: tokio::runtime::Runtime,
}

fn new_kiosk(config: KioskConfig) -> Kiosk {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let runtime = Runtime::new(rt.handle().clone());
    // What the real kiosk uses, with a cheaper Argon2 (no passphrase is
    // involved in a guest session anyway).
    let backend = BackendConfig {
        argon2: Argon2Params { m_cost_kib: 1024, t_cost: 1, p_cost: 1 },
        ..pakchat::kiosk::backend_config(&config)
    };
    let config = std::sync::Arc::new(config);
    let services = pakchat::kiosk::KioskServices::new(runtime.clone(), config.clone());
    let ahead = Rc::new(Cell::new(Duration::ZERO));
    let clock_ahead = ahead.clone();
    let harness = Harness::builder()
        .with_size(egui::vec2(1000.0, 700.0))
        .with_context_setup(|ctx| ctx.global_style_mut(|s| s.visuals.text_cursor.blink = false))
        .wgpu()
        .build_eframe(move |_cc| {
            let factory: pakchat::ui::kiosk::BackendFactory = Box::new(move |ctx: &egui::Context| {
                let ctx = ctx.clone();
                start(&runtime, backend.clone(), move || ctx.request_repaint())
            });
            let clock = Box::new(move || web_time::Instant::now() + clock_ahead.get());
            KioskApp::new(config, services, factory).with_clock(clock)
        });
    Kiosk { harness, ahead, _rt: rt }
}

impl Kiosk {
    fn wait_for(&mut self, what: &str, done: impl Fn(&Harness<'static, KioskApp>) -> bool) {
        harness::step_until(&mut self.harness, what, done, |h| {
            let session = h.state().session().map(|a| {
                let vm = a.view_model();
                (vm.errors.clone(), vm.open.as_ref().map(|o| o.attach_notes.clone()), vm.keys_needed.clone())
            });
            format!("session: {session:?}")
        });
    }

    fn click(&mut self, label: &str) {
        self.harness.get_by_label(label).click();
        self.harness.step();
        self.harness.step();
    }

    fn start_session(&mut self) {
        self.wait_for("the welcome screen", |h| present(h, "Start"));
        self.click("Start");
        self.wait_for("the guest session", |h| {
            h.state().session().is_some_and(|a| a.view_model().phase == pakchat::ui::view_model::Phase::Ready)
                && present(h, COMPOSER_LABEL)
        });
    }

    fn send(&mut self, text: &str) {
        let composer = self.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL);
        composer.focus();
        composer.type_text(text);
        self.harness.step();
        self.harness.key_press(Key::Enter);
        self.harness.step();
    }

    /// Wait until the reply `text` has arrived whole and stopped streaming.
    fn wait_reply(&mut self, text: &str) {
        self.wait_for("the reply", |h| {
            present(h, text)
                && h.state().session().is_some_and(|a| a.view_model().open.as_ref().is_some_and(|o| !o.is_streaming()))
        });
    }

    /// Move the simulated clock on by `by`.
    fn pass(&mut self, by: Duration) {
        self.ahead.set(self.ahead.get() + by);
    }
}

/// Every file under `dir` changed since `since`, except `skip`.
fn files_changed_since(dir: &Path, since: std::time::SystemTime, skip: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        if meta.is_dir() {
            out.extend(files_changed_since(&path, since, skip));
        } else if meta.is_file()
            && path != skip
            && meta.modified().is_ok_and(|m| m >= since)
            && meta.len() < 512 * 1024 * 1024
            && let Ok(bytes) = std::fs::read(&path)
        {
            out.push((path, bytes));
        }
    }
    out
}

/// What aimock was sent, as its journal lists it.
fn aimock_journal(kiosk: &Kiosk, base: &str) -> String {
    kiosk._rt.block_on(async { reqwest::get(format!("{base}/__aimock/journal")).await.unwrap().text().await.unwrap() })
}
