//! Share links: a read-only copy of one branch of a chat, sealed with a
//! fresh AES-256-GCM key that only the link carries.
//!
//! The link is `SERVER/#share=ID.KEY`: the id names the sealed copy on the
//! server, the key (32 random bytes, base64url) opens it, and both sit in
//! the fragment, which a browser never sends to any server. The server
//! stores ciphertext it cannot open; the associated data binds the id, so
//! a server that serves one link's bytes under another's id is caught. The
//! owner lists and revokes their links ([`Server::shares`],
//! [`Server::revoke_share`]); a revoked link's bytes are deleted and it
//! answers "revoked", an expired one "expired".

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pakchat_core::Role;
use pakchat_protocol::{ShareInfo, ShareList};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{Server, SyncError};

/// The version of the sealed format ([`seal`]'s first byte).
const FORMAT: u8 = 1;

/// The copy of a chat a link shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The chat's title.
    pub title: String,
    /// When the copy was made, Unix milliseconds.
    pub shared_ms: u64,
    /// The branch's messages, oldest first.
    pub messages: Vec<SharedMessage>,
}

/// One message of a [`Snapshot`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedMessage {
    /// Who wrote it.
    pub role: Role,
    /// The model that wrote a reply, if known.
    #[serde(default)]
    pub model: Option<String>,
    /// Its text (Markdown).
    pub content: String,
    /// How many files it had (their contents are not shared).
    #[serde(default)]
    pub files: usize,
}

/// Why a link does not open.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShareError {
    /// Its owner revoked it.
    #[error("This link was revoked by the person who shared it.")]
    Revoked,
    /// It expired.
    #[error("This link has expired.")]
    Expired,
    /// The server has no such link.
    #[error("This link does not exist (or the server that had it forgot it).")]
    NotFound,
    /// Not a share link, or cut short.
    #[error("This is not a whole share link: copy all of it, up to the end.")]
    Malformed,
    /// The key does not open what the server sent (a damaged link, or a
    /// server that swapped contents).
    #[error("This link's key does not open what the server sent: the link is damaged or the copy was changed.")]
    Damaged,
    /// The server could not be reached or answered strangely.
    #[error("The server could not be reached: {0}")]
    Unreachable(String),
}

/// A new link id: 16 random bytes, base64url (22 characters).
///
/// # Errors
/// No randomness.
pub fn new_id() -> Result<String, SyncError> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| SyncError::Refused(format!("no randomness: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn bound(id: &str) -> Vec<u8> {
    [b"pakchat-share-v1\0".as_slice(), id.as_bytes()].concat()
}

/// Seal `snapshot` as link `id` under a fresh key: the key and the bytes
/// to upload (format byte, 12-byte nonce, ciphertext).
///
/// # Errors
/// No randomness, or the snapshot does not serialise.
pub fn seal(snapshot: &Snapshot, id: &str) -> Result<(Zeroizing<[u8; 32]>, Vec<u8>), SyncError> {
    let local = |e: String| SyncError::Refused(e);
    let mut key = Zeroizing::new([0u8; 32]);
    let mut nonce = [0u8; 12];
    getrandom::getrandom(key.as_mut_slice()).map_err(|e| local(format!("no randomness: {e}")))?;
    getrandom::getrandom(&mut nonce).map_err(|e| local(format!("no randomness: {e}")))?;
    let plaintext = Zeroizing::new(serde_json::to_vec(snapshot).map_err(|e| local(e.to_string()))?);
    let cipher = Aes256Gcm::new_from_slice(key.as_slice()).map_err(|e| local(e.to_string()))?;
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: &plaintext, aad: &bound(id) })
        .map_err(|_| local("the copy could not be sealed".to_owned()))?;
    Ok((key, [&[FORMAT][..], &nonce, &sealed].concat()))
}

/// Open the bytes of link `id` with `key`.
///
/// # Errors
/// [`ShareError::Damaged`] when they do not open (or do not read as a copy).
pub fn open(bytes: &[u8], id: &str, key: &[u8; 32]) -> Result<Snapshot, ShareError> {
    let (&format, rest) = bytes.split_first().ok_or(ShareError::Damaged)?;
    if format != FORMAT || rest.len() < 12 {
        return Err(ShareError::Damaged);
    }
    let (nonce, sealed) = rest.split_at(12);
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| ShareError::Damaged)?;
    let plaintext = cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: &bound(id) })
        .map(Zeroizing::new)
        .map_err(|_| ShareError::Damaged)?;
    serde_json::from_slice(&plaintext).map_err(|_| ShareError::Damaged)
}

/// The link to copy: `server` (no trailing slash) with the id and key in
/// the fragment.
#[must_use]
pub fn link(server: &str, id: &str, key: &[u8; 32]) -> String {
    format!("{}/#share={id}.{}", server.trim_end_matches('/'), URL_SAFE_NO_PAD.encode(key))
}

/// What a link's fragment names: the copy and its key.
pub struct LinkParts {
    /// The link's id on the server.
    pub id: String,
    /// The key that opens it.
    pub key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for LinkParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkParts").field("id", &self.id).finish_non_exhaustive()
    }
}

