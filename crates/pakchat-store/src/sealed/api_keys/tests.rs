use std::sync::Arc;

use pakchat_core::{DeviceId, Hlc, Settings, Stamp};

use super::*;
use crate::{Argon2Params, KeySource, Kv as _, MemoryKv};

const FAST: Argon2Params = Argon2Params { m_cost_kib: 8, t_cost: 1, p_cost: 1 };
const SECRET: &str = "sk-sync-test-9f8e7d6c5b4a";

fn at(device: DeviceId, millis: u64) -> Stamp {
    Stamp { hlc: Hlc { millis, counter: 0 }, device }
}

fn store() -> (Arc<MemoryKv>, SealedStore) {
    let kv = Arc::new(MemoryKv::new());
    let source = KeySource::Passphrase(zeroize::Zeroizing::new("pw".to_owned()));
    let store = SealedStore::create(kv.clone(), &source, FAST).unwrap();
    store.put_sync_key(Some((1, &[7; 32]))).unwrap();
    (kv, store)
}

fn keys_synced(store: &SealedStore, on: bool, millis: u64) {
    let settings =
        Settings { sync_api_keys: Some(on), stamp: Some(at(store.device_id(), millis)), ..store.settings().unwrap() };
    store.put_settings(&settings).unwrap();
}

fn marked_keys(store: &SealedStore) -> Vec<String> {
    let outbox = store.outbox(100).unwrap();
    outbox.into_iter().filter_map(|p| if let Change::ApiKey(k) = p.change { Some(k) } else { None }).collect()
}

#[test]
fn keys_stay_here_until_the_user_syncs_them() {
    let (_, store) = store();
    let me = store.device_id();
    store.put_api_key("openai", Some(SECRET), at(me, 10)).unwrap();
    assert!(marked_keys(&store).is_empty(), "off: not marked");
    assert_eq!(store.outgoing(&Change::ApiKey("openai".to_owned())).unwrap(), None, "off: nothing to send");

    // Turned on: the keys there are go out, and later ones too.
    keys_synced(&store, true, 20);
    assert_eq!(marked_keys(&store), ["openai"]);
    let Some(SyncRecord::ApiKey(record)) = store.outgoing(&Change::ApiKey("openai".to_owned())).unwrap() else {
        panic!("a key record");
    };
    assert_eq!((record.key.as_deref(), record.stamp), (Some(SECRET), at(me, 10)));
    assert_eq!(record.id.len(), 32, "a hash: {}", record.id);
    assert!(!record.id.contains("openai"), "the provider is not in the id");
    assert!(!format!("{record:?}").contains(SECRET), "the key is not in the record's Debug");

    // Off again: what was marked is not sent.
    keys_synced(&store, false, 30);
    assert_eq!(store.outgoing(&Change::ApiKey("openai".to_owned())).unwrap(), None);
    store.put_api_key("anthropic", Some("sk-ant-x"), at(me, 40)).unwrap();
    assert!(!marked_keys(&store).contains(&"anthropic".to_owned()));
}

#[test]
fn keys_from_elsewhere_merge_by_stamp_and_a_removal_travels() {
    let (kv, store) = store();
    let (me, other) = (store.device_id(), DeviceId::from_bytes([4; 16]));
    keys_synced(&store, true, 5);
    store.put_api_key("openai", Some("sk-here"), at(me, 10)).unwrap();
    let id = store.api_key_record_id("openai").unwrap().unwrap();
    let from = |key: Option<&str>, millis| {
        SyncRecord::ApiKey(ApiKeyRecord {
            id: id.clone(),
            provider: "openai".to_owned(),
            key: key.map(str::to_owned),
            stamp: at(other, millis),
        })
    };
    assert_eq!(store.apply_incoming(&from(Some("sk-older"), 9)).unwrap(), Applied::Kept);
    assert_eq!(store.api_key("openai").unwrap().unwrap().as_str(), "sk-here");
    assert_eq!(store.apply_incoming(&from(Some(SECRET), 11)).unwrap(), Applied::Replaced);
    assert_eq!(store.api_key("openai").unwrap().unwrap().as_str(), SECRET);
    assert_eq!(store.apply_incoming(&from(None, 12)).unwrap(), Applied::Replaced);
    assert!(store.api_key("openai").unwrap().is_none(), "removed elsewhere, removed here");
    // Under another provider's id: left.
    let moved = SyncRecord::ApiKey(ApiKeyRecord {
        id: id.clone(),
        provider: "anthropic".to_owned(),
        key: Some("sk-moved".to_owned()),
        stamp: at(other, 50),
    });
    assert_eq!(store.apply_incoming(&moved).unwrap(), Applied::Kept);
    assert!(store.api_key("anthropic").unwrap().is_none());
    // Nothing from elsewhere is sent back, and no key is in the clear.
    assert!(marked_keys(&store).iter().all(|k| k == "openai"));
    for table in Table::ALL {
        for (_, value) in kv.scan_prefix(table, &[]).unwrap() {
            assert!(!value.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()), "{table:?} holds the key");
        }
    }
}
