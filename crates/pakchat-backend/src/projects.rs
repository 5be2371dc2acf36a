//! Projects on the backend: creating, editing and deleting them, their
//! knowledge files (text read from files the user chose, sealed in the
//! project's record), and moving threads in and out.

use super::actor::{Actor, misrouted};
use super::attachments::IncomingFile;
use super::dialogs::{DialogClosed, OpenDialog};
use super::{Command, Event, FilePicker, ThreadSummary};
use crate::domain::{
    FileKind, KnowledgeFile, MAX_KNOWLEDGE_CHARS, MAX_PROJECT_KNOWLEDGE_CHARS, Project, ProjectId, ThreadId,
    wall_millis,
};
use crate::store::{ProjectSlot, Store as _, StoreError, ThreadSlot};

/// Largest file read as knowledge (a PDF's text is much smaller than the file).
const MAX_KNOWLEDGE_FILE_BYTES: u64 = 30 * 1024 * 1024;

/// What happens to a deleted project's threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProjectThreads {
    /// They stay, outside any project.
    Keep,
    /// They are deleted with it, for good.
    Delete,
}

/// The text of a knowledge file, or why it cannot be one.
fn knowledge_text(name: &str, bytes: &[u8]) -> Result<String, String> {
    let processed = crate::media::process(name, bytes, MAX_KNOWLEDGE_FILE_BYTES)
        .map_err(|r| r.to_string().replace("it was not attached", "it was not added"))?;
    let text = match processed.kind {
        FileKind::Text | FileKind::Pdf => processed.text.filter(|t| !t.trim().is_empty()),
        FileKind::Png | FileKind::Jpeg | FileKind::WebP | FileKind::Gif => {
            return Err(format!("“{name}” is an image; a project's knowledge files are text (or PDFs with text)."));
        }
    };
    let Some(text) = text else {
        return Err(format!("“{name}” has no text that can be read; it was not added."));
    };
    let chars = text.chars().count();
    if chars > MAX_KNOWLEDGE_CHARS {
        return Err(format!(
            "“{name}” holds {chars} characters; a knowledge file can hold at most {MAX_KNOWLEDGE_CHARS}. It was not added."
        ));
    }
    Ok(text)
}

impl Actor {
    /// The commands of the project window and of moving threads between
    /// projects.
    pub(super) async fn handle_projects(&mut self, command: Command) {
        match command {
            Command::CreateProject { id, name } => self.create_project(id, name).await,
            Command::EditProject { id, name, instructions } => {
                let name = name.trim().to_owned();
                self.edit_project(id, "save the project", move |p| {
                    if !name.is_empty() {
                        p.name = name;
                    }
                    p.instructions = instructions;
                    Ok(())
                })
                .await;
            }
            Command::PickKnowledge { project } => self.pick_knowledge(project),
            Command::AddKnowledge { project, files } => self.add_knowledge(project, files).await,
            Command::RemoveKnowledge { project, file } => {
                self.edit_project(project, "remove the knowledge file", move |p| {
                    p.files.retain(|f| f.id != file);
                    Ok(())
                })
                .await;
            }
            Command::DeleteProject { id, threads } => self.delete_project(id, threads).await,
            Command::SetThreadProject { id, project } => self.set_thread_project(id, project).await,
            _ => misrouted("projects"),
        }
    }

    /// Send the UI every project (after unlocking, after an import).
    pub(super) async fn send_projects(&mut self) {
        match self.with_store(crate::store::Store::projects).await {
            Ok(projects) => self.events.send(Event::ProjectsLoaded(projects)),
            Err(e) => {
                self.events.send(Event::Error { thread: None, message: format!("Could not list your projects: {e}") });
            }
        }
    }

