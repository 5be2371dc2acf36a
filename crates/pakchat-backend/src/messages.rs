//! A thread's conversation as the UI pages through it: opening a thread,
//! loading rows and the outline of the user's messages, search and opening
//! a hit on its branch, sending a message (then its reply), editing one
//! into a new branch, switching branches and branching off into a new
//! thread ([`super::branch_off`]).

use super::actor::{Actor, misrouted};
use super::history::View;
use super::titles::{DEFAULT_TITLE, title_from};
use super::{Command, Event, ThreadSummary};
use crate::domain::{Message, MessageId, MessageStatus, Role, ThreadId, wall_millis};
use crate::store::Store as _;

/// Rows sent around a message opened from a search hit.
const PAGE_AROUND: u64 = 100;
/// Rows sent to the UI after the branch it shows changed.
pub(super) const ROWS_AFTER_BRANCH: usize = 50;

impl Actor {
    /// The commands that read or add to a thread's conversation.
    pub(super) async fn handle_messages(&mut self, command: Command) {
        match command {
            Command::OpenThread { id, tail } => {
                self.send_rows(id, None, tail).await;
                self.send_attachments(id).await;
            }
            Command::LoadMessages { thread, start, len } => self.load_messages(thread, start, len).await,
            Command::LoadOutline { thread, from } => self.load_outline(thread, from).await,
            Command::Search { query, serial } => self.search(query, serial).await,
            Command::ShowMessage { thread, position } => self.show_message(thread, position).await,
            Command::SendMessage { thread, id, text, attachments, images } => {
                if let Some(reason) = self.send_refusal(images.is_some()) {
                    self.events.send(Event::SendFailed { thread, id, text, reason });
                } else {
                    self.sent_messages += 1;
                    self.send_message(thread, id, text, attachments, images).await;
                }
            }
            Command::EditMessage { thread, row, text } => self.edit_message(thread, row, text).await,
            Command::SwitchBranch { thread, row, step } => self.switch_branch(thread, row, step).await,
            Command::BranchOff { thread, row, new_id } => self.branch_off(thread, row, new_id).await,
            _ => misrouted("messages"),
        }
    }

    /// Send the UI a page of rows of the branch it shows.
    async fn load_messages(&mut self, thread: ThreadId, start: u64, len: usize) {
        let result = self
            .with_store(move |s| {
                let view = View::load(s, thread)?;
                view.page(s, thread, start, len)
            })
            .await;
        match result {
            Ok((messages, forks)) => self.events.send(Event::MessagesLoaded { thread, start, messages, forks }),
            Err(e) => self
                .events
                .send(Event::Error { thread: Some(thread), message: format!("Could not load messages: {e}") }),
        }
    }

    /// Send the UI which rows of the shown branch, from `from` on, the user wrote.
    async fn load_outline(&mut self, thread: ThreadId, from: u64) {
        let result = self
            .with_store(move |s| {
                let view = View::load(s, thread)?;
                Ok((view.path.len(), view.user_rows(s, thread, from)?))
            })
            .await;
        match result {
            Ok((count, user_rows)) => self.events.send(Event::Outline { thread, from, count, user_rows }),
            Err(e) => {
                self.events.send(Event::Error {
                    thread: Some(thread),
                    message: format!("Could not read the thread's outline: {e}"),
                });
            }
        }
    }

    /// Why this session may not send a message now (a kiosk's limits), if
    /// it may not.
    fn send_refusal(&self, images: bool) -> Option<String> {
        self.config.lockdown.refuses_message(self.sent_messages).or_else(|| {
            (images && !self.config.lockdown.image_generation)
                .then(|| "making images is turned off on this computer".to_owned())
        })
    }

