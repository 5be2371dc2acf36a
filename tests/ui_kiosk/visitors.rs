//! What a visitor can and cannot do, and what a wipe leaves (nothing).

use super::*;

#[test]
fn settings_keys_export_sign_in_and_windows_are_not_there_for_a_visitor() {
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
        "+  New project",
        "Export all data…",
        "Import chats…",
        "Attach files…",
        "Make images",
        "View",
        "Copy",
        "Sign in with Google",
    ] {
        assert!(!present(&kiosk.harness, label), "{label:?} is offered in kiosk mode");
    }
    assert!(present(&kiosk.harness, "End session") && present(&kiosk.harness, "Admin"));
    // The chat's menu keeps what a visitor may do with their own chat.
    kiosk.harness.get_by_label("More").click();
    kiosk.harness.step();
    kiosk.harness.step();
    assert!(present(&kiosk.harness, "Rename") && present(&kiosk.harness, "Delete"), "the chat's menu opened");
    for label in ["Export as Markdown…", "Export as JSON…", "Open in new window", "Move to project"] {
        assert!(!present(&kiosk.harness, label), "{label:?} is offered in kiosk mode");
    }
    kiosk.harness.key_press(Key::Escape);
    kiosk.harness.step();
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
fn the_welcome_screen_in_light_and_dark() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "welcome_text = \"Welcome to the city library\"";
    let mut kiosk = new_kiosk(kiosk_config(dir.path(), "http://127.0.0.1:9", extra, ""));
    kiosk.harness.set_size(egui::vec2(1280.0, 800.0));
    kiosk.wait_for("the welcome screen", |h| present(h, "Start") && present(h, "Welcome to the city library"));
    for (theme, name) in [(egui::ThemePreference::Light, "light"), (egui::ThemePreference::Dark, "dark")] {
        kiosk.harness.ctx.set_theme(theme);
        for _ in 0..4 {
            kiosk.harness.step();
        }
        kiosk.harness.snapshot(format!("look_kiosk_welcome_{name}"));
    }
}
