//! Kiosk and shared-screen mode: Pak.Chat on a computer many people use.
//! The admin's [`config`] decides what is offered; each visitor gets a guest
//! session in memory under a throwaway key, wiped on "End session" or when
//! idle. This module turns the configuration into what a session starts
//! with: its settings, its API keys and the backend's limits.

pub mod config;
pub mod services;

pub use config::{ConfigError, KioskConfig, Language, hash_pin};
pub use services::KioskServices;

use crate::Lockdown;
use crate::domain::{CatalogModel, ModelChoice, ProviderConfig, Settings};

/// The settings a guest session starts with: only the configured providers
/// (with their base URLs, never reading keys from the environment), the
/// offered models, the first of them chosen, personal information hidden.
#[must_use]
pub fn session_settings(config: &KioskConfig) -> Settings {
    let catalog = crate::domain::shipped_catalog().unwrap_or_default();
    let providers = ProviderConfig::presets()
        .into_iter()
        .map(|mut p| {
            let offered = config.providers.iter().find(|k| k.id == p.id);
            p.enabled = offered.is_some();
            p.env_key = None;
            if let Some(url) = offered.and_then(|k| k.base_url.clone()) {
                p.base_url = url;
            }
            p
        })
        .collect();
    let custom_models = config
        .models()
        .into_iter()
        .filter(|m| !catalog.iter().any(|c| c.provider == m.provider && c.id == m.model))
        .map(|m| CatalogModel::custom(&m.provider, &m.model))
        .collect();
    Settings {
        providers,
        custom_models,
        default_model: config.models().into_iter().next(),
        hide_personal: true,
        text_scale: config.text_scale,
        ..Settings::default()
    }
}

/// The API keys a guest session is given, by provider id.
#[must_use]
pub fn session_keys(config: &KioskConfig) -> Vec<(String, zeroize::Zeroizing<String>)> {
    config.providers.iter().filter_map(|p| Some((p.id.clone(), p.api_key.clone()?))).collect()
}

/// What the backend of a guest session refuses.
#[must_use]
pub fn lockdown(config: &KioskConfig) -> Lockdown {
    Lockdown {
        guest: true,
        max_tokens: config.max_tokens,
        messages_per_session: config.messages_per_session,
        image_generation: config.image_generation,
        attachment_kinds: Some(config.attachments.clone()),
    }
}

/// How each guest session's backend is made: in memory (never a folder),
/// under a throwaway key, no keychain, file dialogs only when allowed, the
/// admin's limits.
#[must_use]
pub fn backend_config(config: &KioskConfig) -> crate::BackendConfig {
    use crate::{Argon2Params, BackendConfig, FilePicker, StoreLocation};
    BackendConfig {
        location: StoreLocation::Memory,
        key_file: None,
        argon2: Argon2Params::default(),
        use_keychain: false,
        retry: crate::providers::RetryPolicy::default(),
        picker: if config.allow_file_dialogs { FilePicker::System } else { FilePicker::Disabled },
        lockdown: lockdown(config),
        browser: None,
    }
}

/// Whether `choice` is one of the models the kiosk offers.
#[must_use]
pub fn offers(config: &KioskConfig, choice: &ModelChoice) -> bool {
    config.models().contains(choice)
}
