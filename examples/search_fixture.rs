//! How `tests/fixtures/search_results.json` was made: the generated history
//! of `tests/common/search_profile.rs` written with the blind index of store
//! format 3 (one key per posting), and the hits of its fixed queries.
//! `tests/search_index.rs` builds the same history with today's index and
//! compares.
//!
//! Run once, before the index changed (it refuses on another format):
//! `cargo run --release --example search_fixture -- tests/fixtures/search_results.json`

#![allow(clippy::print_stdout)]

use std::sync::Arc;

use anyhow::{Context as _, bail};
use pakchat::store::keys::FORMAT_VERSION;
use pakchat::store::{Argon2Params, KeySource, MemoryKv, SealedStore};

#[path = "../tests/common/search_profile.rs"]
mod search_profile;

fn main() -> anyhow::Result<()> {
    if FORMAT_VERSION != 3 {
        bail!("this records format 3's search results; today's format is {FORMAT_VERSION}");
    }
    let out = std::env::args().nth(1).context("usage: search_fixture OUT.json")?;
    let dir = tempfile::tempdir()?;
    let fast = Argon2Params { m_cost_kib: 1024, t_cost: 1, p_cost: 1 };
    let store = SealedStore::create(Arc::new(MemoryKv::new()), &KeySource::KeyFile(dir.path().join("key")), fast)?;
    let recorded = search_profile::record(&store);
    let hits: usize =
        recorded["all"].as_object().map_or(0, |all| all.values().filter_map(|h| h.as_array()).map(Vec::len).sum());
    std::fs::write(&out, serde_json::to_string(&recorded)? + "\n")?;
    println!(
        "{} queries, {hits} hits in phase 1, written to {out}",
        recorded["all"].as_object().map_or(0, serde_json::Map::len)
    );
    Ok(())
}
