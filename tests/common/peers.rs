//! Start the third-party mock servers (installed by `scripts/peers.sh`) on
//! free loopback ports; each `Server` stops its process when dropped.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running server.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT` (the OIDC mock: `http://localhost:PORT`)
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill(); // Already gone is fine.
        let _ = self.child.wait();
    }
}

/// Where `scripts/peers.sh` installed the servers.
pub fn peers_dir() -> PathBuf {
    std::env::var_os("PAKCHAT_PEERS_DIR").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/pakchat/peers"),
        PathBuf::from,
    )
}

fn start(mut command: Command, from_stderr: bool, marker: &str) -> Server {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}; run scripts/peers.sh first"));
    let (out, err) = (child.stdout.take().expect("stdout"), child.stderr.take().expect("stderr"));
    let (tx, rx) = mpsc::channel();
    let marker = marker.to_owned();
    // Read both pipes for the life of the server so it never blocks on a full pipe.
    for (pipe, wanted) in [(Box::new(out) as Box<dyn std::io::Read + Send>, !from_stderr), (Box::new(err), from_stderr)]
    {
        let tx = tx.clone();
        let marker = marker.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if wanted && let Some(at) = line.find(&marker) {
                    let url: String = line[at + marker.len()..].chars().take_while(|c| !c.is_whitespace()).collect();
                    let _ = tx.send(url); // The test may have given up already.
                }
            }
        });
    }
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(base) => Server { child, base },
        Err(_) => {
            let _ = child.kill();
            panic!("{command:?} did not report its address; run scripts/peers.sh first");
        }
    }
}

/// `@copilotkit/aimock` with the fixtures in `tests/fixtures/aimock.json`.
pub fn aimock() -> Server {
    aimock_with_keys(None)
}

/// aimock that accepts only `key` (401 for any other), when given.
pub fn aimock_with_keys(key: Option<&str>) -> Server {
    let dir = peers_dir();
    let mut c = Command::new("node");
    if let Some(key) = key {
        c.env("AIMOCK_API_KEYS", key);
    }
    c.arg(dir.join("node_modules/@copilotkit/aimock/dist/cli.js"))
        .args(["-p", "0", "-h", "127.0.0.1", "-f"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/aimock.json"));
    start(c, false, "listening on ")
}

/// PyPI `llmock`, echoing the user's text.
pub fn llmock() -> Server {
    let mut c = Command::new(peers_dir().join("venv/bin/llmock"));
    c.args(["serve", "--host", "127.0.0.1", "--port", "0", "--response-style", "echo", "--log-level", "info"]);
    start(c, true, "running on ")
}

/// PyPI `moto` in server mode: an S3-compatible object store (every AWS
/// service on one port, state in memory) for the server's file chunks.
/// Requests are not checked until authentication is turned on (its
/// `/moto-api/reset-auth`); no bucket exists yet.
pub fn moto() -> Server {
    let mut c = Command::new(peers_dir().join("venv/bin/moto_server"));
    c.args(["-H", "127.0.0.1", "-p", "0"]);
    let server = start(c, true, "Running on ");
    // The line comes once it listens; wait until it also answers.
    let address = server.base.trim_start_matches("http://").to_owned();
    for _ in 0..100 {
        if std::net::TcpStream::connect(&address).is_ok() {
            return server;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("moto_server at {address} does not answer");
}

/// `tests/peers/oidc-mock.mjs`: oauth2-mock-server as an OpenID Connect
/// provider with control endpoints; `base` is its issuer,
/// `http://localhost:PORT`.
pub fn oidc_mock() -> Server {
    // This file is also compiled into other crates' tests, so look for the
    // script in each folder up from the crate being tested.
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("tests/peers/oidc-mock.mjs"))
        .find(|script| script.is_file())
        .expect("tests/peers/oidc-mock.mjs in a folder above the crate");
    let mut c = Command::new("node");
    c.env("PAKCHAT_PEERS_DIR", peers_dir()).arg(script).args(["--port", "0"]);
    start(c, false, "oidc-mock listening on ")
}

/// A `postgres://` URL of a server the tests may create databases in (the
/// throwaway cluster that `scripts/check.sh` starts).
pub fn postgres_url() -> String {
    std::env::var("PAKCHAT_TEST_DATABASE_URL")
        .expect("PAKCHAT_TEST_DATABASE_URL: run the tests through scripts/check.sh, which starts PostgreSQL")
}

/// An ID token minted by [`oidc_mock`] at `issuer` for `client`: `variant`
/// as `tests/peers/oidc-mock.mjs` names them (`good`, `expired`, …),
/// `claims` merged over its defaults, `nonce` echoed when given.
pub async fn mint(issuer: &str, client: &str, variant: &str, claims: serde_json::Value, nonce: Option<&str>) -> String {
    let body = serde_json::json!({ "variant": variant, "aud": client, "claims": claims, "nonce": nonce });
    let http = reqwest::Client::new();
    let r: serde_json::Value =
        http.post(format!("{issuer}/_control/mint")).json(&body).send().await.unwrap().json().await.unwrap();
    r["id_token"].as_str().unwrap_or_else(|| panic!("{variant}: {r}")).to_owned()
}

/// The session token the Pak.Chat server at `server` gives a device of the
/// user `claims` describe (a good ID token from `issuer` for `client`).
pub async fn session_token(server: &str, issuer: &str, client: &str, claims: serde_json::Value) -> String {
    session_token_on(server, issuer, client, claims, None).await
}

/// [`session_token`] for the device `device` (a profile's device id).
pub async fn session_token_on(
    server: &str,
    issuer: &str,
    client: &str,
    claims: serde_json::Value,
    device: Option<&str>,
) -> String {
    let id_token = mint(issuer, client, "good", claims, None).await;
    let http = reqwest::Client::new();
    let answer: serde_json::Value = http
        .post(format!("{server}/v1/session"))
        .json(&serde_json::json!({ "id_token": id_token, "device": device }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["token"].as_str().unwrap_or_else(|| panic!("no session: {answer}")).to_owned()
}
