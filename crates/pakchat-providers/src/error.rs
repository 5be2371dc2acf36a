//! Provider errors, with a kind the UI can act on.

use std::time::Duration;

/// What went wrong, in terms of what the user can do about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The key is missing, wrong or lacks access: open the keys screen.
    Auth,
    /// Too many requests: wait (see `retry_after`).
    RateLimit,
    /// The provider is overloaded or failing (5xx, 529, stream `error`).
    Overloaded,
    /// The request was refused as invalid (400, 422).
    BadRequest,
    /// No such model or endpoint (404).
    NotFound,
    /// Could not connect, or the connection dropped.
    Network,
    /// No data for too long.
    Timeout,
    /// The stream ended before its end marker.
    Truncated,
    /// The provider sent something that is not its protocol.
    Malformed,
}

impl ErrorKind {
    /// Whether trying the same request again may help.
    #[must_use]
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::RateLimit | Self::Overloaded | Self::Network | Self::Timeout | Self::Truncated | Self::Malformed
        )
    }

    /// What to tell the user to do.
    #[must_use]
    pub fn advice(self) -> &'static str {
        match self {
            Self::Auth => "Check the API key in Settings → API keys.",
            Self::RateLimit => "The provider asks you to wait before trying again.",
            Self::Overloaded => "The provider is busy; try again in a moment.",
            Self::BadRequest => "The provider refused the request; try another model or a shorter message.",
            Self::NotFound => "The model or endpoint does not exist; check the model and base URL.",
            Self::Network => "Check your connection, then retry.",
            Self::Timeout => "The provider stopped answering; retry.",
            Self::Truncated => "The reply was cut off; retry to get it whole.",
            Self::Malformed => "The provider's reply was garbled; retry.",
        }
    }
}

/// An error from a provider call.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    /// Kind, for the UI.
    pub kind: ErrorKind,
    /// What the provider or the network said (never contains the key).
    pub message: String,
    /// HTTP status, when there was one.
    pub status: Option<u16>,
    /// How long the provider asked us to wait.
    pub retry_after: Option<Duration>,
}

impl ProviderError {
    /// An error of `kind`.
    #[must_use]
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), status: None, retry_after: None }
    }

    /// The error for an HTTP status and body.
    #[must_use]
    pub fn from_status(status: u16, body: &str, retry_after: Option<Duration>) -> Self {
        let kind = match status {
            401 | 403 => ErrorKind::Auth,
            404 => ErrorKind::NotFound,
            408 => ErrorKind::Timeout,
            429 => ErrorKind::RateLimit,
            400 | 409 | 413 | 422 => ErrorKind::BadRequest,
            _ => ErrorKind::Overloaded,
        };
        let detail = error_message(body).unwrap_or_else(|| body.chars().take(300).collect());
        let message = if detail.is_empty() { format!("HTTP {status}") } else { format!("HTTP {status}: {detail}") };
        Self { kind, message, status: Some(status), retry_after }
    }
}

/// The human message inside the usual error envelopes:
/// `{"error":{"message":…}}`, `{"error":"…"}`, `{"type":"error","error":{…}}`.
#[must_use]
pub fn error_message(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let e = v.get("error")?;
    match e {
        serde_json::Value::String(s) => Some(s.clone()),
        _ => e.get("message").and_then(|m| m.as_str()).map(str::to_owned),
    }
}
