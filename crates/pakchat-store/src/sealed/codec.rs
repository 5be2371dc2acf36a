//! Message records in a compact binary form. JSON spent about 370 bytes of
//! field names, quoted UUIDs and escapes on every message, close to the
//! text itself at chat length; this form spends about 70. Inside the seal it
//! starts with a zero byte, which JSON never does, so records written as
//! JSON by earlier releases still open as they are (nothing is migrated).
//!
//! Layout, in order (numbers are LEB128 varints, texts a varint length and
//! UTF-8): `0x00`, id (16 bytes), parent (`0` or `1` and 16 bytes), role,
//! status, content, reasoning, attachment count and ids (16 bytes each),
//! model (`0` or `1` and text), failure (likewise), usage (`0` or `1`, input
//! and output tokens), creation time, stamp (millis, counter, device: 16
//! bytes). The thread id is the record key's.

use pakchat_core::{AttachmentId, DeviceId, Hlc, Message, MessageId, MessageStatus, Role, Stamp, ThreadId, Usage};

impl SealedStore {
    /// Seal `message` at `key` of [`Table::Messages`] in the binary form.
    pub(super) fn put_message(&self, key: &[u8; 24], message: &Message) -> Result<(), StoreError> {
        let plain = zeroize::Zeroizing::new(encode(message));
        let sealed = self.records.seal(&record_aad(Table::Messages.name(), key), &plain).map_err(StoreError::Random)?;
        self.kv.insert(Table::Messages, key, &sealed)?;
        Ok(())
    }

    /// Open the message record at `key`: the binary form, or JSON as
    /// releases before it wrote.
    pub(super) fn open_message(&self, key: &[u8], sealed: &[u8]) -> Result<Message, Unreadable> {
        let unreadable = |reason: String| Unreadable { table: Table::Messages.name(), reason };
        let plain = self
            .records
            .open(&record_aad(Table::Messages.name(), key), sealed)
            .map_err(|e| unreadable(e.to_string()))?;
        if plain.first() != Some(&MARK) {
            return serde_json::from_slice(&plain)
                .map_err(|e| unreadable(format!("opened but not a valid record: {e}")));
        }
        let thread = key.get(..16).and_then(|b| <[u8; 16]>::try_from(b).ok()).map(ThreadId::from_bytes);
        let thread = thread.ok_or_else(|| unreadable("a message key without its thread".to_owned()))?;
        decode(&plain, thread).map_err(|e| unreadable(format!("opened but not a valid record: {e}")))
    }
}

/// The first byte of a record in this form.
pub(super) const MARK: u8 = 0;

use super::SealedStore;
use crate::crypto::record_aad;
use crate::kv::Table;
use crate::search::put_varint as varint;
use crate::{StoreError, Unreadable};

fn text(out: &mut Vec<u8>, s: &str) {
    varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn role_byte(role: Role) -> u8 {
    match role {
        Role::User => 0,
        Role::Assistant => 1,
        Role::System => 2,
    }
}

fn status_byte(status: MessageStatus) -> u8 {
    match status {
        MessageStatus::Sending => 0,
        MessageStatus::Streaming => 1,
        MessageStatus::Done => 2,
        MessageStatus::Failed => 3,
        MessageStatus::Interrupted => 4,
        MessageStatus::Cancelled => 5,
    }
}

/// `message` in this form (its thread id left to the key).
pub(super) fn encode(m: &Message) -> Vec<u8> {
    let mut out = Vec::with_capacity(80 + m.content.len() + m.reasoning.len());
    out.push(MARK);
    out.extend_from_slice(m.id.as_bytes());
    match m.parent_id {
        Some(parent) => {
            out.push(1);
            out.extend_from_slice(parent.as_bytes());
        }
        None => out.push(0),
    }
    out.push(role_byte(m.role));
    out.push(status_byte(m.status));
    text(&mut out, &m.content);
    text(&mut out, &m.reasoning);
    varint(&mut out, m.attachments.len() as u64);
    for a in &m.attachments {
        out.extend_from_slice(a.as_bytes());
    }
    for optional in [&m.model, &m.failure] {
        match optional {
            Some(s) => {
                out.push(1);
                text(&mut out, s);
            }
            None => out.push(0),
        }
    }
    match m.usage {
        Some(u) => {
            out.push(1);
            varint(&mut out, u.input_tokens);
            varint(&mut out, u.output_tokens);
        }
        None => out.push(0),
    }
    varint(&mut out, m.created_ms);
    varint(&mut out, m.stamp.hlc.millis);
    varint(&mut out, u64::from(m.stamp.hlc.counter));
    out.extend_from_slice(m.stamp.device.as_bytes());
    out
}

/// Reads a record from the front.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        if self.0.len() < n {
            return Err("the record ends early".to_owned());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn id(&mut self) -> Result<[u8; 16], String> {
        let mut id = [0u8; 16];
        id.copy_from_slice(self.take(16)?);
        Ok(id)
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err("a number runs on too long".to_owned())
    }

    fn text(&mut self) -> Result<String, String> {
        let len = usize::try_from(self.varint()?).map_err(|_| "a text too long".to_owned())?;
        String::from_utf8(self.take(len)?.to_vec()).map_err(|_| "a text is not UTF-8".to_owned())
    }

    fn flag(&mut self) -> Result<bool, String> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(format!("a flag of {other}")),
        }
    }
}

