//! [`SealedStore`]: the [`Store`] implementation that seals every record.

use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::crypto::{KeyBytes, Sealer, derive_subkey, record_aad};
use super::keys::{self, Argon2Params, FORMAT_VERSION, Header, KeySource, ProtectionKind};
use super::kv::{Kv, Table};
use super::search;

mod account;
mod api_keys;
mod blobs;
mod codec;
mod devices;
mod drafts;
mod files;
mod ids;
mod indexing;
mod migrate;
mod outbox;
mod reply;
use super::{MessageSlot, ProjectSlot, Store, StoreError, ThreadSlot, Unreadable};
pub use api_keys::ApiKeyRecord;
pub use drafts::DraftRecord;
pub use files::SyncedAttachment;
pub use ids::Merged;
pub use outbox::{Applied, Change, LOCAL_SETTINGS, Pending, SyncRecord};
use pakchat_core::{
    Attachment, AttachmentId, BlobId, Branches, DeviceId, Message, MessageId, Project, ProjectId, Settings, Stamp,
    Thread, ThreadId,
};

pub(crate) const HEADER_KEY: &[u8] = b"header";
pub(crate) const SETTINGS_KEY: &[u8] = b"settings";

/// A profile whose records are all sealed with a sub-key of its data key.
pub struct SealedStore {
    kv: Arc<dyn Kv>,
    header: Header,
    records: Sealer,
    /// Key of the keyed hash that names blobs.
    blob_ids: KeyBytes,
    /// Key of the keyed hash that names message ids in `message-ids`.
    message_ids: KeyBytes,
    /// The blind search index's key.
    search: search::Index,
    /// Serialises position allocation in [`Store::append_message`].
    append: Mutex<()>,
    /// Local changes are marked for sync (the profile has a sync key).
    syncing: AtomicBool,
    /// Serialises marking and clearing outbox entries.
    outbox_lock: Mutex<()>,
    /// The next outbox mark (starts at the clock in microseconds, so marks
    /// made after a restart differ from those before).
    outbox_marks: AtomicU64,
}

impl std::fmt::Debug for SealedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedStore").field("protection", &self.header.protection.kind()).finish_non_exhaustive()
    }
}

/// Messages read or removed at once when a chat is purged.
pub(super) const PURGE_PAGE: usize = 4096;

fn attachment_key(thread: ThreadId, id: AttachmentId) -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(thread.as_bytes());
    key[16..].copy_from_slice(id.as_bytes());
    key
}

fn draft_key(thread: ThreadId, device: DeviceId) -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(thread.as_bytes());
    key[16..].copy_from_slice(device.as_bytes());
    key
}

pub(crate) fn message_key(thread: ThreadId, index: u64) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..16].copy_from_slice(thread.as_bytes());
    key[16..].copy_from_slice(&index.to_be_bytes());
    key
}

