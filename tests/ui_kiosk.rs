//! Kiosk mode driven as a visitor and an admin would, through egui_kittest:
//! what is locked away, the idle wipe on a simulated clock, nothing of a
//! visitor left in the UI or on disk, the session limits, the admin exit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/app.rs"]
mod harness;

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

#[test]
fn settings_keys_export_and_windows_are_not_there_for_a_visitor() {
    let server = common::peers::aimock();
    let dir = tempfile::tempdir().unwrap();
    let mut kiosk = new_kiosk(kiosk_config(dir.path(), &server.base, "", ""));
    kiosk.start_session();
    kiosk.send("hello");
    kiosk.wait_reply("Hi there, friend! This reply comes in several chunks of text.");
    for label in [
        "Settings",
        "Customization",
        "Manage API keys",
        "More",
        "+  New project",
        "Export all data…",
        "Import chats…",
        "Attach files…",
        "Make images",
        "View",
        "Copy",
    ] {
        assert!(!present(&kiosk.harness, label), "{label:?} is offered in kiosk mode");
    }
    assert!(present(&kiosk.harness, "End session") && present(&kiosk.harness, "Admin"));
    // Ctrl+, opens nothing; the palette lists no way to settings or export.
    kiosk.harness.key_press_modifiers(Modifiers::COMMAND, Key::Comma);
    kiosk.harness.step();
    assert!(!present(&kiosk.harness, "Customization"), "the settings window opened");
    kiosk.harness.key_press_modifiers(Modifiers::COMMAND, Key::K);
    kiosk.harness.step();
    kiosk.harness.step();
    let offered = tree_text(&kiosk.harness);
    assert!(
        offered.iter().any(|t| t.starts_with("New chat") && t.contains("Ctrl+N")),
        "the palette itself works, its keys beside its actions: {offered:?}"
    );
    for label in ["Open settings", "Manage API keys", "Export", "Import chats", "New project", "new window", "Present"]
    {
        assert!(!shows(&kiosk.harness, label), "the palette offers {label:?}");
    }
    // The help sheet lists only what works here.
    kiosk.harness.key_press(Key::Escape);
    kiosk.harness.key_press(Key::F1);
    kiosk.harness.step();
    kiosk.harness.step();
    assert!(shows(&kiosk.harness, "Keyboard shortcuts") && shows(&kiosk.harness, "Ctrl+N"), "the help sheet is open");
    for keys in ["Ctrl+,", "Ctrl+Shift+P", "Ctrl+W"] {
        assert!(!shows(&kiosk.harness, keys), "the help sheet lists {keys}, which a kiosk locks");
    }
    kiosk.harness.key_press(Key::Escape);
    kiosk.harness.step();
    // The model list holds only what the admin offers.
    let session = kiosk.harness.state().session().unwrap();
    let offered: Vec<String> = session.view_model().models().map(|m| m.id.clone()).collect();
    assert_eq!(offered, vec!["gpt-4o-mini".to_owned()]);
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

#[test]
fn an_idle_session_counts_down_then_is_wiped_leaving_no_trace_in_the_ui_or_on_disk() {
    let server = common::peers::aimock();
    let dir = tempfile::tempdir().unwrap();
    let began = std::time::SystemTime::now() - Duration::from_secs(2);
    let canary = format!("kiosk-canary-{}", uuid::Uuid::now_v7().simple());
    let notes = dir.path().join("visitor notes.txt");
    std::fs::write(&notes, format!("My library card is {canary}-card.\n")).unwrap();
    let mut kiosk =
        new_kiosk(kiosk_config(dir.path(), &server.base, "allow_file_dialogs = true", "attachments = [\"text\"]"));
    kiosk.start_session();
    kiosk.harness.input_mut().dropped_files.push(Arc::new(Dropped(notes.clone())));
    kiosk.wait_for("the attached file", |h| shows(h, "visitor notes.txt"));
    kiosk.send(&format!("hello {canary}"));
    kiosk.wait_reply("Hi there, friend! This reply comes in several chunks of text.");
    assert!(present(&kiosk.harness, &format!("hello {canary}")));
    kiosk.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL).focus();
    kiosk.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL).type_text(&format!("draft {canary}"));
    kiosk.harness.step();

    // Quiet for 95 s: the countdown shows; "I'm still here" keeps the session.
    kiosk.pass(Duration::from_secs(95));
    kiosk.wait_for("the countdown", |h| {
        present(h, "No activity: this session and everything in it will be wiped in 25 s.")
    });
    kiosk.click("I'm still here");
    assert!(!present(&kiosk.harness, "I'm still here"), "the countdown is gone");
    assert!(kiosk.harness.state().session().is_some());

    // Quiet for the whole timeout: wiped; the next frame is the welcome screen.
    kiosk.pass(Duration::from_secs(121));
    kiosk.harness.step();
    assert!(kiosk.harness.state().session().is_none(), "the session was wiped");
    assert_eq!(kiosk.harness.state().wiped(), 1);
    kiosk.harness.step();
    assert!(present(&kiosk.harness, "Start"), "the welcome screen is back");
    assert!(!shows(&kiosk.harness, &canary), "the visitor's words are still shown: {:?}", tree_text(&kiosk.harness));
    assert!(!shows(&kiosk.harness, "visitor notes"), "the visitor's file is still shown");
    // Nor do egui's text fields remember it: a new session starts empty.
    kiosk.start_session();
    let composer = kiosk.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL);
    assert_eq!(composer.accesskit_node().value().unwrap_or_default(), "", "the new visitor sees an empty composer");
    assert!(kiosk.harness.state().session().unwrap().view_model().threads.is_empty(), "no thread of the last visitor");

    // On disk: none of it, in the test's folder or the system's temp folder.
    for root in [dir.path().to_path_buf(), std::env::temp_dir()] {
        for (path, bytes) in files_changed_since(&root, began, &notes) {
            for form in common::canary::forms(&canary) {
                assert!(!common::canary::contains(&bytes, &form), "{} holds the visitor's words", path.display());
            }
        }
    }
}

