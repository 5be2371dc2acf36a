//! How much disk a large delete gives back (issue 14, item 5): purge every
//! chat of a profile as deleting it in the app does (the record stays as a
//! tombstone), then print the profile's size before, right after, and after
//! the store was closed and opened again (the open gives the freed space
//! back: `pakchat-store/src/sled_kv/compact.rs`), with how long that open took.
//!
//! `cargo run --release --example reclaim -- DATA_DIR` on a profile made by
//! `seed_profile` or `pakchat import` (unlocked by `DATA_DIR/key`; it is
//! emptied).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use pakchat::store::{KeySource, SealedStore, SledKv, Store, ThreadSlot};

fn size(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        total += if entry.file_type()?.is_dir() { size(&entry.path())? } else { entry.metadata()?.len() };
    }
    Ok(total)
}

fn open(profile: &Path, key: &Path) -> anyhow::Result<SealedStore> {
    let kv = Arc::new(SledKv::open(profile)?);
    Ok(SealedStore::unlock(kv, &KeySource::KeyFile(key.to_path_buf()))?)
}

fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).context("usage: reclaim DATA_DIR")?);
    let (profile, key) = (dir.join("profiles").join("default"), dir.join("key"));
    let before = size(&profile)?;
    let store = open(&profile, &key)?;
    let mut messages = 0;
    for slot in store.threads()? {
        if let ThreadSlot::Ok(mut thread) = slot {
            messages += store.message_count(thread.id)?;
            for blob in store.purge_thread_content(thread.id)? {
                store.remove_blob(&blob)?;
            }
            thread.deleted = true;
            store.put_thread(&thread)?;
        }
    }
    store.flush()?;
    let after = size(&profile)?;
    drop(store);
    let started = std::time::Instant::now();
    let reopened = open(&profile, &key)?;
    let took = started.elapsed();
    reopened.flush()?;
    drop(reopened);
    let later = size(&profile)?;
    anyhow::ensure!(messages > 0, "the profile held no messages to delete");
    #[expect(clippy::cast_precision_loss, reason = "sizes shown to a tenth of a MiB")]
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    #[expect(clippy::print_stderr, reason = "the figures are what this example is for")]
    {
        eprintln!(
            "deleted {messages} messages: {:.1} MiB before, {:.1} MiB after the purge, {:.1} MiB after reopening \
             (which took {} ms)",
            mib(before),
            mib(after),
            mib(later),
            took.as_millis()
        );
    }
    Ok(())
}
