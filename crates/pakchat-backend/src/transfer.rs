//! Export and import as the user drives them: the save and open dialogs,
//! the work off the UI thread, and what the user is told. The formats
//! themselves are [`crate::archive`]'s.
//!
//! A file is written next to its final name and renamed into place only
//! when complete, so a full disk or a crash never leaves a cut archive that
//! looks whole. An import checks the whole file before it writes anything.

use std::path::PathBuf;

use super::actor::{Actor, misrouted};
use super::attachments::IncomingFile;
use super::dialogs::{DialogClosed, OpenDialog, SaveDialog};
use super::{Command, Event, ThreadSummary};
use crate::archive;
use crate::domain::ThreadId;
use crate::store::Store as _;

/// Largest file an import reads (a ChatGPT export of many years is a few
/// hundred megabytes of JSON).
pub const MAX_IMPORT_BYTES: u64 = 1024 * 1024 * 1024;

/// The form of a single exported thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// The branch on screen as Markdown (for reading and sharing).
    Markdown,
    /// A Pak.Chat archive of the thread, every branch and file (to import).
    Json,
}

/// What to export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportWhat {
    /// One thread.
    Thread {
        /// Which.
        id: ThreadId,
        /// In what form.
        format: ExportFormat,
    },
    /// Every thread and the settings, as one archive (never the API keys).
    All,
}

/// What the user is told when the dialog to choose an archive cannot open.
const NO_IMPORT_DIALOG: &str = "No file dialog can open on this desktop (neither an XDG desktop portal nor zenity \
                                answered), so there is no way to choose the file to import. Install \
                                xdg-desktop-portal or zenity.";

impl Actor {
    /// [`Command::Export`] and [`Command::Import`].
    pub(super) async fn handle_transfer(&mut self, command: Command) {
        match command {
            Command::Export { what } => self.ask_export_path(what).await,
            Command::Import => self.ask_import_path(),
            _ => misrouted("transfer"),
        }
    }

    /// Ask where to write `what` (the save dialog), then write it there.
    pub(super) async fn ask_export_path(&mut self, what: ExportWhat) {
        let suggested = match what {
            ExportWhat::All => {
                format!("Pak.Chat export {}.json", chrono::Local::now().format("%Y-%m-%d"))
            }
            ExportWhat::Thread { id, format } => {
                let title = match self.with_store(move |s| s.thread(id)).await {
                    Ok(Some(t)) => t.title,
                    _ => String::new(),
                };
                archive::file_name(&title, if format == ExportFormat::Markdown { "md" } else { "json" })
            }
        };
        let (title, filter): (&str, (&str, &[&str])) = match what {
            ExportWhat::Thread { format: ExportFormat::Markdown, .. } => {
                ("Export chat as Markdown", ("Markdown", &["md"]))
            }
            ExportWhat::Thread { .. } => ("Export chat", ("Pak.Chat archive", &["json"])),
            ExportWhat::All => ("Export all data", ("Pak.Chat archive", &["json"])),
        };
        let dialog = SaveDialog { title, filter: Some(filter) };
        self.save_dialog(
            dialog,
            &suggested,
            |message| Event::Error { thread: None, message },
            move |path| DialogClosed::ExportTo { what, path },
        );
    }

