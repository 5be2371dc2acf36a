//! Where the bytes of sealed file chunks live: a folder on this machine
//! (the default) or an S3-compatible object store (several server
//! processes on one PostgreSQL share chunks through it).
//!
//! The store keeps bytes only. Whether a user has a chunk is a row of the
//! database (`db/chunks.rs`), written after the bytes are safely stored, so
//! a row always means its bytes exist; bytes without a row (a crash or a
//! refused upload in between) are overwritten by the next upload of that
//! id. Chunks are per user: the same id of two users is two chunks. The
//! server never opens or changes a chunk: it hands back what it was given.

mod folder;
pub mod s3;

use std::path::PathBuf;

use axum::body::Bytes;
use pakchat_protocol::ChunkId;

pub use folder::FolderStore;
pub use s3::{S3Config, S3Credentials, S3Store};

/// A chunk store: one of the two backends.
#[derive(Debug)]
pub enum ChunkStore {
    /// Files under a folder: `<root>/<user id>/<first 2 hex>/<id>`.
    Folder(FolderStore),
    /// Objects `<user id>/<id>` in a bucket.
    S3(S3Store),
}

/// A chunk could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The folder store's file system failed.
    #[error("chunk folder: {0}")]
    Folder(#[from] std::io::Error),
    /// The object store refused or did not answer.
    #[error("object storage: {0}")]
    ObjectStorage(String),
    /// A user id that cannot name a folder or an object (never one of ours).
    #[error("a user id unfit for a chunk's name: {0:?}")]
    UserId(String),
}

impl ChunkStore {
    /// The store of a server whose only word on chunks is its database
    /// (`AppState::new`): a folder `chunks` beside a SQLite file; for
    /// PostgreSQL a folder in the system's temporary folder named after the
    /// database, so servers on one database share it on this machine (tests;
    /// a configured server passes its store explicitly).
    #[must_use]
    pub fn beside(database_url: &str) -> Self {
        if let Some(path) = database_url.strip_prefix("sqlite:") {
            let file = path.trim_start_matches("//").split('?').next().unwrap_or_default();
            if let Some(dir) = std::path::Path::new(file).parent().filter(|d| !d.as_os_str().is_empty()) {
                return Self::Folder(FolderStore::new(dir.join("chunks")));
            }
        }
        use sha2::Digest as _;
        let hash = sha2::Sha256::digest(database_url.as_bytes());
        let name: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
        let root: PathBuf = std::env::temp_dir().join(format!("pakchat-server-chunks-{name}"));
        Self::Folder(FolderStore::new(root))
    }

    /// Keep `bytes` as `user_id`'s chunk `id`, replacing any bytes stored
    /// under that name before. Returns once they are durable.
    ///
    /// # Errors
    /// The store failed; then no half chunk is left under its name.
    pub async fn put(&self, user_id: &str, id: &ChunkId, bytes: Bytes) -> Result<(), StoreError> {
        check_user(user_id)?;
        match self {
            Self::Folder(store) => store.put(user_id, id, bytes).await,
            Self::S3(store) => store.put(user_id, id, bytes).await,
        }
    }

    /// The bytes of `user_id`'s chunk `id`, or `None` when none are stored.
    ///
    /// # Errors
    /// The store failed.
    pub async fn get(&self, user_id: &str, id: &ChunkId) -> Result<Option<Vec<u8>>, StoreError> {
        check_user(user_id)?;
        match self {
            Self::Folder(store) => store.get(user_id, id).await,
            Self::S3(store) => store.get(user_id, id).await,
        }
    }
}

/// A user id is one folder or key segment: our ids are UUIDs, but a name
/// made from it must never climb out of its place.
fn check_user(user_id: &str) -> Result<(), StoreError> {
    let fit = !user_id.is_empty()
        && user_id.len() <= 64
        && user_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if fit { Ok(()) } else { Err(StoreError::UserId(user_id.to_owned())) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sqlite_server_keeps_chunks_beside_its_database() {
        let ChunkStore::Folder(store) = ChunkStore::beside("sqlite:///srv/p/server.sqlite3?mode=rwc") else {
            panic!("a folder store")
        };
        assert_eq!(store.root(), std::path::Path::new("/srv/p/chunks"));
        let ChunkStore::Folder(a) = ChunkStore::beside("postgres://db/one") else { panic!("a folder store") };
        let ChunkStore::Folder(b) = ChunkStore::beside("postgres://db/two") else { panic!("a folder store") };
        assert_ne!(a.root(), b.root(), "one folder per database");
    }

    #[test]
    fn user_ids_that_could_leave_their_folder_are_refused() {
        assert!(check_user("0b1c5e4a-3f9e-4d1a-9a51-6d1f0f6ad8c2").is_ok());
        for bad in ["", "..", "a/b", "a\\b", &"a".repeat(65)] {
            assert!(check_user(bad).is_err(), "{bad:?}");
        }
    }
}
