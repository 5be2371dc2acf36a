//! Sign-in by redirect, for the web build: the page itself goes to the
//! identity provider and comes back to its own address with the code.
//!
//! 1. [`begin`]: ask the server which issuer and client id it trusts, read
//!    the issuer's discovery document, make a PKCE verifier (S256), a random
//!    `state` and `nonce`, and the authorization address whose redirect is
//!    the page's own address. The actor seals the [`Pending`] sign-in into
//!    the profile (not the browser's session storage: the verifier is a
//!    secret), waits until it is written, and sends the page there.
//! 2. The page loads again with `code` and `state` (or `error`) in its
//!    address; `page::catch_return` (in a page only) takes them off the address bar at once
//!    (so neither a reload nor the history keeps the code) and holds them in
//!    memory until the profile is unlocked.
//! 3. [`finish`] checks `state` against the sealed one, exchanges the code
//!    with the verifier at the token endpoint (a browser's `fetch`: the
//!    provider must allow cross-origin calls there), and trades the ID token
//!    with the nonce for the server's session, as the desktop does.
//!
//! [`begin`] and [`finish`] are plain HTTP and run natively as well (their
//! tests drive them against the OpenID mock); only `page` (built for a page only) needs one.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use super::{AccountError, discover, open_session, plain, server_base, sign_in_config};
use pakchat_core::Account;

/// A sign-in that has left for the identity provider: what finishing it
/// needs. Its verifier, state and nonce are secrets (kept sealed).
#[derive(Clone, Serialize, Deserialize)]
pub struct Pending {
    /// The Pak.Chat server (no trailing slash).
    pub server: String,
    /// The issuer, for messages.
    pub issuer: String,
    /// Where the code is exchanged.
    pub token_endpoint: String,
    /// The OAuth client id.
    pub client_id: String,
    /// The address the provider sends the page back to.
    pub redirect_uri: String,
    /// The PKCE verifier.
    pub verifier: String,
    /// The `state` the answer must carry.
    pub state: String,
    /// The `nonce` the ID token must carry.
    pub nonce: String,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").field("server", &self.server).field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

/// 32 random bytes in URL-safe base64 (43 characters).
fn random_text() -> Result<String, AccountError> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| AccountError::Local(format!("no randomness for signing in: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Start signing in to `server` from the page at `redirect_uri`: the
/// sign-in to keep and the address to send the page to.
///
/// # Errors
/// Unreachable server or provider, or not what they should be.
pub async fn begin(
    http: &reqwest::Client,
    server: &str,
    redirect_uri: &str,
    client_id: Option<String>,
) -> Result<(Pending, String), AccountError> {
    let server = server_base(server)?;
    let config = sign_in_config(http, &server).await?;
    let issuer = config.issuer.trim_end_matches('/').to_owned();
    let discovery = discover(http, &issuer).await?;
    let pending = Pending {
        server,
        issuer,
        token_endpoint: discovery.token_endpoint,
        client_id: client_id.unwrap_or(config.client_id),
        redirect_uri: redirect_uri.to_owned(),
        verifier: random_text()?,
        state: random_text()?,
        nonce: random_text()?,
    };
    let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(pending.verifier.as_bytes()));
    let mut url = url::Url::parse(&discovery.authorization_endpoint)
        .map_err(|e| AccountError::Refused(format!("{} named a bad sign-in address: {e}", pending.issuer)))?;
    url.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", &pending.client_id),
        ("redirect_uri", &pending.redirect_uri),
        ("scope", "openid email profile"),
        ("state", &pending.state),
        ("nonce", &pending.nonce),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);
    Ok((pending, url.into()))
}

/// Whether a page's query (without its `?`) is an identity provider's
/// answer: a `state` with a `code` or an `error`.
#[must_use]
pub fn is_answer(query: &str) -> bool {
    let names: Vec<_> = url::form_urlencoded::parse(query.as_bytes()).map(|(k, _)| k).collect();
    names.iter().any(|k| k == "state") && names.iter().any(|k| k == "code" || k == "error")
}

/// Finish `pending` with the provider's answer `query` (the page's query
/// without its `?`): the account to keep (no avatar yet). `device` is this
/// profile's device id, told to the server with the session.
///
/// # Errors
/// Another sign-in's answer, the provider's refusal, or the server's.
pub async fn finish(
    http: &reqwest::Client,
    pending: &Pending,
    query: &str,
    client_secret: Option<String>,
    device: Option<&str>,
) -> Result<Account, AccountError> {
    let param = |name: &str| {
        url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    };
    if param("state").as_deref() != Some(pending.state.as_str()) {
        tracing::warn!("a sign-in answer with another state was refused (replayed or forged)");
        return Err(AccountError::Refused(
            "the page came back with an answer to another sign-in; sign in again".to_owned(),
        ));
    }
    if let Some(error) = param("error") {
        let detail = param("error_description").map(|d| format!(" ({d})")).unwrap_or_default();
        return Err(AccountError::Refused(format!("the identity provider said: {error}{detail}")));
    }
    let code = param("code").ok_or_else(|| AccountError::Refused("the sign-in answer has no code".to_owned()))?;
    let mut form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code),
        ("redirect_uri", pending.redirect_uri.clone()),
        ("client_id", pending.client_id.clone()),
        ("code_verifier", pending.verifier.clone()),
    ];
    if let Some(secret) = client_secret {
        form.push(("client_secret", secret));
    }
    let response = http
        .post(&pending.token_endpoint)
        .form(&form)
        .send()
        .await
        .map_err(|e| AccountError::Unreachable(pending.issuer.clone(), plain(e)))?;
    #[derive(Deserialize)]
    struct Tokens {
        id_token: Option<String>,
        error: Option<String>,
        error_description: Option<String>,
    }
    let status = response.status();
    let tokens: Tokens = response
        .json()
        .await
        .map_err(|_| AccountError::Refused(format!("the identity provider's answer was not understood ({status})")))?;
    let id_token = match tokens {
        Tokens { id_token: Some(token), .. } if status.is_success() => token,
        Tokens { error, error_description, .. } => {
            let error = error.unwrap_or_else(|| status.to_string());
            let detail = error_description.map(|d| format!(" ({d})")).unwrap_or_default();
            return Err(AccountError::Refused(format!("the identity provider refused the sign-in: {error}{detail}")));
        }
    };
    let session = open_session(http, &pending.server, &id_token, &pending.nonce, device).await?;
    Ok(Account {
        server: pending.server.clone(),
        token: session.token,
        expires_ms: session.expires_ms,
        user: session.user,
        avatar: None,
        expired: false,
    })
}

