//! Encryption at rest and persistence.
//!
//! Layers, inner to outer: [`kv`] (raw tables: sled natively; on the web
//! `IdbKv`, IndexedDB behind an in-memory mirror; memory for tests),
//! [`crypto`] (AES-256-GCM seal/open bound to table and key), [`keys`]
//! (data key wrapped by keychain, passphrase or key file), and
//! [`SealedStore`], which implements the [`Store`] trait the backend uses.
//!
//! Records that fail to open come back as [`Unreadable`] with the reason;
//! they are never decoded as something else and never silently rewritten.

pub mod archive;
pub mod crypto;
#[cfg(target_arch = "wasm32")]
pub mod idb_kv;
#[cfg(target_arch = "wasm32")]
pub mod js_error;
pub mod keychain;
pub mod keys;
pub mod kv;
pub mod private_dir;
mod sealed;
pub mod search;
#[cfg(not(target_arch = "wasm32"))]
mod sled_kv;
#[cfg(target_arch = "wasm32")]
pub mod stretch_worker;

#[cfg(target_arch = "wasm32")]
pub use idb_kv::{IdbKv, TabChange, TabHooks};
pub use keys::{Argon2Params, Header, KeySource, Protection, ProtectionKind};
pub use kv::{Kv, KvError, MemoryKv, Table};
pub use sealed::{
    ApiKeyRecord, Applied, Change, DraftRecord, LOCAL_SETTINGS, Merged, Pending, SealedStore, SyncRecord,
    SyncedAttachment,
};
#[cfg(not(target_arch = "wasm32"))]
pub use sled_kv::{CACHE_CAPACITY_BYTES, GivingBack, MIN_RECLAIM_BYTES, Reclaimable, SledKv};

use pakchat_core::{
    Attachment, AttachmentId, BlobId, Branches, DeviceId, Message, MessageId, Project, ProjectId, Settings, Stamp,
    Thread, ThreadId,
};

/// The account's sync key as a device keeps it: its number and its bytes
/// (wiped from memory on drop).
pub type SyncKey = (u32, zeroize::Zeroizing<[u8; 32]>);

/// A failure of the store as a whole (as opposed to one unreadable record).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The storage engine failed.
    #[error(transparent)]
    Kv(#[from] KvError),
    /// The passphrase or key does not open this profile.
    #[error("that passphrase or key does not unlock this profile")]
    WrongKey,
    /// The profile is protected another way than the one offered.
    #[error("this profile is protected by {0:?}, not by the key offered")]
    WrongProtection(ProtectionKind),
    /// The key file is missing, unreadable, too open, or not a key file.
    #[error("key file problem: {0}")]
    KeyFile(String),
    /// The OS keychain refused or is absent.
    #[error("system keychain problem: {0}")]
    Keychain(String),
    /// Written by a newer Pak.Chat.
    #[error("this profile was written by a newer Pak.Chat (format {0}); please update")]
    NewerFormat(u32),
    /// The header cannot be parsed.
    #[error("the profile header is damaged: {0}")]
    CorruptHeader(String),
    /// `create` on a profile that exists.
    #[error("a profile already exists here")]
    AlreadyExists,
    /// A single record that had to be read could not be opened.
    #[error(transparent)]
    Unreadable(#[from] Unreadable),
    /// The profile has not been unlocked yet.
    #[error("the profile is not unlocked yet")]
    NotOpen,
    /// The OS gave no randomness.
    #[error("no randomness from the operating system: {0}")]
    Random(getrandom::Error),
}

/// Why one record cannot be shown.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unreadable {table} record: {reason}")]
pub struct Unreadable {
    /// Table name.
    pub table: &'static str,
    /// What failed (authentication, version, format).
    pub reason: String,
}

/// A thread record or the reason it cannot be read.
#[derive(Clone, Debug, PartialEq)]
pub enum ThreadSlot {
    /// Opened fine.
    Ok(Thread),
    /// Its id is known (from the key) but its content is not.
    Unreadable {
        /// The thread's id.
        id: ThreadId,
        /// Why.
        reason: Unreadable,
    },
}

/// A project record or the reason it cannot be read.
#[derive(Clone, Debug, PartialEq)]
pub enum ProjectSlot {
    /// Opened fine.
    Ok(Project),
    /// Its id is known (from the key) but its content is not.
    Unreadable {
        /// The project's id.
        id: ProjectId,
        /// Why.
        reason: Unreadable,
    },
}

/// A message record at a position in its thread, or why it cannot be read.
#[derive(Clone, Debug, PartialEq)]
pub enum MessageSlot {
    /// Opened fine.
    Ok(Message),
    /// The position is known, the content is not.
    Unreadable(Unreadable),
}

/// This device's own secret notes, kept sealed beside the API keys and
/// never synced: what the backend must remember between runs that is as
/// secret as a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceNote {
    /// A page's sign-in while the page is at the identity provider (its
    /// PKCE verifier, `state` and `nonce`).
    SignIn,
    /// The share links made here: their chats' titles and whole links
    /// (keys included), so they can be copied again.
    Shares,
}

