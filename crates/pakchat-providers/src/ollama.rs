//! Ollama's native `/api/chat`: one JSON object per line, `done: true` on
//! the last, `{"error": …}` possible mid-stream after HTTP 200.

use serde_json::{Value, json};

use super::ndjson::NdjsonDecoder;
use super::{ChatRequest, Endpoint, ErrorKind, ProviderError, StreamEvent, WireParser, WireRequest};
use pakchat_core::Usage;

/// Build the streaming request.
///
/// # Errors
/// Never in practice (serialisation).
pub fn request(endpoint: &Endpoint, req: &ChatRequest) -> Result<WireRequest, ProviderError> {
    let mut messages = Vec::with_capacity(req.turns.len() + 1);
    if let Some(system) = &req.system {
        messages.push(json!({"role": "system", "content": system}));
    }
    messages.extend(req.turns.iter().map(|t| {
        let mut m = json!({"role": super::role_name(t.role), "content": t.content});
        // Ollama takes images as plain base64 beside the text (no documents).
        let images: Vec<String> = t.files.iter().filter(|f| f.kind.is_image()).map(super::TurnFile::base64).collect();
        if !images.is_empty() {
            m["images"] = json!(images);
        }
        m
    }));
    let mut body = json!({"model": req.model, "messages": messages, "stream": true});
    if let Some(max) = req.max_tokens {
        body["options"] = json!({"num_predict": max});
    }
    let mut headers = Vec::new();
    if let Some(key) = &endpoint.api_key {
        headers.push(("authorization", format!("Bearer {}", key.as_str())));
    }
    Ok(WireRequest {
        url: format!("{}/api/chat", super::trim_base(&endpoint.base_url)),
        headers,
        body: super::to_body(&body)?,
    })
}

/// Stream state.
#[derive(Debug, Default)]
pub struct Parser {
    lines: NdjsonDecoder,
    pending: Vec<String>,
    done: bool,
}

impl Parser {
    fn line(&mut self, line: &str, out: &mut Vec<StreamEvent>) -> Result<(), ProviderError> {
        let v: Value = serde_json::from_str(line).map_err(|e| super::malformed("line", &e))?;
        if let Some(err) = v.get("error") {
            let message = err
                .as_str()
                .or_else(|| err.get("message").and_then(Value::as_str))
                .unwrap_or("Ollama reported an error");
            return Err(ProviderError::new(ErrorKind::Overloaded, message));
        }
        if let Some(m) = v.get("message") {
            for key in ["thinking", "reasoning_content"] {
                if let Some(r) = m.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()) {
                    out.push(StreamEvent::Reasoning(r.to_owned()));
                }
            }
            if let Some(t) = m.get("content").and_then(Value::as_str).filter(|s| !s.is_empty()) {
                out.push(StreamEvent::Text(t.to_owned()));
            }
        }
        if v.get("done").and_then(Value::as_bool) == Some(true) {
            self.done = true;
            out.push(StreamEvent::Finish(v.get("done_reason").and_then(Value::as_str).unwrap_or("stop").to_owned()));
            out.push(StreamEvent::Usage(Usage {
                input_tokens: v.get("prompt_eval_count").and_then(Value::as_u64).unwrap_or(0),
                output_tokens: v.get("eval_count").and_then(Value::as_u64).unwrap_or(0),
            }));
        }
        Ok(())
    }

    fn drain(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), ProviderError> {
        let lines = std::mem::take(&mut self.pending);
        for l in &lines {
            self.line(l, out)?;
        }
        Ok(())
    }
}

impl WireParser for Parser {
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<StreamEvent>) -> Result<(), ProviderError> {
        self.lines.feed(bytes, &mut self.pending);
        self.drain(out)
    }

    fn finish(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), ProviderError> {
        self.lines.finish(&mut self.pending);
        self.drain(out)?;
        if !self.done {
            return Err(ProviderError::new(ErrorKind::Truncated, "the reply stream ended before done"));
        }
        Ok(())
    }
}
