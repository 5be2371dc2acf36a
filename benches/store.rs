//! Sealed vs plain sled: write and read throughput of 1 KiB messages, in one
//! run so the ratio is what counts (goal: sealing costs < 25 %).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pakchat::domain::{DeviceId, Hlc, Message, MessageId, MessageStatus, Role, Stamp, ThreadId};
use pakchat::store::{Argon2Params, KeySource, Kv, SealedStore, SledKv, Store, Table};

fn message(thread: ThreadId) -> Message {
    Message {
        id: MessageId::new(),
        thread_id: thread,
        parent_id: None,
        role: Role::User,
        content: "x".repeat(1024),
        reasoning: String::new(),
        attachments: Vec::new(),
        model: None,
        status: MessageStatus::Done,
        failure: None,
        usage: None,
        created_ms: 0,
        stamp: Stamp { hlc: Hlc::default(), device: DeviceId::from_bytes([1; 16]) },
    }
}

fn key(thread: ThreadId, i: u64) -> [u8; 24] {
    let mut k = [0u8; 24];
    k[..16].copy_from_slice(thread.as_bytes());
    k[16..].copy_from_slice(&i.to_be_bytes());
    k
}

fn seal_overhead(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let thread = ThreadId::new();
    let m = message(thread);

    let plain: Arc<dyn Kv> = Arc::new(SledKv::open(&dir.path().join("plain")).unwrap());
    let sealed_kv: Arc<dyn Kv> = Arc::new(SledKv::open(&dir.path().join("sealed")).unwrap());
    let fast = Argon2Params { m_cost_kib: 1024, t_cost: 1, p_cost: 1 };
    let sealed = SealedStore::create(sealed_kv, &KeySource::KeyFile(dir.path().join("key")), fast).unwrap();

    let mut group = c.benchmark_group("1KiB_message");
    group.throughput(Throughput::Bytes(1024));
    let mut i = 0u64;
    group.bench_function("write/plain_sled", |b| {
        b.iter(|| {
            let bytes = serde_json::to_vec(&m).unwrap();
            plain.insert(Table::Messages, &key(thread, i), &bytes).unwrap();
            i += 1;
        });
    });
    let written_plain = i;
    group.bench_function("write/sealed", |b| {
        b.iter(|| sealed.append_message(black_box(&m)).unwrap());
    });
    let written_sealed = sealed.message_count(thread).unwrap();

    let mut r = 0u64;
    group.bench_function("read/plain_sled", |b| {
        b.iter(|| {
            // The same engine call the sealed store makes: a one-entry range.
            let i = r % written_plain;
            let entries = plain.range(Table::Messages, &key(thread, i), &key(thread, i + 1), 1).unwrap();
            let back: Vec<Message> = entries.iter().map(|(_, v)| serde_json::from_slice(v).unwrap()).collect();
            r += 1;
            black_box(back)
        });
    });
    let mut r = 0u64;
    group.bench_function("read/sealed", |b| {
        b.iter(|| {
            let back = sealed.messages(thread, r % written_sealed, 1).unwrap();
            r += 1;
            black_box(back)
        });
    });
    // Where the sealed read's extra time goes: AES-256-GCM itself.
    let sealer = pakchat::store::crypto::Sealer::new(&[7u8; 32]);
    let plain_bytes = serde_json::to_vec(&m).unwrap();
    let sealed_bytes = sealer.seal(b"messages\0key", &plain_bytes).unwrap();
    group.bench_function("aes_gcm/open_only", |b| {
        b.iter(|| sealer.open(b"messages\0key", black_box(&sealed_bytes)).unwrap());
    });
    group.finish();
}

criterion_group!(benches, seal_overhead);
criterion_main!(benches);
