//! File chunks: the sealed pieces of attached files, stored by id apart
//! from the record log (a file's bytes would swell every pull otherwise).
//!
//! A chunk's id is a keyed hash of its plain content under a key derived
//! from the account key, so a device uploads a piece once however many
//! records name it, and the id says nothing to the server. The body is
//! `nonce (12) || AES-256-GCM ciphertext`; the server stores it as given.

use serde::{Deserialize, Serialize};

use crate::WireError;

/// The most plain bytes in one chunk (1 MiB).
pub const MAX_CHUNK: usize = 1024 * 1024;
/// The most bytes of one sealed chunk body: nonce, ciphertext and tag.
pub const MAX_SEALED_CHUNK: usize = MAX_CHUNK + 12 + 16;
/// The most ids in one [`MissingRequest`].
pub const MAX_MISSING: usize = 1000;

/// A chunk's id: 64 lowercase hex digits (a 256-bit keyed hash).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChunkId(String);

impl ChunkId {
    /// Check `id`.
    ///
    /// # Errors
    /// Not 64 lowercase hex digits.
    pub fn new(id: impl Into<String>) -> Result<Self, WireError> {
        let id = id.into();
        if id.len() == 64 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            Ok(Self(id))
        } else {
            Err(WireError::ChunkId(format!("{id:?} is not 64 lowercase hex digits")))
        }
    }

    /// The id of the 32 bytes `hash`.
    #[must_use]
    pub fn from_hash(hash: &[u8; 32]) -> Self {
        use std::fmt::Write as _;
        let mut id = String::with_capacity(64);
        for b in hash {
            // Writing to a String cannot fail.
            write!(id, "{b:02x}").ok();
        }
        Self(id)
    }

    /// The id as text (also its name in URLs and object keys).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ChunkId {
    type Error = WireError;
    fn try_from(id: String) -> Result<Self, WireError> {
        Self::new(id)
    }
}

impl From<ChunkId> for String {
    fn from(id: ChunkId) -> Self {
        id.0
    }
}

/// `POST /v1/chunks/missing`: which of these chunks the server lacks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingRequest {
    /// At most [`MAX_MISSING`] ids.
    pub ids: Vec<ChunkId>,
}

/// The answer to a [`MissingRequest`]: the ids asked about that this user
/// has not uploaded, in the order asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingResponse {
    /// Chunks to upload.
    pub missing: Vec<ChunkId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_ids_are_64_lowercase_hex_digits() {
        let id = ChunkId::from_hash(&[0xab; 32]);
        assert_eq!(id.as_str(), "ab".repeat(32));
        assert_eq!(ChunkId::new(id.as_str()), Ok(id.clone()));
        for bad in ["", &"AB".repeat(32), &"ab".repeat(31), &"ab".repeat(33), &format!("{}zz", "a".repeat(62))] {
            assert!(ChunkId::new(bad).is_err(), "{bad:?} passed");
        }
        // A path cannot sneak in through an id.
        assert!(ChunkId::new(format!("../{}", "a".repeat(61))).is_err());
    }

    #[test]
    fn missing_request_and_answer_round_trip() {
        let request = MissingRequest { ids: vec![ChunkId::from_hash(&[1; 32]), ChunkId::from_hash(&[2; 32])] };
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(serde_json::from_str::<MissingRequest>(&json).unwrap(), request);
        let answer = MissingResponse { missing: vec![ChunkId::from_hash(&[2; 32])] };
        let json = serde_json::to_string(&answer).unwrap();
        assert_eq!(serde_json::from_str::<MissingResponse>(&json).unwrap(), answer);
        let bad = r#"{"ids":["../../etc/passwd"]}"#;
        assert!(serde_json::from_str::<MissingRequest>(bad).is_err());
    }
}