/// The id and key in a link's fragment (with or without its `#`); `None`
/// when the fragment is not a share (a page opened normally), and
/// [`ShareError::Malformed`] inside for a share fragment cut or damaged.
#[must_use]
pub fn parse_fragment(fragment: &str) -> Option<Result<LinkParts, ShareError>> {
    let rest = fragment.strip_prefix('#').unwrap_or(fragment).strip_prefix("share=")?;
    let parsed = (|| {
        let (id, key) = rest.split_once('.')?;
        if !pakchat_protocol::valid_share_id(id) {
            return None;
        }
        let bytes = Zeroizing::new(URL_SAFE_NO_PAD.decode(key.trim_end_matches('=')).ok()?);
        let key: [u8; 32] = bytes.as_slice().try_into().ok()?;
        Some(LinkParts { id: id.to_owned(), key: Zeroizing::new(key) })
    })();
    Some(parsed.ok_or(ShareError::Malformed))
}

/// The sealed bytes of link `id` at `server`, whoever asks (no session).
///
/// # Errors
/// Revoked, expired, unknown, or the server unreachable.
pub async fn fetch(http: &reqwest::Client, server: &str, id: &str) -> Result<Vec<u8>, ShareError> {
    let url = format!("{}/v1/shares/{id}", server.trim_end_matches('/'));
    let response = http.get(url).send().await.map_err(|e| ShareError::Unreachable(e.without_url().to_string()))?;
    let status = response.status().as_u16();
    match status {
        200 => {
            let bytes = response.bytes().await.map_err(|e| ShareError::Unreachable(e.without_url().to_string()))?;
            Ok(bytes.to_vec())
        }
        404 => Err(ShareError::NotFound),
        410 => {
            let body: Option<pakchat_protocol::ErrorBody> = response.json().await.ok();
            if body.is_some_and(|b| b.error == "expired") { Err(ShareError::Expired) } else { Err(ShareError::Revoked) }
        }
        _ => Err(ShareError::Unreachable(format!("the server answered HTTP {status}"))),
    }
}

impl Server {
    /// Upload a sealed copy as link `id`, expiring at `expires_ms` if given.
    ///
    /// # Errors
    /// See [`SyncError`]; an id already taken is refused.
    pub async fn put_share(&self, id: &str, sealed: Vec<u8>, expires_ms: Option<i64>) -> Result<ShareInfo, SyncError> {
        let mut url = format!("{}/v1/shares/{id}", self.base);
        if let Some(at) = expires_ms {
            url.push_str(&format!("?expires_ms={at}"));
        }
        let request = self.http.put(url).header("content-type", "application/octet-stream").body(sealed);
        let response = self.send(request).await?;
        if response.status().as_u16() == 409 {
            return Err(SyncError::Refused("that link id is taken; try again".to_owned()));
        }
        response.json().await.map_err(|e| SyncError::Refused(format!("an answer not understood: {e}")))
    }

    /// This account's links, newest first (revoked and expired included).
    ///
    /// # Errors
    /// See [`SyncError`].
    pub async fn shares(&self) -> Result<Vec<ShareInfo>, SyncError> {
        let response = self.send(self.http.get(format!("{}/v1/shares", self.base))).await?;
        let list: ShareList =
            response.json().await.map_err(|e| SyncError::Refused(format!("an answer not understood: {e}")))?;
        Ok(list.shares)
    }

    /// Revoke link `id` (its copy is deleted); false when the account has
    /// no such link.
    ///
    /// # Errors
    /// See [`SyncError`].
    pub async fn revoke_share(&self, id: &str) -> Result<bool, SyncError> {
        if !pakchat_protocol::valid_share_id(id) {
            return Err(SyncError::Refused(format!("{id:?} is not a link id")));
        }
        let response = self.send(self.http.delete(format!("{}/v1/shares/{id}", self.base))).await?;
        Ok(response.status().as_u16() != 404)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        Snapshot {
            title: "Harbour plans".to_owned(),
            shared_ms: 1,
            messages: vec![SharedMessage {
                role: Role::User,
                model: None,
                content: "Meet at nine".to_owned(),
                files: 0,
            }],
        }
    }

    #[test]
    fn a_sealed_copy_opens_with_its_key_under_its_id_only() {
        let id = new_id().unwrap();
        let (key, bytes) = seal(&snapshot(), &id).unwrap();
        assert_eq!(open(&bytes, &id, &key).unwrap(), snapshot());
        assert!(!bytes.windows(12).any(|w| w == b"Meet at nine"), "sealed, not plain");
        // Served under another id, with another key, or damaged: refused.
        assert_eq!(open(&bytes, &new_id().unwrap(), &key), Err(ShareError::Damaged));
        assert_eq!(open(&bytes, &id, &[7; 32]), Err(ShareError::Damaged));
        let mut bad = bytes.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert_eq!(open(&bad, &id, &key), Err(ShareError::Damaged));
        assert_eq!(open(&[], &id, &key), Err(ShareError::Damaged));
    }

    #[test]
    fn a_link_carries_id_and_key_in_its_fragment_and_parses_back() {
        let id = new_id().unwrap();
        let key = [9u8; 32];
        let made = link("https://pak.example.org/", &id, &key);
        let (base, fragment) = made.split_once('#').unwrap();
        assert_eq!(base, "https://pak.example.org/");
        let parts = parse_fragment(fragment).unwrap().unwrap();
        assert_eq!((parts.id, *parts.key), (id.clone(), key));
        assert!(parse_fragment("").is_none(), "a page opened normally");
        assert!(parse_fragment("#settings").is_none());
        assert_eq!(parse_fragment(&format!("#share={id}")).unwrap().err(), Some(ShareError::Malformed));
        let cut = &fragment[..fragment.len() - 3];
        assert_eq!(parse_fragment(cut).unwrap().err(), Some(ShareError::Malformed));
        assert!(
            !format!("{parts:?}", parts = parse_fragment(fragment).unwrap().unwrap()).contains(&made[made.len() - 8..]),
            "no key in logs"
        );
    }
}
