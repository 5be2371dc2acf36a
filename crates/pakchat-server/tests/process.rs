//! The `pakchat-server` binary as an operator runs it: start-up checks,
//! what its log says and does not say, and a SIGKILL that loses nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

const CLIENT: &str = "pakchat-test-client";

/// A running server process and everything it has logged so far.
struct Process {
    child: Child,
    base: String,
    log: Arc<Mutex<String>>,
}

impl Drop for Process {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn start(args: &[&str]) -> Process {
    start_with(args, &[])
}

/// [`start`] with more environment variables.
fn start_with(args: &[&str], env: &[(&str, &str)]) -> Process {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pakchat-server"))
        .args(args)
        .envs(env.iter().copied())
        .env_remove("PAKCHAT_SERVER_CLIENT_IDS")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pakchat-server");
    let stderr = child.stderr.take().expect("stderr");
    let log = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let kept = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("pakchat-server ready")
                && let Some(at) = line.find("listen=")
            {
                let addr: String = line[at + 7..].chars().take_while(|c| !c.is_whitespace()).collect();
                tx.send(addr).ok();
            }
            kept.lock().expect("log").push_str(&(line + "\n"));
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("the server did not start: {}", log.lock().expect("log")));
    Process { child, base: format!("http://{addr}"), log }
}

/// A session at `server` for the user `claims` describe (a good ID token
/// from the mock at `issuer`).
fn session_token(http: &reqwest::blocking::Client, server: &str, issuer: &str, claims: &Value) -> String {
    let minted: Value = http
        .post(format!("{issuer}/_control/mint"))
        .json(&json!({ "variant": "good", "aud": CLIENT, "claims": claims }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let answer: Value = http
        .post(format!("{server}/v1/session"))
        .json(&json!({ "id_token": minted["id_token"] }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    answer["token"].as_str().unwrap_or_else(|| panic!("{answer}")).to_owned()
}

fn server_args<'a>(database: &'a str, issuer: &'a str) -> Vec<&'a str> {
    vec!["--listen", "127.0.0.1:0", "--database-url", database, "--issuer", issuer, "--client-id", CLIENT]
}

#[test]
fn bad_configuration_is_one_line_and_exit_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let s3 = ["--s3-endpoint", "http://127.0.0.1:9", "--s3-bucket", "chunks"];
    let cases: [(&[&str], &str); 6] = [
        (&["--data-dir", data, "--client-id", "x", "--web-dir", data], "--web-dir: "),
        (&[&["--data-dir", data, "--client-id", "x"][..], &s3].concat(), "PAKCHAT_SERVER_S3_SECRET_ACCESS_KEY"),
        (&["--data-dir", data, "--client-id", "x", "--listen", "0.0.0.0:8710"], "--behind-proxy"),
        (&["--data-dir", data, "--client-id", "x", "--listen", "here"], "--listen: \"here\" is not an address"),
        (&["--data-dir", data], "no client id"),
        (&["--data-dir", data, "--client-id", "x", "--database-url", "postgres://u:pw@127.0.0.1:1/x"], "database"),
    ];
    for (args, says) in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_pakchat-server"))
            .args(args)
            .env_remove("PAKCHAT_SERVER_CLIENT_IDS")
            .env_remove("PAKCHAT_SERVER_S3_ACCESS_KEY_ID")
            .env_remove("PAKCHAT_SERVER_S3_SECRET_ACCESS_KEY")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("pakchat-server:")).collect();
        assert_eq!(lines.len(), 1, "{args:?}: one line: {stderr}");
        assert!(lines[0].contains(says), "{args:?}: {stderr}");
        assert!(!stderr.contains("pw@"), "no password: {stderr}");
    }
}

#[test]
fn the_log_names_users_by_id_only_and_says_why_a_token_was_refused() {
    let idp = common::peers::oidc_mock();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("s.sqlite3").display());
    let server = start(&server_args(&db, &idp.base));
    let http = reqwest::blocking::Client::new();
    let mint = |variant: &str| -> String {
        let r: Value = http
            .post(format!("{}/_control/mint", idp.base))
            .json(&json!({ "variant": variant, "aud": CLIENT }))
            .send()
            .unwrap()
            .json()
            .unwrap();
        r["id_token"].as_str().unwrap().to_owned()
    };
    let good = mint("good");
    let answer: Value = http
        .post(format!("{}/v1/session", server.base))
        .json(&json!({ "id_token": good }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let token = answer["token"].as_str().unwrap().to_owned();
    let expired = mint("expired");
    let refused =
        http.post(format!("{}/v1/session", server.base)).json(&json!({ "id_token": expired })).send().unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    std::thread::sleep(Duration::from_millis(200));
    let log = server.log.lock().unwrap().clone();
    assert!(log.contains("signed in"), "{log}");
    assert!(log.contains("sign-in refused") && log.contains("ExpiredSignature"), "the reason is logged: {log}");
    for secret in [token.as_str(), good.as_str(), expired.as_str(), "ada@example.com", "Ada Lovelace"] {
        assert!(!log.contains(secret), "{secret:?} must not be logged: {log}");
    }
    // Only the session token's hash is stored: the token is in none of the
    // database's files (which do hold the user's record).
    let files: Vec<Vec<u8>> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| std::fs::read(e.unwrap().path()).unwrap()).collect();
    let holds = |needle: &[u8]| files.iter().any(|f| f.windows(needle.len()).any(|w| w == needle));
    assert!(holds(b"ada@example.com"), "the user's record is in the files read");
    assert!(!holds(token.as_bytes()), "the session token is stored as is");
}

#[test]
fn a_server_killed_with_sigkill_keeps_every_user_and_session() {
    let idp = common::peers::oidc_mock();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}?mode=rwc", dir.path().join("s.sqlite3").display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let postgres = runtime.block_on(common::fresh_postgres());
    let http = reqwest::blocking::Client::new();
    for (backend, db) in [("sqlite", sqlite), ("postgres", postgres)] {
        let args = server_args(&db, &idp.base);
        let mut server = start(&args);
        let mut tokens = Vec::new();
        for i in 0..5 {
            let claims = json!({ "sub": format!("user-{i}"), "email": format!("u{i}@example.com") });
            tokens.push((i, session_token(&http, &server.base, &idp.base, &claims)));
        }
        // SIGKILL: no shutdown, no flush.
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        drop(server);
        let again = start(&args);
        for (i, token) in &tokens {
            let me = http.get(format!("{}/v1/me", again.base)).bearer_auth(token).send().unwrap();
            assert_eq!(me.status().as_u16(), 200, "{backend}: user {i}'s session survived");
            let me: Value = me.json().unwrap();
            assert_eq!(me["email"], format!("u{i}@example.com"), "{backend}");
        }
    }
}

