//! Files that come in by a drop on the window or a paste (an image,
//! `file://` addresses, the clipboard's file list), less what this
//! computer refuses, and where a refusal is said.

use super::*;

impl PakApp {
    /// Files that came in this frame: dropped on the window, pasted (an
    /// image, `file://` addresses, or the files a file manager put on the
    /// clipboard with no text beside them), less what this computer refuses.
    pub(super) fn incoming_files(&mut self, ui: &mut Ui) -> Vec<IncomingFile> {
        // Files dropped on the window are attached to the open thread.
        #[cfg(not(target_arch = "wasm32"))]
        let mut dropped: Vec<IncomingFile> =
            ui.input(|i| i.raw.dropped_files.iter().map(|f| IncomingFile::Path(f.path().to_path_buf())).collect());
        // The browser tells no path; the backend reads the file's bytes.
        #[cfg(target_arch = "wasm32")]
        let mut dropped: Vec<IncomingFile> = ui.input(|i| {
            let dropped = i.raw.dropped_files.iter();
            dropped
                .map(|f| {
                    IncomingFile::Dropped(std::sync::Arc::new(crate::ui::attachments::DroppedInBrowser(f.clone())))
                })
                .collect()
        });
        // An image pasted (Ctrl+V with a screenshot or copied picture on the
        // clipboard): handed over as it is; the backend converts and encodes it.
        // Files copied in a file manager paste as their `file://` addresses:
        // taken out of the input before the composer types them, attached.
        // egui turns Ctrl+V into a paste of the clipboard's text or image and
        // swallows the key press; with neither there, nothing comes but the
        // key's release. Then the backend reads the clipboard's file list.
        let mut paste = self.paste;
        let mut read_clipboard = false;
        ui.input_mut(|i| {
            i.events.retain(|event| match event {
                egui::Event::PasteImage(image) => {
                    paste.pasted = true;
                    let name = format!("Pasted image {}.png", chrono::Local::now().format("%Y-%m-%d %H.%M.%S"));
                    let image = std::sync::Arc::new(crate::ui::attachments::PastedThroughEgui(image.clone()));
                    dropped.push(IncomingFile::Pasted { name, image });
                    true
                }
                egui::Event::Key { key: Key::V, pressed: true, .. } => {
                    paste.v_pressed = true;
                    true
                }
                egui::Event::Key { key: Key::V, pressed: false, modifiers, .. } => {
                    let taken = std::mem::take(&mut paste);
                    read_clipboard |= !taken.v_pressed && (taken.command || modifiers.command) && !taken.pasted;
                    true
                }
                egui::Event::Key { modifiers, .. } | egui::Event::ModifiersChanged(modifiers) => {
                    paste.command |= modifiers.command;
                    true
                }
                egui::Event::Paste(text) if !cfg!(target_arch = "wasm32") => {
                    paste.pasted = true;
                    match crate::domain::pasted_file_paths(text) {
                        Some(paths) => {
                            dropped.extend(paths.into_iter().map(IncomingFile::Path));
                            false
                        }
                        None => true,
                    }
                }
                _ => true,
            });
        });
        self.paste = paste;
        if read_clipboard && !cfg!(target_arch = "wasm32") && self.policy.attachments {
            self.send(Command::ReadClipboardFiles);
        }
        match self.vm.clipboard_files.take() {
            Some(paths) if paths.is_empty() => {
                self.note_refusal("Nothing to paste: the clipboard holds no text, image or files.".to_owned());
            }
            Some(paths) => dropped.extend(paths.into_iter().map(IncomingFile::Path)),
            None => {}
        }
        if !dropped.is_empty() && !self.policy.attachments {
            // Nothing comes in on this computer: not dropped, not pasted.
            dropped.clear();
            self.note_refusal("Files cannot be attached on this computer.".to_owned());
        }
        if !self.policy.file_dialogs && dropped.iter().any(IncomingFile::is_path) {
            // A path, typed and pasted or dropped, could name any file this
            // account can read: none is opened (the backend refuses too).
            dropped.retain(|f| !f.is_path());
            tracing::info!("a path pasted or dropped was refused: no file access on this computer");
            self.note_refusal(crate::backend::FilePicker::NO_PATHS.to_owned());
        }
        dropped
    }

    /// Say why files were not attached: in the open chat's attachment bar,
    /// or as an error when no chat is open (none is made for a refusal).
    pub(super) fn note_refusal(&mut self, message: String) {
        match self.vm.open.as_mut() {
            Some(open) => open.attach_notes.push(message),
            None => self.vm.errors.push(None, message),
        }
    }
}
