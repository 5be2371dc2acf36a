//! Attachments in the backend: files come in (picker, drop, bytes), are
//! checked and processed by [`crate::media`] on the blocking pool (a panic in
//! a decoder is caught and reported, never taken down the app), stored as
//! sealed blobs with their record, and reported to the UI with a small
//! thumbnail. Attachments wait in the thread (record without a message) until
//! the message they go with is sent.

use std::path::PathBuf;

use super::actor::{Actor, misrouted};
use super::{Command, Event};
use crate::domain::{Attachment, AttachmentId, ThreadId, wall_millis};
use crate::media::{self, Pixels, Rejection};
use crate::store::{Store, StoreError};

/// Longest side of the thumbnail shown in the attachment bar.
pub const CHIP_THUMB: u32 = 96;
/// Longest side of the image shown in a message row.
pub const ROW_IMAGE: u32 = 320;
/// Most images sent with one request (the newest; older ones are named).
pub const MAX_IMAGES_PER_REQUEST: usize = 8;
/// Longest side of the image in the viewer (GPU textures stay within limits).
pub const VIEWER_MAX: u32 = 4096;

/// An image ready to become a texture: premultiplied sRGBA bytes, row by
/// row, the layout a GPU texture (and egui's `Color32`) takes, so the UI
/// uses the bytes as they are. Converted here, off the UI thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rgba {
    /// Width and height in pixels.
    pub size: [usize; 2],
    /// Four bytes a pixel, colour already multiplied by alpha.
    pub premultiplied: Vec<u8>,
}

/// An image on its way to the UI.
pub type Image = std::sync::Arc<Rgba>;

/// `val * alpha / 255`, rounded, without a division.
fn mul_frac(val: u8, alpha: u8) -> u8 {
    let p = u16::from(val) * u16::from(alpha) + 128;
    // At most 255: the rounding of a product of two fractions of 255.
    u8::try_from((p + (p >> 8)) >> 8).unwrap_or(u8::MAX)
}

pub(crate) fn image_of(p: &Pixels) -> Image {
    let premultiplied = p
        .rgba
        .chunks_exact(4)
        .flat_map(|px| match px[3] {
            255 => [px[0], px[1], px[2], 255],
            0 => [0; 4],
            a => [mul_frac(px[0], a), mul_frac(px[1], a), mul_frac(px[2], a), a],
        })
        .collect();
    std::sync::Arc::new(Rgba { size: [p.width as usize, p.height as usize], premultiplied })
}

/// Premultiplied sRGBA back to plain sRGBA (what a PNG stores).
fn unmultiplied(premultiplied: &[u8]) -> Vec<u8> {
    premultiplied
        .chunks_exact(4)
        .flat_map(|px| match px[3] {
            0 | 255 => [px[0], px[1], px[2], px[3]],
            a => {
                let back =
                    |c: u8| u8::try_from((u16::from(c) * 255 + u16::from(a) / 2) / u16::from(a)).unwrap_or(u8::MAX);
                [back(px[0]), back(px[1]), back(px[2]), a]
            }
        })
        .collect()
}

/// An image pasted from the clipboard as the UI received it, read where it
/// lies: the UI thread copies and converts nothing.
pub trait PastedImage: Send + Sync + std::fmt::Debug {
    /// Width and height in pixels.
    fn size(&self) -> [usize; 2];
    /// Premultiplied sRGBA bytes, row by row.
    fn premultiplied(&self) -> &[u8];
}

/// A file dropped on the browser window, read asynchronously (the only way
/// a browser reads files).
#[cfg(target_arch = "wasm32")]
pub trait BrowserFile: Send + Sync + std::fmt::Debug {
    /// Its name (a browser tells no path).
    fn name(&self) -> String;
    /// Its content.
    fn read(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<u8>, String>> + '_>>;
}

/// A file to attach.
#[derive(Debug)]
pub enum IncomingFile {
    /// A file on disk (picker, drop on the native window).
    Path(PathBuf),
    /// Bytes already in memory (drop in the browser, generated images).
    Bytes {
        /// File name.
        name: String,
        /// Content.
        bytes: Vec<u8>,
    },
    /// An image pasted from the clipboard (a screenshot, a copied picture);
    /// stored as a PNG.
    Pasted {
        /// File name to give it.
        name: String,
        /// The image, as the UI received it.
        image: std::sync::Arc<dyn PastedImage>,
    },
    /// A file dropped on the browser window: read (asynchronously, the only
    /// way a browser reads files) when its turn comes.
    #[cfg(target_arch = "wasm32")]
    Dropped(std::sync::Arc<dyn BrowserFile>),
}

impl IncomingFile {
    /// Whether the file is named by a path on this computer's disk.
    #[must_use]
    pub fn is_path(&self) -> bool {
        matches!(self, Self::Path(_))
    }

