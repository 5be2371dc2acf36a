//! Export and import: the user's data leaving and re-entering the sealed
//! store as plain files they chose to write.
//!
//! * [`Archive`] is Pak.Chat's own format, one JSON document: every thread
//!   (tombstones left out) with its messages at their stored positions, its
//!   branches, its attachment records and their file contents (base64, keyed
//!   by the blob id they had), and the settings. API keys are never written.
//!   A single thread exports in the same format, or as Markdown (the branch
//!   on screen) through [`thread_markdown`].
//! * [`chatgpt`] reads the `conversations.json` of a ChatGPT data export into
//!   an [`Archive`], keeping every branch of its message trees.
//! * [`import()`] writes an archive into a store. [`parse`] checks the whole
//!   document first (format, version, every thread's messages and
//!   attachments belong to it, every file it names is present and decodes),
//!   so a malformed file is refused before anything is written. Threads the
//!   store already holds are skipped, which makes importing the same file
//!   twice harmless. Each thread's record is written last, after its
//!   messages, branches and files: a thread cut short by a full disk leaves
//!   no half-thread in the sidebar.
//!
//! Blob ids are keyed hashes, so they differ between profiles: imported
//! files are stored afresh and their records point at the new ids.
//!
//! This file holds the format and the export side; reading and writing an
//! import live in `import.rs`.

pub mod chatgpt;
mod export;
mod import;

pub use export::{WriteError, export_all, export_thread, write_all};
pub use import::{Pending, import, open, parse};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::StoreError;
use pakchat_core::{Attachment, BlobId, Branches, Message, Project, Role, Settings, Thread};

/// The `format` field of a Pak.Chat archive.
pub const FORMAT: &str = "pakchat-archive";
/// The newest archive version this build writes and reads.
pub const VERSION: u32 = 1;
/// What an imported message that could not be read at export time says.
pub const UNREADABLE_PLACEHOLDER: &str = "(This message could not be read when it was exported.)";

/// One JSON document holding the user's threads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Archive {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`] when written by this build.
    pub version: u32,
    /// When it was written, Unix milliseconds.
    pub exported_ms: u64,
    /// The settings, when the whole profile was exported.
    #[serde(default)]
    pub settings: Option<Settings>,
    /// The projects (with their knowledge files), when the whole profile
    /// was exported.
    #[serde(default)]
    pub projects: Vec<Project>,
    /// The threads, each complete.
    pub threads: Vec<ThreadArchive>,
    /// Conversations of a foreign export that could not be read, named as
    /// the export names them (never written into an archive).
    #[serde(skip)]
    pub unreadable: Vec<String>,
}

/// One thread with everything it holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadArchive {
    /// The thread record.
    pub thread: Thread,
    /// Its messages by stored position; `null` where a record could not be read.
    pub messages: Vec<Option<Message>>,
    /// Which message answers which, where the thread branched.
    #[serde(default)]
    pub branches: Branches,
    /// Its attachments with their files.
    #[serde(default)]
    pub attachments: Vec<AttachmentArchive>,
}

/// An attachment record and the content of every blob it names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttachmentArchive {
    /// The record, naming blobs by their ids in the exporting profile.
    pub record: Attachment,
    /// Those blobs: hex id → base64 content.
    #[serde(with = "blob_map")]
    pub blobs: BTreeMap<BlobId, Vec<u8>>,
}

/// What an export wrote, and what it had to leave out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportReport {
    /// Threads written.
    pub threads: usize,
    /// Messages written.
    pub messages: usize,
    /// Attachments written with their files.
    pub attachments: usize,
    /// Records that could not be opened (written as `null` for messages,
    /// left out for threads and attachments).
    pub unreadable: usize,
}

/// What an import added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Threads added.
    pub threads: usize,
    /// Threads left alone because the profile already holds them.
    pub skipped: usize,
    /// Projects added.
    pub projects: usize,
    /// Messages added.
    pub messages: usize,
    /// Attachments added.
    pub attachments: usize,
    /// Whether the archive's settings replaced the profile's.
    pub settings: bool,
    /// Conversations that could not be read (the rest were imported).
    pub unreadable: Vec<String>,
}

impl ImportReport {
    /// In words, for the status line.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut s = format!(
            "Imported {} {} with {} {}",
            self.threads,
            plural(self.threads, "chat", "chats"),
            self.messages,
            plural(self.messages, "message", "messages")
        );
        if self.attachments > 0 {
            s.push_str(&format!(" and {} {}", self.attachments, plural(self.attachments, "file", "files")));
        }
        if self.projects > 0 {
            s.push_str(&format!(" in {} {}", self.projects, plural(self.projects, "project", "projects")));
        }
        s.push('.');
        if self.skipped > 0 {
            s.push_str(&format!(
                " {} {} already here and left as {}.",
                self.skipped,
                plural(self.skipped, "chat was", "chats were"),
                plural(self.skipped, "it was", "they were")
            ));
        }
        if let Some(first) = self.unreadable.first() {
            let others = self.unreadable.len() - 1;
            let more = if others > 0 { format!(" and {others} more") } else { String::new() };
            s.push_str(&format!(" Not imported (unreadable): {first}{more}."));
        }
        s
    }
}

