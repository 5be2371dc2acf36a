//! Sync between this profile and its account's server (ARCHITECTURE.md,
//! "Accounts and sync"): the store as a [`pakchat_sync::Replica`], and
//! [`sync_once`], one round of sending and taking in, used by
//! `pakchat sync` and the app's sync task.
//!
//! On the wire a record is `{id, kind}` plus the sealed JSON of the core
//! type: threads (`t-<uuid>`, kind `thread`), messages (`m-<uuid>`,
//! `message`), projects (`p-<uuid>`, `project`) and settings one field at a
//! time (`s-<field>`, `setting`, the field's JSON value), the names devices
//! give themselves (`d-<device id>`, `device`), each device's drafts
//! (`r-<keyed hash of thread and device>`, `draft`), and API keys while the
//! user syncs them (`k-<keyed hash of the provider>`, `api-key`), and
//! attachments sent with a message (`a-<uuid>`, `attachment`: the record
//! and where its files' sealed chunks are). Files go up before the records
//! that name them (`upload_files`), and come down when shown or sent
//! ([`fetch_files`]), or all at once after each round while "Keep all files
//! offline" is on. What opens but
//! does not match its envelope (another id, stamp or tombstone flag than
//! the envelope shows) is skipped like a record that does not open.

use pakchat_core::{BlobId, DeviceName, FileManifest, Message, Project, Thread, ThreadId};
use pakchat_protocol::{Kind, RecordId};
use pakchat_sync::{
    AccountKey, FileError, FileKeys, Outgoing, Record, Replica, ReplicaError, Report, Server, SyncError, Waiting,
};
use zeroize::Zeroizing;

use crate::store::{Applied, Pending, Store, StoreError, SyncRecord};

const THREAD: &str = "thread";
const MESSAGE: &str = "message";
const PROJECT: &str = "project";
const SETTING: &str = "setting";
const DEVICE: &str = "device";
const API_KEY: &str = "api-key";
const DRAFT: &str = "draft";
const ATTACHMENT: &str = "attachment";
/// Files uploaded per look at what waits.
const UPLOAD_BATCH: usize = 16;

/// A profile's records, as the sync engine sees them.
pub struct StoreReplica<'a>(pub &'a dyn Store);

fn local(e: &StoreError) -> ReplicaError {
    ReplicaError::Local(e.to_string())
}

fn wire_id(prefix: &str, id: impl std::fmt::Display) -> Result<RecordId, ReplicaError> {
    RecordId::new(format!("{prefix}-{id}")).map_err(|e| ReplicaError::Local(e.to_string()))
}

/// The envelope fields and plain content of `record`.
fn outgoing(record: &SyncRecord) -> Result<Outgoing, ReplicaError> {
    let (id, kind, json) = match record {
        SyncRecord::Thread(t) => (wire_id("t", t.id.0.simple())?, THREAD, serde_json::to_vec(t)),
        SyncRecord::Message(m) => (wire_id("m", m.id.0.simple())?, MESSAGE, serde_json::to_vec(m)),
        SyncRecord::Project(p) => (wire_id("p", p.id.0.simple())?, PROJECT, serde_json::to_vec(p)),
        SyncRecord::Setting { field, value, .. } => (wire_id("s", field)?, SETTING, serde_json::to_vec(value)),
        SyncRecord::Device(d) => (wire_id("d", d.device.0.simple())?, DEVICE, serde_json::to_vec(d)),
        SyncRecord::ApiKey(k) => (wire_id("k", &k.id)?, API_KEY, serde_json::to_vec(k)),
        SyncRecord::Draft(d) => (wire_id("r", &d.id)?, DRAFT, serde_json::to_vec(d)),
        SyncRecord::Attachment(a) => (wire_id("a", a.attachment.id.0.simple())?, ATTACHMENT, serde_json::to_vec(a)),
    };
    let plaintext = Zeroizing::new(json.map_err(|e| ReplicaError::Local(format!("encode: {e}")))?);
    let kind = Kind::new(kind).map_err(|e| ReplicaError::Local(e.to_string()))?;
    Ok(Outgoing { record: Record { id, kind, stamp: record.stamp(), deleted: record.deleted() }, plaintext })
}

/// The record an envelope carries, checked against what the envelope shows.
fn incoming(record: &Record, plain: &[u8]) -> Result<SyncRecord, ReplicaError> {
    fn parse<T: serde::de::DeserializeOwned>(plain: &[u8]) -> Result<T, ReplicaError> {
        serde_json::from_slice(plain).map_err(|e| ReplicaError::Unusable(format!("content: {e}")))
    }
    let got = match record.kind.as_str() {
        THREAD => SyncRecord::Thread(parse::<Thread>(plain)?),
        MESSAGE => SyncRecord::Message(parse::<Message>(plain)?),
        PROJECT => SyncRecord::Project(parse::<Project>(plain)?),
        DEVICE => SyncRecord::Device(parse::<DeviceName>(plain)?),
        API_KEY => SyncRecord::ApiKey(parse::<crate::store::ApiKeyRecord>(plain)?),
        DRAFT => SyncRecord::Draft(parse::<crate::store::DraftRecord>(plain)?),
        ATTACHMENT => SyncRecord::Attachment(parse::<crate::store::SyncedAttachment>(plain)?),
        SETTING => {
            let field = record.id.as_str().strip_prefix("s-").unwrap_or_default().to_owned();
            SyncRecord::Setting { field, value: parse(plain)?, stamp: record.stamp }
        }
        other => return Err(ReplicaError::Unusable(format!("kind {other:?} is from a newer version"))),
    };
    let shown = outgoing(&got)?.record;
    if shown != *record {
        return Err(ReplicaError::Unusable("its content does not match its envelope".to_owned()));
    }
    Ok(got)
}

