//! Images made instead of a reply (the composer's image mode): an
//! assistant message says what is being made, the request runs on a task
//! Stop can cancel like a reply's, and the images that come back are
//! checked and stored like attached files, as that message's attachments.

use std::time::Duration;

use super::Event;
use super::actor::{Actor, to_actor};
use super::history::View;
use super::streaming::{Active, ReplyReport};
use crate::domain::{Message, MessageStatus, Thread, ThreadId};
use crate::providers::ProviderError;
use crate::store::Store as _;

impl Actor {
    /// Make images from the user's message stored at `user_position`; they
    /// arrive as attachments of an assistant message that says what it is
    /// making meanwhile. Stop cancels the request like a reply's.
    pub(super) async fn start_images(
        &mut self,
        thread: Thread,
        user: Message,
        user_position: u64,
        options: super::ImageOptions,
    ) {
        let Some(provider) = self.replies.settings.providers.iter().find(|p| p.id == options.model.provider).cloned()
        else {
            self.events.send(Event::KeysNeeded { message: "Choose an image model first.".to_owned() });
            return;
        };
        let Some(endpoint) = self.endpoint_for(&provider, "make images").await else { return };
        let thread_id = thread.id;
        let count = options.count.clamp(1, 4);
        let plural = if count == 1 { "image" } else { "images" };
        let making = format!("Making {count} {plural} ({}, {} quality)…", options.size, options.quality);
        let reply = self.assistant_message(thread_id, user.id, &options.model.model, making);
        let saved = reply.clone();
        let stored = self
            .with_store(move |s| {
                let mut view = View::load(s, thread_id)?;
                let old_len = view.path.len();
                let (position, row) = view.add_child(s, thread_id, user_position, &saved)?;
                s.flush()?;
                Ok((position, row, row != old_len))
            })
            .await;
        let (position, row, branched) = match stored {
            Ok(found) => found,
            Err(e) => {
                self.events.send(Event::Error {
                    thread: Some(thread_id),
                    message: format!("Could not start making images: {e}"),
                });
                return;
            }
        };
        self.show_new_reply(thread_id, row, branched, &reply).await;
        let (active, cancel_rx) =
            Active::new(position, row, reply, user.content.clone(), endpoint.clone(), options.model.clone());
        self.replies.active.insert(thread_id, active);
        let request = crate::providers::ImageRequest {
            model: options.model.model,
            prompt: user.content,
            size: options.size,
            quality: options.quality,
            count,
            format: options.format,
        };
        let (tx, http, policy, rt) =
            (self.inbox.clone(), self.replies.http.clone(), self.replies.policy.clone(), self.rt.clone());
        self.rt.spawn(async move {
            let sleep = |d: Duration| {
                let rt = rt.clone();
                async move { rt.sleep(d).await }
            };
            let result = tokio::select! {
                r = crate::providers::generate_images(&http, &endpoint, &request, &policy, sleep) => Some(r),
                _ = cancel_rx => None,
            };
            to_actor(&tx, ReplyReport::ImagesDone { thread: thread_id, position, result });
        });
    }

    /// Store the images made (checked like any attached file) and finish the message.
    pub(super) async fn images_done(
        &mut self,
        thread: ThreadId,
        position: u64,
        result: Option<Result<Vec<Vec<u8>>, ProviderError>>,
    ) {
        let Some(active) = self.replies.active.remove(&thread).filter(|a| a.position == position) else { return };
        let mut message = active.message;
        let max = self.replies.settings.max_attachment_bytes();
        let stamp = self.clock.now();
        let (status, images) = match result {
            None => (MessageStatus::Cancelled, Vec::new()),
            Some(Err(e)) => {
                // The reason is the row's, not a banner's.
                message.failure =
                    Some(format!("{} {}", crate::domain::sentence(&format!("No images: {e}")), e.kind.advice()));
                message.content.clear();
                (MessageStatus::Failed, Vec::new())
            }
            Some(Ok(images)) => (MessageStatus::Done, images),
        };
        let reply_id = message.id;
        let count = images.len();
        let made = self
            .with_store(move |s| {
                let mut added = Vec::new();
                let mut refused = Vec::new();
                // Made here: the attachment limits are for what the user brings.
                let unlimited = super::Lockdown::default();
                for (i, bytes) in images.into_iter().enumerate() {
                    // Named by what the bytes are: a JPEG asked for arrives as image-1.jpg.
                    let ext = match crate::media::sniff(&bytes) {
                        crate::media::Sniffed::Kind(kind) => kind.extension(),
                        crate::media::Sniffed::Other(_) => "bin",
                    };
                    let name = format!("image-{}.{ext}", i + 1);
                    let file = super::attachments::IncomingFile::Bytes { name, bytes };
                    match super::attachments::intake_for(s, thread, file, max, stamp, Some(reply_id), &unlimited) {
                        Ok(a) if a.0.kind.is_image() => added.push(a),
                        Ok((a, _)) => {
                            s.remove_attachment(thread, a.id)?;
                            let used = s.blobs_in_use()?;
                            for blob in a.blobs().iter().filter(|b| !used.contains(b)) {
                                s.remove_blob(blob)?;
                            }
                            refused.push(format!("the provider sent {}, not an image", a.kind.described()));
                        }
                        Err(why) => refused.push(why),
                    }
                }
                Ok((added, refused))
            })
            .await;
        let (added, refused) = made.unwrap_or_else(|e| (Vec::new(), vec![e.to_string()]));
        for why in refused {
            self.events.send(Event::Error {
                thread: Some(thread),
                message: format!("An image that came back was not kept: {why}"),
            });
        }
        message.status = status;
        if status == MessageStatus::Done {
            message.content = if added.len() == count {
                String::new()
            } else {
                format!("{} of {count} images could be kept.", added.len())
            };
        } else if status == MessageStatus::Cancelled {
            message.content = "Stopped before the images arrived.".to_owned();
        }
        message.attachments = added.iter().map(|(a, _)| a.id).collect();
        message.stamp = self.clock.now();
        let saved = message.clone();
        if let Err(e) =
            self.with_store(move |s| s.update_message(thread, position, &saved).and_then(|()| s.flush())).await
        {
            self.events
                .send(Event::Error { thread: Some(thread), message: format!("The images could not be saved: {e}") });
        }
        for (attachment, thumbnail) in added {
            self.events.send(Event::AttachmentAdded { attachment, thumbnail });
        }
        self.events.send(Event::MessageStored { thread, index: active.row, message });
    }
}
