//! Showing attachments, including those another device of the account sent
//! whose files are not here yet: a preview or an image asked for is
//! decoded from the store; when its file is on the account's server only,
//! it is fetched in the background first ([`crate::sync::fetch_files`]) and
//! shown once it came, so the actor never waits on a download to show
//! something.

use super::Event;
use super::actor::{Actor, Internal};
use super::attachments::{ROW_IMAGE, VIEWER_MAX, image_of};
use crate::domain::{AttachmentId, BlobId, ThreadId};
use crate::media;
use crate::store::Store as _;

/// What a look in the store found for a preview or an image.
enum Found {
    Image(super::attachments::Image),
    /// Its file is on the account's server, not here.
    NotHere(BlobId),
    /// No such attachment, no preview, or a file that does not decode.
    Nothing,
}

/// A background fetch of an attachment's file ended.
pub(crate) struct Fetched {
    thread: ThreadId,
    id: AttachmentId,
    original: bool,
    result: Result<usize, String>,
}

impl Actor {
    /// Decode an attachment's preview for a message row.
    pub(super) async fn load_preview(&self, thread: ThreadId, id: AttachmentId) {
        self.show_preview(thread, id, true).await;
    }

    async fn show_preview(&self, thread: ThreadId, id: AttachmentId, may_fetch: bool) {
        let result = self
            .with_store(move |s| {
                let Some(blob) = s.attachment(thread, id)?.and_then(|a| a.preview) else { return Ok(Found::Nothing) };
                Ok(match s.blob(&blob)? {
                    Some(bytes) => {
                        media::decode_preview(&bytes, ROW_IMAGE).map_or(Found::Nothing, |p| Found::Image(image_of(&p)))
                    }
                    None => Found::NotHere(blob),
                })
            })
            .await;
        match result {
            Ok(Found::Image(image)) => self.events.send(Event::AttachmentPreview { id, image }),
            Ok(Found::NotHere(blob)) if may_fetch => self.fetch_in_background(thread, id, blob, false),
            Ok(Found::NotHere(_) | Found::Nothing) => {}
            Err(e) => tracing::warn!(err = %e, "an attachment preview could not be read"),
        }
    }

    /// Decode an image attachment whole for the viewer.
    pub(super) async fn load_original(&self, thread: ThreadId, id: AttachmentId) {
        self.show_original(thread, id, true).await;
    }

    async fn show_original(&self, thread: ThreadId, id: AttachmentId, may_fetch: bool) {
        let result = self
            .with_store(move |s| {
                let Some(a) = s.attachment(thread, id)? else {
                    return Ok(Found::Nothing);
                };
                let Some(bytes) = s.blob(&a.blob)? else { return Ok(Found::NotHere(a.blob)) };
                let pixels = std::panic::catch_unwind(|| media::decode_for_viewer(a.kind, &bytes, VIEWER_MAX));
                Ok(pixels.ok().flatten().map_or(Found::Nothing, |p| Found::Image(image_of(&p))))
            })
            .await;
        match result {
            Ok(Found::Image(image)) => self.events.send(Event::AttachmentImage { id, image }),
            Ok(Found::NotHere(blob)) if may_fetch => self.fetch_in_background(thread, id, blob, true),
            Ok(Found::NotHere(_) | Found::Nothing) => {
                self.events.send(Event::Error { thread: None, message: "That image could not be opened.".to_owned() });
            }
            Err(e) => {
                self.events.send(Event::Error { thread: None, message: format!("That image could not be read: {e}") });
            }
        }
    }

    /// Fetch the file `blob` of an attachment from the account's server
    /// on a task of its own; it reports [`Internal::Fetched`].
    fn fetch_in_background(&self, thread: ThreadId, id: AttachmentId, blob: BlobId, original: bool) {
        let Some(store) = self.store.clone() else { return };
        let inbox = self.inbox.clone();
        self.rt.spawn(async move {
            let result =
                crate::sync::fetch_files(store.as_ref(), Some(thread), Some(&[blob])).await.map_err(|e| e.to_string());
            if inbox.send(Internal::Fetched(Fetched { thread, id, original, result })).is_err() {
                tracing::debug!("a file came after the backend stopped");
            }
        });
    }

    /// A background fetch ended: show what came, or say why not.
    pub(super) async fn on_fetched(&self, fetched: Fetched) {
        let Fetched { thread, id, original, result } = fetched;
        match (result, original) {
            (Ok(_), true) => self.show_original(thread, id, false).await,
            (Ok(_), false) => self.show_preview(thread, id, false).await,
            (Err(e), true) => self.events.send(Event::Error {
                thread: None,
                message: format!("That image was sent from another device and could not be downloaded: {e}"),
            }),
            (Err(reason), false) => {
                tracing::warn!(err = %reason, "a preview sent from another device could not be downloaded");
                self.events.send(Event::AttachmentPreviewMissing { id, reason });
            }
        }
    }
}
