//! Replies: after the user's message is stored, the actor appends an
//! assistant message (status `Streaming`), streams the provider's reply into
//! it on a background task, and finalizes it as `Done`, `Failed` or
//! `Cancelled`. While it grows, what arrived since the last write is
//! appended every `PERSIST_EVERY` (250 ms) as a small sealed chunk (the text
//! so far is never re-sealed whole), so a crash keeps the partial reply; the
//! end writes the message as one record and drops its chunks. Stop drops
//! the task, which drops the HTTP request at once. Replying again (retry,
//! regenerate) and checking a key are here too. What the tasks report
//! arrives as a [`ReplyReport`], a model's title for the thread included
//! (`titles.rs` asks for it); images made instead of a reply are
//! `images.rs`'s.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::Event;
use super::actor::{Actor, Internal, misrouted, to_actor};
use super::history::View;
use super::messages::ROWS_AFTER_BRANCH;
use crate::domain::{
    FileKind, Message, MessageId, MessageStatus, ModelChoice, ProviderConfig, Role, Settings, Thread, ThreadId,
    wall_millis,
};
use crate::providers::{
    ChatRequest, ChatTurn, Endpoint, ProviderError, RetryPolicy, StreamEvent, check_key, stream_chat,
};
use crate::store::{MessageSlot, Store};

/// The keys banner after a provider refused a key (the reply's row says
/// what the provider answered).
const KEY_REFUSED: &str = "The provider refused the API key.";

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

/// A reply being streamed (or images being made).
pub(super) struct Active {
    /// Where the reply is stored.
    pub(super) position: u64,
    /// Its row in the branch shown (branches do not change while it streams).
    pub(super) row: u64,
    /// The reply so far.
    pub(super) message: Message,
    /// The user's message this reply answers (for the title request).
    prompt: String,
    /// Where the reply came from (for the title request).
    endpoint: Endpoint,
    /// The model that replies (the title request uses a cheap sibling).
    choice: ModelChoice,
    /// Taken (dropped) to stop the task.
    cancel: Option<oneshot::Sender<()>>,
    last_persist: web_time::Instant,
    /// Text and reasoning that arrived since the last persist.
    unsaved: (String, String),
}

impl Active {
    /// The reply `message` stored at `position` and shown at `row`,
    /// answering `prompt`; the receiver ends when the reply is stopped.
    pub(super) fn new(
        position: u64,
        row: u64,
        message: Message,
        prompt: String,
        endpoint: Endpoint,
        choice: ModelChoice,
    ) -> (Self, oneshot::Receiver<()>) {
        let (cancel, stopped) = oneshot::channel();
        let active = Self {
            position,
            row,
            message,
            prompt,
            endpoint,
            choice,
            cancel: Some(cancel),
            last_persist: web_time::Instant::now(),
            unsaved: (String::new(), String::new()),
        };
        (active, stopped)
    }
}

