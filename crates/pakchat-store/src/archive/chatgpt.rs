//! ChatGPT's data export: `conversations.json`, an array of conversations,
//! each a `mapping` of node id → `{message, parent, children}` plus the
//! `current_node` the user last looked at.
//!
//! Every node becomes a stored message in depth-first order (siblings oldest
//! first), so a parent is always stored before its children, and each
//! message's parent is its nearest kept ancestor. What ChatGPT hides from the
//! conversation is left out: the root placeholder, system and tool messages,
//! the model's calls to its tools, hidden context and empty messages. Edits
//! and regenerations stay siblings, so the branches survive; the branch shown
//! is the one leading to `current_node`. Images live outside
//! `conversations.json` in the export, so a message that had one says so.
//!
//! Conversation and message ids are kept where they are UUIDs, which makes a
//! second import of the same export skip what is already there.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::{Archive, ArchiveError, ThreadArchive};
use pakchat_core::{Branches, Message, MessageId, MessageStatus, ROOT, Role, Stamp, Thread, ThreadId};

/// What a message that had an image says in its place.
pub const IMAGE_NOTE: &str = "[image: not included in conversations.json]";
/// The title of a conversation that had none.
pub const UNTITLED: &str = "Imported chat";

#[derive(Deserialize)]
struct Conversation {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    create_time: Option<f64>,
    #[serde(default)]
    update_time: Option<f64>,
    mapping: HashMap<String, Node>,
    #[serde(default)]
    current_node: Option<String>,
    #[serde(default)]
    conversation_id: Option<String>,
    #[serde(default)]
    id: Option<String>,
}

#[derive(Deserialize)]
struct Node {
    #[serde(default)]
    message: Option<ChatMessage>,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    children: Vec<String>,
}

#[derive(Deserialize)]
struct ChatMessage {
    #[serde(default)]
    id: Option<String>,
    author: Author,
    #[serde(default)]
    create_time: Option<f64>,
    #[serde(default)]
    content: Value,
    #[serde(default)]
    metadata: Value,
    #[serde(default)]
    recipient: Option<String>,
}

#[derive(Deserialize)]
struct Author {
    role: String,
}

/// Read `conversations.json` into an archive of new threads.
///
/// # Errors
/// Not JSON, not an array of conversations, or nothing to import.
pub fn parse(bytes: &[u8], stamp: &mut dyn FnMut() -> Stamp) -> Result<Archive, ArchiveError> {
    let mut threads = Vec::new();
    let mut seen = HashSet::new();
    let Ok(unreadable) = each(bytes, stamp, &mut |t| {
        if seen.insert(t.thread.id) {
            threads.push(t);
        }
        Ok::<_, std::convert::Infallible>(())
    })?;
    Ok(Archive { unreadable, ..super::new_archive(None, threads) })
}

/// The conversations of `conversations.json`, each still as its JSON text
/// (a view into `bytes`: the whole export is never held as a tree).
///
/// # Errors
/// Not JSON, not an array, or an empty one.
pub(super) fn conversations(bytes: &[u8]) -> Result<Vec<&RawValue>, ArchiveError> {
    let conversations: Vec<&RawValue> = serde_json::from_slice(bytes)
        .map_err(|e| ArchiveError::Malformed(format!("not a ChatGPT conversations.json: {e}")))?;
    if conversations.is_empty() {
        return Err(ArchiveError::Malformed("this ChatGPT export holds no conversations".to_owned()));
    }
    Ok(conversations)
}

