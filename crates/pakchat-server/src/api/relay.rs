//! `POST /v1/relay`: a signed-in user's call to an LLM provider, sent on
//! by this server because the browser may not make it itself (the
//! provider's answers carry no CORS headers). The web app names the
//! provider's URL in `x-pakchat-relay-to` (its method, `POST` or `GET`, in
//! `x-pakchat-relay-method`) and its headers as `x-relay-*`;
//! the answer comes back as it arrives, so a streamed reply streams.
//!
//! This makes the server a way out to the network, so it goes only to the
//! origins of `--relay-origin` (by default the hosted providers of
//! [`DEFAULT_ORIGINS`]): a page cannot use it to reach the server's own
//! network. For the same reason redirects are not followed but passed
//! back: a provider on the list cannot send the relay elsewhere.
//!
//! What goes upstream is only what the caller meant for the provider:
//! every `x-relay-<name>` header as `<name>` (but the ones about this
//! connection, [`NOT_FORWARDED`]), `content-type`, `accept` and the body.
//! The caller's own `authorization` is its Pak.Chat session and cookies
//! are this site's: neither leaves. What comes back is the status, the
//! `content-type`, the `retry-after` and the body, marked
//! `x-pakchat-relayed` (an answer without it is this server's own).
//!
//! The provider's URL holds secrets at times (Gemini takes its key as
//! `?key=`), and its headers and bodies always do: logs and error answers
//! name the origin only, with the status and the user.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::Response;

use super::{ApiError, AppState, Authenticated};

/// The providers relayed to when `--relay-origin` names none.
pub const DEFAULT_ORIGINS: [&str; 5] = [
    "https://api.openai.com",
    "https://api.anthropic.com",
    "https://generativelanguage.googleapis.com",
    "https://openrouter.ai",
    "https://api.groq.com",
];

/// The request header naming the provider's URL.
pub const TARGET_HEADER: &str = "x-pakchat-relay-to";
/// The request header naming the provider's method: `POST` (also when
/// absent) or `GET` (a key check lists models).
pub const METHOD_HEADER: &str = "x-pakchat-relay-method";
/// The answer header that says it is the provider's, passed back (an
/// answer without it is this server's own: a refusal, a failure).
pub const RELAYED_HEADER: &str = "x-pakchat-relayed";
/// The prefix of the headers sent on to the provider, without it.
pub const PREFIX: &str = "x-relay-";
/// The largest request body sent on (413 above): a chat with its
/// attachments, in base64.
pub const MAX_BODY_BYTES: usize = 32 << 20;
/// How long reaching a provider may take; the answer itself may take
/// minutes (a long reply, streamed), so it has no limit.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The `x-relay-*` names not sent on: they are about the connection to
/// this server, which the relay's own client makes anew (`host`,
/// framing, hops), or would change how the answer's bytes read
/// (`accept-encoding`: the body is passed back as it comes).
pub const NOT_FORWARDED: [&str; 12] = [
    "host",
    "connection",
    "content-length",
    "transfer-encoding",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "proxy-authorization",
    "proxy-connection",
    "accept-encoding",
    "expect",
];

/// Where the relay may go, and its client: no redirects followed, a
/// connection timeout, no total timeout.
pub struct Relay {
    /// The origins relayed to, `scheme://host[:port]` as
    /// [`super::cors::origin`] writes them.
    pub origins: Vec<String>,
    /// `None` when the client could not be made (said once, in the log);
    /// the relay answers 503 then.
    client: Option<reqwest::Client>,
}

impl Relay {
    /// A relay to `origins`, its client made once here.
    #[must_use]
    pub fn new(origins: Vec<String>) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .inspect_err(|e| tracing::error!(err = %e, "the relay's HTTP client cannot be made; it will answer 503"))
            .ok();
        Self { origins, client }
    }

    /// The origin of `target` when the relay may go there, else why not.
    fn allowed(&self, target: &str) -> Result<(reqwest::Url, String), ApiError> {
        let url = reqwest::Url::parse(target).map_err(|_| {
            ApiError::bad_request(format!("{TARGET_HEADER} must be an absolute http:// or https:// URL"))
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(refused(format!("only http:// and https:// URLs are relayed, not {}:", url.scheme())));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refused("a URL with a user name or password (user@host) is not relayed".to_owned()));
        }
        let origin = url.origin().ascii_serialization();
        if !self.origins.contains(&origin) {
            return Err(refused(format!(
                "{origin} is not a relay origin of this server; its --relay-origin {origin} allows it"
            )));
        }
        Ok((url, origin))
    }
}

/// 403 `relay_refused`, in `reason`'s words.
fn refused(reason: String) -> ApiError {
    ApiError { status: StatusCode::FORBIDDEN, error: "relay_refused", reason: Some(reason), retry_after: None }
}