    pub(super) fn name(&self) -> String {
        match self {
            Self::Path(path) => {
                path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
            }
            Self::Bytes { name, .. } | Self::Pasted { name, .. } => name.clone(),
            #[cfg(target_arch = "wasm32")]
            Self::Dropped(file) => file.name(),
        }
    }

    /// A browser's dropped file as bytes (other files as they are).
    #[cfg(target_arch = "wasm32")]
    pub(super) async fn into_readable(self) -> Result<Self, String> {
        match self {
            Self::Dropped(file) => {
                let name = file.name();
                let bytes = file.read().await.map_err(|e| format!("“{name}” could not be read: {e}."))?;
                Ok(Self::Bytes { name, bytes })
            }
            other => Ok(other),
        }
    }

    /// The content, refusing files above `max` before reading them whole.
    pub(super) fn read(self, max: u64) -> Result<Vec<u8>, String> {
        let name = self.name();
        match self {
            Self::Bytes { bytes, .. } => {
                media::check_size(&name, bytes.len() as u64, max).map_err(|r| r.to_string())?;
                Ok(bytes)
            }
            Self::Pasted { image, .. } => {
                // Off the UI thread: a 4K screenshot is 8 million pixels to convert.
                let rgba = unmultiplied(image.premultiplied());
                let [w, h] = image.size();
                let (width, height) = (u32::try_from(w), u32::try_from(h));
                let (Ok(width), Ok(height)) = (width, height) else {
                    return Err(format!("“{name}” is too large an image."));
                };
                let pixels = Pixels { width, height, rgba };
                let png = media::encode_png(&pixels).ok_or_else(|| format!("“{name}” could not be encoded."))?;
                media::check_size(&name, png.len() as u64, max).map_err(|r| r.to_string())?;
                Ok(png)
            }
            #[cfg(not(target_arch = "wasm32"))]
            Self::Path(path) => {
                use std::io::Read as _;
                let file = std::fs::File::open(&path).map_err(|e| format!("“{name}” could not be read: {e}."))?;
                let size = file.metadata().map_err(|e| format!("“{name}” could not be read: {e}."))?.len();
                media::check_size(&name, size, max).map_err(|r| r.to_string())?;
                let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                // Never more than the cap, even if the file grows meanwhile.
                file.take(max + 1).read_to_end(&mut bytes).map_err(|e| format!("“{name}” could not be read: {e}."))?;
                Ok(bytes)
            }
            #[cfg(target_arch = "wasm32")]
            Self::Path(_) | Self::Dropped(_) => Err(format!("“{name}” cannot be read here.")),
        }
    }
}

/// Check, process and store one file waiting in the composer; the record
/// and a chip thumbnail.
fn intake(
    store: &dyn Store,
    thread: ThreadId,
    file: IncomingFile,
    max: u64,
    stamp: crate::domain::Stamp,
    lockdown: &super::Lockdown,
) -> Result<(Attachment, Option<Image>), String> {
    intake_for(store, thread, file, max, stamp, None, lockdown)
}

/// [`intake`] for a file that belongs to `message` already (generated images).
pub(super) fn intake_for(
    store: &dyn Store,
    thread: ThreadId,
    file: IncomingFile,
    max: u64,
    stamp: crate::domain::Stamp,
    message: Option<crate::domain::MessageId>,
    lockdown: &super::Lockdown,
) -> Result<(Attachment, Option<Image>), String> {
    let name = file.name();
    let bytes = file.read(max)?;
    let processed = std::panic::catch_unwind(|| media::process(&name, &bytes, max))
        .map_err(|_| format!("“{name}” could not be processed (the decoder failed); it was not attached."))?
        .map_err(|r: Rejection| r.to_string())?;
    if let Some(why) = lockdown.refuses_file(&name, processed.kind) {
        return Err(why);
    }
    let stored = |e: StoreError| format!("“{name}” could not be stored: {e}.");
    let blob = store.put_blob(&bytes).map_err(stored)?;
    let preview = match &processed.preview {
        Some(p) => Some(store.put_blob(&p.bytes).map_err(stored)?),
        None => None,
    };
    // A PDF's text is kept beside it (a text file's text is the file itself).
    let text = match (&processed.text, processed.kind) {
        (Some(t), crate::domain::FileKind::Pdf) => Some(store.put_blob(t.as_bytes()).map_err(stored)?),
        _ => None,
    };
    let attachment = Attachment {
        id: AttachmentId::new(),
        thread_id: thread,
        message_id: message,
        name: name.clone(),
        kind: processed.kind,
        size: bytes.len() as u64,
        blob,
        preview,
        preview_size: processed.preview.as_ref().map(|p| (p.width, p.height)),
        dimensions: processed.dimensions,
        exif: processed.exif,
        text,
        pages: processed.pages,
        sent_copy: None,
        created_ms: wall_millis(),
        stamp,
    };
    store.put_attachment(&attachment).map_err(stored)?;
    store.flush().map_err(stored)?;
    let thumb =
        processed.preview.as_ref().and_then(|p| media::decode_preview(&p.bytes, CHIP_THUMB)).map(|p| image_of(&p));
    Ok((attachment, thumb))
}

impl Actor {
    /// The commands of the composer's attachments and the attachment viewer.
    pub(super) async fn handle_attachments(&mut self, command: Command) {
        match command {
            Command::AttachFiles { thread, files } => self.attach(thread, files).await,
            Command::PickFiles { thread } => self.pick_files(thread),
            Command::RemoveAttachment { thread, id } => self.remove_attachment(thread, id).await,
            Command::LoadPreview { thread, id } => self.load_preview(thread, id).await,
            Command::LoadOriginal { thread, id } => self.load_original(thread, id).await,
            Command::SaveAttachment { thread, id } => self.save_attachment(thread, id).await,
            Command::ReadClipboardFiles => self.read_clipboard_files(),
            _ => misrouted("attachments"),
        }
    }

