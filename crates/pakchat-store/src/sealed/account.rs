//! The account this profile is signed in to, sealed beside the API keys
//! (its session token is as secret as they are). Its key starts with a zero
//! byte, which no provider's name does, so it never reads as an API key.

use pakchat_core::Account;

use super::SealedStore;
use crate::StoreError;
use crate::kv::Table;

/// Where the account record lives in [`Table::Secrets`].
const ACCOUNT_KEY: &[u8] = b"\0account";

impl SealedStore {
    pub(super) fn read_account(&self) -> Result<Option<Account>, StoreError> {
        let Some(bytes) = self.kv.get(Table::Secrets, ACCOUNT_KEY)? else { return Ok(None) };
        // Signed out is stored as `null`: the engine has no delete.
        Ok(self.open::<Option<Account>>(Table::Secrets, ACCOUNT_KEY, &bytes)?)
    }

    pub(super) fn write_account(&self, account: Option<&Account>) -> Result<(), StoreError> {
        self.put(Table::Secrets, ACCOUNT_KEY, &account)
    }
}
