//! A project: a named group of threads with instructions and knowledge
//! files that go into the system prompt of every thread in it.

use serde::{Deserialize, Serialize};

use super::{ProjectId, Stamp};

/// Longest text a knowledge file may hold (its words go into every request
/// of the project's threads).
pub const MAX_KNOWLEDGE_CHARS: usize = 200_000;
/// Most text all knowledge files of one project may hold together.
pub const MAX_PROJECT_KNOWLEDGE_CHARS: usize = 600_000;

/// A text file the user gave a project; its text is sealed in the project's
/// record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeFile {
    /// Stable id within the project (to remove it).
    pub id: uuid::Uuid,
    /// The file's name as the user had it.
    pub name: String,
    /// Its text (extracted, for a PDF).
    pub text: String,
}

/// A group of threads with shared instructions and knowledge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    /// Globally unique id.
    pub id: ProjectId,
    /// What the sidebar shows (sealed at rest).
    pub name: String,
    /// Instructions for every thread in the project (sealed at rest).
    #[serde(default)]
    pub instructions: String,
    /// Knowledge files, in the order they were added.
    #[serde(default)]
    pub files: Vec<KnowledgeFile>,
    /// Creation time, Unix milliseconds.
    pub created_ms: u64,
    /// A deleted project stays as a tombstone so the deletion can sync.
    #[serde(default)]
    pub deleted: bool,
    /// Last-writer-wins version stamp.
    pub stamp: Stamp,
}

impl Project {
    /// A new, empty project.
    #[must_use]
    pub fn new(id: ProjectId, name: String, now_ms: u64, stamp: Stamp) -> Self {
        Self { id, name, instructions: String::new(), files: Vec::new(), created_ms: now_ms, deleted: false, stamp }
    }

    /// Characters of knowledge the project holds.
    #[must_use]
    pub fn knowledge_chars(&self) -> usize {
        self.files.iter().map(|f| f.text.chars().count()).sum()
    }

    /// The project's part of the system prompt: its name, instructions and
    /// every knowledge file, or `None` when it has neither instructions nor
    /// files.
    #[must_use]
    pub fn prompt(&self) -> Option<String> {
        let instructions = self.instructions.trim();
        let files: Vec<&KnowledgeFile> = self.files.iter().filter(|f| !f.text.trim().is_empty()).collect();
        if instructions.is_empty() && files.is_empty() {
            return None;
        }
        let mut out = format!("This chat belongs to the project \"{}\".", self.name.trim());
        if !instructions.is_empty() {
            out.push_str("\n\n");
            out.push_str(instructions);
        }
        if !files.is_empty() {
            out.push_str("\n\nThe project's knowledge files follow.");
            for f in files {
                out.push_str(&format!("\n\n<file name=\"{}\">\n{}\n</file>", f.name, f.text.trim_end()));
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DeviceId, Hlc};

    #[test]
    fn a_project_prompt_names_it_and_holds_instructions_then_files() {
        let stamp = Stamp { hlc: Hlc::default(), device: DeviceId::from_bytes([1; 16]) };
        let mut p = Project::new(ProjectId::new(), "Thesis".to_owned(), 0, stamp);
        assert_eq!(p.prompt(), None, "an empty project adds nothing");
        p.instructions = " Cite sources. ".to_owned();
        p.files.push(KnowledgeFile {
            id: uuid::Uuid::nil(),
            name: "outline.md".to_owned(),
            text: "# Ch 1\n".to_owned(),
        });
        assert_eq!(
            p.prompt().as_deref(),
            Some(
                "This chat belongs to the project \"Thesis\".\n\nCite sources.\n\nThe project's knowledge files \
                 follow.\n\n<file name=\"outline.md\">\n# Ch 1\n</file>"
            )
        );
        assert_eq!(p.knowledge_chars(), 7);
    }
}
