//! Anthropic Messages: named events `message_start` … `message_stop`, `ping`,
//! `thinking_delta` as reasoning, `event: error` after HTTP 200.

use serde_json::{Value, json};

use super::sse::{SseEvent, SseHandler, SseParser};
use super::{ChatRequest, Endpoint, ErrorKind, ProviderError, StreamEvent, WireRequest};
use pakchat_core::{Role, Usage};

/// In a browser, the header without which Anthropic refuses a page's call
/// (its CORS answer names it): the key is the user's own, typed into the
/// page, so the warning it stands for is accepted.
#[cfg(target_arch = "wasm32")]
pub const BROWSER_ACCESS: Option<(&str, &str)> = Some(("anthropic-dangerous-direct-browser-access", "true"));
/// Outside a browser, no such header.
#[cfg(not(target_arch = "wasm32"))]
pub const BROWSER_ACCESS: Option<(&str, &str)> = None;

/// The API version header we speak.
pub const API_VERSION: &str = "2023-06-01";

/// A turn's content: its text, or blocks (images and documents first, as
/// Anthropic recommends, then the text) when files go with it.
fn content(t: &super::ChatTurn) -> Value {
    if t.files.is_empty() {
        return json!(t.content);
    }
    let mut blocks: Vec<Value> = t
        .files
        .iter()
        .map(|f| {
            let kind = if f.kind.is_image() { "image" } else { "document" };
            json!({"type": kind, "source": {"type": "base64", "media_type": f.kind.mime(), "data": f.base64()}})
        })
        .collect();
    blocks.push(json!({"type": "text", "text": t.content}));
    Value::Array(blocks)
}

/// Build the streaming request.
///
/// # Errors
/// Never in practice (serialisation).
pub fn request(endpoint: &Endpoint, req: &ChatRequest) -> Result<WireRequest, ProviderError> {
    let messages: Vec<Value> = req
        .turns
        .iter()
        .filter(|t| t.role != Role::System)
        .map(|t| json!({"role": super::role_name(t.role), "content": content(t)}))
        .collect();
    let mut body = json!({
        "model": req.model,
        "max_tokens": req.max_tokens.unwrap_or(4096),
        "messages": messages,
        "stream": true,
    });
    if let Some(system) = &req.system {
        body["system"] = json!(system);
    }
    let mut headers = vec![("anthropic-version", API_VERSION.to_owned())];
    if let Some(key) = &endpoint.api_key {
        headers.push(("x-api-key", key.as_str().to_owned()));
    }
    if let Some((name, value)) = BROWSER_ACCESS {
        headers.push((name, value.to_owned()));
    }
    Ok(WireRequest {
        url: format!("{}/v1/messages", super::trim_base(&endpoint.base_url)),
        headers,
        body: super::to_body(&body)?,
    })
}

/// The stream parser.
pub type Parser = SseParser<Handler>;

/// Stream state.
#[derive(Debug, Default)]
pub struct Handler {
    input_tokens: u64,
    done: bool,
}

impl SseHandler for Handler {
    fn finished(&self) -> Result<(), ProviderError> {
        if self.done {
            Ok(())
        } else {
            Err(ProviderError::new(ErrorKind::Truncated, "the reply stream ended before message_stop"))
        }
    }

    fn event(&mut self, e: &SseEvent, out: &mut Vec<StreamEvent>) -> Result<(), ProviderError> {
        let v: Value = serde_json::from_str(&e.data).map_err(|err| super::malformed("event", &err))?;
        let kind = v.get("type").and_then(Value::as_str).or(e.event.as_deref()).unwrap_or("");
        match kind {
            "message_start" => {
                let usage = v.pointer("/message/usage");
                self.input_tokens = usage.and_then(|u| u.get("input_tokens")).and_then(Value::as_u64).unwrap_or(0);
            }
            "content_block_delta" => match v.pointer("/delta/type").and_then(Value::as_str) {
                Some("text_delta") => {
                    if let Some(t) = v.pointer("/delta/text").and_then(Value::as_str) {
                        out.push(StreamEvent::Text(t.to_owned()));
                    }
                }
                Some("thinking_delta") => {
                    if let Some(t) = v.pointer("/delta/thinking").and_then(Value::as_str) {
                        out.push(StreamEvent::Reasoning(t.to_owned()));
                    }
                }
                _ => {}
            },
            "message_delta" => {
                if let Some(reason) = v.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    out.push(StreamEvent::Finish(reason.to_owned()));
                }
                if let Some(output) = v.pointer("/usage/output_tokens").and_then(Value::as_u64) {
                    out.push(StreamEvent::Usage(Usage { input_tokens: self.input_tokens, output_tokens: output }));
                }
            }
            "message_stop" => self.done = true,
            "error" => {
                let message =
                    v.pointer("/error/message").and_then(Value::as_str).unwrap_or("the provider reported an error");
                let kind = match v.pointer("/error/type").and_then(Value::as_str) {
                    Some("rate_limit_error") => ErrorKind::RateLimit,
                    Some("invalid_request_error") => ErrorKind::BadRequest,
                    Some("authentication_error" | "permission_error") => ErrorKind::Auth,
                    // overloaded_error, api_error and anything new: the provider's trouble.
                    _ => ErrorKind::Overloaded,
                };
                return Err(ProviderError::new(kind, message));
            }
            // ping, content_block_start/stop, and types added later.
            _ => {}
        }
        Ok(())
    }
}