#[test]
fn end_session_wipes_at_once_and_the_message_limit_holds() {
    let server = common::peers::aimock();
    let dir = tempfile::tempdir().unwrap();
    let mut kiosk = new_kiosk(kiosk_config(dir.path(), &server.base, "", "messages_per_session = 1"));
    kiosk.start_session();
    kiosk.send("hello");
    kiosk.wait_reply("Hi there, friend! This reply comes in several chunks of text.");
    kiosk.send("think");
    kiosk.wait_for("the refusal", |h| {
        h.state()
            .session()
            .unwrap()
            .view_model()
            .errors
            .iter()
            .any(|e| e.contains("this session's limit of 1 messages is reached; end the session to start a new one"))
    });
    assert_eq!(
        kiosk.harness.state().session().unwrap().composer_text(),
        "think",
        "the refused message is back in the composer"
    );
    kiosk.click("End session");
    assert!(kiosk.harness.state().session().is_none());
    kiosk.harness.step();
    assert!(present(&kiosk.harness, "Start"));
    // A new visitor has the whole allowance again.
    kiosk.start_session();
    kiosk.send("hello");
    kiosk.wait_for("the new visitor's reply", |h| {
        present(h, "Hi there, friend! This reply comes in several chunks of text.")
    });
}

#[test]
fn closing_is_refused_and_only_the_admin_pin_lets_the_kiosk_go() {
    let dir = tempfile::tempdir().unwrap();
    let mut kiosk = new_kiosk(kiosk_config(dir.path(), "http://127.0.0.1:9", "", ""));
    kiosk.start_session();
    // The desktop asks the window to close (Alt+F4, a close button).
    kiosk.harness.event(egui::Event::Key {
        key: Key::F4,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: Modifiers::ALT,
    });
    kiosk
        .harness
        .input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    kiosk.harness.step();
    let commands = &kiosk.harness.output().viewport_output[&egui::ViewportId::ROOT].commands;
    assert!(commands.contains(&egui::ViewportCommand::CancelClose), "the close was not cancelled: {commands:?}");
    assert!(kiosk.harness.state().session().is_some(), "the session goes on");

    kiosk.click("Admin");
    kiosk.wait_for("the PIN dialog", |h| present(h, pakchat::ui::kiosk::PIN_LABEL));
    kiosk.harness.get_by_label(pakchat::ui::kiosk::PIN_LABEL).focus();
    kiosk.harness.get_by_label(pakchat::ui::kiosk::PIN_LABEL).type_text("1357");
    kiosk.click("Exit Pak.Chat");
    kiosk.wait_for("the wrong PIN", |h| present(h, "Wrong PIN (1 try)."));
    kiosk.harness.get_by_label(pakchat::ui::kiosk::PIN_LABEL).focus();
    kiosk.harness.get_by_label(pakchat::ui::kiosk::PIN_LABEL).type_text("2468");
    kiosk.click("Exit Pak.Chat");
    kiosk.wait_for("the exit", |h| {
        h.output()
            .viewport_output
            .get(&egui::ViewportId::ROOT)
            .is_some_and(|v| v.commands.contains(&egui::ViewportCommand::Close))
    });
    assert!(kiosk.harness.state().session().is_none(), "the session was wiped before the exit");
}

