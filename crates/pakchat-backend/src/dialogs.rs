//! Where file dialogs come from, and what happens where none can open.
//! The system's dialog is rfd's: the XDG desktop portal over the session
//! bus, zenity when the portal fails. On a minimal desktop neither answers
//! and rfd reports "no file chosen", just as a cancel does; Pak.Chat then
//! says so instead of doing nothing: opening (attach, import, knowledge)
//! asks for a drop or a paste, and saving (export, "Save as…") writes to
//! the Downloads folder under the suggested name and says where. In a
//! browser, attaching and adding knowledge open the browser's own picker
//! (`browser_files`), importing reads the file chosen in it, and saving
//! (exports, Save as…) becomes a download under the suggested name.
//!
//! Every dialog opens through [`Actor::open_dialog`] or
//! [`Actor::save_dialog`] without the actor waiting for it; what it
//! answered comes back as a [`DialogClosed`], which
//! [`Actor::on_dialog_closed`] hands to the area that asked. Attaching and
//! saving attachments through the dialog are here too.

use std::path::{Path, PathBuf};

use super::actor::Actor;
use super::actor::to_actor;
use super::attachments::IncomingFile;
use super::{Event, ExportWhat};
use crate::domain::{AttachmentId, ProjectId, ThreadId};
use crate::store::Store as _;
#[cfg(not(target_arch = "wasm32"))]
use std::time::Duration;

/// rfd answers "nothing chosen" both for a cancel and for a dialog that
/// never appeared (a session bus without a portal, and no zenity); an
/// answer quicker than a person can cancel is taken as the latter.
#[cfg(not(target_arch = "wasm32"))]
pub const TOO_QUICK: Duration = Duration::from_millis(250);

/// Where "Attach files…" gets its files, and where saves go.
#[derive(Clone, Debug)]
pub enum FilePicker {
    /// The system's file dialog (XDG portal on Linux). Resolved when the
    /// backend starts: [`FilePicker::Missing`] where none can open.
    System,
    /// These files, as if the user chose them (tests, scripted runs); a
    /// save goes to the first.
    Scripted(Vec<PathBuf>),
    /// No file dialog can open on this desktop: opening says so, saving
    /// writes into `save_dir` under the suggested name.
    Missing {
        /// Where files are saved instead (the Downloads folder).
        save_dir: PathBuf,
    },
    /// No file dialog may open (a kiosk whose admin did not allow them).
    Disabled,
}

impl FilePicker {
    /// What the user is told when a dialog would have opened.
    pub const DISABLED: &str = "Opening and saving files is turned off on this computer.";
    /// What the user is told when a file named by its path (typed, pasted
    /// or dropped) was not read.
    pub const NO_PATHS: &str = "Files from this computer's disk cannot be attached here: opening files is turned \
                                off on this computer. Nothing was attached.";
    /// What the user is told when a dialog to open files cannot appear.
    pub const NO_DIALOG: &str = "No file dialog can open on this desktop (neither an XDG desktop portal nor zenity \
                                 answered). Drop files onto the window, or copy them and paste with Ctrl+V.";

    /// Whether files may be opened or saved by their path at all: never
    /// where dialogs are off (a kiosk), so no path a visitor types, pastes
    /// or drops reaches the file system.
    #[must_use]
    pub fn reaches_disk(&self) -> bool {
        !matches!(self, Self::Disabled)
    }

    /// [`FilePicker::System`] where this desktop can show a dialog, else
    /// [`FilePicker::Missing`]; any other picker as it is.
    #[must_use]
    pub fn resolved(self) -> Self {
        match self {
            Self::System if !system_dialogs() => Self::Missing { save_dir: fallback_dir() },
            other => other,
        }
    }
}

/// What a file dialog answered, handed to the actor (as
/// [`super::actor::Internal::Dialog`]) once it closed.
pub(super) enum DialogClosed {
    /// Files chosen to attach to `thread`.
    Picked { thread: ThreadId, files: Vec<IncomingFile> },
    /// Files chosen as knowledge of `project`.
    KnowledgePicked { project: ProjectId, files: Vec<IncomingFile> },
    /// Where to write an export (`None`: cancelled).
    ExportTo { what: ExportWhat, path: Option<PathBuf> },
    /// The file to import (`None`: cancelled).
    ImportFrom { file: Option<IncomingFile> },
    /// Where to save an attachment (`None`: cancelled).
    SaveTo { thread: ThreadId, id: AttachmentId, path: Option<PathBuf> },
}

