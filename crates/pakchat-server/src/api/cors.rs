//! Cross-origin requests (CORS) from the web apps of `--allowed-origin`:
//! the web build hosted on another origin calls this server from the
//! browser, which first asks (a preflight) and then reads an answer only
//! when it names the page's origin.
//!
//! Only the origins listed are named, never `*`: sessions are bearer tokens
//! a page sends itself (no cookies, so no `Access-Control-Allow-Credentials`).
//! A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
//! is answered here, 204, before any route or session check; for an origin
//! not on the list that answer grants nothing. Other requests go on as
//! ever, and their answers gain the origin's grant (with `Vary: Origin`)
//! on the way out; only headers are touched, so a stream (`GET /v1/live`)
//! flows as it is. An answer that names its own allowed origin already
//! (the public `GET /v1/shares/{id}`, `*` for anyone) is left alone, so it
//! never carries two.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

/// The methods the API answers across origins.
pub const ALLOW_METHODS: &str = "GET, POST, PUT, DELETE";
/// The request headers a web app may send: its session, its JSON and the
/// protocol version ([`pakchat_protocol::VERSION_HEADER`]); to the relay
/// also its own headers and the provider's ([`relayed_header`]).
pub const ALLOW_HEADERS: &str = "authorization, content-type, pakchat-protocol";

/// Whether a page may send header `name` (lower case) to the relay: its
/// target and method, `accept`, and a provider's `x-relay-*` headers.
#[must_use]
pub fn relayed_header(name: &str) -> bool {
    matches!(name, "accept" | super::relay::TARGET_HEADER | super::relay::METHOD_HEADER)
        || name.strip_prefix(super::relay::PREFIX).is_some_and(|rest| !rest.is_empty())
}

/// The headers a preflight grants: [`ALLOW_HEADERS`] and those of the
/// request's `Access-Control-Request-Headers` the relay takes.
fn allowed_headers(request: &HeaderMap) -> HeaderValue {
    let asked = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut granted = ALLOW_HEADERS.to_owned();
    for name in asked.split(',').map(|n| n.trim().to_ascii_lowercase()).filter(|n| relayed_header(n)) {
        granted.push_str(", ");
        granted.push_str(&name);
    }
    HeaderValue::from_str(&granted).unwrap_or(HeaderValue::from_static(ALLOW_HEADERS))
}
/// The response headers a web app may read beyond the plain ones: how long
/// to wait after 429, and whether a relay's answer is the provider's.
pub const EXPOSE_HEADERS: &str = "retry-after, x-pakchat-relayed";
/// How long a browser may keep a preflight's answer, in seconds.
pub const MAX_AGE_S: u32 = 600;

/// `text` as an origin browsers send in `Origin` (`https://app.example.org`,
/// `http://localhost:8080`: scheme and host in lower case, no default
/// port), if it is one: `http://` or `https://`, a host and an optional
/// port, nothing else; a trailing `/` is let go.
#[must_use]
pub fn origin(text: &str) -> Option<String> {
    let (scheme, rest) = text.split_once("://")?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https")
        || rest.is_empty()
        || rest.contains(['/', '?', '#', '@', '\\'])
    {
        return None;
    }
    let url = reqwest::Url::parse(text).ok()?;
    url.host_str().is_some().then(|| url.origin().ascii_serialization())
}

/// The request's `Origin` when it is one of the allowed origins.
fn allowed(state: &AppState, headers: &HeaderMap) -> Option<HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    state.origins.iter().any(|o| o.as_bytes() == origin.as_bytes()).then(|| origin.clone())
}

/// The middleware: answer preflights, and grant allowed origins on the way
/// out (see the module's docs).
pub(super) async fn answer(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let origin = allowed(&state, request.headers());
    let preflight = request.method() == Method::OPTIONS
        && request.headers().contains_key(header::ORIGIN)
        && request.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let granted = allowed_headers(request.headers());
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        headers.insert(header::VARY, HeaderValue::from_static("origin"));
        if let Some(origin) = origin {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(ALLOW_METHODS));
            headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, granted);
            headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from(MAX_AGE_S));
        }
        return response;
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        return response;
    }
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSE_HEADERS));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_a_scheme_a_host_and_a_port_only() {
        let fits = [
            ("https://App.Example.org/", "https://app.example.org"),
            ("HTTPS://app.example.org:443", "https://app.example.org"),
            ("http://localhost:8080", "http://localhost:8080"),
            ("http://127.0.0.1:80", "http://127.0.0.1"),
            ("http://[::1]:9000", "http://[::1]:9000"),
        ];
        for (text, expected) in fits {
            assert_eq!(origin(text).as_deref(), Some(expected), "{text}");
        }
        let unfit = [
            "*",
            "null",
            "a.example",
            "ftp://a.example",
            "https://",
            "https://a.example/app",
            "https://a/?",
            "https://u@a",
        ];
        for text in unfit {
            assert_eq!(origin(text), None, "{text}");
        }
    }

    #[test]
    fn the_protocol_version_header_may_be_sent() {
        let names: Vec<&str> = ALLOW_HEADERS.split(", ").collect();
        assert!(names.contains(&pakchat_protocol::VERSION_HEADER), "{ALLOW_HEADERS}");
        assert!(names.contains(&header::AUTHORIZATION.as_str()) && names.contains(&header::CONTENT_TYPE.as_str()));
        let exposed: Vec<&str> = EXPOSE_HEADERS.split(", ").collect();
        assert_eq!(exposed, [header::RETRY_AFTER.as_str(), super::super::relay::RELAYED_HEADER]);
    }
}
