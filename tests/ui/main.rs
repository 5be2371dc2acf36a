//! The app driven as a user would, through egui_kittest and accessible names,
//! over a real sled store in a temporary folder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/app.rs"]
mod harness;
mod keys;

use std::sync::Arc;
use std::time::Duration;

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;
use harness::*;
use pakchat::domain::{Message, MessageStatus, Role as MsgRole, Thread, ThreadId};
use pakchat::store::{KeySource, Kv, SealedStore, SledKv, Store, Table};
use pakchat::ui::COMPOSER_LABEL;
use pakchat::ui::view_model::Phase;

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
    // Title from the first message: in the sidebar and the header, plus the message itself.
    assert!(app.label_count("Hello from kittest") >= 3);
    assert_eq!(app.harness.state().composer_text(), "", "the composer is cleared after sending");

    // Rename through the header button and the title field.
    app.click("Rename");
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
    app.click("Pin");
    app.wait_for("the Pinned group", |h| present(h, "Pinned") && present(h, "Unpin"));
    app.click("Unpin");
    app.wait_for("the thread back under Today", |h| !present(h, "Pinned") && present(h, "Today"));

    // Delete with undo.
    app.click("Delete");
    app.wait_for("the thread to go", |h| !present(h, "Renamed thread") && present(h, "Undo"));
    assert!(app.has_label("Deleted “Renamed thread”."));
    app.click("Undo");
    app.wait_for("the thread to come back", |h| present(h, "Renamed thread"));
    app.harness.get_by_label("Renamed thread").click();
    app.wait_for("the restored thread's message", |h| present(h, "Hello from kittest"));
    app.click("Delete");
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
    app.click("New chat");
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
    app.click("Readable thread");
    app.type_in_composer("still works");
    app.harness.key_press(Key::Enter);
    app.wait_for("the message", |h| present(h, "still works") && h.state().view_model().pending_ids().is_empty());
    app.close();
}

#[test]
fn links_in_a_reply_open_in_the_browser_and_other_schemes_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let thread = Thread::new(ThreadId::new(), "Links".to_owned(), pakchat::domain::wall_millis(), stamp());
    seeded_store(dir.path(), |store, _| {
        store.put_thread(&thread).unwrap();
        store.append_message(&message(thread.id, "where are the docs?".to_owned())).unwrap();
        for text in ["[Pak.Chat documentation](https://example.com/docs)", "[a local file](file:///etc/passwd)"] {
            let reply = Message { role: MsgRole::Assistant, ..message(thread.id, text.to_owned()) };
            store.append_message(&reply).unwrap();
        }
    });
    let mut app = reopen_thread(dir.path(), "Links");
    app.wait_for("the reply", |h| present(h, "Pak.Chat documentation") && present(h, "a local file"));
    let opened = |app: &App| -> Vec<String> {
        app.harness
            .output()
            .platform_output
            .commands
            .iter()
            .filter_map(|c| match c {
                egui::OutputCommand::OpenUrl(u) => Some(u.url.clone()),
                _ => None,
            })
            .collect()
    };
    app.harness.get_by_label("Pak.Chat documentation").click();
    app.harness.step();
    assert_eq!(opened(&app), vec!["https://example.com/docs".to_owned()]);
    app.harness.step();
    app.harness.get_by_label("a local file").click();
    app.harness.step();
    assert!(opened(&app).is_empty(), "a file: link is never opened");
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
    app.click("Huge thread");
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
fn a_reply_streams_in_can_be_stopped_and_failures_say_why() {
    let server = common::peers::aimock();
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();

    // Without a model and key, sending says what is missing and opens the keys screen.
    app.type_in_composer("hello");
    app.harness.key_press(Key::Enter);
    app.wait_for("the keys prompt", |h| {
        present(h, "Choose a model for this chat to get a reply (and add its API key).")
    });
    app.click("Open API keys");
    app.wait_for("the keys window", |h| present(h, "OpenAI API key"));
    app.click("Done");
    app.wait_for("the keys window to close", |h| !present(h, "OpenAI API key"));

    connect_to_mock(&mut app, &server.base);
    app.type_in_composer("hello again");
    app.harness.key_press(Key::Enter);
    let full = "Hi there, friend! This reply comes in several chunks of text.";
    app.wait_for("the streamed reply", |h| present(h, full));
    app.wait_for("the reply to finish", |h| h.query_all_by_label("Stop").next().is_none());
    let reply = last_message(&app).unwrap();
    assert_eq!(
        (reply.role, reply.status, reply.model.as_deref()),
        (MsgRole::Assistant, MessageStatus::Done, Some("gpt-4o-mini"))
    );
    assert!(
        app.harness.query_all_by_label_contains("gpt-4o-mini · ").next().is_some()
            && app.harness.query_all_by_label_contains(" out tokens").next().is_some(),
        "the row names the model and its token usage"
    );

    // A slow reply: Stop keeps what arrived and marks it stopped.
    app.type_in_composer("slow please");
    app.harness.key_press(Key::Enter);
    app.wait_for("the reply to start", |h| present(h, "Stop"));
    app.wait_for("some text", |h| {
        h.state().view_model().open.as_ref().is_some_and(|o| {
            o.rows.get(&(o.count - 1)).is_some_and(
                |r| matches!(&r.content, pakchat::ui::view_model::RowContent::Message(m) if !m.content.is_empty()),
            )
        })
    });
    app.type_in_composer("kept while streaming");
    app.click("Stop");
    app.wait_for("the stopped reply", |h| present(h, "gpt-4o-mini · stopped"));
    let stopped = last_message(&app).unwrap();
    assert_eq!(stopped.status, MessageStatus::Cancelled);
    let whole = "one two three four five six seven eight nine ten eleven twelve";
    assert!(!stopped.content.is_empty() && stopped.content.len() < whole.len(), "partial: {:?}", stopped.content);
    assert!(whole.starts_with(&stopped.content));
    assert_eq!(app.harness.state().composer_text(), "kept while streaming", "the composer keeps its text");

    // Retry asks again; the stopped reply stays as the other branch.
    app.click("Retry reply");
    app.wait_for("the whole retried reply", |h| present(h, whole));
    app.wait_for("the retried reply to finish", |h| h.query_all_by_label("Stop").next().is_none());
    assert_eq!(last_message(&app).unwrap().status, MessageStatus::Done);
    assert!(app.has_label("2/2"), "the retried reply is the second branch");
    app.click("◀");
    app.wait_for("the stopped reply, kept", |h| present(h, stopped.content.trim()) && present(h, "1/2"));
    app.click("▶");
    app.wait_for("the retried reply again", |h| present(h, whole) && present(h, "2/2"));

    // A system prompt goes along with the conversation.
    app.click("System prompt");
    app.type_into(Role::MultilineTextInput, "System prompt", "You are a pirate. Answer like one.");
    app.click("Save prompt");
    app.wait_for("the saved prompt", |h| present(h, "System prompt •"));
    app.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL).focus();
    app.harness.step();
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    app.harness.step();
    app.type_in_composer("who are you");
    assert_eq!(app.harness.state().composer_text(), "who are you");
    app.harness.key_press(Key::Enter);
    app.wait_for("the pirate's answer", |h| present(h, "Arr, a pirate I be!"));
    // Enter does not send while a reply still streams: let it finish first.
    app.wait_for("the pirate's answer to finish", |h| !present(h, "Stop"));

    // Reasoning is hidden until asked for.
    app.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL).focus();
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    app.harness.step();
    app.type_in_composer("think");
    app.harness.key_press(Key::Enter);
    app.wait_for("the reasoning toggle", |h| present(h, "Show reasoning") && present(h, "The answer is 4."));
    assert!(app.harness.query_all_by_label_contains("2+2 equals 4.").next().is_none());
    app.click("Show reasoning");
    app.wait_for("the reasoning", |h| h.query_all_by_label_contains("2+2 equals 4.").next().is_some());
    assert_eq!(last_message(&app).unwrap().reasoning, "2+2 equals 4.");

    // Replies are markdown: headings, lists, code blocks with Copy code.
    app.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL).focus();
    app.harness.step();
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    app.harness.step();
    app.type_in_composer("markdown please");
    app.harness.key_press(Key::Enter);
    app.wait_for("the rendered reply", |h| present(h, "Done.") && present(h, "Shopping list"));
    assert!(app.has_label("• flour, 2 kg\n• [x] salt"), "list items without their markdown");
    assert!(app.has_label("rust\nfn main() {}"), "the code block");
    app.harness.get_by_label("Copy code").click();
    app.harness.step();
    let copied = app
        .harness
        .output()
        .platform_output
        .commands
        .iter()
        .any(|c| matches!(c, egui::OutputCommand::CopyText(t) if t == "fn main() {}"));
    assert!(copied, "Copy code puts the code on the clipboard");

    // A provider failure: the reply is marked failed and the notice says what to do.
    app.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL).focus();
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    app.harness.step();
    app.type_in_composer("boom");
    app.harness.key_press(Key::Enter);
    app.wait_for("the failure notice", |h| {
        h.query_all_by_label_contains("The reply failed: HTTP 500: Internal failure").next().is_some()
    });
    app.wait_for("the failed reply", |h| {
        h.state().view_model().open.as_ref().is_some_and(|o| {
            o.rows.get(&(o.count - 1)).is_some_and(|r| matches!(&r.content, pakchat::ui::view_model::RowContent::Message(m) if m.status == MessageStatus::Failed))
        })
    });
    assert!(app.has_label("Retry reply"), "a failed reply offers Retry");
    app.close();

    // After a restart the stopped reply is still there, as stopped.
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.wait_for("the thread", |h| present(h, "Friendly Greetings"));
    app.click("Friendly Greetings");
    app.wait_for("the thread's messages", |h| present(h, "Done."));
    app.harness.key_press_modifiers(Modifiers::ALT, Key::Home);
    app.wait_for("the branch chosen before the restart", |h| present(h, whole) && present(h, "2/2"));
    app.click("◀");
    app.wait_for("the stopped reply after restart", |h| present(h, stopped.content.trim()));
    app.close();
}

