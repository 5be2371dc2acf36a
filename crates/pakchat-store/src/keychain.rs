//! The OS keychain as a home for a profile's key encryption key.
//!
//! Native: macOS Keychain, Windows Credential Manager, the freedesktop Secret
//! Service over D-Bus (pure-Rust zbus). The web build has no keychain. Calls
//! block: the backend runs them off the async workers.

#[cfg(not(target_arch = "wasm32"))]
use zeroize::Zeroizing;

use super::StoreError;
use super::crypto::KeyBytes;
#[cfg(not(target_arch = "wasm32"))]
use super::crypto::{from_hex, to_hex};

/// The keychain "service" name entries are filed under.
pub const SERVICE: &str = "pak.chat";

/// Whether a keychain answers on this machine. Asks for an entry that does
/// not exist: "no entry" means the keychain works.
#[must_use]
pub fn available() -> bool {
    #[cfg(not(target_arch = "wasm32"))]
    {
        match keyring::Entry::new(SERVICE, "availability-probe").and_then(|e| e.get_password()) {
            Ok(_) | Err(keyring::Error::NoEntry) => true,
            Err(e) => {
                tracing::info!(err = %e, "no OS keychain");
                false
            }
        }
    }
    #[cfg(target_arch = "wasm32")]
    {
        false
    }
}

/// Save the KEK of store `store_id`.
///
/// # Errors
/// [`StoreError::Keychain`] when the keychain refuses or is absent.
#[cfg_attr(target_arch = "wasm32", expect(unused_variables, reason = "the browser has no keychain"))]
pub fn store_kek(store_id: &uuid::Uuid, kek: &KeyBytes) -> Result<(), StoreError> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let entry =
            keyring::Entry::new(SERVICE, &store_id.to_string()).map_err(|e| StoreError::Keychain(e.to_string()))?;
        let hex = Zeroizing::new(to_hex(kek.as_ref()));
        entry.set_password(&hex).map_err(|e| StoreError::Keychain(e.to_string()))
    }
    #[cfg(target_arch = "wasm32")]
    {
        Err(StoreError::Keychain("the browser has no keychain".to_owned()))
    }
}

/// Load the KEK of store `store_id`.
///
/// # Errors
/// [`StoreError::Keychain`] when the keychain is absent or has no entry.
#[cfg_attr(target_arch = "wasm32", expect(unused_variables, reason = "the browser has no keychain"))]
pub fn load_kek(store_id: &uuid::Uuid) -> Result<KeyBytes, StoreError> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let entry =
            keyring::Entry::new(SERVICE, &store_id.to_string()).map_err(|e| StoreError::Keychain(e.to_string()))?;
        let hex = Zeroizing::new(entry.get_password().map_err(|e| StoreError::Keychain(e.to_string()))?);
        let bytes = Zeroizing::new(
            from_hex(&hex).ok_or_else(|| StoreError::Keychain("the keychain entry is damaged".to_owned()))?,
        );
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::Keychain("the keychain entry is damaged".to_owned()))?;
        Ok(Zeroizing::new(key))
    }
    #[cfg(target_arch = "wasm32")]
    {
        Err(StoreError::Keychain("the browser has no keychain".to_owned()))
    }
}
