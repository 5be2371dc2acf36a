//! Issue 16's latency budget: a change committed on device A until the
//! event that shows it on device B (p50 < 50 ms, p99 < 250 ms). Two real
//! backends (each with its profile on disk, signed in, holding the account
//! key) and a real server in this process, over loopback: A renames a
//! chat; its sync task pushes; the server pokes B on the live channel; B
//! pulls, merges and sends the UI the new list. Criterion times it; the
//! p50 and p99 of every round it ran are printed at the end. Then the same
//! with A and B on two servers sharing one PostgreSQL database, when the
//! test PostgreSQL is there (`PAKCHAT_TEST_DATABASE_URL`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
#![allow(clippy::print_stdout, reason = "the percentiles are the report")]

#[path = "../tests/common/peers.rs"]
#[allow(dead_code)]
mod peers;
#[path = "../tests/common/server.rs"]
#[allow(dead_code)]
mod server;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use pakchat::backend::{BackendConfig, BackendHandle, Command, Event, StoreLocation, SyncView, ThreadSummary};
use pakchat::domain::{Account, AccountUser, ThreadId};
use pakchat::store::{Argon2Params, KeySource, SealedStore, SledKv, Store as _};

const CLIENT: &str = "pakchat-sync-bench";
const FAST: Argon2Params = Argon2Params { m_cost_kib: 8, t_cost: 1, p_cost: 1 };

/// A profile in `dir` signed in with `token`, holding the account key.
fn profile(dir: &std::path::Path, base: &str, token: String, key: (u32, [u8; 32])) -> BackendConfig {
    let kv = Arc::new(SledKv::open(&dir.join("profile")).unwrap());
    let store = SealedStore::create(kv, &KeySource::KeyFile(dir.join("key")), FAST).unwrap();
    let account = Account {
        server: base.to_owned(),
        token,
        expires_ms: i64::MAX,
        user: AccountUser::default(),
        avatar: None,
        expired: false,
    };
    store.put_account(Some(&account)).unwrap();
    store.put_sync_key(Some((key.0, &key.1))).unwrap();
    store.flush().unwrap();
    drop(store);
    BackendConfig {
        location: StoreLocation::Directory(dir.join("profile")),
        key_file: Some(dir.join("key")),
        argon2: FAST,
        use_keychain: false,
        retry: pakchat::providers::RetryPolicy::default(),
        picker: pakchat::backend::FilePicker::Scripted(Vec::new()),
        lockdown: pakchat::backend::Lockdown::default(),
        browser: None,
    }
}

