//! Decoder throughput in MB/s for each wire format: a realistic stream of
//! many small deltas fed in network-sized pieces.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pakchat::providers::{StreamEvent, WireParser, anthropic, gemini, ollama, openai};

const DELTAS: usize = 5_000;

fn openai_stream() -> Vec<u8> {
    let mut s = String::new();
    for i in 0..DELTAS {
        s.push_str(&format!("data: {{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"token{i} \"}},\"finish_reason\":null}}]}}\n\n"));
    }
    s.push_str("data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
    s.into_bytes()
}

fn anthropic_stream() -> Vec<u8> {
    let mut s = String::from(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3}}}\n\n",
    );
    for i in 0..DELTAS {
        s.push_str(&format!("event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"token{i} \"}}}}\n\n"));
    }
    s.push_str("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":9}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    s.into_bytes()
}

fn gemini_stream() -> Vec<u8> {
    let mut s = String::new();
    for i in 0..DELTAS {
        s.push_str(&format!("data: {{\"candidates\":[{{\"content\":{{\"role\":\"model\",\"parts\":[{{\"text\":\"token{i} \"}}]}},\"index\":0}}]}}\r\n\r\n"));
    }
    s.push_str(
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\".\"}]},\"finishReason\":\"STOP\"}]}\r\n\r\n",
    );
    s.into_bytes()
}

fn ollama_stream() -> Vec<u8> {
    let mut s = String::new();
    for i in 0..DELTAS {
        s.push_str(&format!("{{\"model\":\"llama3.2\",\"created_at\":\"2026-11-25T11:02:19Z\",\"message\":{{\"role\":\"assistant\",\"content\":\"token{i} \"}},\"done\":false}}\n"));
    }
    s.push_str("{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":3,\"eval_count\":9}\n");
    s.into_bytes()
}

fn decode(parser: &mut dyn WireParser, bytes: &[u8]) -> usize {
    let mut out: Vec<StreamEvent> = Vec::new();
    let mut n = 0;
    // Pieces of ~1.4 KB, like TCP segments, cutting events anywhere.
    for piece in bytes.chunks(1400) {
        parser.feed(piece, &mut out).unwrap();
        n += out.len();
        out.clear();
    }
    parser.finish(&mut out).unwrap();
    n + out.len()
}

/// A fresh parser for one format.
type MakeParser = fn() -> Box<dyn WireParser>;

fn decoders(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    let cases: [(&str, Vec<u8>, MakeParser); 4] = [
        ("openai_sse", openai_stream(), || Box::new(openai::Parser::default())),
        ("anthropic_sse", anthropic_stream(), || Box::new(anthropic::Parser::default())),
        ("gemini_sse", gemini_stream(), || Box::new(gemini::Parser::default())),
        ("ollama_ndjson", ollama_stream(), || Box::new(ollama::Parser::default())),
    ];
    for (name, bytes, make) in cases {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(name, |b| b.iter(|| decode(make().as_mut(), black_box(&bytes))));
    }
    group.finish();
}

criterion_group!(benches, decoders);
criterion_main!(benches);
