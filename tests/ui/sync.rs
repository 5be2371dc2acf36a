//! Two apps, two profiles of one person, one server: a message sent on A
//! shows on B, a rename on B shows on A, both live (pokes, no polling);
//! the foot of the sidebar says Synced, then Offline with the changes
//! waiting while the line to the server is cut, and Synced again once it
//! is back, with nothing lost; coming back to the window runs a round. Sync is turned on in one app and joined in
//! the other with the code, which then lists both devices and signs the
//! first out; the first says so at once, keeping its chats. A photo sent
//! on A is downloaded on B when its row shows it, whole when opened.

use super::*;

const CLIENT: &str = "pakchat-ui-sync-test";

/// A profile signed in to `base` with `token`, holding the account key.
fn signed_in_profile(dir: &std::path::Path, base: &str, token: String, key: (u32, [u8; 32])) {
    seeded_store(dir, |store, _| {
        let account = pakchat::domain::Account {
            server: base.to_owned(),
            token,
            expires_ms: i64::MAX,
            user: pakchat::domain::AccountUser {
                name: "Ada Lovelace".to_owned(),
                email: "ada@example.com".to_owned(),
                picture: String::new(),
            },
            avatar: None,
            expired: false,
        };
        store.put_account(Some(&account)).unwrap();
        store.put_sync_key(Some((key.0, &key.1))).unwrap();
    });
}

/// Two profiles of one person on `server` (reached at `base`), both
/// holding the account key (made on the server); B's session token too.
fn two_profiles(
    server: &common::server::LocalServer,
    issuer: &str,
    base: &str,
) -> (tempfile::TempDir, tempfile::TempDir, String) {
    let claims = serde_json::json!({ "sub": "ada", "email": "ada@example.com", "name": "Ada Lovelace" });
    let token = || server.block_on(common::peers::session_token(&server.base, issuer, CLIENT, claims.clone()));
    let (token_a, token_b) = (token(), token());
    let first = pakchat_sync::Server::new(&server.base, &token_a).unwrap();
    let cheap = pakchat_sync::KdfParams { m_cost_kib: 1024, t_cost: 1, p_cost: 1 };
    let (key, key_id, _code) = server.block_on(pakchat_sync::create_account_key(&first, cheap)).unwrap();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    signed_in_profile(dir_a.path(), base, token_a, (key_id, *key.as_bytes()));
    signed_in_profile(dir_b.path(), base, token_b.clone(), (key_id, *key.as_bytes()));
    (dir_a, dir_b, token_b)
}

fn sync_line(h: &egui_kittest::Harness<'static, pakchat::ui::PakApp>) -> String {
    pakchat::ui::account::sync_words(&h.state().view_model().sync).0
}

