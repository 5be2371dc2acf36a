//! Threads as the sidebar knows them: creating, renaming, pinning,
//! deleting (a tombstone the user can undo), purging for good and
//! restoring, and each thread's model, mode, system prompt and draft.
//! Titles are `titles.rs`'s.

use super::actor::{Actor, misrouted};
use super::titles::DEFAULT_TITLE;
use super::{Command, Event, ThreadSummary};
use crate::domain::{ProjectId, Thread, ThreadId, wall_millis};
use crate::store::Store as _;

impl Actor {
    /// The commands that change a thread's record.
    pub(super) async fn handle_threads(&mut self, command: Command) {
        match command {
            Command::CreateThread { id, project } => self.create_thread(id, project).await,
            Command::RenameThread { id, title } => self.rename_thread(id, &title).await,
            Command::SetPinned { id, pinned } => {
                self.edit_thread(id, "pin the thread", move |t| t.pinned = pinned).await;
            }
            Command::DeleteThread { id } => self.edit_thread(id, "delete the thread", |t| t.deleted = true).await,
            Command::PurgeThread { id } => self.purge_threads(vec![id]).await,
            Command::RestoreThread { id } => self.edit_thread(id, "restore the thread", |t| t.deleted = false).await,
            Command::SetThreadModel { id, model } => {
                self.edit_thread(id, "change the model", move |t| t.model = model).await;
            }
            Command::SetThreadMode { id, mode } => {
                self.edit_thread(id, "change the mode", move |t| t.mode = mode).await;
            }
            Command::SetSystemPrompt { id, prompt } => {
                let prompt = prompt.trim().to_owned();
                self.edit_thread(id, "save the system prompt", move |t| t.system_prompt = prompt).await;
            }
            Command::SaveDraft { thread, text } => self.save_draft(thread, text).await,
            _ => misrouted("threads"),
        }
    }

    /// Create an empty thread with the id the UI chose, in `project`.
    async fn create_thread(&mut self, id: ThreadId, project: Option<ProjectId>) {
        let now = wall_millis();
        let mut thread = Thread::new(id, DEFAULT_TITLE.to_owned(), now, self.clock.now());
        thread.project_id = project;
        let saved = thread.clone();
        match self.with_store(move |s| s.put_thread(&saved).and_then(|()| s.flush())).await {
            Ok(()) => self.events.send(Event::ThreadChanged(ThreadSummary::Ok(thread))),
            Err(e) => {
                self.events.send(Event::Error { thread: None, message: format!("Could not create the thread: {e}") });
            }
        }
    }

    /// Give a thread the title the user typed (never an empty one).
    async fn rename_thread(&mut self, id: ThreadId, title: &str) {
        let title = title.trim().to_owned();
        if title.is_empty() {
            self.events.send(Event::Error { thread: None, message: "A thread needs a title.".to_owned() });
        } else {
            self.edit_thread(id, "rename the thread", move |t| {
                t.title = title;
                t.auto_title = false;
            })
            .await;
        }
    }

    /// Save the unsent composer text of a thread (written only when it
    /// changed; the UI is not told, it has the text). A draft is this
    /// device's record of its own: the thread's stamp does not move, so a
    /// draft never wins over another device's rename.
    async fn save_draft(&mut self, thread: ThreadId, text: String) {
        let result = self
            .with_store(move |s| {
                if s.thread(thread)?.is_some_and(|t| t.draft != text) {
                    s.put_draft(thread, &text)?;
                    s.flush()?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = result {
            self.events
                .send(Event::Error { thread: Some(thread), message: format!("Your draft could not be saved: {e}") });
        }
    }

    /// Load a thread, change it, save it durably and tell the UI.
    pub(super) async fn edit_thread(
        &mut self,
        id: ThreadId,
        what: &str,
        edit: impl FnOnce(&mut Thread) + Send + 'static,
    ) {
        let stamp = self.clock.now();
        let result = self
            .with_store(move |store| {
                let Some(mut thread) = store.thread(id)? else {
                    return Ok(None);
                };
                edit(&mut thread);
                thread.stamp = stamp;
                store.put_thread(&thread)?;
                store.flush()?;
                Ok(Some(thread))
            })
            .await;
        match result {
            Ok(Some(thread)) => self.events.send(Event::ThreadChanged(ThreadSummary::Ok(thread))),
            Ok(None) => {
                self.events.send(Event::Error {
                    thread: None,
                    message: format!("Could not {what}: the thread no longer exists."),
                });
            }
            Err(e) => self.events.send(Event::Error { thread: None, message: format!("Could not {what}: {e}") }),
        }
    }

    /// Remove for good the content of those of `ids` that are deleted: their
    /// messages, branches, attachment records, and the blobs nothing else
    /// names. The thread record stays as a tombstone without title or draft.
    pub(super) async fn purge_threads(&mut self, ids: Vec<ThreadId>) {
        let stamp = self.clock.now();
        let result = self
            .with_store(move |s| {
                let mut orphans = Vec::new();
                let mut purged = 0;
                for id in ids {
                    let Some(mut thread) = s.thread(id)? else { continue };
                    // A deletion made on another device may still be undone
                    // there: it is finished here when its final tombstone
                    // comes (purged there, title blanked).
                    if !thread.deleted || !crate::sync::finishes_here(s, thread.stamp.device)? {
                        continue;
                    }
                    orphans.extend(s.purge_thread_content(id)?);
                    if !thread.title.is_empty() || !thread.draft.is_empty() || !thread.system_prompt.is_empty() {
                        thread.title.clear();
                        thread.draft.clear();
                        thread.system_prompt.clear();
                        thread.stamp = stamp;
                        s.put_thread(&thread)?;
                    }
                    purged += 1;
                }
                if !orphans.is_empty() {
                    let used = s.blobs_in_use()?;
                    for blob in orphans.iter().filter(|b| !used.contains(b)) {
                        s.remove_blob(blob)?;
                    }
                }
                s.flush()?;
                Ok(purged)
            })
            .await;
        match result {
            Ok(0) => {}
            Ok(n) => tracing::info!(threads = n, "deleted threads purged"),
            Err(e) => self
                .events
                .send(Event::Error { thread: None, message: format!("A deleted thread could not be removed: {e}") }),
        }
    }
}
