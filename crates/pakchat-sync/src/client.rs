//! Talking to the server's blind log and key store ([`Server`]), and the
//! two ways a device gets the account key: the first device makes it
//! ([`create_account_key`]), every later one joins with the recovery code
//! ([`join`]). Neither overwrites anything when it fails.

use std::time::Duration;

use pakchat_protocol::{
    DeviceInfo, DeviceList, Envelope, ErrorBody, KdfParams, KeyBundle, KeyId, PullResponse, PushRequest, PushResponse,
    VERSION, VERSION_HEADER,
};

use crate::{AccountKey, KeyError, RecoveryCode, unwrap_key, wrap_key};

/// Why talking to the server failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// No connection, or no answer in time.
    #[error("the server could not be reached: {0}")]
    Unreachable(String),
    /// The session is over: sign in again.
    #[error("the server signed this device out: sign in again")]
    SignedOut,
    /// Too often (429): wait this long, then try again.
    #[error("the server asks to wait {0:?}: {1}")]
    Wait(Duration, String),
    /// The account is full (413 `quota_exceeded`): waiting will not help.
    #[error("the account is full: {0}")]
    Full(String),
    /// One request was too large (413): send less at once.
    #[error("too much at once: {0}")]
    TooLarge(String),
    /// Refused for another reason.
    #[error("the server refused: {0}")]
    Refused(String),
    /// This device's own store failed.
    #[error("this device's store failed: {0}")]
    Local(String),
}

/// Why a device could not get the account key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    /// The server.
    #[error(transparent)]
    Server(#[from] SyncError),
    /// The code, or the key on the server.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// No device has made the account key yet.
    #[error("this account has no key yet: it is made by the first device that syncs")]
    NoKey,
    /// Another device made it first: join with its recovery code.
    #[error("another device made this account's key first: enter its recovery code")]
    KeyExists,
}

/// A signed-in device's view of the server.
#[derive(Clone, Debug)]
pub struct Server {
    pub(crate) http: reqwest::Client,
    /// For the live channel: no overall timeout (it stays open for hours).
    pub(crate) live_http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) token: String,
}

fn plain(e: reqwest::Error) -> String {
    e.without_url().to_string()
}

impl Server {
    /// The server at `base` with the session `token`.
    ///
    /// # Errors
    /// The HTTP client could not be made.
    pub fn new(base: &str, token: &str) -> Result<Self, SyncError> {
        let builder = reqwest::Client::builder();
        #[cfg(not(target_arch = "wasm32"))]
        let builder = builder.timeout(Duration::from_secs(30));
        let http = builder.build().map_err(|e| SyncError::Unreachable(plain(e)))?;
        let builder = reqwest::Client::builder();
        #[cfg(not(target_arch = "wasm32"))]
        let builder = builder.connect_timeout(Duration::from_secs(10));
        let live_http = builder.build().map_err(|e| SyncError::Unreachable(plain(e)))?;
        Ok(Self { http, live_http, base: base.trim_end_matches('/').to_owned(), token: token.to_owned() })
    }

