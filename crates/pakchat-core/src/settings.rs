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

/// The font of the interface text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum InterfaceFont {
    /// Inter, bundled (OFL).
    #[default]
    Inter,
    /// The system's sans-serif font, when one is found.
    System,
    /// egui's own font (Ubuntu Light).
    BuiltIn,
}

/// The font of code blocks and inline code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodeFont {
    /// JetBrains Mono, bundled (OFL).
    #[default]
    JetBrainsMono,
    /// The system's monospace font, when one is found.
    System,
    /// egui's own monospace font (Hack).
    BuiltIn,
}

/// Who the user is, as they told Pak.Chat (shown in the sidebar; never sent
/// anywhere unless written into the instructions).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Personal {
    /// Display name.
    pub name: String,
    /// E-mail address.
    pub email: String,
}

/// What the model should know about the user, sent before every chat.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomInstructions {
    /// What the model should call the user.
    pub call_me: String,
    /// What the user does.
    pub occupation: String,
    /// Traits the model should have ("direct, no flattery").
    pub traits: String,
    /// Anything else.
    pub other: String,
}

impl CustomInstructions {
    /// Nothing filled in.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        [&self.call_me, &self.occupation, &self.traits, &self.other].iter().all(|s| s.trim().is_empty())
    }
}

/// A named system prompt with an icon, chosen per thread.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomMode {
    /// Stable id (a UUID), what threads refer to.
    pub id: String,
    /// Name shown in the picker.
    pub name: String,
    /// One emoji or symbol.
    pub icon: String,
    /// The instructions it adds.
    pub prompt: String,
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
    /// Font of the interface.
    pub interface_font: InterfaceFont,
    /// Font of code.
    pub code_font: CodeFont,
    /// The user's name and e-mail.
    pub personal: Personal,
    /// Hide (not just blur) the name, e-mail and avatar everywhere.
    pub hide_personal: bool,
    /// A slim bar beside the chat with a mark per message of the user.
    pub show_nav_bar: bool,
    /// What every chat's model is told about the user.
    pub instructions: CustomInstructions,
    /// Named system prompts to choose per thread.
    pub modes: Vec<CustomMode>,
    /// The Pak.Chat server this device signs in to (empty: none yet; left
    /// out of records and archives then, which keeps older ones equal).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub account_server: String,
    /// Send the providers' API keys to the account's other devices
    /// (end-to-end encrypted like everything synced). `None`, off, until
    /// the user chooses: left out of records and archives then, which keeps
    /// older ones equal; once chosen, the choice itself syncs both ways.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_api_keys: Option<bool>,
    /// Download every synced file as it arrives, not only when it is shown
    /// or sent (this device only; off by default, and then left out of
    /// records and archives).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub keep_files_offline: bool,
    /// Last-writer-wins version stamp (`None` until first saved).
    pub stamp: Option<Stamp>,
}

impl Settings {
    /// The mode of this id, if it still exists.
    #[must_use]
    pub fn mode(&self, id: &str) -> Option<&CustomMode> {
        self.modes.iter().find(|m| m.id == id)
    }

    /// Whether the user chose to sync API keys.
    #[must_use]
    pub fn syncs_api_keys(&self) -> bool {
        self.sync_api_keys == Some(true)
    }

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
            interface_font: InterfaceFont::default(),
            code_font: CodeFont::default(),
            personal: Personal::default(),
            hide_personal: false,
            show_nav_bar: false,
            instructions: CustomInstructions::default(),
            modes: Vec::new(),
            account_server: String::new(),
            sync_api_keys: None,
            keep_files_offline: false,
            stamp: None,
        }
    }
}
