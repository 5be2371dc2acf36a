//! The account key and its recovery code.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use pakchat_protocol::{KdfParams, WrappedKey};
use sha2::Digest as _;
use zeroize::Zeroizing;

/// Why a key could not be made or unwrapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The recovery code is not the one this key was wrapped with.
    #[error("that recovery code does not unlock this account")]
    WrongCode,
    /// The recovery code is not written the way codes are.
    #[error("a recovery code is 24 letters and digits (dashes and spaces do not matter): {0}")]
    Malformed(String),
    /// The wrapped key is damaged (the code was right).
    #[error("the account's key on the server is damaged")]
    Corrupt,
    /// No randomness, or the key derivation refused its parameters.
    #[error("{0}")]
    Local(String),
}

/// The account key: 32 random bytes, wiped from memory on drop.
#[derive(Clone)]
pub struct AccountKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccountKey(..)")
    }
}

impl AccountKey {
    /// A new random key (a person's first device makes it).
    ///
    /// # Errors
    /// No randomness from the operating system.
    pub fn generate() -> Result<Self, KeyError> {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(key.as_mut()).map_err(|e| KeyError::Local(e.to_string()))?;
        Ok(Self(key))
    }

    /// The key from its bytes (as kept sealed on a device).
    #[must_use]
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The key's bytes (to keep it sealed on this device).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A value that names this key without revealing it: the first eight
    /// bytes of SHA-256 over a tag and the key.
    #[must_use]
    pub fn check_value(&self) -> [u8; 8] {
        check(b"pakchat-account-key-check-v1", self.as_bytes())
    }

    pub(crate) fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(self.as_bytes().into())
    }
}

fn check(tag: &[u8], key: &[u8; 32]) -> [u8; 8] {
    let digest = sha2::Sha256::new().chain_update(tag).chain_update(key).finalize();
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

/// Crockford's base32: no I, L, O or U, so a code read aloud or typed
/// from paper survives.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a code: 24 × 5 = 120 bits.
const CODE_LEN: usize = 24;

/// A recovery code: shown once when the account key is made, and entered on
/// a new device. Written in groups of four, `XXXX-XXXX-…`.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(Zeroizing<String>);

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(..)")
    }
}

impl RecoveryCode {
    /// A new random code.
    ///
    /// # Errors
    /// No randomness from the operating system.
    pub fn generate() -> Result<Self, KeyError> {
        let mut bytes = Zeroizing::new([0u8; CODE_LEN]);
        getrandom::getrandom(bytes.as_mut()).map_err(|e| KeyError::Local(e.to_string()))?;
        Ok(Self(Zeroizing::new(bytes.iter().map(|b| char::from(ALPHABET[usize::from(b & 31)])).collect())))
    }

    /// Read a code as a person typed it: any case, dashes and spaces
    /// ignored, O read as 0 and I or L as 1.
    ///
    /// # Errors
    /// Not 24 characters of the alphabet.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let mut code = Zeroizing::new(String::with_capacity(CODE_LEN));
        for c in text.chars().filter(|c| !c.is_whitespace() && *c != '-') {
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
                return Err(KeyError::Malformed(format!("{c:?} is not one of its characters")));
            }
            code.push(c);
        }
        if code.len() != CODE_LEN {
            return Err(KeyError::Malformed(format!("this one has {} of them", code.len())));
        }
        Ok(Self(code))
    }

    /// The code as shown to a person: six groups of four.
    #[must_use]
    pub fn display(&self) -> Zeroizing<String> {
        let groups: Vec<&str> = (0..CODE_LEN / 4).filter_map(|i| self.0.get(i * 4..i * 4 + 4)).collect();
        Zeroizing::new(groups.join("-"))
    }
}

const WRAP_AAD: &[u8] = b"pakchat-recovery-wrap-v1";

fn code_key(code: &RecoveryCode, salt: &[u8; 16], kdf: KdfParams) -> Result<Zeroizing<[u8; 32]>, KeyError> {
    let params = argon2::Params::new(kdf.m_cost_kib, kdf.t_cost, kdf.p_cost, Some(32))
        .map_err(|e| KeyError::Local(format!("Argon2 parameters: {e}")))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; 32]);
    argon.hash_password_into(code.0.as_bytes(), salt, out.as_mut()).map_err(|e| KeyError::Local(e.to_string()))?;
    Ok(out)
}

