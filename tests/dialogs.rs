//! A desktop where no file dialog can open (no XDG portal, no zenity):
//! every action that needs one says so or saves into the fallback folder;
//! none does nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use pakchat::backend::{
    Argon2Params, BackendConfig, BackendHandle, Command, Event, ExportFormat, ExportWhat, FilePicker, Runtime,
    StoreLocation, start,
};
use pakchat::domain::ThreadId;

/// The next event that `want` takes, within 20 s.
fn next(backend: &BackendHandle, what: &str, want: impl Fn(&Event) -> bool) -> Event {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match backend.try_recv() {
            Some(e) if want(&e) => return e,
            Some(_) => {}
            None => std::thread::sleep(Duration::from_millis(5)),
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
    }
}

#[test]
fn without_a_file_dialog_saves_go_to_the_downloads_folder_and_opening_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let downloads = dir.path().join("Downloads");
    std::fs::create_dir(&downloads).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = BackendConfig {
        location: StoreLocation::Directory(dir.path().join("profile")),
        key_file: Some(dir.path().join("key")),
        argon2: Argon2Params { m_cost_kib: 1024, t_cost: 1, p_cost: 1 },
        use_keychain: false,
        retry: pakchat::providers::RetryPolicy::default(),
        picker: FilePicker::Missing { save_dir: downloads.clone() },
        lockdown: pakchat::backend::Lockdown::default(),
        browser: None,
    };
    let (backend, stopped) = start(&Runtime::new(rt.handle().clone()), config, || {});
    next(&backend, "the profile", |e| matches!(e, Event::Unlocked { .. }));
    let thread = ThreadId::new();
    assert!(backend.send(Command::CreateThread { id: thread, project: None }));
    assert!(backend.send(Command::RenameThread { id: thread, title: "Trip notes".to_owned() }));
    next(&backend, "the renamed thread", |e| format!("{e:?}").contains("Trip notes"));

    // Saving twice: two files side by side, the first never overwritten.
    for expected in ["Trip notes.md", "Trip notes (2).md"] {
        let what = ExportWhat::Thread { id: thread, format: ExportFormat::Markdown };
        assert!(backend.send(Command::Export { what }));
        let said =
            next(&backend, "the export", |e| matches!(e, Event::Status { message: Some(m) } if m.contains("Saved")));
        let path = downloads.join(expected);
        assert!(format!("{said:?}").contains(&path.display().to_string()), "{said:?} names {}", path.display());
        assert!(std::fs::read_to_string(&path).unwrap().contains("Trip notes"), "{expected} holds the chat");
    }
    // Opening: told why, and what to do instead.
    assert!(backend.send(Command::PickFiles { thread }));
    let said = next(&backend, "the attach refusal", |e| matches!(e, Event::AttachmentRejected { .. }));
    assert!(format!("{said:?}").contains("No file dialog can open on this desktop"), "{said:?}");
    assert!(format!("{said:?}").contains("Drop files onto the window"), "{said:?}");
    assert!(backend.send(Command::Import));
    let said = next(&backend, "the import refusal", |e| matches!(e, Event::Error { .. }));
    assert!(format!("{said:?}").contains("No file dialog can open on this desktop"), "{said:?}");

    assert!(backend.send(Command::Shutdown));
    drop(backend);
    assert!(stopped.wait(Duration::from_secs(10)));
}