/// The page's side: its address, leaving it, and the answer it came back with.
#[cfg(target_arch = "wasm32")]
pub mod page {
    use std::cell::RefCell;

    use super::{AccountError, is_answer};

    thread_local! {
        /// The answer this page load came back with, until the profile is open.
        static ANSWER: RefCell<Option<String>> = const { RefCell::new(None) };
    }

    /// At start: when the page's address carries the identity provider's
    /// answer, take it off the address (history included) and keep it.
    pub fn catch_return() {
        let Some(window) = web_sys::window() else { return };
        let location = window.location();
        let query = location.search().unwrap_or_default();
        let query = query.strip_prefix('?').unwrap_or(&query);
        if !is_answer(query) {
            return;
        }
        ANSWER.with_borrow_mut(|a| *a = Some(query.to_owned()));
        let clean = format!("{}{}", location.pathname().unwrap_or_default(), location.hash().unwrap_or_default());
        let replaced =
            window.history().and_then(|h| h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&clean)));
        if let Err(e) = replaced {
            tracing::warn!(err = %crate::store::js_error::describe(&e), "the sign-in answer stayed in the address");
        }
    }

    /// The answer [`catch_return`] kept, once.
    #[must_use]
    pub fn take_answer() -> Option<String> {
        ANSWER.with_borrow_mut(Option::take)
    }

    /// The page's address without query or fragment: where the provider
    /// sends it back.
    ///
    /// # Errors
    /// Not in a page.
    pub fn address() -> Result<String, AccountError> {
        let location = web_sys::window().ok_or_else(|| AccountError::Local("not in a web page".to_owned()))?.location();
        match (location.origin(), location.pathname()) {
            (Ok(origin), Ok(path)) => Ok(format!("{origin}{path}")),
            _ => Err(AccountError::Local("this page's address could not be read".to_owned())),
        }
    }

    /// Send the page to `url`.
    ///
    /// # Errors
    /// The browser refused to go there.
    pub fn leave_for(url: &str) -> Result<(), AccountError> {
        let window = web_sys::window().ok_or_else(|| AccountError::Local("not in a web page".to_owned()))?;
        window.location().assign(url).map_err(|e| {
            AccountError::Local(format!(
                "the page could not go to the sign-in: {}",
                crate::store::js_error::describe(&e)
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::is_answer;

    #[test]
    fn only_a_state_with_a_code_or_an_error_is_an_answer() {
        assert!(is_answer("code=abc&state=xyz"));
        assert!(is_answer("state=xyz&error=access_denied&error_description=no"));
        assert!(!is_answer("code=abc"));
        assert!(!is_answer("state=xyz"));
        assert!(!is_answer(""));
        assert!(!is_answer("share=1#k"));
    }
}