/// The persistence API the backend uses. One writer (the backend actor);
/// every method is short and synchronous except [`Store::flush`].
pub trait Store: Send + Sync {
    /// How this profile's key is protected.
    fn protection(&self) -> ProtectionKind;

    /// This installation's device id (stamped on every edit).
    fn device_id(&self) -> DeviceId;

    /// Insert or replace a thread.
    ///
    /// # Errors
    /// Engine or randomness failure.
    fn put_thread(&self, thread: &Thread) -> Result<(), StoreError>;

    /// One thread by id (`Ok(None)` if absent).
    ///
    /// # Errors
    /// Engine failure, or the record is unreadable.
    fn thread(&self, id: ThreadId) -> Result<Option<Thread>, StoreError>;

    /// Every thread, tombstones included, each readable or not.
    ///
    /// # Errors
    /// Engine failure.
    fn threads(&self) -> Result<Vec<ThreadSlot>, StoreError>;

    /// Insert or replace a project.
    ///
    /// # Errors
    /// Engine or randomness failure.
    fn put_project(&self, project: &Project) -> Result<(), StoreError>;

    /// Save this device's draft of `thread` (empty: none), a record of its
    /// own: the thread record and its stamp are not touched. [`Self::thread`]
    /// and [`Self::threads`] give it back in `Thread::draft`;
    /// [`Self::put_thread`] does not store that field.
    ///
    /// # Errors
    /// Engine failure.
    fn put_draft(&self, thread: ThreadId, text: &str) -> Result<(), StoreError>;

    /// One project by id (`Ok(None)` if absent).
    ///
    /// # Errors
    /// Engine failure, or the record is unreadable.
    fn project(&self, id: ProjectId) -> Result<Option<Project>, StoreError>;

    /// Every project, tombstones included, each readable or not.
    ///
    /// # Errors
    /// Engine failure.
    fn projects(&self) -> Result<Vec<ProjectSlot>, StoreError>;

    /// Append a message at the end of its thread; returns its position.
    ///
    /// # Errors
    /// Engine or randomness failure.
    fn append_message(&self, message: &Message) -> Result<u64, StoreError>;

    /// Replace the message at `index` of `thread` whole (a status, an
    /// edit, a reply's end); the chunks [`Store::append_to_reply`] added
    /// to it go.
    ///
    /// # Errors
    /// Engine or randomness failure.
    fn update_message(&self, thread: ThreadId, index: u64, message: &Message) -> Result<(), StoreError>;

    /// Add `text` and `reasoning` to the end of the reply still streaming
    /// at `index` of `thread`, without writing its record again: reading
    /// the message shows them, and the next [`Store::update_message`] of
    /// that message (which must carry the whole text) takes their place.
    ///
    /// # Errors
    /// Engine or randomness failure.
    fn append_to_reply(&self, thread: ThreadId, index: u64, text: &str, reasoning: &str) -> Result<(), StoreError>;

    /// Where message `id` of `thread` is stored (`Ok(None)` if it is not).
    ///
    /// # Errors
    /// Engine failure.
    fn position_of(&self, thread: ThreadId, id: MessageId) -> Result<Option<u64>, StoreError>;

    /// Take in a message made elsewhere (another device, through sync):
    /// one not here yet is stored at the end, as a child of its parent
    /// among its siblings in stamp order, without switching what is shown;
    /// one already here is replaced when this copy's stamp is newer (last
    /// writer wins) and kept otherwise.
    ///
    /// # Errors
    /// Engine or randomness failure.
    fn merge_message(&self, message: &Message) -> Result<Merged, StoreError>;

    /// How many messages `thread` holds.
    ///
    /// # Errors
    /// Engine failure.
    fn message_count(&self, thread: ThreadId) -> Result<u64, StoreError>;

