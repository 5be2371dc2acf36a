//! Signing in to a Pak.Chat server, and what the app keeps of it.
//!
//! The server says which OpenID Connect issuer and client id it trusts
//! (`GET /v1/sign-in`; a client id given here wins). Sign-in is the
//! authorization-code flow with PKCE (S256), `state` and `nonce`, through
//! the user's browser and a one-shot loopback redirect on 127.0.0.1 at a
//! random port ([`sign_in`], native only); the ID token it yields goes to
//! the server once (`POST /v1/session`), which answers with its own session
//! token. Only that session token is kept (sealed in the profile, as
//! [`pakchat_core::Account`]); the ID token and the provider's codes are
//! dropped. The user's picture is fetched here, size-capped, and kept as a
//! sealed blob only if it decodes as an image.
//!
//! A page signs in by redirect instead ([`redirect`]): it goes to the
//! provider itself and finishes once it is back and the profile unlocked.
//!
//! [`check`] asks the server whether the session still holds: a 401 means
//! signed out by the server (expired or revoked), which the app shows as
//! "sign in again" with everything local kept.

#[cfg(not(target_arch = "wasm32"))]
mod loopback;
pub mod redirect;
mod session;

pub(crate) use session::AccountReport;

#[cfg(not(target_arch = "wasm32"))]
pub use loopback::{SignInOptions, open_in_browser, open_with, sign_in};

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use http_client as http;

use pakchat_core::AccountUser;
use serde::Deserialize;

/// Rotate a session this close to its end (at unlock or `account status`).
pub const ROTATE_WITHIN_MS: i64 = 7 * 86_400_000;

/// Whether a session ending at `expires_ms` is near enough its end to rotate.
#[must_use]
pub fn near_end(expires_ms: i64) -> bool {
    let now = i64::try_from(pakchat_core::wall_millis()).unwrap_or(i64::MAX);
    expires_ms.saturating_sub(now) < ROTATE_WITHIN_MS
}

/// The server of the account `store` is signed in to (its session's
/// client) and its address; `not_signed_in` says why one is needed when
/// there is none, or the server ended it.
pub(crate) fn session_server(
    store: &dyn crate::store::Store,
    not_signed_in: &str,
) -> Result<(pakchat_sync::Server, String), String> {
    let account = store.account().map_err(|e| e.to_string())?.filter(|a| !a.expired);
    let account = account.ok_or(not_signed_in)?;
    let server = pakchat_sync::Server::new(&account.server, &account.token).map_err(|e| e.to_string())?;
    Ok((server, account.server))
}

/// The OAuth client id to use instead of the one the server names: the
/// environment's `PAKCHAT_OIDC_CLIENT_ID`, else the one this build was
/// made with (the same variable at build time), else none.
#[must_use]
pub fn client_id_override() -> Option<String> {
    std::env::var("PAKCHAT_OIDC_CLIENT_ID")
        .ok()
        .or_else(|| option_env!("PAKCHAT_OIDC_CLIENT_ID").map(str::to_owned))
        .filter(|c| !c.is_empty())
}

/// The client's non-confidential secret (Google wants one from desktop
/// apps): `PAKCHAT_OIDC_CLIENT_SECRET` at run time, else at build time.
#[must_use]
pub fn client_secret() -> Option<String> {
    std::env::var("PAKCHAT_OIDC_CLIENT_SECRET")
        .ok()
        .or_else(|| option_env!("PAKCHAT_OIDC_CLIENT_SECRET").map(str::to_owned))
        .filter(|c| !c.is_empty())
}

/// The largest avatar fetched.
pub const MAX_AVATAR_BYTES: usize = 1024 * 1024;

/// Why signing in (or talking to the server) failed, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// The server or the identity provider could not be reached.
    #[error("{0} could not be reached: {1}")]
    Unreachable(String, String),
    /// The server refused the session (expired or revoked).
    #[error("the server signed this device out: sign in again")]
    SignedOut,
    /// The identity provider or the server refused the sign-in.
    #[error("{0}")]
    Refused(String),
    /// Nobody finished signing in in the browser in time, or it was cancelled.
    #[error("{0}")]
    Abandoned(String),
    /// A local problem (no loopback port, no randomness, a bad address).
    #[error("{0}")]
    Local(String),
}