/// The actor's reply state.
pub(super) struct Replies {
    /// The reply streaming into each thread (one at most).
    pub(super) active: HashMap<ThreadId, Active>,
    pub(super) http: reqwest::Client,
    /// The shipped model catalog (for cheap models).
    pub(super) catalog: Vec<crate::domain::CatalogModel>,
    /// The settings, cached (providers and the default model).
    pub settings: Settings,
    pub(super) policy: RetryPolicy,
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
    /// On a synced profile, only a reply this device was writing: one that
    /// came from another device mid-way is that device's to finish (marked
    /// here, with a newer stamp, it could win over the finished reply).
    pub(super) async fn mark_interrupted(&mut self, threads: Vec<ThreadId>) {
        let stamp = self.clock.now();
        let result = self
            .with_store(move |s| {
                let mut marked = 0;
                for id in threads {
                    let Some(last) = s.message_count(id)?.checked_sub(1) else { continue };
                    if let Some(MessageSlot::Ok(mut m)) = s.messages(id, last, 1)?.pop()
                        && matches!(m.status, MessageStatus::Streaming | MessageStatus::Sending)
                        && crate::sync::finishes_here(s, m.stamp.device)?
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

    /// The model `thread` replies with (its own, else the default one) and
    /// its provider.
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
        let Some(endpoint) = self.endpoint_for(&provider, "get a reply").await else { return };
        let project = self.project_of(thread.project_id).await;
        let system = crate::domain::system_prompt(&self.replies.settings, project.as_ref(), &thread);
        let reply = self.assistant_message(thread.id, user.id, &choice.model, String::new());
        let accepts = self.file_check(&choice, provider);
        let Some((turns, position, row, branched)) =
            self.store_with_context(thread.id, user_position, reply.clone(), accepts).await
        else {
            return;
        };
        let request =
            ChatRequest { model: choice.model.clone(), system, turns, max_tokens: self.config.lockdown.max_tokens };
        self.show_new_reply(thread.id, row, branched, &reply).await;
        let (active, cancel) = Active::new(position, row, reply, user.content, endpoint.clone(), choice);
        self.replies.active.insert(thread.id, active);
        self.spawn_stream(thread.id, position, endpoint, request, cancel);
    }

    /// `provider`'s endpoint with its key; `None`, and the user asked for a
    /// key, when it needs one and has none. `to` says what the key is for.
    pub(super) async fn endpoint_for(&self, provider: &ProviderConfig, to: &str) -> Option<Endpoint> {
        let key = self.key_of(provider).await;
        if key.is_none() && provider.needs_key {
            self.events.send(Event::KeysNeeded { message: format!("Add an API key for {} to {to}.", provider.name) });
            return None;
        }
        match self.relay_for(provider).await {
            Ok(relay) => {
                Some(Endpoint { kind: provider.kind, base_url: provider.base_url.clone(), api_key: key, relay })
            }
            Err(message) => {
                self.events.send(Event::KeysNeeded { message });
                None
            }
        }
    }

    /// An empty assistant message of `model` answering the user's message
    /// `parent`, streaming, saying `content` meanwhile.
    pub(super) fn assistant_message(
        &mut self,
        thread_id: ThreadId,
        parent: MessageId,
        model: &str,
        content: String,
    ) -> Message {
        Message {
            id: MessageId::new(),
            thread_id,
            parent_id: Some(parent),
            role: Role::Assistant,
            content,
            reasoning: String::new(),
            attachments: Vec::new(),
            model: Some(model.to_owned()),
            status: MessageStatus::Streaming,
            failure: None,
            usage: None,
            created_ms: wall_millis(),
            stamp: self.clock.now(),
        }
    }

    /// Whether the model `choice` of `provider` takes a kind of file, and if
    /// not, what the user is told.
    fn file_check(
        &self,
        choice: &ModelChoice,
        provider: ProviderConfig,
    ) -> impl Fn(FileKind) -> Result<(), String> + Send + 'static {
        let entry =
            self.replies.catalog.iter().find(|m| m.provider == choice.provider && m.id == choice.model).cloned();
        let name = entry.as_ref().map_or_else(|| choice.model.clone(), |m| m.name.clone());
        move |kind| {
            if crate::domain::accepts_file(entry.as_ref(), &provider, kind) {
                Ok(())
            } else {
                Err(crate::domain::refusal(&name, kind))
            }
        }
    }

    /// Store `reply` as the newest child of the user's message at
    /// `user_position` and gather what it answers: the branch up to that
    /// message (its last [`CONTEXT_MESSAGES`] rows, with their files).
    /// Returns the turns, where the reply is stored and shown, and whether it
    /// made a new branch; `None`, with the user told why, when the model
    /// cannot take those files or the store fails.
    async fn store_with_context(
        &mut self,
        thread_id: ThreadId,
        user_position: u64,
        reply: Message,
        accepts: impl Fn(FileKind) -> Result<(), String> + Send + 'static,
    ) -> Option<(Vec<ChatTurn>, u64, u64, bool)> {
        let strip = self.replies.settings.strip_photo_metadata;
        // Files another device sent with this chat's messages come first.
        if let Some(store) = self.store.clone()
            && let Err(e) = crate::sync::fetch_files(store.as_ref(), Some(thread_id), None).await
        {
            let message = format!("Could not start the reply: files sent from another device did not download ({e})");
            self.events.send(Event::Error { thread: Some(thread_id), message });
            return None;
        }
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
                let (position, row) = view.add_child(s, thread_id, user_position, &reply)?;
                Ok(Ok((turns, position, row, row != old_len)))
            })
            .await;
        match stored {
            Ok(Ok(found)) => Some(found),
            Ok(Err(refused)) => {
                self.events.send(Event::Error { thread: Some(thread_id), message: refused });
                None
            }
            Err(e) => {
                self.events
                    .send(Event::Error { thread: Some(thread_id), message: format!("Could not start the reply: {e}") });
                None
            }
        }
    }

