//! Sending a chat request and reading its stream: time-outs for the first
//! byte and between chunks, and retries with exponential backoff and jitter
//! (honouring `Retry-After` / `retry-after-ms`) — only while no token has
//! arrived, so a retry never duplicates text. Dropping the future cancels
//! the request at once.

use std::future::Future;
use std::time::Duration;

use super::{ChatRequest, Endpoint, ErrorKind, ProviderError, StreamEvent, prepare};

/// How patient to be, and how often to try again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff step (doubled each retry, with jitter).
    pub base_delay: Duration,
    /// Cap on one backoff step.
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited out automatically:
    /// the error goes to the user with the wait attached.
    pub max_retry_after: Duration,
    /// Time allowed until the response headers arrive.
    pub first_byte_timeout: Duration,
    /// Time allowed between two pieces of the body.
    pub idle_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            first_byte_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Backoff before retry `attempt` (1-based): "equal jitter", between half
    /// and all of `base × 2^(attempt-1)`, capped.
    #[must_use]
    pub fn backoff(&self, attempt: u32) -> Duration {
        let step = self.base_delay.saturating_mul(1u32 << (attempt.saturating_sub(1)).min(16)).min(self.max_delay);
        let mut r = [0u8; 4];
        // Without randomness, fall back to the midpoint: still a backoff.
        let fraction = if getrandom::getrandom(&mut r).is_ok() {
            f64::from(u32::from_le_bytes(r)) / f64::from(u32::MAX)
        } else {
            0.5
        };
        step / 2 + step.mul_f64(fraction / 2.0)
    }
}

fn header_secs(headers: &reqwest::header::HeaderMap, name: &str) -> Option<f64> {
    headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0)
}

/// The wait a response asks for: `retry-after-ms`, else `retry-after` seconds.
pub(super) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    if let Some(ms) = header_secs(headers, "retry-after-ms") {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    header_secs(headers, "retry-after").map(Duration::from_secs_f64)
}

/// Takes the error by value so it can be passed straight to `map_err`.
#[expect(clippy::needless_pass_by_value, reason = "used as `map_err(network)`")]
pub(super) fn network(e: reqwest::Error) -> ProviderError {
    let kind = if e.is_timeout() { ErrorKind::Timeout } else { ErrorKind::Network };
    // The host and port, never the path or query (which may hold a key).
    let place = e.url().and_then(|u| {
        let host = u.host_str()?;
        Some(u.port_or_known_default().map_or_else(|| host.to_owned(), |port| format!("{host}:{port}")))
    });
    let cause = root_cause(&e);
    let message = match place {
        // A page's fetch tells no more than "Failed to fetch": the server may
        // be down or may not let web pages call it.
        Some(place) if cfg!(target_arch = "wasm32") && connect_failed(&e) => format!(
            "Could not reach {place} from this page: it did not answer, or it does not let web pages call it \
             (CORS) — {cause}"
        ),
        Some(place) if connect_failed(&e) || e.is_timeout() => format!("Could not reach {place} — {cause}"),
        Some(place) => format!("The connection to {place} failed — {cause}"),
        None => format!("network error: {cause}"),
    };
    ProviderError::new(kind, message)
}

/// Whether the connection could not be made (the browser's fetch does not
/// tell: there every failure before a response reads as "could not reach").
#[cfg(not(target_arch = "wasm32"))]
fn connect_failed(e: &reqwest::Error) -> bool {
    e.is_connect()
}

#[cfg(target_arch = "wasm32")]
fn connect_failed(e: &reqwest::Error) -> bool {
    e.is_request()
}

/// What lies under a request error, in a user's words where it is known
/// ("connection refused" rather than "error sending request").
fn root_cause(e: &reqwest::Error) -> String {
    let mut deepest: &dyn std::error::Error = e;
    let mut io = None;
    while let Some(next) = deepest.source() {
        if let Some(found) = next.downcast_ref::<std::io::Error>() {
            io = Some(found.kind());
        }
        deepest = next;
    }
    match io {
        Some(std::io::ErrorKind::ConnectionRefused) => "connection refused".to_owned(),
        Some(std::io::ErrorKind::ConnectionReset) => "the connection was reset".to_owned(),
        Some(std::io::ErrorKind::ConnectionAborted) => "the connection was closed".to_owned(),
        Some(std::io::ErrorKind::TimedOut) => "no answer in time".to_owned(),
        _ if e.is_timeout() => "no answer in time".to_owned(),
        // The innermost message, never a URL (reqwest's own says "error
        // sending request for url (...)").
        // In a browser the innermost error is a JavaScript value with its
        // stack: its first line is the message.
        _ => {
            let text = deepest.to_string();
            let text = text.split(" for url (").next().unwrap_or(&text);
            let text = text.strip_prefix("JsValue(").unwrap_or(text);
            text.lines().next().unwrap_or(text).to_owned()
        }
    }
}