impl SealedStore {
    /// The header of the profile in `kv`, if one was created.
    ///
    /// # Errors
    /// Engine failure or a header that does not parse.
    pub fn read_header(kv: &dyn Kv) -> Result<Option<Header>, StoreError> {
        let Some(bytes) = kv.get(Table::Meta, HEADER_KEY)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| StoreError::CorruptHeader(e.to_string()))
    }

    /// Create a new profile in an empty `kv`, protected by `source`.
    ///
    /// # Errors
    /// [`StoreError::AlreadyExists`] if `kv` has a header; key source failures.
    pub fn create(kv: Arc<dyn Kv>, source: &KeySource, params: Argon2Params) -> Result<Self, StoreError> {
        if Self::read_header(kv.as_ref())?.is_some() {
            return Err(StoreError::AlreadyExists);
        }
        let (header, dek) = keys::new_header(source, params, pakchat_core::wall_millis())?;
        let bytes = serde_json::to_vec(&header).map_err(|e| StoreError::CorruptHeader(e.to_string()))?;
        kv.insert(Table::Meta, HEADER_KEY, &bytes)?;
        kv.flush()?;
        let records = Sealer::new(&derive_subkey(&dek, header.store_id.as_bytes(), "pakchat/records/v1"));
        let blob_ids = derive_subkey(&dek, header.store_id.as_bytes(), "pakchat/blob-ids/v1");
        let message_ids = derive_subkey(&dek, header.store_id.as_bytes(), "pakchat/message-ids/v1");
        let search_key = derive_subkey(&dek, header.store_id.as_bytes(), "pakchat/search/v1");
        let search = search::Index::open(kv.as_ref(), &search_key, records.clone())?;
        Ok(Self::assemble(kv, header, records, blob_ids, message_ids, search))
    }

    /// Open an existing profile with the key from `source`. A wrong key is
    /// rejected before anything is written.
    ///
    /// # Errors
    /// [`StoreError::WrongKey`], [`StoreError::NewerFormat`], source failures.
    pub fn unlock(kv: Arc<dyn Kv>, source: &KeySource) -> Result<Self, StoreError> {
        let Some(header) = Self::read_header(kv.as_ref())? else {
            return Err(StoreError::CorruptHeader("no profile has been created here".to_owned()));
        };
        if header.format_version > FORMAT_VERSION {
            return Err(StoreError::NewerFormat(header.format_version));
        }
        let dek = keys::unwrap_dek(&header, source)?;
        let records = Sealer::new(&derive_subkey(&dek, header.store_id.as_bytes(), "pakchat/records/v1"));
        let blob_ids = derive_subkey(&dek, header.store_id.as_bytes(), "pakchat/blob-ids/v1");
        let message_ids = derive_subkey(&dek, header.store_id.as_bytes(), "pakchat/message-ids/v1");
        let search_key = derive_subkey(&dek, header.store_id.as_bytes(), "pakchat/search/v1");
        let search = search::Index::open(kv.as_ref(), &search_key, records.clone())?;
        let mut store = Self::assemble(kv, header, records, blob_ids, message_ids, search);
        store.migrate()?;
        store.recover_index()?;
        let syncing = store.read_sync_key()?.is_some();
        store.syncing.store(syncing, std::sync::atomic::Ordering::Relaxed);
        Ok(store)
    }

    fn assemble(
        kv: Arc<dyn Kv>,
        header: Header,
        records: Sealer,
        blob_ids: KeyBytes,
        message_ids: KeyBytes,
        search: search::Index,
    ) -> Self {
        let marks = pakchat_core::wall_millis().saturating_mul(1000);
        Self {
            kv,
            header,
            records,
            blob_ids,
            message_ids,
            search,
            append: Mutex::new(()),
            syncing: AtomicBool::new(false),
            outbox_lock: Mutex::new(()),
            outbox_marks: AtomicU64::new(marks),
        }
    }

    /// The draft `thread` shows ("" when none): the newest of its
    /// devices' drafts (see `sealed/drafts.rs`).
    fn draft_of(&self, thread: ThreadId) -> Result<String, StoreError> {
        self.newest_draft(thread)
    }

    /// [`Store::append_message`] with the append lock already held;
    /// `local`: made here (marked for sync), not merged from elsewhere.
    fn append_unlocked(&self, message: &Message, local: bool) -> Result<u64, StoreError> {
        let index = self.message_count(message.thread_id)?;
        let changes = if local { vec![Change::Message(message.thread_id, index)] } else { Vec::new() };
        self.marking(&changes, || {
            // The id first: an entry without its message is never believed.
            self.note_id(message.thread_id, message.id, index)?;
            self.reindex(message.thread_id, index, Some(message))?;
            self.put_message(&message_key(message.thread_id, index), message)
        })?;
        Ok(index)
    }

    /// [`Store::update_message`] without marking it for sync.
    fn replace_message(&self, thread: ThreadId, index: u64, message: &Message) -> Result<(), StoreError> {
        self.note_id(thread, message.id, index)?;
        self.reindex(thread, index, Some(message))?;
        self.put_message(&message_key(thread, index), message)?;
        self.drop_chunks(thread, Some(index))
    }

    /// The profile header (plain data only).
    #[must_use]
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The id a blob of `bytes` has in this profile: HMAC-SHA256 under a key
    /// derived from the data key, so equal files share one blob and the id
    /// tells nothing to anyone without the key.
    #[must_use]
    pub fn blob_id(&self, bytes: &[u8]) -> BlobId {
        use hmac::Mac as _;
        let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(self.blob_ids.as_ref()) else {
            unreachable!("HMAC takes keys of any length");
        };
        mac.update(bytes);
        BlobId(mac.finalize().into_bytes().into())
    }

    fn put<T: Serialize>(&self, table: Table, key: &[u8], value: &T) -> Result<(), StoreError> {
        let plain = zeroize::Zeroizing::new(
            serde_json::to_vec(value).map_err(|e| StoreError::CorruptHeader(format!("encode: {e}")))?,
        );
        let sealed = self.records.seal(&record_aad(table.name(), key), &plain).map_err(StoreError::Random)?;
        self.kv.insert(table, key, &sealed)?;
        Ok(())
    }

    fn open<T: DeserializeOwned>(&self, table: Table, key: &[u8], sealed: &[u8]) -> Result<T, Unreadable> {
        let unreadable = |reason: String| Unreadable { table: table.name(), reason };
        let plain = self.records.open(&record_aad(table.name(), key), sealed).map_err(|e| unreadable(e.to_string()))?;
        serde_json::from_slice(&plain).map_err(|e| unreadable(format!("opened but not a valid record: {e}")))
    }
}