#[test]
fn send_stream_stop_regenerate_switch_branches_and_edit() {
    let server = common::peers::aimock();
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    connect_to_mock(&mut app, &server.base);
    let whole = "one two three four five six seven eight nine ten eleven twelve";

    // Send: the reply streams in; Stop keeps what arrived.
    app.type_in_composer("slow please");
    app.harness.key_press(Key::Enter);
    app.wait_for("the reply to start", |h| present(h, "Stop"));
    app.wait_for("some text", |h| row_message(h, 1).is_some_and(|m| !m.content.is_empty()));
    app.click("Stop");
    app.wait_for("the stopped reply", |h| present(h, "gpt-4o-mini · stopped"));
    let stopped = row_message(&app.harness, 1).unwrap();
    assert!(stopped.content.len() < whole.len(), "stopped part way: {:?}", stopped.content);

    // Regenerate, from the row's hover actions: a second branch with the whole reply.
    hover_row(&mut app, stopped.content.trim());
    app.click("Regenerate");
    app.wait_for("the regenerated reply", |h| present(h, whole) && present(h, "2/2"));
    app.wait_for("it to finish", |h| !present(h, "Stop"));
    let regenerated = row_message(&app.harness, 1).unwrap();
    assert_ne!(regenerated.id, stopped.id);
    assert_eq!(regenerated.parent_id, stopped.parent_id, "a sibling of the stopped reply");
    assert_eq!(app.harness.state().view_model().open.as_ref().unwrap().count, 2, "one branch on screen");

    // Switch branches: ◀ shows the stopped reply, ▶ the regenerated one.
    app.click("◀");
    app.wait_for("the first branch", |h| present(h, stopped.content.trim()) && present(h, "1/2"));
    assert_eq!(row_message(&app.harness, 1).unwrap().id, stopped.id);
    assert!(!app.has_label(whole));
    app.click("▶");
    app.wait_for("the second branch", |h| present(h, whole) && present(h, "2/2"));

    // Edit the question: the draft waits aside; the edit is a new branch with its own reply.
    app.type_in_composer("my draft");
    hover_row(&mut app, "slow please");
    app.click("Edit");
    assert_eq!(app.harness.state().composer_text(), "slow please");
    assert!(app.has_label("Cancel edit"));
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    app.harness.step();
    app.type_in_composer("think");
    app.harness.key_press(Key::Enter);
    app.wait_for("the reply to the edit", |h| present(h, "The answer is 4.") && present(h, "2/2"));
    assert!(!app.has_label("slow please") && !app.has_label(whole), "the old branch is out of sight");
    assert_eq!(app.harness.state().composer_text(), "my draft", "the draft came back");
    app.wait_for("it to finish", |h| !present(h, "Stop"));

    // Back to the original question: its replies and their branches are all there.
    app.click("◀");
    app.wait_for("the original question", |h| {
        present(h, "slow please") && present(h, whole) && present(h, "1/2") && present(h, "2/2")
    });
    app.close();

    // After a restart the thread shows the branches last chosen.
    let mut app = reopen_thread(dir.path(), "Friendly Greetings");
    app.wait_for("the chosen branches", |h| present(h, "slow please") && present(h, whole) && present(h, "1/2"));
    app.close();
}