    /// Write `what` to `path` (`None`: the user cancelled the dialog).
    pub(super) async fn export_to(&mut self, what: ExportWhat, path: Option<PathBuf>) {
        let Some(path) = path else { return };
        self.events.send(Event::Status { message: Some("Exporting…".to_owned()) });
        // Files other devices sent, not downloaded yet, go in too.
        let thread = match what {
            ExportWhat::All => None,
            ExportWhat::Thread { id, .. } => Some(id),
        };
        if let Some(store) = self.store.clone()
            && let Err(e) = crate::sync::fetch_files(store.as_ref(), thread, None).await
        {
            tracing::warn!(err = %e, "files other devices sent could not be fetched for the export");
        }
        #[cfg(not(target_arch = "wasm32"))]
        if what == ExportWhat::All {
            return self.export_all_streamed(path).await;
        }
        let result = self
            .with_store(move |s| {
                let (archive, report) = match what {
                    ExportWhat::All => archive::export_all(s)?,
                    ExportWhat::Thread { id, .. } => archive::export_thread(s, id)?,
                };
                let bytes = match what {
                    ExportWhat::Thread { format: ExportFormat::Markdown, .. } => {
                        archive.threads.first().map(archive::thread_markdown).unwrap_or_default().into_bytes()
                    }
                    _ => match archive::to_json(&archive) {
                        Ok(b) => b,
                        Err(e) => return Ok(Err(e)),
                    },
                };
                Ok(Ok((bytes, report)))
            })
            .await;
        let message = match result {
            Ok(Ok((bytes, report))) => {
                let target = path.clone();
                match self.rt.blocking(move || write_whole(&target, &bytes)).await {
                    Ok(()) => Some(format!("{} Saved to {}.", report.summary(), path.display())),
                    Err(e) => {
                        self.events.send(Event::Status { message: None });
                        self.events
                            .send(Event::Error { thread: None, message: format!("The export was not saved: {e}") });
                        return;
                    }
                }
            }
            Ok(Err(e)) => {
                self.events.send(Event::Status { message: None });
                self.events
                    .send(Event::Error { thread: None, message: format!("The export could not be written: {e}") });
                return;
            }
            Err(e) => {
                self.events.send(Event::Status { message: None });
                self.events.send(Event::Error { thread: None, message: format!("The export failed: {e}") });
                return;
            }
        };
        self.events.send(Event::Status { message });
    }

    /// Every chat, written to `path` a thread at a time (memory holds one
    /// thread's page of messages or one file, whatever the profile's size).
    #[cfg(not(target_arch = "wasm32"))]
    async fn export_all_streamed(&mut self, path: PathBuf) {
        let target = path.clone();
        let result = self
            .with_store(move |s| {
                Ok(write_streamed(&target, |out| archive::write_all(s, out).map_err(|e| e.to_string())))
            })
            .await;
        let message = match result {
            Ok(Ok(report)) => Some(format!("{} Saved to {}.", report.summary(), path.display())),
            Ok(Err(e)) => {
                self.events.send(Event::Status { message: None });
                self.events.send(Event::Error { thread: None, message: format!("The export was not saved: {e}") });
                return;
            }
            Err(e) => {
                self.events.send(Event::Status { message: None });
                self.events.send(Event::Error { thread: None, message: format!("The export failed: {e}") });
                return;
            }
        };
        self.events.send(Event::Status { message });
    }

    /// Ask which file to import (the open dialog), then import it.
    pub(super) fn ask_import_path(&mut self) {
        let dialog = OpenDialog {
            title: "Import chats",
            filters: &[("Pak.Chat archive or ChatGPT conversations.json", &["json"]), ("All files", &["*"])],
            many: false,
            no_dialog: NO_IMPORT_DIALOG,
        };
        self.open_dialog(
            dialog,
            |message| Event::Error { thread: None, message },
            |files| DialogClosed::ImportFrom { file: files.into_iter().next() },
        );
    }

    /// Import `file` (`None`: the user cancelled the dialog): a path on
    /// disk, or the bytes a browser's picker read. The archive's settings
    /// are taken only by a profile whose own were never saved (a fresh one
    /// being restored), never over the user's.
    pub(super) async fn import_from(&mut self, file: Option<IncomingFile>) {
        let Some(file) = file else { return };
        self.events.send(Event::Status { message: Some("Importing…".to_owned()) });
        let shown = match &file {
            IncomingFile::Path(path) => path.display().to_string(),
            other => other.name(),
        };
        let bytes = match file {
            IncomingFile::Path(path) => self.rt.blocking(move || read_capped(&path)).await,
            IncomingFile::Bytes { bytes, .. } => capped(bytes),
            _ => Err("only a file can be imported".to_owned()),
        };
        let bytes = match bytes {
            Ok(b) => b,
            Err(e) => {
                self.events.send(Event::Status { message: None });
                self.events.send(Event::Error { thread: None, message: format!("{shown} was not imported: {e}") });
                return;
            }
        };
        // The actor handles nothing else meanwhile: the clock goes to the
        // import and comes back advanced.
        let mut clock = self.clock.clone();
        let events = self.events.clone();
        let result = self
            .with_store(move |s| {
                let pending = match archive::open(&bytes) {
                    Ok(p) => p,
                    Err(e) => return Ok((Err(e), clock)),
                };
                let fresh = s.settings()?.stamp.is_none();
                let mut shown = web_time::Instant::now();
                let report = pending.import(s, fresh, &mut || clock.now(), &mut |done, total| {
                    if shown.elapsed() >= std::time::Duration::from_millis(250) {
                        shown = web_time::Instant::now();
                        events.send(Event::Status { message: Some(format!("Importing… {done} of {total} chats")) });
                    }
                })?;
                Ok((Ok((report, s.threads()?)), clock))
            })
            .await;
        let result = match result {
            Ok((Err(e), clock)) => {
                self.clock = clock;
                self.events.send(Event::Status { message: None });
                self.events.send(Event::Error { thread: None, message: format!("Nothing was imported: {e}") });
                return;
            }
            Ok((Ok(done), clock)) => {
                self.clock = clock;
                Ok(done)
            }
            Err(e) => Err(e),
        };
        match result {
            Ok((report, slots)) => {
                let summaries = slots.into_iter().map(ThreadSummary::from).collect();
                self.events.send(Event::ThreadsLoaded(summaries));
                self.send_projects().await;
                if report.settings {
                    self.reload_settings().await;
                }
                self.events.send(Event::Status { message: Some(report.summary()) });
            }
            Err(e) => {
                self.events.send(Event::Status { message: None });
                self.events.send(Event::Error {
                    thread: None,
                    message: format!("The import stopped: {e}. Chats imported before the problem were kept."),
                });
            }
        }
    }
}

