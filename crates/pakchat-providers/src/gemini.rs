//! Google Gemini `streamGenerateContent?alt=sse`: `data:` JSON chunks with
//! candidate parts (`thought: true` parts are reasoning). There is no end
//! marker: a stream is complete when a chunk carried a `finishReason`.

use serde_json::{Value, json};

use super::sse::{SseEvent, SseHandler, SseParser};
use super::{ChatRequest, Endpoint, ErrorKind, ProviderError, StreamEvent, WireRequest};
use pakchat_core::{Role, Usage};

/// Build the streaming request.
///
/// # Errors
/// Never in practice (serialisation).
pub fn request(endpoint: &Endpoint, req: &ChatRequest) -> Result<WireRequest, ProviderError> {
    let contents: Vec<Value> = req
        .turns
        .iter()
        .filter(|t| t.role != Role::System)
        .map(|t| {
            let role = if t.role == Role::Assistant { "model" } else { "user" };
            let mut parts: Vec<Value> = t
                .files
                .iter()
                .map(|f| json!({"inline_data": {"mime_type": f.kind.mime(), "data": f.base64()}}))
                .collect();
            parts.push(json!({"text": t.content}));
            json!({"role": role, "parts": parts})
        })
        .collect();
    let mut body = json!({ "contents": contents });
    if let Some(system) = &req.system {
        body["systemInstruction"] = json!({"parts": [{"text": system}]});
    }
    if let Some(max) = req.max_tokens {
        body["generationConfig"] = json!({"maxOutputTokens": max});
    }
    let mut headers = Vec::new();
    if let Some(key) = &endpoint.api_key {
        headers.push(("x-goog-api-key", key.as_str().to_owned()));
    }
    let url =
        format!("{}/v1beta/models/{}:streamGenerateContent?alt=sse", super::trim_base(&endpoint.base_url), req.model);
    Ok(WireRequest { url, headers, body: super::to_body(&body)? })
}

/// The stream parser.
pub type Parser = SseParser<Handler>;

/// Stream state.
#[derive(Debug, Default)]
pub struct Handler {
    finished: bool,
}

impl SseHandler for Handler {
    fn finished(&self) -> Result<(), ProviderError> {
        if self.finished {
            Ok(())
        } else {
            Err(ProviderError::new(ErrorKind::Truncated, "the reply stream ended without a finish reason"))
        }
    }

    fn event(&mut self, e: &SseEvent, out: &mut Vec<StreamEvent>) -> Result<(), ProviderError> {
        let v: Value = serde_json::from_str(&e.data).map_err(|e| super::malformed("chunk", &e))?;
        if let Some(err) = v.get("error") {
            let message = err.get("message").and_then(Value::as_str).unwrap_or("the provider reported an error");
            let kind = match err.get("status").and_then(Value::as_str) {
                Some("RESOURCE_EXHAUSTED") => ErrorKind::RateLimit,
                Some("INVALID_ARGUMENT") => ErrorKind::BadRequest,
                Some("PERMISSION_DENIED" | "UNAUTHENTICATED") => ErrorKind::Auth,
                _ => ErrorKind::Overloaded,
            };
            return Err(ProviderError::new(kind, message));
        }
        if let Some(candidate) = v.get("candidates").and_then(|c| c.get(0)) {
            for part in candidate.pointer("/content/parts").and_then(Value::as_array).into_iter().flatten() {
                if let Some(text) = part.get("text").and_then(Value::as_str).filter(|t| !t.is_empty()) {
                    if part.get("thought").and_then(Value::as_bool) == Some(true) {
                        out.push(StreamEvent::Reasoning(text.to_owned()));
                    } else {
                        out.push(StreamEvent::Text(text.to_owned()));
                    }
                }
            }
            if let Some(reason) = candidate.get("finishReason").and_then(Value::as_str) {
                self.finished = true;
                out.push(StreamEvent::Finish(reason.to_ascii_lowercase()));
            }
        }
        if let Some(u) = v.get("usageMetadata") {
            out.push(StreamEvent::Usage(Usage {
                input_tokens: u.get("promptTokenCount").and_then(Value::as_u64).unwrap_or(0),
                output_tokens: u.get("candidatesTokenCount").and_then(Value::as_u64).unwrap_or(0),
            }));
        }
        Ok(())
    }
}
