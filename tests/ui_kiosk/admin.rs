//! The admin's side: closing with the PIN, the presenter's switch, the welcome logo.

use super::*;

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
