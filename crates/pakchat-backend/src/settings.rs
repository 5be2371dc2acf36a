//! Settings and API keys: saving the settings (taken back in the UI when
//! they cannot be stored), storing or forgetting a provider's key, where
//! each key comes from (stored, the environment, missing), and the
//! system's fonts for the "System font" choice.

use zeroize::Zeroizing;

use super::actor::{Actor, misrouted};
use super::event::{KeyInfo, KeyOrigin};
use super::{Command, Event};
use crate::domain::{ProviderConfig, Settings};
use crate::store::{Store, StoreError};

/// A provider's key from its environment variable, if it names one that
/// is set (never in a browser).
#[cfg_attr(target_arch = "wasm32", expect(unused_variables, reason = "a browser has no environment"))]
fn env_key(provider: &ProviderConfig) -> Option<Zeroizing<String>> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let var = provider.env_key.as_deref()?;
        std::env::var(var).ok().filter(|v| !v.trim().is_empty()).map(Zeroizing::new)
    }
    #[cfg(target_arch = "wasm32")]
    None
}

impl Actor {
    /// The commands of the settings and keys windows.
    pub(super) async fn handle_settings(&mut self, command: Command) {
        match command {
            Command::SaveSettings { settings, revision } => self.save_settings(settings, revision).await,
            Command::SetApiKey { provider, key } => self.set_api_key(provider, key).await,
            Command::LoadSystemFonts => {
                let (rt, events) = (self.rt.clone(), self.events.clone());
                self.rt.spawn(async move {
                    let (sans, mono) = rt.blocking(super::system_fonts::find).await;
                    events.send(Event::SystemFonts { sans, mono });
                });
            }
            _ => misrouted("settings"),
        }
    }

    /// Store the settings the UI changed and echo them with `revision`; when
    /// they cannot be stored, echo the ones in force so the UI takes the
    /// change back.
    async fn save_settings(&mut self, mut settings: Settings, revision: u64) {
        settings.stamp = Some(self.clock.now());
        let saved = settings.clone();
        match self.with_store(move |s| s.put_settings(&saved).and_then(|()| s.flush())).await {
            Ok(()) => {
                // Key status depends on the providers only; a typed
                // instruction need not re-read every key.
                let providers_changed = self.replies.settings.providers != settings.providers;
                let fetch_files = settings.keep_files_offline && !self.replies.settings.keep_files_offline;
                self.replies.settings = settings.clone();
                if fetch_files {
                    // Every synced file comes down in the round this starts.
                    self.nudge_sync(crate::syncing::Nudge::Now);
                }
                self.events.send(Event::SettingsLoaded { settings, revision });
                if providers_changed {
                    self.send_key_status().await;
                }
            }
            Err(e) => {
                self.events.send(Event::Error { thread: None, message: format!("Settings could not be saved: {e}") });
                // The UI showed the change already: take it back.
                let settings = self.replies.settings.clone();
                self.events.send(Event::SettingsLoaded { settings, revision });
            }
        }
    }

    /// Store (or with `None`, forget) a provider's key, trimmed; an empty
    /// key is forgotten.
    async fn set_api_key(&mut self, provider: String, key: Option<Zeroizing<String>>) {
        let trimmed = key.map(|k| Zeroizing::new(k.trim().to_owned())).filter(|k| !k.is_empty());
        let stamp = self.clock.now();
        let result = self
            .with_store(move |s| {
                s.put_api_key(&provider, trimmed.as_deref().map(String::as_str), stamp).and_then(|()| s.flush())
            })
            .await;
        match result {
            Ok(()) => self.send_key_status().await,
            Err(e) => {
                self.events
                    .send(Event::Error { thread: None, message: format!("The API key could not be saved: {e}") });
            }
        }
    }

    /// Read the settings and tell the UI (after unlocking, after an import
    /// that brought settings).
    pub(super) async fn reload_settings(&mut self) {
        match self.with_store(Store::settings).await {
            Ok(settings) => {
                self.replies.settings = settings.clone();
                self.events.send(Event::SettingsLoaded { settings, revision: 0 });
                self.send_key_status().await;
            }
            Err(e) => self.events.send(Event::Error {
                thread: None,
                message: format!("Your settings could not be read ({e}); using defaults."),
            }),
        }
    }

    /// Tell the UI where each provider's key comes from.
    pub(super) async fn send_key_status(&self) {
        let providers = self.replies.settings.providers.clone();
        let stored = self
            .with_store(move |s| {
                providers
                    .iter()
                    .map(|p| Ok((p.clone(), s.api_key(&p.id)?.is_some())))
                    .collect::<Result<Vec<_>, StoreError>>()
            })
            .await;
        match stored {
            Ok(list) => {
                let infos = list
                    .into_iter()
                    .map(|(p, has_stored)| {
                        let origin = if has_stored {
                            KeyOrigin::Stored
                        } else if let (Some(var), Some(_)) = (&p.env_key, env_key(&p)) {
                            KeyOrigin::Environment(var.clone())
                        } else if p.needs_key {
                            KeyOrigin::Missing
                        } else {
                            KeyOrigin::NotNeeded
                        };
                        KeyInfo { provider: p.id, origin }
                    })
                    .collect();
                self.events.send(Event::KeyStatus(infos));
            }
            Err(e) => {
                self.events.send(Event::Error { thread: None, message: format!("Could not read your API keys: {e}") });
            }
        }
    }

    /// The key of `provider`: stored, else from its environment variable.
    pub(super) async fn key_of(&self, provider: &ProviderConfig) -> Option<Zeroizing<String>> {
        let pid = provider.id.clone();
        let stored = self.with_store(move |s| s.api_key(&pid)).await.ok().flatten();
        stored.or_else(|| env_key(provider))
    }

    /// The relay `provider`'s calls go through, when it is set to (a web
    /// page's choice: the desktop calls providers itself): the signed-in
    /// account's server and session; why not when not signed in.
    pub(super) async fn relay_for(&self, provider: &ProviderConfig) -> Result<Option<crate::providers::Relay>, String> {
        if !provider.relay || !cfg!(target_arch = "wasm32") {
            return Ok(None);
        }
        let account = self.with_store(crate::store::Store::account).await.ok().flatten().filter(|a| !a.expired);
        let account = account.ok_or_else(|| {
            format!(
                "{} is set to go through your Pak.Chat server: sign in first, or turn that off in API keys.",
                provider.name
            )
        })?;
        Ok(Some(crate::providers::Relay { server: account.server, token: zeroize::Zeroizing::new(account.token) }))
    }
}