#[test]
fn a_custom_endpoint_with_its_own_model_is_starred_chosen_and_answers() {
    let server = common::peers::aimock();
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    for _ in 0..4 {
        app.harness.step();
    }
    // Add the endpoint and a model of its own, from the keys window.
    app.click("Manage API keys");
    app.wait_for("the keys window", |h| present(h, "Endpoint name"));
    app.type_into(Role::TextInput, "Endpoint name", "Local mock");
    app.type_into(Role::TextInput, "Endpoint base URL", &format!("{}/v1", server.base));
    app.click("Add endpoint");
    app.wait_for("the endpoint", |h| present(h, "Remove Local mock") && present(h, "Local mock API key"));
    app.type_into(Role::TextInput, "Local mock model id", "my-model");
    app.click("Add model to Local mock");
    app.wait_for("the model", |h| present(h, "Your model: my-model"));
    app.click("Done");
    app.wait_for("the keys window to close", |h| !present(h, "Endpoint name"));

    // Star it: it is listed first, under Favourites.
    app.click("Model");
    app.wait_for("the model list", |h| present(h, "Star my-model"));
    app.click("Star my-model");
    app.wait_for("the star saved", |h| !h.state().view_model().settings.favourites.is_empty());
    app.click("Model");
    app.wait_for("the favourites", |h| {
        present(h, "Favourites") && present(h, "Unstar my-model") && present(h, "my-model")
    });
    app.harness.query_all_by_label("my-model").next().unwrap().click();
    app.harness.step();
    app.wait_for("the chosen model", |h| {
        h.state().view_model().settings.default_model.as_ref().is_some_and(|m| m.model == "my-model")
    });
    let chosen = app.harness.state().view_model().settings.default_model.clone().unwrap();
    assert_eq!(chosen.provider, "custom-local-mock");

    // A chat through it (no key needed; the mock answers any model).
    app.type_in_composer("hello");
    app.harness.key_press(Key::Enter);
    app.wait_for("the reply", |h| present(h, "Hi there, friend! This reply comes in several chunks of text."));
    app.wait_for("the reply to finish", |h| !present(h, "Stop"));
    assert_eq!(last_message(&app).unwrap().model.as_deref(), Some("my-model"));
    app.close();

    // All of it is remembered.
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.wait_for("the settings", |h| !h.state().view_model().settings.favourites.is_empty());
    let settings = app.harness.state().view_model().settings.clone();
    assert!(settings.providers.iter().any(|p| p.custom && p.name == "Local mock"));
    assert!(settings.custom_models.iter().any(|m| m.id == "my-model" && m.provider == "custom-local-mock"));
    app.close();
}

