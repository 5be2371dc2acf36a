//! Issue 15's sign-in budget: one whole sign-in as the app does it, from
//! the click to the session kept, against the local identity provider
//! (oauth2-mock-server through `tests/peers/oidc-mock.mjs`) and a real
//! server in this process: the server's sign-in settings, the provider's
//! discovery, the loopback, the authorization (followed by "the browser",
//! here an HTTP client on a thread, not a real browser), the code exchange
//! with PKCE, and the server's verification. Criterion's median is the p50.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/common/peers.rs"]
#[allow(dead_code)]
mod peers;
#[path = "../tests/common/server.rs"]
#[allow(dead_code)]
mod server;

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use pakchat::backend::account::{SignInOptions, sign_in};

const CLIENT: &str = "pakchat-bench";

/// "The browser": follow the address and the provider's redirect to the loopback.
fn browse(url: &str) -> Result<(), String> {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let body = reqwest::blocking::get(&url).and_then(reqwest::blocking::Response::text);
        assert!(body.unwrap().contains("Pak.Chat has your sign-in"));
    });
    Ok(())
}

fn sign_in_round_trip(c: &mut Criterion) {
    let idp = peers::oidc_mock();
    let local = server::LocalServer::start(&idp.base, CLIENT);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let options = SignInOptions {
        server: local.base.clone(),
        client_id: None,
        client_secret: None,
        wait: Duration::from_secs(30),
        device: Some("bench-device".to_owned()),
    };
    let mut group = c.benchmark_group("sign_in");
    group.sample_size(30);
    group.bench_function("click_to_signed_in", |b| {
        b.iter(|| runtime.block_on(sign_in(&options, &browse, &|_| {})).unwrap());
    });
    group.finish();
}

criterion_group!(benches, sign_in_round_trip);
criterion_main!(benches);
