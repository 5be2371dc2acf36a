//! Provider configuration and the model catalog shipped in `assets/`.

use serde::{Deserialize, Serialize};

/// Which wire protocol an endpoint speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProviderKind {
    /// OpenAI chat completions and everything compatible (OpenRouter, Groq,
    /// LM Studio, Ollama's `/v1`, any base URL).
    OpenAiCompatible,
    /// Anthropic Messages.
    Anthropic,
    /// Google Gemini `streamGenerateContent`.
    Gemini,
    /// Ollama's native `/api/chat`.
    Ollama,
}

/// One configured provider (key kept apart, sealed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderConfig {
    /// Stable id, e.g. `openai`; also names its sealed key record.
    pub id: String,
    /// Shown to the user.
    pub name: String,
    /// Protocol.
    pub kind: ProviderKind,
    /// Base URL (editable, for proxies and local servers).
    pub base_url: String,
    /// Offered in the model picker.
    pub enabled: bool,
    /// Environment variable used when no key was entered in the app.
    pub env_key: Option<String>,
    /// Whether requests need a key at all (local servers do not).
    pub needs_key: bool,
}

impl ProviderConfig {
    fn preset(id: &str, name: &str, kind: ProviderKind, base_url: &str, env_key: Option<&str>) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            kind,
            base_url: base_url.to_owned(),
            enabled: true,
            env_key: env_key.map(str::to_owned),
            needs_key: env_key.is_some(),
        }
    }

    /// The providers a new profile starts with.
    #[must_use]
    pub fn presets() -> Vec<Self> {
        use ProviderKind::{Anthropic, Gemini, Ollama, OpenAiCompatible};
        vec![
            Self::preset("openai", "OpenAI", OpenAiCompatible, "https://api.openai.com/v1", Some("OPENAI_API_KEY")),
            Self::preset("anthropic", "Anthropic", Anthropic, "https://api.anthropic.com", Some("ANTHROPIC_API_KEY")),
            Self::preset(
                "gemini",
                "Google Gemini",
                Gemini,
                "https://generativelanguage.googleapis.com",
                Some("GEMINI_API_KEY"),
            ),
            Self::preset(
                "openrouter",
                "OpenRouter",
                OpenAiCompatible,
                "https://openrouter.ai/api/v1",
                Some("OPENROUTER_API_KEY"),
            ),
            Self::preset("groq", "Groq", OpenAiCompatible, "https://api.groq.com/openai/v1", Some("GROQ_API_KEY")),
            Self::preset("ollama", "Ollama", Ollama, "http://127.0.0.1:11434", None),
            Self::preset("lmstudio", "LM Studio", OpenAiCompatible, "http://127.0.0.1:1234/v1", None),
        ]
    }
}

/// A provider and a model id: what a thread talks to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ModelChoice {
    /// [`ProviderConfig::id`].
    pub provider: String,
    /// The model id as the provider names it.
    pub model: String,
}

/// What a model can do.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Capabilities {
    /// Reads images.
    pub vision: bool,
    /// Makes images.
    pub image_generation: bool,
    /// Thinks before answering.
    pub reasoning: bool,
    /// Searches the web.
    pub web_search: bool,
}

/// One entry of the model catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogModel {
    /// Model id as the provider names it.
    pub id: String,
    /// [`ProviderConfig::id`].
    pub provider: String,
    /// Shown to the user.
    pub name: String,
    /// Context window in tokens.
    pub context_window: u32,
    /// What it can do.
    #[serde(default)]
    pub capabilities: Capabilities,
}

/// The catalog shipped with the app (`assets/models.json`).
///
/// # Errors
/// Only if the shipped file is broken (a test guards it).
pub fn shipped_catalog() -> Result<Vec<CatalogModel>, serde_json::Error> {
    serde_json::from_str(include_str!("../../assets/models.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalog_parses_and_names_known_providers() {
        let catalog = shipped_catalog().unwrap();
        let providers: Vec<String> = ProviderConfig::presets().into_iter().map(|p| p.id).collect();
        assert!(catalog.len() >= 8);
        for m in &catalog {
            assert!(providers.contains(&m.provider), "{} names unknown provider {}", m.id, m.provider);
        }
    }
}