/// A dialog that opens files.
#[derive(Clone, Copy)]
pub(super) struct OpenDialog {
    /// Its title.
    #[cfg_attr(target_arch = "wasm32", expect(dead_code, reason = "a browser's picker has no title"))]
    pub title: &'static str,
    /// The kinds of file offered: a name and its extensions.
    pub filters: &'static [(&'static str, &'static [&'static str])],
    /// Whether several files may be chosen.
    pub many: bool,
    /// What the user is told when no dialog can appear on this desktop.
    pub no_dialog: &'static str,
}

/// A dialog that asks where to save.
#[derive(Clone, Copy)]
#[cfg_attr(target_arch = "wasm32", expect(dead_code, reason = "a browser downloads without asking"))]
pub(super) struct SaveDialog {
    /// Its title.
    pub title: &'static str,
    /// The kind of file offered, if one: a name and its extensions.
    pub filter: Option<(&'static str, &'static [&'static str])>,
}

/// Where to save after a save dialog answered `answer`, asked at `asked`:
/// the chosen path; nothing for a cancel; a free name in the fallback
/// folder when the dialog never appeared.
#[cfg(not(target_arch = "wasm32"))]
#[must_use]
pub fn save_path(answer: Option<PathBuf>, asked: web_time::Instant, suggested: &str) -> Option<PathBuf> {
    match answer {
        Some(path) => Some(path),
        None if asked.elapsed() < TOO_QUICK => {
            tracing::warn!("the save dialog did not appear; saving into the fallback folder");
            Some(unused_path(&fallback_dir(), suggested))
        }
        None => None,
    }
}

/// Whether an open dialog that chose nothing (asked at `asked`) never
/// appeared.
#[cfg(not(target_arch = "wasm32"))]
#[must_use]
pub fn never_appeared(asked: web_time::Instant) -> bool {
    let quick = asked.elapsed() < TOO_QUICK;
    if quick {
        tracing::warn!("the open dialog did not appear");
    }
    quick
}

/// Whether a file dialog can appear, from the environment: the portal
/// needs a session bus (`bus_address`, or the socket `bus` in
/// `runtime_dir`), and zenity must be on `path` otherwise.
#[must_use]
pub fn dialogs_possible(
    bus_address: Option<&std::ffi::OsStr>,
    runtime_dir: Option<&Path>,
    path: Option<&std::ffi::OsStr>,
) -> bool {
    let bus = match bus_address.and_then(|a| a.to_str()) {
        // `unix:path=/run/user/1000/bus,guid=…`: a socket that must exist;
        // any other address (abstract sockets, TCP) is taken as reachable.
        Some(address) => address
            .strip_prefix("unix:path=")
            .map(|rest| rest.split(',').next().unwrap_or(rest))
            .is_none_or(|socket| Path::new(socket).exists()),
        None => runtime_dir.is_some_and(|d| d.join("bus").exists()),
    };
    let zenity = path.is_some_and(|p| std::env::split_paths(p).any(|d| d.join("zenity").is_file()));
    bus || zenity
}

/// [`dialogs_possible`] for this process.
#[must_use]
pub fn system_dialogs() -> bool {
    if !cfg!(all(unix, not(target_os = "macos"))) {
        // Windows and macOS always have their own dialogs.
        return true;
    }
    let runtime = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from);
    dialogs_possible(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").as_deref(),
        runtime.as_deref(),
        std::env::var_os("PATH").as_deref(),
    )
}

/// Where files are saved when no dialog can ask: the Downloads folder, the
/// home folder, or the current one.
#[must_use]
pub fn fallback_dir() -> PathBuf {
    #[cfg(not(target_arch = "wasm32"))]
    return dirs::download_dir().or_else(dirs::home_dir).unwrap_or_else(|| PathBuf::from("."));
    #[cfg(target_arch = "wasm32")]
    PathBuf::from(".")
}

/// `dir/name`, or `dir/name (2).ext` and so on when that is taken: a save
/// without a dialog never overwrites a file.
#[must_use]
pub fn unused_path(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, format!(".{ext}")),
        _ => (name, String::new()),
    };
    (2..).map(|n| dir.join(format!("{stem} ({n}){ext}"))).find(|p| !p.exists()).unwrap_or(first)
}

