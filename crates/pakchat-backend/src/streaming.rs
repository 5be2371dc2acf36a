//! Replies: after the user's message is stored, the actor appends an
//! assistant message (status `Streaming`), streams the provider's reply into
//! it on a background task, persists it as it grows, and finalizes it as
//! `Done`, `Failed` or `Cancelled`. Stop drops the task, which drops the
//! HTTP request at once.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::Event;
use super::actor::{Actor, Internal, misrouted, to_actor};
use super::history::View;
use super::messages::ROWS_AFTER_BRANCH;
use crate::domain::{
    Message, MessageId, MessageStatus, ModelChoice, ProviderConfig, Role, Settings, Thread, ThreadId, wall_millis,
};
use crate::providers::{
    ChatRequest, ChatTurn, Endpoint, ProviderError, RetryPolicy, StreamEvent, check_key, stream_chat,
};
use crate::store::{MessageSlot, Store};

/// How often a growing reply is written to the store.
const PERSIST_EVERY: Duration = Duration::from_millis(250);
/// How many earlier messages go along as context.
const CONTEXT_MESSAGES: usize = 100;

/// What a task talking to a provider tells the actor (as
/// [`Internal::Reply`]).
pub(super) enum ReplyReport {
    /// Something arrived for the reply stored at `position`.
    Event { thread: ThreadId, position: u64, event: StreamEvent },
    /// The task ended: `None` when it was stopped.
    Ended { thread: ThreadId, position: u64, result: Option<Result<(), ProviderError>> },
    /// A key check finished.
    KeyChecked { provider: String, result: Result<(), ProviderError> },
    /// A model suggested a title for a thread.
    Titled { thread: ThreadId, title: String },
    /// An image request ended: the images, or why not (`None`: stopped).
    ImagesDone { thread: ThreadId, position: u64, result: Option<Result<Vec<Vec<u8>>, ProviderError>> },
}

/// Reports the end of a stream task even if it dies (a panic inside the
/// HTTP stack), so no reply stays "writing…" forever.
struct EndGuard {
    tx: mpsc::UnboundedSender<Internal>,
    thread: ThreadId,
    position: u64,
    result: Option<Option<Result<(), ProviderError>>>,
}

impl Drop for EndGuard {
    fn drop(&mut self) {
        let result = self.result.take().unwrap_or_else(|| {
            Some(Err(ProviderError::new(crate::providers::ErrorKind::Network, "the reply stopped unexpectedly")))
        });
        to_actor(&self.tx, ReplyReport::Ended { thread: self.thread, position: self.position, result });
    }
}

/// A reply being streamed.
struct Active {
    /// Where the reply is stored.
    position: u64,
    /// Its row in the branch shown (branches do not change while it streams).
    row: u64,
    message: Message,
    /// The user's message this reply answers (for the title request).
    prompt: String,
    /// Where the reply came from (for the title request).
    endpoint: Endpoint,
    /// The model that replies (the title request uses a cheap sibling).
    choice: ModelChoice,
    cancel: Option<oneshot::Sender<()>>,
    last_persist: web_time::Instant,
}

/// The actor's reply state.
pub(super) struct Replies {
    active: HashMap<ThreadId, Active>,
    http: reqwest::Client,
    /// The shipped model catalog (for cheap models).
    catalog: Vec<crate::domain::CatalogModel>,
    /// The settings, cached (providers and the default model).
    pub settings: Settings,
    policy: RetryPolicy,
}

impl Replies {
    pub(super) fn new(policy: RetryPolicy) -> Self {
        Self {
            active: HashMap::new(),
            http: reqwest::Client::new(),
            catalog: crate::domain::shipped_catalog().unwrap_or_default(),
            settings: Settings::default(),
            policy,
        }
    }
}

