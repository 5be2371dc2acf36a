//! The shell interface, on the same profile and key options as the app, for
//! scripts and headless machines: `pakchat stats`, `pakchat import FILE`
//! (a Pak.Chat archive or a ChatGPT `conversations.json`), `pakchat export
//! FILE` (a Pak.Chat archive of every chat), `pakchat account …`,
//! `pakchat sync` (one round with the account's server) and `pakchat share
//! …` (share links). Results go to
//! standard output, progress to standard error; a bad input is one line on
//! standard error and exit status 2, with nothing written. A profile the app
//! holds open is refused with the message the app itself shows.
//!
//! The profile unlocks as the app's does: the keychain, its key file (or
//! `--key-file`), or a passphrase from `PAKCHAT_PASSPHRASE` (there is no
//! prompt: scripts have no terminal). `import` makes the profile when there
//! is none yet and `--key-file` says how to protect it.

mod account;
mod share;
mod sync;

pub use account::AccountCommand;
pub use share::ShareCommand;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::archive;
use crate::cli::RunOptions;
use crate::domain::HlcClock;
use crate::store::{Argon2Params, KeySource, Protection, SealedStore, SledKv, Store, ThreadSlot};

/// A command of the shell interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShellCommand {
    /// Count what the profile holds.
    Stats,
    /// Import a Pak.Chat archive or a ChatGPT export.
    Import(PathBuf),
    /// Export every chat as a Pak.Chat archive.
    Export(PathBuf),
    /// Sign in, say who is signed in, or sign out.
    Account(AccountCommand),
    /// One round of sync with the account's server (`files`: and download
    /// every file other devices attached).
    Sync {
        /// Download every file now.
        files: bool,
    },
    /// Make, list or revoke share links.
    Share(ShareCommand),
}

/// Run `command` on the profile `options` name (what talks to a server runs
/// on `runtime`, the binary's): what to print on success, or the one-line
/// reason it failed.
///
/// # Errors
/// The profile cannot be opened or unlocked, or the file is not what the
/// command needs.
pub fn run(options: &RunOptions, command: &ShellCommand, runtime: &tokio::runtime::Handle) -> Result<String, String> {
    let dir = options.profile_dir()?;
    match command {
        ShellCommand::Stats => stats(&open(options, &dir, false)?, &dir),
        ShellCommand::Import(file) => {
            // Read and check the file before the profile is touched (or made).
            let bytes = crate::backend::read_capped(file).map_err(|e| format!("{}: {e}", file.display()))?;
            progress(&format!("reading {}…", file.display()));
            let pending =
                archive::open(&bytes).map_err(|e| format!("{}: nothing was imported: {e}", file.display()))?;
            let store = open(options, &dir, true)?;
            let mut clock = HlcClock::new(store.device_id());
            let total = pending.chats();
            progress(&format!("importing {total} chats…"));
            let fresh = store.settings().map_err(|e| e.to_string())?.stamp.is_none();
            let mut shown = std::time::Instant::now();
            let report = pending
                .import(&store, fresh, &mut || clock.now(), &mut |done, total| {
                    if shown.elapsed() >= std::time::Duration::from_secs(2) {
                        shown = std::time::Instant::now();
                        progress(&format!("imported {done} of {total} chats…"));
                    }
                })
                .map_err(|e| format!("the import stopped: {e} (chats imported before it were kept)"))?;
            store.flush().map_err(|e| e.to_string())?;
            Ok(report.summary())
        }
        ShellCommand::Account(command) => account::run(&open(options, &dir, false)?, command, runtime),
        ShellCommand::Sync { files } => sync::run(&open(options, &dir, false)?, runtime, *files),
        ShellCommand::Share(command) => share::run(&open(options, &dir, false)?, command, runtime),
        ShellCommand::Export(file) => {
            let store = open(options, &dir, false)?;
            // Files other devices sent, not downloaded yet, go in too.
            let waiting = store.files_not_here(None).map_err(|e| e.to_string())?.len();
            if waiting > 0 {
                progress(&format!("downloading {waiting} files other devices sent…"));
                if let Err(e) = runtime.block_on(crate::backend::sync::fetch_files(&store, None, None)) {
                    progress(&format!("files from other devices: {e}; those not here are left out"));
                }
            }
            progress("exporting…");
            let report =
                crate::backend::write_streamed(file, |out| archive::write_all(&store, out).map_err(|e| e.to_string()))?;
            Ok(format!("{} → {}", report.summary(), file.display()))
        }
    }
}

