//! A profile written by the release before the store rework (format 2:
//! `tests/fixtures/format2`, made by `examples/format2_fixture.rs` with that
//! release's code) opens with today's code, migrated, and holds everything
//! it held: compared with the export made when it was written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use pakchat::store::keys::FORMAT_VERSION;
use pakchat::store::{KeySource, Kv as _, SealedStore, SledKv, Store};

fn fixture() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/format2"))
}

/// Copy the folder `from` into `to`, with what is in its folders.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// A copy of the fixture to work on (the committed one stays as made).
fn copy_of_fixture(to: &Path) {
    copy_dir(&fixture().join("profile"), &to.join("profile"));
    std::fs::copy(fixture().join("key"), to.join("key")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // A checkout does not keep the key file's 0600.
        std::fs::set_permissions(to.join("key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// The export as JSON, without the moment it was made.
fn export_json(store: &dyn Store) -> serde_json::Value {
    let (archive, _) = pakchat::archive::export_all(store).unwrap();
    let mut json: serde_json::Value = serde_json::from_slice(&pakchat::archive::to_json(&archive).unwrap()).unwrap();
    json["exported_ms"] = 0.into();
    json
}

#[test]
fn a_format_2_profile_opens_and_holds_everything_it_held() {
    let dir = tempfile::tempdir().unwrap();
    copy_of_fixture(dir.path());
    let kv = Arc::new(SledKv::open(&dir.path().join("profile")).unwrap());
    let store = SealedStore::unlock(kv.clone(), &KeySource::KeyFile(dir.path().join("key"))).unwrap();
    assert_eq!(store.header().format_version, FORMAT_VERSION, "migrated to today's format");
    // Format 3: the one draft left its thread's record for a record of its own.
    assert_eq!(kv.scan_prefix(pakchat::store::Table::Drafts, &[]).unwrap().len(), 1, "the draft as its own record");

    let mut then: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture().join("expected.json")).unwrap()).unwrap();
    then["exported_ms"] = 0.into();
    let now = export_json(&store);
    // Every thread (with its draft, system prompt, mode, project), every
    // message of every branch and which branch is shown, every attachment
    // with its bytes, the project with its knowledge and the settings.
    assert_eq!(now["threads"].as_array().map(Vec::len), Some(2), "the two chats: {now:#}");
    assert_eq!(now, then, "the profile holds what it held when written");

    // What an export does not carry: the deleted chat's tombstone, the API
    // key, and search.
    let tombstones = store
        .threads()
        .unwrap()
        .into_iter()
        .filter(|t| matches!(t, pakchat::store::ThreadSlot::Ok(t) if t.deleted && t.title == "Deleted chat"))
        .count();
    assert_eq!(tombstones, 1);
    let key = store.api_key("openai").unwrap();
    assert_eq!(key.as_deref().map(String::as_str), Some("sk-format2-fixture-not-a-real-key"));
    // Format 5: every message is found by its id, at its position.
    let mut found = 0;
    for slot in store.threads().unwrap() {
        let pakchat::store::ThreadSlot::Ok(thread) = slot else { continue };
        let count = store.message_count(thread.id).unwrap();
        let slots = store.messages(thread.id, 0, 1000).unwrap();
        assert_eq!(slots.len() as u64, count);
        for (at, slot) in slots.into_iter().enumerate() {
            let pakchat::store::MessageSlot::Ok(m) = slot else { panic!("message {at} unreadable") };
            assert_eq!(store.position_of(thread.id, m.id).unwrap(), Some(at as u64), "{:?}", m.id);
            found += 1;
        }
    }
    assert!(found >= 6, "the fixture's messages ({found})");
    let hits = store.search("passu", 10).unwrap();
    let texts: Vec<&str> = hits.iter().map(|(_, m)| m.content.as_str()).collect();
    assert_eq!(texts.len(), 2, "both messages naming Passu: {texts:?}");
    assert!(texts.iter().all(|t| t.contains("Passu")));
}

#[test]
fn the_fixture_holds_no_plaintext_of_its_user() {
    let db = std::fs::read(fixture().join("profile").join("db")).unwrap();
    for canary in ["Passu", "Ada Lovelace", "sk-format2-fixture", "Biryani", "route.png"] {
        let found = db.windows(canary.len()).any(|w| w == canary.as_bytes());
        assert!(!found, "{canary:?} is readable in the profile's file");
    }
}
