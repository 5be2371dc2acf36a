//! Every shortcut the help sheet (F1) lists, pressed as a user would, each
//! followed by what its command does on screen. The list comes from the
//! sheet's own source (`UiCommand`), and a key with no effect to look for
//! below fails the test, so a new key cannot be listed without being tried.

use egui::accesskit::Role;
use egui::{Key, KeyboardShortcut, Modifiers};
use egui_kittest::kittest::Queryable as _;
use pakchat::domain::{Thread, ThreadId};
use pakchat::store::Store as _;
use pakchat::ui::{COMPOSER_LABEL, PALETTE_LABEL, Scope, UiCommand, help_lines};

use crate::harness::*;

const LAST: &str = "line 79";
const FIRST: &str = "line 0";

fn press(app: &mut App, shortcut: &KeyboardShortcut) {
    app.harness.key_press_modifiers(shortcut.modifiers, shortcut.logical_key);
    app.harness.step();
    app.harness.step();
}

fn focus_composer(app: &mut App) {
    app.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL).focus();
    app.harness.step();
    app.harness.step();
}

fn clear_composer(app: &mut App) {
    focus_composer(app);
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    app.harness.key_press(Key::Delete);
    app.wait_for("an empty composer", |h| h.state().composer_text().is_empty());
}

/// A chat of 80 messages, open at its end, with nothing else on screen.
fn back_to_the_long_chat(app: &mut App) {
    // The sidebar's entry (the header shows the title too, as a label); at
    // start the chat is open already, as the last one written in.
    // The chat list may still be on its way (a slow start under load).
    app.wait_for("the long chat in the sidebar", |h| {
        h.query_all_by_role_and_label(Role::Button, "Long chat").next().is_some()
    });
    if app.open_title().as_deref() != Some("Long chat") {
        app.harness.get_by_role_and_label(Role::Button, "Long chat").click_accesskit();
        app.harness.step();
        app.harness.step();
    }
    app.wait_for("the end of the long chat", |h| present(h, LAST));
}

/// Press `shortcut` of `command` and see its effect; leave the app as it
/// was found (the long chat open, no window or sheet over it).
fn press_and_see(app: &mut App, command: UiCommand, shortcut: &KeyboardShortcut) {
    match command.scope() {
        Scope::App => see_app_key(app, command, shortcut),
        Scope::Chat | Scope::Window | Scope::Composer | Scope::Anywhere => see_local_key(app, command, shortcut),
        Scope::Palette => panic!("{command:?} has no key, yet the help sheet lists one"),
    }
}

/// The keys the app takes wherever the focus is.
fn see_app_key(app: &mut App, command: UiCommand, shortcut: &KeyboardShortcut) {
    match command {
        UiCommand::Palette => {
            press(app, shortcut);
            app.wait_for("the palette", |h| present(h, PALETTE_LABEL));
            press(app, shortcut);
            app.wait_for("the palette closed by its key", |h| !present(h, PALETTE_LABEL));
        }
        UiCommand::NewThread => {
            press(app, shortcut);
            app.wait_for("a new empty chat", |h| present(h, "No messages yet. Write the first one below."));
            back_to_the_long_chat(app);
        }
        UiCommand::Settings => {
            press(app, shortcut);
            app.wait_for("the settings", |h| present(h, "Text size"));
            press(app, shortcut);
            app.wait_for("the settings closed by their key", |h| !present(h, "Text size"));
        }
        UiCommand::ToggleSidebar => {
            press(app, shortcut);
            app.wait_for("the sidebar folded", |h| !present(h, "+  New chat"));
            press(app, shortcut);
            app.wait_for("the sidebar back", |h| present(h, "+  New chat"));
        }
        UiCommand::Present => {
            press(app, shortcut);
            app.wait_for("presenting", |h| h.state().is_presenting());
            press(app, shortcut);
            app.wait_for("presenting ended", |h| !h.state().is_presenting());
        }
        UiCommand::Help => {
            press(app, shortcut);
            app.wait_for("the help sheet", |h| present(h, "Keyboard shortcuts"));
            press(app, shortcut);
            app.wait_for("the help sheet closed by its key", |h| !present(h, "Keyboard shortcuts"));
        }
        UiCommand::Rename => {
            press(app, shortcut);
            app.wait_for("the title field", |h| h.query_by_role_and_label(Role::TextInput, "Title").is_some());
            app.click("Cancel");
            app.wait_for("the title field gone", |h| h.query_by_role_and_label(Role::TextInput, "Title").is_none());
        }
        UiCommand::Attach => {
            press(app, shortcut);
            app.wait_for("the picked file in the bar", |h| present(h, "Remove picked.txt"));
            // By AccessKit: the chip may still move as its thumbnail comes.
            app.click_accesskit("Remove picked.txt");
            app.wait_for("the bar empty", |h| !present(h, "Remove picked.txt"));
        }
        other => panic!("{other:?} is not an app-wide key: no effect to look for"),
    }
}