/// How a server wants its users to sign in.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct SignInConfig {
    /// The OpenID Connect issuer.
    pub issuer: String,
    /// The OAuth client id the server accepts.
    pub client_id: String,
}

/// The endpoints an OpenID provider names in its discovery document.
#[derive(Clone, Debug, Deserialize)]
pub struct Discovery {
    /// Where the browser is sent to sign in.
    pub authorization_endpoint: String,
    /// Where the code is exchanged for tokens.
    pub token_endpoint: String,
}

/// The discovery document of `issuer` (without a trailing slash).
///
/// # Errors
/// Unreachable, or not an OpenID provider.
pub async fn discover(http: &reqwest::Client, issuer: &str) -> Result<Discovery, AccountError> {
    http.get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .map_err(|e| AccountError::Unreachable(issuer.to_owned(), plain(e)))?
        .json()
        .await
        .map_err(|e| AccountError::Refused(format!("{issuer} is not an OpenID provider: {e}")))
}

/// What the server answered to a sign-in.
#[derive(Clone, Deserialize)]
pub struct SessionAnswer {
    /// The session token (a bearer secret).
    pub token: String,
    /// When it stops working, Unix milliseconds.
    pub expires_ms: i64,
    /// Who signed in.
    pub user: AccountUser,
}

/// An HTTP client for the server and the identity provider (no redirects
/// followed: the provider's answers are read as they are).
///
/// # Errors
/// The TLS setup failed.
pub fn http_client() -> Result<reqwest::Client, AccountError> {
    let builder = reqwest::Client::builder();
    #[cfg(not(target_arch = "wasm32"))]
    let builder = builder.timeout(std::time::Duration::from_secs(20)).redirect(reqwest::redirect::Policy::none());
    builder.build().map_err(|e| AccountError::Local(e.to_string()))
}

/// `server` without a trailing slash, checked to be an http(s) address.
///
/// # Errors
/// Not an http:// or https:// address.
pub fn server_base(server: &str) -> Result<String, AccountError> {
    let base = server.trim().trim_end_matches('/');
    let ok = base.strip_prefix("https://").or_else(|| base.strip_prefix("http://")).is_some_and(|r| !r.is_empty());
    if ok {
        Ok(base.to_owned())
    } else {
        Err(AccountError::Local(format!("{server:?} is not a server address (https://…)")))
    }
}

/// The issuer and client id `server` signs in with.
///
/// # Errors
/// Unreachable, or not a Pak.Chat server.
pub async fn sign_in_config(http: &reqwest::Client, server: &str) -> Result<SignInConfig, AccountError> {
    let url = format!("{server}/v1/sign-in");
    let response = http.get(&url).send().await.map_err(|e| AccountError::Unreachable(server.to_owned(), plain(e)))?;
    if !response.status().is_success() {
        return Err(AccountError::Refused(format!("{server} is not a Pak.Chat server ({})", response.status())));
    }
    response.json().await.map_err(|_| AccountError::Refused(format!("{server} is not a Pak.Chat server")))
}

/// Trade an ID token (and the nonce it must carry) for the server's
/// session on this `device` (its profile's device id, so the user can see
/// and sign out their devices).
///
/// # Errors
/// Unreachable, or the server refused the token (its reason is given).
pub async fn open_session(
    http: &reqwest::Client,
    server: &str,
    id_token: &str,
    nonce: &str,
    device: Option<&str>,
) -> Result<SessionAnswer, AccountError> {
    let body = serde_json::json!({ "id_token": id_token, "nonce": nonce, "device": device });
    let response = http
        .post(format!("{server}/v1/session"))
        .json(&body)
        .send()
        .await
        .map_err(|e| AccountError::Unreachable(server.to_owned(), plain(e)))?;
    let status = response.status();
    if !status.is_success() {
        #[derive(Deserialize, Default)]
        struct Refusal {
            #[serde(default)]
            reason: Option<String>,
        }
        let why = response.json::<Refusal>().await.unwrap_or_default().reason;
        let why = why.unwrap_or_else(|| status.to_string());
        return Err(AccountError::Refused(format!("the server refused the sign-in: {why}")));
    }
    response.json().await.map_err(|e| AccountError::Refused(format!("the server's answer was not understood: {e}")))
}

