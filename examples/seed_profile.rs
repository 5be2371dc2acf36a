//! Create a profile full of generated threads, for start-up measurements and
//! trying the app on a large history.
//!
//! `cargo run --release --example seed_profile -- DATA_DIR THREADS MESSAGES_IN_FIRST`
//! writes `DATA_DIR/profiles/default`, unlocked by `DATA_DIR/key`
//! (start the app with `--data-dir DATA_DIR --key-file DATA_DIR/key`).
//! When the first thread ends in a reply, a second reply to the same message
//! is added as a branch, to try ◀ 2/2 ▶.

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
    let kv =
        Arc::new(SledKv::open_patiently(&dir.join("profiles").join("default"), std::time::Duration::from_secs(5))?);
    let store = SealedStore::create(kv, &KeySource::KeyFile(dir.join("key")), Argon2Params::default())?;
    let stamp = Stamp { hlc: Hlc::default(), device: store.device_id() };
    let now = wall_millis();
    for i in 0..threads {
        let id = ThreadId::new();
        let title = format!("Generated thread {i}");
        store.put_thread(&Thread::new(id, title, now.saturating_sub(i * 3_600_000), stamp))?;
        let n = if i == 0 { messages } else { 0 };
        let message = |j: u64, content: String| Message {
            id: MessageId::new(),
            thread_id: id,
            parent_id: None,
            role: if j.is_multiple_of(2) { Role::User } else { Role::Assistant },
            content,
            reasoning: String::new(),
            attachments: Vec::new(),
            model: None,
            status: MessageStatus::Done,
            failure: None,
            usage: None,
            created_ms: now,
            stamp: Stamp { hlc: Hlc { millis: now, counter: 0 }, device: DeviceId::from_bytes([0; 16]) },
        };
        for j in 0..n {
            store.append_message(&message(j, format!("Generated message {j}.")))?;
        }
        if n >= 2 && n.is_multiple_of(2) {
            // Another reply to the last question: a sibling of the last reply.
            let position = store.append_message(&message(1, "Another reply, on a branch of its own.".to_owned()))?;
            let mut branches = store.branches(id)?;
            branches.add_child(n - 2, position, position);
            store.put_branches(id, &branches)?;
        }
    }
    store.flush()?;
    Ok(())
}