    /// Up to `len` messages of `thread` from position `start`.
    ///
    /// # Errors
    /// Engine failure (unreadable records come back as slots).
    fn messages(&self, thread: ThreadId, start: u64, len: usize) -> Result<Vec<MessageSlot>, StoreError>;

    /// The branches of `thread` (empty for a thread that never branched).
    ///
    /// # Errors
    /// Engine failure or an unreadable record.
    fn branches(&self, thread: ThreadId) -> Result<Branches, StoreError>;

    /// Save the branches of `thread`.
    ///
    /// # Errors
    /// Engine or randomness failure.
    fn put_branches(&self, thread: ThreadId, branches: &Branches) -> Result<(), StoreError>;

    /// Store `bytes` as a sealed, chunked blob; identical content is stored
    /// once. Returns its id.
    ///
    /// # Errors
    /// Engine or randomness failure.
    fn put_blob(&self, bytes: &[u8]) -> Result<BlobId, StoreError>;

    /// A blob's content (`Ok(None)` if absent).
    ///
    /// # Errors
    /// Engine failure, or a chunk is missing, damaged or moved.
    fn blob(&self, id: &BlobId) -> Result<Option<Vec<u8>>, StoreError>;

    /// Remove a blob (callers make sure nothing refers to it any more).
    ///
    /// # Errors
    /// Engine failure.
    fn remove_blob(&self, id: &BlobId) -> Result<(), StoreError>;

    /// Insert or replace an attachment record.
    ///
    /// # Errors
    /// Engine or randomness failure.
    fn put_attachment(&self, attachment: &Attachment) -> Result<(), StoreError>;

    /// One attachment record (`Ok(None)` if absent).
    ///
    /// # Errors
    /// Engine failure, or the record is unreadable.
    fn attachment(&self, thread: ThreadId, id: AttachmentId) -> Result<Option<Attachment>, StoreError>;

    /// Every attachment record of `thread`, each readable or not.
    ///
    /// # Errors
    /// Engine failure.
    fn attachments(&self, thread: ThreadId) -> Result<Vec<Result<Attachment, Unreadable>>, StoreError>;

    /// Remove an attachment record (its blobs stay until collected).
    ///
    /// # Errors
    /// Engine failure.
    fn remove_attachment(&self, thread: ThreadId, id: AttachmentId) -> Result<(), StoreError>;

    /// Up to `limit` files of attachments waiting to be synced that are
    /// not on the account's server yet (by their ids here).
    ///
    /// # Errors
    /// Engine failure.
    fn files_to_upload(&self, limit: usize) -> Result<Vec<BlobId>, StoreError>;

    /// The file `blob` is on the account's server as `manifest`.
    ///
    /// # Errors
    /// Engine or randomness failure.
    fn put_file_manifest(&self, blob: &BlobId, manifest: &pakchat_core::FileManifest) -> Result<(), StoreError>;

    /// Files of synced attachments (of `thread`, or all) whose content is
    /// on the account's server and not here yet.
    ///
    /// # Errors
    /// Engine failure.
    fn files_not_here(&self, thread: Option<ThreadId>) -> Result<Vec<pakchat_core::FileManifest>, StoreError>;

    /// Keep a file fetched from the account's server (checked by the
    /// caller against `manifest`) under its account-wide id.
    ///
    /// # Errors
    /// Engine or randomness failure, or a length other than the manifest's.
    fn put_fetched_file(&self, manifest: &pakchat_core::FileManifest, bytes: &[u8]) -> Result<(), StoreError>;

    /// Remove every message, the branches and the attachment records of
    /// `thread`; returns the blobs those records named (the caller removes
    /// the ones nothing else names).
    ///
    /// # Errors
    /// Engine failure.
    fn purge_thread_content(&self, thread: ThreadId) -> Result<Vec<BlobId>, StoreError>;

    /// Every blob some readable attachment record names.
    ///
    /// # Errors
    /// Engine failure.
    fn blobs_in_use(&self) -> Result<std::collections::HashSet<BlobId>, StoreError>;

    /// The settings (defaults when never saved).
    ///
    /// # Errors
    /// Engine failure or an unreadable settings record.
    fn settings(&self) -> Result<Settings, StoreError>;

    /// Save the settings.
    ///
    /// # Errors
    /// Engine or randomness failure.
    fn put_settings(&self, settings: &Settings) -> Result<(), StoreError>;

    /// The API key stored for provider `provider` (sealed at rest).
    ///
    /// # Errors
    /// Engine failure or an unreadable record.
    fn api_key(&self, provider: &str) -> Result<Option<zeroize::Zeroizing<String>>, StoreError>;