#[test]
fn two_devices_see_each_others_changes_live_and_the_footer_follows_the_line() {
    let idp = common::peers::oidc_mock();
    let server = common::server::LocalServer::start(&idp.base, CLIENT);
    let mut line = common::proxy::Proxy::start(&server.base);
    let (dir_a, dir_b, token_b) = two_profiles(&server, &idp.base, &line.base);

    let mut a = new_app(config(dir_a.path(), true));
    a.wait_ready();
    let mut b = new_app(config(dir_b.path(), true));
    b.wait_ready();
    a.wait_for("A synced", |h| sync_line(h) == "Synced" && present(h, "Synced"));
    b.wait_for("B synced", |h| sync_line(h) == "Synced");

    // Sent on A (no model yet: the message is kept, and the keys prompt shows).
    a.type_in_composer("Hello from device A");
    a.harness.key_press(Key::Enter);
    a.wait_for("the message stored on A", |h| {
        present(h, "Hello from device A") && h.state().view_model().pending_ids().is_empty()
    });
    // On B, without touching it: the chat arrives, and opens with the message.
    b.wait_for("A's chat on B", |h| present(h, "Hello from device A"));
    b.open_chat("Hello from device A");
    b.wait_for("A's message on B", |h| {
        last_message_of(h).is_some_and(|m| m.content == "Hello from device A" && m.role == MsgRole::User)
    });

    // Renamed on B, seen on A.
    b.chat_menu("Rename");
    b.harness.get_by_role_and_label(Role::TextInput, "Title").focus();
    b.harness.step();
    b.harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    b.harness.step();
    b.harness.get_by_role_and_label(Role::TextInput, "Title").type_text("Renamed on B");
    b.harness.step();
    b.harness.key_press(Key::Enter);
    b.wait_for("the rename on B", |h| h.query_all_by_label("Renamed on B").count() >= 2);
    a.wait_for("B's rename on A", |h| present(h, "Renamed on B"));

    // The line goes: a rename on A waits, and the foot of the sidebar says so.
    line.cut();
    a.chat_menu("Rename");
    a.harness.get_by_role_and_label(Role::TextInput, "Title").focus();
    a.harness.step();
    a.harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    a.harness.step();
    a.harness.get_by_role_and_label(Role::TextInput, "Title").type_text("Renamed offline on A");
    a.harness.step();
    a.harness.key_press(Key::Enter);
    a.wait_for("offline, one change waiting", |h| sync_line(h).starts_with("Offline — 1 change waiting, retrying"));
    a.shot("sync-offline");
    assert!(!b.has_label("Renamed offline on A"));

    // Back: "Sync now" sends it at once, and B gets it.
    line.restore();
    // (Sync now is both in A's open settings and at the foot of its sidebar.)
    a.harness.query_all_by_label(pakchat::ui::account::SYNC_NOW).next().expect("Sync now on A").click();
    a.harness.step();
    a.wait_for("synced again", |h| sync_line(h) == "Synced");
    b.wait_for("the offline rename on B", |h| present(h, "Renamed offline on A"));
    b.shot("sync-synced");

    // Coming back to the window runs a round, with nothing poked.
    std::thread::sleep(std::time::Duration::from_millis(50));
    let before = b.harness.state().view_model().sync.1;
    b.harness.input_mut().focused = false;
    b.harness.step();
    b.harness.input_mut().focused = true;
    b.wait_for("a round on coming back to the window", |h| h.state().view_model().sync.1 > before);

    // The server ends B's session: the next round says so as the account's
    // state (sign in again), and sync stops there; nothing local goes.
    let ended =
        reqwest::blocking::Client::new().delete(format!("{}/v1/session", server.base)).bearer_auth(&token_b).send();
    assert!(ended.unwrap().status().is_success());
    b.click(pakchat::ui::account::SYNC_NOW);
    b.wait_for("B signed out by the server", |h| {
        matches!(h.state().view_model().account, pakchat::backend::AccountView::Expired { .. })
            && sync_line(h).is_empty()
    });
    assert!(b.has_label("Renamed offline on A"), "the chats stay");
    a.close();
    b.close();
}

fn last_message_of(h: &egui_kittest::Harness<'static, pakchat::ui::PakApp>) -> Option<Message> {
    let open = h.state().view_model().open.as_ref()?;
    match &open.rows.get(&open.count.checked_sub(1)?)?.content {
        pakchat::ui::view_model::RowContent::Message(m) => Some(m.clone()),
        pakchat::ui::view_model::RowContent::Unreadable(_) => None,
    }
}

/// A profile signed in to `base` with the session `token` gives for its
/// device id, without the account key.
fn signed_in_without_key(dir: &std::path::Path, base: &str, token: impl FnOnce(&str) -> String) {
    seeded_store(dir, |store, _| {
        let token = token(&store.device_id().0.to_string());
        let account = pakchat::domain::Account {
            server: base.to_owned(),
            token,
            expires_ms: i64::MAX,
            user: pakchat::domain::AccountUser {
                name: "Grace".to_owned(),
                email: "grace@example.com".to_owned(),
                picture: String::new(),
            },
            avatar: None,
            expired: false,
        };
        store.put_account(Some(&account)).unwrap();
        let id = ThreadId::new();
        store.put_thread(&Thread::new(id, "Written before sync".to_owned(), 0, stamp())).unwrap();
        store.append_message(&message(id, "kept from before".to_owned())).unwrap();
    });
}

