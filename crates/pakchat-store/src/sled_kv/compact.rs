//! Giving disk back after large deletes. sled reuses freed space but never
//! shrinks its file, so a profile that once held a large history keeps its
//! size after the history is deleted; values written over (a search block
//! rewritten, a reply's chunks folded) leave garbage too, which sled's own
//! segment cleaning lets pile up when writes land all over the key space.
//! [`super::SledKv`] counts the bytes it writes and the bytes it removes or
//! writes over (two numbers in its own tree, [`COUNTER_TREE`], nothing of
//! the content); what was written and not freed is what is live. When a
//! profile is opened, its files are at least three times what is live (a
//! fresh copy takes about twice), and the freed bytes are at least
//! [`MIN_RECLAIM_BYTES`] and half of what is live,
//! the live entries are copied into a fresh database beside it, which then
//! takes the profile's place. (A profile from before the counts has none
//! written: its first large delete is enough.)
//!
//! The swap survives a crash at any point. Folder names beside the profile
//! `P` say how far it got: `P.compacting` is an unfinished copy (removed),
//! `P.compacted` a finished one (it takes `P`'s place: `P` becomes `P.old`,
//! `P.compacted` becomes `P`), `P.old` a replaced original (removed). The copy
//! is made at open before anything is written, so a finished copy and `P`
//! hold the same entries. All of it runs under `P.lock`, a file lock held
//! only while a profile is being opened, so two processes opening the same
//! profile never both move folders.
//!
//! Under the same lock, before sled opens, [`drop_unfinished_snapshots`]
//! removes a snapshot sled was writing when its process died (sled 0.34
//! would take it for its latest and refuse the profile).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The tree holding the counts (not a [`crate::Table`]: it is the engine's
/// bookkeeping, not a record, and is not copied).
pub(super) const COUNTER_TREE: &str = "pakchat-reclaimable";
/// The freed-bytes count's key in [`COUNTER_TREE`].
pub(super) const FREED_KEY: &[u8] = b"removed-bytes";
/// The written-bytes count's key in [`COUNTER_TREE`].
pub(super) const WRITTEN_KEY: &[u8] = b"written-bytes";
/// Below this, a copy at start-up is not worth its time.
pub const MIN_RECLAIM_BYTES: u64 = 16 * 1024 * 1024;
/// Entries per write while copying, at most.
const COPY_BATCH: usize = 4096;
/// Bytes per write while copying, about (attachment chunks are 256 KiB:
/// a batch of those counted by entries alone would hold a gigabyte).
const COPY_BATCH_BYTES: usize = 1024 * 1024;

/// `dir` with `.suffix` added to its last component.
fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(suffix);
    dir.with_file_name(name)
}

/// Make a rename in `dir`'s parent durable.
fn sync_parent(dir: &Path) -> io::Result<()> {
    // Only Unix can open a folder to sync it.
    if cfg!(unix)
        && let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty())
    {
        File::open(parent)?.sync_all()?;
    }
    Ok(())
}

/// The open-time lock beside `dir`; `Ok(None)` when another process holds it.
pub(super) fn lock(dir: &Path) -> io::Result<Option<File>> {
    let path = sibling(dir, "lock");
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        crate::private_dir::create_private_dir_all(parent)?;
    }
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// Finish or undo a compaction a crash interrupted (see the module doc).
pub(super) fn recover(dir: &Path) -> io::Result<()> {
    let (building, built, old) = (sibling(dir, "compacting"), sibling(dir, "compacted"), sibling(dir, "old"));
    if building.exists() {
        tracing::info!("removing an unfinished compaction of the profile");
        std::fs::remove_dir_all(&building)?;
    }
    if built.exists() {
        tracing::info!("finishing a compaction of the profile");
        swap_in(dir)
    } else if old.exists() {
        std::fs::remove_dir_all(&old)
    } else {
        Ok(())
    }
}

