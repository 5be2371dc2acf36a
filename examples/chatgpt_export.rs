//! Write a generated ChatGPT `conversations.json`, for measuring
//! `pakchat import` and `pakchat export` on a long history (issue 14's
//! budgets: import time and peak memory, export peak memory).
//!
//! `cargo run --release --example chatgpt_export -- 100000 FILE`
//! writes conversations of 200 messages each (a user line, a reply of a few
//! paragraphs; words drawn Zipf-like, about 440 bytes of text per message,
//! as `store_budget` writes), every tenth conversation with an edited
//! question so that branches are imported too. Then, for instance:
//!
//! ```text
//! /usr/bin/time -v target/release/pakchat --data-dir D --key-file D/key import FILE
//! /usr/bin/time -v target/release/pakchat --data-dir D --key-file D/key export OUT
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write as _;

use anyhow::Context as _;
use pakchat::domain::Role;

#[path = "../tests/common/search_profile.rs"]
mod search_profile;

const VOCABULARY: u64 = 50_000;
const PER_CONVERSATION: u64 = 200;

fn node(
    out: &mut impl std::io::Write,
    id: &str,
    parent: &str,
    children: &[String],
    role: Role,
    text: &str,
    time: f64,
) -> std::io::Result<()> {
    let role = if role == Role::User { "user" } else { "assistant" };
    let message = serde_json::json!({
        "id": id,
        "author": { "role": role },
        "create_time": time,
        "content": { "content_type": "text", "parts": [text] },
        "metadata": {},
        "recipient": "all",
    });
    let node = serde_json::json!({ "id": id, "message": message, "parent": parent, "children": children });
    write!(out, "{:?}:{node}", id)
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: chatgpt_export MESSAGES FILE";
    let total: u64 = args.next().context(usage)?.parse().context("MESSAGES must be a number")?;
    let file = args.next().context(usage)?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).with_context(|| file.clone())?);
    let mut rng = search_profile::Rng(0x2545_F491_4F6C_DD1D);
    let start = 1_600_000_000.0_f64;
    let (mut written, mut conversation) = (0_u64, 0_u64);
    out.write_all(b"[")?;
    while written < total {
        let n = PER_CONVERSATION.min(total - written);
        let id = |j: u64| format!("00000000-0000-4000-8000-{conversation:06x}{j:06x}");
        // Every tenth conversation: the first question edited, a sibling
        // that leads nowhere further.
        let edited = conversation.is_multiple_of(10) && n >= 2;
        if conversation > 0 {
            out.write_all(b",")?;
        }
        write!(out, "{{\"title\":\"Conversation {conversation}\",\"create_time\":{start},\"mapping\":{{")?;
        let root = format!("root-{conversation}");
        write!(out, "{root:?}:{{\"id\":{root:?},\"message\":null,\"parent\":null,\"children\":[{:?}]}}", id(0))?;
        for j in 0..n {
            let (role, text) = rng.chat_message(j, VOCABULARY);
            let parent = if j == 0 { root.clone() } else { id(j - 1) };
            let mut children = if j + 1 < n { vec![id(j + 1)] } else { Vec::new() };
            if edited && j == 0 {
                children.push(id(n));
            }
            out.write_all(b",")?;
            let time = start + (conversation * PER_CONVERSATION + j) as f64;
            node(&mut out, &id(j), &parent, &children, role, &text, time)?;
            written += 1;
        }
        if edited && written < total {
            out.write_all(b",")?;
            node(&mut out, &id(n), &id(0), &[], Role::Assistant, "Another answer to the first question.", start)?;
            written += 1;
        }
        write!(out, "}},\"current_node\":{:?}}}", id(n - 1))?;
        conversation += 1;
    }
    out.write_all(b"]")?;
    out.flush()?;
    eprintln!("{written} messages in {conversation} conversations → {file}");
    Ok(())
}