#[test]
fn files_come_in_by_picker_and_drop_wait_in_the_bar_and_show_in_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("photo.jpg");
    let mut jpeg = Vec::new();
    image::RgbImage::from_pixel(640, 480, image::Rgb([30, 120, 200]))
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new(&mut jpeg))
        .unwrap();
    std::fs::write(&photo, &jpeg).unwrap();
    let evil = dir.path().join("evil.png");
    std::fs::write(&evil, b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0").unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "twelve bytes").unwrap();
    // Every kind of bad file, through the same path.
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, b"").unwrap();
    let cut = dir.path().join("cut.jpg");
    std::fs::write(&cut, &jpeg[..jpeg.len() / 3]).unwrap();
    let big = dir.path().join("big.pdf");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(31 * 1024 * 1024).unwrap();
    let bomb_path = dir.path().join("huge.png");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bomb_100000x100000.png"), &bomb_path).unwrap();

    let mut app = new_app(config_picking(dir.path(), true, vec![photo, evil, empty, cut, big, bomb_path]));
    app.wait_ready();
    for _ in 0..4 {
        app.harness.step();
    }
    // The picker's path: one file taken, one refused with the reason.
    app.click("Attach files…");
    app.wait_for("the photo in the bar", |h| present(h, "Remove photo.jpg"));
    for refusal in [
        "“evil.png” is named like a PNG image but is really a program (ELF executable); it was not attached.",
        "“empty.txt” is empty; it was not attached.",
        "“cut.jpg” looks like a JPEG image but is cut short or damaged; it was not attached.",
        "“big.pdf” is 31.0 MB; attachments can be at most 30.0 MB. It was not attached.",
        "“huge.png” claims to be 100000 × 100000 pixels, more than the 64 megapixels (or 20000 pixels a side) \
         Pak.Chat opens; it was not attached.",
    ] {
        app.wait_for(refusal, |h| present(h, refusal));
    }
    let size = pakchat::media::human_size(jpeg.len() as u64);
    assert!(app.has_label(&format!("photo.jpg · {size}")), "name and size in the bar");
    // A drop on the window.
    app.harness.input_mut().dropped_files.push(Arc::new(Dropped(notes)));
    app.harness.step();
    app.wait_for("the dropped file", |h| present(h, "notes.txt · 12 bytes"));
    app.click("Remove notes.txt");
    app.wait_for("it removed", |h| !present(h, "notes.txt · 12 bytes"));
    // A pasted image (a screenshot on the clipboard) becomes a PNG attachment.
    let shot = egui::ColorImage::new([40, 30], vec![egui::Color32::from_rgb(10, 200, 90); 40 * 30]);
    app.harness.input_mut().events.push(egui::Event::PasteImage(Arc::new(shot)));
    app.harness.step();
    app.wait_for("the pasted image", |h| {
        h.state().view_model().open.as_ref().is_some_and(|o| {
            o.waiting_attachments().iter().any(|a| {
                a.name.starts_with("Pasted image ")
                    && a.kind == pakchat::domain::FileKind::Png
                    && a.dimensions == Some((40, 30))
            })
        })
    });
    let pasted = app.harness.state().view_model().open.as_ref().unwrap().waiting_attachments()[1].name.clone();
    app.click(&format!("Remove {pasted}"));
    app.wait_for("it removed", |h| !present(h, &format!("Remove {pasted}")));
    // A file copied in a file manager pastes as its address: it is attached, not typed.
    let copied = dir.path().join("copied notes.txt");
    std::fs::write(&copied, "copied in a file manager").unwrap();
    let uri = format!("file://{}", copied.display().to_string().replace(' ', "%20"));
    let composer = app.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL);
    composer.focus();
    app.harness.step();
    app.harness.input_mut().events.push(egui::Event::Paste(uri));
    app.harness.step();
    app.wait_for("the copied file", |h| present(h, "copied notes.txt · 24 bytes"));
    assert!(app.harness.state().composer_text().is_empty(), "the address was not typed");
    app.click("Remove copied notes.txt");
    app.wait_for("it removed", |h| !present(h, "copied notes.txt · 24 bytes"));
    // Ctrl+V where the clipboard has no text and no image (egui pastes
    // nothing, only the key's release comes through): the clipboard's file
    // list is read; here, with no clipboard to read, that is said.
    let waiting = |h: &egui_kittest::Harness<'static, pakchat::ui::PakApp>| {
        h.state().view_model().open.as_ref().map_or(0, |o| o.waiting_attachments().len())
    };
    let before = waiting(&app.harness);
    let release_v = egui::Event::Key {
        key: Key::V,
        physical_key: None,
        pressed: false,
        repeat: false,
        modifiers: Modifiers::COMMAND,
    };
    // (The release that followed the paste of the address above.)
    app.harness.event(release_v.clone());
    app.harness.step();
    app.harness.event(egui::Event::Key {
        key: Key::V,
        physical_key: None,
        pressed: false,
        repeat: false,
        modifiers: Modifiers::COMMAND,
    });
    app.wait_for("an answer to Ctrl+V", |h| {
        present(h, "Nothing to paste: the clipboard holds no text, image or files.") || waiting(h) > before
    });
    // After a paste that egui did make, the release asks nothing more.
    let nothing = "Nothing to paste: the clipboard holds no text, image or files.";
    let notes = app.label_count(nothing);
    app.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL).focus();
    app.harness.step();
    app.harness.event(egui::Event::Paste("just text".to_owned()));
    app.harness.event(release_v);
    for _ in 0..20 {
        app.harness.step();
    }
    assert_eq!(app.label_count(nothing), notes, "a paste of text was answered as an empty clipboard");
    // Nor does a typed V (its press came through).
    app.harness.key_press(Key::V);
    for _ in 0..20 {
        app.harness.step();
    }
    assert_eq!(app.label_count(nothing), notes, "a typed V was taken for Ctrl+V");
    assert_eq!(app.harness.state().composer_text(), "just text");
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    app.harness.key_press(Key::Backspace);
    app.harness.step();
    app.close();

    // Waiting files survive a restart, thumbnail included.
    let mut app = reopen_thread(dir.path(), "New chat");
    app.wait_for("the photo still waiting", |h| {
        present(h, "Remove photo.jpg")
            && h.state().view_model().open.as_ref().is_some_and(|o| !o.view.chip_textures.is_empty())
    });
    for _ in 0..4 {
        app.harness.step();
    }

    // A refusal noted in the bar...
    let empty_again = dir.path().join("empty again.txt");
    std::fs::write(&empty_again, b"").unwrap();
    app.harness.input_mut().dropped_files.push(Arc::new(Dropped(empty_again)));
    let refused = "“empty again.txt” is empty; it was not attached.";
    app.wait_for("the refusal", |h| present(h, refused));

    // Sent with a message: the bar empties, the photo shows in the message,
    // and the note about the refused file goes with the bar.
    app.type_in_composer("look at this");
    app.harness.key_press(Key::Enter);
    app.wait_for("the message with its image", |h| {
        present(h, "look at this")
            && !present(h, "Remove photo.jpg")
            && h.state().view_model().open.as_ref().is_some_and(|o| !o.view.textures.is_empty())
    });
    assert!(!app.has_label(refused), "the refusal stayed after sending");
    let sent = last_user_message(&app);
    assert_eq!(sent.attachments.len(), 1, "the photo went with the message, the removed file did not");
    app.close();
    {
        // Nothing of the refused or removed files was written: one record,
        // two blobs (the photo and its preview).
        let kv: Arc<dyn Kv> =
            Arc::new(SledKv::open_patiently(&dir.path().join("profile"), std::time::Duration::from_secs(5)).unwrap());
        assert_eq!(kv.scan_prefix(Table::Attachments, &[]).unwrap().len(), 1);
        let lengths =
            kv.scan_prefix(Table::Blobs, &[]).unwrap().iter().filter(|(k, _)| k.ends_with(&[0xff; 4])).count();
        assert_eq!(lengths, 2, "the photo and its preview, nothing else");
    }

    // After a restart the stored preview shows again.
    let mut app = reopen_thread(dir.path(), "look at this");
    app.wait_for("the image again", |h| {
        h.state().view_model().open.as_ref().is_some_and(|o| !o.view.textures.is_empty())
    });
    assert!(app.has_label("photo.jpg"), "the image is named for screen readers");
    app.close();
}

