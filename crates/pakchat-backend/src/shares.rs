//! Share links from the app ([`pakchat_sync::share`]): "Share link…"
//! copies the branch of a chat on screen (its messages' texts, who wrote
//! them; not their files), seals it with a fresh key and uploads it to the
//! account's server; the link (the key in its fragment) comes back in
//! [`Event::ShareMade`]. Settings → Account lists the account's links
//! ([`Event::Shares`]) and revokes them.
//!
//! A link is opened by [`open_link`] (the web build's viewer).
//!
//! The links made on this device are remembered in a sealed device note
//! ([`DeviceNote::Shares`]: each link's chat title and whole link), so the
//! list can name them and copy them again; a link made on another device
//! is listed without either (the server knows neither).

use std::collections::BTreeMap;

use pakchat_sync::share;
pub use pakchat_sync::share::{LinkParts, ShareError, SharedMessage, Snapshot, parse_fragment};
use serde::{Deserialize, Serialize};

use crate::domain::ThreadId;
use crate::event::Event;
use crate::store::{DeviceNote, MessageSlot, SealedStore, Store, StoreError};

/// How long a link lasts, in days, when the user picks one (None: until revoked).
pub const EXPIRY_CHOICES: [Option<u32>; 4] = [None, Some(1), Some(7), Some(30)];

/// One of the account's links, as Settings → Account lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareView {
    /// Its id (what [`crate::Command::RevokeShare`] takes).
    pub id: String,
    /// The chat's title, when the link was made on this device.
    pub title: Option<String>,
    /// The whole link, when it was made on this device.
    pub link: Option<String>,
    /// When it was made, Unix milliseconds.
    pub created_ms: i64,
    /// When it stops opening, if it does.
    pub expires_ms: Option<i64>,
    /// When its owner revoked it, if they did.
    pub revoked_ms: Option<i64>,
}

/// Fetch the copy `parts` names from `server` and open it (the web build's
/// viewer: no account, no profile).
///
/// # Errors
/// Revoked, expired, unknown, damaged, or the server unreachable.
pub async fn open_link(server: &str, parts: &LinkParts) -> Result<Snapshot, ShareError> {
    let http = reqwest::Client::new();
    let bytes = share::fetch(&http, server, &parts.id).await?;
    share::open(&bytes, &parts.id, &parts.key)
}

/// What this device remembers of a link it made.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Made {
    title: String,
    link: String,
}

/// Serialises changes to the device note (two links made at once).
static NOTE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn made(store: &dyn Store) -> BTreeMap<String, Made> {
    match store.device_note(DeviceNote::Shares) {
        Ok(Some(text)) => serde_json::from_str(&text).unwrap_or_default(),
        Ok(None) => BTreeMap::new(),
        Err(e) => {
            tracing::warn!(err = %e, "the links made here could not be read");
            BTreeMap::new()
        }
    }
}

fn remember(store: &dyn Store, id: &str, entry: Made) -> Result<(), String> {
    let _held = NOTE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut all = made(store);
    all.insert(id.to_owned(), entry);
    let text = serde_json::to_string(&all).map_err(|e| e.to_string())?;
    store.put_device_note(DeviceNote::Shares, Some(&text)).and_then(|()| store.flush()).map_err(|e| e.to_string())
}

/// The server of the account `store` is signed in to, and its address.
fn server(store: &dyn Store) -> Result<(pakchat_sync::Server, String), String> {
    crate::account::session_server(store, "Sign in to share links: Settings → Account.")
}

/// The copy of `thread`'s branch on screen (inner error: why there is
/// nothing to share, in words for a person).
///
/// # Errors
/// The store failed.
pub fn snapshot(s: &dyn Store, thread: ThreadId) -> Result<Result<Snapshot, String>, StoreError> {
    let Some(record) = s.thread(thread)? else { return Ok(Err("That chat is gone.".to_owned())) };
    let view = crate::history::View::load(s, thread)?;
    let rows = usize::try_from(view.path.len()).unwrap_or(usize::MAX);
    let (slots, _) = view.page(s, thread, 0, rows)?;
    let messages: Vec<SharedMessage> = slots
        .into_iter()
        .filter_map(|slot| match slot {
            MessageSlot::Ok(m) => {
                Some(SharedMessage { role: m.role, model: m.model, content: m.content, files: m.attachments.len() })
            }
            MessageSlot::Unreadable(_) => None,
        })
        .collect();
    if messages.is_empty() {
        return Ok(Err("There is nothing in this chat to share yet.".to_owned()));
    }
    Ok(Ok(Snapshot { title: record.title, shared_ms: pakchat_core::wall_millis(), messages }))
}