#[test]
fn a_presenter_switches_a_normal_profile_to_the_shared_screen_view_and_back() {
    let dir = tempfile::tempdir().unwrap();
    harness::seeded_store(dir.path(), |store, _| {
        use pakchat::store::Store as _;
        let mut settings = pakchat::domain::Settings::default();
        settings.personal.name = "Ada Lovelace".to_owned();
        settings.personal.email = "ada@example.org".to_owned();
        store.put_settings(&settings).unwrap();
    });
    let mut app = harness::new_app(harness::config(dir.path(), true));
    app.wait_ready();
    app.wait_for("the profile in the sidebar", |h| present(h, "ada@example.org"));
    let zoom = app.harness.ctx.zoom_factor();
    app.harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::P);
    app.wait_for("the presentation", |h| {
        !present(h, "ada@example.org") && !present(h, "Ada Lovelace") && !present(h, "+  New chat")
    });
    assert!(app.harness.state().is_presenting());
    assert!((app.harness.ctx.zoom_factor() - zoom * 1.4).abs() < 0.01, "the text is larger");
    // Nor does the settings window show them: not the profile, not the folder.
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::Comma);
    app.wait_for("the settings", |h| present(h, "Customization"));
    app.click("Profile");
    app.wait_for("the profile tab", |h| shows(h, "Personal information is hidden while presenting"));
    let folder = dir.path().display().to_string();
    for secret in ["Ada Lovelace", "ada@example.org", folder.as_str()] {
        assert!(!shows(&app.harness, secret), "{secret:?} is shown while presenting");
    }
    assert!(app.harness.query_by_role_and_label(Role::TextInput, "E-mail").is_none(), "the e-mail can be edited");
    app.click("Data");
    app.wait_for("the data tab", |h| present(h, "Export all data…"));
    assert!(!shows(&app.harness, &folder), "the profile folder is shown while presenting");
    app.harness.key_press(Key::Escape);
    app.harness.step();
    // The same keys bring everything back, without a restart.
    app.harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::P);
    app.wait_for("the normal view", |h| present(h, "ada@example.org") && present(h, "+  New chat"));
    assert!((app.harness.ctx.zoom_factor() - zoom).abs() < 0.01);
    // And the settings show them again (the same window, no restart).
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::Comma);
    app.wait_for("the settings", |h| present(h, "Customization"));
    app.click("Data");
    app.wait_for("the folder", |h| shows(h, &folder));
    app.close();
}

/// What aimock was sent, as its journal lists it.
fn aimock_journal(kiosk: &Kiosk, base: &str) -> String {
    kiosk._rt.block_on(async { reqwest::get(format!("{base}/__aimock/journal")).await.unwrap().text().await.unwrap() })
}