/// Wrap `key` with `code` at cost `kdf` (what the server keeps).
///
/// # Errors
/// No randomness, or Argon2 refused the parameters.
pub fn wrap_key(key: &AccountKey, code: &RecoveryCode, kdf: KdfParams) -> Result<WrappedKey, KeyError> {
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 12];
    getrandom::getrandom(&mut salt).map_err(|e| KeyError::Local(e.to_string()))?;
    getrandom::getrandom(&mut nonce).map_err(|e| KeyError::Local(e.to_string()))?;
    let kek = code_key(code, &salt, kdf)?;
    let cipher = Aes256Gcm::new(kek.as_ref().into());
    let ciphertext = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: key.as_bytes(), aad: WRAP_AAD })
        .map_err(|_| KeyError::Local("the key could not be wrapped".to_owned()))?;
    Ok(WrappedKey {
        kdf,
        salt,
        nonce,
        ciphertext,
        code_check: check(b"pakchat-recovery-code-check-v1", &kek),
        key_check: key.check_value(),
    })
}

/// The account key in `wrapped`, given the code it was wrapped with.
///
/// # Errors
/// [`KeyError::WrongCode`] for another code, [`KeyError::Corrupt`] when
/// the code is right but the blob was changed.
pub fn unwrap_key(wrapped: &WrappedKey, code: &RecoveryCode) -> Result<AccountKey, KeyError> {
    let this = wrapped;
    let kek = code_key(code, &this.salt, this.kdf)?;
    if check(b"pakchat-recovery-code-check-v1", &kek) != this.code_check {
        return Err(KeyError::WrongCode);
    }
    let cipher = Aes256Gcm::new(kek.as_ref().into());
    let plain = Zeroizing::new(
        cipher
            .decrypt(Nonce::from_slice(&this.nonce), Payload { msg: &this.ciphertext, aad: WRAP_AAD })
            .map_err(|_| KeyError::Corrupt)?,
    );
    let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| KeyError::Corrupt)?;
    let key = AccountKey::from_bytes(bytes);
    if key.check_value() != this.key_check {
        return Err(KeyError::Corrupt);
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: KdfParams = KdfParams { m_cost_kib: 1024, t_cost: 1, p_cost: 1 };

    #[test]
    fn a_key_wrapped_by_a_code_comes_back_with_that_code_only() {
        let key = AccountKey::generate().unwrap();
        let code = RecoveryCode::generate().unwrap();
        let wrapped = wrap_key(&key, &code, CHEAP).unwrap();
        assert_eq!(unwrap_key(&wrapped, &code).unwrap().as_bytes(), key.as_bytes());
        let other = RecoveryCode::generate().unwrap();
        assert_eq!(unwrap_key(&wrapped, &other).unwrap_err(), KeyError::WrongCode);
        // The blob survives a trip through JSON (what the server keeps).
        let json = serde_json::to_string(&wrapped).unwrap();
        let back: WrappedKey = serde_json::from_str(&json).unwrap();
        assert_eq!(unwrap_key(&back, &code).unwrap().check_value(), key.check_value());
        assert!(!json.contains(&format!("{:?}", key.as_bytes())), "the key is not in the blob");
    }

    #[test]
    fn a_damaged_blob_is_told_apart_from_a_wrong_code() {
        let key = AccountKey::generate().unwrap();
        let code = RecoveryCode::generate().unwrap();
        let wrapped = wrap_key(&key, &code, CHEAP).unwrap();
        let mut bad = wrapped.clone();
        bad.ciphertext[3] ^= 1;
        assert_eq!(unwrap_key(&bad, &code).unwrap_err(), KeyError::Corrupt);
        let mut bad = wrapped.clone();
        bad.key_check[0] ^= 1;
        assert_eq!(unwrap_key(&bad, &code).unwrap_err(), KeyError::Corrupt);
        let mut bad = wrapped;
        bad.salt[0] ^= 1;
        assert_eq!(unwrap_key(&bad, &code).unwrap_err(), KeyError::WrongCode, "another salt is another code key");
    }

    #[test]
    fn codes_are_read_as_people_type_them() {
        let code = RecoveryCode::generate().unwrap();
        let shown = code.display();
        assert_eq!(shown.len(), 24 + 5);
        assert_eq!(RecoveryCode::parse(&shown).unwrap(), code);
        assert_eq!(RecoveryCode::parse(&shown.to_lowercase().replace('-', " ")).unwrap(), code);
        let typed = "0123-4567-89ab-cdef-ghjk-mnpq";
        let read = "o123 4567 89AB CDEF GHJK MNPQ".replace('o', "O");
        assert_eq!(RecoveryCode::parse(&read).unwrap(), RecoveryCode::parse(typed).unwrap(), "O is 0");
        assert_eq!(
            RecoveryCode::parse("IL23-4567-89ab-cdef-ghjk-mnpq").unwrap(),
            RecoveryCode::parse("1123-4567-89ab-cdef-ghjk-mnpq").unwrap()
        );
        assert!(matches!(RecoveryCode::parse("0123-4567"), Err(KeyError::Malformed(_))));
        assert!(matches!(RecoveryCode::parse("0123-4567-89ab-cdef-ghjk-mnpU"), Err(KeyError::Malformed(_))));
        assert_eq!(format!("{code:?}"), "RecoveryCode(..)", "never printed");
    }
}
