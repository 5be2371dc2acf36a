//! Threads made, drafted, unlocked, unreadable, refused, huge, and the main window as it looks.

use super::*;

#[test]
fn create_type_send_rename_pin_and_delete_a_thread() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    assert!(app.has_label("Start a new chat: type below and press Enter."));

    app.click("+  New chat");
    app.wait_for("the new thread", |h| present(h, "No messages yet. Write the first one below."));
    app.type_in_composer("Hello from kittest");
    app.harness.key_press(Key::Enter);
    app.wait_for("the stored message", |h| {
        present(h, "Hello from kittest") && h.state().view_model().pending_ids().is_empty()
    });
    // Title from the first message: in the sidebar and the header, plus the
    // message itself (the renamed thread comes in its own event).
    app.wait_for("the title from the first message", |h| h.query_all_by_label("Hello from kittest").count() >= 3);
    assert_eq!(app.harness.state().composer_text(), "", "the composer is cleared after sending");

    // Rename through the chat's menu and the title field.
    app.chat_menu("Rename");
    app.harness.get_by_role_and_label(Role::TextInput, "Title").focus();
    app.harness.step();
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    app.harness.step();
    app.harness.get_by_role_and_label(Role::TextInput, "Title").type_text("Renamed thread");
    app.harness.step();
    app.harness.key_press(Key::Enter);
    app.wait_for("the new title", |h| h.query_all_by_label("Renamed thread").count() >= 2);

    // Pin: the thread moves under "Pinned".
    assert!(!app.has_label("Pinned"));
    app.chat_menu("Pin");
    app.wait_for("the Pinned group", |h| present(h, "Pinned"));
    app.chat_menu("Unpin");
    app.wait_for("the thread back under Today", |h| !present(h, "Pinned") && present(h, "Today"));

    // Delete with undo.
    app.chat_menu("Delete");
    app.wait_for("the thread to go", |h| !present(h, "Renamed thread") && present(h, "Undo"));
    assert!(app.has_label("Deleted “Renamed thread”."));
    app.click("Undo");
    app.wait_for("the thread to come back", |h| present(h, "Renamed thread"));
    app.harness.get_by_label("Renamed thread").click();
    app.wait_for("the restored thread's message", |h| present(h, "Hello from kittest"));
    app.chat_menu("Delete");
    app.wait_for("the thread to go again", |h| !present(h, "Renamed thread"));
    app.close();

    // After a restart the deleted thread stays deleted.
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.wait_for("the thread list", |h| present(h, "No threads yet."));
    app.close();
}

#[test]
fn the_draft_survives_dropping_and_recreating_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.type_in_composer("half-written thought");
    // No send: wait past the draft delay so the debounced save goes out.
    std::thread::sleep(pakchat::ui::DRAFT_DELAY + Duration::from_millis(100));
    app.wait_for("the draft to be saved", |h| {
        h.state().view_model().threads.values().any(|t| t.draft == "half-written thought")
    });
    app.close();

    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.wait_for("the thread", |h| present(h, "New chat"));
    app.open_chat("New chat");
    app.wait_for("the restored draft", |h| h.state().composer_text() == "half-written thought");
    let composer = app.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL);
    assert_eq!(composer.value().as_deref(), Some("half-written thought"));
    assert!(composer.is_focused(), "the composer has focus when a thread opens");
    app.close();
}

#[test]
fn first_run_with_a_passphrase_then_unlock_rejects_a_wrong_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), false));
    app.wait_for("the first-run screen", |h| matches!(h.state().view_model().phase, Phase::Setup { .. }));
    assert!(app.has_label("No system keychain answered on this computer."));
    let where_text =
        format!("Your threads are stored on this computer, encrypted, in {}.", dir.path().join("profile").display());
    assert!(app.has_label(&where_text));
    app.type_into(Role::PasswordInput, "Passphrase", "open sesame");
    app.type_into(Role::PasswordInput, "Repeat passphrase", "open sesame");
    app.click("Create profile");
    app.wait_ready();
    assert!(app.has_label("Encrypted · passphrase"));
    app.close();

    let mut app = new_app(config(dir.path(), false));
    app.wait_for("the unlock screen", |h| matches!(h.state().view_model().phase, Phase::Unlock { .. }));
    app.type_into(Role::PasswordInput, "Passphrase", "wrong guess");
    app.click("Unlock");
    app.wait_for("the refusal", |h| present(h, "that passphrase or key does not unlock this profile"));
    assert!(matches!(app.harness.state().view_model().phase, Phase::Unlock { .. }));
    app.type_into(Role::PasswordInput, "Passphrase", "open sesame");
    app.click("Unlock");
    app.wait_ready();
    app.close();
}

