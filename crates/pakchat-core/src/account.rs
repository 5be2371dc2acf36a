//! The account this device is signed in to: which Pak.Chat server, the
//! session it gave, and who the identity provider said the user is. Kept
//! sealed in the profile (the session token is a secret like an API key);
//! `Debug` never shows the token.

use serde::{Deserialize, Serialize};

use crate::{BlobId, DeviceId, Stamp};

/// Google's OpenID Connect issuer, the default identity provider.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";

/// The user as their identity provider describes them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountUser {
    /// Their name (may be empty).
    pub name: String,
    /// Their verified e-mail address.
    pub email: String,
    /// Their picture's address (may be empty).
    #[serde(default)]
    pub picture: String,
}

/// A signed-in account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The server's base address, e.g. `https://pak.example.org`.
    pub server: String,
    /// The session token the server issued (a bearer secret).
    pub token: String,
    /// When the session stops working, Unix milliseconds.
    pub expires_ms: i64,
    /// Who signed in.
    pub user: AccountUser,
    /// Their picture, fetched and kept as a sealed blob.
    #[serde(default)]
    pub avatar: Option<BlobId>,
    /// The server refused the session (expired or revoked): the user must
    /// sign in again; nothing local is lost meanwhile.
    #[serde(default)]
    pub expired: bool,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("server", &self.server)
            .field("token", &"<hidden>")
            .field("expires_ms", &self.expires_ms)
            .field("user", &self.user)
            .field("avatar", &self.avatar)
            .field("expired", &self.expired)
            .finish()
    }
}

/// What one of the account's devices is called. Each device names itself
/// (its host name until the user renames it); the name syncs sealed like
/// any record, so the server, which lists devices by id, never sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceName {
    /// The device (its profile's device id).
    pub device: DeviceId,
    /// Its name, as its user sees it.
    pub name: String,
    /// The rename that set it.
    pub stamp: Stamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_session_token() {
        let a = Account {
            server: "http://127.0.0.1:8710".to_owned(),
            token: "secret-session-token".to_owned(),
            expires_ms: 1,
            user: AccountUser::default(),
            avatar: None,
            expired: false,
        };
        let shown = format!("{a:?}");
        assert!(!shown.contains("secret-session-token"), "{shown}");
        assert!(shown.contains("<hidden>"));
    }
}