impl Drop for SealedStore {
    /// Postings still in memory are written (a crash instead leaves them to
    /// the next start's recovery).
    fn drop(&mut self) {
        let written = self.search.write_pending(self.kv.as_ref()).and_then(|()| Ok(self.kv.flush()?));
        if let Err(e) = written {
            tracing::warn!(err = %e, "search postings could not be written at close; the next start writes them");
        }
    }
}

impl Store for SealedStore {
    fn protection(&self) -> ProtectionKind {
        self.header.protection.kind()
    }

    fn device_id(&self) -> DeviceId {
        self.header.device_id
    }

    fn put_thread(&self, thread: &Thread) -> Result<(), StoreError> {
        // The draft is not part of the record (see [`Store::put_draft`]).
        let record = Thread { draft: String::new(), ..thread.clone() };
        self.marking(&[Change::Thread(thread.id)], || self.put(Table::Threads, thread.id.as_bytes(), &record))
    }

    fn thread(&self, id: ThreadId) -> Result<Option<Thread>, StoreError> {
        let Some(bytes) = self.kv.get(Table::Threads, id.as_bytes())? else {
            return Ok(None);
        };
        let mut thread: Thread = self.open(Table::Threads, id.as_bytes(), &bytes)?;
        thread.draft = self.draft_of(id)?;
        Ok(Some(thread))
    }

    fn put_draft(&self, thread: ThreadId, text: &str) -> Result<(), StoreError> {
        self.write_draft(thread, text)
    }

    fn threads(&self) -> Result<Vec<ThreadSlot>, StoreError> {
        let entries = self.kv.scan_prefix(Table::Threads, &[])?;
        Ok(entries
            .into_iter()
            .map(|(key, value)| {
                let id = <[u8; 16]>::try_from(key.as_slice())
                    .map_or_else(|_| ThreadId::from_bytes([0; 16]), ThreadId::from_bytes);
                match self.open::<Thread>(Table::Threads, &key, &value) {
                    Ok(mut thread) => match self.draft_of(thread.id) {
                        Ok(draft) => {
                            thread.draft = draft;
                            ThreadSlot::Ok(thread)
                        }
                        // An unreadable draft costs the draft, not the chat.
                        Err(e) => {
                            tracing::warn!(err = %e, "a draft could not be read");
                            ThreadSlot::Ok(thread)
                        }
                    },
                    Err(reason) => ThreadSlot::Unreadable { id, reason },
                }
            })
            .collect())
    }