#[test]
fn a_photo_goes_to_the_model_upright_without_its_location_and_stays_whole_on_disk() {
    use base64::Engine as _;
    let server = common::peers::aimock();
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gps_rotated.jpg")).unwrap();
    let photo = dir.path().join("photo.jpg");
    std::fs::write(&photo, &original).unwrap();
    let mut app = new_app(config_picking(dir.path(), true, vec![photo]));
    app.wait_ready();
    connect_to_mock(&mut app, &server.base);
    app.click("Attach files…");
    app.wait_for("the photo in the bar", |h| present(h, "Remove photo.jpg"));
    let thread = app.harness.state().view_model().open.as_ref().unwrap().id;
    assert!(app.has_label("Send photo metadata too (location, camera)"), "the choice is offered, off");
    assert!(app.harness.state().view_model().settings.strip_photo_metadata);
    // A model that cannot read images is named before anything is sent.
    // The bar grew the bottom panel: let its layout settle before clicking in it.
    for _ in 0..4 {
        app.harness.step();
    }
    app.click("Model");
    app.wait_for("the model list", |h| present(h, "o3-mini"));
    app.click("o3-mini");
    let refusal = "o3-mini cannot read images. Choose a model that can (e.g. GPT-4o mini, Claude or Gemini), or remove \
                   the image.";
    app.wait_for("the refusal", |h| present(h, refusal));
    app.type_in_composer("hello");
    app.harness.key_press(Key::Enter);
    app.harness.step();
    assert_eq!(app.harness.state().composer_text(), "hello", "not sent, not lost");
    assert!(app.harness.state().view_model().pending_ids().is_empty() && app.has_label("Remove photo.jpg"));
    app.click("Model");
    app.wait_for("the model list", |h| present(h, "GPT-4o mini"));
    app.click("GPT-4o mini");
    app.wait_for("no refusal", |h| !present(h, refusal));
    app.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL).focus();
    app.harness.step();
    app.harness.key_press(Key::Enter);
    app.wait_for("the reply", |h| present(h, "Hi there, friend! This reply comes in several chunks of text."));
    app.wait_for("the reply to finish", |h| !present(h, "Stop"));

    // What the provider received.
    let journal = aimock_journal(&app, &server.base);
    let url = journal
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["body"]["messages"].as_array().cloned().unwrap_or_default())
        .flat_map(|m| m["content"].as_array().cloned().unwrap_or_default())
        .find_map(|part| part["image_url"]["url"].as_str().map(str::to_owned))
        .expect("an image reached the provider");
    let sent = base64::engine::general_purpose::STANDARD
        .decode(url.strip_prefix("data:image/jpeg;base64,").expect("a JPEG data URL"))
        .unwrap();
    assert!(!sent.windows(4).any(|w| w == b"Exif"), "no EXIF block left");
    assert!(!sent.windows(6).any(|w| w == b"PakCam"), "no camera name left");
    let upright = image::load_from_memory(&sent).unwrap();
    assert_eq!((upright.width(), upright.height()), (600, 1200), "turned upright before its tag was dropped");

    // The viewer: its facts, the location flagged, Save as… writes the original.
    std::fs::remove_file(dir.path().join("photo.jpg")).unwrap();
    app.wait_for("the image in the message", |h| present(h, "photo.jpg"));
    app.click("photo.jpg");
    app.wait_for("the viewer", |h| {
        present(h, "Location recorded in this photo (GPS): 33.68440° N, 73.04790° E. It is not sent to models unless you allow it.")
            && h.query_all_by_label_contains("600 × 1200 pixels").next().is_some()
            && h.query_all_by_label_contains("PakCam One").next().is_some()
    });
    app.click("100 %");
    app.click("Save as…");
    app.wait_for("the save", |h| h.query_all_by_label_contains("Saved to ").next().is_some());
    assert_eq!(std::fs::read(dir.path().join("photo.jpg")).unwrap(), original, "the original, metadata and all");
    app.harness.key_press(Key::Escape);
    app.wait_for("the viewer to close", |h| !present(h, "Save as…"));
    app.close();

    // What stays on disk, sealed: the original, location and all.
    let kv: Arc<dyn Kv> =
        Arc::new(SledKv::open_patiently(&dir.path().join("profile"), std::time::Duration::from_secs(5)).unwrap());
    let store = SealedStore::unlock(kv, &KeySource::KeyFile(dir.path().join("key"))).unwrap();
    let record = store.attachments(thread).unwrap().into_iter().next().unwrap().unwrap();
    assert_eq!(store.blob(&record.blob).unwrap().unwrap(), original);
    let exif = record.exif.unwrap();
    assert!(exif.location.is_some(), "the GPS position is known (and shown flagged) locally");
    assert_eq!(record.preview_size, Some((400, 800)), "the preview is upright and at most 800 px");
}

#[test]
fn a_deleted_thread_takes_its_messages_and_files_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("photo.jpg");
    let mut jpeg = Vec::new();
    image::RgbImage::from_pixel(320, 240, image::Rgb([200, 40, 40]))
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new(&mut jpeg))
        .unwrap();
    std::fs::write(&photo, &jpeg).unwrap();
    let mut app = new_app(config_picking(dir.path(), true, vec![photo]));
    app.wait_ready();
    for _ in 0..4 {
        app.harness.step();
    }
    // Two threads with the same photo (stored once), one message each.
    let mut threads = Vec::new();
    for text in ["first with photo", "second with photo"] {
        app.apply_new_thread();
        app.click("Attach files…");
        app.wait_for("the photo", |h| present(h, "Remove photo.jpg"));
        app.type_in_composer(text);
        app.harness.key_press(Key::Enter);
        app.wait_for("the message", |h| present(h, text) && !present(h, "Remove photo.jpg"));
        threads.push(app.harness.state().view_model().open.as_ref().unwrap().id);
    }
    // Delete the second and quit before the undo window closes.
    app.click("Delete");
    app.wait_for("the undo offer", |h| present(h, "Undo"));
    app.close();
    // The next start finishes the deletion.
    let app = new_app(config(dir.path(), true));
    let mut app = app;
    app.wait_ready();
    app.wait_for("the remaining thread", |h| present(h, "first with photo"));
    app.close();

    let kv: Arc<dyn Kv> =
        Arc::new(SledKv::open_patiently(&dir.path().join("profile"), std::time::Duration::from_secs(5)).unwrap());
    let store = SealedStore::unlock(kv, &KeySource::KeyFile(dir.path().join("key"))).unwrap();
    let (kept, gone) = (threads[0], threads[1]);
    assert_eq!(store.message_count(gone).unwrap(), 0, "its messages are gone");
    assert!(store.attachments(gone).unwrap().is_empty(), "its attachment records are gone");
    let tombstone = store.thread(gone).unwrap().unwrap();
    assert!(tombstone.deleted && tombstone.title.is_empty(), "a tombstone without its title remains");
    // The photo is still there for the other thread, stored once.
    let record = store.attachments(kept).unwrap().into_iter().next().unwrap().unwrap();
    assert_eq!(store.blob(&record.blob).unwrap().unwrap(), jpeg);
    assert_eq!(store.message_count(kept).unwrap(), 1);
    drop(store); // Releases the profile's lock for the app.
    // Deleting that one too leaves no blob behind.
    let mut app = reopen_thread(dir.path(), "first with photo");
    app.click("Delete");
    app.wait_for("the undo offer", |h| present(h, "Undo"));
    app.close();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.close();
    let kv: Arc<dyn Kv> =
        Arc::new(SledKv::open_patiently(&dir.path().join("profile"), std::time::Duration::from_secs(5)).unwrap());
    assert!(kv.scan_prefix(Table::Blobs, &[]).unwrap().is_empty(), "no blob is left");
    assert!(kv.scan_prefix(Table::Attachments, &[]).unwrap().is_empty());
}

