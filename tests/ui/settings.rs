//! Settings and the command palette.

use super::*;

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
    app.chat_menu("Final prompt");
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

/// Four chats: a deleted one, a long one whose hit is far from its end, one
/// whose hit is on a branch not shown, and a short one. Returns the ids of
/// the long chat and the short one.
fn seed_chats_to_search(dir: &std::path::Path) -> (ThreadId, ThreadId) {
    let now = pakchat::domain::wall_millis();
    let deleted = {
        let mut t = Thread::new(ThreadId::new(), "Old deleted chat".to_owned(), now, stamp());
        t.deleted = true;
        t
    };
    let trip = Thread::new(ThreadId::new(), "Trip planning".to_owned(), now, stamp());
    let airships = Thread::new(ThreadId::new(), "Airships".to_owned(), now, stamp());
    let recipes = Thread::new(ThreadId::new(), "Recipes for the weekend".to_owned(), now, stamp());
    seeded_store(dir, |store, _| {
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
    (trip.id, recipes.id)
}

#[test]
fn the_palette_finds_actions_chats_and_messages_and_opens_a_hit_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let (trip, recipes) = seed_chats_to_search(dir.path());
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
    assert_eq!(open.id, trip);
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
    assert_eq!(app.harness.state().view_model().open.as_ref().unwrap().id, recipes);

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

#[test]
fn a_failed_key_check_wraps_inside_the_keys_window() {
    let server = common::peers::llmock();
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    connect_to_mock(&mut app, &server.base);
    app.click("Manage API keys");
    app.wait_for("the keys window", |h| present(h, "OpenAI API key"));
    for _ in 0..3 {
        app.harness.step();
    }
    let before = app.harness.get_by_label("Done").rect();
    let why = "Incorrect API key provided: sk-local-test. You can find your API key at the provider's dashboard; \
               keys are revoked after ninety days without use.";
    llmock_next(&app, &server.base, &format!(r#"{{"type":"fail","status":401,"message":"{why}"}}"#));
    app.click("Check OpenAI");
    app.wait_for("the refused check", |h| h.query_all_by_label_contains("Incorrect API key provided").next().is_some());
    for _ in 0..3 {
        app.harness.step();
    }
    let after = app.harness.get_by_label("Done").rect();
    assert!((after.right() - before.right()).abs() < 1.0, "the window keeps its width: {before:?} -> {after:?}");
    let error = app.harness.query_all_by_label_contains("Incorrect API key provided").next().unwrap().rect();
    assert!(error.right() <= after.right() + 1.0, "the error wraps inside the window: {error:?}, Done at {after:?}");
    app.close();
}
