//! Branching a thread into a new one: the rows of the shown branch up to a
//! message are copied into a new thread (new ids, one straight line), with
//! the files they carry, the thread's model, mode, project and prompt. The
//! original thread is not touched.

use super::actor::Actor;
use super::history::View;
use super::titles::title_from;
use super::{Event, ThreadSummary};
use crate::domain::{Attachment, AttachmentId, Message, MessageId, MessageStatus, Role, Thread, ThreadId, wall_millis};
use crate::store::{MessageSlot, Store, StoreError};

/// Text of a message that could not be read when the thread was branched.
pub const UNREADABLE_COPY: &str = "(This message could not be read when the chat was branched.)";

/// Rows read from the store at a time.
const PAGE: u64 = 512;

impl Actor {
    /// Copy the rows `0..=row` of `thread`'s shown branch into a new thread
    /// `new_id`, and tell the UI about it.
    pub(super) async fn branch_off(&mut self, thread: ThreadId, row: u64, new_id: ThreadId) {
        let mut clock = self.clock.clone();
        let now = wall_millis();
        let result = self
            .with_store(move |s| {
                let copied = copy_branch(s, thread, row, new_id, now, &mut || clock.now());
                copied.map(|t| (t, clock))
            })
            .await;
        match result {
            Ok((Some(new_thread), clock)) => {
                self.clock = clock;
                self.events.send(Event::ThreadChanged(ThreadSummary::Ok(new_thread)));
            }
            Ok((None, _)) => self.events.send(Event::Error {
                thread: None,
                message: "Could not branch the chat: that message is no longer there.".to_owned(),
            }),
            Err(e) => {
                self.events.send(Event::Error { thread: None, message: format!("Could not branch the chat: {e}") });
            }
        }
    }
}

/// The work of [`Actor::branch_off`], inside the store. `None` when the
/// thread or the row does not exist. The new thread's record is written
/// last, so a failure part-way leaves no half thread in the sidebar.
fn copy_branch(
    s: &dyn Store,
    thread: ThreadId,
    row: u64,
    new_id: ThreadId,
    now: u64,
    stamp: &mut dyn FnMut() -> crate::domain::Stamp,
) -> Result<Option<Thread>, StoreError> {
    let Some(source) = s.thread(thread)?.filter(|t| !t.deleted) else { return Ok(None) };
    let view = View::load(s, thread)?;
    if row >= view.path.len() {
        return Ok(None);
    }
    let attachments: Vec<Attachment> = s.attachments(thread)?.into_iter().flatten().collect();
    let mut parent: Option<MessageId> = None;
    let mut start = 0;
    while start <= row {
        let len = PAGE.min(row + 1 - start);
        let (slots, _) = view.page(s, thread, start, usize::try_from(len).unwrap_or(usize::MAX))?;
        for slot in slots {
            let id = MessageId::new();
            let message = match slot {
                MessageSlot::Ok(m) => {
                    let mut files = Vec::new();
                    for old in &m.attachments {
                        let Some(a) = attachments.iter().find(|a| a.id == *old) else { continue };
                        let mut copy = a.clone();
                        copy.id = AttachmentId::new();
                        copy.thread_id = new_id;
                        copy.message_id = Some(id);
                        copy.stamp = stamp();
                        s.put_attachment(&copy)?;
                        files.push(copy.id);
                    }
                    Message {
                        id,
                        thread_id: new_id,
                        parent_id: parent,
                        attachments: files,
                        status: match m.status {
                            MessageStatus::Sending => MessageStatus::Failed,
                            MessageStatus::Streaming => MessageStatus::Interrupted,
                            other => other,
                        },
                        stamp: stamp(),
                        ..m
                    }
                }
                MessageSlot::Unreadable(_) => Message {
                    id,
                    thread_id: new_id,
                    parent_id: parent,
                    role: Role::System,
                    content: UNREADABLE_COPY.to_owned(),
                    reasoning: String::new(),
                    attachments: Vec::new(),
                    model: None,
                    status: MessageStatus::Failed,
                    failure: None,
                    usage: None,
                    created_ms: now,
                    stamp: stamp(),
                },
            };
            s.append_message(&message)?;
            parent = Some(id);
        }
        start += len;
    }
    let base = if source.title.trim().is_empty() { title_from("") } else { source.title.clone() };
    let mut copy = Thread::new(new_id, format!("{base} (branch)"), now, stamp());
    copy.model = source.model;
    copy.system_prompt = source.system_prompt;
    copy.mode = source.mode;
    copy.project_id = source.project_id;
    s.put_thread(&copy)?;
    s.flush()?;
    Ok(Some(copy))
}
