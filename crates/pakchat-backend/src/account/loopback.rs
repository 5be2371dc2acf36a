//! The desktop sign-in: the system browser and a loopback redirect.
//!
//! 1. Ask the server which issuer and client id it trusts; read the
//!    issuer's discovery document for its endpoints.
//! 2. Listen on 127.0.0.1 at a port the system picks; open the browser
//!    (`$BROWSER` first, as xdg-open does, then the platform's opener) at
//!    the authorization URL with a PKCE S256 challenge, a random `state` and
//!    a random `nonce`.
//! 3. Wait for the browser to come back to `/callback`: a request whose
//!    `state` is not this sign-in's (a replayed or forged one) is answered
//!    400 and ignored; an `error` ends the sign-in with the provider's words.
//! 4. Exchange the code with the PKCE verifier (the `oauth2` crate), take
//!    the ID token, and trade it with the nonce for the server's session.

use std::time::Duration;

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, ExtraTokenFields, PkceCodeChallenge, RedirectUrl,
    RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::{AccountError, discover, http, open_session, server_base, sign_in_config};
use pakchat_core::Account;

/// What a sign-in needs besides the user.
pub struct SignInOptions {
    /// The Pak.Chat server's address.
    pub server: String,
    /// The OAuth client id, when not the one the server names.
    pub client_id: Option<String>,
    /// The client's secret, for providers that want one even from a desktop
    /// app (Google's "Desktop app" clients; it is not confidential).
    pub client_secret: Option<String>,
    /// How long to wait for the browser.
    pub wait: Duration,
    /// This profile's device id, told to the server with the session.
    pub device: Option<String>,
}

/// The ID token field of the provider's token response.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct IdToken {
    id_token: String,
}

impl ExtraTokenFields for IdToken {}

type OidcClient = oauth2::Client<
    BasicErrorResponse,
    StandardTokenResponse<IdToken, BasicTokenType>,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
>;

/// Sign in to `options.server` through the browser; `show_url` hears the
/// address the browser is sent to (for "if no browser opened, go to …").
/// Returns the account to keep (no avatar yet).
///
/// # Errors
/// Unreachable server or provider, a refusal, a cancelled or abandoned
/// sign-in, or no loopback port.
pub async fn sign_in(
    options: &SignInOptions,
    open: &(dyn Fn(&str) -> Result<(), String> + Send + Sync),
    show_url: &(dyn Fn(&str) + Send + Sync),
) -> Result<Account, AccountError> {
    let server = server_base(&options.server)?;
    let http = http()?;
    let config = sign_in_config(&http, &server).await?;
    let client_id = options.client_id.clone().unwrap_or(config.client_id);
    let issuer = config.issuer.trim_end_matches('/').to_owned();
    let discovery = discover(&http, &issuer).await?;

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| AccountError::Local(format!("no loopback port for the browser to come back to: {e}")))?;
    let port = listener.local_addr().map_err(|e| AccountError::Local(e.to_string()))?.port();
    let redirect = format!("http://127.0.0.1:{port}/callback");

    let bad = |what: &str, e: &dyn std::fmt::Display| AccountError::Refused(format!("{what}: {e}"));
    let mut client = OidcClient::new(ClientId::new(client_id))
        .set_auth_uri(AuthUrl::new(discovery.authorization_endpoint).map_err(|e| bad("authorization endpoint", &e))?)
        .set_token_uri(TokenUrl::new(discovery.token_endpoint).map_err(|e| bad("token endpoint", &e))?)
        .set_redirect_uri(RedirectUrl::new(redirect).map_err(|e| bad("redirect", &e))?);
    if let Some(secret) = options.client_secret.clone() {
        client = client.set_client_secret(ClientSecret::new(secret));
    }
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let nonce = CsrfToken::new_random();
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(["openid", "email", "profile"].map(|s| Scope::new(s.to_owned())))
        .add_extra_param("nonce", nonce.secret())
        .set_pkce_challenge(challenge)
        .url();

    show_url(url.as_str());
    if let Err(e) = open(url.as_str()) {
        tracing::warn!(err = %e, "no browser could be opened; the address is shown instead");
    }
    let code = tokio::time::timeout(options.wait, callback(&listener, state.secret()))
        .await
        .map_err(|_| AccountError::Abandoned("nobody finished signing in in the browser in time".to_owned()))??;
    drop(listener);

    let token =
        client.exchange_code(AuthorizationCode::new(code)).set_pkce_verifier(verifier).request_async(&http).await;
    let token = token.map_err(|e| match e {
        RequestTokenError::ServerResponse(r) => {
            let detail = r.error_description().map(|d| format!(" ({d})")).unwrap_or_default();
            AccountError::Refused(format!("the identity provider refused the sign-in: {}{detail}", r.error()))
        }
        RequestTokenError::Request(e) => AccountError::Unreachable(issuer.clone(), e.to_string()),
        other => AccountError::Refused(format!("the identity provider's answer was not understood: {other}")),
    })?;
    let id_token = &token.extra_fields().id_token;
    let session = open_session(&http, &server, id_token, nonce.secret(), options.device.as_deref()).await?;
    Ok(Account {
        server,
        token: session.token,
        expires_ms: session.expires_ms,
        user: session.user,
        avatar: None,
        expired: false,
    })
}