/// A model's title answer, tidied: first line, no quotes or trailing dot,
/// at most 80 characters.
fn clean_title(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let line = line.trim_start_matches("Title:").trim();
    let line = line.trim_matches(|c: char| matches!(c, '"' | '\'' | '“' | '”' | '*' | '#')).trim();
    let line = line.strip_suffix('.').unwrap_or(line);
    if line.is_empty() { String::new() } else { super::threads::title_from(line) }
}

impl Actor {
    /// The commands about replies: another one, again, stop, and a key check.
    pub(super) async fn handle_replies(&mut self, command: super::Command) {
        match command {
            super::Command::RegenerateReply { thread, row } => self.regenerate(thread, row).await,
            super::Command::RetryReply { thread } => self.retry_reply(thread).await,
            super::Command::StopReply { thread } => self.stop_reply(thread),
            super::Command::CheckKey { provider } => self.check_key(provider).await,
            _ => misrouted("replies"),
        }
    }

    /// A reply that was streaming when the app stopped is `Interrupted` now.
    pub(super) async fn mark_interrupted(&mut self, threads: Vec<ThreadId>) {
        let stamp = self.clock.now();
        let result = self
            .with_store(move |s| {
                let mut marked = 0;
                for id in threads {
                    let Some(last) = s.message_count(id)?.checked_sub(1) else { continue };
                    if let Some(MessageSlot::Ok(mut m)) = s.messages(id, last, 1)?.pop()
                        && matches!(m.status, MessageStatus::Streaming | MessageStatus::Sending)
                    {
                        m.status = MessageStatus::Interrupted;
                        m.stamp = stamp;
                        s.update_message(id, last, &m)?;
                        marked += 1;
                    }
                }
                if marked > 0 {
                    s.flush()?;
                }
                Ok(marked)
            })
            .await;
        match result {
            Ok(0) => {}
            Ok(n) => tracing::info!(replies = n, "marked interrupted replies"),
            Err(e) => tracing::error!(err = %e, "could not mark interrupted replies"),
        }
    }

    fn model_for(&self, thread: &Thread) -> Option<(ModelChoice, ProviderConfig)> {
        let choice = thread.model.clone().or_else(|| self.replies.settings.default_model.clone())?;
        let provider = self.replies.settings.providers.iter().find(|p| p.id == choice.provider)?.clone();
        Some((choice, provider))
    }