impl Actor {
    /// Show `dialog` without waiting for it. The paths chosen (none for a
    /// cancel) come back through `closed`; where no dialog may open (a
    /// kiosk) or none can appear on this desktop, `refused` makes the
    /// event that says so instead.
    pub(super) fn open_dialog(
        &self,
        dialog: OpenDialog,
        refused: impl Fn(String) -> Event + Send + 'static,
        closed: impl FnOnce(Vec<IncomingFile>) -> DialogClosed + Send + 'static,
    ) {
        match &self.config.picker {
            FilePicker::Disabled => {
                self.events.send(refused(FilePicker::DISABLED.to_owned()));
                return;
            }
            FilePicker::Missing { .. } => {
                self.events.send(refused(dialog.no_dialog.to_owned()));
                return;
            }
            FilePicker::Scripted(paths) => {
                self.internal(closed(paths.iter().cloned().map(IncomingFile::Path).collect()));
                return;
            }
            FilePicker::System => {}
        }
        let (tx, events) = (self.inbox.clone(), self.events.clone());
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.rt.spawn(async move {
                let asked = web_time::Instant::now();
                let mut shown = rfd::AsyncFileDialog::new().set_title(dialog.title);
                for (name, extensions) in dialog.filters {
                    shown = shown.add_filter(*name, extensions);
                }
                let picked: Option<Vec<PathBuf>> = if dialog.many {
                    shown.pick_files().await.map(|files| files.iter().map(|f| f.path().to_path_buf()).collect())
                } else {
                    shown.pick_file().await.map(|f| vec![f.path().to_path_buf()])
                };
                if picked.is_none() && never_appeared(asked) {
                    events.send(refused(dialog.no_dialog.to_owned()));
                    return;
                }
                to_actor(&tx, closed(picked.unwrap_or_default().into_iter().map(IncomingFile::Path).collect()));
            });
        }
        // A browser opens its own picker.
        #[cfg(target_arch = "wasm32")]
        self.rt.spawn(async move {
            match super::browser_files::pick(dialog.filters, dialog.many).await {
                Ok(files) if files.is_empty() => {}
                Ok(files) => to_actor(&tx, closed(files)),
                Err(why) => events.send(refused(why)),
            }
        });
    }

    /// Ask where to save, suggesting the name `suggested`, without waiting
    /// for the answer, which comes back through `closed`: the path chosen,
    /// `None` for a cancel, a free name in the fallback folder where no
    /// dialog can appear. Where no dialog may open (a kiosk), `refused`
    /// makes the event that says so instead.
    pub(super) fn save_dialog(
        &self,
        dialog: SaveDialog,
        suggested: &str,
        refused: impl FnOnce(String) -> Event,
        closed: impl FnOnce(Option<PathBuf>) -> DialogClosed + Send + 'static,
    ) {
        match &self.config.picker {
            FilePicker::Disabled => {
                self.events.send(refused(FilePicker::DISABLED.to_owned()));
                return;
            }
            FilePicker::Scripted(paths) => {
                self.internal(closed(paths.first().cloned()));
                return;
            }
            FilePicker::Missing { save_dir } => {
                self.internal(closed(Some(unused_path(save_dir, suggested))));
                return;
            }
            FilePicker::System => {}
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let (tx, suggested) = (self.inbox.clone(), suggested.to_owned());
            self.rt.spawn(async move {
                let asked = web_time::Instant::now();
                let mut shown = rfd::AsyncFileDialog::new().set_title(dialog.title).set_file_name(&suggested);
                if let Some((name, extensions)) = dialog.filter {
                    shown = shown.add_filter(name, extensions);
                }
                let picked = shown.save_file().await;
                to_actor(&tx, closed(save_path(picked.map(|f| f.path().to_path_buf()), asked, &suggested)));
            });
        }
        // A browser downloads under the suggested name (where to is its own
        // setting).
        #[cfg(target_arch = "wasm32")]
        {
            drop((dialog, refused));
            self.internal(closed(Some(PathBuf::from(suggested))));
        }
    }

    /// Hand what a dialog answered to the area that asked.
    pub(super) async fn on_dialog_closed(&mut self, closed: DialogClosed) {
        match closed {
            DialogClosed::Picked { thread, files } => self.attach(thread, files).await,
            DialogClosed::KnowledgePicked { project, files } => self.add_knowledge(project, files).await,
            DialogClosed::ExportTo { what, path } => self.export_to(what, path).await,
            DialogClosed::ImportFrom { file } => self.import_from(file).await,
            DialogClosed::SaveTo { thread, id, path } => self.save_to(thread, id, path).await,
        }
    }

    /// Open the system's file picker without waiting for it: the chosen
    /// files come back as [`DialogClosed::Picked`].
    pub(super) fn pick_files(&self, thread: ThreadId) {
        let dialog = OpenDialog {
            title: "Attach files",
            filters: &[
                (
                    "Images, PDFs and text",
                    &["png", "jpg", "jpeg", "webp", "gif", "pdf", "txt", "md", "csv", "json", "xml", "yaml"],
                ),
                ("All files", &["*"]),
            ],
            many: true,
            no_dialog: FilePicker::NO_DIALOG,
        };
        self.open_dialog(
            dialog,
            move |message| Event::AttachmentRejected { thread, message },
            move |files| DialogClosed::Picked { thread, files },
        );
    }

    /// Ask where to save an attachment, without waiting for the dialog.
    pub(super) async fn save_attachment(&self, thread: ThreadId, id: AttachmentId) {
        if !self.config.picker.reaches_disk() {
            // Refused before the store is asked for the name.
            self.events.send(Event::AttachmentSaved { id, result: Err(FilePicker::DISABLED.to_owned()) });
            return;
        }
        // The dialog suggests, and a save without one uses, the file's own name.
        let record = self.with_store(move |s| s.attachment(thread, id)).await;
        let suggested = record.ok().flatten().map_or_else(|| "attachment".to_owned(), |a| a.name);
        let dialog = SaveDialog { title: "Save attachment", filter: None };
        self.save_dialog(
            dialog,
            &suggested,
            |message| Event::AttachmentSaved { id, result: Err(message) },
            move |path| DialogClosed::SaveTo { thread, id, path },
        );
    }

    /// Write an attachment's original to `path`.
    pub(super) async fn save_to(&self, thread: ThreadId, id: AttachmentId, path: Option<PathBuf>) {
        let Some(path) = path else {
            self.events.send(Event::AttachmentSaved { id, result: Ok(None) });
            return;
        };
        // A file another device sent comes down first.
        if let Some(store) = self.store.clone() {
            let blob = store.attachment(thread, id).ok().flatten().map(|a| a.blob);
            if let Some(blob) = blob
                && let Err(e) = crate::sync::fetch_files(store.as_ref(), Some(thread), Some(&[blob])).await
            {
                let result = Err(format!("it was sent from another device and did not download: {e}"));
                self.events.send(Event::AttachmentSaved { id, result });
                return;
            }
        }
        let result = self
            .with_store(move |s| {
                let Some(a) = s.attachment(thread, id)? else {
                    return Ok(Err("the attachment no longer exists".to_owned()));
                };
                let Some(bytes) = s.blob(&a.blob)? else { return Ok(Err("its content is missing".to_owned())) };
                #[cfg(not(target_arch = "wasm32"))]
                let written = std::fs::write(&path, bytes).map(|()| Some(path.clone())).map_err(|e| e.to_string());
                #[cfg(target_arch = "wasm32")]
                let written = super::transfer::write_whole(&path, &bytes).map(|()| Some(path.clone()));
                Ok(written)
            })
            .await;
        let result = result.unwrap_or_else(|e| Err(e.to_string()));
        self.events.send(Event::AttachmentSaved { id, result });
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;

    #[test]
    fn a_dialog_needs_a_session_bus_or_zenity() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("bus");
        let address = format!("unix:path={},guid=abc", socket.display());
        // A bus address whose socket is gone, no runtime bus, no zenity.
        assert!(!dialogs_possible(Some(OsStr::new(&address)), Some(dir.path()), Some(OsStr::new("/nonexistent"))));
        assert!(!dialogs_possible(None, None, None));
        std::fs::write(&socket, b"").unwrap();
        assert!(dialogs_possible(Some(OsStr::new(&address)), None, None));
        assert!(dialogs_possible(None, Some(dir.path()), None), "the default bus in the runtime folder");
        assert!(dialogs_possible(Some(OsStr::new("unix:abstract=/tmp/dbus-x")), None, None));
        let bin = tempfile::tempdir().unwrap();
        std::fs::write(bin.path().join("zenity"), b"").unwrap();
        assert!(dialogs_possible(None, None, Some(bin.path().as_os_str())), "zenity on the path");
    }

    #[test]
    fn a_save_without_a_dialog_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(unused_path(dir.path(), "chat.md"), dir.path().join("chat.md"));
        std::fs::write(dir.path().join("chat.md"), b"x").unwrap();
        assert_eq!(unused_path(dir.path(), "chat.md"), dir.path().join("chat (2).md"));
        std::fs::write(dir.path().join("chat (2).md"), b"x").unwrap();
        assert_eq!(unused_path(dir.path(), "chat.md"), dir.path().join("chat (3).md"));
        std::fs::write(dir.path().join("README"), b"x").unwrap();
        assert_eq!(unused_path(dir.path(), "README"), dir.path().join("README (2)"));
    }
}