#[test]
fn sync_is_turned_on_in_the_app_and_a_second_device_joins_with_the_code() {
    use pakchat::ui::account::{CODE_SAVED, JOIN, RECOVERY_CODE, TURN_ON_SYNC};
    use pakchat::ui::devices::{CONFIRM_SIGN_OUT, SIGN_OUT_DEVICE};
    let idp = common::peers::oidc_mock();
    let server = common::server::LocalServer::start(&idp.base, CLIENT);
    let claims = serde_json::json!({ "sub": "grace", "email": "grace@example.com", "name": "Grace" });
    let token = |device: &str| {
        server.block_on(common::peers::session_token_on(&server.base, &idp.base, CLIENT, claims.clone(), Some(device)))
    };
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    signed_in_without_key(dir_a.path(), &server.base, token);
    seeded_store(dir_b.path(), |store, _| {
        let account = pakchat::domain::Account {
            server: server.base.clone(),
            token: token(&store.device_id().0.to_string()),
            expires_ms: i64::MAX,
            user: pakchat::domain::AccountUser::default(),
            avatar: None,
            expired: false,
        };
        store.put_account(Some(&account)).unwrap();
    });

    // A: "Sync is off", turned on from the foot of the sidebar.
    let mut a = new_app(config(dir_a.path(), true));
    a.wait_ready();
    a.wait_for("sync off", |h| sync_line(h) == "Sync is off on this device");
    a.wait_for("A's account in the footer", |h| present(h, "grace@example.com"));
    a.click("Turn on…");
    a.wait_for("Settings → Account", |h| present(h, TURN_ON_SYNC));
    a.click(TURN_ON_SYNC);
    a.wait_for("the recovery code", |h| h.state().view_model().recovery_code.is_some());
    let code = a.harness.state().view_model().recovery_code.as_ref().unwrap().to_string();
    assert!(a.has_label(&code), "the code is on screen");
    a.shot("sync-recovery-code");
    a.wait_for("A synced", |h| sync_line(h) == "Synced");
    a.click(CODE_SAVED);
    a.wait_for("the code gone", |h| h.state().view_model().recovery_code.is_none() && !present(h, &code));

    // B: a wrong code is refused and changes nothing; the right one joins.
    let mut b = new_app(config(dir_b.path(), true));
    b.wait_ready();
    b.wait_for("sync off on B", |h| sync_line(h) == "Sync is off on this device");
    // The footer settled (the account's name and address come in their own
    // event and push "Turn on…" down): a click aimed before that misses.
    b.wait_for("B's account in the footer", |h| present(h, "grace@example.com"));
    b.click("Turn on…");
    b.wait_for("Settings → Account on B", |h| present(h, RECOVERY_CODE));
    b.type_into(Role::TextInput, RECOVERY_CODE, "0123-4567-89AB-CDEF-GHJK-MNPQ");
    b.click(JOIN);
    b.shot("sync-join");
    let refused = "that recovery code does not unlock this account";
    let said = |h: &egui_kittest::Harness<'static, pakchat::ui::PakApp>| {
        h.state().view_model().enrol_error.clone().filter(|e| e.contains(refused) && present(h, e))
    };
    b.wait_for("the wrong code refused beside the field", |h| said(h).is_some());
    b.shot("sync-wrong-code");
    assert_eq!(sync_line(&b.harness), "Sync is off on this device");
    b.type_into(Role::TextInput, RECOVERY_CODE, &code.to_lowercase());
    b.click(JOIN);
    b.wait_for("B synced", |h| sync_line(h) == "Synced");
    b.wait_for("A's chat from before sync, on B", |h| present(h, "Written before sync"));
    assert!(said(&b.harness).is_none(), "the refusal goes once sync is on");
    assert!(b.harness.state().view_model().errors.iter().next().is_none(), "and left no banner behind");

    // B chooses to sync API keys: the choice reaches A by itself.
    b.click(pakchat::ui::account::SYNC_API_KEYS);
    b.wait_for("B syncs keys", |h| h.state().view_model().settings.syncs_api_keys());
    a.wait_for("A syncs keys too", |h| h.state().view_model().settings.syncs_api_keys());

    // Settings → Account on B lists both devices, B as this one; B signs A
    // out (a second click confirms) and A, on its next round, says so.
    let devices = |h: &egui_kittest::Harness<'static, pakchat::ui::PakApp>| {
        h.state().view_model().devices.list.as_ref().map(|l| (l.len(), l.iter().filter(|d| d.current).count()))
    };
    // A named itself when it first synced; B knows the name once it pulled.
    let named = |h: &egui_kittest::Harness<'static, pakchat::ui::PakApp>| {
        let list = h.state().view_model().devices.list.clone().unwrap_or_default();
        list.iter().all(|d| d.name == pakchat::backend::devices::default_name())
    };
    b.wait_for("both devices listed by name", |h| devices(h) == Some((2, 1)) && named(h) && present(h, "Devices"));
    b.shot("sync-devices");
    // (Below the sync choices, scrolled out of the window's view.)
    b.click_accesskit(SIGN_OUT_DEVICE);
    b.click_accesskit(CONFIRM_SIGN_OUT);
    b.wait_for("B alone in the list", |h| devices(h) == Some((1, 1)));
    // A hears it on its own: the server ends its live stream, and A says
    // it is signed out without being asked to sync.
    a.wait_for("A signed out by B", |h| {
        matches!(h.state().view_model().account, pakchat::backend::AccountView::Expired { .. })
    });
    a.wait_for("A keeps its chat", |h| present(h, "Written before sync"));
    a.close();
    b.close();
}

