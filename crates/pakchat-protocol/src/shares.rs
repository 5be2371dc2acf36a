//! Share links: a read-only snapshot of a chat, sealed by the client under
//! a fresh key that lives only in the link's `#fragment` (browsers never
//! send it). The server keeps the sealed bytes under the share's id and
//! hands them to whoever asks by id; it never sees the key, so it cannot
//! open what it serves.

use serde::{Deserialize, Serialize};

/// Largest sealed share the server takes (bytes).
pub const MAX_SHARE_BYTES: usize = 4 * 1024 * 1024;
/// Most live (neither revoked nor expired) links one user may keep.
pub const MAX_SHARES: usize = 1000;

/// One share link, as its owner sees it (`PUT /v1/shares/{id}` answers
/// with it, `GET /v1/shares` lists them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareInfo {
    /// The share's id (the path of its link; see [`valid_share_id`]).
    pub id: String,
    /// When it was put, Unix milliseconds.
    pub created_ms: i64,
    /// When it stops being served, Unix milliseconds (`None`: never).
    pub expires_ms: Option<i64>,
    /// When its owner revoked it, Unix milliseconds (`None`: not revoked).
    pub revoked_ms: Option<i64>,
    /// The bytes the server holds for it: the sealed snapshot's length, 0
    /// once its content is gone (revoked, or expired and cleared).
    pub size: i64,
}

/// The answer to `GET /v1/shares`: the user's shares, newest first,
/// revoked and expired ones included.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareList {
    /// The shares.
    pub shares: Vec<ShareInfo>,
}

/// Whether `id` can name a share: 16 to 64 characters of A-Z a-z 0-9 _ - (the client makes 22-character base64url ids from 16 random bytes).
#[must_use]
pub fn valid_share_id(id: &str) -> bool {
    (16..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_ids_are_16_to_64_url_safe_characters() {
        for good in ["Zm9vYmFyYmF6cXV4LV9fXw", "0123456789abcdef", "A-_zA-_zA-_zA-_z", &"x".repeat(64)] {
            assert!(valid_share_id(good), "{good:?} refused");
        }
        let too_short = "a".repeat(15);
        let too_long = "a".repeat(65);
        let bad_chars =
            ["../../etc/passwd", "aaaaaaaaaaaaaaa=", "aaaaaaaaaaaaaaa/", "aaaaaaaaaaaaaaa.", "aaaaaaaaaaaaaaa+"];
        for bad in [too_short.as_str(), too_long.as_str(), "", "aaaaaaaa aaaaaaaa", "åååååååååååååååå"]
            .into_iter()
            .chain(bad_chars)
        {
            assert!(!valid_share_id(bad), "{bad:?} passed");
        }
    }

    #[test]
    fn a_share_list_round_trips() {
        let list = ShareList {
            shares: vec![ShareInfo {
                id: "Zm9vYmFyYmF6cXV4LV9fXw".to_owned(),
                created_ms: 1,
                expires_ms: Some(2),
                revoked_ms: None,
                size: 3,
            }],
        };
        let json = serde_json::to_string(&list).unwrap();
        assert_eq!(serde_json::from_str::<ShareList>(&json).unwrap(), list);
    }
}