/// The message in `bytes` (which starts with [`MARK`]), of `thread`.
pub(super) fn decode(bytes: &[u8], thread: ThreadId) -> Result<Message, String> {
    let mut r = Reader(bytes);
    if r.byte()? != MARK {
        return Err("not a binary message record".to_owned());
    }
    let id = MessageId::from_bytes(r.id()?);
    let parent_id = if r.flag()? { Some(MessageId::from_bytes(r.id()?)) } else { None };
    let role = match r.byte()? {
        0 => Role::User,
        1 => Role::Assistant,
        2 => Role::System,
        other => return Err(format!("role {other}")),
    };
    let status = match r.byte()? {
        0 => MessageStatus::Sending,
        1 => MessageStatus::Streaming,
        2 => MessageStatus::Done,
        3 => MessageStatus::Failed,
        4 => MessageStatus::Interrupted,
        5 => MessageStatus::Cancelled,
        other => return Err(format!("status {other}")),
    };
    let content = r.text()?;
    let reasoning = r.text()?;
    let count = r.varint()?;
    let mut attachments = Vec::new();
    for _ in 0..count {
        attachments.push(AttachmentId::from_bytes(r.id()?));
    }
    let model = if r.flag()? { Some(r.text()?) } else { None };
    let failure = if r.flag()? { Some(r.text()?) } else { None };
    let usage = if r.flag()? { Some(Usage { input_tokens: r.varint()?, output_tokens: r.varint()? }) } else { None };
    let created_ms = r.varint()?;
    let millis = r.varint()?;
    let counter = u32::try_from(r.varint()?).map_err(|_| "a stamp counter out of range".to_owned())?;
    let device = DeviceId::from_bytes(r.id()?);
    if !r.0.is_empty() {
        return Err("bytes after the record".to_owned());
    }
    Ok(Message {
        id,
        thread_id: thread,
        parent_id,
        role,
        content,
        reasoning,
        attachments,
        model,
        status,
        failure,
        usage,
        created_ms,
        stamp: Stamp { hlc: Hlc { millis, counter }, device },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Message {
        Message {
            id: MessageId::new(),
            thread_id: ThreadId::new(),
            parent_id: Some(MessageId::new()),
            role: Role::Assistant,
            content: "Here is \"quoted\" text,\nover two lines — with ünïcode 🦀.".to_owned(),
            reasoning: "thinking…".to_owned(),
            attachments: vec![AttachmentId::new(), AttachmentId::new()],
            model: Some("gpt-4o-mini".to_owned()),
            status: MessageStatus::Failed,
            failure: Some("The provider refused the key.".to_owned()),
            usage: Some(Usage { input_tokens: 300, output_tokens: u64::MAX }),
            created_ms: 1_733_000_000_000,
            stamp: Stamp { hlc: Hlc { millis: 1_733_000_000_001, counter: u32::MAX }, device: DeviceId::new() },
        }
    }

    #[test]
    fn every_field_comes_back() -> Result<(), String> {
        let m = full();
        assert_eq!(decode(&encode(&m), m.thread_id)?, m);
        let bare = Message {
            parent_id: None,
            reasoning: String::new(),
            attachments: Vec::new(),
            model: None,
            failure: None,
            usage: None,
            role: Role::System,
            status: MessageStatus::Cancelled,
            ..full()
        };
        assert_eq!(decode(&encode(&bare), bare.thread_id)?, bare);
        for status in
            [MessageStatus::Sending, MessageStatus::Streaming, MessageStatus::Done, MessageStatus::Interrupted]
        {
            let m = Message { status, role: Role::User, ..full() };
            assert_eq!(decode(&encode(&m), m.thread_id)?, m);
        }
        Ok(())
    }

    #[test]
    fn it_is_much_smaller_than_json_and_json_never_looks_like_it() -> Result<(), String> {
        let m = Message { content: "x".repeat(440), ..full() };
        let (binary, json) = (encode(&m).len(), serde_json::to_vec(&m).map_err(|e| e.to_string())?.len());
        assert!(binary + 250 < json, "{binary} bytes against JSON's {json}");
        assert_ne!(serde_json::to_vec(&m).map_err(|e| e.to_string())?[0], MARK);
        Ok(())
    }

    #[test]
    fn a_cut_or_padded_record_is_refused_not_misread() {
        let m = full();
        let bytes = encode(&m);
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut], m.thread_id).is_err(), "cut at {cut}");
        }
        let mut padded = bytes.clone();
        padded.push(0);
        assert!(decode(&padded, m.thread_id).is_err());
        let mut bad_role = bytes;
        bad_role[34] = 9;
        assert!(decode(&bad_role, m.thread_id).is_err());
    }
}