/// Convert the conversations of `bytes` one at a time and hand each thread
/// that has a message to `sink` (stopping at its first error, which is
/// returned inside). Memory holds one conversation at a time beside the
/// file. Returns the conversations that could not be read, by name.
///
/// # Errors
/// See [`conversations`]; also when no conversation has a message to import.
pub(super) fn each<E>(
    bytes: &[u8],
    stamp: &mut dyn FnMut() -> Stamp,
    sink: &mut dyn FnMut(ThreadArchive) -> Result<(), E>,
) -> Result<Result<Vec<String>, E>, ArchiveError> {
    let conversations = conversations(bytes)?;
    let mut unreadable = Vec::new();
    let mut any = false;
    for (i, raw) in conversations.into_iter().enumerate() {
        match conversation(i, raw, stamp) {
            Ok(t) if t.messages.is_empty() => {}
            Ok(t) => {
                any = true;
                if let Err(e) = sink(t) {
                    return Ok(Err(e));
                }
            }
            Err(name) => unreadable.push(name),
        }
    }
    if !any {
        let why = unreadable.first().map(|u| format!(": {u}")).unwrap_or_default();
        return Err(ArchiveError::Malformed(format!(
            "no conversation in this ChatGPT export has a message to import{why}"
        )));
    }
    Ok(Ok(unreadable))
}

/// The `i`th conversation as a thread, or its name and what is wrong with it
/// (one damaged conversation does not cost the others).
fn conversation(i: usize, raw: &RawValue, stamp: &mut dyn FnMut() -> Stamp) -> Result<ThreadArchive, String> {
    let named = |title: Option<&str>, e: &dyn std::fmt::Display| {
        let name = title.map_or_else(|| format!("conversation {}", i + 1), |t| format!("“{t}”"));
        format!("{name} ({e})")
    };
    let value: Value = serde_json::from_str(raw.get()).map_err(|e| named(None, &e))?;
    let title = value.get("title").and_then(Value::as_str).map(str::to_owned);
    let c: Conversation = serde_json::from_value(value).map_err(|e| named(title.as_deref(), &e))?;
    Ok(convert(&c, stamp))
}

fn millis(seconds: Option<f64>) -> Option<u64> {
    // Seconds since the epoch as a float; anything not a plausible time is dropped.
    seconds.filter(|s| s.is_finite() && *s > 0.0 && *s < 1e11).map(|s| (s * 1000.0).round() as u64)
}

fn uuid_of(s: Option<&str>) -> Option<uuid::Uuid> {
    s.and_then(|s| uuid::Uuid::parse_str(s).ok())
}

/// The text a message shows, or `None` when ChatGPT does not show it.
fn visible_text(m: &ChatMessage) -> Option<String> {
    let role = m.author.role.as_str();
    if role != "user" && role != "assistant" {
        return None;
    }
    if m.metadata.get("is_visually_hidden_from_conversation").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    if m.recipient.as_deref().is_some_and(|r| r != "all") {
        return None;
    }
    let kind = m.content.get("content_type").and_then(Value::as_str).unwrap_or("text");
    let text = match kind {
        "text" | "multimodal_text" => {
            let parts = m.content.get("parts").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            let mut text = String::new();
            for part in parts {
                let piece = match part {
                    Value::String(s) => s.clone(),
                    Value::Object(o)
                        if o.get("content_type").and_then(Value::as_str) == Some("image_asset_pointer") =>
                    {
                        IMAGE_NOTE.to_owned()
                    }
                    Value::Object(o) => o.get("text").and_then(Value::as_str).unwrap_or_default().to_owned(),
                    _ => String::new(),
                };
                if piece.is_empty() {
                    continue;
                }
                if !text.is_empty() {
                    text.push_str("\n\n");
                }
                text.push_str(&piece);
            }
            text
        }
        "code" => {
            let body = m.content.get("text").and_then(Value::as_str).unwrap_or_default();
            let lang = m.content.get("language").and_then(Value::as_str).filter(|l| *l != "unknown").unwrap_or("");
            if body.is_empty() { String::new() } else { format!("```{lang}\n{body}\n```") }
        }
        // Tool output, browsing, hidden context, reasoning summaries.
        _ => String::new(),
    };
    (!text.trim().is_empty()).then_some(text)
}

