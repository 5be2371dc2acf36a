//! The names of the account's devices ([`Table::Devices`]): this device's
//! own, set here and synced like any record, and the others', merged in by
//! last writer wins. The server lists devices by id only; the names come
//! from here.

use pakchat_core::{DeviceId, DeviceName};

use super::SealedStore;
use super::outbox::{Applied, Change};
use crate::StoreError;
use crate::kv::Table;

/// Names read at most (an account has a handful of devices).
const MAX_DEVICES: usize = 1024;

impl SealedStore {
    /// The name of `device`, if one is known here.
    pub(super) fn device_name(&self, device: DeviceId) -> Result<Option<DeviceName>, StoreError> {
        let key = device.as_bytes();
        let Some(bytes) = self.kv.get(Table::Devices, key)? else { return Ok(None) };
        match self.open::<DeviceName>(Table::Devices, key, &bytes) {
            Ok(name) if name.device == device => Ok(Some(name)),
            Ok(_) => Ok(None),
            Err(e) => {
                tracing::warn!(err = %e, "a device's name could not be read and is left out");
                Ok(None)
            }
        }
    }

    /// See [`crate::Store::device_names`].
    pub(super) fn read_device_names(&self) -> Result<Vec<DeviceName>, StoreError> {
        let mut names = Vec::new();
        for (key, _) in self.kv.range(Table::Devices, &[], &[0xFF; 17], MAX_DEVICES)? {
            if let Ok(id) = <[u8; 16]>::try_from(key.as_slice())
                && let Some(name) = self.device_name(DeviceId::from_bytes(id))?
            {
                names.push(name);
            }
        }
        Ok(names)
    }

    /// See [`crate::Store::put_device_name`].
    pub(super) fn write_device_name(&self, name: &DeviceName) -> Result<(), StoreError> {
        let key = name.device.as_bytes();
        self.marking(&[Change::Device(name.device)], || self.put(Table::Devices, key, name))
    }

    /// A name from another device: kept if the one here is as new or newer.
    pub(super) fn apply_device_name(&self, name: &DeviceName) -> Result<Applied, StoreError> {
        let here = self.device_name(name.device)?;
        if here.as_ref().is_some_and(|h| h.stamp >= name.stamp) {
            return Ok(Applied::Kept);
        }
        self.put(Table::Devices, name.device.as_bytes(), name)?;
        Ok(if here.is_some() { Applied::Replaced } else { Applied::Added })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use pakchat_core::{Hlc, Stamp};

    use crate::{Argon2Params, KeySource, Kv as _, MemoryKv, SealedStore, Store as _, StoreError, SyncRecord};

    use super::*;

    const FAST: Argon2Params = Argon2Params { m_cost_kib: 8, t_cost: 1, p_cost: 1 };

    fn name(device: DeviceId, text: &str, millis: u64) -> DeviceName {
        DeviceName { device, name: text.to_owned(), stamp: Stamp { hlc: Hlc { millis, counter: 0 }, device } }
    }

    #[test]
    fn names_are_kept_sealed_sent_once_and_merged_by_stamp() -> Result<(), StoreError> {
        let kv = Arc::new(MemoryKv::new());
        let source = KeySource::Passphrase(zeroize::Zeroizing::new("pw".to_owned()));
        let store = SealedStore::create(kv.clone(), &source, FAST)?;
        store.put_sync_key(Some((1, &[9; 32])))?;
        let me = store.device_id();
        store.put_device_name(&name(me, "Ada's laptop", 10))?;
        let raw: Vec<u8> = kv.scan_prefix(Table::Devices, &[])?.into_iter().flat_map(|(_, v)| v).collect();
        assert!(!raw.windows(4).any(|w| w == b"Ada'"), "the name is sealed");
        let waiting = store.outbox(10)?;
        assert_eq!(waiting.iter().map(|p| &p.change).collect::<Vec<_>>(), [&Change::Device(me)]);
        assert_eq!(store.outgoing(&Change::Device(me))?, Some(SyncRecord::Device(name(me, "Ada's laptop", 10))));

        let other = DeviceId::from_bytes([3; 16]);
        assert_eq!(store.apply_incoming(&SyncRecord::Device(name(other, "Phone", 5)))?, Applied::Added);
        assert_eq!(store.apply_incoming(&SyncRecord::Device(name(other, "Old phone", 4)))?, Applied::Kept);
        assert_eq!(store.apply_incoming(&SyncRecord::Device(name(other, "Ada's phone", 6)))?, Applied::Replaced);
        assert_eq!(store.apply_incoming(&SyncRecord::Device(name(me, "Renamed elsewhere", 9)))?, Applied::Kept);
        let mut names: Vec<String> = store.device_names()?.into_iter().map(|n| n.name).collect();
        names.sort();
        assert_eq!(names, ["Ada's laptop", "Ada's phone"]);
        assert_eq!(store.outbox(10)?.len(), 1, "names from elsewhere are not sent back");
        Ok(())
    }
}
