//! The account's devices, as Settings → Account and `pakchat account
//! devices` show them: the server's list (which devices hold a session, and
//! when each was last seen) named from the sealed names the devices sync
//! ([`crate::store::Store::device_names`]); signing one out (a lost laptop);
//! renaming this one.
//!
//! A device names itself with its host name the first time it syncs
//! ([`ensure_named`]); the user can rename it from any of the two places
//! above.

use pakchat_core::{DeviceName, HlcClock};

use crate::event::{DeviceView, Event};
use crate::store::{SealedStore, Store, StoreError};

/// The longest name kept (characters).
pub const MAX_NAME_CHARS: usize = 64;

/// What this device is called until its user renames it: the host name
/// where there is one, else what it is.
#[must_use]
pub fn default_name() -> String {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let from_file = std::fs::read_to_string("/etc/hostname").ok();
        let from_env = || std::env::var("COMPUTERNAME").or_else(|_| std::env::var("HOSTNAME")).ok();
        let host = from_file.or_else(from_env).map(|h| h.trim().to_owned()).filter(|h| !h.is_empty());
        match (host, std::env::consts::OS) {
            (Some(host), _) => clean(&host),
            (None, "macos") => "Mac".to_owned(),
            (None, "windows") => "Windows PC".to_owned(),
            (None, _) => "Computer".to_owned(),
        }
    }
    #[cfg(target_arch = "wasm32")]
    {
        "Web browser".to_owned()
    }
}

/// `name` on one line, trimmed, at most [`MAX_NAME_CHARS`].
fn clean(name: &str) -> String {
    let one_line: String = name.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    one_line.trim().chars().take(MAX_NAME_CHARS).collect::<String>().trim_end().to_owned()
}

/// Give this device its default name if it has none yet (before a sync
/// round, so the name travels with it).
///
/// # Errors
/// The store failed.
pub fn ensure_named(store: &dyn Store) -> Result<(), StoreError> {
    let me = store.device_id();
    if store.device_names()?.iter().any(|n| n.device == me) {
        return Ok(());
    }
    let stamp = HlcClock::new(me).now();
    store.put_device_name(&DeviceName { device: me, name: default_name(), stamp })
}

/// Rename this device, as of `stamp` (it syncs at the next round).
///
/// # Errors
/// An empty name, or the store failed.
pub fn rename(store: &dyn Store, stamp: pakchat_core::Stamp, name: &str) -> Result<(), String> {
    let name = clean(name);
    if name.is_empty() {
        return Err("A device needs a name.".to_owned());
    }
    let me = store.device_id();
    store.put_device_name(&DeviceName { device: me, name, stamp }).map_err(|e| e.to_string())?;
    store.flush().map_err(|e| e.to_string())
}

/// The server of the account `store` is signed in to.
fn server(store: &dyn Store) -> Result<pakchat_sync::Server, String> {
    crate::account::session_server(store, "Sign in first: the devices are your account's.").map(|(server, _)| server)
}

/// The account's signed-in devices, most recently seen first, named.
///
/// # Errors
/// Not signed in, the server, or the store; in words for a person.
pub async fn list(store: &dyn Store) -> Result<Vec<DeviceView>, String> {
    let listed = server(store)?.devices().await.map_err(|e| format!("The devices could not be listed: {e}"))?;
    let names = store.device_names().map_err(|e| e.to_string())?;
    let me = store.device_id().0.to_string();
    Ok(listed
        .into_iter()
        .map(|d| {
            let named = names.iter().find(|n| n.device.0.to_string() == d.id).map(|n| n.name.clone());
            let name = match named {
                Some(name) => name,
                None if d.id == me => default_name(),
                None => "A device not synced yet".to_owned(),
            };
            DeviceView { current: d.current || d.id == me, name, last_seen_ms: d.last_seen_ms, id: d.id }
        })
        .collect())
}

/// Sign the device `id` out (its chats stay on it; it signs in again to
/// sync). This device signs out with Sign out, not here.
///
/// # Errors
/// This device, an unknown one, not signed in, or the server.
pub async fn remove(store: &dyn Store, id: &str) -> Result<(), String> {
    if id == store.device_id().0.to_string() {
        return Err("This is the device you are using: sign out instead.".to_owned());
    }
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(format!("{id:?} is not a device id."));
    }
    match server(store)?.remove_device(id).await {
        Ok(true) => Ok(()),
        Ok(false) => Err("No signed-in device of your account has that id.".to_owned()),
        Err(e) => Err(format!("The device was not signed out: {e}")),
    }
}

impl crate::actor::Actor {
    /// [`crate::Command::ListDevices`], [`crate::Command::RemoveDevice`] and
    /// [`crate::Command::RenameDevice`]: the work runs in the background and
    /// answers with [`Event::Devices`] (the list as it is afterwards, or why
    /// not).
    pub(crate) async fn handle_devices(&mut self, command: crate::Command) {
        let Some(store) = self.store.clone() else { return };
        let renamed = match &command {
            crate::Command::RenameDevice { name } => {
                let (stamp, name) = (self.clock.now(), name.clone());
                let written = self.with_store(move |s| Ok(rename(s, stamp, &name))).await;
                Some(written.unwrap_or_else(|e| Err(e.to_string())))
            }
            _ => None,
        };
        let events = self.events.clone();
        self.rt.spawn(async move {
            let store: &SealedStore = store.as_ref();
            let done = match (command, renamed) {
                (_, Some(Err(e))) => Err(e),
                (crate::Command::RemoveDevice { id }, _) => remove(store, &id).await,
                _ => Ok(()),
            };
            let listed = list(store).await;
            events.send(Event::Devices(done.and(listed)));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_trimmed_line_of_at_most_64_characters() {
        assert_eq!(clean("  ada-laptop\n"), "ada-laptop");
        assert_eq!(clean("two\nlines"), "two lines");
        assert_eq!(clean(&"x".repeat(100)).chars().count(), MAX_NAME_CHARS);
        assert_eq!(clean(" \t "), "");
        assert!(!default_name().is_empty());
    }
}