    /// Attach `files` to `thread`, one by one, reporting each.
    pub(super) async fn attach(&mut self, thread: ThreadId, files: Vec<IncomingFile>) {
        let max = self.replies.settings.max_attachment_bytes();
        let (files, paths): (Vec<_>, Vec<_>) =
            files.into_iter().partition(|f| self.config.picker.reaches_disk() || !f.is_path());
        if !paths.is_empty() {
            // Not opened, not even looked at: the path may name any file the
            // kiosk's account can read (its API key files included).
            tracing::info!(refused = paths.len(), "files named by path refused: no file access here");
            self.events.send(Event::AttachmentRejected { thread, message: super::FilePicker::NO_PATHS.to_owned() });
        }
        for file in files {
            #[cfg(target_arch = "wasm32")]
            let file = match file.into_readable().await {
                Ok(file) => file,
                Err(message) => {
                    self.events.send(Event::AttachmentRejected { thread, message });
                    continue;
                }
            };
            let stamp = self.clock.now();
            let lockdown = self.config.lockdown.clone();
            let result = self
                .with_store(move |s| Ok(intake(s, thread, file, max, stamp, &lockdown)))
                .await
                .unwrap_or_else(|e| Err(format!("The file could not be stored: {e}.")));
            match result {
                Ok((attachment, thumbnail)) => {
                    tracing::info!(kind = ?attachment.kind, size = attachment.size, "attached a file");
                    self.events.send(Event::AttachmentAdded { attachment, thumbnail });
                }
                Err(message) => self.events.send(Event::AttachmentRejected { thread, message }),
            }
        }
    }

    /// Read the clipboard's file list off the UI thread (the X11 or Wayland
    /// clipboard answers when its owner does); the UI decides what to attach.
    pub(super) fn read_clipboard_files(&self) {
        #[cfg(not(target_arch = "wasm32"))]
        {
            let (rt, events) = (self.rt.clone(), self.events.clone());
            self.rt.spawn(async move {
                let read = || match arboard::Clipboard::new().and_then(|mut c| c.get().file_list()) {
                    Ok(paths) => paths,
                    Err(arboard::Error::ContentNotAvailable) => Vec::new(),
                    Err(e) => {
                        tracing::warn!(err = %e, "the clipboard could not be read");
                        Vec::new()
                    }
                };
                let paths = rt.blocking(read).await;
                events.send(Event::ClipboardFiles { paths });
            });
        }
        // The browser pastes files as files (egui's drop and paste events).
        #[cfg(target_arch = "wasm32")]
        self.events.send(Event::ClipboardFiles { paths: Vec::new() });
    }