/// Wait for the browser's request to `/callback` carrying `state`; its code.
async fn callback(listener: &tokio::net::TcpListener, state: &str) -> Result<String, AccountError> {
    loop {
        let (mut stream, _) = listener.accept().await.map_err(|e| AccountError::Local(e.to_string()))?;
        let Ok(Ok(target)) = tokio::time::timeout(Duration::from_secs(5), request_target(&mut stream)).await else {
            continue;
        };
        let Some(query) = target.strip_prefix("/callback?") else {
            reply(&mut stream, "404 Not Found", "Not here.").await;
            continue;
        };
        let param = |name: &str| {
            url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
        };
        if param("state").as_deref() != Some(state) {
            tracing::warn!("a sign-in callback with another state was refused (replayed or forged)");
            reply(&mut stream, "400 Bad Request", "This sign-in link is not the one Pak.Chat is waiting for.").await;
            continue;
        }
        if let Some(error) = param("error") {
            let detail = param("error_description").map(|d| format!(" ({d})")).unwrap_or_default();
            reply(&mut stream, "200 OK", "Sign-in was cancelled. You can close this tab.").await;
            return Err(AccountError::Refused(format!("the identity provider said: {error}{detail}")));
        }
        let Some(code) = param("code") else {
            reply(&mut stream, "400 Bad Request", "The sign-in answer has no code.").await;
            continue;
        };
        reply(&mut stream, "200 OK", "Pak.Chat has your sign-in. You can close this tab and go back to the app.").await;
        return Ok(code);
    }
}

/// The request target of an HTTP request's first line (at most 8 KiB read).
async fn request_target(stream: &mut tokio::net::TcpStream) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(target)) => Ok(target.to_owned()),
        _ => Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "not a GET request")),
    }
}

async fn reply(stream: &mut tokio::net::TcpStream, status: &str, text: &str) {
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>Pak.Chat</title>\
         <body style=\"font:16px system-ui;margin:4em auto;max-width:32em\"><p>{text}</p></body>"
    );
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if let Err(e) = stream.write_all(response.as_bytes()).await {
        tracing::debug!(err = %e, "the browser left before the sign-in page was sent");
    }
}

/// Open `url` in the user's browser: each command of `$BROWSER` (separated
/// by `:`; `%s` stands for the address, else it is the last argument) until
/// one starts, then the platform's opener.
///
/// # Errors
/// No opener could be started.
pub fn open_in_browser(url: &str) -> Result<(), String> {
    open_with(std::env::var("BROWSER").ok().as_deref(), url)
}

/// [`open_in_browser`] with `browser` in place of `$BROWSER`.
///
/// # Errors
/// No opener could be started.
pub fn open_with(browser: Option<&str>, url: &str) -> Result<(), String> {
    let mut commands: Vec<Vec<String>> = browser
        .map(|b| {
            b.split(':')
                .filter(|c| !c.trim().is_empty())
                .map(|c| {
                    let mut words: Vec<String> = c.split_whitespace().map(|w| w.replace("%s", url)).collect();
                    if !c.contains("%s") {
                        words.push(url.to_owned());
                    }
                    words
                })
                .collect()
        })
        .unwrap_or_default();
    let platform: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        &["rundll32", "url.dll,FileProtocolHandler"]
    } else {
        &["xdg-open"]
    };
    commands.push(platform.iter().map(|s| (*s).to_owned()).chain([url.to_owned()]).collect());
    let mut last = String::from("no opener");
    for words in commands {
        let Some((program, args)) = words.split_first() else { continue };
        match std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            Ok(mut child) => {
                // Reap it whenever it ends; the sign-in does not wait for it.
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Err(e) => last = format!("{program}: {e}"),
        }
    }
    Err(last)
}