/// Remove the snapshots sled began and never finished in `dir`, unless
/// another process has the database open.
///
/// sled 0.34 writes its snapshot (its map of where each page lives, written
/// when a database is opened) to `snap.<lsn>.generating`, syncs it and only
/// then renames it to `snap.<lsn>`; but when it next opens it takes the
/// highest-named `snap.` file, the unfinished one included. A process killed
/// while writing one (a crash or a power cut while the app starts) leaves a
/// cut-off file that sorts last, fails its checksum, and the whole profile
/// then refuses to open ("Read corrupted data at file offset None"). The
/// finished snapshot before it is still there, and sled recovers from it and
/// its log as after any crash. A running sled may be writing such a file,
/// so they are removed only while holding its lock on `db` ourselves (and
/// [`lock`], so nobody opens it meanwhile).
pub(super) fn drop_unfinished_snapshots(dir: &Path) -> io::Result<()> {
    let unfinished: Vec<_> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().unwrap_or_default().to_string_lossy();
                name.starts_with("snap.") && name.ends_with(".generating")
            })
            .collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if unfinished.is_empty() {
        return Ok(());
    }
    // sled locks its `db` file exclusively while open.
    let db = match OpenOptions::new().read(true).write(true).open(dir.join("db")) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    match db.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => return Ok(()),
        Err(std::fs::TryLockError::Error(e)) => return Err(e),
    }
    for path in &unfinished {
        tracing::warn!(file = %path.display(), "removing a snapshot an earlier run left unfinished");
        std::fs::remove_file(path)?;
    }
    Ok(())
}

/// Put the finished copy in `dir`'s place and remove the original.
fn swap_in(dir: &Path) -> io::Result<()> {
    let (built, old) = (sibling(dir, "compacted"), sibling(dir, "old"));
    if dir.exists() {
        if old.exists() {
            std::fs::remove_dir_all(&old)?;
        }
        std::fs::rename(dir, &old)?;
    }
    std::fs::rename(&built, dir)?;
    sync_parent(dir)?;
    if old.exists() {
        std::fs::remove_dir_all(&old)?;
    }
    Ok(())
}

/// What the counts say of a profile, and the size of its files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reclaimable {
    /// Bytes removed or written over since the profile was last compacted.
    pub freed: u64,
    /// Bytes written and not freed (keys and values).
    pub live: u64,
    /// The size of the engine's files.
    pub on_disk: u64,
}

fn count(tree: &sled::Tree, key: &[u8]) -> sled::Result<u64> {
    Ok(tree.get(key)?.and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok()).map_or(0, u64::from_be_bytes))
}

/// Add to a count in `tree`.
pub(super) fn add(tree: &sled::Tree, key: &[u8], more: u64) -> sled::Result<()> {
    tree.update_and_fetch(key, |old: Option<&[u8]>| {
        let old = old.and_then(|v| <[u8; 8]>::try_from(v).ok()).map_or(0, u64::from_be_bytes);
        Some(old.saturating_add(more).to_be_bytes().to_vec())
    })?;
    Ok(())
}

/// The counts of `db`.
pub(super) fn reclaimable(db: &sled::Db) -> sled::Result<Reclaimable> {
    let tree = db.open_tree(COUNTER_TREE)?;
    let (freed, written) = (count(&tree, FREED_KEY)?, count(&tree, WRITTEN_KEY)?);
    Ok(Reclaimable { freed, live: written.saturating_sub(freed), on_disk: db.size_on_disk()? })
}

/// Whether `db` is worth copying at start-up (see the module doc).
pub(super) fn worth_it(db: &sled::Db) -> sled::Result<bool> {
    let r = reclaimable(db)?;
    Ok(r.freed >= MIN_RECLAIM_BYTES && r.freed.saturating_mul(2) >= r.live && r.on_disk >= r.live.saturating_mul(3))
}

