//! Settings → Account: signing in through "the browser" (a script that
//! follows the redirects) against oauth2-mock-server and a real server, the
//! name shown in the settings and the sidebar, hidden with the personal
//! information, and sign-out.

use super::*;

const CLIENT: &str = "pakchat-ui-test";

#[test]
fn signing_in_from_settings_shows_who_and_hiding_personal_information_hides_it() {
    let idp = common::peers::oidc_mock();
    let server = common::server::LocalServer::start(&idp.base, CLIENT);
    let dir = tempfile::tempdir().unwrap();
    let browser = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/browser.py");
    let mut app = new_app(BackendConfig { browser: Some(browser.to_owned()), ..config(dir.path(), true) });
    app.wait_ready();
    app.wait_for("the sign-in button", |h| present(h, "Sign in with Google"));
    // No server yet: the button leads to where one is entered.
    app.click("Sign in with Google");
    app.wait_for("Settings → Account", |h| present(h, "Server"));
    app.type_into(Role::TextInput, "Server", &server.base);
    // The settings' button (the sidebar has one too; the window is drawn last).
    app.harness.query_all_by_label("Sign in with Google").last().unwrap().click();
    app.harness.step();
    app.wait_for("signed in", |h| present(h, "Signed in as Ada Lovelace (ada@example.com)"));
    assert_eq!(server.users(), 1);
    assert!(app.has_label("Ada Lovelace"), "the sidebar names the user");
    app.wait_for("the avatar", |h| {
        matches!(&h.state().view_model().account, pakchat::backend::AccountView::SignedIn { avatar: Some(_), .. })
    });

    // Hidden with the personal information: neither the settings nor the sidebar name them.
    app.click("Customization");
    app.click_accesskit("Hide personal information");
    app.click("Account");
    app.wait_for("the name hidden", |h| !present(h, "Ada Lovelace") && !present(h, "ada@example.com"));
    let hidden = format!("Signed in to {} (who is hidden with your personal information).", server.base);
    assert!(app.has_label(&hidden));
    assert!(!app.has_label("Signed in as Ada Lovelace (ada@example.com)"));

    app.click("Sign out");
    app.wait_for("signed out", |h| matches!(h.state().view_model().account, pakchat::backend::AccountView::SignedOut));
    app.wait_for("the sign-in button again", |h| present(h, "Sign in with Google"));
    app.close();
}
