//! The user's own workspace driven through the UI: projects with their
//! instructions and knowledge, export and import through the dialogs,
//! branching a chat into a new one, and more than one window.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/app.rs"]
mod harness;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use harness::*;
use pakchat::ui::PROJECT_INSTRUCTIONS_LABEL;

/// Every system message aimock received.
fn system_prompts_sent(app: &App, base: &str) -> Vec<String> {
    aimock_journal(app, base)
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["body"]["messages"].as_array().cloned().unwrap_or_default())
        .filter(|m| m["role"] == "system")
        .filter_map(|m| m["content"].as_str().map(str::to_owned))
        .collect()
}

/// Replace the text of the single-line field `label` with `text`.
fn retype(app: &mut App, label: &str, text: &str) {
    app.harness.get_by_role_and_label(Role::TextInput, label).focus();
    app.harness.step();
    app.harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    app.harness.step();
    app.harness.get_by_role_and_label(Role::TextInput, label).type_text(text);
    app.harness.step();
}

#[test]
fn a_project_gives_its_chats_its_instructions_and_knowledge_and_can_go_keeping_them() {
    let server = common::peers::aimock();
    let dir = tempfile::tempdir().unwrap();
    let knowledge = dir.path().join("outline.md");
    let text = "# Outline\nThe Indus flows south to the Arabian Sea.\n";
    std::fs::write(&knowledge, text).unwrap();
    let mut app = new_app(config_picking(dir.path(), true, vec![knowledge]));
    app.wait_ready();
    connect_to_mock(&mut app, &server.base);

    app.click("+  New project");
    app.wait_for("the project window", |h| present(h, PROJECT_INSTRUCTIONS_LABEL));
    retype(&mut app, "Project name", "Thesis");
    app.type_into(Role::MultilineTextInput, PROJECT_INSTRUCTIONS_LABEL, "Cite every source.");
    app.click("Add files…");
    app.wait_for("the knowledge file", |h| present(h, "outline.md"));
    let size = format!("{} characters", text.chars().count());
    assert!(app.has_label(&size), "the file's size in characters is shown");
    app.click("New chat in this project");
    app.wait_for("the project in the sidebar", |h| {
        present(h, "Thesis") && h.state().view_model().projects.values().any(|p| p.name() == "Thesis")
    });
    let project = *app.harness.state().view_model().projects.keys().next().unwrap();
    let thread = app.harness.state().view_model().open.as_ref().unwrap().id;
    assert_eq!(app.harness.state().view_model().project_of(thread), Some(project), "the new chat is in the project");

    // What the user sees as the final prompt is what the model gets.
    app.chat_menu("Final prompt");
    let shown = "This chat belongs to the project \"Thesis\".\n\nCite every source.\n\nThe project's knowledge files \
                 follow.\n\n<file name=\"outline.md\">\n# Outline\nThe Indus flows south to the Arabian Sea.\n</file>";
    app.wait_for("the final prompt with the project", |h| present(h, shown));
    app.type_in_composer("hello");
    app.harness.key_press(egui::Key::Enter);
    app.wait_for("the reply", |h| present(h, "Hi there, friend! This reply comes in several chunks of text."));
    let sent = system_prompts_sent(&app, &server.base);
    assert!(sent.iter().any(|s| s == shown), "the model got the project's prompt: {sent:?}");
    app.close();

    // After a restart the project, its file and its chat are all there.
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.wait_for("the project after a restart", |h| present(h, "Thesis"));
    assert_eq!(app.harness.state().view_model().project_of(thread), Some(project));
    for _ in 0..4 {
        app.harness.step();
    }
    app.click("Thesis");
    app.wait_for("the project window", |h| present(h, "outline.md"));

    // Deleting it asks about its chats; "Keep the chats" keeps them, outside.
    app.click("Delete project…");
    app.wait_for("the question", |h| present(h, "Delete the project “Thesis”? What happens to its 1 chats?"));
    app.click("Keep the chats");
    app.wait_for("the project gone", |h| h.state().view_model().projects.is_empty() && !present(h, "Thesis"));
    let vm = app.harness.state().view_model();
    let row = vm.threads.get(&thread).expect("the chat is kept");
    assert!(!row.deleted && row.project.is_none(), "the chat stays, in no project");
    app.close();
}

