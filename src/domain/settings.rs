//! User settings (stored sealed, one record per profile).

use serde::{Deserialize, Serialize};

use super::{CatalogModel, ModelChoice, ProviderConfig, Stamp};

/// Light, dark, or whatever the system says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThemePreference {
    /// Follow the operating system.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

/// Per-profile settings. New fields must have serde defaults so old records
/// still open.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Colour theme.
    pub theme: ThemePreference,
    /// Multiplier on the interface text size.
    pub text_scale: f32,
    /// Providers and their base URLs (keys are kept apart, sealed).
    pub providers: Vec<ProviderConfig>,
    /// The model new threads use.
    pub default_model: Option<ModelChoice>,
    /// Models the user added (beyond the shipped catalog).
    pub custom_models: Vec<CatalogModel>,
    /// Models starred in the picker, listed first.
    pub favourites: Vec<ModelChoice>,
    /// Largest attachment accepted, in MiB.
    pub max_attachment_mib: u64,
    /// Send photos to providers without their metadata (location included).
    pub strip_photo_metadata: bool,
    /// Last-writer-wins version stamp (`None` until first saved).
    pub stamp: Option<Stamp>,
}

impl Settings {
    /// The attachment size cap in bytes.
    #[must_use]
    pub fn max_attachment_bytes(&self) -> u64 {
        self.max_attachment_mib.clamp(1, 1024) * 1024 * 1024
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            theme: ThemePreference::System,
            text_scale: 1.0,
            providers: ProviderConfig::presets(),
            default_model: None,
            custom_models: Vec::new(),
            favourites: Vec::new(),
            max_attachment_mib: 30,
            strip_photo_metadata: true,
            stamp: None,
        }
    }
}