impl Replica for StoreReplica<'_> {
    type Token = Pending;

    fn pending(&self, limit: usize) -> Result<Waiting<Pending>, ReplicaError> {
        let mut out = Vec::new();
        for pending in self.0.outbox(limit).map_err(|e| local(&e))? {
            let record = self.0.outgoing(&pending.change).map_err(|e| local(&e))?;
            if matches!(&record, Some(SyncRecord::Attachment(a)) if !a.complete()) {
                // Its files are not all uploaded (they came since this
                // round uploaded): it waits for the next round.
                continue;
            }
            out.push((pending, record.as_ref().map(outgoing).transpose()?));
        }
        Ok(out)
    }

    fn sent(&self, done: Vec<Pending>) -> Result<(), ReplicaError> {
        self.0.sent(&done).map_err(|e| local(&e))
    }

    fn incoming(&self, record: &Record, plaintext: &[u8]) -> Result<bool, ReplicaError> {
        let got = incoming(record, plaintext)?;
        match self.0.apply_incoming(&got) {
            Ok(applied) => Ok(applied != Applied::Kept),
            Err(e) => Err(local(&e)),
        }
    }

    fn cursor(&self, user: &str) -> Result<u64, ReplicaError> {
        let cursor = self.0.sync_cursor().map_err(|e| local(&e))?;
        Ok(cursor.filter(|(whose, _)| whose == user).map_or(0, |(_, seq)| seq))
    }

    fn set_cursor(&self, user: &str, seq: u64) -> Result<(), ReplicaError> {
        self.0.put_sync_cursor(Some((user, seq))).map_err(|e| local(&e))
    }
}

/// Whether work left over on a record stamped by `device` (a reply cut
/// off, a deletion to finish) is this profile's to finish: all of it on a
/// profile that does not sync; on one that does, only what was stamped
/// here, as another device finishes its own.
///
/// # Errors
/// The store.
pub(crate) fn finishes_here(store: &dyn Store, device: pakchat_core::DeviceId) -> Result<bool, StoreError> {
    Ok(device == store.device_id() || store.sync_key()?.is_none())
}

/// Why a round of sync could not run or stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncFailure {
    /// Not signed in (or the server ended the session).
    #[error("not signed in: sign in first (pakchat account sign-in)")]
    SignedOut,
    /// Signed in, but this device has no sync key yet.
    #[error("this device has no sync key yet: run pakchat sync on the first device, or join with the recovery code")]
    NoKey,
    /// The server or the store.
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The store.
    #[error("this device's store failed: {0}")]
    Store(String),
}

/// One round of sync for the profile `store`: send what waits, take in
/// what is new. Needs an account and the sync key.
///
/// # Errors
/// See [`SyncFailure`]; nothing waiting is lost.
pub async fn sync_once(store: &dyn Store) -> Result<Report, SyncFailure> {
    sync_with(store, &StoreReplica(store), &mut Connection::default()).await
}

/// What the sync task keeps between rounds: the server's client (with its
/// open connections) and the user's id, for the session they were made
/// for (a new session, after signing in again or a rotation, makes them
/// afresh).
#[derive(Default)]
pub(crate) struct Connection {
    made_for: Option<(String, String)>,
    server: Option<Server>,
    user: Option<String>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("open", &self.server.is_some()).finish_non_exhaustive()
    }
}

