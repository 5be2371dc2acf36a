//! The shell interface, run as a script would run it: the release binary on
//! a profile folder, its output, its exit status, and what it left on disk.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))
}

/// `pakchat --data-dir DIR --key-file DIR/key ARGS…`.
fn pakchat(dir: &Path, args: &[&str]) -> Output {
    let key = dir.join("key");
    let data = dir.to_str().unwrap();
    let mut all = vec!["--data-dir", data, "--key-file", key.to_str().unwrap()];
    all.extend_from_slice(args);
    Command::new(env!("CARGO_BIN_EXE_pakchat")).args(&all).env("PAKCHAT_LOG", "error").output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The last line of standard error: where a failure says why.
fn last_error_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default().to_owned()
}

fn stats(dir: &Path) -> String {
    let out = pakchat(dir, &["stats"]);
    assert!(out.status.success(), "stats: {}", last_error_line(&out));
    stdout(&out)
}

#[test]
fn a_profile_is_filled_counted_and_exported_from_a_shell() {
    let dir = tempfile::tempdir().unwrap();
    let archive = fixtures().join("format2").join("expected.json");
    let out = pakchat(dir.path(), &["import", archive.to_str().unwrap()]);
    assert!(out.status.success(), "{}", last_error_line(&out));
    assert_eq!(stdout(&out).trim(), "Imported 2 chats with 11 messages and 2 files in 1 project.");
    assert!(String::from_utf8_lossy(&out.stderr).contains("importing 2 chats…"), "progress on stderr");

    let counted = stats(dir.path());
    for line in ["chats: 2", "deleted chats: 0", "messages: 11", "attachments: 2", "projects: 1"] {
        assert!(counted.lines().any(|l| l == line), "{line:?} in {counted}");
    }
    let bytes: u64 = counted.lines().find_map(|l| l.strip_prefix("bytes on disk: ")).unwrap().parse().unwrap();
    assert!(bytes > 10_000, "the profile's files are counted: {bytes}");

    // Importing the same file again adds nothing.
    let again = pakchat(dir.path(), &["import", archive.to_str().unwrap()]);
    assert!(stdout(&again).contains("2 chats were already here"), "{}", stdout(&again));
    let counts = |s: &str| s.lines().filter(|l| !l.starts_with("bytes on disk")).collect::<Vec<_>>().join("\n");
    assert_eq!(counts(&stats(dir.path())), counts(&counted));

    // The export holds every chat, message and file, and imports into a new profile.
    let exported = dir.path().join("everything.json");
    let out = pakchat(dir.path(), &["export", exported.to_str().unwrap()]);
    assert!(out.status.success(), "{}", last_error_line(&out));
    assert!(stdout(&out).starts_with("Exported 2 chats with 11 messages and 2 files"), "{}", stdout(&out));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&exported).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the chats in plain text are readable by their owner only");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().filter_map(Result::ok).collect();
    assert!(left.iter().all(|e| !e.file_name().to_string_lossy().contains(".partial")), "no partial file left");
    let other = tempfile::tempdir().unwrap();
    let out = pakchat(other.path(), &["import", exported.to_str().unwrap()]);
    assert_eq!(stdout(&out).trim(), "Imported 2 chats with 11 messages and 2 files in 1 project.");
}