/// Write `bytes` to `path` through a temporary file beside it, renamed into
/// place once complete.
/// Write `bytes` to `path` whole or not at all (see [`write_streamed`]).
///
/// # Errors
/// The path and what went wrong.
#[cfg(not(target_arch = "wasm32"))]
pub fn write_whole(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    write_streamed(path, |out| out.write_all(bytes).map_err(|e| e.to_string()))
}

/// Write `path` whole or not at all: `write` fills a partial file next to
/// it, readable by its owner only (an export holds the user's chats in
/// plain text), which is synced and renamed over `path`. A failure removes
/// the partial file.
///
/// # Errors
/// The path and what went wrong.
#[cfg(not(target_arch = "wasm32"))]
pub fn write_streamed<T>(
    path: &std::path::Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> Result<T, String>,
) -> Result<T, String> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(format!(".partial-{}", uuid::Uuid::now_v7().simple()));
    let partial = PathBuf::from(partial);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&partial).map_err(|e| e.to_string()).and_then(|file| {
        let mut out = std::io::BufWriter::new(file);
        let done = write(&mut out)?;
        let file = out.into_inner().map_err(|e| e.error().to_string())?;
        file.sync_all().map_err(|e| e.to_string())?;
        std::fs::rename(&partial, path).map_err(|e| e.to_string())?;
        Ok(done)
    });
    written.map_err(|e| {
        if let Err(cleanup) = std::fs::remove_file(&partial)
            && cleanup.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(err = %cleanup, "a partial export could not be removed");
        }
        format!("{}: {e}", path.display())
    })
}

/// In a browser there is no file system: `bytes` become a download named
/// as `path`'s file name.
///
/// # Errors
/// When the browser refuses the download, in words.
#[cfg(target_arch = "wasm32")]
pub fn write_whole(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    let name = path.file_name().map_or_else(|| "Pak.Chat download".into(), |n| n.to_string_lossy());
    super::browser_files::download(&name, bytes)
}

/// The whole file, refused when larger than [`MAX_IMPORT_BYTES`].
///
/// # Errors
/// The file cannot be read, or it is too large (in words for the user).
#[cfg(not(target_arch = "wasm32"))]
pub fn read_capped(path: &std::path::Path) -> Result<Vec<u8>, String> {
    let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    too_big(size)?;
    std::fs::read(path).map_err(|e| e.to_string())
}

/// `bytes` already read (a browser's picker), refused above [`MAX_IMPORT_BYTES`].
fn capped(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    too_big(bytes.len() as u64)?;
    Ok(bytes)
}

fn too_big(size: u64) -> Result<(), String> {
    if size > MAX_IMPORT_BYTES {
        return Err(format!("it is {} MB, more than the {} MB an import reads", size >> 20, MAX_IMPORT_BYTES >> 20));
    }
    Ok(())
}

#[cfg(target_arch = "wasm32")]
fn read_capped(_path: &std::path::Path) -> Result<Vec<u8>, String> {
    Err("there is no file system in the browser".to_owned())
}
