//! The account key as the server keeps it: only wrapped.

use serde::{Deserialize, Serialize};

use crate::KeyId;

/// Argon2id's cost, kept with a wrapped key so it can be unwrapped later.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_cost_kib: u32,
    /// Passes.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl Default for KdfParams {
    /// 64 MiB, 3 passes, 1 lane (the profile passphrase's cost).
    fn default() -> Self {
        Self { m_cost_kib: 64 * 1024, t_cost: 3, p_cost: 1 }
    }
}

/// The account key wrapped by a recovery code (Argon2id, then AES-256-GCM).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKey {
    /// Argon2id's cost.
    pub kdf: KdfParams,
    /// Argon2id's salt (base64 on the wire).
    #[serde(with = "crate::envelope::b64_array")]
    pub salt: [u8; 16],
    /// AES-GCM's nonce (base64 on the wire).
    #[serde(with = "crate::envelope::b64_array")]
    pub nonce: [u8; 12],
    /// The account key sealed with the code's key (base64 on the wire).
    #[serde(with = "crate::envelope::b64")]
    pub ciphertext: Vec<u8>,
    /// Names the code's key, so a wrong code is told apart from a damaged blob.
    #[serde(with = "crate::envelope::b64_array")]
    pub code_check: [u8; 8],
    /// Names the account key itself.
    #[serde(with = "crate::envelope::b64_array")]
    pub key_check: [u8; 8],
}

/// `PUT /v1/keys` and `GET /v1/keys`: the user's account key, wrapped.
/// The first device puts it (a second first device gets 409 and joins
/// instead); every later device gets it and unwraps it with the recovery code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyBundle {
    /// Which account key this is.
    pub key_id: KeyId,
    /// Wrapped by the recovery code.
    pub recovery: WrappedKey,
}