/// How far a copy at start-up got: bytes copied of those live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GivingBack {
    /// Bytes copied so far.
    pub copied: u64,
    /// Bytes to copy (what the counts say is live).
    pub live: u64,
}

impl GivingBack {
    /// Done so far, 0 to 100.
    #[must_use]
    pub fn percent(self) -> u8 {
        let percent = self.copied.saturating_mul(100) / self.live.max(1);
        u8::try_from(percent.min(100)).unwrap_or(100)
    }
}

/// Copy `db`'s live entries into a fresh database and swap it in for
/// `dir`; `open` opens the result. `report` hears how far the copy got
/// after each batch (and once at the start and the end).
pub(super) fn compact(
    dir: &Path,
    db: sled::Db,
    open: impl Fn(&Path) -> Result<sled::Db, crate::KvError>,
    report: &dyn Fn(GivingBack),
) -> Result<sled::Db, crate::KvError> {
    let failed = |e: &dyn std::fmt::Display| crate::KvError::Io(format!("compacting {}: {e}", dir.display()));
    let started = Instant::now();
    let before = db.size_on_disk().map_err(|e| failed(&e))?;
    let (building, built) = (sibling(dir, "compacting"), sibling(dir, "compacted"));
    if building.exists() {
        std::fs::remove_dir_all(&building).map_err(|e| failed(&e))?;
    }
    crate::private_dir::create_private_dir_all(&building).map_err(|e| failed(&e))?;
    let copy = open(&building)?;
    let mut copied = 0u64;
    // A profile from before the counts has none: its files' size is the
    // best guess at what is to copy then.
    let live = match reclaimable(&db).map_err(|e| failed(&e))? {
        r if r.live == 0 => r.on_disk,
        r => r.live,
    };
    report(GivingBack { copied, live });
    for name in db.tree_names() {
        if name == COUNTER_TREE.as_bytes() {
            continue;
        }
        let (from, to) = (db.open_tree(&name).map_err(|e| failed(&e))?, copy.open_tree(&name).map_err(|e| failed(&e))?);
        let mut batch = sled::Batch::default();
        let (mut in_batch, mut batch_bytes) = (0, 0);
        for entry in &from {
            let (key, value) = entry.map_err(|e| failed(&e))?;
            copied += (key.len() + value.len()) as u64;
            batch_bytes += key.len() + value.len();
            batch.insert(key, value);
            in_batch += 1;
            if in_batch == COPY_BATCH || batch_bytes >= COPY_BATCH_BYTES {
                to.apply_batch(std::mem::take(&mut batch)).map_err(|e| failed(&e))?;
                (in_batch, batch_bytes) = (0, 0);
                report(GivingBack { copied, live });
            }
        }
        to.apply_batch(batch).map_err(|e| failed(&e))?;
    }
    let counts = copy.open_tree(COUNTER_TREE).map_err(|e| failed(&e))?;
    add(&counts, WRITTEN_KEY, copied).map_err(|e| failed(&e))?;
    copy.flush().map_err(|e| failed(&e))?;
    drop((counts, copy, db));
    std::fs::rename(&building, &built).map_err(|e| failed(&e))?;
    sync_parent(dir).map_err(|e| failed(&e))?;
    swap_in(dir).map_err(|e| failed(&e))?;
    report(GivingBack { copied: live.max(copied), live: live.max(copied) });
    // The copy's engine threads may hold its lock for a moment after the
    // last handle went.
    let deadline = Instant::now() + Duration::from_secs(5);
    let db = loop {
        match open(dir) {
            Err(crate::KvError::Locked) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            other => break other?,
        }
    };
    let after = db.size_on_disk().unwrap_or(0);
    tracing::info!(before, after, ms = started.elapsed().as_millis(), "gave freed space back to the disk");
    Ok(db)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Kv as _, SledKv, Table};

    fn noise(seed: u64, len: usize) -> Vec<u8> {
        // Not compressible, like sealed records.
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x.to_le_bytes()[0]
            })
            .collect()
    }

    fn size(dir: &Path) -> u64 {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                if e.file_type().unwrap().is_dir() { size(&e.path()) } else { e.metadata().unwrap().len() }
            })
            .sum()
    }

    fn reopen(dir: &Path) -> SledKv {
        SledKv::open_patiently(dir, Duration::from_secs(5)).unwrap()
    }

    #[test]
    fn a_large_delete_is_given_back_at_the_next_open_and_what_stays_is_whole() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("profile");
        let kv = reopen(&dir);
        for i in 0..20_000u32 {
            kv.insert(Table::Messages, &i.to_be_bytes(), &noise(u64::from(i), 2048)).unwrap();
        }
        // Attachments are kept in 256 KiB chunks, which sled stores apart.
        for i in 0..100u32 {
            kv.insert(Table::Blobs, &i.to_be_bytes(), &noise(u64::from(i), 256 * 1024)).unwrap();
        }
        kv.insert(Table::Meta, b"header", b"kept").unwrap();
        kv.flush().unwrap();
        drop(kv);
        let full = size(&dir);
        let kv = reopen(&dir);
        for i in 20..20_000u32 {
            kv.remove(Table::Messages, &i.to_be_bytes()).unwrap();
        }
        for i in 5..100u32 {
            kv.remove(Table::Blobs, &i.to_be_bytes()).unwrap();
        }
        kv.flush().unwrap();
        drop(kv);
        assert!(size(&dir) * 10 > full * 9, "sled alone keeps its file ({} of {full})", size(&dir));

        let heard = std::sync::Mutex::new(Vec::new());
        let kv = SledKv::open_reporting(&dir, &|p: GivingBack| heard.lock().unwrap().push(p.percent())).unwrap();
        let small = size(&dir);
        assert!(small * 4 < full, "{small} bytes after compacting, {full} before");
        let heard = heard.into_inner().unwrap();
        assert_eq!((heard.first(), heard.last()), (Some(&0), Some(&100)), "from the start to the end: {heard:?}");
        assert!(heard.windows(2).all(|w| w[0] <= w[1]), "only forward: {heard:?}");
        assert!(heard.iter().any(|&p| p > 0 && p < 100), "progress in between: {heard:?}");
        for i in 0..20u32 {
            assert_eq!(kv.get(Table::Messages, &i.to_be_bytes()).unwrap(), Some(noise(u64::from(i), 2048)));
        }
        assert!(kv.get(Table::Messages, &20u32.to_be_bytes()).unwrap().is_none());
        for i in 0..5u32 {
            assert_eq!(kv.get(Table::Blobs, &i.to_be_bytes()).unwrap(), Some(noise(u64::from(i), 256 * 1024)));
        }
        assert!(kv.get(Table::Blobs, &5u32.to_be_bytes()).unwrap().is_none());
        assert_eq!(kv.get(Table::Meta, b"header").unwrap().as_deref(), Some(&b"kept"[..]));
        for suffix in ["compacting", "compacted", "old"] {
            assert!(!sibling(&dir, suffix).exists(), "{suffix} left behind");
        }
        // The counts started again: the next open does not copy again.
        let r = reclaimable(&kv.db).unwrap();
        assert_eq!(r.freed, 0);
        assert_eq!(r.live, 20 * (4 + 2048) + 5 * (4 + 256 * 1024) + 6 + 4, "what was copied is live");
    }

    /// A profile at `dir` holding `value` under one key.
    fn profile_with(dir: &Path, value: &[u8]) {
        let kv = reopen(dir);
        kv.insert(Table::Meta, b"k", value).unwrap();
        kv.flush().unwrap();
    }

    fn value_at(dir: &Path) -> Vec<u8> {
        reopen(dir).get(Table::Meta, b"k").unwrap().unwrap()
    }

    #[test]
    fn an_interrupted_compaction_is_finished_or_undone_at_the_next_open() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("p");
        let gone = |d: &Path| ["compacting", "compacted", "old"].iter().all(|s| !sibling(d, s).exists());

        // Killed while copying: the copy goes, the profile stays.
        profile_with(&dir, b"original");
        profile_with(&sibling(&dir, "compacting"), b"half a copy");
        assert_eq!(value_at(&dir), b"original");
        assert!(gone(&dir));

        // Killed after the copy was finished: it takes the profile's place.
        profile_with(&sibling(&dir, "compacted"), b"copy");
        assert_eq!(value_at(&dir), b"copy");
        assert!(gone(&dir));

        // Killed between the two renames: the copy is put in place.
        std::fs::rename(&dir, sibling(&dir, "old")).unwrap();
        profile_with(&sibling(&dir, "compacted"), b"copy 2");
        assert_eq!(value_at(&dir), b"copy 2");
        assert!(gone(&dir));

        // Killed while removing the original: the rest of it goes.
        profile_with(&sibling(&dir, "old"), b"stale");
        assert_eq!(value_at(&dir), b"copy 2");
        assert!(gone(&dir));
    }

    /// Plant in the profile at `dir` what a process killed while
    /// sled wrote its next snapshot leaves: the first half of it, under
    /// the next log position's name, still `.generating`.
    fn cut_off_snapshot(dir: &Path) -> PathBuf {
        let snap = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("snap."))
            .expect("sled wrote a snapshot");
        let name = snap.file_name().unwrap().to_string_lossy().into_owned();
        let lsn = u64::from_str_radix(&name["snap.".len()..], 16).unwrap();
        let bytes = std::fs::read(&snap).unwrap();
        let cut = dir.join(format!("snap.{:016X}.generating", lsn + 1));
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        cut
    }

    /// A closed profile holding b"kept", opened twice so that sled wrote a
    /// snapshot (it does when it opens a database whose log moved on).
    fn profile_with_snapshot() -> (tempfile::TempDir, PathBuf) {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("p");
        profile_with(&dir, b"kept");
        assert_eq!(value_at(&dir), b"kept");
        (root, dir)
    }

    /// Open `dir` with sled alone, waiting out a closing handle's lock.
    fn sled_alone(dir: &Path) -> sled::Result<sled::Db> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match sled::Config::new().path(dir).open() {
                Err(sled::Error::Io(e)) if e.to_string().contains("lock") && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => return other,
            }
        }
    }

    #[test]
    fn a_snapshot_cut_off_by_a_crash_does_not_keep_the_profile_shut() {
        let (_root, dir) = profile_with_snapshot();
        let cut = cut_off_snapshot(&dir);
        // The defect worked around: sled alone takes the cut-off file for
        // its snapshot and refuses the whole database.
        let refused = sled_alone(&dir).map(drop).unwrap_err();
        assert!(matches!(refused, sled::Error::Corruption { .. }), "{refused:?}");

        assert_eq!(value_at(&dir), b"kept");
        assert!(!cut.exists(), "the unfinished snapshot went");
        assert_eq!(value_at(&dir), b"kept", "and the profile opens again after");
    }

    #[test]
    fn a_snapshot_being_written_by_a_running_profile_is_left_alone() {
        let (_root, dir) = profile_with_snapshot();
        // A file as sled leaves while it writes a snapshot, beside a
        // handle that has the profile open.
        let running = reopen(&dir);
        let cut = cut_off_snapshot(&dir);
        assert!(matches!(SledKv::open(&dir), Err(crate::KvError::Locked)));
        assert!(cut.exists(), "a running engine's snapshot is not removed under it");
        drop(running);
    }

    #[test]
    fn a_profile_being_opened_elsewhere_is_reported_locked() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("p");
        let held = lock(&dir).unwrap();
        assert!(held.is_some());
        assert!(matches!(SledKv::open(&dir), Err(crate::KvError::Locked)));
        drop(held);
        assert!(SledKv::open(&dir).is_ok());
    }
}