/// One envelope of the kill test, as JSON.
fn wire(id: &str) -> Value {
    json!({
        "id": id,
        "kind": "message",
        "stamp": { "hlc": { "millis": 1, "counter": 0 }, "device": "01a2454c-0c90-748a-bfb9-fb80d4da7ea2" },
        "deleted": false,
        "key_id": 1,
        "nonce": "AAAAAAAAAAAAAAAA",
        "ciphertext": "c2VhbGVk",
    })
}

#[test]
fn pushes_through_a_server_killed_again_and_again_lose_nothing_and_repeat_nothing() {
    let idp = common::peers::oidc_mock();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}?mode=rwc", dir.path().join("s.sqlite3").display());
    let postgres = runtime.block_on(common::fresh_postgres());
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    for (backend, db) in [("sqlite", sqlite), ("postgres", postgres)] {
        let mut args = server_args(&db, &idp.base);
        // The client pushes as fast as it can: the rate limit is not what is tested.
        args.extend(["--rate", "100000", "--burst", "100000"]);
        let mut server = start(&args);
        let token = session_token(&http, &server.base, &idp.base, &json!({}));
        // Batches big enough that a kill 2 ms after sending often lands
        // while the server is still writing one.
        let (batches, per_batch) = (20, 200);
        let (mut killed, mut mid_push) = (0, 0);
        for b in 0..batches {
            let body = json!({ "envelopes": (0..per_batch).map(|i| wire(&format!("b{b}-{i}"))).collect::<Vec<_>>() });
            // Kill the server every few batches, while the push is on its way.
            if b % 4 == 1 {
                let pid = server.child.id();
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(2));
                    // SIGKILL; it may already have answered.
                    std::process::Command::new("kill").args(["-9", &pid.to_string()]).status().ok();
                });
            }
            // The client's rule: a push without an answer is pushed again.
            loop {
                match http.post(format!("{}/v1/records", server.base)).bearer_auth(&token).json(&body).send() {
                    Ok(r) if r.status().is_success() => break,
                    Ok(r) => panic!("{backend}: {}", r.status()),
                    Err(_) => {
                        // Gone: start it again on the same database (a new port).
                        server.child.wait().ok();
                        killed += 1;
                        mid_push += 1;
                        server = start(&args);
                    }
                }
            }
            if server.child.try_wait().unwrap().is_some() {
                killed += 1;
                server = start(&args);
            }
        }
        assert!(killed >= 3, "{backend}: the server was killed {killed} times");
        eprintln!("{backend}: killed {killed} times, {mid_push} of them with a push unanswered");
        assert!(mid_push >= 1, "{backend}: no kill landed during a push");
        let mut ids = Vec::new();
        let mut after = 0;
        loop {
            let page: Value = http
                .get(format!("{}/v1/records?after={after}&limit=500", server.base))
                .bearer_auth(&token)
                .send()
                .unwrap()
                .json()
                .unwrap();
            for s in page["envelopes"].as_array().unwrap() {
                ids.push(s["envelope"]["id"].as_str().unwrap().to_owned());
            }
            after = page["next"].as_u64().unwrap();
            if !page["more"].as_bool().unwrap() {
                break;
            }
        }
        let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{backend}: a record came twice");
        assert_eq!(ids.len(), batches * per_batch, "{backend}: every pushed record is there");
        assert_eq!(after, (batches * per_batch) as u64, "{backend}: the log has no gaps or repeats");
    }
}

