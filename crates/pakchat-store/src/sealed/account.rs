//! The account this profile is signed in to, the account's sync key (what
//! every synced record is sealed with), and the device's notes
//! ([`crate::DeviceNote`]), sealed beside the API keys: all are as secret
//! as they are. Their keys start with a zero byte, which
//! no provider's name does, so they never read as API keys.

use pakchat_core::Account;

use super::SealedStore;
use crate::StoreError;
use crate::kv::Table;

/// Where the account record lives in [`Table::Secrets`].
const ACCOUNT_KEY: &[u8] = b"\0account";
/// Where the account's sync key lives (its number and its 32 bytes).
const SYNC_KEY: &[u8] = b"\0account-sync-key";

/// Where each [`crate::DeviceNote`] lives.
fn note_key(note: crate::DeviceNote) -> &'static [u8] {
    match note {
        crate::DeviceNote::SignIn => b"\0account-sign-in",
        crate::DeviceNote::Shares => b"\0account-shares",
    }
}

impl SealedStore {
    pub(super) fn read_account(&self) -> Result<Option<Account>, StoreError> {
        let Some(bytes) = self.kv.get(Table::Secrets, ACCOUNT_KEY)? else { return Ok(None) };
        // Signed out is stored as `null`: the engine has no delete.
        Ok(self.open::<Option<Account>>(Table::Secrets, ACCOUNT_KEY, &bytes)?)
    }

    pub(super) fn write_account(&self, account: Option<&Account>) -> Result<(), StoreError> {
        self.put(Table::Secrets, ACCOUNT_KEY, &account)
    }

    pub(super) fn read_sync_key(&self) -> Result<Option<crate::SyncKey>, StoreError> {
        let Some(bytes) = self.kv.get(Table::Secrets, SYNC_KEY)? else { return Ok(None) };
        let kept: Option<(u32, [u8; 32])> = self.open(Table::Secrets, SYNC_KEY, &bytes)?;
        Ok(kept.map(|(id, key)| (id, zeroize::Zeroizing::new(key))))
    }

    pub(super) fn write_sync_key(&self, key: Option<(u32, &[u8; 32])>) -> Result<(), StoreError> {
        self.put(Table::Secrets, SYNC_KEY, &key)
    }

    pub(super) fn read_note(&self, note: crate::DeviceNote) -> Result<Option<String>, StoreError> {
        let key = note_key(note);
        let Some(bytes) = self.kv.get(Table::Secrets, key)? else { return Ok(None) };
        Ok(self.open::<Option<String>>(Table::Secrets, key, &bytes)?)
    }

    pub(super) fn write_note(&self, note: crate::DeviceNote, text: Option<&str>) -> Result<(), StoreError> {
        self.put(Table::Secrets, note_key(note), &text)
    }
}
