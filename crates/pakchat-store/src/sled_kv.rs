//! The native storage engine: sled 0.34 with a bounded page cache. sled
//! never shrinks its files, so opening a profile after large deletes copies
//! what is live into a fresh database first (`sled_kv/compact.rs`).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};

use super::kv::{Entry, Kv, KvError, Table};

mod compact;
pub use compact::{GivingBack, MIN_RECLAIM_BYTES, Reclaimable};

/// Page-cache budget. sled counts on-disk bytes; this keeps a large history
/// from growing the process.
pub const CACHE_CAPACITY_BYTES: u64 = 64 * 1024 * 1024;

/// A sled database with one tree per [`Table`].
pub struct SledKv {
    db: sled::Db,
    /// One tree per table, in `Table::ALL` order (replaced when cleared).
    trees: RwLock<Vec<sled::Tree>>,
    /// Bytes removed or written over since the last flush (see `compact.rs`).
    removed: AtomicU64,
    /// Bytes written since the last flush.
    written: AtomicU64,
    /// Where the counts are kept.
    counter: sled::Tree,
}

impl std::fmt::Debug for SledKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledKv").finish_non_exhaustive()
    }
}

fn io(e: &sled::Error) -> KvError {
    KvError::Io(e.to_string())
}

impl SledKv {
    /// Open (or create) the database in folder `dir`: a new folder is made
    /// 0700, and the files already in it lose group and other access.
    ///
    /// # Errors
    /// [`KvError::Locked`] when another process has it open, [`KvError::Io`]
    /// for anything else.
    pub fn open(dir: &Path) -> Result<Self, KvError> {
        Self::open_reporting(dir, &|_| {})
    }

    /// [`SledKv::open`], telling `report` how far giving disk space back
    /// got when opening does that (it can take a minute at a million
    /// messages; see `compact.rs`).
    ///
    /// # Errors
    /// As [`SledKv::open`].
    pub fn open_reporting(dir: &Path, report: &dyn Fn(GivingBack)) -> Result<Self, KvError> {
        let private = |e: std::io::Error| KvError::Io(format!("{}: {e}", dir.display()));
        // Held while opening, so that two processes never both finish an
        // interrupted compaction; sled's own lock takes over once open.
        let Some(_opening) = compact::lock(dir).map_err(private)? else { return Err(KvError::Locked) };
        compact::recover(dir).map_err(private)?;
        compact::drop_unfinished_snapshots(dir).map_err(private)?;
        super::private_dir::create_private_dir_all(dir).map_err(private)?;
        let mut db = open_db(dir)?;
        if compact::worth_it(&db).map_err(|e| io(&e))? {
            db = compact::compact(dir, db, open_db, report)?;
        }
        let tree = |t: Table| db.open_tree(t.name()).map_err(|e| io(&e));
        let trees = Table::ALL.iter().map(|&t| tree(t)).collect::<Result<Vec<_>, _>>()?;
        let counter = db.open_tree(compact::COUNTER_TREE).map_err(|e| io(&e))?;
        // sled made its files with the umask; a profile from before this
        // rule may be open to everyone.
        let changed = super::private_dir::tighten(dir).map_err(private)?;
        if changed > 0 {
            tracing::info!(changed, "made the profile folder readable by its owner only");
        }
        Ok(Self { db, trees: RwLock::new(trees), removed: AtomicU64::new(0), written: AtomicU64::new(0), counter })
    }

    /// What the engine counted of freed and live bytes (as of the last
    /// flush), and the size of its files: what the next open weighs to
    /// decide on giving space back.
    ///
    /// # Errors
    /// The engine's error.
    pub fn reclaimable(&self) -> Result<Reclaimable, KvError> {
        compact::reclaimable(&self.db).map_err(|e| io(&e))
    }

    /// [`SledKv::open`], waiting up to `wait` while another handle still
    /// holds the profile's lock. sled's I/O threads can keep the lock file
    /// open for a moment after the last handle of a closing store is
    /// dropped (a quick restart, a test that reopens), which is not the
    /// same as another process using the profile.
    ///
    /// # Errors
    /// As [`SledKv::open`]; [`KvError::Locked`] once `wait` has passed.
    pub fn open_patiently(dir: &Path, wait: std::time::Duration) -> Result<Self, KvError> {
        Self::open_patiently_reporting(dir, wait, &|_| {})
    }