#[test]
fn an_unreadable_thread_is_shown_as_such_and_the_rest_works() {
    let dir = tempfile::tempdir().unwrap();
    let good = Thread::new(ThreadId::new(), "Readable thread".to_owned(), pakchat::domain::wall_millis(), stamp());
    let bad = Thread::new(ThreadId::new(), "Damaged thread".to_owned(), pakchat::domain::wall_millis(), stamp());
    seeded_store(dir.path(), |store, kv| {
        store.put_thread(&good).unwrap();
        store.put_thread(&bad).unwrap();
        let mut sealed = kv.get(Table::Threads, bad.id.as_bytes()).unwrap().unwrap();
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        kv.insert(Table::Threads, bad.id.as_bytes(), &sealed).unwrap();
    });
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.wait_for("both threads", |h| present(h, "Unreadable thread") && present(h, "Readable thread"));
    assert!(!app.has_label("Damaged thread"));
    app.open_chat("Readable thread");
    app.type_in_composer("still works");
    app.harness.key_press(Key::Enter);
    app.wait_for("the message", |h| present(h, "still works") && h.state().view_model().pending_ids().is_empty());
    app.close();
}

#[test]
fn a_message_that_cannot_be_stored_comes_back_to_the_composer() {
    let dir = tempfile::tempdir().unwrap();
    let bad = Thread::new(ThreadId::new(), "Damaged thread".to_owned(), pakchat::domain::wall_millis(), stamp());
    seeded_store(dir.path(), |store, kv| {
        store.put_thread(&bad).unwrap();
        let mut sealed = kv.get(Table::Threads, bad.id.as_bytes()).unwrap().unwrap();
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        kv.insert(Table::Threads, bad.id.as_bytes(), &sealed).unwrap();
    });
    let mut app = reopen_thread(dir.path(), "Unreadable thread");
    app.type_in_composer("precious words");
    app.harness.key_press(Key::Enter);
    app.wait_for("the failure notice", |h| {
        h.query_all_by_label_contains("Your message was not saved").next().is_some()
            && h.query_all_by_label_contains("Its text is back in the composer.").next().is_some()
    });
    assert_eq!(app.harness.state().composer_text(), "precious words", "nothing typed is lost");
    assert!(app.harness.state().view_model().pending_ids().is_empty(), "no half-sent row is left");
    app.close();
}

#[test]
fn a_thread_of_100k_messages_opens_at_its_end_and_scrolls_to_its_start() {
    const N: u64 = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let thread = Thread::new(ThreadId::new(), "Huge thread".to_owned(), pakchat::domain::wall_millis(), stamp());
    seeded_store(dir.path(), |store, _| {
        store.put_thread(&thread).unwrap();
        for i in 0..N {
            store.append_message(&message(thread.id, format!("message number {i}"))).unwrap();
        }
    });
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.wait_for("the thread", |h| present(h, "Huge thread"));
    app.open_chat("Huge thread");
    app.wait_for("the last message", |h| present(h, &format!("message number {}", N - 1)));
    let rows = |app: &App| app.harness.state().view_model().open.as_ref().unwrap().rows.len();
    assert!(rows(&app) <= 200, "only the tail is loaded ({} rows)", rows(&app));
    assert!(!app.has_label("message number 0"));

    app.harness.key_press_modifiers(Modifiers::ALT, Key::Home);
    app.wait_for("the first message", |h| present(h, "message number 0"));
    assert!(rows(&app) <= 600, "rows stay bounded after a jump ({} rows)", rows(&app));
    assert!(!app.has_label(&format!("message number {}", N - 1)));

    // Page down twice: later messages appear, earlier ones leave the tree.
    app.harness.key_press(Key::PageDown);
    app.harness.key_press(Key::PageDown);
    app.wait_for("later messages", |h| !present(h, "message number 0"));
    app.harness.key_press_modifiers(Modifiers::ALT, Key::End);
    app.wait_for("the end again", |h| present(h, &format!("message number {}", N - 1)));
    app.close();
}