/// [`sync_once`] through `replica` (the store, seen through something that
/// also notes what came in), over `connection`.
///
/// # Errors
/// See [`SyncFailure`].
pub(crate) async fn sync_with<R: Replica + Sync>(
    store: &dyn Store,
    replica: &R,
    connection: &mut Connection,
) -> Result<Report, SyncFailure> {
    let store_err = |e: StoreError| SyncFailure::Store(e.to_string());
    let account = store.account().map_err(store_err)?.filter(|a| !a.expired).ok_or(SyncFailure::SignedOut)?;
    let (key_id, key) = store.sync_key().map_err(store_err)?.ok_or(SyncFailure::NoKey)?;
    crate::devices::ensure_named(store).map_err(store_err)?;
    let session = (account.server.clone(), account.token.clone());
    if connection.made_for.as_ref() != Some(&session) {
        *connection = Connection {
            server: Some(Server::new(&account.server, &account.token)?),
            made_for: Some(session),
            user: None,
        };
    }
    let Some(server) = connection.server.as_ref() else { return Err(SyncFailure::SignedOut) };
    let user = match connection.user.clone() {
        Some(user) => user,
        None => match server.user_id().await {
            Err(SyncError::SignedOut) => return Err(SyncFailure::SignedOut),
            other => {
                let user = other?;
                connection.user = Some(user.clone());
                user
            }
        },
    };
    let key = AccountKey::from_bytes(*key);
    let files = FileKeys::new(&key);
    let keys = pakchat_sync::Keys { key: &key, key_id, user: &user };
    let signed_out = |e: SyncError| if e == SyncError::SignedOut { SyncFailure::SignedOut } else { e.into() };
    upload_files(store, server, &files, &user).await.map_err(signed_out)?;
    let report = pakchat_sync::sync_once(server, &keys, replica).await.map_err(signed_out)?;
    if store.settings().map_err(store_err)?.keep_files_offline {
        let (_, damaged) = fetch_with(store, server, &files, &user, None, None).await.map_err(signed_out)?;
        if let Some(e) = damaged {
            // Not the round's failure: the records are in; the file is
            // tried again after the next round.
            tracing::warn!(err = %e, "a file kept offline could not be fetched");
        }
    }
    Ok(report)
}

/// Put the files of waiting attachments on the server, each once.
async fn upload_files(store: &dyn Store, server: &Server, files: &FileKeys, user: &str) -> Result<(), SyncError> {
    let store_err = |e: StoreError| SyncError::Local(e.to_string());
    loop {
        let batch = store.files_to_upload(UPLOAD_BATCH).map_err(store_err)?;
        if batch.is_empty() {
            return Ok(());
        }
        for blob in batch {
            let Some(bytes) = store.blob(&blob).map_err(store_err)? else {
                return Err(SyncError::Local("a file to upload vanished from this device".to_owned()));
            };
            let manifest = pakchat_sync::upload_file(server, files, user, &bytes).await?;
            store.put_file_manifest(&blob, &manifest).map_err(store_err)?;
        }
    }
}

/// Fetch the files of synced attachments that are not here yet: those of
/// `thread` (or every one), only those `only` names when it does. Each is
/// checked whole before it is kept; a file that fails its checks is left
/// out and the others still come. How many came, and why the last one that
/// failed its checks did.
async fn fetch_with(
    store: &dyn Store,
    server: &Server,
    files: &FileKeys,
    user: &str,
    thread: Option<ThreadId>,
    only: Option<&[BlobId]>,
) -> Result<(usize, Option<FileError>), SyncError> {
    let store_err = |e: StoreError| SyncError::Local(e.to_string());
    let mut fetched = 0;
    let mut damaged = None;
    let wanted = |m: &FileManifest| only.is_none_or(|only| only.contains(&m.blob));
    for manifest in store.files_not_here(thread).map_err(store_err)?.into_iter().filter(wanted) {
        match pakchat_sync::download_file(server, files, user, &manifest).await {
            Ok(bytes) => {
                store.put_fetched_file(&manifest, &bytes).map_err(store_err)?;
                fetched += 1;
            }
            Err(FileError::Server(e)) => return Err(e),
            Err(e) => {
                tracing::warn!(err = %e, "a synced file could not be fetched");
                damaged = Some(e);
            }
        }
    }
    Ok((fetched, damaged))
}

/// Fetch the files of `thread`'s synced attachments (every chat's with
/// `None`; only those `only` names when it does) that are not on this
/// device yet; how many came.
///
/// # Errors
/// Not signed in, no sync key, the server; a file the server sent damaged
/// is an error only when no file came.
pub async fn fetch_files(
    store: &dyn Store,
    thread: Option<ThreadId>,
    only: Option<&[BlobId]>,
) -> Result<usize, SyncFailure> {
    let store_err = |e: StoreError| SyncFailure::Store(e.to_string());
    let missing = store.files_not_here(thread).map_err(store_err)?;
    if !missing.iter().any(|m| only.is_none_or(|only| only.contains(&m.blob))) {
        return Ok(0);
    }
    let account = store.account().map_err(store_err)?.filter(|a| !a.expired).ok_or(SyncFailure::SignedOut)?;
    let (_, key) = store.sync_key().map_err(store_err)?.ok_or(SyncFailure::NoKey)?;
    let server = Server::new(&account.server, &account.token)?;
    let user = match server.user_id().await {
        Err(SyncError::SignedOut) => return Err(SyncFailure::SignedOut),
        other => other?,
    };
    let files = FileKeys::new(&AccountKey::from_bytes(*key));
    match fetch_with(store, &server, &files, &user, thread, only).await {
        Err(SyncError::SignedOut) => Err(SyncFailure::SignedOut),
        Err(e) => Err(e.into()),
        Ok((0, Some(damaged))) => Err(SyncError::Refused(damaged.to_string()).into()),
        Ok((fetched, _)) => Ok(fetched),
    }
}

/// How many changes wait to be sent, counting up to `cap`.
///
/// # Errors
/// The store failed.
pub fn waiting(store: &dyn Store, cap: usize) -> Result<usize, StoreError> {
    Ok(store.outbox(cap)?.len())
}