    fn put_project(&self, project: &Project) -> Result<(), StoreError> {
        self.marking(&[Change::Project(project.id)], || self.put(Table::Projects, project.id.as_bytes(), project))
    }

    fn project(&self, id: ProjectId) -> Result<Option<Project>, StoreError> {
        let Some(bytes) = self.kv.get(Table::Projects, id.as_bytes())? else {
            return Ok(None);
        };
        Ok(Some(self.open(Table::Projects, id.as_bytes(), &bytes)?))
    }

    fn projects(&self) -> Result<Vec<ProjectSlot>, StoreError> {
        let entries = self.kv.scan_prefix(Table::Projects, &[])?;
        Ok(entries
            .into_iter()
            .map(|(key, value)| {
                let id = <[u8; 16]>::try_from(key.as_slice())
                    .map_or_else(|_| ProjectId::from_bytes([0; 16]), ProjectId::from_bytes);
                match self.open(Table::Projects, &key, &value) {
                    Ok(project) => ProjectSlot::Ok(project),
                    Err(reason) => ProjectSlot::Unreadable { id, reason },
                }
            })
            .collect())
    }

    fn append_message(&self, message: &Message) -> Result<u64, StoreError> {
        let _guard = self.append.lock().unwrap_or_else(PoisonError::into_inner);
        self.append_unlocked(message, true)
    }

    fn update_message(&self, thread: ThreadId, index: u64, message: &Message) -> Result<(), StoreError> {
        self.marking(&[Change::Message(thread, index)], || self.replace_message(thread, index, message))
    }

    fn position_of(&self, thread: ThreadId, id: MessageId) -> Result<Option<u64>, StoreError> {
        self.find_message(thread, id)
    }

    fn merge_message(&self, message: &Message) -> Result<Merged, StoreError> {
        self.merge(message)
    }

    fn append_to_reply(&self, thread: ThreadId, index: u64, text: &str, reasoning: &str) -> Result<(), StoreError> {
        self.append_chunk(thread, index, text, reasoning)
    }

    fn account(&self) -> Result<Option<pakchat_core::Account>, StoreError> {
        self.read_account()
    }

    fn put_account(&self, account: Option<&pakchat_core::Account>) -> Result<(), StoreError> {
        self.write_account(account)
    }

    fn device_note(&self, note: crate::DeviceNote) -> Result<Option<String>, StoreError> {
        self.read_note(note)
    }

    fn put_device_note(&self, note: crate::DeviceNote, text: Option<&str>) -> Result<(), StoreError> {
        self.write_note(note, text)
    }

    fn sync_key(&self) -> Result<Option<crate::SyncKey>, StoreError> {
        self.read_sync_key()
    }

    fn put_sync_key(&self, key: Option<(u32, &[u8; 32])>) -> Result<(), StoreError> {
        self.write_sync_key(key)?;
        self.set_syncing(key.is_some())
    }

    fn outbox(&self, limit: usize) -> Result<Vec<Pending>, StoreError> {
        self.read_outbox(limit)
    }

    fn outgoing(&self, change: &Change) -> Result<Option<SyncRecord>, StoreError> {
        self.read_outgoing(change)
    }

    fn sent(&self, done: &[Pending]) -> Result<(), StoreError> {
        self.clear_sent(done)
    }

    fn apply_incoming(&self, record: &SyncRecord) -> Result<Applied, StoreError> {
        self.apply(record)
    }

    fn device_names(&self) -> Result<Vec<pakchat_core::DeviceName>, StoreError> {
        self.read_device_names()
    }