#[test]
fn main_window_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.type_in_composer("What is the capital of Pakistan?");
    app.harness.key_press(Key::Enter);
    app.wait_for("the message", |h| {
        h.state().view_model().pending_ids().is_empty() && present(h, "What is the capital of Pakistan?")
    });
    app.type_in_composer("And its population?\nRoughly.");
    app.harness.key_press(Key::Enter);
    app.wait_for("the second message", |h| {
        h.state().view_model().open.as_ref().is_some_and(|o| o.count == 2)
            && h.state().view_model().pending_ids().is_empty()
    });
    for _ in 0..3 {
        app.harness.step();
    }
    app.harness.snapshot("main_window");
    // Idle costs nothing: with nothing arriving, frames stop being requested.
    assert!(app.harness.try_run().is_ok(), "the idle app keeps asking for repaints");
    app.close();
}

#[test]
fn text_typed_on_the_start_screen_is_kept_whole_when_its_draft_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.type_in_composer("a");
    // Past the draft delay: the draft is saved, which makes its chat.
    std::thread::sleep(pakchat::ui::DRAFT_DELAY + Duration::from_millis(100));
    app.wait_for("the chat made for the draft", |h| h.state().view_model().open.is_some());
    app.type_in_composer("bc");
    assert_eq!(app.harness.state().composer_text(), "abc", "the first letter stayed");
    std::thread::sleep(pakchat::ui::DRAFT_DELAY + Duration::from_millis(100));
    app.wait_for("the whole draft saved", |h| h.state().view_model().threads.values().any(|t| t.draft == "abc"));
    app.close();

    let mut app = reopen_thread(dir.path(), "New chat");
    app.wait_for("the draft after a restart", |h| h.state().composer_text() == "abc");
    app.close();
}

#[test]
fn a_focused_composer_left_alone_stops_asking_for_frames() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app_blinking(config(dir.path(), true));
    app.wait_ready();
    app.type_in_composer("x");
    for _ in 0..3 {
        app.harness.step();
    }
    assert!(app.harness.ctx.has_requested_repaint(), "the cursor blinks while the user is at work");
    // The draft stored (its chat made) first: a late answer from the
    // backend would rightly ask for a frame (a loaded machine let one
    // arrive after the steps below once).
    app.wait_for("the draft stored", |h| h.state().view_model().threads.values().any(|t| t.draft == "x"));
    std::thread::sleep(pakchat::ui::CURSOR_BLINK_TIMEOUT + Duration::from_millis(200));
    // The frame that sees the timeout, then the one that draws the cursor steady.
    for _ in 0..3 {
        app.harness.step();
    }
    let causes = app.harness.ctx.repaint_causes();
    assert!(!app.harness.ctx.has_requested_repaint(), "idle and focused, yet a frame is asked for: {causes:?}");
    // A key gives the cursor its blinking back.
    app.type_in_composer("y");
    app.harness.step();
    assert!(app.harness.ctx.has_requested_repaint(), "the cursor blinks again after input");
    assert_eq!(app.harness.state().composer_text(), "xy");
    app.close();
}

#[test]
fn a_huge_paste_scrolls_inside_the_composer_and_every_control_stays_on_screen() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    let line = "A long line of pasted text, the kind a log file or a whole article brings along.\n";
    let pasted = line.repeat(200 * 1024 / line.len());
    app.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL).focus();
    app.harness.step();
    app.harness.event(egui::Event::Paste(pasted.clone()));
    for _ in 0..4 {
        app.harness.step();
    }
    assert_eq!(app.harness.state().composer_text().len(), pasted.len(), "all of it was pasted");
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(900.0, 600.0));
    for control in ["Send", "Attach files…", "Make images", "Model"] {
        let rect = app.harness.get_by_label(control).rect();
        assert!(screen.contains_rect(rect), "{control:?} at {rect:?} is off the {screen:?} window");
    }
    app.close();
}

#[test]
fn a_restart_opens_the_chat_last_written_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    for text in ["first chat", "second chat"] {
        app.apply_new_thread();
        app.type_in_composer(text);
        app.harness.key_press(Key::Enter);
        app.wait_for(text, |h| present(h, text) && h.state().view_model().pending_ids().is_empty());
    }
    // Back to the first and written in again: it is the last one written in.
    app.click_accesskit("first chat");
    app.wait_for("the first chat", |h| h.state().view_model().open.as_ref().is_some_and(|o| o.count == 1));
    app.type_in_composer("and a follow-up");
    app.harness.key_press(Key::Enter);
    app.wait_for("the follow-up", |h| present(h, "and a follow-up") && h.state().view_model().pending_ids().is_empty());
    app.close();

    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.wait_for("the last chat open again", |h| present(h, "and a follow-up"));
    assert!(!app.has_label("Start a new chat: type below and press Enter."));
    app.close();
}
