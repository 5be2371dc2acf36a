//! Sealing and opening of stored values with AES-256-GCM.
//!
//! Layout of every sealed value: `version(1) ‖ nonce(12) ‖ ciphertext ‖ tag(16)`.
//! The associated data is `table ‖ 0x00 ‖ key`, so a value copied to another
//! key or table fails to open instead of decoding as the wrong record.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

/// Version byte of the sealed-value layout.
pub const SEAL_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Why a sealed value could not be opened.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Shorter than a header and tag: cut off or not ours.
    #[error("record is too short to be sealed data ({0} bytes)")]
    TooShort(usize),
    /// Written by a newer layout this build does not know.
    #[error("record uses unknown seal version {0}")]
    UnknownVersion(u8),
    /// The tag did not verify: the bytes were changed, moved to another
    /// place, or sealed with another key.
    #[error("record failed authentication (damaged, moved, or sealed with another key)")]
    Authentication,
}

/// 32 bytes of key material, wiped from memory on drop.
pub type KeyBytes = Zeroizing<[u8; 32]>;

/// Fill a fresh buffer from the operating system's CSPRNG.
///
/// # Errors
/// When the OS has no randomness to give (should never happen in practice).
pub fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut out = [0u8; N];
    getrandom::getrandom(&mut out)?;
    Ok(out)
}

/// A fresh random 256-bit key.
///
/// # Errors
/// When the OS has no randomness to give.
pub fn random_key() -> Result<KeyBytes, getrandom::Error> {
    Ok(Zeroizing::new(random_bytes::<32>()?))
}

/// Derive a purpose-bound sub-key from the data key (HKDF-SHA256).
#[must_use]
pub fn derive_subkey(data_key: &[u8; 32], salt: &[u8], info: &str) -> KeyBytes {
    let hk = Hkdf::<Sha256>::new(Some(salt), data_key);
    let mut out = Zeroizing::new([0u8; 32]);
    // A 32-byte output is always within HKDF-SHA256's 8160-byte limit.
    if hk.expand(info.as_bytes(), out.as_mut()).is_err() {
        unreachable!("32 bytes is a valid HKDF-SHA256 output length");
    }
    out
}

/// An AES-256-GCM key ready to seal and open values.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    /// A sealer for `key`.
    #[must_use]
    pub fn new(key: &[u8; 32]) -> Self {
        Self { cipher: Aes256Gcm::new(key.into()) }
    }

    /// Encrypt `plain`, binding it to `aad`.
    ///
    /// # Errors
    /// When the OS has no randomness for the nonce.
    pub fn seal(&self, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, getrandom::Error> {
        let nonce_bytes = random_bytes::<NONCE_LEN>()?;
        let nonce = Nonce::from_slice(&nonce_bytes);
        let Ok(ct) = self.cipher.encrypt(nonce, Payload { msg: plain, aad }) else {
            unreachable!("AES-GCM encryption only fails for inputs over 64 GiB");
        };
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypt a value sealed by [`Self::seal`] with the same `aad`.
    ///
    /// # Errors
    /// See [`OpenError`].
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN {
            return Err(OpenError::TooShort(sealed.len()));
        }
        if sealed[0] != SEAL_VERSION {
            return Err(OpenError::UnknownVersion(sealed[0]));
        }
        let nonce = Nonce::from_slice(&sealed[1..=NONCE_LEN]);
        self.cipher
            .decrypt(nonce, Payload { msg: &sealed[1 + NONCE_LEN..], aad })
            .map(Zeroizing::new)
            .map_err(|_| OpenError::Authentication)
    }
}

/// The associated data for a value at `key` in `table`.
#[must_use]
pub fn record_aad(table: &str, key: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(table.len() + 1 + key.len());
    aad.extend_from_slice(table.as_bytes());
    aad.push(0);
    aad.extend_from_slice(key);
    aad
}

/// Lower-case hex of `bytes`.
#[must_use]
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [char::from(DIGITS[usize::from(b >> 4)]), char::from(DIGITS[usize::from(b & 15)])])
        .collect()
}

/// Parse hex written by [`to_hex`] (surrounding whitespace allowed).
#[must_use]
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> Sealer {
        Sealer::new(&[7u8; 32])
    }

    #[test]
    fn sealed_value_round_trips_and_hides_the_plaintext() {
        let s = sealer();
        let sealed = s.seal(b"t\0k", b"secret words").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(&*s.open(b"t\0k", &sealed).unwrap(), b"secret words");
    }

    #[test]
    fn every_flipped_bit_is_detected() {
        let s = sealer();
        let sealed = s.seal(b"aad", b"hello").unwrap();
        for i in 1..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert_eq!(s.open(b"aad", &bad), Err(OpenError::Authentication), "byte {i}");
        }
    }

    #[test]
    fn other_aad_or_key_is_rejected() {
        let sealed = sealer().seal(b"threads\0a", b"x").unwrap();
        assert_eq!(sealer().open(b"threads\0b", &sealed), Err(OpenError::Authentication));
        assert_eq!(Sealer::new(&[8u8; 32]).open(b"threads\0a", &sealed), Err(OpenError::Authentication));
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(from_hex(&to_hex(&[0, 1, 0xab, 0xff])).unwrap(), vec![0, 1, 0xab, 0xff]);
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
    }
}