/// Seal and upload `copy` as a link lasting `days` (None: until revoked)
/// to the account's server; the link.
///
/// # Errors
/// Not signed in, too long, or the server refused; in words for a person.
pub async fn upload(store: &dyn Store, copy: &Snapshot, days: Option<u32>) -> Result<String, String> {
    let (server, base) = server(store)?;
    let id = share::new_id().map_err(|e| e.to_string())?;
    let (key, sealed) = share::seal(copy, &id).map_err(|e| e.to_string())?;
    if sealed.len() > pakchat_protocol::MAX_SHARE_BYTES {
        let mb = sealed.len().div_ceil(1024 * 1024);
        return Err(format!(
            "This chat is too long to share as one link ({mb} MB; at most {} MB).",
            pakchat_protocol::MAX_SHARE_BYTES / (1024 * 1024)
        ));
    }
    let now = i64::try_from(pakchat_core::wall_millis()).unwrap_or(i64::MAX);
    let expires = days.map(|d| now.saturating_add(i64::from(d) * 86_400_000));
    server.put_share(&id, sealed, expires).await.map_err(|e| format!("The link was not made: {e}"))?;
    let link = share::link(&base, &id, &key);
    let entry = Made { title: copy.title.clone(), link: link.clone() };
    if let Err(e) = remember(store, &id, entry) {
        tracing::warn!(err = %e, "a link made here could not be remembered");
    }
    Ok(link)
}

/// The account's links, newest first, named where this device made them.
///
/// # Errors
/// Not signed in, or the server; in words for a person.
pub async fn list(store: &dyn Store) -> Result<Vec<ShareView>, String> {
    let (server, _) = server(store)?;
    let listed = server.shares().await.map_err(|e| format!("Your links could not be listed: {e}"))?;
    let known = made(store);
    Ok(listed
        .into_iter()
        .map(|info| {
            let here = known.get(&info.id);
            ShareView {
                title: here.map(|m| m.title.clone()),
                link: here.map(|m| m.link.clone()),
                id: info.id,
                created_ms: info.created_ms,
                expires_ms: info.expires_ms,
                revoked_ms: info.revoked_ms,
            }
        })
        .collect())
}

/// Revoke the account's link `id`: it stops opening and the server drops
/// its copy.
///
/// # Errors
/// Not signed in, no such link, or the server; in words for a person.
pub async fn revoke(store: &dyn Store, id: &str) -> Result<(), String> {
    let (server, _) = server(store)?;
    match server.revoke_share(id).await {
        Ok(true) => Ok(()),
        Ok(false) => Err("Your account has no such link.".to_owned()),
        Err(e) => Err(format!("The link was not revoked: {e}")),
    }
}

impl crate::actor::Actor {
    /// [`crate::Command::ShareThread`], [`crate::Command::ListShares`] and
    /// [`crate::Command::RevokeShare`]: the work runs in the background and
    /// answers with [`Event::ShareMade`] or [`Event::Shares`].
    pub(crate) async fn handle_shares(&mut self, command: crate::Command) {
        let Some(store) = self.store.clone() else { return };
        let events = self.events.clone();
        match command {
            crate::Command::ShareThread { thread, days } => {
                let copy = self.with_store(move |s| snapshot(s, thread)).await;
                let copy = match copy {
                    Ok(Ok(copy)) => copy,
                    Ok(Err(why)) => return events.send(Event::ShareMade { thread, result: Err(why) }),
                    Err(e) => {
                        let why = format!("The chat could not be read: {e}");
                        return events.send(Event::ShareMade { thread, result: Err(why) });
                    }
                };
                self.rt.spawn(async move {
                    let store: &SealedStore = store.as_ref();
                    let result = upload(store, &copy, days).await;
                    events.send(Event::ShareMade { thread, result });
                });
            }
            crate::Command::RevokeShare { id } => {
                self.rt.spawn(async move {
                    let store: &SealedStore = store.as_ref();
                    let revoked = revoke(store, &id).await;
                    events.send(Event::Shares(revoked.and(list(store).await)));
                });
            }
            _ => {
                self.rt.spawn(async move {
                    let store: &SealedStore = store.as_ref();
                    events.send(Event::Shares(list(store).await));
                });
            }
        }
    }
}