/// One attempt: send, check the status, read and parse the stream.
async fn attempt<S, F>(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    request: &ChatRequest,
    policy: &RetryPolicy,
    sleep: &S,
    on_event: &mut (dyn FnMut(StreamEvent) + Send),
) -> Result<(), ProviderError>
where
    S: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    let (wire, mut parser) = prepare(endpoint, request)?;
    let mut builder = http.post(&wire.url).header("content-type", "application/json").body(wire.body);
    for (name, value) in wire.headers {
        builder = builder.header(name, value);
    }
    let builder = super::relay::addressed(http, builder, endpoint.relay.as_ref()).map_err(network)?;
    let response = tokio::select! {
        r = builder.send() => r.map_err(|e| super::relay::offered(network(e), endpoint))?,
        () = sleep(policy.first_byte_timeout) => {
            return Err(ProviderError::new(ErrorKind::Timeout, format!("no answer within {} s", policy.first_byte_timeout.as_secs())));
        }
    };
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        let wait = retry_after(response.headers());
        let ours = super::relay::from_the_server(endpoint.relay.as_ref(), response.headers());
        let body = tokio::select! {
            b = response.text() => b.unwrap_or_default(),
            () = sleep(policy.idle_timeout) => String::new(),
        };
        if ours {
            return Err(super::relay::refusal(status, &body, wait));
        }
        return Err(ProviderError::from_status(status, &body, wait));
    }
    let mut out = Vec::new();
    let mut body = response.bytes_stream();
    loop {
        let chunk = tokio::select! {
            c = futures_util::StreamExt::next(&mut body) => c.transpose(),
            () = sleep(policy.idle_timeout) => {
                return Err(ProviderError::new(ErrorKind::Timeout, format!("the reply stalled: no data for {} s", policy.idle_timeout.as_secs())));
            }
        };
        let parsed = match chunk {
            Ok(Some(bytes)) => parser.feed(&bytes, &mut out),
            Ok(None) => {
                let end = parser.finish(&mut out);
                out.drain(..).for_each(&mut *on_event);
                return end;
            }
            Err(e) => {
                Err(ProviderError::new(ErrorKind::Network, format!("the connection dropped: {}", e.without_url())))
            }
        };
        // Deliver what arrived before a failure: nothing received is lost.
        out.drain(..).for_each(&mut *on_event);
        parsed?;
    }
}

/// Stream a chat reply, calling `on_event` for every event. `sleep` is the
/// runtime's timer (tokio natively, the browser's on the web).
///
/// # Errors
/// The last attempt's error. Partial text delivered before it stays delivered.
pub async fn stream_chat<S, F>(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    request: &ChatRequest,
    policy: &RetryPolicy,
    sleep: S,
    on_event: &mut (dyn FnMut(StreamEvent) + Send),
) -> Result<(), ProviderError>
where
    S: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    let mut retries = 0;
    loop {
        let mut got_token = false;
        let result = {
            let mut watch = |e: StreamEvent| {
                got_token |= matches!(e, StreamEvent::Text(_) | StreamEvent::Reasoning(_));
                on_event(e);
            };
            attempt(http, endpoint, request, policy, &sleep, &mut watch).await
        };
        let Err(error) = result else { return Ok(()) };
        if got_token || !error.kind.is_retryable() || retries >= policy.max_retries {
            return Err(error);
        }
        let wait = match error.retry_after {
            Some(asked) if asked > policy.max_retry_after => return Err(error),
            Some(asked) => asked,
            None => policy.backoff(retries + 1),
        };
        retries += 1;
        tracing::info!(attempt = retries, wait_ms = wait.as_millis(), kind = ?error.kind, "retrying provider call");
        on_event(StreamEvent::Retrying { attempt: retries, wait, reason: error });
        sleep(wait).await;
    }
}