#[test]
fn bad_input_is_one_line_exit_2_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profiles").join("default");

    let out = pakchat(dir.path(), &["stats"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(last_error_line(&out).starts_with("pakchat: there is no profile at "), "{}", last_error_line(&out));
    assert!(!profile.exists(), "asking made no profile");

    let pdf = fixtures().join("two_pages.pdf");
    let out = pakchat(dir.path(), &["import", pdf.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let why = last_error_line(&out);
    assert!(why.ends_with("nothing was imported: this file is not a readable export: expected a Pak.Chat archive or a ChatGPT conversations.json (a JSON document)"), "{why}");
    assert!(!profile.exists(), "a refused file made no profile");

    let out = pakchat(dir.path(), &["import", "/no/such/file.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(last_error_line(&out).starts_with("pakchat: /no/such/file.json: "), "{}", last_error_line(&out));

    let out = pakchat(dir.path(), &["export"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("pakchat: export needs a FILE"));
}

#[test]
fn a_chatgpt_export_with_a_damaged_conversation_imports_the_rest_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixtures().join("chatgpt").join("conversations.json")).unwrap();
    let mut conversations: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let whole = conversations.len();
    conversations.insert(1, serde_json::json!({ "title": "Broken one", "mapping": 42 }));
    let file = dir.path().join("conversations.json");
    std::fs::write(&file, serde_json::to_vec(&conversations).unwrap()).unwrap();

    let out = pakchat(dir.path(), &["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", last_error_line(&out));
    let said = stdout(&out);
    assert!(said.contains("Not imported (unreadable): “Broken one” ("), "the damaged one is named: {said}");
    // The fixture's conversations that hold messages all came in.
    let mut scratch = pakchat::domain::HlcClock::new(pakchat::domain::DeviceId::from_bytes([1; 16]));
    let expected = pakchat::archive::parse(text.as_bytes(), &mut || scratch.now()).unwrap().threads.len();
    assert!(expected >= 2 && expected <= whole);
    assert!(said.starts_with(&format!("Imported {expected} chats")), "{said}");
}

#[test]
fn a_profile_the_app_holds_open_is_refused_with_the_apps_message() {
    let dir = tempfile::tempdir().unwrap();
    let archive = fixtures().join("format2").join("expected.json");
    assert!(pakchat(dir.path(), &["import", archive.to_str().unwrap()]).status.success());
    // Held as the app holds it: sled's lock on the profile.
    let held = pakchat::store::SledKv::open(&dir.path().join("profiles").join("default")).unwrap();
    let out = pakchat(dir.path(), &["stats"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(last_error_line(&out), "pakchat: the profile is already open in another Pak.Chat window or process");
    drop(held);
    assert!(pakchat(dir.path(), &["stats"]).status.success(), "free again once the app closes");
}

#[test]
fn opening_after_a_large_delete_gives_disk_space_back_with_progress_and_keeps_everything() {
    use pakchat::store::{Kv as _, Table};
    let dir = tempfile::tempdir().unwrap();
    let archive = fixtures().join("format2").join("expected.json");
    assert!(pakchat(dir.path(), &["import", archive.to_str().unwrap()]).status.success());
    let counted = stats(dir.path());
    // 40 MiB written and deleted (as a large chat deleted for good leaves it).
    let profile = dir.path().join("profiles").join("default");
    let kv = pakchat::store::SledKv::open(&profile).unwrap();
    let junk: Vec<u8> = (0..256 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    for i in 0..160u32 {
        kv.insert(Table::Blobs, &[b"junk".as_slice(), &i.to_be_bytes()].concat(), &junk).unwrap();
    }
    kv.flush().unwrap();
    for i in 0..160u32 {
        kv.remove(Table::Blobs, &[b"junk".as_slice(), &i.to_be_bytes()].concat()).unwrap();
    }
    kv.flush().unwrap();
    drop(kv);

    let out = pakchat(dir.path(), &["stats"]);
    assert!(out.status.success(), "{}", last_error_line(&out));
    let said = String::from_utf8_lossy(&out.stderr);
    for step in ["0%", "100%"] {
        let line = format!("pakchat: giving back disk space after large deletions… {step}");
        assert!(said.lines().any(|l| l == line), "{line:?} in {said}");
    }
    let counts = |s: &str| s.lines().filter(|l| !l.starts_with("bytes on disk")).collect::<Vec<_>>().join("\n");
    assert_eq!(counts(&stdout(&out)), counts(&counted), "every chat, message and file kept");
    let bytes: u64 = stdout(&out).lines().find_map(|l| l.strip_prefix("bytes on disk: ")).unwrap().parse().unwrap();
    assert!(bytes < 20 * 1024 * 1024, "the 40 MiB went back to the disk: {bytes} bytes left");
    // Once: the next open copies nothing.
    let again = pakchat(dir.path(), &["stats"]);
    assert!(!String::from_utf8_lossy(&again.stderr).contains("giving back"), "only once");
}