    /// Answer a search: the newest hits in threads that are not deleted,
    /// each with a snippet.
    async fn search(&mut self, query: String, serial: u64) {
        /// Hits sent per query (the list shows the newest).
        const LIMIT: usize = 50;
        const SNIPPET_CHARS: usize = 140;
        let result = self
            .with_store(move |s| {
                let terms = crate::store::search::terms(&query);
                let mut live: std::collections::HashMap<ThreadId, bool> = std::collections::HashMap::new();
                let mut hits = Vec::new();
                // Ask for a few more than shown, for hits in deleted threads.
                for (position, m) in s.search(&query, LIMIT * 2)? {
                    let shown = match live.get(&m.thread_id) {
                        Some(&shown) => shown,
                        None => {
                            let shown = s.thread(m.thread_id).ok().flatten().is_some_and(|t| !t.deleted);
                            live.insert(m.thread_id, shown);
                            shown
                        }
                    };
                    if shown && hits.len() < LIMIT {
                        hits.push(super::SearchHit {
                            thread: m.thread_id,
                            position,
                            role: m.role,
                            created_ms: m.created_ms,
                            snippet: crate::store::search::snippet(&m.content, &terms, SNIPPET_CHARS),
                        });
                    }
                }
                Ok(hits)
            })
            .await;
        match result {
            Ok(hits) => self.events.send(Event::SearchResults { serial, hits }),
            Err(e) => self.events.send(Event::Error { thread: None, message: format!("Search failed: {e}") }),
        }
    }

    /// Open a thread at one stored message, on the branch that holds it
    /// (unless a reply is streaming into the thread: then its branch stays).
    async fn show_message(&mut self, id: ThreadId, position: u64) {
        let may_switch = !self.busy(id);
        let result = self
            .with_store(move |s| {
                let mut view = View::load(s, id)?;
                if may_switch && view.path.row_of(position).is_none() && view.branches.reveal(position, view.count) {
                    s.put_branches(id, &view.branches)?;
                    s.flush()?;
                    view.path = view.branches.path(view.count);
                }
                let count = view.path.len();
                let row = view.path.row_of(position);
                let len = usize::try_from(PAGE_AROUND).unwrap_or(100);
                let start = row.map_or(count.saturating_sub(PAGE_AROUND), |r| {
                    r.saturating_sub(PAGE_AROUND / 2).min(count.saturating_sub(PAGE_AROUND))
                });
                let (messages, forks) = view.page(s, id, start, len)?;
                Ok((count, start, messages, forks, row))
            })
            .await;
        match result {
            Ok((count, start, messages, forks, reveal)) => {
                // How many, never what: the smoke test reads this after a restart.
                tracing::info!(rows = count, "a chat's rows went to the window");
                self.events.send(Event::ThreadOpened { id, count, start, messages, forks, reveal });
                self.send_attachments(id).await;
            }
            Err(e) => {
                self.events.send(Event::Error { thread: None, message: format!("Could not open the thread: {e}") });
            }
        }
    }

    /// Send the UI the rows of `id`'s shown branch: a page around `around`,
    /// or its last `len` rows. Every row the UI holds is replaced.
    pub(super) async fn send_rows(&mut self, id: ThreadId, around: Option<u64>, len: usize) {
        let result = self
            .with_store(move |s| {
                let view = View::load(s, id)?;
                let count = view.path.len();
                let start = match around {
                    Some(row) => row.saturating_sub(len as u64 / 2).min(count.saturating_sub(len as u64)),
                    None => count.saturating_sub(len as u64),
                };
                let (messages, forks) = view.page(s, id, start, len)?;
                Ok((count, start, messages, forks))
            })
            .await;
        match result {
            Ok((count, start, messages, forks)) => {
                tracing::info!(rows = count, "a chat's rows went to the window");
                self.events.send(Event::ThreadOpened { id, count, start, messages, forks, reveal: None });
            }
            Err(e) => {
                self.events.send(Event::Error { thread: None, message: format!("Could not open the thread: {e}") });
            }
        }
    }

