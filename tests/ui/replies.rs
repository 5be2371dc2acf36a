//! Replies: streamed, stopped, failed, regenerated, branched, retried, cut off by a crash, from a custom endpoint.

use super::*;

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

/// A slow reply: Stop keeps what arrived and marks it stopped, the
/// composer keeps its text; Retry asks again and the stopped reply stays as
/// the other branch.
/// Returns the whole reply's text and the stopped one.
fn stop_keeps_what_arrived_and_retry_makes_a_branch(app: &mut App) -> (&'static str, Message) {
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
    let stopped = last_message(app).unwrap();
    assert_eq!(stopped.status, MessageStatus::Cancelled);
    let whole = "one two three four five six seven eight nine ten eleven twelve";
    assert!(!stopped.content.is_empty() && stopped.content.len() < whole.len(), "partial: {:?}", stopped.content);
    assert!(whole.starts_with(&stopped.content));
    assert_eq!(app.harness.state().composer_text(), "kept while streaming", "the composer keeps its text");

    // Retry asks again; the stopped reply stays as the other branch.
    app.click("Retry reply");
    app.wait_for("the whole retried reply", |h| present(h, whole));
    app.wait_for("the retried reply to finish", |h| h.query_all_by_label("Stop").next().is_none());
    assert_eq!(last_message(app).unwrap().status, MessageStatus::Done);
    assert!(app.has_label("2/2"), "the retried reply is the second branch");
    app.click("◀");
    app.wait_for("the stopped reply, kept", |h| present(h, stopped.content.trim()) && present(h, "1/2"));
    app.click("▶");
    app.wait_for("the retried reply again", |h| present(h, whole) && present(h, "2/2"));
    (whole, stopped)
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

    let (whole, stopped) = stop_keeps_what_arrived_and_retry_makes_a_branch(&mut app);

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
    app.click_accesskit("Show reasoning");
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
    assert!(app.has_label("• flour, 2 kg\nsalt"), "list items without their markdown (the task box is drawn)");
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
    app.open_chat("Friendly Greetings");
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
    app.open_chat("Crashed mid-reply");
    app.wait_for("the kept partial reply", |h| present(h, "Once upon a time, in a valley"));
    assert!(app.has_label("gpt-4o-mini · interrupted"));
    assert_eq!(last_message(&app).unwrap().status, MessageStatus::Interrupted);
    assert!(app.has_label("Retry reply"), "an interrupted reply offers Retry");
    app.close();
}

#[test]
fn a_reply_another_device_is_still_writing_is_not_marked_interrupted_here() {
    let dir = tempfile::tempdir().unwrap();
    let thread = Thread::new(ThreadId::new(), "Written elsewhere".to_owned(), pakchat::domain::wall_millis(), stamp());
    seeded_store(dir.path(), |store, _| {
        // A synced profile, and a reply that came in from another device
        // while that device was still writing it.
        store.put_sync_key(Some((1, &[5; 32]))).unwrap();
        store.put_thread(&thread).unwrap();
        store.append_message(&message(thread.id, "Tell me a long story".to_owned())).unwrap();
        let mut partial = message(thread.id, "Once upon a time, far away".to_owned());
        partial.role = MsgRole::Assistant;
        partial.status = MessageStatus::Streaming;
        assert_ne!(partial.stamp.device, store.device_id());
        store.append_message(&partial).unwrap();
    });
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.wait_for("the thread", |h| present(h, "Written elsewhere"));
    app.open_chat("Written elsewhere");
    app.wait_for("the partial reply", |h| present(h, "Once upon a time, far away"));
    app.shot("streaming-elsewhere");
    assert_eq!(last_message(&app).unwrap().status, MessageStatus::Streaming, "the other device finishes it");
    // It is not this device's to stop: the composer sends, as ever.
    assert!(app.has_label("Send") && !app.has_label("Stop"), "Send, not Stop");
    app.close();
}

#[test]
fn a_rate_limited_reply_counts_down_then_arrives() {
    let server = common::peers::llmock();
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    connect_to_mock(&mut app, &server.base);
    llmock_next(&app, &server.base, r#"{"type":"fail","status":429,"retry_after":2.5,"message":"Slow down"}"#);
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
