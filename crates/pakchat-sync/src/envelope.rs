//! A record as an envelope, and back.

use aes_gcm::Nonce;
use aes_gcm::aead::{Aead, Payload};
use pakchat_core::Stamp;
use pakchat_protocol::{Envelope, KeyId, Kind, RecordId, aad};
use zeroize::Zeroizing;

use crate::{AccountKey, KeyError};

/// What a record is, before sealing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Its id.
    pub id: RecordId,
    /// Its kind.
    pub kind: Kind,
    /// Its version.
    pub stamp: Stamp,
    /// A tombstone.
    pub deleted: bool,
}

/// Why an envelope did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Sealed with an account key this device does not have.
    #[error("sealed with account key {0}, which this device does not have")]
    UnknownKey(KeyId),
    /// Its bytes or any bound field (user, id, kind, stamp, tombstone, key)
    /// changed since it was sealed: damaged, or moved by the server.
    #[error("the record was changed or moved after it was sealed")]
    Tampered,
}

/// Seal `plaintext` as `record` of `user` under `key` (numbered `key_id`).
///
/// # Errors
/// No randomness for the nonce.
pub fn seal(
    key: &AccountKey,
    key_id: KeyId,
    user: &str,
    record: Record,
    plaintext: &[u8],
) -> Result<Envelope, KeyError> {
    let mut nonce = [0u8; 12];
    getrandom::getrandom(&mut nonce).map_err(|e| KeyError::Local(e.to_string()))?;
    let mut envelope = Envelope {
        id: record.id,
        kind: record.kind,
        stamp: record.stamp,
        deleted: record.deleted,
        key_id,
        nonce,
        ciphertext: Vec::new(),
    };
    let bound = aad(user, &envelope);
    envelope.ciphertext = key
        .cipher()
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: &bound })
        .map_err(|_| KeyError::Local("the record could not be sealed".to_owned()))?;
    Ok(envelope)
}

/// Open an envelope of `user` with `keys` (by key id).
///
/// # Errors
/// See [`OpenError`].
pub fn open(
    keys: &dyn Fn(KeyId) -> Option<AccountKey>,
    user: &str,
    envelope: &Envelope,
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let key = keys(envelope.key_id).ok_or(OpenError::UnknownKey(envelope.key_id))?;
    let bound = aad(user, envelope);
    key.cipher()
        .decrypt(Nonce::from_slice(&envelope.nonce), Payload { msg: &envelope.ciphertext, aad: &bound })
        .map(Zeroizing::new)
        .map_err(|_| OpenError::Tampered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pakchat_core::{DeviceId, Hlc};

    fn record(id: &str, millis: u64) -> Record {
        Record {
            id: RecordId::new(id).unwrap(),
            kind: Kind::new("thread").unwrap(),
            stamp: Stamp { hlc: Hlc { millis, counter: 0 }, device: DeviceId::from_bytes([5; 16]) },
            deleted: false,
        }
    }

    #[test]
    fn a_sealed_record_opens_and_shows_nothing_of_its_text() {
        let key = AccountKey::generate().unwrap();
        let keys = |id: KeyId| (id == 1).then(|| key.clone());
        let e = seal(&key, 1, "user-1", record("a", 10), b"Trip to Hunza").unwrap();
        assert!(!e.ciphertext.windows(5).any(|w| w == b"Hunza"));
        assert_eq!(open(&keys, "user-1", &e).unwrap().as_slice(), b"Trip to Hunza");
        // Two seals of one text differ (fresh nonces).
        assert_ne!(seal(&key, 1, "user-1", record("a", 10), b"Trip to Hunza").unwrap().ciphertext, e.ciphertext);
    }

    #[test]
    fn what_a_hostile_server_can_do_to_an_envelope_is_caught() {
        let key = AccountKey::generate().unwrap();
        let keys = |id: KeyId| (id == 1 || id == 2).then(|| key.clone());
        let a = seal(&key, 1, "user-1", record("a", 10), b"title A").unwrap();
        let b = seal(&key, 1, "user-1", record("b", 10), b"title B").unwrap();
        let mut flipped = a.clone();
        flipped.ciphertext[0] ^= 1;
        let attacks = [
            ("damaged", flipped),
            ("moved to another id", Envelope { id: b.id.clone(), ..a.clone() }),
            ("swapped contents", Envelope { ciphertext: b.ciphertext.clone(), nonce: b.nonce, ..a.clone() }),
            ("re-stamped as newer", Envelope { stamp: record("a", 99).stamp, ..a.clone() }),
            ("resurrected", Envelope { deleted: true, ..a.clone() }),
            ("another kind", Envelope { kind: Kind::new("settings").unwrap(), ..a.clone() }),
            ("another key id", Envelope { key_id: 2, ..a.clone() }),
        ];
        for (what, e) in &attacks {
            assert_eq!(open(&keys, "user-1", e).unwrap_err(), OpenError::Tampered, "{what}");
        }
        assert_eq!(open(&keys, "user-2", &a).unwrap_err(), OpenError::Tampered, "another user's log");
        let other = AccountKey::generate().unwrap();
        assert_eq!(open(&|_| Some(other.clone()), "user-1", &a).unwrap_err(), OpenError::Tampered, "another key");
        assert_eq!(open(&|_| None, "user-1", &a).unwrap_err(), OpenError::UnknownKey(1));
    }

    #[test]
    fn a_tombstone_is_sealed_too() {
        let key = AccountKey::generate().unwrap();
        let gone = Record { deleted: true, ..record("t", 20) };
        let e = seal(&key, 1, "user-1", gone, b"").unwrap();
        assert!(e.deleted);
        assert_eq!(open(&|_| Some(key.clone()), "user-1", &e).unwrap().len(), 0);
        // Un-deleting it is caught.
        let revived = Envelope { deleted: false, ..e };
        assert_eq!(open(&|_| Some(key.clone()), "user-1", &revived).unwrap_err(), OpenError::Tampered);
    }
}
