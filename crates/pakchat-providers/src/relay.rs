//! Provider calls sent through the user's Pak.Chat server (its
//! `POST /v1/relay`), for providers a web page may not call itself (they
//! answer without CORS headers). The request is made exactly as it would
//! be sent to the provider, then re-addressed: the provider's URL goes in
//! `x-pakchat-relay-to` and its method in `x-pakchat-relay-method`, every
//! header of it as `x-relay-<name>` (the provider's key included, so it
//! travels to the server over TLS and on to the provider, never stored or
//! logged there), `content-type` and `accept` as they are; the request's
//! own `authorization` is the Pak.Chat session. The answer is the
//! provider's, streamed back as it comes.

use crate::{ErrorKind, ProviderError};

/// The user's server and session, to relay through.
#[derive(Clone)]
pub struct Relay {
    /// The server's address, e.g. `https://chat.example.org`.
    pub server: String,
    /// The session's bearer token. Never logged.
    pub token: zeroize::Zeroizing<String>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay").field("server", &self.server).field("token", &"<hidden>").finish()
    }
}

/// The header naming the provider's URL.
pub const TARGET_HEADER: &str = "x-pakchat-relay-to";
/// The header naming the provider's method (POST when absent).
pub const METHOD_HEADER: &str = "x-pakchat-relay-method";
/// The prefix of the provider's own headers.
pub const PREFIX: &str = "x-relay-";
/// The answer header of the provider's answer passed back; an answer
/// without it is the server's own (it refused or failed).
pub const RELAYED_HEADER: &str = "x-pakchat-relayed";

/// A page's call that could not be made (perhaps CORS), said with where it
/// went (the browser's error names no address), offering the relay when
/// the call did not go through it already.
pub(crate) fn offered(error: ProviderError, endpoint: &crate::Endpoint) -> ProviderError {
    if !cfg!(target_arch = "wasm32") || error.kind != ErrorKind::Network {
        return error;
    }
    let unplaced = error.message.starts_with("network error");
    let message = match &endpoint.relay {
        Some(relay) if unplaced => format!("Could not reach your Pak.Chat server {} from this page.", relay.server),
        Some(_) => error.message,
        None => {
            let place = reqwest::Url::parse(&endpoint.base_url).ok().and_then(|url| {
                let host = url.host_str()?.to_owned();
                Some(url.port().map_or_else(|| host.clone(), |port| format!("{host}:{port}")))
            });
            let said = match place {
                Some(place) if unplaced => format!(
                    "Could not reach {place} from this page: it did not answer, or it does not let web pages call \
                     it (CORS)."
                ),
                _ => error.message,
            };
            format!(
                "{said} If this provider refuses web pages, tick “Through my server” for it in API keys (signed \
                 in): your Pak.Chat server passes the calls on."
            )
        }
    };
    ProviderError { message, ..error }
}

/// Whether an answer to a call through `relay` is the server's own rather
/// than the provider's.
pub(crate) fn from_the_server(relay: Option<&Relay>, headers: &reqwest::header::HeaderMap) -> bool {
    relay.is_some() && !headers.contains_key(RELAYED_HEADER)
}

/// The server's refusal of a relayed call, in the user's words (its JSON
/// names a code and a reason).
pub(crate) fn refusal(status: u16, body: &str, retry_after: Option<std::time::Duration>) -> ProviderError {
    let said: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let reason = said.get("reason").and_then(serde_json::Value::as_str).map(str::to_owned);
    let code = said.get("error").and_then(serde_json::Value::as_str).unwrap_or("").to_owned();
    let why = reason.unwrap_or_else(|| if code.is_empty() { format!("HTTP {status}") } else { code });
    let (kind, message) = match status {
        401 => (
            ErrorKind::Auth,
            "Your Pak.Chat server no longer knows this session: sign in again to send calls through it.".to_owned(),
        ),
        429 => (ErrorKind::RateLimit, format!("Your Pak.Chat server asks to wait before relaying more: {why}")),
        502..=504 => (ErrorKind::Network, format!("Your Pak.Chat server could not reach the provider: {why}")),
        400..=499 => (ErrorKind::BadRequest, format!("Your Pak.Chat server did not relay the call: {why}")),
        _ => (ErrorKind::Overloaded, format!("Your Pak.Chat server failed to relay the call: {why}")),
    };
    ProviderError { kind, message, status: Some(status), retry_after }
}