#[test]
fn image_mode_makes_images_that_arrive_as_attachments_of_the_reply() {
    let server = common::peers::aimock();
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    connect_to_mock(&mut app, &server.base);
    app.click("Make images");
    app.wait_for("the image choices", |h| present(h, "Image model") && present(h, "How many"));
    app.harness.get_by_label("How many").focus();
    app.harness.step();
    app.harness.key_press(Key::ArrowUp);
    app.harness.step();
    app.type_in_composer("a red fox");
    app.harness.key_press(Key::Enter);
    app.wait_for("the images", |h| {
        h.state().view_model().open.as_ref().is_some_and(|o| {
            o.rows.values().any(|r| {
                matches!(&r.content, pakchat::ui::view_model::RowContent::Message(m)
                    if m.role == MsgRole::Assistant && m.status == MessageStatus::Done && m.attachments.len() == 2)
            }) && o.view.textures.len() == 2
        })
    });
    let reply = last_message(&app).unwrap();
    assert_eq!(reply.model.as_deref(), Some("gpt-image-1"));
    assert!(present(&app.harness, "image-1.png") && present(&app.harness, "image-2.png"), "both shown, named");
    // Esc leaves image mode; Enter asks for a reply again.
    app.harness.key_press(Key::Escape);
    app.harness.step();
    app.wait_for("image mode to close", |h| !present(h, "Image model"));
    app.close();
}

#[test]
fn a_pdf_goes_as_its_text_to_a_model_that_cannot_read_pdfs() {
    let server = common::peers::aimock();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("two_pages.pdf");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/two_pages.pdf"), &pdf).unwrap();
    let mut app = new_app(config_picking(dir.path(), true, vec![pdf]));
    app.wait_ready();
    connect_to_mock(&mut app, &server.base);
    app.click("Model");
    app.wait_for("the model list", |h| present(h, "o3-mini"));
    app.click("o3-mini");
    app.click("Attach files…");
    app.wait_for("the PDF in the bar", |h| present(h, "Remove two_pages.pdf"));
    assert!(app.harness.query_all_by_label_contains("cannot read").next().is_none(), "its text can go");
    app.type_in_composer("hello");
    app.harness.key_press(Key::Enter);
    app.wait_for("the reply", |h| present(h, "Hi there, friend! This reply comes in several chunks of text."));
    let journal = aimock_journal(&app, &server.base);
    let sent = journal
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["body"]["messages"].as_array().cloned().unwrap_or_default())
        .filter_map(|m| m["content"].as_str().map(str::to_owned))
        .find(|c| c.starts_with("hello"))
        .expect("the message reached the provider");
    assert!(sent.contains("--- two_pages.pdf (text of the PDF) ---"), "{sent}");
    app.wait_for("the PDF's line in the message", |h| present(h, "PDF · two_pages.pdf · 893 bytes · 2 pages"));
    // In line with the message's text, not floating in the middle of the row.
    let line = app.harness.get_by_label("PDF · two_pages.pdf · 893 bytes · 2 pages").rect();
    let text = app.harness.get_by_label("hello").rect();
    assert!((line.left() - text.left()).abs() < 1.0, "the file line starts at {line:?}, the text at {text:?}");
    assert!(sent.contains("Hello from a PDF") && sent.contains("The river is the Indus"), "{sent}");
    app.close();
}

#[test]
fn a_reply_cut_off_by_a_crash_is_kept_and_marked_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let thread = Thread::new(ThreadId::new(), "Crashed mid-reply".to_owned(), pakchat::domain::wall_millis(), stamp());
    seeded_store(dir.path(), |store, _| {
        store.put_thread(&thread).unwrap();
        store.append_message(&message(thread.id, "Tell me a long story".to_owned())).unwrap();
        // What a crash leaves behind: a reply persisted while it was growing.
        let mut partial = message(thread.id, "Once upon a time, in a valley".to_owned());
        partial.role = MsgRole::Assistant;
        partial.status = MessageStatus::Streaming;
        partial.model = Some("gpt-4o-mini".to_owned());
        store.append_message(&partial).unwrap();
    });
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.wait_for("the thread", |h| present(h, "Crashed mid-reply"));
    app.click("Crashed mid-reply");
    app.wait_for("the kept partial reply", |h| present(h, "Once upon a time, in a valley"));
    assert!(app.has_label("gpt-4o-mini · interrupted"));
    assert_eq!(last_message(&app).unwrap().status, MessageStatus::Interrupted);
    assert!(app.has_label("Retry reply"), "an interrupted reply offers Retry");
    app.close();
}

#[test]
fn a_rate_limited_reply_counts_down_then_arrives() {
    let server = common::peers::llmock();
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    connect_to_mock(&mut app, &server.base);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let http = reqwest::Client::new();
        let body = r#"{"behaviors":[{"type":"fail","status":429,"retry_after":2.5,"message":"Slow down"}]}"#;
        let r = http.post(format!("{}/_llmock/scenario", server.base)).body(body).send().await.unwrap();
        assert!(r.status().is_success());
    });
    app.type_in_composer("count down please");
    app.harness.key_press(Key::Enter);
    app.wait_for("the countdown", |h| {
        h.query_all_by_label_contains("HTTP 429: Slow down — trying again in 3 s").next().is_some()
    });
    app.wait_for("a lower count", |h| h.query_all_by_label_contains("— trying again in 1 s").next().is_some());
    app.wait_for("the reply after the wait", |h| present(h, "Hello! You said: count down please"));
    assert!(app.harness.query_all_by_label_contains("trying again in").next().is_none(), "the countdown is gone");
    app.close();
}