#[test]
fn deleting_a_project_with_its_chats_removes_them_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.click("+  New project");
    app.wait_for("the project window", |h| present(h, PROJECT_INSTRUCTIONS_LABEL));
    app.click("New chat in this project");
    app.type_in_composer("a note that goes with the project");
    app.harness.key_press(egui::Key::Enter);
    app.wait_for("the stored message", |h| {
        present(h, "a note that goes with the project") && h.state().view_model().pending_ids().is_empty()
    });
    let thread = app.harness.state().view_model().open.as_ref().unwrap().id;
    for _ in 0..4 {
        app.harness.step();
    }
    app.click("New project");
    app.wait_for("the project window", |h| present(h, "Delete project…"));
    app.click("Delete project…");
    app.click("Delete the chats too");
    app.wait_for("the chat gone", |h| {
        h.state().view_model().threads.get(&thread).is_some_and(|t| t.deleted) && h.state().view_model().open.is_none()
    });
    app.close();
    let kv = std::sync::Arc::new(
        pakchat::store::SledKv::open_patiently(&dir.path().join("profile"), std::time::Duration::from_secs(5)).unwrap(),
    );
    let store =
        pakchat::store::SealedStore::unlock(kv, &pakchat::store::KeySource::KeyFile(dir.path().join("key"))).unwrap();
    use pakchat::store::Store as _;
    assert_eq!(store.message_count(thread).unwrap(), 0, "its messages were purged");
    let t = store.thread(thread).unwrap().unwrap();
    assert!(t.deleted && t.title.is_empty(), "only an empty tombstone is left");
}

#[test]
fn export_all_then_import_into_a_new_profile_brings_the_chats_back() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("export.json");
    let first = dir.path().join("first");
    std::fs::create_dir_all(&first).unwrap();
    let mut app = new_app(config_picking(&first, true, vec![archive.clone()]));
    app.wait_ready();
    app.type_in_composer("the words that travel");
    app.harness.key_press(egui::Key::Enter);
    app.wait_for("the stored message", |h| {
        present(h, "the words that travel") && h.state().view_model().pending_ids().is_empty()
    });
    app.harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Comma);
    app.wait_for("the settings", |h| present(h, "Data"));
    app.click("Data");
    app.click("Export all data…");
    app.wait_for("the export", |h| h.state().view_model().status.as_deref().is_some_and(|s| s.starts_with("Exported")));
    assert_eq!(
        app.harness.state().view_model().status.as_deref().unwrap(),
        format!("Exported 1 chat with 1 message. Saved to {}.", archive.display())
    );
    let written = std::fs::read_to_string(&archive).unwrap();
    assert!(written.contains("the words that travel") && written.contains("pakchat-archive"));
    assert!(
        !std::fs::read_dir(dir.path()).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().contains(".partial")),
        "no partial file is left beside the export"
    );
    app.close();

    // A second, fresh profile imports it.
    let second = dir.path().join("second");
    std::fs::create_dir_all(&second).unwrap();
    let mut app = new_app(config_picking(&second, true, vec![archive]));
    app.wait_ready();
    app.harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Comma);
    app.wait_for("the settings", |h| present(h, "Data"));
    app.click("Data");
    app.click("Import chats…");
    app.wait_for("the import", |h| present(h, "Imported 1 chat with 1 message."));
    app.click("Done");
    app.wait_for("the chat in the sidebar", |h| present(h, "the words that travel"));
    app.click("the words that travel");
    app.wait_for("its message", |h| {
        row_message(h, 0).is_some_and(|m| m.content == "the words that travel")
            && h.state().view_model().open.as_ref().is_some_and(|o| o.count == 1)
    });
    app.close();
}

#[test]
fn a_malformed_import_is_refused_with_the_reason_and_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("conversations.json");
    // A ChatGPT export cut short in the middle.
    std::fs::write(&bad, br#"[{"title": "Half", "mapping": {"a": {"id": "a", "message": nu"#).unwrap();
    let mut app = new_app(config_picking(dir.path(), true, vec![bad]));
    app.wait_ready();
    app.harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Comma);
    app.wait_for("the settings", |h| present(h, "Data"));
    app.click("Data");
    app.click("Import chats…");
    app.wait_for("the refusal", |h| {
        h.state()
            .view_model()
            .errors
            .iter()
            .any(|e| e.starts_with("Nothing was imported: this file is not a readable export"))
    });
    assert!(app.harness.state().view_model().threads.is_empty(), "no chat was added");
    app.close();
}

