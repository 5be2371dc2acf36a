//! Chunks as files: `<root>/<user id>/<first 2 hex of id>/<id>`, folders
//! private (0700), files 0600. A chunk is written to a temporary file in
//! its own folder, flushed to the disk, then renamed over its name, so a
//! crash leaves either the whole chunk or none under that name (at worst a
//! stray `.<id>.<random>.tmp`, which no id can be mistaken for).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use axum::body::Bytes;
use pakchat_protocol::ChunkId;

use super::StoreError;

/// Chunks in a folder of this machine.
#[derive(Clone, Debug)]
pub struct FolderStore {
    root: PathBuf,
}

impl FolderStore {
    /// A store under `root` (made when the first chunk is written).
    #[must_use]
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// A store under `root`, made now (private) so a folder that cannot be
    /// written is found at start.
    ///
    /// # Errors
    /// The folder could not be made.
    pub fn open(root: PathBuf) -> std::io::Result<Self> {
        private_dirs(&root)?;
        Ok(Self { root })
    }

    /// Where the chunks live.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder and the file name of `user_id`'s chunk `id`.
    fn place(&self, user_id: &str, id: &ChunkId) -> (PathBuf, PathBuf) {
        let name = id.as_str();
        let dir = self.root.join(user_id).join(&name[..2]);
        let file = dir.join(name);
        (dir, file)
    }

    pub(super) async fn put(&self, user_id: &str, id: &ChunkId, bytes: Bytes) -> Result<(), StoreError> {
        let (dir, file) = self.place(user_id, id);
        let temp = dir.join(format!(".{}.{}.tmp", id.as_str(), uuid::Uuid::new_v4().simple()));
        blocking(move || write_whole(&dir, &temp, &file, &bytes)).await
    }

    pub(super) async fn get(&self, user_id: &str, id: &ChunkId) -> Result<Option<Vec<u8>>, StoreError> {
        let (_, file) = self.place(user_id, id);
        blocking(move || match std::fs::read(&file) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        })
        .await
    }
}

/// Run file-system work off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(done) => Ok(done?),
        Err(e) => Err(StoreError::Folder(std::io::Error::other(format!("the file task failed: {e}")))),
    }
}

/// `bytes` under `file`, whole or not at all.
fn write_whole(dir: &Path, temp: &Path, file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    private_dirs(dir)?;
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut out = options.open(temp)?;
        out.write_all(bytes)?;
        out.sync_all()?;
        std::fs::rename(temp, file)
    })();
    if let Err(e) = written {
        if let Err(gone) = std::fs::remove_file(temp)
            && gone.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(err = %gone, "a temporary chunk file could not be removed");
        }
        return Err(e);
    }
    // The rename is durable once the folder's entry is.
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// `dir` and every missing folder above it, private.
fn private_dirs(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ChunkId {
        ChunkId::from_hash(&[n; 32])
    }

    #[tokio::test]
    async fn a_chunk_is_kept_whole_under_its_name_in_private_folders() {
        let dir = tempfile::tempdir().unwrap();
        let store = FolderStore::open(dir.path().join("chunks")).unwrap();
        store.put("u1", &id(0xab), Bytes::from_static(b"first")).await.unwrap();
        store.put("u1", &id(0xab), Bytes::from_static(b"second")).await.unwrap();
        assert_eq!(store.get("u1", &id(0xab)).await.unwrap().as_deref(), Some(&b"second"[..]));
        assert_eq!(store.get("u2", &id(0xab)).await.unwrap(), None, "another user's folder");
        assert_eq!(store.get("u1", &id(0xac)).await.unwrap(), None);
        let folder = dir.path().join("chunks/u1/ab");
        let names: Vec<String> =
            std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert_eq!(names, [id(0xab).as_str()], "no temporary file left");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir.path().join("chunks")), 0o700);
            assert_eq!(mode(&dir.path().join("chunks/u1")), 0o700);
            assert_eq!(mode(&folder), 0o700);
            assert_eq!(mode(&folder.join(id(0xab).as_str())), 0o600);
        }
    }
}