/// The keys the chat, the composer or a window take.
fn see_local_key(app: &mut App, command: UiCommand, shortcut: &KeyboardShortcut) {
    match command {
        UiCommand::ScrollPage => {
            // Page Up leaves the end; Page Down comes back to it.
            let (up, down) = (
                KeyboardShortcut::new(Modifiers::NONE, Key::PageUp),
                KeyboardShortcut::new(Modifiers::NONE, Key::PageDown),
            );
            press(app, if *shortcut == up { shortcut } else { &up });
            app.wait_for("the end out of sight", |h| !present(h, LAST));
            press(app, if *shortcut == down { shortcut } else { &down });
            app.wait_for("the end in sight again", |h| present(h, LAST));
        }
        UiCommand::JumpToStart => {
            press(app, shortcut);
            app.wait_for("the start of the chat", |h| present(h, FIRST) && !present(h, LAST));
            press(app, &UiCommand::JumpToEnd.shortcuts()[0]);
            app.wait_for("the end of the chat", |h| present(h, LAST));
        }
        UiCommand::JumpToEnd => {
            press(app, &UiCommand::JumpToStart.shortcuts()[0]);
            app.wait_for("the start of the chat", |h| present(h, FIRST));
            press(app, shortcut);
            app.wait_for("the end of the chat", |h| present(h, LAST) && !present(h, FIRST));
        }
        UiCommand::CloseWindow => {
            run_by_name(app, UiCommand::OpenInWindow);
            app.wait_for("the chat's own window", |h| h.state().view_model().windows.len() == 1);
            press(app, shortcut);
            app.wait_for("the window closed by its key", |h| h.state().view_model().windows.is_empty());
        }
        UiCommand::Send => {
            clear_composer(app);
            app.type_in_composer("sent with the key");
            press(app, shortcut);
            app.wait_for("the sent message", |h| {
                present(h, "sent with the key")
                    && h.state().composer_text().is_empty()
                    && h.state().view_model().pending_ids().is_empty()
            });
        }
        UiCommand::NewLine => {
            clear_composer(app);
            app.type_in_composer("first");
            press(app, shortcut);
            app.type_in_composer("second");
            app.wait_for("two lines in the composer", |h| h.state().composer_text() == "first\nsecond");
            clear_composer(app);
        }
        UiCommand::EditLast => {
            clear_composer(app);
            let last = last_user_message(app).content;
            press(app, shortcut);
            app.wait_for("the last message in the composer", |h| h.state().composer_text() == last);
            app.click("Cancel edit");
            app.wait_for("the edit given up", |h| h.state().composer_text().is_empty());
        }
        UiCommand::Escape => {
            clear_composer(app);
            press(app, &UiCommand::EditLast.shortcuts()[0]);
            app.wait_for("an edit under way", |h| present(h, "Cancel edit"));
            press(app, shortcut);
            app.wait_for("the edit cancelled by Esc", |h| !present(h, "Cancel edit"));
            assert_eq!(app.harness.state().composer_text(), "");
            // Esc also closes what is open over the chat.
            run_by_name(app, UiCommand::Help);
            app.wait_for("the help sheet", |h| present(h, "Keyboard shortcuts"));
            press(app, shortcut);
            app.wait_for("the help sheet closed by Esc", |h| !present(h, "Keyboard shortcuts"));
        }
        UiCommand::Paste => {
            clear_composer(app);
            // What the platform layer sends for Ctrl+V: the key, then the
            // clipboard's text.
            app.harness.key_press_modifiers(shortcut.modifiers, shortcut.logical_key);
            app.harness.event(egui::Event::Paste("pasted words".to_owned()));
            app.wait_for("the pasted text", |h| h.state().composer_text() == "pasted words");
            clear_composer(app);
        }
        other => panic!("{other:?} is not a key of the chat, the composer or a window: no effect to look for"),
    }
}

/// Take `command` from the palette by typing its name.
fn run_by_name(app: &mut App, command: UiCommand) {
    press(app, &UiCommand::Palette.shortcuts()[0]);
    app.type_into(Role::TextInput, PALETTE_LABEL, command.label());
    app.harness.key_press(Key::Enter);
    app.harness.step();
    app.harness.step();
}

#[test]
fn every_shortcut_in_the_help_sheet_does_what_it_says() {
    let dir = tempfile::tempdir().unwrap();
    let thread = Thread::new(ThreadId::new(), "Long chat".to_owned(), pakchat::domain::wall_millis(), stamp());
    seeded_store(dir.path(), |store, _| {
        store.put_thread(&thread).unwrap();
        for i in 0..80 {
            store.append_message(&message(thread.id, format!("line {i}"))).unwrap();
        }
    });
    let picked = dir.path().join("picked.txt");
    std::fs::write(&picked, "a file picked with the keyboard").unwrap();
    let mut app = new_app(config_picking(dir.path(), true, vec![picked]));
    app.wait_ready();
    back_to_the_long_chat(&mut app);

    // What the sheet shows is what is tried.
    press(&mut app, &KeyboardShortcut::new(Modifiers::NONE, Key::F1));
    app.wait_for("the help sheet", |h| present(h, "Keyboard shortcuts"));
    let listed: Vec<UiCommand> = help_lines(false).collect();
    for command in &listed {
        let keys = command.keys_text(false);
        assert!(app.has_label(&keys) && app.has_label(command.label()), "the sheet lists {keys}: {}", command.label());
    }
    app.click("Close");
    app.wait_for("the help sheet closed", |h| !present(h, "Keyboard shortcuts"));

    let mut tried = 0;
    for command in listed {
        for shortcut in command.shortcuts() {
            press_and_see(&mut app, command, shortcut);
            tried += 1;
        }
    }
    assert!(tried >= 19, "{tried} keys tried");
    app.close();
}