    /// Start the assistant's reply to the user's message stored at
    /// `user_position`: a new child of it (a new branch if it has a reply).
    pub(super) async fn start_reply(&mut self, thread: Thread, user: Message, user_position: u64) {
        let Some((choice, provider)) = self.model_for(&thread) else {
            self.events.send(Event::KeysNeeded {
                message: "Choose a model for this chat to get a reply (and add its API key).".to_owned(),
            });
            return;
        };
        let key = self.key_of(&provider).await;
        if key.is_none() && provider.needs_key {
            self.events
                .send(Event::KeysNeeded { message: format!("Add an API key for {} to get a reply.", provider.name) });
            return;
        }
        let thread_id = thread.id;
        let project = self.project_of(thread.project_id).await;
        let system = crate::domain::system_prompt(&self.replies.settings, project.as_ref(), &thread);
        let endpoint = Endpoint { kind: provider.kind, base_url: provider.base_url.clone(), api_key: key };
        let reply = Message {
            id: MessageId::new(),
            thread_id,
            parent_id: Some(user.id),
            role: Role::Assistant,
            content: String::new(),
            reasoning: String::new(),
            attachments: Vec::new(),
            model: Some(choice.model.clone()),
            status: MessageStatus::Streaming,
            usage: None,
            created_ms: wall_millis(),
            stamp: self.clock.now(),
        };
        let saved = reply.clone();
        let strip = self.replies.settings.strip_photo_metadata;
        let model_entry =
            self.replies.catalog.iter().find(|m| m.provider == choice.provider && m.id == choice.model).cloned();
        let model_name = model_entry.as_ref().map_or_else(|| choice.model.clone(), |m| m.name.clone());
        let accepts = move |kind| {
            if crate::domain::accepts_file(model_entry.as_ref(), &provider, kind) {
                Ok(())
            } else {
                Err(crate::domain::refusal(&model_name, kind))
            }
        };
        // The branch up to the user's message is the context (the last
        // CONTEXT_MESSAGES rows of it, with their files); the reply becomes
        // its newest child, unless the model cannot take those files.
        let stored = self
            .with_store(move |s| {
                let mut view = View::load(s, thread_id)?;
                let user_row = view.path.row_of(user_position).unwrap_or(0);
                let from = (user_row + 1).saturating_sub(CONTEXT_MESSAGES as u64);
                let (history, _) = view.page(s, thread_id, from, usize::try_from(user_row + 1 - from).unwrap_or(0))?;
                let turns = match super::attachments::turns_with_files(s, thread_id, history, strip, &accepts)? {
                    Ok(turns) => turns,
                    Err(refused) => return Ok(Err(refused)),
                };
                let old_len = view.path.len();
                let (position, row) = view.add_child(s, thread_id, user_position, &saved)?;
                Ok(Ok((turns, position, row, row != old_len)))
            })
            .await;
        let (turns, position, row, branched) = match stored {
            Ok(Ok(found)) => found,
            Ok(Err(refused)) => {
                self.events.send(Event::Error { message: refused });
                return;
            }
            Err(e) => {
                self.events.send(Event::Error { message: format!("Could not start the reply: {e}") });
                return;
            }
        };
        let request =
            ChatRequest { model: choice.model.clone(), system, turns, max_tokens: self.config.lockdown.max_tokens };
        if branched {
            // A new sibling: the rows after the fork changed.
            self.send_rows(thread_id, None, ROWS_AFTER_BRANCH).await;
        } else {
            self.events.send(Event::MessageStored { thread: thread_id, index: row, message: reply.clone() });
        }

        let (cancel_tx, cancel_rx) = oneshot::channel::<()>();
        self.replies.active.insert(
            thread_id,
            Active {
                position,
                row,
                message: reply,
                prompt: user.content.clone(),
                endpoint: endpoint.clone(),
                choice,
                cancel: Some(cancel_tx),
                last_persist: web_time::Instant::now(),
            },
        );
        let tx = self.inbox.clone();
        let http = self.replies.http.clone();
        let policy = self.replies.policy.clone();
        let rt = self.rt.clone();
        self.rt.spawn(async move {
            let mut guard = EndGuard { tx: tx.clone(), thread: thread_id, position, result: None };
            let events = tx;
            let mut on_event = move |event: StreamEvent| {
                to_actor(&events, ReplyReport::Event { thread: thread_id, position, event });
            };
            let sleep = |d: Duration| {
                let rt = rt.clone();
                async move { rt.sleep(d).await }
            };
            let result = tokio::select! {
                r = stream_chat(&http, &endpoint, &request, &policy, sleep, &mut on_event) => Some(r),
                _ = cancel_rx => None,
            };
            guard.result = Some(result);
        });
    }