#[test]
fn a_visitor_cannot_attach_a_file_by_its_path_typed_pasted_or_dropped() {
    let server = common::peers::aimock();
    let dir = tempfile::tempdir().unwrap();
    // The admin's key file, private to the kiosk's account: exactly what a
    // visitor must not be able to read through Pak.Chat.
    let secret = format!("sk-admin-{}", uuid::Uuid::now_v7().simple());
    let key_file = dir.path().join("openai.key");
    std::fs::write(&key_file, &secret).unwrap();
    let config = kiosk_config(
        dir.path(),
        &server.base,
        "allow_clipboard = true\nallow_file_dialogs = false",
        "attachments = [\"text\", \"image\", \"pdf\"]",
    );
    let mut kiosk = new_kiosk(config);
    kiosk.start_session();
    let refused = pakchat::backend::FilePicker::NO_PATHS;

    // Typed, cut and pasted back: what a file manager's copy looks like.
    let address = format!("file://{}", key_file.display());
    let composer = kiosk.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL);
    composer.focus();
    composer.type_text(&address);
    kiosk.harness.step();
    kiosk.harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    kiosk.harness.event(egui::Event::Cut);
    kiosk.harness.step();
    kiosk.harness.event(egui::Event::Paste(address.clone()));
    kiosk.harness.step();
    kiosk.wait_for("the refusal", |h| shows(h, refused));
    assert!(!shows(&kiosk.harness, "openai.key"), "the key file was attached: {:?}", tree_text(&kiosk.harness));

    // Dropped on the window (a file manager on the kiosk's desktop).
    kiosk.harness.input_mut().dropped_files.push(Arc::new(Dropped(key_file.clone())));
    kiosk.harness.step();
    kiosk.harness.step();
    assert!(!shows(&kiosk.harness, "openai.key"), "the dropped key file was attached");
    let open = &kiosk.harness.state().session().unwrap().view_model().open;
    assert!(open.as_ref().is_none_or(|o| o.attachments.is_empty()), "nothing waits to be sent");

    // A message goes out; the provider receives no byte of the file.
    kiosk.send("hello");
    kiosk.wait_reply("Hi there, friend! This reply comes in several chunks of text.");
    let journal = aimock_journal(&kiosk, &server.base);
    assert!(journal.contains("hello"), "the journal lists the message: {journal}");
    for form in common::canary::forms(&secret) {
        assert!(!common::canary::contains(journal.as_bytes(), &form), "the key file reached the provider");
    }
    // The wipe empties the clipboard this kiosk lets visitors use.
    kiosk.harness.get_by_label("End session").click();
    kiosk.harness.step();
    let commands = &kiosk.harness.output().platform_output.commands;
    assert!(commands.contains(&egui::OutputCommand::CopyText(String::new())), "the clipboard was kept: {commands:?}");
}

#[test]
fn the_backend_of_a_kiosk_opens_no_path_and_no_dialog_whatever_it_is_asked() {
    use pakchat::backend::{Command, Event, ExportFormat, ExportWhat, IncomingFile};
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("openai.key");
    std::fs::write(&key_file, "sk-admin-secret").unwrap();
    let config = kiosk_config(dir.path(), "http://127.0.0.1:9", "", "attachments = [\"text\"]");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let runtime = Runtime::new(rt.handle().clone());
    let (backend, stopped) = start(&runtime, pakchat::kiosk::backend_config(&config), || {});
    let next = |what: &str, want: &dyn Fn(&Event) -> bool| {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            match backend.try_recv() {
                Some(e) if want(&e) => return e,
                Some(_) => {}
                None => std::thread::sleep(Duration::from_millis(5)),
            }
            assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        }
    };
    next("the guest profile", &|e| matches!(e, Event::Unlocked { .. }));
    let thread = pakchat::domain::ThreadId::new();
    assert!(backend.send(Command::CreateThread { id: thread, project: None }));
    let pasted = IncomingFile::Bytes { name: "note.txt".to_owned(), bytes: b"a visitor's note".to_vec() };
    assert!(backend.send(Command::AttachFiles { thread, files: vec![IncomingFile::Path(key_file.clone()), pasted] }));
    let refusal = next("the refusal", &|e| matches!(e, Event::AttachmentRejected { .. }));
    let Event::AttachmentRejected { message, .. } = refusal else { unreachable!() };
    assert_eq!(message, pakchat::backend::FilePicker::NO_PATHS);
    // What came as bytes is still taken.
    let added = next("the pasted file", &|e| matches!(e, Event::AttachmentAdded { .. }));
    let Event::AttachmentAdded { attachment, .. } = added else { unreachable!() };
    assert_eq!(attachment.name, "note.txt");
    // Dialogs that would reach the disk: refused, each with the reason.
    for command in [
        Command::PickFiles { thread },
        Command::Export { what: ExportWhat::All },
        Command::Export { what: ExportWhat::Thread { id: thread, format: ExportFormat::Markdown } },
        Command::Import,
    ] {
        let name = format!("{command:?}");
        assert!(backend.send(command));
        let said = next(&name, &|e| matches!(e, Event::Error { .. } | Event::AttachmentRejected { .. }));
        let text = format!("{said:?}");
        assert!(text.contains(pakchat::backend::FilePicker::DISABLED), "{name} was answered with {text}");
    }
    assert!(backend.send(Command::Shutdown));
    drop(backend);
    assert!(stopped.wait(Duration::from_secs(10)));
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), "sk-admin-secret");
}