/// Wait (spinning briefly) for an event of `handle` that `done` accepts;
/// `other`'s events are drained meanwhile, and its sync states told if it
/// never comes.
fn wait(handle: &BackendHandle, other: Option<&BackendHandle>, what: &str, mut done: impl FnMut(&Event) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut said = Vec::new();
    loop {
        while let Some(event) = handle.try_recv() {
            if done(&event) {
                return;
            }
        }
        while let Some(event) = other.and_then(BackendHandle::try_recv) {
            match event {
                Event::Sync(view) => said.push(format!("{view:?}")),
                Event::Error { message, .. } => said.push(message),
                _ => {}
            }
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}; the other device said {said:?}");
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn titled(event: &Event, id: ThreadId, title: &str) -> bool {
    matches!(event, Event::ThreadsLoaded(list)
        if list.iter().any(|t| matches!(t, ThreadSummary::Ok(t) if t.id == id && t.title == title)))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

/// The request rate per account lifted: a person does not rename a chat
/// 200 times in ten seconds, and the budget is the latency.
fn lifted() -> pakchat_server::limits::Limits {
    pakchat_server::limits::Limits { rate_per_s: 100_000, burst: 100_000, ..Default::default() }
}

/// One server on SQLite; A and B both talk to it.
fn commit_to_event(c: &mut Criterion) {
    let idp = peers::oidc_mock();
    let local = server::LocalServer::start_with(&idp.base, CLIENT, lifted());
    measure(c, "commit_on_a_to_event_on_b", &idp.base, &local, &local);
}

/// Two servers (each its own runtime, database pool and live hub) on one
/// PostgreSQL database; A talks to one, B to the other, so the poke
/// crosses by `LISTEN`/`NOTIFY`. Skipped without the test PostgreSQL
/// (`PAKCHAT_TEST_DATABASE_URL`, as `scripts/check.sh` starts it).
fn commit_to_event_across_two_servers(c: &mut Criterion) {
    let Ok(base_url) = std::env::var("PAKCHAT_TEST_DATABASE_URL") else {
        println!("two servers on PostgreSQL: skipped (no PAKCHAT_TEST_DATABASE_URL)");
        return;
    };
    let idp = peers::oidc_mock();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let name = format!("pakchat_bench_{}", uuid::Uuid::new_v4().simple());
    runtime.block_on(async {
        sqlx::any::install_default_drivers();
        let admin = sqlx::AnyPool::connect(&base_url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await.unwrap();
        admin.close().await;
    });
    let url = format!("{}/{name}", base_url.rsplit_once('/').unwrap().0);
    let start =
        || server::LocalServer::start_on(tempfile::tempdir().unwrap(), url.clone(), &idp.base, CLIENT, lifted());
    let (one, two) = (start(), start());
    measure(c, "commit_on_a_to_event_on_b_across_two_servers", &idp.base, &one, &two);
}

/// A renames a chat through `server_a`; time until B, signed in through
/// `server_b`, sends its UI the new title.
fn measure(
    c: &mut Criterion,
    name: &str,
    issuer: &str,
    server_a: &server::LocalServer,
    server_b: &server::LocalServer,
) {
    let claims = serde_json::json!({ "sub": "bench", "email": "bench@example.org" });
    let token = |s: &server::LocalServer| s.block_on(peers::session_token(&s.base, issuer, CLIENT, claims.clone()));
    let (token_a, token_b) = (token(server_a), token(server_b));
    let first = pakchat_sync::Server::new(&server_a.base, &token_a).unwrap();
    let cheap = pakchat_sync::KdfParams { m_cost_kib: 1024, t_cost: 1, p_cost: 1 };
    let (key, key_id, _) = server_a.block_on(pakchat_sync::create_account_key(&first, cheap)).unwrap();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let config_a = profile(dir_a.path(), &server_a.base, token_a, (key_id, *key.as_bytes()));
    let config_b = profile(dir_b.path(), &server_b.base, token_b, (key_id, *key.as_bytes()));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let rt = pakchat::backend::Runtime::new(runtime.handle().clone());
    let (a, _stopped_a) = pakchat::backend::start(&rt, config_a, || {});
    let (b, _stopped_b) = pakchat::backend::start(&rt, config_b, || {});
    wait(&a, None, "A synced", |e| matches!(e, Event::Sync(SyncView::Synced)));
    wait(&b, None, "B synced", |e| matches!(e, Event::Sync(SyncView::Synced)));

    let id = ThreadId::new();
    a.send(Command::CreateThread { id, project: None });
    a.send(Command::RenameThread { id, title: "first".to_owned() });
    wait(&b, None, "the chat on B", |e| titled(e, id, "first"));

    let samples = Mutex::new(Vec::new());
    let mut n = 0u64;
    let mut group = c.benchmark_group("sync");
    group.sample_size(30).measurement_time(Duration::from_secs(10));
    group.bench_function(name, |bench| {
        bench.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let title = format!("rename {n}");
                let started = Instant::now();
                a.send(Command::RenameThread { id, title: title.clone() });
                wait(&b, Some(&a), "the rename on B", |e| titled(e, id, &title));
                let took = started.elapsed();
                samples.lock().unwrap().push(took);
                total += took;
            }
            total
        });
    });
    group.finish();
    let mut sorted = samples.into_inner().unwrap();
    sorted.sort();
    println!(
        "{name}: commit on A → event on B over {} rounds: p50 {:?}, p99 {:?}, max {:?}",
        sorted.len(),
        percentile(&sorted, 0.5),
        percentile(&sorted, 0.99),
        sorted.last().copied().unwrap_or_default()
    );
}

criterion_group!(benches, commit_to_event, commit_to_event_across_two_servers);
criterion_main!(benches);