#[expect(clippy::print_stderr, reason = "progress of long work goes to standard error")]
fn progress(what: &str) {
    eprintln!("pakchat: {what}");
}

/// Open and unlock the profile in `dir`; with `create`, make it when there
/// is none and `--key-file` says how to protect it.
fn open(options: &RunOptions, dir: &Path, create: bool) -> Result<SealedStore, String> {
    let shown = dir.display();
    let may_make = create && options.key_file.is_some();
    if !(dir.join("db").exists() || may_make) {
        return Err(format!("there is no profile at {shown} (start the app once, or import with --key-file PATH)"));
    }
    // Said every tenth of the way, when opening gives disk space back.
    let said = std::sync::atomic::AtomicU8::new(u8::MAX);
    let report = |p: crate::store::GivingBack| {
        let tenth = p.percent() / 10;
        if said.swap(tenth, std::sync::atomic::Ordering::Relaxed) != tenth {
            progress(&format!("giving back disk space after large deletions… {}%", tenth * 10));
        }
    };
    let kv = Arc::new(SledKv::open_reporting(dir, &report).map_err(|e| e.to_string())?);
    let header = SealedStore::read_header(kv.as_ref()).map_err(|e| e.to_string())?;
    let Some(header) = header else {
        let Some(key_file) = options.key_file.clone().filter(|_| create) else {
            return Err(format!("the profile at {shown} was never set up: start the app once"));
        };
        return SealedStore::create(kv, &KeySource::KeyFile(key_file), Argon2Params::default())
            .map_err(|e| e.to_string());
    };
    let source = match header.protection {
        Protection::Passphrase { .. } => match std::env::var("PAKCHAT_PASSPHRASE") {
            Ok(p) => KeySource::Passphrase(zeroize::Zeroizing::new(p)),
            Err(_) => return Err("this profile is protected by a passphrase: set PAKCHAT_PASSPHRASE".to_owned()),
        },
        other => other
            .unattended_source(true, options.key_file.clone())
            .ok_or_else(|| format!("the profile at {shown} cannot be opened again"))?,
    };
    SealedStore::unlock(kv, &source).map_err(|e| e.to_string())
}

/// Chats, messages, attachments and the bytes the profile takes on disk.
fn stats(store: &SealedStore, dir: &Path) -> Result<String, String> {
    let e = |e: crate::store::StoreError| e.to_string();
    let (mut chats, mut deleted, mut unreadable, mut messages, mut attachments) = (0, 0, 0, 0, 0);
    for slot in store.threads().map_err(e)? {
        match slot {
            ThreadSlot::Ok(t) if t.deleted => deleted += 1,
            ThreadSlot::Ok(t) => {
                chats += 1;
                messages += store.message_count(t.id).map_err(e)?;
                attachments += store.attachments(t.id).map_err(e)?.len();
            }
            ThreadSlot::Unreadable { .. } => unreadable += 1,
        }
    }
    let projects = store.projects().map_err(e)?.len();
    let bytes = disk_bytes(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(format!(
        "chats: {chats}\ndeleted chats: {deleted}\nunreadable chats: {unreadable}\nmessages: {messages}\n\
         attachments: {attachments}\nprojects: {projects}\nbytes on disk: {bytes}"
    ))
}

/// The bytes of every file under `dir`.
fn disk_bytes(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        total += if kind.is_dir() { disk_bytes(&entry.path())? } else { entry.metadata()?.len() };
    }
    Ok(total)
}