    pub(crate) async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, SyncError> {
        let response = request
            .bearer_auth(&self.token)
            .header(VERSION_HEADER, VERSION.to_string())
            .send()
            .await
            .map_err(|e| SyncError::Unreachable(plain(e)))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) || status == 404 || status == 409 {
            return Ok(response);
        }
        let retry_header = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body: Option<ErrorBody> = response.json().await.ok();
        let reason = body.as_ref().and_then(|b| b.reason.clone()).unwrap_or_else(|| format!("HTTP {status}"));
        let code = body.as_ref().map(|b| b.error.clone()).unwrap_or_default();
        match status {
            401 => Err(SyncError::SignedOut),
            429 => {
                let wait = retry_header.or_else(|| body.and_then(|b| b.retry_after_s)).unwrap_or(1);
                Err(SyncError::Wait(Duration::from_secs(wait), reason))
            }
            413 if code == "quota_exceeded" => Err(SyncError::Full(reason)),
            413 => Err(SyncError::TooLarge(reason)),
            _ => Err(SyncError::Refused(reason)),
        }
    }

    /// Push `envelopes`.
    ///
    /// # Errors
    /// See [`SyncError`].
    pub async fn push(&self, envelopes: Vec<Envelope>) -> Result<PushResponse, SyncError> {
        let request = self.http.post(format!("{}/v1/records", self.base)).json(&PushRequest { envelopes });
        let response = self.send(request).await?;
        response.json().await.map_err(|e| SyncError::Refused(format!("an answer not understood: {e}")))
    }

    /// Pull up to `limit` envelopes after `after`.
    ///
    /// # Errors
    /// See [`SyncError`].
    pub async fn pull(&self, after: u64, limit: u32) -> Result<PullResponse, SyncError> {
        let request = self.http.get(format!("{}/v1/records?after={after}&limit={limit}", self.base));
        let response = self.send(request).await?;
        response.json().await.map_err(|e| SyncError::Refused(format!("an answer not understood: {e}")))
    }

    /// The server's id of the signed-in user (what every envelope binds).
    ///
    /// # Errors
    /// See [`SyncError`].
    pub async fn user_id(&self) -> Result<String, SyncError> {
        #[derive(serde::Deserialize)]
        struct Me {
            id: String,
        }
        let response = self.send(self.http.get(format!("{}/v1/me", self.base))).await?;
        let me: Me = response.json().await.map_err(|e| SyncError::Refused(format!("an answer not understood: {e}")))?;
        Ok(me.id)
    }

    /// The account's signed-in devices, most recently seen first.
    ///
    /// # Errors
    /// See [`SyncError`].
    pub async fn devices(&self) -> Result<Vec<DeviceInfo>, SyncError> {
        let response = self.send(self.http.get(format!("{}/v1/devices", self.base))).await?;
        let list: DeviceList =
            response.json().await.map_err(|e| SyncError::Refused(format!("an answer not understood: {e}")))?;
        Ok(list.devices)
    }

    /// Sign the device `id` out; false when the account has no such device.
    ///
    /// # Errors
    /// See [`SyncError`]; an id that is not a device id is refused here.
    pub async fn remove_device(&self, id: &str) -> Result<bool, SyncError> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(SyncError::Refused(format!("{id:?} is not a device id")));
        }
        let response = self.send(self.http.delete(format!("{}/v1/devices/{id}", self.base))).await?;
        Ok(response.status().as_u16() != 404)
    }

    /// Store the account key (wrapped); false when the account has one already.
    ///
    /// # Errors
    /// See [`SyncError`].
    pub async fn put_keys(&self, bundle: &KeyBundle) -> Result<bool, SyncError> {
        let response = self.send(self.http.put(format!("{}/v1/keys", self.base)).json(bundle)).await?;
        Ok(response.status().as_u16() != 409)
    }

    /// The account key (wrapped), if a device has made it.
    ///
    /// # Errors
    /// See [`SyncError`].
    pub async fn keys(&self) -> Result<Option<KeyBundle>, SyncError> {
        let response = self.send(self.http.get(format!("{}/v1/keys", self.base))).await?;
        if response.status().as_u16() == 404 {
            return Ok(None);
        }
        response.json().await.map(Some).map_err(|e| SyncError::Refused(format!("an answer not understood: {e}")))
    }
}

/// The first device: make the account key and its recovery code, and
/// store the key wrapped by the code. The code is the caller's to show once.
///
/// # Errors
/// [`JoinError::KeyExists`] when another device was first (nothing is
/// changed; join instead); the server or randomness failed.
pub async fn create_account_key(
    server: &Server,
    kdf: KdfParams,
) -> Result<(AccountKey, KeyId, RecoveryCode), JoinError> {
    let key = AccountKey::generate()?;
    let code = RecoveryCode::generate()?;
    let bundle = KeyBundle { key_id: 1, recovery: wrap_key(&key, &code, kdf)? };
    if server.put_keys(&bundle).await? { Ok((key, bundle.key_id, code)) } else { Err(JoinError::KeyExists) }
}

/// A later device: fetch the wrapped key and unwrap it with `code`.
///
/// # Errors
/// [`JoinError::NoKey`], a wrong code or a damaged key ([`KeyError`]), or the server.
pub async fn join(server: &Server, code: &RecoveryCode) -> Result<(AccountKey, KeyId), JoinError> {
    let bundle = server.keys().await?.ok_or(JoinError::NoKey)?;
    let key = unwrap_key(&bundle.recovery, code)?;
    Ok((key, bundle.key_id))
}