    /// Store (or with `None`, forget) the API key of `provider`, as of
    /// `stamp` (the save that set it: keys merge by it when the user syncs
    /// them, see `sealed/api_keys.rs`).
    ///
    /// # Errors
    /// Engine or randomness failure.
    fn put_api_key(&self, provider: &str, key: Option<&str>, stamp: Stamp) -> Result<(), StoreError>;

    /// The account this profile is signed in to (sealed: its session token
    /// is a secret).
    ///
    /// # Errors
    /// Engine failure or an unreadable record.
    fn account(&self) -> Result<Option<pakchat_core::Account>, StoreError>;

    /// Store the account, or with `None` forget it (signing out).
    ///
    /// # Errors
    /// Engine or randomness failure.
    fn put_account(&self, account: Option<&pakchat_core::Account>) -> Result<(), StoreError>;

    /// One of this device's own secret notes (the backend's opaque text,
    /// see [`DeviceNote`]): sealed like the API keys, never synced.
    ///
    /// # Errors
    /// Engine failure or an unreadable record.
    fn device_note(&self, note: DeviceNote) -> Result<Option<String>, StoreError>;

    /// Keep a device note, or with `None` forget it.
    ///
    /// # Errors
    /// Engine or randomness failure.
    fn put_device_note(&self, note: DeviceNote, text: Option<&str>) -> Result<(), StoreError>;

    /// The account's sync key (its number and bytes), once this device made
    /// it or joined with the recovery code.
    ///
    /// # Errors
    /// Engine failure or an unreadable record.
    fn sync_key(&self) -> Result<Option<SyncKey>, StoreError>;

    /// Keep the account's sync key, or with `None` forget it.
    ///
    /// # Errors
    /// Engine or randomness failure.
    fn put_sync_key(&self, key: Option<(u32, &[u8; 32])>) -> Result<(), StoreError>;

    /// Up to `limit` changes made here and not yet sent to the account's
    /// server, oldest kind first (empty unless the profile has a sync key;
    /// see [`Change`]).
    ///
    /// # Errors
    /// Engine failure.
    fn outbox(&self, limit: usize) -> Result<Vec<Pending>, StoreError>;

    /// The record a change names, as it is now (`Ok(None)`: gone, or
    /// unreadable here; nothing to send).
    ///
    /// # Errors
    /// Engine failure.
    fn outgoing(&self, change: &Change) -> Result<Option<SyncRecord>, StoreError>;

    /// These changes reached the server: their entries go, except where the
    /// record changed again since they were read.
    ///
    /// # Errors
    /// Engine failure.
    fn sent(&self, done: &[Pending]) -> Result<(), StoreError>;

    /// Take in a record from another device: kept if the copy here is as
    /// new or newer (last writer wins, per field for settings), stored
    /// otherwise; never marked to be sent back.
    ///
    /// # Errors
    /// Engine or randomness failure.
    fn apply_incoming(&self, record: &SyncRecord) -> Result<Applied, StoreError>;

    /// The names of the account's devices known here, this one's included
    /// once it has one.
    ///
    /// # Errors
    /// Engine failure.
    fn device_names(&self) -> Result<Vec<pakchat_core::DeviceName>, StoreError>;

    /// Name a device (this one: the name syncs to the others).
    ///
    /// # Errors
    /// Engine or randomness failure.
    fn put_device_name(&self, name: &pakchat_core::DeviceName) -> Result<(), StoreError>;

    /// Whose log this profile has pulled, and up to which sequence number.
    ///
    /// # Errors
    /// Engine failure or an unreadable record.
    fn sync_cursor(&self) -> Result<Option<(String, u64)>, StoreError>;

    /// Keep the pull cursor (`None`: start again from the beginning).
    ///
    /// # Errors
    /// Engine or randomness failure.
    fn put_sync_cursor(&self, cursor: Option<(&str, u64)>) -> Result<(), StoreError>;

    /// Up to `limit` messages holding every word of `query` (see
    /// [`search`]), newest thread first, each with its stored position.
    /// Every hit was opened and checked; deleted threads are the caller's to
    /// filter.
    ///
    /// # Errors
    /// Engine failure.
    fn search(&self, query: &str, limit: usize) -> Result<Vec<(u64, Message)>, StoreError>;

    /// Make everything written so far durable.
    ///
    /// # Errors
    /// Engine failure.
    fn flush(&self) -> Result<(), StoreError>;
}