/// The headers sent upstream: the `x-relay-*` ones unprefixed, and the
/// caller's `content-type` and `accept`; nothing else.
fn upstream_headers(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in headers {
        if name == header::CONTENT_TYPE || name == header::ACCEPT {
            out.append(name.clone(), value.clone());
            continue;
        }
        let Some(bare) = name.as_str().strip_prefix(PREFIX) else { continue };
        if bare.is_empty() || NOT_FORWARDED.contains(&bare) {
            continue;
        }
        if let Ok(bare) = HeaderName::from_bytes(bare.as_bytes()) {
            out.append(bare, value.clone());
        }
    }
    out
}

/// `POST /v1/relay`: send the body on to the `x-pakchat-relay-to` URL and
/// stream its answer back (see the module's docs). 400 without a target
/// URL or with a method other than POST and GET, 403 `relay_refused` for one not relayed to, 413 `too_large` over
/// [`MAX_BODY_BYTES`], 502 `relay_unreachable` when the provider cannot
/// be reached; otherwise the provider's status, whatever it is.
pub(super) async fn forward(
    State(state): State<Arc<AppState>>,
    session: Authenticated,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let target = headers
        .get(TARGET_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::bad_request(format!("{TARGET_HEADER} must name the provider's URL")))?;
    let method = match headers.get(METHOD_HEADER).map(axum::http::HeaderValue::as_bytes) {
        None | Some(b"POST") => reqwest::Method::POST,
        Some(b"GET") => reqwest::Method::GET,
        Some(_) => return Err(ApiError::bad_request(format!("{METHOD_HEADER} is GET or POST"))),
    };
    let (url, origin) = state.relay.allowed(target).inspect_err(|_| {
        tracing::info!(user = %session.user_id, "a relay to a URL not allowed was refused");
    })?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(format!("a relayed request is at most {MAX_BODY_BYTES} bytes"))
        } else {
            ApiError::bad_request(e.body_text())
        }
    })?;
    let Some(client) = &state.relay.client else {
        return Err(ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            error: "unavailable",
            reason: Some("this server cannot relay".to_owned()),
            retry_after: None,
        });
    };
    let mut call = client.request(method.clone(), url).headers(upstream_headers(&headers));
    if method == reqwest::Method::POST {
        call = call.body(body);
    }
    let sent = call.send().await;
    let upstream = sent.map_err(|e| {
        // Without the URL: its query may hold the provider's key.
        tracing::warn!(user = %session.user_id, %origin, err = %e.without_url(), "relay: the provider cannot be reached");
        ApiError {
            status: StatusCode::BAD_GATEWAY,
            error: "relay_unreachable",
            reason: Some(format!("{origin} could not be reached")),
            retry_after: None,
        }
    })?;
    let status = upstream.status();
    tracing::info!(user = %session.user_id, %origin, status = status.as_u16(), "relayed");
    let mut response = Response::builder().status(status).header(RELAYED_HEADER, "1");
    for name in [header::CONTENT_TYPE, header::RETRY_AFTER] {
        if let Some(value) = upstream.headers().get(&name) {
            response = response.header(name, value.clone());
        }
    }
    response.body(Body::from_stream(upstream.bytes_stream())).map_err(|e| {
        tracing::error!(err = %e, "relay: the answer cannot be made");
        ApiError { status: StatusCode::BAD_GATEWAY, error: "relay_unreachable", reason: None, retry_after: None }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_prefixed_headers_and_the_body_type_go_upstream() {
        let mut h = HeaderMap::new();
        for (name, value) in [
            ("authorization", "Bearer session"),
            ("cookie", "a=b"),
            ("x-relay-authorization", "Bearer sk-test"),
            ("x-relay-anthropic-version", "2023-06-01"),
            ("x-relay-host", "internal.example"),
            ("x-relay-", "empty"),
            ("x-pakchat-relay-to", "https://api.openai.com/v1"),
            ("content-type", "application/json"),
            ("accept", "text/event-stream"),
            ("origin", "https://app.example.org"),
        ] {
            h.append(name, value.parse().unwrap());
        }
        let out = upstream_headers(&h);
        let mut names: Vec<&str> = out.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["accept", "anthropic-version", "authorization", "content-type"]);
        assert_eq!(out["authorization"], "Bearer sk-test");
    }

    #[test]
    fn only_listed_origins_are_relayed_to() {
        let relay = Relay::new(vec!["https://api.openai.com".to_owned(), "http://127.0.0.1:9".to_owned()]);
        let origin = |t: &str| relay.allowed(t).map(|(_, o)| o).map_err(|e| (e.status.as_u16(), e.error));
        assert_eq!(origin("https://API.openai.com:443/v1/chat?x=1"), Ok("https://api.openai.com".to_owned()));
        assert_eq!(origin("http://127.0.0.1:9/"), Ok("http://127.0.0.1:9".to_owned()));
        for refused in [
            "https://api.openai.com:8443/",
            "http://api.openai.com/",
            "https://k@api.openai.com/",
            "file:///etc/passwd",
        ] {
            assert_eq!(origin(refused), Err((403, "relay_refused")), "{refused}");
        }
        assert_eq!(origin("/v1/chat"), Err((400, "bad_request")));
    }
}