    fn put_device_name(&self, name: &pakchat_core::DeviceName) -> Result<(), StoreError> {
        self.write_device_name(name)
    }

    fn sync_cursor(&self) -> Result<Option<(String, u64)>, StoreError> {
        self.read_cursor()
    }

    fn put_sync_cursor(&self, cursor: Option<(&str, u64)>) -> Result<(), StoreError> {
        self.write_cursor(cursor)
    }

    fn message_count(&self, thread: ThreadId) -> Result<u64, StoreError> {
        let last = self.kv.last_with_prefix(Table::Messages, thread.as_bytes())?;
        Ok(last
            .and_then(|(key, _)| <[u8; 8]>::try_from(key.get(16..24)?).ok())
            .map_or(0, |b| u64::from_be_bytes(b) + 1))
    }

    fn messages(&self, thread: ThreadId, start: u64, len: usize) -> Result<Vec<MessageSlot>, StoreError> {
        let end = start.saturating_add(len as u64);
        let entries = self.kv.range(Table::Messages, &message_key(thread, start), &message_key(thread, end), len)?;
        Ok(entries
            .into_iter()
            .map(|(key, value)| {
                let index = key.get(16..24).and_then(|b| <[u8; 8]>::try_from(b).ok()).map_or(0, u64::from_be_bytes);
                match self.open_message(&key, &value).and_then(|m| self.with_chunks(thread, index, m)) {
                    Ok(message) => MessageSlot::Ok(message),
                    Err(reason) => MessageSlot::Unreadable(reason),
                }
            })
            .collect())
    }

    fn branches(&self, thread: ThreadId) -> Result<Branches, StoreError> {
        let Some(bytes) = self.kv.get(Table::Branches, thread.as_bytes())? else {
            return Ok(Branches::default());
        };
        Ok(self.open::<Branches>(Table::Branches, thread.as_bytes(), &bytes)?.restored())
    }

    fn put_branches(&self, thread: ThreadId, branches: &Branches) -> Result<(), StoreError> {
        self.put(Table::Branches, thread.as_bytes(), branches)
    }

    fn put_blob(&self, bytes: &[u8]) -> Result<BlobId, StoreError> {
        self.write_blob(bytes)
    }

    fn blob(&self, id: &BlobId) -> Result<Option<Vec<u8>>, StoreError> {
        self.read_blob(id)
    }

    fn remove_blob(&self, id: &BlobId) -> Result<(), StoreError> {
        self.delete_blob(id)
    }

    fn put_attachment(&self, attachment: &Attachment) -> Result<(), StoreError> {
        let key = attachment_key(attachment.thread_id, attachment.id);
        if attachment.message_id.is_none() {
            // Waiting in the composer: not synced yet.
            return self.put(Table::Attachments, &key, attachment);
        }
        self.marking(&[Change::Attachment(attachment.thread_id, attachment.id)], || {
            self.put(Table::Attachments, &key, attachment)
        })
    }

    fn attachment(&self, thread: ThreadId, id: AttachmentId) -> Result<Option<Attachment>, StoreError> {
        let key = attachment_key(thread, id);
        let Some(bytes) = self.kv.get(Table::Attachments, &key)? else { return Ok(None) };
        Ok(Some(self.open(Table::Attachments, &key, &bytes)?))
    }

    fn attachments(&self, thread: ThreadId) -> Result<Vec<Result<Attachment, Unreadable>>, StoreError> {
        let entries = self.kv.scan_prefix(Table::Attachments, thread.as_bytes())?;
        Ok(entries.into_iter().map(|(key, value)| self.open(Table::Attachments, &key, &value)).collect())
    }

    fn remove_attachment(&self, thread: ThreadId, id: AttachmentId) -> Result<(), StoreError> {
        Ok(self.kv.remove(Table::Attachments, &attachment_key(thread, id))?)
    }