/// Check a key with the cheapest call the provider offers: listing models.
/// `Ok` means the provider accepted the key.
///
/// # Errors
/// What the provider or the network said, with its kind (`Auth` for a bad key).
pub async fn check_key<S, F>(http: &reqwest::Client, endpoint: &Endpoint, sleep: S) -> Result<(), ProviderError>
where
    S: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    let base = super::trim_base(&endpoint.base_url);
    let key = endpoint.api_key.as_ref().map(|k| k.as_str().to_owned()).unwrap_or_default();
    let builder = match endpoint.kind {
        super::ProviderKind::OpenAiCompatible => http.get(format!("{base}/models")).bearer_auth(key),
        super::ProviderKind::Anthropic => {
            let builder = http
                .get(format!("{base}/v1/models"))
                .header("x-api-key", key)
                .header("anthropic-version", super::anthropic::API_VERSION);
            match super::anthropic::BROWSER_ACCESS {
                Some((name, value)) => builder.header(name, value),
                None => builder,
            }
        }
        super::ProviderKind::Gemini => http.get(format!("{base}/v1beta/models")).header("x-goog-api-key", key),
        super::ProviderKind::Ollama => http.get(format!("{base}/api/tags")),
    };
    let builder = super::relay::addressed(http, builder, endpoint.relay.as_ref()).map_err(network)?;
    let response = tokio::select! {
        r = builder.send() => r.map_err(|e| super::relay::offered(network(e), endpoint))?,
        () = sleep(Duration::from_secs(20)) => return Err(ProviderError::new(ErrorKind::Timeout, "no answer within 20 s")),
    };
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(());
    }
    if status == 404 && !super::relay::from_the_server(endpoint.relay.as_ref(), response.headers()) {
        // Many OpenAI-compatible servers answer chats but list no models.
        return Err(ProviderError::new(
            ErrorKind::NotFound,
            "this server does not list models, so the key could not be checked (replies may still work)",
        ));
    }
    let wait = retry_after(response.headers());
    let ours = super::relay::from_the_server(endpoint.relay.as_ref(), response.headers());
    let body = response.text().await.unwrap_or_default();
    if ours {
        return Err(super::relay::refusal(status, &body, wait));
    }
    Err(ProviderError::from_status(status, &body, wait))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(700),
            ..RetryPolicy::default()
        };
        for _ in 0..50 {
            let b1 = p.backoff(1);
            assert!(b1 >= Duration::from_millis(50) && b1 <= Duration::from_millis(100), "{b1:?}");
            let b3 = p.backoff(3);
            assert!(b3 >= Duration::from_millis(200) && b3 <= Duration::from_millis(400), "{b3:?}");
            assert!(p.backoff(10) <= Duration::from_millis(700));
        }
    }

    /// An HTTP server on a free local port that answers every request with
    /// `status` and no body; its address.
    fn answering(status: &'static str) -> String {
        use std::io::{Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten().take(4) {
                let mut stream = stream;
                let mut buf = [0u8; 4096];
                let read = stream.read(&mut buf).unwrap_or(0);
                assert!(read > 0);
                let answer = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                stream.write_all(answer.as_bytes()).unwrap();
            }
        });
        format!("http://{address}")
    }

    fn check(base: &str) -> Result<(), ProviderError> {
        let endpoint = Endpoint {
            kind: super::super::ProviderKind::OpenAiCompatible,
            base_url: base.to_owned(),
            api_key: Some(zeroize::Zeroizing::new("sk-test".to_owned())),
            relay: None,
        };
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(check_key(&reqwest::Client::new(), &endpoint, tokio::time::sleep))
    }

    #[test]
    fn an_unreachable_server_is_named_with_the_reason() {
        // A port just given back by the system: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let err = check(&format!("http://127.0.0.1:{port}/v1")).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Network);
        assert_eq!(err.message, format!("Could not reach 127.0.0.1:{port} — connection refused"));
    }

    #[test]
    fn a_server_that_lists_no_models_is_not_called_a_failure_of_the_key() {
        let err = check(&format!("{}/v1", answering("404 Not Found"))).unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound);
        assert!(err.message.contains("does not list models"), "{}", err.message);
        let err = check(&format!("{}/v1", answering("401 Unauthorized"))).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Auth, "a refused key is still said so");
    }

    #[test]
    fn retry_after_ms_wins_over_seconds() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", reqwest::header::HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert("retry-after-ms", reqwest::header::HeaderValue::from_static("2500"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(2500)));
    }
}