impl ExportReport {
    /// In words, for the status line.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut s = format!(
            "Exported {} {} with {} {}",
            self.threads,
            plural(self.threads, "chat", "chats"),
            self.messages,
            plural(self.messages, "message", "messages")
        );
        if self.attachments > 0 {
            s.push_str(&format!(" and {} {}", self.attachments, plural(self.attachments, "file", "files")));
        }
        s.push('.');
        if self.unreadable > 0 {
            s.push_str(&format!(
                " {} damaged {} could not be read.",
                self.unreadable,
                plural(self.unreadable, "record", "records")
            ));
        }
        s
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// Why a file cannot be imported. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Not JSON, or not the shape expected.
    #[error("this file is not a readable export: {0}")]
    Malformed(String),
    /// A Pak.Chat archive from a newer version.
    #[error("this archive was written by a newer Pak.Chat (version {0}); please update")]
    NewerVersion(u32),
    /// The parts of the archive contradict each other.
    #[error("this archive is inconsistent: {0}")]
    Inconsistent(String),
    /// The store failed while writing.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn new_archive(settings: Option<Settings>, threads: Vec<ThreadArchive>) -> Archive {
    Archive {
        format: FORMAT.to_owned(),
        version: VERSION,
        exported_ms: pakchat_core::wall_millis(),
        settings,
        projects: Vec::new(),
        threads,
        unreadable: Vec::new(),
    }
}

/// The conversation on screen (the chosen branch) as Markdown: a title, then
/// each message under its author and time, with its files named.
#[must_use]
pub fn thread_markdown(archive: &ThreadArchive) -> String {
    let count = archive.messages.len() as u64;
    let path = archive.branches.path(count);
    let names: BTreeMap<_, _> = archive.attachments.iter().map(|a| (a.record.id, a.record.name.as_str())).collect();
    let mut out = format!("# {}\n", archive.thread.title.trim());
    for row in 0..path.len() {
        let Some(Some(m)) = path.position(row).and_then(|p| archive.messages.get(usize::try_from(p).ok()?)) else {
            continue;
        };
        let who = match m.role {
            Role::User => "You".to_owned(),
            Role::Assistant => m.model.clone().unwrap_or_else(|| "Assistant".to_owned()),
            Role::System => "System".to_owned(),
        };
        let when = i64::try_from(m.created_ms)
            .ok()
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        out.push_str(&format!("\n## {who} · {when}\n\n"));
        out.push_str(m.content.trim_end());
        out.push('\n');
        for id in &m.attachments {
            if let Some(name) = names.get(id) {
                out.push_str(&format!("\n- Attached: {name}\n"));
            }
        }
    }
    out
}

/// A file name for an export: the title with characters file systems
/// refuse replaced, never empty.
#[must_use]
pub fn file_name(title: &str, extension: &str) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| if c.is_control() || "/\\:*?\"<>|".contains(c) { '_' } else { c })
        .collect::<String>()
        .trim()
        .trim_matches('.')
        .chars()
        .take(80)
        .collect();
    let stem = if cleaned.trim().is_empty() { "chat".to_owned() } else { cleaned.trim().to_owned() };
    format!("{stem}.{extension}")
}

/// The archive as pretty JSON.
///
/// # Errors
/// Never in practice (every field serializes); reported rather than unwrapped.
pub fn to_json(archive: &Archive) -> Result<Vec<u8>, String> {
    serde_json::to_vec_pretty(archive).map_err(|e| e.to_string())
}

mod blob_map {
    use super::{BTreeMap, BlobId, Deserialize, Serialize};
    use base64::Engine as _;
    use serde::de::Error as _;

    pub fn serialize<S: serde::Serializer>(map: &BTreeMap<BlobId, Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        let plain: BTreeMap<String, String> = map
            .iter()
            .map(|(id, bytes)| (hex(&id.0), base64::engine::general_purpose::STANDARD.encode(bytes)))
            .collect();
        plain.serialize(s)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeMap<BlobId, Vec<u8>>, D::Error> {
        let plain = BTreeMap::<String, String>::deserialize(d)?;
        let mut out = BTreeMap::new();
        for (id, text) in plain {
            let id = unhex(&id).ok_or_else(|| D::Error::custom(format!("\"{id}\" is not a file id")))?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text.as_bytes())
                .map_err(|e| D::Error::custom(format!("a file's content is damaged: {e}")))?;
            out.insert(BlobId(id), bytes);
        }
        Ok(out)
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(s: &str) -> Option<[u8; 32]> {
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut out = [0; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[i * 2..i * 2 + 2], 16).ok()?;
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_what_file_systems_refuse() {
        assert_eq!(file_name("a/b: c?", "md"), "a_b_ c_.md");
        assert_eq!(file_name("  ", "json"), "chat.json");
        assert_eq!(file_name("...", "json"), "chat.json");
    }
}
