//! `pakchat account sign-in --server URL | status | sign-out | join |
//! devices | remove-device ID | rename-device NAME`: the app's account on
//! a headless machine (and in the tests). `join` reads the
//! recovery code (`--recovery-code-file F`, or standard input) and fetches
//! the account's sync key; a wrong code, an unreachable server or an
//! account without a key writes nothing. Sign-in opens the
//! browser as the app does (`$BROWSER` first) and prints the address on
//! standard error in case none opens; it waits up to five minutes.

use std::time::Duration;

use crate::backend::account::{self, AccountError, SignInOptions};
use crate::store::{SealedStore, Store as _};

/// A command of `pakchat account`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountCommand {
    /// Sign in to this server (`--server URL`, optionally `--client-id ID`).
    SignIn {
        /// The server's address.
        server: String,
        /// An OAuth client id other than the one the server names.
        client_id: Option<String>,
    },
    /// Say who is signed in, asking the server whether the session holds.
    Status,
    /// Sign out here and at the server.
    SignOut,
    /// Get the account's sync key with its recovery code (from this file,
    /// or standard input).
    Join {
        /// Where the code is written (`None`: standard input).
        code_file: Option<std::path::PathBuf>,
    },
    /// List the account's signed-in devices.
    Devices,
    /// Sign another device of the account out.
    RemoveDevice {
        /// Its id, as `devices` lists it.
        id: String,
    },
    /// Rename this device.
    RenameDevice {
        /// The new name.
        name: String,
    },
}

/// Run `command` on the open profile `store`, its network work on `runtime`.
pub(super) fn run(
    store: &SealedStore,
    command: &AccountCommand,
    runtime: &tokio::runtime::Handle,
) -> Result<String, String> {
    match command {
        AccountCommand::SignIn { server, client_id } => runtime.block_on(sign_in(store, server, client_id.clone())),
        AccountCommand::Status => runtime.block_on(status(store)),
        AccountCommand::SignOut => runtime.block_on(sign_out(store)),
        AccountCommand::Join { code_file } => {
            let code = read_code(code_file.as_deref())?;
            runtime.block_on(join(store, &code))
        }
        AccountCommand::Devices => runtime.block_on(devices(store)),
        AccountCommand::RemoveDevice { id } => {
            runtime.block_on(crate::backend::devices::remove(store, id))?;
            Ok(format!("signed out the device {id}"))
        }
        AccountCommand::RenameDevice { name } => {
            let stamp = crate::domain::HlcClock::new(store.device_id()).now();
            crate::backend::devices::rename(store, stamp, name)?;
            Ok("renamed: the other devices see the name after their next sync".to_owned())
        }
    }
}

/// The recovery code as the user gave it (a file or standard input; at
/// most 1 KiB, the first line that is not blank).
fn read_code(file: Option<&std::path::Path>) -> Result<pakchat_sync::RecoveryCode, String> {
    use std::io::Read as _;
    let mut text = zeroize::Zeroizing::new(String::new());
    let read = match file {
        Some(path) => std::fs::File::open(path)
            .and_then(|f| f.take(1024).read_to_string(&mut text))
            .map_err(|e| format!("{}: {e}", path.display())),
        None => std::io::stdin().take(1024).read_to_string(&mut text).map_err(|e| format!("standard input: {e}")),
    };
    read?;
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    pakchat_sync::RecoveryCode::parse(line).map_err(|e| e.to_string())
}

async fn join(store: &SealedStore, code: &pakchat_sync::RecoveryCode) -> Result<String, String> {
    let Some(known) = store.account().map_err(|e| e.to_string())? else {
        return Err("not signed in: run pakchat account sign-in --server URL first".to_owned());
    };
    if known.expired {
        return Err(format!("{} signed this device out: sign in again first", known.server));
    }
    let server = pakchat_sync::Server::new(&known.server, &known.token).map_err(|e| e.to_string())?;
    // Nothing is written unless the key came and opened.
    let (key, key_id) = pakchat_sync::join(&server, code).await.map_err(|e| e.to_string())?;
    store.put_sync_key(Some((key_id, key.as_bytes()))).map_err(|e| e.to_string())?;
    store.flush().map_err(|e| e.to_string())?;
    Ok(format!("joined: this device holds the account's key (from {})", known.server))
}