    /// Create a project named `name` with this id.
    pub(super) async fn create_project(&mut self, id: ProjectId, name: String) {
        let name = name.trim().to_owned();
        let name = if name.is_empty() { "New project".to_owned() } else { name };
        let project = Project::new(id, name, wall_millis(), self.clock.now());
        let saved = project.clone();
        match self.with_store(move |s| s.put_project(&saved).and_then(|()| s.flush())).await {
            Ok(()) => self.events.send(Event::ProjectChanged(ProjectSlot::Ok(project))),
            Err(e) => {
                self.events.send(Event::Error { thread: None, message: format!("Could not create the project: {e}") });
            }
        }
    }

    /// Load a project, change it, save it durably and tell the UI. `edit`
    /// may refuse with a message for the user (nothing is written then).
    pub(super) async fn edit_project(
        &mut self,
        id: ProjectId,
        what: &str,
        edit: impl FnOnce(&mut Project) -> Result<(), String> + Send + 'static,
    ) {
        let stamp = self.clock.now();
        let result = self
            .with_store(move |s| {
                let Some(mut project) = s.project(id)?.filter(|p| !p.deleted) else {
                    return Ok(Err("the project no longer exists".to_owned()));
                };
                if let Err(why) = edit(&mut project) {
                    return Ok(Err(why));
                }
                project.stamp = stamp;
                s.put_project(&project)?;
                s.flush()?;
                Ok(Ok(project))
            })
            .await;
        match result {
            Ok(Ok(project)) => self.events.send(Event::ProjectChanged(ProjectSlot::Ok(project))),
            Ok(Err(why)) => {
                self.events.send(Event::Error { thread: None, message: format!("Could not {what}: {why}") });
            }
            Err(e) => self.events.send(Event::Error { thread: None, message: format!("Could not {what}: {e}") }),
        }
    }

    /// Read `files` and add their text to project `id`'s knowledge.
    pub(super) async fn add_knowledge(&mut self, id: ProjectId, files: Vec<IncomingFile>) {
        let (files, paths): (Vec<_>, Vec<_>) =
            files.into_iter().partition(|f| self.config.picker.reaches_disk() || !f.is_path());
        if !paths.is_empty() {
            self.events.send(Event::Error { thread: None, message: FilePicker::NO_PATHS.to_owned() });
        }
        for file in files {
            #[cfg(target_arch = "wasm32")]
            let file = match file.into_readable().await {
                Ok(file) => file,
                Err(message) => {
                    self.events.send(Event::Error { thread: None, message });
                    continue;
                }
            };
            let name = file.name();
            let read = self
                .rt
                .blocking(move || {
                    let bytes = file.read(MAX_KNOWLEDGE_FILE_BYTES)?;
                    knowledge_text(&name, &bytes).map(|text| (name, text))
                })
                .await;
            let (name, text) = match read {
                Ok(named) => named,
                Err(message) => {
                    self.events.send(Event::Error { thread: None, message });
                    continue;
                }
            };
            self.edit_project(id, "add the knowledge file", move |p| {
                let total = p.knowledge_chars() + text.chars().count();
                if total > MAX_PROJECT_KNOWLEDGE_CHARS {
                    return Err(format!(
                        "with “{name}” the project would hold {total} characters of knowledge, more than the \
                         {MAX_PROJECT_KNOWLEDGE_CHARS} it can send with each message"
                    ));
                }
                p.files.push(KnowledgeFile { id: uuid::Uuid::now_v7(), name, text });
                Ok(())
            })
            .await;
        }
    }

    /// Open the file picker for a project's knowledge files; they come
    /// back as [`DialogClosed::KnowledgePicked`].
    pub(super) fn pick_knowledge(&self, project: ProjectId) {
        let dialog = OpenDialog {
            title: "Add knowledge files",
            filters: &[
                (
                    "Text and PDFs",
                    &["txt", "md", "csv", "json", "xml", "yaml", "yml", "toml", "html", "pdf", "rs", "py", "js"],
                ),
                ("All files", &["*"]),
            ],
            many: true,
            no_dialog: FilePicker::NO_DIALOG,
        };
        self.open_dialog(
            dialog,
            |message| Event::Error { thread: None, message },
            move |files| DialogClosed::KnowledgePicked { project, files },
        );
    }

