//! Create a profile full of generated threads, for start-up measurements and
//! trying the app on a large history.
//!
//! `cargo run --release --example seed_profile -- DATA_DIR THREADS MESSAGES_IN_FIRST`
//! writes `DATA_DIR/profiles/default`, unlocked by `DATA_DIR/key`
//! (start the app with `--data-dir DATA_DIR --key-file DATA_DIR/key`).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use pakchat::domain::{DeviceId, Hlc, Message, MessageId, MessageStatus, Role, Stamp, Thread, ThreadId, wall_millis};
use pakchat::store::{Argon2Params, KeySource, SealedStore, SledKv, Store};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: seed_profile DATA_DIR THREADS MESSAGES_IN_FIRST";
    let dir = PathBuf::from(args.next().context(usage)?);
    let threads: u64 = args.next().context(usage)?.parse().context("THREADS must be a number")?;
    let messages: u64 = args.next().context(usage)?.parse().context("MESSAGES_IN_FIRST must be a number")?;
    let kv = Arc::new(SledKv::open(&dir.join("profiles").join("default"))?);
    let store = SealedStore::create(kv, &KeySource::KeyFile(dir.join("key")), Argon2Params::default())?;
    let stamp = Stamp { hlc: Hlc::default(), device: store.device_id() };
    let now = wall_millis();
    for i in 0..threads {
        let id = ThreadId::new();
        let title = format!("Generated thread {i}");
        store.put_thread(&Thread::new(id, title, now.saturating_sub(i * 3_600_000), stamp))?;
        let n = if i == 0 { messages } else { 0 };
        for j in 0..n {
            store.append_message(&Message {
                id: MessageId::new(),
                thread_id: id,
                parent_id: None,
                role: if j % 2 == 0 { Role::User } else { Role::Assistant },
                content: format!("Generated message {j}."),
                reasoning: String::new(),
                model: None,
                status: MessageStatus::Done,
                usage: None,
                created_ms: now,
                stamp: Stamp { hlc: Hlc { millis: now, counter: 0 }, device: DeviceId::from_bytes([0; 16]) },
            })?;
        }
    }
    store.flush()?;
    Ok(())
}
