//! API keys across the account's devices, only when the user turns that on
//! ([`pakchat_core::Settings::sync_api_keys`]). Each provider's key is a
//! record of its own, stamped with the save that last set it and merged by
//! last writer wins; a removed key travels as a record without a key. Off
//! (the default), a key never leaves this device: its changes are not
//! marked, and one marked before the user turned it off is not sent.
//!
//! On the wire a key's record id is a keyed hash of the provider's id under
//! the account key ([`SealedStore::api_key_record_id`]): the server can
//! tell keys apart, not which providers they are for (a custom provider's
//! id comes from the name the user typed). The key itself is sealed like
//! every record.
//!
//! A key set before its stamp was kept (before this release) counts as
//! older than any stamped one: turning sync of keys on takes the keys the
//! other devices set since.

use std::collections::BTreeMap;

use pakchat_core::{Hlc, Stamp};
use serde::{Deserialize, Serialize};

use super::SealedStore;
use super::outbox::{Applied, Change, SyncRecord};
use crate::kv::Table;
use crate::{Store as _, StoreError};

/// Where the keys' stamps live in [`Table::Secrets`].
const STAMPS_KEY: &[u8] = b"\0api-key-stamps";

/// A provider's API key as it travels between devices.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// The record's id on the wire (a keyed hash of the provider's id).
    pub id: String,
    /// The provider's id.
    pub provider: String,
    /// The key; `None` when it was removed.
    pub key: Option<String>,
    /// The save that last set it.
    pub stamp: Stamp,
}

impl std::fmt::Debug for ApiKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyRecord")
            .field("provider", &self.provider)
            .field("key", &self.key.as_ref().map(|_| "(hidden)"))
            .field("stamp", &self.stamp)
            .finish_non_exhaustive()
    }
}

impl Drop for ApiKeyRecord {
    fn drop(&mut self) {
        if let Some(key) = self.key.as_mut() {
            zeroize::Zeroize::zeroize(key);
        }
    }
}

impl SealedStore {
    /// A record id the server cannot read: HMAC-SHA256 of `label` ‖
    /// `what` under the account key, 16 bytes in hex (the same on every
    /// device of the account); `None` without the account key.
    pub(super) fn keyed_record_id(&self, label: &[u8], what: &[u8]) -> Result<Option<String>, StoreError> {
        use hmac::Mac as _;
        let Some((_, key)) = self.read_sync_key()? else { return Ok(None) };
        let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_ref()) else {
            unreachable!("HMAC takes keys of any length");
        };
        mac.update(label);
        mac.update(what);
        Ok(Some(mac.finalize().into_bytes()[..16].iter().map(|b| format!("{b:02x}")).collect()))
    }

    /// The wire id of `provider`'s key record.
    fn api_key_record_id(&self, provider: &str) -> Result<Option<String>, StoreError> {
        self.keyed_record_id(b"pakchat api key record id\0", provider.as_bytes())
    }

    fn key_stamps(&self) -> Result<BTreeMap<String, Stamp>, StoreError> {
        match self.kv.get(Table::Secrets, STAMPS_KEY)? {
            Some(bytes) => Ok(self.open(Table::Secrets, STAMPS_KEY, &bytes)?),
            None => Ok(BTreeMap::new()),
        }
    }

    /// Store `provider`'s key (an empty value for none: the engine has no
    /// delete, and an empty key reads as none).
    fn put_key_value(&self, provider: &str, key: Option<&str>) -> Result<(), StoreError> {
        self.put(Table::Secrets, provider.as_bytes(), &key.unwrap_or_default())
    }

    /// See [`crate::Store::put_api_key`].
    pub(super) fn write_api_key(&self, provider: &str, key: Option<&str>, stamp: Stamp) -> Result<(), StoreError> {
        let mut stamps = self.key_stamps()?;
        stamps.insert(provider.to_owned(), stamp);
        let write = || {
            self.put_key_value(provider, key)?;
            self.put(Table::Secrets, STAMPS_KEY, &stamps)
        };
        if self.settings()?.syncs_api_keys() {
            self.marking(&[Change::ApiKey(provider.to_owned())], write)
        } else {
            write()
        }
    }

    /// Mark every provider's key set here (sync of keys was just turned
    /// on, or the account key arrived with it on); how many. Keys that
    /// came from other devices are theirs to send.
    pub(super) fn mark_api_keys(&self) -> Result<u64, StoreError> {
        let stamps = self.key_stamps()?;
        let set_here = |provider: &str| stamps.get(provider).is_none_or(|s| s.device == self.device_id());
        let mut marked = 0;
        for provider in self.settings()?.providers {
            if set_here(&provider.id) && self.api_key(&provider.id)?.is_some() {
                self.mark(&Change::ApiKey(provider.id))?;
                marked += 1;
            }
        }
        Ok(marked)
    }

    /// `provider`'s key as it goes out; `None` while sync of keys is off.
    pub(super) fn api_key_outgoing(&self, provider: &str) -> Result<Option<SyncRecord>, StoreError> {
        if !self.settings()?.syncs_api_keys() {
            return Ok(None);
        }
        let Some(id) = self.api_key_record_id(provider)? else { return Ok(None) };
        let never = Stamp { hlc: Hlc::default(), device: self.device_id() };
        let stamp = self.key_stamps()?.get(provider).copied().unwrap_or(never);
        let key = self.api_key(provider)?.map(|k| k.as_str().to_owned());
        Ok(Some(SyncRecord::ApiKey(ApiKeyRecord { id, provider: provider.to_owned(), key, stamp })))
    }

    /// A key from another device: kept if the one here is as new or newer;
    /// one whose id is not its provider's under the account key is left.
    pub(super) fn apply_api_key(&self, record: &ApiKeyRecord) -> Result<Applied, StoreError> {
        if self.api_key_record_id(&record.provider)?.as_deref() != Some(record.id.as_str()) {
            tracing::warn!("an API key record under another provider's id was left out");
            return Ok(Applied::Kept);
        }
        let mut stamps = self.key_stamps()?;
        if stamps.get(&record.provider).is_some_and(|here| *here >= record.stamp) {
            return Ok(Applied::Kept);
        }
        let had = self.api_key(&record.provider)?.is_some();
        self.put_key_value(&record.provider, record.key.as_deref())?;
        stamps.insert(record.provider.clone(), record.stamp);
        self.put(Table::Secrets, STAMPS_KEY, &stamps)?;
        Ok(if had { Applied::Replaced } else { Applied::Added })
    }
}

#[cfg(test)]
mod tests;
