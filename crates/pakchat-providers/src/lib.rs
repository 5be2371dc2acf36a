//! LLM wire protocols. One SSE and one NDJSON decoder ([`sse`], [`ndjson`]);
//! each provider ([`openai`], [`anthropic`], [`gemini`], [`ollama`]) builds
//! its request and maps its stream onto one [`StreamEvent`] enum; [`client`]
//! sends, reads, times out, and retries (only before the first token),
//! straight to the provider or through the user's server ([`relay`]).
//!
//! Nothing here knows about egui or the store.

pub mod anthropic;
pub mod client;
mod error;
pub mod gemini;
pub mod images;
pub mod ndjson;
pub mod ollama;
pub mod openai;
pub mod relay;
pub mod sse;

pub use client::{RetryPolicy, check_key, stream_chat};
pub use error::{ErrorKind, ProviderError};
pub use images::{ImageRequest, generate_images};
pub use relay::Relay;

use pakchat_core::{Role, Usage};

pub use pakchat_core::ProviderKind;

/// Where to send a request and with which key.
#[derive(Clone)]
pub struct Endpoint {
    /// The protocol.
    pub kind: ProviderKind,
    /// Base URL, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434`.
    pub base_url: String,
    /// The API key, if the provider needs one. Never logged.
    pub api_key: Option<zeroize::Zeroizing<String>>,
    /// Send through the user's Pak.Chat server instead of straight to the
    /// provider ([`relay`]).
    pub relay: Option<Relay>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<hidden>"))
            .field("relay", &self.relay)
            .finish()
    }
}

/// One turn of the conversation sent to the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatTurn {
    /// User or assistant (system prompts go in [`ChatRequest::system`]).
    pub role: Role,
    /// The text.
    pub content: String,
    /// Images and documents that go with it (text files are inlined in
    /// `content` by the caller), in each provider's own format.
    pub files: Vec<TurnFile>,
}

impl ChatTurn {
    /// A turn of text only.
    #[must_use]
    pub fn text(role: Role, content: impl Into<String>) -> Self {
        Self { role, content: content.into(), files: Vec::new() }
    }
}

/// A file sent with a turn.
#[derive(Clone, PartialEq, Eq)]
pub struct TurnFile {
    /// Image or PDF.
    pub kind: pakchat_core::FileKind,
    /// Its name (documents carry one).
    pub name: String,
    /// Its bytes (for images, already without metadata when the user asked).
    pub data: Vec<u8>,
}

impl std::fmt::Debug for TurnFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TurnFile({:?}, {} bytes)", self.kind, self.data.len())
    }
}

impl TurnFile {
    /// The bytes in standard base64.
    #[must_use]
    pub fn base64(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&self.data)
    }
}

/// What to ask the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatRequest {
    /// Model id as the provider names it.
    pub model: String,
    /// System prompt, if any.
    pub system: Option<String>,
    /// The conversation, oldest first.
    pub turns: Vec<ChatTurn>,
    /// Reply length cap (required by Anthropic; 4096 when absent there).
    pub max_tokens: Option<u32>,
}

/// One thing a streaming reply told us.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamEvent {
    /// More reply text.
    Text(String),
    /// More reasoning ("thinking") text.
    Reasoning(String),
    /// Token counts so far.
    Usage(Usage),
    /// Why the model stopped (`stop`, `end_turn`, `length`, …).
    Finish(String),
    /// An attempt failed before any token; waiting this long, then trying again.
    Retrying {
        /// The attempt about to start (1 = first retry).
        attempt: u32,
        /// How long until it starts.
        wait: std::time::Duration,
        /// Why the previous attempt failed.
        reason: ProviderError,
    },
}

/// A request ready to send: method is always POST.
#[derive(Clone, Debug)]
pub struct WireRequest {
    /// Full URL.
    pub url: String,
    /// Extra headers (auth, versions). Values may be secret: never log them.
    pub headers: Vec<(&'static str, String)>,
    /// JSON body, serialised once so every retry sends identical bytes.
    pub body: Vec<u8>,
}

/// Turns a provider's stream body into [`StreamEvent`]s.
pub trait WireParser: Send {
    /// Feed the next piece of the body.
    ///
    /// # Errors
    /// A malformed event or an error the provider sent inside the stream.
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<StreamEvent>) -> Result<(), ProviderError>;