#[test]
fn a_provider_switched_off_offers_no_models() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    for _ in 0..4 {
        app.harness.step();
    }
    app.click("Manage API keys");
    app.wait_for("the keys window", |h| present(h, "Offer OpenAI models"));
    app.click("Offer OpenAI models");
    app.wait_for("the saved settings", |h| {
        h.state().view_model().settings.providers.iter().any(|p| p.id == "openai" && !p.enabled)
    });
    app.click("Done");
    app.click("Model");
    app.wait_for("the model list", |h| present(h, "Claude Sonnet 4.5 (no key)"));
    assert!(!app.has_label("GPT-4o mini (no key)"), "OpenAI's models are not offered");
    app.close();

    // The choice is a setting: it survives a restart.
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.wait_for("the settings", |h| {
        h.state().view_model().settings.providers.iter().any(|p| p.id == "openai" && !p.enabled)
    });
    app.close();
}

#[test]
fn settings_apply_at_once_survive_a_restart_and_hide_personal_information() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    for _ in 0..4 {
        app.harness.step();
    }
    let width_before = app.harness.get_by_label("Manage API keys").rect().width();
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::Comma);
    app.wait_for("the settings window", |h| present(h, "Customization") && present(h, "Interface font"));

    // Profile: shown in the sidebar as soon as it is typed.
    app.click("Profile");
    app.type_into(Role::TextInput, "Name", "Ada Lovelace");
    app.type_into(Role::TextInput, "E-mail", "ada@example.org");
    app.wait_for("the profile in the sidebar", |h| present(h, "ada@example.org") && present(h, "Ada Lovelace"));

    // Customization: theme, font, navigation bar, instructions, a mode.
    app.click("Customization");
    app.click("Dark");
    app.wait_for("the dark theme", |h| h.ctx.global_style().visuals.dark_mode);
    app.click("Interface font");
    app.click("egui built-in (Ubuntu Light)");
    app.wait_for("the new font", |h| (h.get_by_label("Manage API keys").rect().width() - width_before).abs() > 1.0);
    app.click_accesskit("Show navigation bar");
    app.type_into(Role::TextInput, "What should Pak.Chat call you?", "Captain");
    app.click_accesskit("Add a mode");
    app.type_into(Role::TextInput, "Mode name", "Tutor");
    app.type_into(Role::MultilineTextInput, "Mode instructions", "Explain step by step.");
    app.click_accesskit("Save mode");
    app.wait_for("the mode", |h| present(h, "Edit Tutor"));

    // Hide personal information: the e-mail leaves the accessibility tree.
    app.click_accesskit("Hide personal information");
    app.wait_for("the profile hidden", |h| !present(h, "ada@example.org") && !present(h, "Ada Lovelace"));
    app.click("Profile");
    assert!(app.has_label("Personal information is hidden (Customization → Hide personal information)."));
    assert!(!app.has_label("E-mail"), "no field shows the e-mail either");
    app.click("Done");
    app.wait_for("the settings to close", |h| !present(h, "Customization"));

    // A chat in the mode: the final prompt shows what the model would get.
    app.type_in_composer("hello");
    app.harness.key_press(Key::Enter);
    app.wait_for("the message", |h| {
        h.state().view_model().pending_ids().is_empty() && present(h, "Navigation bar: 1 message of yours")
    });
    app.click("Mode");
    app.click("✨ Tutor");
    app.click("Final prompt");
    app.wait_for("the final prompt", |h| present(h, "Call the user: Captain\n\nExplain step by step."));
    app.wait_for("the mode stored", |h| h.state().view_model().threads.values().any(|t| t.mode.is_some()));
    app.close();

    // Everything is remembered, and shows so at once.
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.wait_for("the settings", |h| h.state().view_model().settings.hide_personal);
    for _ in 0..3 {
        app.harness.step();
    }
    let s = app.harness.state().view_model().settings.clone();
    assert_eq!(s.personal.email, "ada@example.org");
    assert_eq!(s.theme, pakchat::domain::ThemePreference::Dark);
    assert_eq!(s.interface_font, pakchat::domain::InterfaceFont::BuiltIn);
    assert!(s.show_nav_bar);
    assert_eq!(s.instructions.call_me, "Captain");
    assert_eq!(s.modes.len(), 1);
    assert!(app.harness.ctx.global_style().visuals.dark_mode);
    assert!(!app.has_label("ada@example.org"), "still hidden after the restart");
    let thread = app.harness.state().view_model().threads.values().next().unwrap().clone();
    assert_eq!(thread.mode.as_deref(), Some(s.modes[0].id.as_str()));

    // Showing it again brings the e-mail back.
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::Comma);
    app.wait_for("the settings window", |h| present(h, "Hide personal information"));
    app.click("Hide personal information");
    app.wait_for("the profile shown", |h| present(h, "ada@example.org"));
    app.close();
}

