//! The look, as pictures: wgpu snapshots at 1280×800, light and dark, of the
//! start screen, a conversation (markdown, then a reply that failed) and the
//! keys window. A changed picture fails the test; look at the new one before
//! accepting it (`UPDATE_SNAPSHOTS=1`).

use super::*;
use pakchat::domain::ThemePreference;

const SIZE: egui::Vec2 = egui::vec2(1280.0, 800.0);

const REPLY: &str = "Here is the plan.\n\n\
| Step | Owner | Days |\n\
|:--|:--|--:|\n\
| Draft | Ayesha | 2 |\n\
| Review | Bilal | 1 |\n\
\n\
- Before the meeting\n  - book the room\n- [x] agenda sent\n- [ ] slides\n\
\n\
> Measure twice, cut once.\n\
\n\
```rust\nfn days(steps: &[u32]) -> u32 { steps.iter().sum() }\n```\n\
\n\
The total is $\\sum_i d_i$:\n\
\n\
$$\nT = 2 + 1 = 3\n$$\n";

/// Draw `app` in `theme`: set again should the stored settings arrive
/// after it, until it has held for a few frames (panels take their size
/// from the frame before).
fn in_theme(app: &mut App, theme: ThemePreference) {
    let dark = theme == ThemePreference::Dark;
    let mut held = 0;
    for _ in 0..200 {
        let vm = app.harness.state_mut().view_model_mut();
        if vm.settings.theme == theme {
            held += 1;
        } else {
            vm.settings.theme = theme;
            held = 0;
        }
        app.harness.step();
        if held >= 6 && app.harness.ctx.global_style().visuals.dark_mode == dark {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("the {theme:?} theme did not take");
}

/// In light, then dark: the theme's own ground and text colours are in use,
/// every label of `shows` is inside the window, and the picture matches.
fn both_themes(app: &mut App, name: &str, shows: &[&str]) {
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, SIZE);
    for (theme, egui_theme, suffix) in
        [(ThemePreference::Light, egui::Theme::Light, "light"), (ThemePreference::Dark, egui::Theme::Dark, "dark")]
    {
        in_theme(app, theme);
        let visuals = app.harness.ctx.global_style().visuals.clone();
        let palette = pakchat::ui::theme::palette(egui_theme, false);
        assert_eq!((visuals.panel_fill, visuals.text_color()), (palette.canvas, palette.text), "{suffix}");
        for label in shows {
            let rect =
                app.harness.query_all_by_label_contains(label).next().unwrap_or_else(|| panic!("{label}")).rect();
            assert!(window.contains_rect(rect), "{label:?} at {rect:?} is inside the window ({suffix})");
        }
        app.harness.snapshot(format!("look_{name}_{suffix}"));
    }
}

#[test]
fn the_start_screen_in_light_and_dark() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.harness.set_size(SIZE);
    app.wait_ready();
    app.wait_for("the keys status", |h| present(h, "Add an API key"));
    both_themes(&mut app, "start", &["Start a new chat", "Add an API key", "Send", "Attach files…"]);
    app.close();
}

/// A profile with the chat "Team plan": markdown, then a failed reply.
fn seed_conversation(dir: &std::path::Path) {
    let thread = Thread::new(ThreadId::new(), "Team plan".to_owned(), pakchat::domain::wall_millis(), stamp());
    seeded_store(dir, |store, _| {
        store.put_thread(&thread).unwrap();
        store.append_message(&message(thread.id, "Plan the review for next week.".to_owned())).unwrap();
        let reply = Message {
            role: MsgRole::Assistant,
            model: Some("gpt-4o-mini".to_owned()),
            usage: Some(pakchat::domain::Usage { input_tokens: 14, output_tokens: 96 }),
            ..message(thread.id, REPLY.to_owned())
        };
        store.append_message(&reply).unwrap();
        store.append_message(&message(thread.id, "And a shorter version?".to_owned())).unwrap();
        let failed = Message {
            role: MsgRole::Assistant,
            model: Some("gpt-4o-mini".to_owned()),
            status: MessageStatus::Failed,
            failure: Some(
                "The reply failed: HTTP 429: Rate limit reached for requests (the provider asks to wait 20 s). \
                 The provider asks you to wait before trying again."
                    .to_owned(),
            ),
            ..message(thread.id, String::new())
        };
        store.append_message(&failed).unwrap();
    });
}

#[test]
fn a_conversation_with_markdown_and_a_failed_reply_in_light_and_dark() {
    let dir = tempfile::tempdir().unwrap();
    seed_conversation(dir.path());
    let mut app = reopen_thread(dir.path(), "Team plan");
    app.harness.set_size(SIZE);
    app.wait_for("the failed reply", |h| h.query_all_by_label_contains("Rate limit reached").next().is_some());
    both_themes(
        &mut app,
        "conversation",
        &[
            "Team plan",
            "Owner",
            "book the room",
            "Measure twice",
            "Copy code",
            "T = 2 + 1 = 3",
            "Rate limit reached",
            "Retry reply",
        ],
    );
    app.close();
}

#[test]
fn at_800_points_wide_the_sidebar_column_and_controls_all_fit() {
    let dir = tempfile::tempdir().unwrap();
    seed_conversation(dir.path());
    let mut app = reopen_thread(dir.path(), "Team plan");
    let size = egui::vec2(800.0, 600.0);
    app.harness.set_size(size);
    app.wait_for("the failed reply", |h| h.query_all_by_label_contains("Rate limit reached").next().is_some());
    for _ in 0..4 {
        app.harness.step();
    }
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, size);
    for label in ["More", "System prompt", "Send", "Attach files…", "Retry reply", "+  New chat", "Team plan"] {
        let rect = app.harness.query_all_by_label(label).last().unwrap_or_else(|| panic!("{label}")).rect();
        assert!(window.contains_rect(rect), "{label} at {rect:?} is inside the 800 pt window");
    }
    let reason = app.harness.query_all_by_label_contains("Rate limit reached").next().unwrap().rect();
    assert!(reason.right() <= size.x, "the failed reply's reason wraps in the column: {reason:?}");
    let sidebar = app.harness.query_all_by_label("Team plan").next().unwrap().rect();
    assert!(sidebar.left() < 50.0, "the sidebar is still shown: {sidebar:?}");
    app.close();
}

#[test]
fn the_keys_window_in_light_and_dark() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.harness.set_size(SIZE);
    app.wait_ready();
    for _ in 0..4 {
        app.harness.step();
    }
    app.click("Manage API keys");
    app.wait_for("the keys window", |h| present(h, "OpenAI API key"));
    both_themes(&mut app, "keys", &["OpenAI API key", "Check OpenAI", "Done"]);
    app.close();
}

#[test]
fn the_settings_window_in_light_and_dark() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(config(dir.path(), true));
    app.harness.set_size(SIZE);
    app.wait_ready();
    app.wait_for("the keys status", |h| present(h, "Add an API key"));
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::Comma);
    app.wait_for("the settings window", |h| present(h, "Customization") && present(h, "Interface font"));
    both_themes(&mut app, "settings", &["Interface font", "Code font", "Text size", "Done"]);
    app.close();
}