    /// Show a reply just stored at `row`: one more row, or, when it is a new
    /// sibling, the rows again (those after the fork changed).
    pub(super) async fn show_new_reply(&mut self, thread: ThreadId, row: u64, branched: bool, reply: &Message) {
        if branched {
            self.send_rows(thread, None, ROWS_AFTER_BRANCH).await;
        } else {
            self.events.send(Event::MessageStored { thread, index: row, message: reply.clone() });
        }
    }

    /// Stream the reply stored at `position` on a task of its own, which
    /// reports each piece and its end; `cancel` firing (or dropped) stops it.
    fn spawn_stream(
        &self,
        thread: ThreadId,
        position: u64,
        endpoint: Endpoint,
        request: ChatRequest,
        cancel: oneshot::Receiver<()>,
    ) {
        let (tx, http, policy, rt) =
            (self.inbox.clone(), self.replies.http.clone(), self.replies.policy.clone(), self.rt.clone());
        self.rt.spawn(async move {
            let mut guard = EndGuard { tx: tx.clone(), thread, position, result: None };
            let mut on_event = move |event: StreamEvent| {
                to_actor(&tx, ReplyReport::Event { thread, position, event });
            };
            let sleep = |d: Duration| {
                let rt = rt.clone();
                async move { rt.sleep(d).await }
            };
            let result = tokio::select! {
                r = stream_chat(&http, &endpoint, &request, &policy, sleep, &mut on_event) => Some(r),
                _ = cancel => None,
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
        let relay = match self.relay_for(&provider).await {
            Ok(relay) => relay,
            Err(message) => {
                self.events.send(Event::KeyChecked { provider: provider_id, result: Err(message) });
                return;
            }
        };
        let endpoint = Endpoint { kind: provider.kind, base_url: provider.base_url, api_key: key, relay };
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

    /// Whether a reply streams into `thread` (branches stay put until it ends).
    pub(super) fn busy(&self, thread: ThreadId) -> bool {
        let busy = self.replies.active.contains_key(&thread);
        if busy {
            self.events.send(Event::Error {
                thread: Some(thread),
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
            Ok(None) => self.events.send(Event::Error { thread: Some(thread_id), message: none.to_owned() }),
            Err(e) => {
                self.events.send(Event::Error { thread: Some(thread_id), message: format!("Could not {what}: {e}") });
            }
        }
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
            ReplyReport::Titled { thread, title } => self.take_title(thread, title).await,
            ReplyReport::KeyChecked { provider, result } => {
                let result =
                    result.map_err(|e| format!("{} {}", crate::domain::sentence(&e.to_string()), e.kind.advice()));
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
        active.unsaved.0.push_str(&text);
        active.unsaved.1.push_str(&reasoning);
        let (index, id) = (active.row, active.message.id);
        // What arrived since the last persist is appended, not the whole
        // reply sealed again.
        let chunk = (active.last_persist.elapsed() >= PERSIST_EVERY).then(|| {
            active.last_persist = web_time::Instant::now();
            std::mem::take(&mut active.unsaved)
        });
        if let Some((more, more_reasoning)) = chunk
            && let Err(e) = self.with_store(move |s| s.append_to_reply(thread, position, &more, &more_reasoning)).await
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
        // Why it failed goes with the reply (its row shows it, after a
        // restart too); only a refused key also asks, once, for the keys.
        if let Some(Err(e)) = &result {
            let wait =
                e.retry_after.map(|w| format!(" (the provider asks to wait {} s)", w.as_secs())).unwrap_or_default();
            let reason = crate::domain::sentence(&format!("The reply failed: {e}{wait}"));
            message.failure = Some(format!("{reason} {}", e.kind.advice()));
            if e.kind == crate::providers::ErrorKind::Auth {
                self.events.send(Event::KeysNeeded { message: KEY_REFUSED.to_owned() });
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
            Err(e) => self
                .events
                .send(Event::Error { thread: Some(thread), message: format!("The reply could not be saved: {e}") }),
        }
        self.events.send(Event::MessageStored { thread, index: active.row, message });
    }
}