    fn files_to_upload(&self, limit: usize) -> Result<Vec<BlobId>, StoreError> {
        self.read_files_to_upload(limit)
    }

    fn put_file_manifest(&self, blob: &BlobId, manifest: &pakchat_core::FileManifest) -> Result<(), StoreError> {
        self.write_manifest(blob, manifest)
    }

    fn files_not_here(&self, thread: Option<ThreadId>) -> Result<Vec<pakchat_core::FileManifest>, StoreError> {
        self.read_files_not_here(thread)
    }

    fn put_fetched_file(&self, manifest: &pakchat_core::FileManifest, bytes: &[u8]) -> Result<(), StoreError> {
        self.write_fetched_file(manifest, bytes)
    }

    fn purge_thread_content(&self, thread: ThreadId) -> Result<Vec<BlobId>, StoreError> {
        let mut blobs = Vec::new();
        for (key, value) in self.kv.scan_prefix(Table::Attachments, thread.as_bytes())? {
            if let Ok(a) = self.open::<Attachment>(Table::Attachments, &key, &value) {
                blobs.extend(a.blobs());
            }
            self.kv.remove(Table::Attachments, &key)?;
        }
        self.unindex_thread(thread)?;
        let (start, end) = (message_key(thread, 0), message_key(thread, u64::MAX));
        loop {
            let page = self.kv.range(Table::Messages, &start, &end, PURGE_PAGE)?;
            if page.is_empty() {
                break;
            }
            for (key, _) in page {
                self.kv.remove(Table::Messages, &key)?;
            }
        }
        self.drop_chunks(thread, None)?;
        self.drop_ids(thread)?;
        self.kv.remove(Table::Branches, thread.as_bytes())?;
        for (key, _) in self.kv.scan_prefix(Table::Drafts, thread.as_bytes())? {
            self.kv.remove(Table::Drafts, &key)?;
        }
        Ok(blobs)
    }

    fn blobs_in_use(&self) -> Result<std::collections::HashSet<BlobId>, StoreError> {
        let mut used = std::collections::HashSet::new();
        for (key, value) in self.kv.scan_prefix(Table::Attachments, &[])? {
            if let Ok(a) = self.open::<Attachment>(Table::Attachments, &key, &value) {
                used.extend(a.blobs());
            }
        }
        Ok(used)
    }

    fn settings(&self) -> Result<Settings, StoreError> {
        let Some(bytes) = self.kv.get(Table::Settings, SETTINGS_KEY)? else {
            return Ok(Settings::default());
        };
        Ok(self.open(Table::Settings, SETTINGS_KEY, &bytes)?)
    }

    fn put_settings(&self, settings: &Settings) -> Result<(), StoreError> {
        self.write_settings(&self.settings()?, settings)
    }

    fn api_key(&self, provider: &str) -> Result<Option<zeroize::Zeroizing<String>>, StoreError> {
        let Some(bytes) = self.kv.get(Table::Secrets, provider.as_bytes())? else {
            return Ok(None);
        };
        let key: String = self.open(Table::Secrets, provider.as_bytes(), &bytes)?;
        Ok(Some(zeroize::Zeroizing::new(key)).filter(|k| !k.is_empty()))
    }

    fn put_api_key(&self, provider: &str, key: Option<&str>, stamp: Stamp) -> Result<(), StoreError> {
        self.write_api_key(provider, key, stamp)
    }

    fn search(&self, query: &str, limit: usize) -> Result<Vec<(u64, Message)>, StoreError> {
        let terms = search::terms(query);
        let mut hits = Vec::new();
        for (thread, position) in self.search.query(self.kv.as_ref(), query, limit)? {
            if let Some(MessageSlot::Ok(message)) = self.messages(thread, position, 1)?.pop()
                && search::matches_all(&message.content, &terms)
            {
                hits.push((position, message));
            }
        }
        Ok(hits)
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(self.kv.flush()?)
    }
}