    /// The body ended.
    ///
    /// # Errors
    /// [`ErrorKind::Truncated`] when the stream ended without its end marker.
    fn finish(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), ProviderError>;
}

/// The request and a fresh parser for `endpoint`.
///
/// # Errors
/// When the body cannot be serialised (never for these types).
pub fn prepare(
    endpoint: &Endpoint,
    request: &ChatRequest,
) -> Result<(WireRequest, Box<dyn WireParser>), ProviderError> {
    Ok(match endpoint.kind {
        ProviderKind::OpenAiCompatible => (openai::request(endpoint, request)?, Box::new(openai::Parser::default())),
        ProviderKind::Anthropic => (anthropic::request(endpoint, request)?, Box::new(anthropic::Parser::default())),
        ProviderKind::Gemini => (gemini::request(endpoint, request)?, Box::new(gemini::Parser::default())),
        ProviderKind::Ollama => (ollama::request(endpoint, request)?, Box::new(ollama::Parser::default())),
    })
}

fn trim_base(base: &str) -> &str {
    base.trim_end_matches('/')
}

fn to_body(value: &serde_json::Value) -> Result<Vec<u8>, ProviderError> {
    serde_json::to_vec(value)
        .map_err(|e| ProviderError::new(ErrorKind::BadRequest, format!("cannot encode request: {e}")))
}

fn malformed(what: &str, e: &serde_json::Error) -> ProviderError {
    ProviderError::new(ErrorKind::Malformed, format!("the provider sent a malformed {what}: {e}"))
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::System => "system",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(mut parser: Box<dyn WireParser>, body: &str) -> (Vec<StreamEvent>, Result<(), ProviderError>) {
        let mut out = Vec::new();
        let fed = parser.feed(body.as_bytes(), &mut out);
        let result = fed.and_then(|()| parser.finish(&mut out));
        (out, result)
    }

    #[test]
    fn an_anthropic_error_event_after_http_200_is_a_retryable_overload_and_keeps_the_text() {
        let body = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3}}}\n\n\
                    event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n\
                    event: ping\ndata: {\"type\":\"ping\"}\n\n\
                    event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        let (events, result) = parse(Box::new(anthropic::Parser::default()), body);
        assert_eq!(events, vec![StreamEvent::Text("Hel".to_owned())]);
        let err = result.unwrap_err();
        assert_eq!((err.kind, err.message.as_str()), (ErrorKind::Overloaded, "Overloaded"));
        assert!(err.kind.is_retryable());
    }

    #[test]
    fn an_ollama_error_line_mid_stream_is_an_error_not_a_reply() {
        let body = "{\"message\":{\"role\":\"assistant\",\"content\":\"Par\"},\"done\":false}\n{\"error\":\"model runner crashed\"}\n";
        let (events, result) = parse(Box::new(ollama::Parser::default()), body);
        assert_eq!(events, vec![StreamEvent::Text("Par".to_owned())]);
        assert_eq!(result.unwrap_err().message, "model runner crashed");
    }

    #[test]
    fn an_openai_error_object_mid_stream_and_a_missing_done_are_errors() {
        let body = "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: {\"error\":{\"message\":\"Rate limit reached\",\"type\":\"rate_limit_error\"}}\n\n";
        let (_, result) = parse(Box::new(openai::Parser::default()), body);
        assert_eq!(result.unwrap_err().kind, ErrorKind::RateLimit);
        let (events, result) =
            parse(Box::new(openai::Parser::default()), "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n");
        assert_eq!(events, vec![StreamEvent::Text("Hi".to_owned())]);
        assert_eq!(result.unwrap_err().kind, ErrorKind::Truncated);
    }

    #[test]
    fn a_gemini_stream_without_a_finish_reason_is_truncated() {
        let body = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hal\"}]}}]}\r\n\r\n";
        let (events, result) = parse(Box::new(gemini::Parser::default()), body);
        assert_eq!(events, vec![StreamEvent::Text("Hal".to_owned())]);
        assert_eq!(result.unwrap_err().kind, ErrorKind::Truncated);
    }
}