#[test]
fn branching_off_at_a_reply_makes_a_new_chat_up_to_it_and_leaves_the_original() {
    use pakchat::domain::{Message, Role as MsgRole, Thread, ThreadId};
    use pakchat::store::Store as _;
    let dir = tempfile::tempdir().unwrap();
    let thread = Thread::new(ThreadId::new(), "Planning".to_owned(), pakchat::domain::wall_millis(), stamp());
    seeded_store(dir.path(), |store, _| {
        store.put_thread(&thread).unwrap();
        let mut parent = None;
        for (role, text) in [
            (MsgRole::User, "first question"),
            (MsgRole::Assistant, "first answer"),
            (MsgRole::User, "second question"),
        ] {
            let m = Message { role, parent_id: parent, ..message(thread.id, text.to_owned()) };
            store.append_message(&m).unwrap();
            parent = Some(m.id);
        }
    });
    let mut app = reopen_thread(dir.path(), "Planning");
    app.wait_for("the thread's rows", |h| present(h, "second question") && present(h, "first answer"));
    hover_row(&mut app, "first answer");
    app.click("Branch off");
    app.wait_for("the new chat", |h| {
        let vm = h.state().view_model();
        vm.open.as_ref().is_some_and(|o| o.id != thread.id && o.loaded && o.count == 2)
            && present(h, "Planning (branch)")
    });
    let copy = app.harness.state().view_model().open.as_ref().unwrap().id;
    assert_eq!(row_message(&app.harness, 0).unwrap().content, "first question");
    assert_eq!(row_message(&app.harness, 1).unwrap().content, "first answer");
    assert!(!app.has_label("second question"), "nothing after the branch point is copied");
    app.click("Planning");
    app.wait_for("the original", |h| {
        h.state().view_model().open.as_ref().is_some_and(|o| o.id == thread.id && o.count == 3)
    });
    app.close();
    // On disk: the copy is its own chat with new message ids, in one line.
    let kv = std::sync::Arc::new(
        pakchat::store::SledKv::open_patiently(&dir.path().join("profile"), std::time::Duration::from_secs(5)).unwrap(),
    );
    let store =
        pakchat::store::SealedStore::unlock(kv, &pakchat::store::KeySource::KeyFile(dir.path().join("key"))).unwrap();
    let ids = |t: ThreadId| -> Vec<pakchat::domain::MessageId> {
        store
            .messages(t, 0, 10)
            .unwrap()
            .into_iter()
            .map(|slot| match slot {
                pakchat::store::MessageSlot::Ok(m) => m.id,
                pakchat::store::MessageSlot::Unreadable(e) => panic!("{e}"),
            })
            .collect()
    };
    let (original, copied) = (ids(thread.id), ids(copy));
    assert_eq!((original.len(), copied.len()), (3, 2));
    assert!(copied.iter().all(|id| !original.contains(id)), "the copy has ids of its own");
}

/// Type `text` into the `nth` composer (0: the main window's, 1: the first
/// thread window's) and press Enter.
fn send_in_composer(app: &mut App, nth: usize, text: &str) {
    let label = pakchat::ui::COMPOSER_LABEL;
    app.harness.get_all_by_role_and_label(Role::MultilineTextInput, label).nth(nth).unwrap().focus();
    app.harness.step();
    app.harness.get_all_by_role_and_label(Role::MultilineTextInput, label).nth(nth).unwrap().type_text(text);
    app.harness.key_press(egui::Key::Enter);
}