fn convert(c: &Conversation, stamp: &mut dyn FnMut() -> Stamp) -> ThreadArchive {
    let created_ms = millis(c.create_time).unwrap_or_else(pakchat_core::wall_millis);
    let id =
        uuid_of(c.conversation_id.as_deref()).or_else(|| uuid_of(c.id.as_deref())).map_or_else(ThreadId::new, ThreadId);
    let title = c.title.as_deref().map(str::trim).filter(|t| !t.is_empty()).unwrap_or(UNTITLED).to_owned();
    let mut thread = Thread::new(id, title, created_ms, stamp());
    thread.updated_ms = millis(c.update_time).unwrap_or(created_ms).max(created_ms);

    // Roots: nodes without a parent that exists. Sorted for a stable order.
    let mut roots: Vec<&String> = c
        .mapping
        .iter()
        .filter(|(_, n)| n.parent.as_ref().is_none_or(|p| !c.mapping.contains_key(p)))
        .map(|(k, _)| k)
        .collect();
    roots.sort_by(|a, b| order(&c.mapping, a, b));

    let mut messages: Vec<Option<Message>> = Vec::new();
    let mut branches = Branches::default();
    let mut position_of: HashMap<&str, u64> = HashMap::new();
    let mut visited: HashSet<&str> = HashSet::new();
    // Depth-first, iteratively (chats can be thousands of turns deep).
    let mut stack: Vec<(&str, u64)> = roots.iter().rev().map(|r| (r.as_str(), ROOT)).collect();
    while let Some((key, parent)) = stack.pop() {
        if !visited.insert(key) {
            continue;
        }
        let Some(node) = c.mapping.get(key) else { continue };
        let mut here = parent;
        if let Some(m) = &node.message
            && let Some(content) = visible_text(m)
        {
            let position = messages.len() as u64;
            let parent_id = (parent != ROOT)
                .then(|| {
                    usize::try_from(parent).ok().and_then(|p| messages.get(p)).and_then(Option::as_ref).map(|m| m.id)
                })
                .flatten();
            let msg_created = millis(m.create_time).unwrap_or(created_ms);
            let role = if m.author.role == "user" { Role::User } else { Role::Assistant };
            let model = (role == Role::Assistant)
                .then(|| m.metadata.get("model_slug").and_then(Value::as_str).map(str::to_owned))
                .flatten();
            let message = Message {
                id: uuid_of(m.id.as_deref()).or_else(|| uuid_of(Some(key))).map_or_else(MessageId::new, MessageId),
                thread_id: id,
                parent_id,
                role,
                content,
                reasoning: String::new(),
                attachments: Vec::new(),
                model,
                status: MessageStatus::Done,
                failure: None,
                usage: None,
                created_ms: msg_created,
                stamp: stamp(),
            };
            branches.add_child(parent, position, position);
            messages.push(Some(message));
            position_of.insert(key, position);
            here = position;
        }
        let mut kids: Vec<&String> = node.children.iter().filter(|k| c.mapping.contains_key(*k)).collect();
        kids.sort_by(|a, b| order(&c.mapping, a, b));
        // Pushed newest first so the oldest is stored first.
        stack.extend(kids.into_iter().rev().map(|k| (k.as_str(), here)));
    }

    // Show the branch the user last looked at: its nearest kept node.
    let count = messages.len() as u64;
    let mut at = c.current_node.as_deref();
    let mut guard = 0;
    while let Some(key) = at {
        if let Some(&p) = position_of.get(key) {
            branches.reveal(p, count);
            break;
        }
        guard += 1;
        if guard > c.mapping.len() {
            break;
        }
        at = c.mapping.get(key).and_then(|n| n.parent.as_deref());
    }
    ThreadArchive { thread, messages, branches, attachments: Vec::new() }
}

/// Siblings oldest first (by their message's time; timeless ones last, then by id).
fn order(mapping: &HashMap<String, Node>, a: &str, b: &str) -> std::cmp::Ordering {
    let time =
        |k: &str| mapping.get(k).and_then(|n| n.message.as_ref()).and_then(|m| m.create_time).unwrap_or(f64::INFINITY);
    time(a).total_cmp(&time(b)).then_with(|| a.cmp(b))
}