    /// [`SledKv::open_patiently`] with [`SledKv::open_reporting`]'s `report`.
    ///
    /// # Errors
    /// As [`SledKv::open_patiently`].
    pub fn open_patiently_reporting(
        dir: &Path,
        wait: std::time::Duration,
        report: &dyn Fn(GivingBack),
    ) -> Result<Self, KvError> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            match Self::open_reporting(dir, report) {
                Err(KvError::Locked) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }

    fn tree(&self, table: Table) -> sled::Tree {
        // `trees` was built from `Table::ALL`, which lists the tables in
        // declaration order. A tree handle is a cheap shared reference.
        self.trees.read().unwrap_or_else(PoisonError::into_inner)[table as usize].clone()
    }
}

/// Open sled in `dir` with the profile's settings.
fn open_db(dir: &Path) -> Result<sled::Db, KvError> {
    sled::Config::new().path(dir).cache_capacity(CACHE_CAPACITY_BYTES).mode(sled::Mode::LowSpace).open().map_err(|e| {
        match &e {
            // sled takes an exclusive file lock; a second process gets WouldBlock.
            sled::Error::Io(io_err)
                if io_err.kind() == std::io::ErrorKind::WouldBlock
                    || io_err.to_string().contains("could not acquire lock") =>
            {
                KvError::Locked
            }
            _ => io(&e),
        }
    })
}

fn entry(r: sled::Result<(sled::IVec, sled::IVec)>) -> Result<Entry, KvError> {
    r.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(|e| io(&e))
}

impl Kv for SledKv {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        self.tree(table).get(key).map(|v| v.map(|v| v.to_vec())).map_err(|e| io(&e))
    }

    fn insert(&self, table: Table, key: &[u8], value: &[u8]) -> Result<(), KvError> {
        // A value written over is as much garbage as a removed one.
        let old = self.tree(table).insert(key, value).map_err(|e| io(&e))?;
        self.written.fetch_add((key.len() + value.len()) as u64, Ordering::Relaxed);
        if let Some(old) = old {
            self.removed.fetch_add((key.len() + old.len()) as u64, Ordering::Relaxed);
        }
        Ok(())
    }

    fn remove(&self, table: Table, key: &[u8]) -> Result<(), KvError> {
        let old = self.tree(table).remove(key).map_err(|e| io(&e))?;
        if let Some(old) = old {
            self.removed.fetch_add((key.len() + old.len()) as u64, Ordering::Relaxed);
        }
        Ok(())
    }

    fn range(&self, table: Table, start: &[u8], end: &[u8], limit: usize) -> Result<Vec<Entry>, KvError> {
        self.tree(table).range(start..end).take(limit).map(entry).collect()
    }

    fn range_rev(&self, table: Table, start: &[u8], end: &[u8], limit: usize) -> Result<Vec<Entry>, KvError> {
        self.tree(table).range(start..end).rev().take(limit).map(entry).collect()
    }

    fn contains(&self, table: Table, key: &[u8]) -> Result<bool, KvError> {
        self.tree(table).contains_key(key).map_err(|e| io(&e))
    }

    fn scan_prefix(&self, table: Table, prefix: &[u8]) -> Result<Vec<Entry>, KvError> {
        self.tree(table).scan_prefix(prefix).map(entry).collect()
    }

    fn last_with_prefix(&self, table: Table, prefix: &[u8]) -> Result<Option<Entry>, KvError> {
        self.tree(table).scan_prefix(prefix).next_back().map(entry).transpose()
    }

    fn flush(&self) -> Result<(), KvError> {
        let (removed, written) = (self.removed.swap(0, Ordering::Relaxed), self.written.swap(0, Ordering::Relaxed));
        for (key, more) in [(compact::FREED_KEY, removed), (compact::WRITTEN_KEY, written)] {
            if more > 0 {
                compact::add(&self.counter, key, more).map_err(|e| io(&e))?;
            }
        }
        self.db.flush().map(|_| ()).map_err(|e| io(&e))
    }

    /// Drops the table's tree, which frees its pages at once (removing
    /// entry by entry would log every removal), and opens it again empty.
    fn clear(&self, table: Table) -> Result<(), KvError> {
        let mut trees = self.trees.write().unwrap_or_else(PoisonError::into_inner);
        // What the table held counts as removed (a format's old index).
        let mut held = 0;
        for entry in trees[table as usize].iter() {
            let (key, value) = entry.map_err(|e| io(&e))?;
            held += (key.len() + value.len()) as u64;
        }
        self.removed.fetch_add(held, Ordering::Relaxed);
        self.db.drop_tree(table.name()).map_err(|e| io(&e))?;
        trees[table as usize] = self.db.open_tree(table.name()).map_err(|e| io(&e))?;
        Ok(())
    }
}