/// Step frames until `done`; on every frame `each` must hold.
fn watch(app: &mut App, what: &str, each: impl Fn(&App) -> Result<(), String>, done: impl Fn(&App) -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        app.harness.step();
        if let Err(e) = each(app) {
            panic!("while waiting for {what}: {e}");
        }
        if done(app) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

#[test]
fn a_chat_in_a_second_window_shows_every_message_in_the_same_frame_as_the_first() {
    let server = common::peers::aimock();
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    connect_to_mock(&mut app, &server.base);
    app.type_in_composer("hello");
    app.harness.key_press(egui::Key::Enter);
    let hi = "Hi there, friend! This reply comes in several chunks of text.";
    app.wait_for("the first reply", |h| present(h, hi));
    let pickers = app.label_count("Model");
    app.chat_menu("Open in new window");
    app.wait_for("the second window with the chat", |h| {
        h.query_all_by_label(hi).count() == 2 && h.state().view_model().windows.len() == 1
    });
    assert_eq!(app.label_count("Model"), 2 * pickers, "the second window has its own model picker");

    // Sent in the main window: the reply shows in both windows in the same
    // frame, never in one without the other.
    send_in_composer(&mut app, 0, "think");
    let answer = "The answer is 4.";
    let in_step = |app: &App| match app.harness.query_all_by_label(answer).count() {
        0 | 2 => Ok(()),
        n => Err(format!("the reply is shown {n} times")),
    };
    watch(&mut app, "the reply in both windows", in_step, |app| app.label_count(answer) == 2);
    assert_eq!(app.harness.state().view_model().windows.len(), 1, "still one window besides the main one");
    // Enter sends nothing while a reply streams: wait for its end (under
    // load the whole text can show a few frames before the stream closes).
    app.wait_for("the reply to finish", |h| {
        let vm = h.state().view_model();
        vm.open.as_ref().is_some_and(|o| !o.is_streaming()) && vm.windows.iter().all(|w| !w.open.is_streaming())
    });

    // Sent from the second window: it shows in the main one too.
    send_in_composer(&mut app, 1, "usage");
    let counted = |app: &App| match app.harness.query_all_by_label("Counted.").count() {
        0 | 2 => Ok(()),
        n => Err(format!("the reply is shown {n} times")),
    };
    watch(&mut app, "the reply to the second window", counted, |app| app.label_count("Counted.") == 2);
    assert_eq!(app.label_count(answer), 2, "both windows still show the earlier reply");

    // A rename in the main window retitles the second at once.
    app.harness.key_press(egui::Key::F2);
    app.harness.step();
    app.harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    app.harness.get_by_role_and_label(Role::TextInput, "Title").type_text("Two windows");
    app.harness.key_press(egui::Key::Enter);
    app.wait_for("the second window's new title", |h| present(h, "Two windows — Pak.Chat"));

    app.click("Close window");
    app.wait_for("the second window closed", |h| {
        h.state().view_model().windows.is_empty() && h.query_all_by_label(answer).count() == 1
    });
    app.close();
}

#[cfg(unix)]
#[test]
fn a_second_launch_on_the_profile_opens_a_new_chat_window_in_the_running_app() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    let profile = dir.path().join("profile");
    assert!(pakchat::backend::instance::hand_over(&profile), "the running app answers");
    app.wait_for("the new window", |h| h.state().view_model().windows.len() == 1 && present(h, "New chat — Pak.Chat"));
    // Closed untouched, it leaves no empty chat behind.
    assert!(app.harness.state().view_model().threads.is_empty(), "nothing stored for an untouched window");
    app.click("Close window");
    app.wait_for("the window closed", |h| h.state().view_model().windows.is_empty());
    for _ in 0..4 {
        app.harness.step();
    }
    assert!(app.harness.state().view_model().threads.is_empty(), "no empty chat after closing it");
    assert!(pakchat::backend::instance::hand_over(&profile), "the running app answers again");
    app.wait_for("another new window with its composer", |h| {
        h.state().view_model().windows.len() == 1
            && h.query_all_by_role_and_label(Role::MultilineTextInput, pakchat::ui::COMPOSER_LABEL).count() == 2
    });
    // Typing there makes the chat.
    send_in_composer(&mut app, 1, "from the second launch");
    app.wait_for("the message stored", |h| {
        let vm = h.state().view_model();
        vm.windows.first().is_some_and(|w| w.open.count == 1 && w.open.pending.is_empty())
            && vm.threads.values().any(|t| t.title == "from the second launch")
    });
    app.close();
    assert!(!pakchat::backend::instance::socket_path(&profile).exists(), "the socket goes when the app stops");
    assert!(!pakchat::backend::instance::hand_over(&profile), "nobody answers once the app is closed");
}

#[test]
fn a_new_interface_font_reaches_the_messages_already_on_screen() {
    use pakchat::domain::{Thread, ThreadId};
    use pakchat::store::Store as _;
    let dir = tempfile::tempdir().unwrap();
    let thread = Thread::new(ThreadId::new(), "Fonts".to_owned(), pakchat::domain::wall_millis(), stamp());
    let text = "The quick brown fox jumps over the lazy dog";
    seeded_store(dir.path(), |store, _| {
        store.put_thread(&thread).unwrap();
        store.append_message(&message(thread.id, text.to_owned())).unwrap();
    });
    let mut app = reopen_thread(dir.path(), "Fonts");
    app.wait_for("the message", |h| present(h, text));
    for _ in 0..4 {
        app.harness.step();
    }
    let before = app.harness.get_by_label(text).rect().width();
    app.harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Comma);
    app.wait_for("the settings window", |h| present(h, "Interface font"));
    app.click("Interface font");
    app.click("egui built-in (Ubuntu Light)");
    app.wait_for("the message in the new font", |h| (h.get_by_label(text).rect().width() - before).abs() > 1.0);
    let after = app.harness.get_by_label(text).rect().width();
    assert!((after - before).abs() > 1.0, "the message is laid out anew: {before} → {after}");
    assert!(present(&app.harness, text), "the message itself is still shown");
    app.close();
}