#[test]
fn the_admin_pin_dialog_holds_the_keyboard_until_it_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    let mut kiosk = new_kiosk(kiosk_config(dir.path(), "http://127.0.0.1:9", "", ""));
    kiosk.wait_for("the welcome screen", |h| present(h, "Start"));
    kiosk.harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::ALT | Modifiers::SHIFT, Key::A);
    kiosk.wait_for("the PIN field with the keyboard", |h| {
        h.query_by_label(pakchat::ui::kiosk::PIN_LABEL).is_some_and(|n| n.is_focused())
    });
    // Typed straight away, Enter: the PIN is checked; no session starts behind.
    kiosk.harness.get_by_label(pakchat::ui::kiosk::PIN_LABEL).type_text("1357");
    kiosk.harness.step();
    kiosk.harness.key_press(Key::Enter);
    kiosk.harness.step();
    assert!(kiosk.harness.state().session().is_none(), "Enter started a session behind the dialog");
    kiosk.wait_for("the wrong PIN", |h| present(h, "Wrong PIN (1 try)."));
    assert!(kiosk.harness.state().session().is_none());
    // The scrim takes clicks meant for the screen behind.
    kiosk.harness.get_by_label("Start").click();
    kiosk.harness.step();
    kiosk.harness.step();
    assert!(kiosk.harness.state().session().is_none(), "a click reached the welcome screen");
    // Focus is back in the field for the next try; Enter checks it.
    kiosk.wait_for("the PIN field with the keyboard again", |h| {
        h.query_by_label(pakchat::ui::kiosk::PIN_LABEL).is_some_and(|n| n.is_focused())
    });
    kiosk.harness.get_by_label(pakchat::ui::kiosk::PIN_LABEL).type_text("2468");
    kiosk.harness.step();
    kiosk.harness.key_press(Key::Enter);
    kiosk.wait_for("the exit", |h| {
        h.output()
            .viewport_output
            .get(&egui::ViewportId::ROOT)
            .is_some_and(|v| v.commands.contains(&egui::ViewportCommand::Close))
    });
    assert!(kiosk.harness.state().session().is_none());
}

#[test]
fn a_wiped_session_leaves_none_of_the_visitors_words_in_memory() {
    let server = common::peers::aimock();
    let dir = tempfile::tempdir().unwrap();
    let mut kiosk = new_kiosk(kiosk_config(dir.path(), &server.base, "", ""));
    kiosk.start_session();
    // Only the masked form is kept by the test; the plain text goes to the
    // app as a visitor's typing would.
    let mut words = format!("hello memory-canary-{}", uuid::Uuid::now_v7().simple());
    let masked = common::memory::masked(&words.as_bytes()["hello ".len()..]);
    kiosk.send(&words);
    zeroize::Zeroize::zeroize(&mut words);
    kiosk.wait_reply("Hi there, friend! This reply comes in several chunks of text.");
    // And a draft, left in the composer.
    let mut draft = String::from_utf8(masked.iter().map(|b| b ^ common::memory::MASK).collect()).unwrap();
    kiosk.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL).type_text(&draft);
    zeroize::Zeroize::zeroize(&mut draft);
    kiosk.harness.step();
    kiosk.harness.step();
    assert!(
        !common::memory::copies_in_memory(&masked).is_empty(),
        "the search finds the visitor's words while they are shown"
    );

    kiosk.click("End session");
    assert!(kiosk.harness.state().session().is_none());
    // The backend stops on its own threads; egui drops unused layouts after a frame.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let left = loop {
        for _ in 0..3 {
            kiosk.harness.step();
        }
        let left = common::memory::copies_in_memory(&masked);
        if left.is_empty() || std::time::Instant::now() > deadline {
            break left;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(left.is_empty(), "{} copies of the visitor's words are left in memory: {left:?}", left.len());
}

#[test]
fn a_small_logo_is_shown_at_its_own_size_never_blown_up() {
    let dir = tempfile::tempdir().unwrap();
    let logo = image::RgbaImage::from_fn(64, 32, |x, _| image::Rgba([(x * 4) as u8, 90, 160, 255]));
    logo.save(dir.path().join("logo.png")).unwrap();
    let mut kiosk =
        new_kiosk(kiosk_config(dir.path(), "http://127.0.0.1:9", "logo = \"logo.png\"\ntext_scale = 1.4", ""));
    kiosk.wait_for("the logo", |h| h.query_by_role(Role::Image).is_some());
    kiosk.harness.step();
    let shown = kiosk.harness.get_by_role(Role::Image).rect().size() * kiosk.harness.ctx.pixels_per_point();
    assert!(shown.x <= 64.5 && shown.y <= 32.5, "a 64×32 logo is drawn {shown:?} pixels large");
    assert!(shown.x >= 63.5 && shown.y >= 31.5, "the logo is drawn at its size, not smaller: {shown:?}");
}
