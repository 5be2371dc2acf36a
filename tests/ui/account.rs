//! Settings → Account: signing in through "the browser" (a script that
//! follows the redirects) against oauth2-mock-server and a real server, the
//! name shown in the settings and the sidebar, hidden with the personal
//! information, and sign-out. A chat shared from its menu, its link
//! listed and revoked.

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

/// A chat shared from its More menu: the link's copy opens with the key in
/// the link (as a page opens it), Settings → Account lists the link by the
/// chat's title, and Revoke (asked twice) stops it opening.
#[test]
fn a_chat_is_shared_from_its_menu_listed_in_settings_and_revoked() {
    use pakchat::backend::shares::{ShareError, open_link, parse_fragment};
    use pakchat::ui::shares::{CONFIRM_REVOKE, CREATE_LINK, REVOKE, SHARE_LINK};
    let idp = common::peers::oidc_mock();
    let server = common::server::LocalServer::start(&idp.base, CLIENT);
    let claims = serde_json::json!({ "sub": "ada", "email": "ada@example.com", "name": "Ada Lovelace" });
    let token = server.block_on(common::peers::session_token(&server.base, &idp.base, CLIENT, claims));
    let dir = tempfile::tempdir().unwrap();
    let thread = ThreadId::new();
    seeded_store(dir.path(), |store, _| {
        let user = pakchat::domain::AccountUser {
            name: "Ada Lovelace".to_owned(),
            email: "ada@example.com".to_owned(),
            picture: String::new(),
        };
        let account = pakchat::domain::Account {
            server: server.base.clone(),
            token,
            expires_ms: i64::MAX,
            user,
            avatar: None,
            expired: false,
        };
        store.put_account(Some(&account)).unwrap();
        store.put_thread(&Thread::new(thread, "Harbour plans".to_owned(), 0, stamp())).unwrap();
        store.append_message(&message(thread, "Meet at the harbour at nine".to_owned())).unwrap();
    });
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.open_chat("Harbour plans");
    app.chat_menu(SHARE_LINK);
    app.wait_for("the share window", |h| present(h, CREATE_LINK));
    app.click(CREATE_LINK);
    let made = |h: &egui_kittest::Harness<'static, pakchat::ui::PakApp>| {
        h.state().view_model().shares.dialog.as_ref().and_then(|d| d.made.clone())
    };
    app.wait_for("the link", |h| made(h).is_some());
    let link = made(&app.harness).unwrap().expect("a link");
    assert!(link.starts_with(&format!("{}/#share=", server.base)), "{link}");
    app.wait_for("the link shown to copy", |h| present(h, "Copy link"));
    app.shot("share-window");
    let parts = parse_fragment(link.split_once('#').unwrap().1).unwrap().unwrap();
    let copy = server.block_on(open_link(&server.base, &parts)).unwrap();
    assert_eq!(copy.title, "Harbour plans");
    let texts: Vec<_> = copy.messages.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(texts, ["Meet at the harbour at nine"]);

    // Settings → Account (sync is off here: the footer's "Turn on…" leads there).
    app.click("Done");
    app.wait_for("the sync line", |h| present(h, "Turn on…"));
    app.click("Turn on…");
    app.wait_for("the link listed by its chat", |h| {
        h.state().view_model().shares.list.as_ref().is_some_and(|l| {
            l.len() == 1 && l[0].title.as_deref() == Some("Harbour plans") && l[0].link.as_deref() == Some(&link)
        })
    });
    app.click_accesskit(REVOKE);
    app.click_accesskit(CONFIRM_REVOKE);
    app.wait_for("revoked in the list", |h| {
        h.state().view_model().shares.list.as_ref().is_some_and(|l| l[0].revoked_ms.is_some())
    });
    app.shot("shared-links");
    assert_eq!(server.block_on(open_link(&server.base, &parts)).unwrap_err(), ShareError::Revoked);
    app.close();
}