#[test]
fn the_palette_finds_actions_chats_and_messages_and_opens_a_hit_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let now = pakchat::domain::wall_millis();
    let deleted = {
        let mut t = Thread::new(ThreadId::new(), "Old deleted chat".to_owned(), now, stamp());
        t.deleted = true;
        t
    };
    let trip = Thread::new(ThreadId::new(), "Trip planning".to_owned(), now, stamp());
    let airships = Thread::new(ThreadId::new(), "Airships".to_owned(), now, stamp());
    let recipes = Thread::new(ThreadId::new(), "Recipes for the weekend".to_owned(), now, stamp());
    seeded_store(dir.path(), |store, _| {
        store.put_thread(&deleted).unwrap();
        store.append_message(&message(deleted.id, "a flamingo in a deleted chat".to_owned())).unwrap();
        // A long thread: the hit is far above where it opens.
        store.put_thread(&trip).unwrap();
        for i in 0..3_000 {
            let text = if i == 17 { "we saw a Flamingo at the lake".to_owned() } else { format!("trip note {i}") };
            store.append_message(&message(trip.id, text)).unwrap();
        }
        // A thread whose hit is on the branch not shown.
        store.put_thread(&airships).unwrap();
        store.append_message(&message(airships.id, "tell me about airships".to_owned())).unwrap();
        let mut reply = message(airships.id, "a zeppelin has a rigid frame".to_owned());
        reply.role = MsgRole::Assistant;
        store.append_message(&reply).unwrap();
        let mut other = message(airships.id, "blimps are soft".to_owned());
        other.role = MsgRole::Assistant;
        store.append_message(&other).unwrap();
        let mut branches = pakchat::domain::Branches::default();
        branches.add_child(0, 2, 2);
        store.put_branches(airships.id, &branches).unwrap();
        store.put_thread(&recipes).unwrap();
        store.append_message(&message(recipes.id, "pink flamingo cake".to_owned())).unwrap();
    });
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.wait_for("the threads", |h| present(h, "Recipes for the weekend"));
    let palette = pakchat::ui::PALETTE_LABEL;

    // Words find messages, newest chat first, with their chat's title; the
    // deleted chat's message is not among them.
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::K);
    app.harness.step();
    app.wait_for("the palette", |h| h.query_by_role_and_label(Role::TextInput, palette).is_some());
    for _ in 0..3 {
        app.harness.step();
    }
    let palette_box = |h: &egui_kittest::Harness<'static, pakchat::ui::PakApp>| {
        h.ctx.memory(|m| m.area_rect(egui::Id::unique("command palette"))).expect("the palette's box")
    };
    let full_height = palette_box(&app.harness).height();
    app.type_into(Role::TextInput, palette, "FLAMINGO");
    let recipes_hit = "Recipes for the weekend: pink flamingo cake";
    let trip_hit = "Trip planning: we saw a Flamingo at the lake";
    app.wait_for("the hits", |h| present(h, recipes_hit) && present(h, trip_hit));
    // In sight as they arrive, without a key press: inside the palette's box.
    for hit in [recipes_hit, trip_hit] {
        let (shown, inside) = (app.harness.get_by_label(hit).rect(), palette_box(&app.harness));
        assert!(inside.contains_rect(shown), "{hit:?} at {shown:?} is outside the palette {inside:?}");
    }
    assert!(!app.has_label("Old deleted chat: a flamingo in a deleted chat"));
    assert_eq!(app.harness.state().view_model().search.1.len(), 2, "the backend left the deleted chat's hit out");
    assert_eq!(app.label_count(recipes_hit) + app.label_count(trip_hit), 2);

    // Down to the second hit, Enter: the long chat opens at that message.
    app.harness.key_press(Key::ArrowDown);
    app.harness.step();
    app.harness.key_press(Key::Enter);
    app.wait_for("the message in its chat", |h| present(h, "we saw a Flamingo at the lake"));
    let open = app.harness.state().view_model().open.as_ref().unwrap();
    assert_eq!(open.id, trip.id);
    assert!(!app.has_label("trip note 2999"), "shown where the hit is, not at the end");
    assert!(app.harness.query_by_role_and_label(Role::TextInput, palette).is_none(), "the palette closed");

    // Opened again with nothing typed: as tall as the first time, every
    // action in sight, not the two rows the last search left.
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::K);
    for _ in 0..3 {
        app.harness.step();
    }
    let height = palette_box(&app.harness).height();
    assert!((height - full_height).abs() < 1.0, "the palette is {height} px tall, at first {full_height} px");
    app.harness.key_press(Key::Escape);
    app.harness.step();

    // A hit on a branch not shown: that branch is chosen to show it.
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::K);
    app.harness.step();
    app.type_into(Role::TextInput, palette, "zeppelin");
    app.wait_for("the branch hit", |h| present(h, "Airships: a zeppelin has a rigid frame"));
    app.harness.key_press(Key::Enter);
    app.wait_for("the other branch", |h| present(h, "a zeppelin has a rigid frame") && present(h, "1/2"));
    assert!(!app.has_label("blimps are soft"));

    // A title as it is being typed finds its chat; Enter opens it.
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::K);
    app.harness.step();
    app.type_into(Role::TextInput, palette, "recipes wee");
    app.wait_for("the chat by title", |h| h.query_all_by_label("Recipes for the weekend").count() >= 2);
    app.harness.key_press(Key::Enter);
    app.wait_for("that chat", |h| present(h, "pink flamingo cake"));
    assert_eq!(app.harness.state().view_model().open.as_ref().unwrap().id, recipes.id);

    // Up in the empty composer edits the last message (once the end of the
    // thread, where that message is, has loaded).
    app.wait_for("the end of the chat", |h| {
        h.state().view_model().open.as_ref().is_some_and(|o| o.count > 0 && o.rows.contains_key(&(o.count - 1)))
    });
    app.harness.get_by_role_and_label(Role::MultilineTextInput, COMPOSER_LABEL).focus();
    app.harness.step();
    app.harness.step();
    app.harness.key_press(Key::ArrowUp);
    app.wait_for("the last message in the composer", |h| h.state().composer_text() == "pink flamingo cake");
    assert!(app.has_label("Cancel edit"));
    app.harness.key_press(Key::Escape);
    app.harness.step();
    app.harness.step();
    assert_eq!(app.harness.state().composer_text(), "");

    // Actions by name: the shortcuts sheet lists the palette's own key.
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::K);
    app.harness.step();
    app.type_into(Role::TextInput, palette, "shortcuts");
    app.harness.key_press(Key::Enter);
    app.harness.step();
    app.harness.step();
    assert!(app.has_label("Keyboard shortcuts") && app.has_label("Ctrl+K"), "the help sheet is open");
    for command in pakchat::ui::help_lines(false) {
        let keys = command.keys_text(false);
        assert!(app.has_label(&keys) && app.has_label(command.label()), "{keys}: {} listed", command.label());
    }
    app.harness.key_press(Key::Escape);
    app.harness.step();
    app.harness.step();
    assert!(!app.has_label("Ctrl+Shift+S"), "Esc closed the sheet");
    app.close();
}