#[test]
fn uploaded_files_go_to_the_data_folder_or_to_the_bucket_it_is_given() {
    use pakchat_server::chunks::{ChunkStore, S3Config, S3Credentials, S3Store};
    let idp = common::peers::oidc_mock();
    let moto = common::peers::moto();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let key = S3Credentials { access_key_id: "AKIDPROCESS".to_owned(), secret_access_key: "process-secret".to_owned() };
    let config = S3Config {
        endpoint: moto.base.clone(),
        bucket: "process-chunks".to_owned(),
        region: "us-east-1".to_owned(),
        credentials: key.clone(),
    };
    runtime.block_on(S3Store::new(&config).unwrap().create_bucket()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("s.sqlite3").display());
    let http = reqwest::blocking::Client::new();
    let id = "ab".repeat(32);
    let sent: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    // Upload as `sub`; the user's id.
    let upload = |base: &str, sub: &str| -> String {
        let token = session_token(&http, base, &idp.base, &json!({ "sub": sub, "email": "ada@example.com" }));
        let put = http.put(format!("{base}/v1/chunks/{id}")).bearer_auth(&token).body(sent.clone()).send().unwrap();
        assert_eq!(put.status().as_u16(), 201);
        let me: Value = http.get(format!("{base}/v1/me")).bearer_auth(&token).send().unwrap().json().unwrap();
        me["id"].as_str().unwrap().to_owned()
    };

    let mut args = server_args(&db, &idp.base);
    args.extend(["--data-dir", data.to_str().unwrap()]);
    let server = start(&args);
    let user = upload(&server.base, "in-folder");
    assert!(std::fs::read(data.join("chunks").join(&user).join("ab").join(&id)).unwrap() == sent);
    drop(server);

    args.extend(["--s3-endpoint", &moto.base, "--s3-bucket", "process-chunks"]);
    let env =
        [("PAKCHAT_SERVER_S3_ACCESS_KEY_ID", "AKIDPROCESS"), ("PAKCHAT_SERVER_S3_SECRET_ACCESS_KEY", "process-secret")];
    let server = start_with(&args, &env);
    let user = upload(&server.base, "in-bucket");
    let store = ChunkStore::S3(S3Store::new(&config).unwrap());
    let stored = runtime.block_on(store.get(&user, &pakchat_protocol::ChunkId::new(id.clone()).unwrap())).unwrap();
    assert!(stored.as_deref() == Some(&sent[..]), "the object is the body sent");
    assert!(!data.join("chunks").join(&user).exists(), "nothing in the folder");
    let log = server.log.lock().unwrap().clone();
    assert!(log.contains("process-chunks") && !log.contains("process-secret"), "{log}");
}

#[test]
fn the_web_app_is_served_beside_the_api_and_nothing_outside_its_folder() {
    let idp = common::peers::oidc_mock();
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("dist");
    std::fs::create_dir_all(web.join("fonts")).unwrap();
    std::fs::write(web.join("index.html"), "<!doctype html><title>Pak.Chat</title>").unwrap();
    std::fs::write(web.join("pakchat_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(web.join("fonts").join("a.txt"), "a font").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "outside the folder").unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("s.sqlite3").display());
    let mut args = server_args(&db, &idp.base);
    args.extend(["--web-dir", web.to_str().unwrap()]);
    let server = start(&args);
    let http = reqwest::blocking::Client::new();
    let get = |path: &str| http.get(format!("{}{path}", server.base)).send().unwrap();

    let page = get("/");
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert!(page.text().unwrap().contains("<title>Pak.Chat</title>"));
    let module = get("/pakchat_bg.wasm");
    assert_eq!(module.headers()["content-type"], "application/wasm", "compiled as it downloads");
    assert_eq!(module.bytes().unwrap().as_ref(), b"\0asm\x01\0\0\0");
    assert_eq!(get("/fonts/a.txt").text().unwrap(), "a font");
    for outside in ["/../secret.txt", "/fonts/../../secret.txt", "/%2e%2e/secret.txt", "/.hidden", "/nothing.js"] {
        let answer = get(outside);
        assert_eq!(answer.status(), 404, "{outside}");
        assert!(!answer.text().unwrap().contains("outside the folder"), "{outside}");
    }
    // The API still answers as the API.
    let me = get("/v1/me");
    assert_eq!(me.status(), 401);
    assert_eq!(me.json::<Value>().unwrap()["error"], "unauthorized");
    assert_eq!(get("/healthz").status(), 200);
}
