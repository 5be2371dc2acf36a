//! [`Envelope`]: one sealed record as it travels and as the server keeps it.

use pakchat_core::Stamp;
use serde::{Deserialize, Serialize};

use crate::WireError;

/// The longest record id.
pub const MAX_ID_LEN: usize = 64;
/// The longest kind name.
pub const MAX_KIND_LEN: usize = 32;

/// A record's id: opaque to the server, chosen by the client (for example
/// a keyed hash of the record's key, so ids reveal nothing either).
/// 1 to [`MAX_ID_LEN`] characters of `[A-Za-z0-9_-]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RecordId(String);

impl RecordId {
    /// Check `id`.
    ///
    /// # Errors
    /// Empty, too long, or another character.
    pub fn new(id: impl Into<String>) -> Result<Self, WireError> {
        let id = id.into();
        let ok = !id.is_empty()
            && id.len() <= MAX_ID_LEN
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok { Ok(Self(id)) } else { Err(WireError::RecordId(format!("{id:?} is not 1-64 of [A-Za-z0-9_-]"))) }
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RecordId {
    type Error = WireError;
    fn try_from(id: String) -> Result<Self, WireError> {
        Self::new(id)
    }
}

impl From<RecordId> for String {
    fn from(id: RecordId) -> Self {
        id.0
    }
}

/// What a record is (`thread`, `message`, `settings`, …): lowercase letters,
/// digits and `-`, at most [`MAX_KIND_LEN`]. Open-ended, so a newer client's
/// kinds pass through an older server.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Kind(String);

impl Kind {
    /// Check `kind`.
    ///
    /// # Errors
    /// Empty, too long, or another character.
    pub fn new(kind: impl Into<String>) -> Result<Self, WireError> {
        let kind = kind.into();
        let ok = !kind.is_empty()
            && kind.len() <= MAX_KIND_LEN
            && kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok { Ok(Self(kind)) } else { Err(WireError::Kind(format!("{kind:?} is not 1-32 of [a-z0-9-]"))) }
    }

    /// The kind as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Kind {
    type Error = WireError;
    fn try_from(kind: String) -> Result<Self, WireError> {
        Self::new(kind)
    }
}

impl From<Kind> for String {
    fn from(kind: Kind) -> Self {
        kind.0
    }
}

/// Which account key sealed an envelope (keys are numbered from 1 as they
/// are rotated).
pub type KeyId = u32;

/// One sealed record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The record's id.
    pub id: RecordId,
    /// What the record is.
    pub kind: Kind,
    /// Its version: last writer wins by `(hlc, device)`.
    pub stamp: Stamp,
    /// A tombstone: the record was deleted (the ciphertext may be empty).
    pub deleted: bool,
    /// The account key that sealed it.
    pub key_id: KeyId,
    /// The AES-GCM nonce (12 bytes, base64 on the wire).
    #[serde(with = "b64_array")]
    pub nonce: [u8; 12],
    /// The sealed record (base64 on the wire).
    #[serde(with = "b64")]
    pub ciphertext: Vec<u8>,
}

impl Envelope {
    /// The bytes it takes on the server (for quotas): the ciphertext and
    /// the fixed fields.
    #[must_use]
    pub fn size(&self) -> usize {
        self.ciphertext.len() + self.id.as_str().len() + self.kind.as_str().len() + 12 + 8 + 4 + 16 + 4 + 1
    }
}

/// The associated data an envelope's ciphertext is sealed with: a domain
/// tag, then the user, the id, the kind (each length-prefixed), the stamp
/// (millis, counter, device), the tombstone flag and the key id. Any change
/// to one of them makes the envelope fail to open.
#[must_use]
pub fn aad(user: &str, envelope: &Envelope) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 + user.len());
    out.extend_from_slice(b"pakchat-envelope-v1");
    for part in [user.as_bytes(), envelope.id.as_str().as_bytes(), envelope.kind.as_str().as_bytes()] {
        out.extend_from_slice(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(part);
    }
    out.extend_from_slice(&envelope.stamp.hlc.millis.to_be_bytes());
    out.extend_from_slice(&envelope.stamp.hlc.counter.to_be_bytes());
    out.extend_from_slice(envelope.stamp.device.as_bytes());
    out.push(u8::from(envelope.deleted));
    out.extend_from_slice(&envelope.key_id.to_be_bytes());
    out
}

pub(crate) mod b64 {
    use base64::Engine as _;
    use serde::{Deserialize as _, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        base64::engine::general_purpose::STANDARD.decode(text.as_bytes()).map_err(serde::de::Error::custom)
    }
}

/// A fixed-size byte array as base64.
pub(crate) mod b64_array {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer, const N: usize>(bytes: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        super::b64::serialize(bytes, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(d: D) -> Result<[u8; N], D::Error> {
        let bytes = super::b64::deserialize(d)?;
        <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| serde::de::Error::custom(format!("expected {N} bytes")))
    }
}
