//! OpenAI chat completions (and every compatible server): `data:` JSON
//! chunks, a usage chunk with empty `choices`, `data: [DONE]` at the end.

use serde_json::{Value, json};

use super::sse::{SseEvent, SseHandler, SseParser};
use super::{ChatRequest, Endpoint, ErrorKind, ProviderError, StreamEvent, WireRequest};
use pakchat_core::Usage;

/// A turn's content: its text, or parts (text, `image_url` data URLs, PDF
/// `file` parts) when files go with it.
fn content(t: &super::ChatTurn) -> Value {
    if t.files.is_empty() {
        return json!(t.content);
    }
    let mut parts = vec![json!({"type": "text", "text": t.content})];
    for f in &t.files {
        let url = format!("data:{};base64,{}", f.kind.mime(), f.base64());
        parts.push(if f.kind.is_image() {
            json!({"type": "image_url", "image_url": {"url": url}})
        } else {
            json!({"type": "file", "file": {"filename": f.name, "file_data": url}})
        });
    }
    Value::Array(parts)
}

/// Build the streaming request.
///
/// # Errors
/// Never in practice (serialisation).
pub fn request(endpoint: &Endpoint, req: &ChatRequest) -> Result<WireRequest, ProviderError> {
    let mut messages = Vec::with_capacity(req.turns.len() + 1);
    if let Some(system) = &req.system {
        messages.push(json!({"role": "system", "content": system}));
    }
    messages.extend(req.turns.iter().map(|t| json!({"role": super::role_name(t.role), "content": content(t)})));
    let mut body = json!({
        "model": req.model,
        "messages": messages,
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    if let Some(max) = req.max_tokens {
        body["max_tokens"] = json!(max);
    }
    let mut headers = Vec::new();
    if let Some(key) = &endpoint.api_key {
        headers.push(("authorization", format!("Bearer {}", key.as_str())));
    }
    Ok(WireRequest {
        url: format!("{}/chat/completions", super::trim_base(&endpoint.base_url)),
        headers,
        body: super::to_body(&body)?,
    })
}

/// The stream parser.
pub type Parser = SseParser<Handler>;

/// Stream state.
#[derive(Debug, Default)]
pub struct Handler {
    done: bool,
}

impl SseHandler for Handler {
    fn finished(&self) -> Result<(), ProviderError> {
        if self.done {
            Ok(())
        } else {
            Err(ProviderError::new(ErrorKind::Truncated, "the reply stream ended before [DONE]"))
        }
    }

    fn event(&mut self, e: &SseEvent, out: &mut Vec<StreamEvent>) -> Result<(), ProviderError> {
        let data = e.data.as_str();
        if data == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        let v: Value = serde_json::from_str(data).map_err(|e| super::malformed("chunk", &e))?;
        if let Some(err) = v.get("error") {
            let message = err.get("message").and_then(Value::as_str).unwrap_or("the provider reported an error");
            let code = format!(
                "{}{}",
                err.get("type").and_then(Value::as_str).unwrap_or(""),
                err.get("code").and_then(Value::as_str).unwrap_or("")
            );
            let kind = if code.contains("rate_limit") { ErrorKind::RateLimit } else { ErrorKind::Overloaded };
            return Err(ProviderError::new(kind, message));
        }
        if let Some(choice) = v.get("choices").and_then(|c| c.get(0)) {
            if let Some(delta) = choice.get("delta") {
                for key in ["reasoning_content", "reasoning"] {
                    if let Some(r) = delta.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()) {
                        out.push(StreamEvent::Reasoning(r.to_owned()));
                    }
                }
                if let Some(t) = delta.get("content").and_then(Value::as_str).filter(|s| !s.is_empty()) {
                    out.push(StreamEvent::Text(t.to_owned()));
                }
            }
            if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
                out.push(StreamEvent::Finish(reason.to_owned()));
            }
        }
        if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
            out.push(StreamEvent::Usage(Usage {
                input_tokens: u.get("prompt_tokens").and_then(Value::as_u64).unwrap_or(0),
                output_tokens: u.get("completion_tokens").and_then(Value::as_u64).unwrap_or(0),
            }));
        }
        Ok(())
    }
}