    /// Send the UI every attachment record of `thread`.
    pub(super) async fn send_attachments(&self, thread: ThreadId) {
        match self.with_store(move |s| s.attachments(thread)).await {
            Ok(list) => {
                let attachments = list
                    .into_iter()
                    .filter_map(|r| r.map_err(|e| tracing::warn!(err = %e, "an attachment record is unreadable")).ok())
                    .collect();
                self.events.send(Event::AttachmentsLoaded { thread, attachments });
            }
            Err(e) => {
                self.events
                    .send(Event::Error { thread: None, message: format!("Could not list the attachments: {e}") });
            }
        }
    }

    /// Take back an attachment that waits in the composer.
    pub(super) async fn remove_attachment(&self, thread: ThreadId, id: AttachmentId) {
        let result = self
            .with_store(move |s| {
                let waiting = s.attachment(thread, id)?.filter(|a| a.message_id.is_none());
                if let Some(a) = waiting {
                    s.remove_attachment(thread, id)?;
                    // Its content goes too, unless another attachment holds the same file.
                    let used = s.blobs_in_use()?;
                    for blob in a.blobs() {
                        if !used.contains(&blob) {
                            s.remove_blob(&blob)?;
                        }
                    }
                    s.flush()?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = result {
            self.events.send(Event::Error { thread: None, message: format!("Could not remove the attachment: {e}") });
        }
    }
}

/// The conversation turns of `history`, with the files of its messages:
/// text files inlined, images (without metadata when `strip`) and PDFs as
/// files. `Err(message)` when `accepts` refuses one of them, before
/// anything is sent.
pub(super) fn turns_with_files(
    store: &dyn Store,
    thread: ThreadId,
    history: Vec<crate::store::MessageSlot>,
    strip: bool,
    accepts: &dyn Fn(crate::domain::FileKind) -> Result<(), String>,
) -> Result<Result<Vec<crate::providers::ChatTurn>, String>, StoreError> {
    use crate::domain::{FileKind, MessageStatus, Role};
    use crate::providers::{ChatTurn, TurnFile};
    use crate::store::MessageSlot;
    let messages: Vec<crate::domain::Message> = history
        .into_iter()
        .filter_map(|slot| match slot {
            MessageSlot::Ok(m)
                if (!m.content.is_empty() || !m.attachments.is_empty())
                    && m.role != Role::System
                    && !matches!(m.status, MessageStatus::Failed | MessageStatus::Sending) =>
            {
                Some(m)
            }
            _ => None,
        })
        .collect();
    let records: std::collections::HashMap<AttachmentId, Attachment> =
        if messages.iter().any(|m| !m.attachments.is_empty()) {
            store.attachments(thread)?.into_iter().flatten().map(|a| (a.id, a)).collect()
        } else {
            std::collections::HashMap::new()
        };
    // Only the newest images go again with every reply; older ones are named.
    let resent: std::collections::HashSet<AttachmentId> = messages
        .iter()
        .rev()
        .flat_map(|m| m.attachments.iter().rev())
        .filter(|id| records.get(id).is_some_and(|a| a.kind.is_image()))
        .take(MAX_IMAGES_PER_REQUEST)
        .copied()
        .collect();
    let mut turns = Vec::with_capacity(messages.len());
    for m in messages {
        let mut turn = ChatTurn::text(m.role, m.content);
        for id in &m.attachments {
            let Some(a) = records.get(id) else { continue };
            if a.kind.is_image() && !resent.contains(id) {
                turn.content.push_str(&format!("\n\n[An image, “{}”, was shared here earlier.]", a.name));
                continue;
            }
            // A PDF with extracted text can always go (as text).
            if let Err(refused) = accepts(a.kind)
                && !(a.kind == FileKind::Pdf && a.text.is_some())
            {
                return Ok(Err(refused));
            }
            let missing = || {
                StoreError::Unreadable(crate::store::Unreadable {
                    table: "blobs",
                    reason: format!("the content of “{}” is missing", a.name),
                })
            };
            match a.kind {
                FileKind::Text => {
                    let bytes = store.blob(&a.blob)?.ok_or_else(missing)?;
                    let text = media::decode_text(&bytes).unwrap_or_default();
                    turn.content.push_str(&format!("\n\n--- {} ---\n{text}\n--- end of {} ---", a.name, a.name));
                }
                FileKind::Pdf if accepts(FileKind::Pdf).is_err() => {
                    // Not read natively here: its extracted text goes inline.
                    // (Checked above: a PDF without text was refused.)
                    if let Some(text_blob) = a.text {
                        let bytes = store.blob(&text_blob)?.ok_or_else(missing)?;
                        let text = String::from_utf8_lossy(&bytes);
                        let (name, head) = (&a.name, "text of the PDF");
                        turn.content.push_str(&format!("\n\n--- {name} ({head}) ---\n{text}\n--- end of {name} ---"));
                    }
                }
                FileKind::Pdf => {
                    let data = store.blob(&a.blob)?.ok_or_else(missing)?;
                    turn.files.push(TurnFile { kind: a.kind, name: a.name.clone(), data });
                }
                kind => {
                    let (data, kind) = match (strip, a.sent_copy) {
                        (true, Some((blob, kind))) => (store.blob(&blob)?.ok_or_else(missing)?, kind),
                        _ => {
                            let original = store.blob(&a.blob)?.ok_or_else(missing)?;
                            let (data, out_kind) =
                                media::image_for_sending(&a.name, kind, &original, strip).map_err(|r| {
                                    StoreError::Unreadable(crate::store::Unreadable {
                                        table: "blobs",
                                        reason: r.to_string(),
                                    })
                                })?;
                            if strip && data != original {
                                // Made once: later replies send the stored copy.
                                let mut record = a.clone();
                                record.sent_copy = Some((store.put_blob(&data)?, out_kind));
                                store.put_attachment(&record)?;
                            }
                            (data, out_kind)
                        }
                    };
                    turn.files.push(TurnFile { kind, name: a.name.clone(), data });
                }
            }
        }
        turns.push(turn);
    }
    Ok(Ok(turns))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{FileKind, Message, MessageId, MessageStatus, Role};

    #[test]
    fn images_cross_to_the_ui_premultiplied_and_pasted_ones_come_back_plain() {
        let pixels = Pixels { width: 3, height: 1, rgba: vec![10, 20, 30, 255, 200, 100, 50, 0, 200, 100, 50, 128] };
        let image = image_of(&pixels);
        assert_eq!(image.size, [3, 1]);
        // Opaque stays, transparent is all zero, half is halved (rounded).
        assert_eq!(image.premultiplied, vec![10, 20, 30, 255, 0, 0, 0, 0, 100, 50, 25, 128]);
        assert_eq!(unmultiplied(&image.premultiplied), vec![10, 20, 30, 255, 0, 0, 0, 0, 199, 100, 50, 128]);
        // Every colour at every alpha comes back as close as the alpha allows.
        for a in 1..=255u8 {
            for c in (0..=255u8).step_by(5) {
                let back = unmultiplied(&[mul_frac(c, a), 0, 0, a])[0];
                assert!(
                    u16::from(back.abs_diff(c)) <= 255 / u16::from(a) / 2 + 1,
                    "{c} at alpha {a} came back as {back}"
                );
            }
        }
    }
    use crate::store::{KeySource, MemoryKv, MessageSlot, SealedStore};

    #[test]
    fn only_the_newest_images_go_again_with_a_reply() {
        let dir = tempfile::tempdir().unwrap();
        let store = SealedStore::create(
            std::sync::Arc::new(MemoryKv::new()),
            &KeySource::KeyFile(dir.path().join("key")),
            crate::store::Argon2Params { m_cost_kib: 1024, t_cost: 1, p_cost: 1 },
        )
        .unwrap();
        let thread = ThreadId::new();
        let stamp = crate::domain::Stamp {
            hlc: crate::domain::Hlc::default(),
            device: crate::domain::DeviceId::from_bytes([1; 16]),
        };
        let mut history = Vec::new();
        for i in 0..10u8 {
            let mut png = Vec::new();
            image::RgbImage::from_pixel(4, 4, image::Rgb([i, 0, 0]))
                .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
                .unwrap();
            let file = IncomingFile::Bytes { name: format!("shot {i}.png"), bytes: png };
            let (a, _) = intake(&store, thread, file, 1 << 20, stamp, &super::super::Lockdown::default()).unwrap();
            let message = Message {
                id: MessageId::new(),
                thread_id: thread,
                parent_id: None,
                role: Role::User,
                content: format!("look {i}"),
                reasoning: String::new(),
                attachments: vec![a.id],
                model: None,
                status: MessageStatus::Done,
                failure: None,
                usage: None,
                created_ms: 0,
                stamp,
            };
            history.push(MessageSlot::Ok(message));
        }
        let turns = turns_with_files(&store, thread, history, true, &|_: FileKind| Ok(())).unwrap().unwrap();
        let with_files: Vec<usize> = turns.iter().map(|t| t.files.len()).collect();
        assert_eq!(with_files, vec![0, 0, 1, 1, 1, 1, 1, 1, 1, 1], "the newest eight images go");
        assert!(turns[0].content.ends_with("[An image, “shot 0.png”, was shared here earlier.]"));
        assert_eq!(turns[9].content, "look 9");
    }
}
