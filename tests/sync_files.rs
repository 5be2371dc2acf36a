//! Attached files across devices, end to end: profiles on disk, the real
//! server (in-process, SQLite and its chunk folder) and the shell's
//! `pakchat sync [--files]`. A file attached on one device reaches the
//! other as sealed chunks, uploaded once however often it is attached; it
//! is downloaded on demand, checked whole, and never readable on the
//! server; a chunk the server altered is refused and nothing is kept.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::sync_rig::{Device, Rig, code_in, message, text};
use pakchat::domain::{Attachment, FileKind, HlcClock, Thread, ThreadId};
use pakchat::store::Store as _;

const CANARY: &str = "canary-file-5e1d-marmalade-harbour";

/// A text file of `len` bytes with the canary near its start and its end,
/// so it spans several chunks and each end is looked for.
fn document(len: usize) -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..len).map(|i| b"abcdefghijklmnopqrstuvwxyz \n"[i % 28]).collect();
    bytes[100..100 + CANARY.len()].copy_from_slice(CANARY.as_bytes());
    let end = len - 200;
    bytes[end..end + CANARY.len()].copy_from_slice(CANARY.as_bytes());
    bytes
}

/// Send a message in `thread` with `content` attached (and a preview).
fn send_with_file(device: &Device, thread: ThreadId, content: &[u8], note: &str) -> Attachment {
    let store = device.store();
    let mut clock = HlcClock::new(store.device_id());
    if store.thread(thread).unwrap().is_none() {
        store.put_thread(&Thread::new(thread, "Reading list".to_owned(), 0, clock.now())).unwrap();
    }
    let mut sent = message(&mut clock, thread, None, note);
    let file = Attachment::new(
        thread,
        "notes.txt",
        FileKind::Text,
        content.len() as u64,
        store.put_blob(content).unwrap(),
        clock.now(),
    );
    let preview = Some(store.put_blob(format!("preview of {note}").as_bytes()).unwrap());
    let attachment = Attachment { message_id: Some(sent.id), preview, ..file };
    sent.attachments.push(attachment.id);
    store.put_attachment(&attachment).unwrap();
    store.append_message(&sent).unwrap();
    store.flush().unwrap();
    attachment
}

/// Every file of the server's chunk store.
fn chunk_files(rig: &Rig) -> Vec<std::path::PathBuf> {
    let dir = rig.server.dir().join("chunks");
    if !dir.exists() {
        return Vec::new();
    }
    common::canary::files_under(&dir).into_iter().map(|(path, _)| path).collect()
}

/// A and B on one account, B joined with A's code.
fn two_devices(rig: &Rig) -> (Device, Device) {
    let (a, b) = (rig.device("ada"), rig.device("ada"));
    let code = code_in(&a.synced());
    let out = b.pakchat(&["account", "join"], &format!("{code}\n"));
    assert!(out.status.success(), "{}", text(&out));
    (a, b)
}

#[test]
fn a_file_attached_on_one_device_arrives_on_demand_checked_and_unreadable_on_the_server() {
    let rig = Rig::new();
    let (a, b) = two_devices(&rig);
    let thread = ThreadId::new();
    // Over two chunks of 1 MiB: three pieces.
    let content = document(2 * 1024 * 1024 + 4321);
    let attached = send_with_file(&a, thread, &content, "the notes, attached");
    let sent = a.synced();
    assert!(sent.contains("nothing waiting"), "{sent}");
    let uploaded = chunk_files(&rig);
    assert_eq!(uploaded.len(), 4, "three chunks of the file and one of its preview: {uploaded:?}");

    // B: the record and its message arrive, the file's content does not yet.
    let took = b.synced();
    assert!(took.contains("took in"), "{took}");
    let store = b.store();
    let here = store.attachment(thread, attached.id).unwrap().expect("the attachment record arrived");
    assert_eq!((here.name.as_str(), here.size), ("notes.txt", content.len() as u64));
    assert_eq!(store.blob(&here.blob).unwrap(), None, "downloaded only when wanted");
    assert_eq!(store.files_not_here(Some(thread)).unwrap().len(), 2);
    drop(store);

    // Wanted now: every file comes, checked, and is the same bytes.
    let out = b.pakchat(&["sync", "--files"], "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("downloaded 2, every file is here"), "{}", text(&out));
    let store = b.store();
    assert_eq!(store.blob(&here.blob).unwrap().as_deref(), Some(&content[..]));
    assert_eq!(store.blob(&here.preview.unwrap()).unwrap().as_deref(), Some(&b"preview of the notes, attached"[..]));
    assert!(store.files_not_here(None).unwrap().is_empty());
    drop(store);

    // The same file attached again (on A, and on B which received it):
    // no chunk is uploaded twice.
    send_with_file(&a, thread, &content, "again from A");
    a.synced();
    send_with_file(&b, thread, &content, "and from B");
    b.synced();
    let after = chunk_files(&rig);
    assert_eq!(after.len(), 4 + 2, "only the two new previews are new chunks: {after:?}");

    // The server holds the file sealed: no form of the canary or the file
    // name in any of its files (database, WAL, chunk folder).
    let files = common::canary::files_under(rig.server.dir());
    assert!(files.iter().any(|(p, _)| p.starts_with(rig.server.dir().join("chunks"))), "read the chunks");
    for secret in [CANARY, "notes.txt", "preview of the notes"] {
        for form in common::canary::forms(secret) {
            for (path, bytes) in &files {
                assert!(!common::canary::contains(bytes, &form), "{secret:?} in {}", path.display());
            }
        }
    }
}

#[test]
fn a_chunk_the_server_altered_is_refused_and_nothing_is_kept() {
    let rig = Rig::new();
    let (a, b) = two_devices(&rig);
    let thread = ThreadId::new();
    let content = document(300_000);
    let attached = send_with_file(&a, thread, &content, "one chunk");
    a.synced();
    b.synced();
    // The server flips one byte of every chunk it holds.
    for path in chunk_files(&rig) {
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x20;
        std::fs::write(&path, bytes).unwrap();
    }
    let out = b.pakchat(&["sync", "--files"], "");
    assert!(!out.status.success(), "an altered file is not a success: {}", text(&out));
    assert!(text(&out).contains("damaged or altered"), "{}", text(&out));
    let store = b.store();
    assert_eq!(store.blob(&attached.blob).unwrap(), None, "nothing altered is kept");
    assert_eq!(store.files_not_here(None).unwrap().len(), 2, "still wanted, for a later try");
    drop(store);
    // The chat itself is whole.
    assert_eq!(b.contents()[&thread].1.len(), 1);
}