    /// Check a provider's key in the background; the answer comes as an event.
    pub(super) async fn check_key(&mut self, provider_id: String) {
        let Some(provider) = self.replies.settings.providers.iter().find(|p| p.id == provider_id).cloned() else {
            return;
        };
        let key = self.key_of(&provider).await;
        if key.is_none() && provider.needs_key {
            self.events
                .send(Event::KeyChecked { provider: provider_id, result: Err("No key to check yet.".to_owned()) });
            return;
        }
        let endpoint = Endpoint { kind: provider.kind, base_url: provider.base_url, api_key: key };
        let (tx, http, rt) = (self.inbox.clone(), self.replies.http.clone(), self.rt.clone());
        self.rt.spawn(async move {
            let sleep = |d: Duration| {
                let rt = rt.clone();
                async move { rt.sleep(d).await }
            };
            let result = check_key(&http, &endpoint, sleep).await;
            to_actor(&tx, ReplyReport::KeyChecked { provider: provider_id, result });
        });
    }

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
        let key = self.key_of(&provider).await;
        if key.is_none() && provider.needs_key {
            self.events
                .send(Event::KeysNeeded { message: format!("Add an API key for {} to make images.", provider.name) });
            return;
        }
        let thread_id = thread.id;
        let count = options.count.clamp(1, 4);
        let plural = if count == 1 { "image" } else { "images" };
        let reply = Message {
            id: MessageId::new(),
            thread_id,
            parent_id: Some(user.id),
            role: Role::Assistant,
            content: format!("Making {count} {plural} ({}, {} quality)…", options.size, options.quality),
            reasoning: String::new(),
            attachments: Vec::new(),
            model: Some(options.model.model.clone()),
            status: MessageStatus::Streaming,
            usage: None,
            created_ms: wall_millis(),
            stamp: self.clock.now(),
        };
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
                self.events.send(Event::Error { message: format!("Could not start making images: {e}") });
                return;
            }
        };
        if branched {
            self.send_rows(thread_id, None, ROWS_AFTER_BRANCH).await;
        } else {
            self.events.send(Event::MessageStored { thread: thread_id, index: row, message: reply.clone() });
        }
        let endpoint = Endpoint { kind: provider.kind, base_url: provider.base_url.clone(), api_key: key };
        let (cancel_tx, cancel_rx) = oneshot::channel::<()>();
        self.replies.active.insert(
            thread_id,
            Active {
                position,
                row,
                message: reply,
                prompt: user.content.clone(),
                endpoint: endpoint.clone(),
                choice: options.model.clone(),
                cancel: Some(cancel_tx),
                last_persist: web_time::Instant::now(),
            },
        );
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
    async fn images_done(
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
                self.events.send(Event::Error { message: format!("No images: {e}. {}", e.kind.advice()) });
                message.content = format!("No images: {e}");
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
            self.events.send(Event::Error { message: format!("An image that came back was not kept: {why}") });
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
            self.events.send(Event::Error { message: format!("The images could not be saved: {e}") });
        }
        for (attachment, thumbnail) in added {
            self.events.send(Event::AttachmentAdded { attachment, thumbnail });
        }
        self.events.send(Event::MessageStored { thread, index: active.row, message });
    }

    /// Whether a reply streams into `thread` (branches stay put until it ends).
    pub(super) fn busy(&self, thread: ThreadId) -> bool {
        let busy = self.replies.active.contains_key(&thread);
        if busy {
            self.events.send(Event::Error {
                message: "A reply is still arriving in this chat: stop it (Esc) or let it finish first.".to_owned(),
            });
        }
        busy
    }

    /// Reply again to the last user message of the branch shown (after a
    /// failed, stopped or interrupted reply, which stays as a sibling).
    pub(super) async fn retry_reply(&mut self, thread_id: ThreadId) {
        self.answer_again(thread_id, None).await;
    }

    /// Another reply in place of the assistant message at `row`.
    pub(super) async fn regenerate(&mut self, thread_id: ThreadId, row: u64) {
        self.answer_again(thread_id, Some(row)).await;
    }

    /// A new reply (a sibling of any there) to the user's message before the
    /// reply at `reply_row`, or with `None` to the last user message shown.
    async fn answer_again(&mut self, thread_id: ThreadId, reply_row: Option<u64>) {
        if self.busy(thread_id) {
            return;
        }
        let found = self
            .with_store(move |s| {
                let Some(thread) = s.thread(thread_id)? else { return Ok(None) };
                let view = View::load(s, thread_id)?;
                // The rows that may hold the user's message, newest first.
                let rows: Vec<u64> = match reply_row {
                    Some(row) => row.checked_sub(1).into_iter().collect(),
                    None => (view.path.len().saturating_sub(20)..view.path.len()).rev().collect(),
                };
                for row in rows {
                    if let Some(m) = view.message(s, thread_id, row)?.filter(|m| m.role == Role::User) {
                        return Ok(view.path.position(row).map(|p| (thread, m, p)));
                    }
                }
                Ok(None)
            })
            .await;
        let (none, what) = match reply_row {
            None => ("There is no message to reply to.", "retry"),
            Some(_) => ("That reply cannot be regenerated: the message it answers cannot be read.", "regenerate"),
        };
        match found {
            Ok(Some((thread, user, position))) => self.start_reply(thread, user, position).await,
            Ok(None) => self.events.send(Event::Error { message: none.to_owned() }),
            Err(e) => self.events.send(Event::Error { message: format!("Could not {what}: {e}") }),
        }
    }

    /// Ask a cheap model of the thread's provider (else the thread's own)
    /// for a short title; the answer comes back as [`ReplyReport::Titled`].
    /// Failures keep the title made from the first message.
    fn request_title(&self, thread: ThreadId, prompt: &str, reply: &str, endpoint: Endpoint, choice: &ModelChoice) {
        let models = self.replies.catalog.iter().chain(&self.replies.settings.custom_models);
        let model = crate::domain::title_model(choice, models).model;
        let excerpt = |t: &str| t.chars().take(1000).collect::<String>();
        let request = ChatRequest {
            model,
            system: Some(
                "You name conversations. Reply with a title of at most six words and nothing else.".to_owned(),
            ),
            turns: vec![ChatTurn::text(
                Role::User,
                format!("Title this conversation.\n\nUser: {}\n\nAssistant: {}", excerpt(prompt), excerpt(reply)),
            )],
            max_tokens: Some(24),
        };
        let (tx, http, rt) = (self.inbox.clone(), self.replies.http.clone(), self.rt.clone());
        let policy = RetryPolicy { max_retries: 1, ..self.replies.policy.clone() };
        self.rt.spawn(async move {
            let sleep = |d: Duration| {
                let rt = rt.clone();
                async move { rt.sleep(d).await }
            };
            let mut text = String::new();
            let mut collect = |e: StreamEvent| {
                if let StreamEvent::Text(t) = e {
                    text.push_str(&t);
                }
            };
            match stream_chat(&http, &endpoint, &request, &policy, sleep, &mut collect).await {
                Ok(()) => {
                    let title = clean_title(&text);
                    if !title.is_empty() {
                        to_actor(&tx, ReplyReport::Titled { thread, title });
                    }
                }
                Err(e) => tracing::info!(err = %e.kind.advice(), "no model title; keeping the first words"),
            }
        });
    }

    /// Stop the reply of `thread`, if one is streaming.
    pub(super) fn stop_reply(&mut self, thread: ThreadId) {
        if let Some(active) = self.replies.active.get_mut(&thread) {
            // Dropping the sender ends the task's select: the request is dropped.
            active.cancel.take();
        }
    }

    /// Apply what a task talking to a provider reported.
    pub(super) async fn on_reply_report(&mut self, report: ReplyReport) {
        match report {
            ReplyReport::Event { thread, position, event } => self.on_stream_event(thread, position, event).await,
            ReplyReport::Ended { thread, position, result } => self.on_stream_ended(thread, position, result).await,
            ReplyReport::ImagesDone { thread, position, result } => self.images_done(thread, position, result).await,
            ReplyReport::Titled { thread, title } => {
                self.edit_thread(thread, "name the thread", move |t| {
                    if t.auto_title {
                        t.title = title;
                        t.auto_title = false;
                    }
                })
                .await;
            }
            ReplyReport::KeyChecked { provider, result } => {
                let result = result.map_err(|e| format!("{e}. {}", e.kind.advice()));
                self.events.send(Event::KeyChecked { provider, result });
            }
        }
    }

    /// A piece of the reply stored at `position` arrived: show it, and
    /// store the reply so far now and then.
    async fn on_stream_event(&mut self, thread: ThreadId, position: u64, event: StreamEvent) {
        let Some(active) = self.replies.active.get_mut(&thread).filter(|a| a.position == position) else {
            return;
        };
        let (mut text, mut reasoning) = (String::new(), String::new());
        match event {
            StreamEvent::Text(t) => text = t,
            StreamEvent::Reasoning(r) => reasoning = r,
            StreamEvent::Usage(u) => active.message.usage = Some(u),
            StreamEvent::Finish(_) => {}
            StreamEvent::Retrying { wait, reason, .. } => {
                self.events.send(Event::ReplyRetrying { thread, reason: reason.to_string(), wait });
            }
        }
        if text.is_empty() && reasoning.is_empty() {
            return;
        }
        active.message.content.push_str(&text);
        active.message.reasoning.push_str(&reasoning);
        let (index, id) = (active.row, active.message.id);
        let snapshot = (active.last_persist.elapsed() >= PERSIST_EVERY).then(|| {
            active.last_persist = web_time::Instant::now();
            active.message.clone()
        });
        if let Some(snapshot) = snapshot
            && let Err(e) = self.with_store(move |s| s.update_message(thread, position, &snapshot)).await
        {
            tracing::error!(err = %e, "could not persist a growing reply");
        }
        self.events.send(Event::MessageDelta { thread, index, id, text, reasoning });
    }

    /// The stream of the reply stored at `position` ended (`None`: it was
    /// stopped): store the reply as it is, say why it failed, and ask for a
    /// title when the thread still has the one made from its first words.
    async fn on_stream_ended(&mut self, thread: ThreadId, position: u64, result: Option<Result<(), ProviderError>>) {
        let Some(active) = self.replies.active.remove(&thread).filter(|a| a.position == position) else {
            return;
        };
        let mut message = active.message.clone();
        message.status = match &result {
            Some(Ok(())) => MessageStatus::Done,
            Some(Err(_)) => MessageStatus::Failed,
            None => MessageStatus::Cancelled,
        };
        message.stamp = self.clock.now();
        if let Some(Err(e)) = &result {
            let wait =
                e.retry_after.map(|w| format!(" (the provider asks to wait {} s)", w.as_secs())).unwrap_or_default();
            self.events.send(Event::Error { message: format!("The reply failed: {e}{wait}. {}", e.kind.advice()) });
            if e.kind == crate::providers::ErrorKind::Auth {
                self.events.send(Event::KeysNeeded { message: format!("The provider refused the key: {e}") });
            }
        }
        let saved = message.clone();
        let now = wall_millis();
        let stamp = self.clock.now();
        let stored = self
            .with_store(move |s| {
                s.update_message(thread, position, &saved)?;
                let mut auto_title = false;
                if let Some(mut t) = s.thread(thread)? {
                    t.updated_ms = now;
                    t.stamp = stamp;
                    auto_title = t.auto_title;
                    s.put_thread(&t)?;
                }
                s.flush()?;
                Ok(auto_title)
            })
            .await;
        match stored {
            Ok(true) if message.status == MessageStatus::Done => {
                self.request_title(thread, &active.prompt, &message.content, active.endpoint, &active.choice);
            }
            Ok(_) => {}
            Err(e) => self.events.send(Event::Error { message: format!("The reply could not be saved: {e}") }),
        }
        self.events.send(Event::MessageStored { thread, index: active.row, message });
    }
}

#[cfg(test)]
mod tests {
    use super::clean_title;

    #[test]
    fn model_titles_are_tidied() {
        assert_eq!(clean_title("\"Friendly Greetings\"\n"), "Friendly Greetings");
        assert_eq!(clean_title("Title: **Trip to Lahore.**"), "Trip to Lahore");
        assert_eq!(clean_title("   \n  "), "");
    }
}