/// One line per device: id, when it was last seen (UTC), its name, and
/// which is this one.
async fn devices(store: &SealedStore) -> Result<String, String> {
    let list = crate::backend::devices::list(store).await?;
    let lines: Vec<String> = list
        .iter()
        .map(|d| {
            let this = if d.current { "\tthis device" } else { "" };
            format!("{}\t{}\t{}{this}", d.id, date(d.last_seen_ms), d.name)
        })
        .collect();
    Ok(lines.join("\n"))
}

async fn sign_in(store: &SealedStore, server: &str, client_id: Option<String>) -> Result<String, String> {
    let options = SignInOptions {
        server: server.to_owned(),
        client_id: client_id.or_else(account::client_id_override),
        client_secret: account::client_secret(),
        wait: Duration::from_secs(300),
        device: Some(store.device_id().0.to_string()),
    };
    let show = |url: &str| super::progress(&format!("signing in through your browser; if none opens, go to:\n{url}"));
    let mut signed_in =
        account::sign_in(&options, &account::open_in_browser, &show).await.map_err(|e| e.to_string())?;
    let http = account::http_client().map_err(|e| e.to_string())?;
    if let Some(bytes) = account::fetch_avatar(&http, &signed_in.user.picture).await {
        signed_in.avatar = Some(store.put_blob(&bytes).map_err(|e| e.to_string())?);
    }
    store.put_account(Some(&signed_in)).map_err(|e| e.to_string())?;
    store.flush().map_err(|e| e.to_string())?;
    Ok(format!("signed in to {} as {}", signed_in.server, who(&signed_in.user)))
}

async fn status(store: &SealedStore) -> Result<String, String> {
    let Some(mut known) = store.account().map_err(|e| e.to_string())? else {
        return Ok("not signed in".to_owned());
    };
    if known.expired {
        return Ok(format!("signed out by {} (session expired or revoked): sign in again", known.server));
    }
    let http = account::http_client().map_err(|e| e.to_string())?;
    match account::check(&http, &known.server, &known.token).await {
        Ok(user) => {
            let near_end = account::near_end(known.expires_ms);
            let rotated = if near_end { account::rotate(&http, &known.server, &known.token).await.ok() } else { None };
            if user != known.user || rotated.is_some() {
                known.user = user;
                if let Some((token, expires_ms)) = rotated {
                    (known.token, known.expires_ms) = (token, expires_ms);
                }
                store.put_account(Some(&known)).map_err(|e| e.to_string())?;
                store.flush().map_err(|e| e.to_string())?;
            }
            Ok(format!(
                "signed in to {} as {}\nsession until {}",
                known.server,
                who(&known.user),
                date(known.expires_ms)
            ))
        }
        Err(AccountError::SignedOut) => {
            known.expired = true;
            store.put_account(Some(&known)).map_err(|e| e.to_string())?;
            store.flush().map_err(|e| e.to_string())?;
            Ok(format!("signed out by {} (session expired or revoked): sign in again", known.server))
        }
        Err(e) => Ok(format!("signed in to {} as {} (not checked: {e})", known.server, who(&known.user))),
    }
}

async fn sign_out(store: &SealedStore) -> Result<String, String> {
    let Some(known) = store.account().map_err(|e| e.to_string())? else {
        return Ok("not signed in".to_owned());
    };
    let http = account::http_client().map_err(|e| e.to_string())?;
    let told = account::end_session(&http, &known.server, &known.token).await;
    store.put_account(None).map_err(|e| e.to_string())?;
    store.flush().map_err(|e| e.to_string())?;
    Ok(match told {
        Ok(()) => format!("signed out of {}", known.server),
        Err(e) => format!("signed out here; {e}, so the session ends there on its own on {}", date(known.expires_ms)),
    })
}

fn who(user: &crate::domain::AccountUser) -> String {
    match (user.name.is_empty(), user.email.is_empty()) {
        (false, false) => format!("{} <{}>", user.name, user.email),
        (true, false) => user.email.clone(),
        _ => user.name.clone(),
    }
}

fn date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map_or_else(|| ms.to_string(), |d| d.format("%Y-%m-%d %H:%M UTC").to_string())
}
