//! Errors as a user meets them: a failed reply says why in its own row and
//! offers Retry there; errors stay with their chat; banners wrap and never
//! push a button off the window.

use super::*;

/// The window of a small laptop with the sidebar open.
const NARROW: egui::Vec2 = egui::vec2(820.0, 640.0);

/// The node named `label` lies wholly inside the window.
fn on_screen(app: &App, label: &str) -> bool {
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, NARROW);
    app.harness.query_all_by_label(label).any(|n| window.contains_rect(n.rect()))
}

/// An app in the [`NARROW`] window, its OpenAI provider the mock at `base`.
fn narrow_app(dir: &std::path::Path, base: &str) -> App {
    let mut app = new_app(config(dir, true));
    app.harness.set_size(NARROW);
    app.wait_ready();
    connect_to_mock(&mut app, base);
    app
}

#[test]
fn a_failed_reply_says_why_in_its_row_and_its_error_stays_with_its_chat() {
    let server = common::peers::llmock();
    let dir = tempfile::tempdir().unwrap();
    let mut app = narrow_app(dir.path(), &server.base);
    let why = "Incorrect API key provided. You can find your API key at the provider's dashboard; \
               keys are revoked after ninety days without use, and a revoked key cannot be restored.";
    llmock_next(&app, &server.base, &format!(r#"{{"type":"fail","status":401,"message":"{why}"}}"#));
    app.type_in_composer("first chat");
    app.harness.key_press(Key::Enter);
    app.wait_for("the failed reply", |h| {
        h.query_all_by_label_contains("The reply failed: HTTP 401: Incorrect API key").next().is_some()
    });
    let failed = app.harness.state().view_model().open.as_ref().map(|o| o.id).unwrap();
    let stored = last_message(&app).unwrap();
    assert_eq!(stored.status, MessageStatus::Failed);
    assert!(
        stored
            .failure
            .as_deref()
            .is_some_and(|f| f.contains(why) && f.ends_with("Check the API key in Settings → API keys.")),
        "the reason and what to do are the reply's: {:?}",
        stored.failure
    );
    // Said once, in the row; the keys banner only asks for the key.
    assert_eq!(
        app.harness.query_all_by_label_contains("The reply failed").count(),
        1,
        "the reason is shown once (no red banner repeating it)"
    );
    assert!(app.has_label("The provider refused the API key."), "the keys banner");
    assert!(
        app.harness.state().view_model().errors.is_empty(),
        "no error banner: {:?}",
        app.harness.state().view_model().errors
    );
    // The row offers Retry; every button is reachable in the narrow window.
    app.shot("failed_reply");
    for label in ["Retry reply", "Open API keys", "Dismiss", "Send"] {
        assert!(on_screen(&app, label), "{label} is on screen");
    }
    let reason = app.harness.query_all_by_label_contains("The reply failed").next().unwrap().rect();
    assert!(reason.right() <= NARROW.x, "the reason wraps inside the window: {reason:?}");

    // Another chat does not show it; coming back does.
    app.click("Dismiss");
    app.wait_for("the keys banner gone", |h| !present(h, "The provider refused the API key."));
    app.harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    app.wait_for("a new chat", |h| h.state().view_model().open.as_ref().is_some_and(|o| o.id != failed));
    assert!(app.harness.query_all_by_label_contains("The reply failed").next().is_none(), "not over another chat");
    app.open_chat("first chat");
    app.wait_for("the failed reply again", |h| {
        h.query_all_by_label_contains("The reply failed: HTTP 401").next().is_some()
    });

    // Retry in the row asks again: this time the mock answers.
    app.click("Retry reply");
    app.wait_for("the reply", |h| present(h, "Hello! You said: first chat"));
    app.wait_for("the reply to finish", |h| !present(h, "Stop"));
    assert!(!app.has_label("Retry reply"), "a reply that arrived offers no Retry");
    app.close();

    // After a restart the failed reply still says why (it is a branch now).
    let mut app = new_app(config(dir.path(), true));
    app.harness.set_size(NARROW);
    app.wait_ready();
    app.wait_for("the chat", |h| present(h, "Hello! You said: first chat"));
    app.click("◀");
    app.wait_for("the failed branch with its reason", |h| {
        h.query_all_by_label_contains("The reply failed: HTTP 401").next().is_some()
    });
    app.close();
}

#[test]
fn long_errors_wrap_and_a_retry_countdown_leaves_stop_on_screen() {
    let server = common::peers::llmock();
    let dir = tempfile::tempdir().unwrap();
    let mut app = narrow_app(dir.path(), &server.base);
    let slow = "Rate limit reached for gpt-4o-mini in organization org-123 on requests per min (RPM): \
                Limit 3, Used 3, Requested 1. Please try again in 2s. Visit the usage page to learn more.";
    llmock_next(&app, &server.base, &format!(r#"{{"type":"fail","status":429,"retry_after":2.5,"message":"{slow}"}}"#));
    app.type_in_composer("count down please");
    app.harness.key_press(Key::Enter);
    app.wait_for("the countdown", |h| h.query_all_by_label_contains("— trying again in").next().is_some());
    // The panel takes its new height on the next frame (egui sizes panels
    // from what they held last).
    app.harness.step();
    app.harness.step();
    let countdown = app.harness.query_all_by_label_contains("— trying again in").next().unwrap().rect();
    assert!(countdown.right() <= NARROW.x, "the countdown wraps: {countdown:?}");
    app.shot("retry_countdown");
    assert!(on_screen(&app, "Stop"), "Stop stays on screen while the reply waits to try again");
    app.wait_for("the reply after the wait", |h| present(h, "Hello! You said: count down please"));
    app.wait_for("the reply to finish", |h| !present(h, "Stop"));

    // An error of the whole app, as long as a file path can make it: it
    // wraps and its Dismiss stays reachable.
    let long = format!("The export could not be written: {}/report.md: permission denied", "/home/someone".repeat(12));
    app.harness.state_mut().view_model_mut().errors.push(None, long.clone());
    for _ in 0..4 {
        app.harness.step();
    }
    let banner = app.harness.get_by_label(&long).rect();
    assert!(banner.right() <= NARROW.x && banner.height() > 20.0, "the error wraps onto lines: {banner:?}");
    app.shot("long_error");
    assert!(on_screen(&app, "Dismiss"), "its Dismiss is on screen");
    app.click("Dismiss");
    app.wait_for("the error dismissed", |h| !present(h, &long));
    app.close();
}
