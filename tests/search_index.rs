//! The blind index in blocks (store format 4) finds exactly what the index
//! of one key per posting (format 3) found, on the same generated history:
//! `tests/fixtures/search_results.json` holds format 3's hits, recorded by
//! `examples/search_fixture.rs` before the index was rewritten.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::sync::Arc;

use common::search_profile;
use pakchat::store::{Argon2Params, KeySource, Kv, SealedStore, SledKv};

const FAST: Argon2Params = Argon2Params { m_cost_kib: 1024, t_cost: 1, p_cost: 1 };

fn recorded() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/search_results.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn compare(now: &serde_json::Value, before: &serde_json::Value) {
    for part in ["first_50", "all", "after_changes"] {
        let (now, before) = (now[part].as_object().unwrap(), before[part].as_object().unwrap());
        assert_eq!(now.len(), before.len(), "{part}: other queries");
        for (query, hits) in before {
            assert!(now[query] == *hits, "{part} {query:?}: other hits than format 3's");
        }
    }
}

#[test]
fn the_same_queries_find_the_same_messages_as_before_the_index_changed() {
    let dir = tempfile::tempdir().unwrap();
    let kv: Arc<dyn Kv> = Arc::new(SledKv::open(&dir.path().join("p")).unwrap());
    let store = SealedStore::create(kv, &KeySource::KeyFile(dir.path().join("key")), FAST).unwrap();
    let before = recorded();
    let total: usize = before["all"].as_object().unwrap().values().map(|h| h.as_array().unwrap().len()).sum();
    assert!(total > 5_000, "the fixture's queries have hits to compare ({total})");
    compare(&search_profile::record(&store), &before);
}

#[test]
fn a_profile_reopened_after_a_crash_finds_the_postings_it_held_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p");
    let key = KeySource::KeyFile(dir.path().join("key"));
    let kv: Arc<dyn Kv> = Arc::new(SledKv::open(&path).unwrap());
    let store = SealedStore::create(kv.clone(), &key, FAST).unwrap();
    search_profile::write_history(&store);
    // A crash: the store is never dropped, so postings still in memory are
    // never written; only what the engine made durable is on disk.
    kv.flush().unwrap();
    std::mem::forget(store);
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for entry in std::fs::read_dir(&path).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
        } else {
            let sub = copy.join(entry.file_name());
            std::fs::create_dir(&sub).unwrap();
            for inner in std::fs::read_dir(entry.path()).unwrap() {
                let inner = inner.unwrap();
                std::fs::copy(inner.path(), sub.join(inner.file_name())).unwrap();
            }
        }
    }
    let reopened = SealedStore::unlock(Arc::new(SledKv::open(&copy).unwrap()), &key).unwrap();
    let before = recorded();
    let now = search_profile::results(&reopened, usize::MAX);
    for (query, hits) in before["all"].as_object().unwrap() {
        assert!(serde_json::to_value(&now[query]).unwrap() == *hits, "{query:?} after the crash");
    }
}