    /// Delete project `id` (a tombstone) and keep or delete its threads.
    pub(super) async fn delete_project(&mut self, id: ProjectId, threads: ProjectThreads) {
        let stamp = self.clock.now();
        let result = self
            .with_store(move |s| {
                let Some(mut project) = s.project(id)? else { return Ok(None) };
                let mut changed = Vec::new();
                for slot in s.threads()? {
                    let ThreadSlot::Ok(mut t) = slot else { continue };
                    if t.project_id != Some(id) || t.deleted {
                        continue;
                    }
                    t.project_id = None;
                    if threads == ProjectThreads::Delete {
                        t.deleted = true;
                    }
                    t.stamp = stamp;
                    s.put_thread(&t)?;
                    changed.push(t);
                }
                // The tombstone keeps no content of the user's.
                project.deleted = true;
                project.name.clear();
                project.instructions.clear();
                project.files.clear();
                project.stamp = stamp;
                s.put_project(&project)?;
                s.flush()?;
                Ok(Some((project, changed)))
            })
            .await;
        match result {
            Ok(Some((project, changed))) => {
                let deleted: Vec<ThreadId> = changed.iter().filter(|t| t.deleted).map(|t| t.id).collect();
                for t in changed {
                    self.events.send(Event::ThreadChanged(ThreadSummary::Ok(t)));
                }
                self.events.send(Event::ProjectChanged(ProjectSlot::Ok(project)));
                self.purge_threads(deleted).await;
            }
            Ok(None) => {}
            Err(e) => {
                self.events.send(Event::Error { thread: None, message: format!("Could not delete the project: {e}") });
            }
        }
    }

    /// Move thread `id` into `project` (`None`: out of any project).
    pub(super) async fn set_thread_project(&mut self, id: ThreadId, project: Option<ProjectId>) {
        if let Some(p) = project {
            let exists = self.with_store(move |s| Ok(s.project(p)?.is_some_and(|p| !p.deleted))).await;
            match exists {
                Ok(true) => {}
                Ok(false) => {
                    self.events
                        .send(Event::Error { thread: None, message: "That project no longer exists.".to_owned() });
                    return;
                }
                Err(e) => {
                    self.events.send(Event::Error { thread: None, message: format!("Could not move the chat: {e}") });
                    return;
                }
            }
        }
        self.edit_thread(id, "move the chat", move |t| t.project_id = project).await;
    }

    /// The project a thread belongs to, for its system prompt (`None` when
    /// it belongs to none, or that project is gone or unreadable: the
    /// reply goes without it rather than not at all, and the log says why).
    pub(super) async fn project_of(&self, project: Option<ProjectId>) -> Option<Project> {
        let id = project?;
        match self.with_store(move |s| s.project(id)).await {
            Ok(p) => p.filter(|p| !p.deleted),
            Err(StoreError::Unreadable(e)) => {
                tracing::warn!(err = %e, "a thread's project cannot be read; replying without it");
                None
            }
            Err(e) => {
                tracing::warn!(err = %e, "a thread's project could not be loaded");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::knowledge_text;

    #[test]
    fn knowledge_takes_text_and_refuses_images_and_programs_with_a_reason() {
        assert_eq!(knowledge_text("notes.md", b"# Notes\nAlpha").as_deref(), Ok("# Notes\nAlpha"));
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];
        let err = knowledge_text("chart.png", &png).unwrap_err();
        assert!(err.contains("chart.png"), "{err}");
        let elf = [0x7F, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let err = knowledge_text("notes.txt", &elf).unwrap_err();
        assert!(err.contains("notes.txt") && err.contains("not added"), "{err}");
        let big = "word ".repeat(super::MAX_KNOWLEDGE_CHARS / 5 + 1);
        let err = knowledge_text("big.txt", big.as_bytes()).unwrap_err();
        assert!(err.contains("at most"), "{err}");
    }
}