    /// Store the message the user wrote, with the waiting attachments that
    /// go with it, at the end of the branch shown (a new thread takes its
    /// title from it), then start its reply or its images.
    async fn send_message(
        &mut self,
        thread_id: ThreadId,
        id: crate::domain::MessageId,
        text: String,
        attachments: Vec<crate::domain::AttachmentId>,
        images: Option<super::ImageOptions>,
    ) {
        let stamp = self.clock.now();
        let thread_stamp = self.clock.now();
        let content = text.clone();
        let result = self
            .with_store(move |s| {
                let Some(mut thread) = s.thread(thread_id)? else {
                    return Ok(None);
                };
                let mut view = View::load(s, thread_id)?;
                let leaf = view.path.leaf();
                let parent_id = match view.path.len().checked_sub(1) {
                    Some(last) => view.message(s, thread_id, last)?.map(|m| m.id),
                    None => None,
                };
                let now = wall_millis();
                let message = Message {
                    id,
                    thread_id,
                    parent_id,
                    role: Role::User,
                    content,
                    reasoning: String::new(),
                    attachments: Vec::new(),
                    model: None,
                    status: MessageStatus::Done,
                    failure: None,
                    usage: None,
                    created_ms: now,
                    stamp,
                };
                let first = view.count == 0;
                // The attachments waiting in the thread that go with it.
                let mut message = message;
                for mut a in s.attachments(thread_id)?.into_iter().flatten() {
                    if a.message_id.is_none() && attachments.contains(&a.id) {
                        a.message_id = Some(id);
                        s.put_attachment(&a)?;
                        message.attachments.push(a.id);
                    }
                }
                let (position, row) = view.add_child(s, thread_id, leaf, &message)?;
                if first && thread.title == DEFAULT_TITLE {
                    thread.title = title_from(&message.content);
                    thread.auto_title = true;
                }
                thread.updated_ms = now;
                thread.draft.clear();
                thread.stamp = thread_stamp;
                s.put_thread(&thread)?;
                s.put_draft(thread.id, "")?;
                s.flush()?;
                Ok(Some((position, row, message, thread)))
            })
            .await;
        match result {
            Ok(Some((position, row, message, thread))) => {
                self.events.send(Event::MessageStored { thread: thread_id, index: row, message: message.clone() });
                self.events.send(Event::ThreadChanged(ThreadSummary::Ok(thread.clone())));
                match images {
                    Some(options) => self.start_images(thread, message, position, options).await,
                    None => self.start_reply(thread, message, position).await,
                }
            }
            Ok(None) => self.events.send(Event::SendFailed {
                thread: thread_id,
                id,
                text,
                reason: "the thread no longer exists".to_owned(),
            }),
            Err(e) => self.events.send(Event::SendFailed { thread: thread_id, id, text, reason: e.to_string() }),
        }
    }

    /// The user's message at `row`, edited, as a new sibling; then its reply.
    pub(super) async fn edit_message(&mut self, thread_id: ThreadId, row: u64, text: String) {
        if self.busy(thread_id) {
            return;
        }
        if text.trim().is_empty() {
            self.events.send(Event::Error {
                thread: Some(thread_id),
                message: "An edited message cannot be empty.".to_owned(),
            });
            return;
        }
        let stamp = self.clock.now();
        let thread_stamp = self.clock.now();
        let result = self
            .with_store(move |s| {
                let Some(mut thread) = s.thread(thread_id)? else { return Ok(None) };
                let mut view = View::load(s, thread_id)?;
                let Some(original) = view.message(s, thread_id, row)?.filter(|m| m.role == Role::User) else {
                    return Ok(None);
                };
                let now = wall_millis();
                let message = Message {
                    id: MessageId::new(),
                    content: text,
                    created_ms: now,
                    stamp,
                    status: MessageStatus::Done,
                    failure: None,
                    ..original
                };
                let (position, _) = view.add_child(s, thread_id, view.parent_of(row), &message)?;
                thread.updated_ms = now;
                thread.stamp = thread_stamp;
                s.put_thread(&thread)?;
                s.flush()?;
                Ok(Some((thread, message, position)))
            })
            .await;
        match result {
            Ok(Some((thread, message, position))) => {
                self.events.send(Event::ThreadChanged(super::ThreadSummary::Ok(thread.clone())));
                self.send_rows(thread_id, None, ROWS_AFTER_BRANCH).await;
                self.start_reply(thread, message, position).await;
            }
            Ok(None) => self.events.send(Event::Error {
                thread: Some(thread_id),
                message: "That message cannot be edited: it is not a readable message of yours.".to_owned(),
            }),
            Err(e) => self
                .events
                .send(Event::Error { thread: Some(thread_id), message: format!("Could not save the edit: {e}") }),
        }
    }

    /// Show the sibling `step` away from the message at `row`.
    pub(super) async fn switch_branch(&mut self, thread_id: ThreadId, row: u64, step: i64) {
        if self.busy(thread_id) {
            return;
        }
        let result = self
            .with_store(move |s| {
                let mut view = View::load(s, thread_id)?;
                let moved = view.step_branch(s, thread_id, row, step)?;
                if moved {
                    s.flush()?;
                }
                Ok(moved)
            })
            .await;
        match result {
            Ok(true) => self.send_rows(thread_id, Some(row), ROWS_AFTER_BRANCH).await,
            Ok(false) => {}
            Err(e) => self
                .events
                .send(Event::Error { thread: Some(thread_id), message: format!("Could not switch branches: {e}") }),
        }
    }
}