/// Whether the session `token` still holds at `server`: the user as the
/// server knows them now.
///
/// # Errors
/// [`AccountError::SignedOut`] when the server refused it (401);
/// unreachable otherwise.
pub async fn check(http: &reqwest::Client, server: &str, token: &str) -> Result<AccountUser, AccountError> {
    let response = http
        .get(format!("{server}/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| AccountError::Unreachable(server.to_owned(), plain(e)))?;
    match response.status().as_u16() {
        200 => response.json().await.map_err(|e| AccountError::Refused(format!("unexpected answer: {e}"))),
        401 => Err(AccountError::SignedOut),
        _ => Err(AccountError::Unreachable(server.to_owned(), response.status().to_string())),
    }
}

/// A fresh session for the one `token` names, which ends: `(token, expires_ms)`.
///
/// # Errors
/// [`AccountError::SignedOut`] when the server refused it; unreachable otherwise.
pub async fn rotate(http: &reqwest::Client, server: &str, token: &str) -> Result<(String, i64), AccountError> {
    #[derive(Deserialize)]
    struct Rotated {
        token: String,
        expires_ms: i64,
    }
    let response = http
        .post(format!("{server}/v1/session/rotate"))
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| AccountError::Unreachable(server.to_owned(), plain(e)))?;
    match response.status().as_u16() {
        200 => {
            let r: Rotated =
                response.json().await.map_err(|e| AccountError::Refused(format!("unexpected answer: {e}")))?;
            Ok((r.token, r.expires_ms))
        }
        401 => Err(AccountError::SignedOut),
        _ => Err(AccountError::Unreachable(server.to_owned(), response.status().to_string())),
    }
}

/// End the session at the server (best effort: the app forgets it anyway).
///
/// # Errors
/// The server could not be told.
pub async fn end_session(http: &reqwest::Client, server: &str, token: &str) -> Result<(), AccountError> {
    let response = http
        .delete(format!("{server}/v1/session"))
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| AccountError::Unreachable(server.to_owned(), plain(e)))?;
    match response.status().as_u16() {
        // 401: already over at the server, which is what was wanted.
        200..=299 | 401 => Ok(()),
        _ => Err(AccountError::Unreachable(server.to_owned(), response.status().to_string())),
    }
}

/// The picture at `url`, when it is an image of at most [`MAX_AVATAR_BYTES`].
pub async fn fetch_avatar(http: &reqwest::Client, url: &str) -> Option<Vec<u8>> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return None;
    }
    let response = http.get(url).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    let mut bytes = Vec::new();
    let mut body = response.bytes_stream();
    while let Some(chunk) = futures_util::StreamExt::next(&mut body).await {
        let chunk = chunk.ok()?;
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_AVATAR_BYTES {
            tracing::debug!("the avatar is larger than the cap; not kept");
            return None;
        }
    }
    // Kept only if it decodes (and small enough to decode safely).
    let mut reader = image::ImageReader::new(std::io::Cursor::new(&bytes)).with_guessed_format().ok()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(1024);
    limits.max_image_height = Some(1024);
    reader.limits(limits);
    reader.decode().ok()?;
    Some(bytes)
}

/// An HTTP error without the URL's query (which can carry codes).
fn plain(e: reqwest::Error) -> String {
    let e = e.without_url();
    // A page's fetch tells no more than "failed": the server may be down,
    // or may not let pages of this site call it.
    #[cfg(target_arch = "wasm32")]
    if e.is_request() {
        return "it did not answer, or it does not let this page's site call it (CORS: the server's \
                --allowed-origin names the sites that may)"
            .to_owned();
    }
    #[cfg(not(target_arch = "wasm32"))]
    if e.is_connect() {
        return "connection refused or no route".to_owned();
    }
    if e.is_timeout() { "no answer in time".to_owned() } else { e.to_string() }
}
