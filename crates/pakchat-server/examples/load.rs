//! Issue 15's server budgets, printed: `POST /v1/session` per second and an
//! authenticated no-op (`GET /v1/me`) per second with many concurrent
//! clients, and the server's resident memory idle and under that load.
//!
//! Start a server trusting `tests/peers/oidc-mock.mjs` (its issuer is
//! `http://localhost:PORT`) for the client id `load-test`, with the
//! per-account rate limit out of the way (`--rate 100000 --burst 100000`:
//! each client here is one account asking as fast as it can), then:
//!
//! ```text
//! cargo run --release -p pakchat-server --example load -- SERVER_URL ISSUER_URL SERVER_PID [CLIENTS] [SECONDS]
//! ```
//!
//! (defaults: 100 clients, 10 seconds each phase). Each client signs in
//! with its own user's ID token, minted by the mock. Phases: sign-ins,
//! authenticated no-ops, pushes of one small envelope each; then, with
//! `LOAD_IDLE=N`, N idle live connections and the server memory they cost
//! (raise `ulimit -n` first).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn rss_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [server, issuer, pid, ..] = &args[..] else {
        panic!("usage: load SERVER_URL ISSUER_URL SERVER_PID [CLIENTS] [SECONDS]");
    };
    let clients: usize = args.get(3).map_or(100, |c| c.parse().expect("CLIENTS"));
    let seconds: u64 = args.get(4).map_or(10, |s| s.parse().expect("SECONDS"));
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients).build().unwrap();
    println!("server RSS idle: {} KiB", rss_kib(pid));

    let mut tokens = Vec::new();
    for i in 0..clients {
        let body = json!({ "variant": "good", "aud": "load-test", "claims": { "sub": format!("load-{i}"), "email": format!("l{i}@example.com") } });
        let r: Value =
            http.post(format!("{issuer}/_control/mint")).json(&body).send().await.unwrap().json().await.unwrap();
        tokens.push(r["id_token"].as_str().unwrap().to_owned());
    }

    for phase in ["POST /v1/session", "GET /v1/me", "POST /v1/records"] {
        // One session per client for the phases after sign-in.
        let mut sessions = Vec::new();
        if phase != "POST /v1/session" {
            for t in &tokens {
                let r: Value = http
                    .post(format!("{server}/v1/session"))
                    .json(&json!({ "id_token": t }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                sessions.push(r["token"].as_str().unwrap().to_owned());
            }
        }
        let done = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let end = Instant::now() + Duration::from_secs(seconds);
        let peak = Arc::new(AtomicU64::new(0));
        let watcher = {
            let (peak, pid) = (peak.clone(), pid.clone());
            tokio::spawn(async move {
                while Instant::now() < end {
                    peak.fetch_max(rss_kib(&pid), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        };
        let started = Instant::now();
        let mut tasks = Vec::new();
        for (i, id_token) in tokens.iter().enumerate() {
            let (http, server, done, failed) = (http.clone(), server.clone(), done.clone(), failed.clone());
            let id_token = id_token.clone();
            let session = sessions.get(i).cloned();
            let pushing = phase == "POST /v1/records";
            tasks.push(tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < end {
                    n += 1;
                    let request = match &session {
                        Some(s) if pushing => http
                            .post(format!("{server}/v1/records"))
                            .bearer_auth(s)
                            .json(&json!({ "envelopes": [envelope(&format!("c{i}-{n}"), n)] })),
                        Some(s) => http.get(format!("{server}/v1/me")).bearer_auth(s),
                        None => http.post(format!("{server}/v1/session")).json(&json!({ "id_token": id_token })),
                    };
                    match request.send().await {
                        Ok(r) if r.status().is_success() => {
                            drop(r.bytes().await);
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        watcher.await.unwrap();
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{phase}: {:.0}/s with {clients} clients ({} ok, {} failed in {secs:.1} s); server RSS peak {} KiB",
            done.load(Ordering::Relaxed) as f64 / secs,
            done.load(Ordering::Relaxed),
            failed.load(Ordering::Relaxed),
            peak.load(Ordering::Relaxed)
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!("server RSS after: {} KiB", rss_kib(pid));

    // Idle live connections: many devices listening, nothing happening.
    let idle: usize = std::env::var("LOAD_IDLE").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    if idle > 0 {
        hold_idle(&http, server, &tokens[0], pid, idle).await;
    }
}

/// Hold `idle` live connections of one session and print what they cost the server.
async fn hold_idle(http: &reqwest::Client, server: &str, id_token: &str, pid: &str, idle: usize) {
    let r: Value = http
        .post(format!("{server}/v1/session"))
        .json(&json!({ "id_token": id_token }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = r["token"].as_str().unwrap().to_owned();
    let before = rss_kib(pid);
    let mut held = Vec::with_capacity(idle);
    for _ in 0..idle {
        // A client per connection: each listens on its own socket.
        let client = reqwest::Client::new();
        let response = client.get(format!("{server}/v1/live")).bearer_auth(&token).send().await.unwrap();
        assert!(response.status().is_success());
        held.push((client, response));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = rss_kib(pid);
    println!(
        "{idle} idle live connections: server RSS {before} -> {after} KiB ({:.1} KiB per connection)",
        (after.saturating_sub(before)) as f64 / idle as f64
    );
    drop(held);
}

fn envelope(id: &str, millis: u64) -> Value {
    json!({
        "id": id,
        "kind": "message",
        "stamp": { "hlc": { "millis": millis, "counter": 0 }, "device": "01a2454c-0c90-748a-bfb9-fb80d4da7ea2" },
        "deleted": false,
        "key_id": 1,
        "nonce": "AAAAAAAAAAAAAAAA",
        "ciphertext": "c2VhbGVkIGJ5dGVzIG9mIGEgbWVzc2FnZSBvZiB0eXBpY2FsIGxlbmd0aCwgYWJvdXQgYSBmZXcgaHVuZHJlZCBieXRlcw==",
    })
}
