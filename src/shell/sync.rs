//! `pakchat sync`: one round of sync on a signed-in profile — send the
//! changes waiting here, take in what other devices sent. The first device
//! of an account makes its sync key and prints the recovery code, once.
//! Exit status 0 when nothing is left waiting; otherwise one line saying
//! why, and the changes stay for the next round. With `--files`, every
//! file other devices attached is downloaded too (exit non-zero when one
//! could not be).

use crate::backend::sync::{self, SyncFailure};
use crate::store::{SealedStore, Store as _};

/// Run one round on `store`.
pub(super) fn run(store: &SealedStore, runtime: &tokio::runtime::Handle, files: bool) -> Result<String, String> {
    if store.sync_key().map_err(|e| e.to_string())?.is_none() {
        let code = runtime.block_on(first_device(store))?;
        // Out at once, before the round: were the round to fail, a code
        // kept for the summary would be lost, and it is never shown again.
        show_now(&code);
    }
    let mut out = String::new();
    let round = runtime.block_on(sync::sync_once(store));
    store.flush().map_err(|e| e.to_string())?;
    let waiting = sync::waiting(store, 100_000).map_err(|e| e.to_string())?;
    let waiting_text = match waiting {
        0 => "nothing waiting".to_owned(),
        100_000 => "100,000 or more changes waiting".to_owned(),
        n => format!("{n} changes waiting"),
    };
    let report = round.map_err(|e| match e {
        SyncFailure::SignedOut => format!("{e}; {waiting_text}"),
        e => format!("sync stopped: {e}; {waiting_text}, sent next time"),
    })?;
    out.push_str(&format!(
        "synced: sent {}, took in {} ({} already here); {waiting_text}",
        report.sent, report.changed, report.unchanged
    ));
    if report.unreadable > 0 {
        out.push_str(&format!(
            "\n{} records from the server did not open or could not be used and were skipped",
            report.unreadable
        ));
    }
    if waiting > 0 {
        return Err(format!("{out}\nchanges were made while syncing: run pakchat sync again"));
    }
    if files {
        let fetched = runtime.block_on(sync::fetch_files(store, None, None));
        store.flush().map_err(|e| e.to_string())?;
        let left = store.files_not_here(None).map_err(|e| e.to_string())?.len();
        match fetched {
            Ok(n) if left == 0 => out.push_str(&format!("\nfiles: downloaded {n}, every file is here")),
            Ok(n) => return Err(format!("{out}\nfiles: downloaded {n}; {left} could not be (damaged on the server)")),
            Err(e) => return Err(format!("{out}\nfiles: {e}; {left} not downloaded")),
        }
    }
    Ok(out)
}

/// No sync key here: make the account's, if no device has. Nothing is
/// written unless the server took it.
async fn first_device(store: &SealedStore) -> Result<String, String> {
    let account = store.account().map_err(|e| e.to_string())?;
    let Some(account) = account.filter(|a| !a.expired) else {
        return Err(SyncFailure::SignedOut.to_string());
    };
    let server = pakchat_sync::Server::new(&account.server, &account.token).map_err(|e| e.to_string())?;
    match pakchat_sync::create_account_key(&server, pakchat_sync::KdfParams::default()).await {
        Ok((key, key_id, code)) => {
            store.put_sync_key(Some((key_id, key.as_bytes()))).map_err(|e| e.to_string())?;
            store.flush().map_err(|e| e.to_string())?;
            Ok(format!(
                "This account's recovery code (shown once: keep it somewhere safe; every new device needs it):\n\n    {}\n\n",
                code.display().as_str()
            ))
        }
        Err(pakchat_sync::JoinError::KeyExists) => {
            Err("this account's key was made on another device: join with its recovery code (pakchat account join)"
                .to_owned())
        }
        Err(e) => Err(format!("nothing was changed: {e}")),
    }
}

/// `text` on standard output now, flushed.
#[expect(clippy::print_stdout, reason = "the recovery code is the command's output")]
fn show_now(text: &str) {
    use std::io::Write as _;
    print!("{text}");
    if let Err(e) = std::io::stdout().flush() {
        super::progress(&format!("standard output: {e}"));
    }
}