#[test]
fn a_deletion_made_on_another_device_waits_for_its_final_tombstone_before_a_purge_here() {
    use pakchat::domain::{HlcClock, Thread, ThreadId};
    let dir = tempfile::tempdir().unwrap();
    let (here, elsewhere) = (ThreadId::new(), ThreadId::new());
    seeded_store(dir.path(), |store, _| {
        store.put_sync_key(Some((1, &[6; 32]))).unwrap();
        let mut clock = HlcClock::new(store.device_id());
        // Deleted here, its undo window closed with the app; and deleted on
        // another device, whose undo window may still be open there.
        for (id, stamp) in [(here, clock.now()), (elsewhere, stamp())] {
            let mut t = Thread::new(id, format!("chat {id:?}"), 0, stamp);
            store.put_thread(&t).unwrap();
            store.append_message(&message(id, "kept until the deletion is final".to_owned())).unwrap();
            t.deleted = true;
            store.put_thread(&t).unwrap();
        }
    });
    let mut app = new_app(config(dir.path(), true));
    app.wait_ready();
    app.close();
    let kv = Arc::new(SledKv::open_patiently(&dir.path().join("profile"), Duration::from_secs(5)).unwrap());
    let store = SealedStore::unlock(kv, &KeySource::KeyFile(dir.path().join("key"))).unwrap();
    assert_eq!(store.message_count(here).unwrap(), 0, "this device's own deletion is finished");
    assert_eq!(store.message_count(elsewhere).unwrap(), 1, "the other device's waits for its final tombstone");
}

/// A photo sent on A shows on B: its preview is downloaded when the row
/// shows it (offline, the row says it did not download and offers to try
/// again), and the full image when B opens it in the viewer.
#[test]
fn a_photo_sent_on_one_device_is_downloaded_on_the_other_when_shown() {
    let idp = common::peers::oidc_mock();
    let server = common::server::LocalServer::start(&idp.base, CLIENT);
    let mut line = common::proxy::Proxy::start(&server.base);
    let (dir_a, dir_b, _) = two_profiles(&server, &idp.base, &line.base);
    let photo = dir_a.path().join("harbour.jpg");
    let mut jpeg = Vec::new();
    image::RgbImage::from_fn(640, 480, |x, y| image::Rgb([(x / 3) as u8, (y / 2) as u8, 160]))
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new(&mut jpeg))
        .unwrap();
    std::fs::write(&photo, &jpeg).unwrap();

    let mut a = new_app(config(dir_a.path(), true));
    a.wait_ready();
    let mut b = new_app(config(dir_b.path(), true));
    b.wait_ready();
    a.wait_for("A synced", |h| sync_line(h) == "Synced");
    a.harness.input_mut().dropped_files.push(Arc::new(Dropped(photo)));
    let chip = format!("harbour.jpg · {}", pakchat::media::human_size(jpeg.len() as u64));
    a.wait_for("the photo waiting in A's composer", |h| present(h, &chip));
    a.type_in_composer("The harbour this morning");
    a.harness.key_press(Key::Enter);
    a.wait_for("the message with its photo stored on A", |h| {
        present(h, "The harbour this morning") && h.state().view_model().pending_ids().is_empty()
    });

    b.wait_for("A's chat on B", |h| present(h, "The harbour this morning"));
    // The photo's record goes only once its files are up, possibly a round
    // after the message's: A done, and a moment for B's pull of it (cut
    // before that, B's row has no photo to offer again).
    a.wait_for("A synced the photo", |h| sync_line(h) == "Synced");
    for _ in 0..30 {
        a.harness.step();
        b.harness.step();
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // B's line to the server goes before it shows the chat.
    line.cut();
    b.open_chat("The harbour this morning");
    let again = "harbour.jpg did not download · Try again";
    b.wait_for("the row saying the preview did not download", |h| present(h, again));
    b.shot("sync-photo-not-downloaded");
    line.restore();
    b.click(again);
    let shown = |h: &egui_kittest::Harness<'static, pakchat::ui::PakApp>| {
        h.state().view_model().open.as_ref().is_some_and(|o| !o.view.textures.is_empty())
    };
    b.wait_for("the photo's preview, downloaded, on B", shown);
    assert!(!b.has_label("Loading image…"));
    b.shot("sync-photo-preview");
    b.harness.get_by_label("harbour.jpg").click();
    b.harness.step();
    b.wait_for("the whole photo in B's viewer", |h| {
        h.state().view_model().viewer.as_ref().is_some_and(|v| v.image.as_ref().is_some_and(|i| i.size == [640, 480]))
    });
    b.shot("sync-photo-viewer");
    a.close();
    b.close();
}