/// `builder`, sent through `relay` when there is one.
///
/// # Errors
/// The request could not be built (a header or URL reqwest refused).
pub(crate) fn addressed(
    http: &reqwest::Client,
    builder: reqwest::RequestBuilder,
    relay: Option<&Relay>,
) -> Result<reqwest::RequestBuilder, reqwest::Error> {
    let Some(relay) = relay else { return Ok(builder) };
    let request = builder.build()?;
    let mut out = http
        .post(format!("{}/v1/relay", relay.server.trim_end_matches('/')))
        .bearer_auth(relay.token.as_str())
        .header(TARGET_HEADER, request.url().as_str())
        .header(METHOD_HEADER, request.method().as_str());
    for (name, value) in request.headers() {
        out = if *name == reqwest::header::CONTENT_TYPE || *name == reqwest::header::ACCEPT {
            out.header(name, value)
        } else {
            out.header(format!("{PREFIX}{name}"), value)
        };
    }
    if let Some(body) = request.body().and_then(reqwest::Body::as_bytes) {
        out = out.body(body.to_vec());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_own_refusals_say_what_it_refused_and_why() {
        let relay = Relay { server: "https://chat.example.org".to_owned(), token: "t".to_owned().into() };
        let mut passed = reqwest::header::HeaderMap::new();
        passed.insert(RELAYED_HEADER, "1".parse().unwrap());
        assert!(!from_the_server(Some(&relay), &passed), "the provider's answer, passed back");
        assert!(from_the_server(Some(&relay), &reqwest::header::HeaderMap::new()));
        assert!(!from_the_server(None, &reqwest::header::HeaderMap::new()), "no relay: the provider's");
        let body = r#"{"error":"relay_refused","reason":"http://x:1 is not a relay origin of this server"}"#;
        let refused = refusal(403, body, None);
        assert_eq!(refused.kind, ErrorKind::BadRequest, "not the provider's key");
        assert!(refused.message.contains("did not relay") && refused.message.contains("http://x:1"), "{refused}");
        assert_eq!(refusal(401, r#"{"error":"unauthorized"}"#, None).kind, ErrorKind::Auth);
        let down = refusal(
            502,
            r#"{"error":"relay_unreachable","reason":"https://api.openai.com could not be reached"}"#,
            None,
        );
        assert_eq!(down.kind, ErrorKind::Network);
        assert!(down.message.contains("could not reach") && down.message.contains("api.openai.com"), "{down}");
        assert_eq!(refusal(500, "not json", None).kind, ErrorKind::Overloaded);
    }

    #[test]
    fn a_relayed_request_carries_the_provider_call_in_its_headers_and_body() {
        let http = reqwest::Client::new();
        let relay = Relay { server: "https://chat.example.org/".to_owned(), token: "session-token".to_owned().into() };
        let call = http
            .post("https://api.openai.com/v1/chat/completions?x=1")
            .bearer_auth("sk-provider")
            .header("content-type", "application/json")
            .header("anthropic-version", "2023-06-01")
            .body("{\"stream\":true}");
        let sent = addressed(&http, call, Some(&relay)).unwrap().build().unwrap();
        assert_eq!(sent.method(), reqwest::Method::POST);
        assert_eq!(sent.url().as_str(), "https://chat.example.org/v1/relay");
        let h = sent.headers();
        assert_eq!(h["authorization"], "Bearer session-token");
        assert_eq!(h[TARGET_HEADER], "https://api.openai.com/v1/chat/completions?x=1");
        assert_eq!(h[METHOD_HEADER], "POST");
        assert_eq!(h["x-relay-authorization"], "Bearer sk-provider");
        assert_eq!(h["x-relay-anthropic-version"], "2023-06-01");
        assert_eq!(h["content-type"], "application/json");
        assert!(h.get("x-relay-content-type").is_none());
        assert_eq!(sent.body().and_then(reqwest::Body::as_bytes), Some(&b"{\"stream\":true}"[..]));
        assert!(!format!("{relay:?}").contains("session-token"));

        // A GET (a key check) names its method; without a relay nothing changes.
        let listed = addressed(&http, http.get("https://api.openai.com/v1/models"), Some(&relay)).unwrap();
        assert_eq!(listed.build().unwrap().headers()[METHOD_HEADER], "GET");
        let direct = addressed(&http, http.get("https://api.openai.com/v1/models"), None).unwrap().build().unwrap();
        assert_eq!(direct.url().as_str(), "https://api.openai.com/v1/models");
        assert!(direct.headers().get(TARGET_HEADER).is_none());
    }
}
