//! Attachments between two profiles of one account, without a server:
//! what goes out, when, and what the other side can and cannot read yet.

use std::sync::Arc;

use super::*;
use crate::{Argon2Params, KeySource, MemoryKv, SyncRecord};
use pakchat_core::{DeviceId, FileKind, Hlc, MessageId, Stamp};

const FAST: Argon2Params = Argon2Params { m_cost_kib: 8, t_cost: 1, p_cost: 1 };
const T: ThreadId = ThreadId(uuid::Uuid::from_u128(7));

fn store() -> Result<SealedStore, StoreError> {
    let source = KeySource::Passphrase(zeroize::Zeroizing::new("p".to_owned()));
    let store = SealedStore::create(Arc::new(MemoryKv::new()), &source, FAST)?;
    store.put_sync_key(Some((1, &[9; 32])))?;
    Ok(store)
}

fn stamp(millis: u64) -> Stamp {
    Stamp { hlc: Hlc { millis, counter: 0 }, device: DeviceId::from_bytes([1; 16]) }
}

fn attachment(
    store: &SealedStore,
    content: &[u8],
    message: Option<MessageId>,
    at: u64,
) -> Result<Attachment, StoreError> {
    let blob = store.put_blob(content)?;
    let preview = Some(store.put_blob(b"a small preview")?);
    let file = Attachment::new(T, "notes.txt", FileKind::Text, content.len() as u64, blob, stamp(at));
    Ok(Attachment { message_id: message, preview, ..file })
}

/// A manifest as the sync layer would make it: another id for the file
/// (the account's), the chunks' names made up.
fn manifest(account_id: u8, len: usize) -> FileManifest {
    FileManifest {
        blob: BlobId([account_id; 32]),
        len: len as u64,
        chunks: vec![format!("{account_id:02x}").repeat(32)],
    }
}

fn outgoing(store: &SealedStore, a: &Attachment) -> Result<SyncedAttachment, StoreError> {
    match store.outgoing(&Change::Attachment(a.thread_id, a.id))? {
        Some(SyncRecord::Attachment(s)) => Ok(s),
        other => panic!("an attachment, not {other:?}"),
    }
}

#[test]
fn an_attachment_syncs_once_sent_and_only_with_its_files_uploaded() -> Result<(), StoreError> {
    let a_side = store()?;
    let waiting = attachment(&a_side, b"composer only", None, 1)?;
    a_side.put_attachment(&waiting)?;
    assert!(a_side.outbox(10)?.is_empty(), "an attachment still in the composer does not sync");

    let sent = Attachment { message_id: Some(MessageId::new()), ..waiting };
    a_side.put_attachment(&sent)?;
    let marked: Vec<Change> = a_side.outbox(10)?.into_iter().map(|p| p.change).collect();
    assert_eq!(marked, vec![Change::Attachment(T, sent.id)]);
    assert!(!outgoing(&a_side, &sent)?.complete(), "its files are not uploaded yet");
    let to_upload = a_side.files_to_upload(10)?;
    assert_eq!(to_upload, vec![sent.blob, sent.preview.unwrap()]);

    let (file, preview) = (manifest(0xAA, 13), manifest(0xBB, 15));
    a_side.put_file_manifest(&sent.blob, &file)?;
    a_side.put_file_manifest(&sent.preview.unwrap(), &preview)?;
    assert!(a_side.files_to_upload(10)?.is_empty());
    let synced = outgoing(&a_side, &sent)?;
    assert!(synced.complete());
    assert_eq!(synced.attachment.blob, file.blob, "the file travels under its account-wide id");
    assert_eq!(synced.attachment.preview, Some(preview.blob));
    assert_eq!(synced.attachment.name, "notes.txt");

    // The other device: the record arrives, its content does not yet.
    let b_side = store()?;
    assert_eq!(b_side.apply_incoming(&SyncRecord::Attachment(synced.clone()))?, Applied::Added);
    assert!(b_side.outbox(10)?.is_empty(), "what came in is not sent back");
    assert_eq!(b_side.attachment(T, sent.id)?.map(|a| a.blob), Some(file.blob));
    assert_eq!(b_side.blob(&file.blob)?, None);
    let not_here = b_side.files_not_here(Some(T))?;
    assert_eq!(not_here, vec![file.clone(), preview.clone()]);
    assert!(b_side.files_not_here(Some(ThreadId::new()))?.is_empty(), "another chat's files are not named");

    let wrong_length = b_side.put_fetched_file(&file, b"too short");
    assert!(wrong_length.is_err(), "a fetched file of the wrong length is refused");
    b_side.put_fetched_file(&file, b"composer only")?;
    assert_eq!(b_side.blob(&file.blob)?.as_deref(), Some(&b"composer only"[..]));
    assert_eq!(b_side.files_not_here(None)?, vec![preview]);

    // As new as the copy here: kept; an older one too.
    assert_eq!(b_side.apply_incoming(&SyncRecord::Attachment(synced.clone()))?, Applied::Kept);
    let mut older = synced.clone();
    older.attachment.stamp = stamp(0);
    older.attachment.name = "older.txt".to_owned();
    assert_eq!(b_side.apply_incoming(&SyncRecord::Attachment(older))?, Applied::Kept);
    let mut newer = synced;
    newer.attachment.stamp = stamp(5);
    newer.attachment.name = "renamed.txt".to_owned();
    assert_eq!(b_side.apply_incoming(&SyncRecord::Attachment(newer))?, Applied::Replaced);
    assert_eq!(b_side.attachment(T, sent.id)?.map(|a| a.name), Some("renamed.txt".to_owned()));
    Ok(())
}

#[test]
fn a_file_neither_here_nor_uploaded_is_left_out_rather_than_blocking() -> Result<(), StoreError> {
    let store = store()?;
    let a = attachment(&store, b"content", Some(MessageId::new()), 1)?;
    store.put_attachment(&a)?;
    store.remove_blob(&a.preview.unwrap())?;
    store.put_file_manifest(&a.blob, &manifest(0xCC, 7))?;
    let synced = outgoing(&store, &a)?;
    assert!(synced.complete());
    assert_eq!(synced.attachment.preview, None, "a lost preview does not hold the record back");
    store.remove_blob(&a.blob)?;
    assert_eq!(store.outgoing(&Change::Attachment(T, a.id))?, None, "nothing to send without the file");
    Ok(())
}
