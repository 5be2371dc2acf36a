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
    /// Added by the user (an OpenAI-compatible endpoint); can be removed.
    #[serde(default)]
    pub custom: bool,
    /// Calls go through the signed-in account's Pak.Chat server (its
    /// relay) instead of straight to the provider: for a web page, which
    /// providers without CORS headers refuse. Written only when set, so
    /// settings and exports of everyone else read as before.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub relay: bool,
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
            custom: false,
            relay: false,
        }
    }

    /// A user-added OpenAI-compatible endpoint, with an id unlike any in
    /// `existing`. Its key is optional (sent when one is saved).
    #[must_use]
    pub fn custom_endpoint(name: &str, base_url: &str, existing: &[Self]) -> Self {
        let slug: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let base = format!("custom-{}", if slug.is_empty() { "endpoint" } else { &slug });
        let mut id = base.clone();
        let mut n = 2;
        while existing.iter().any(|p| p.id == id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        Self {
            id,
            name: name.trim().to_owned(),
            kind: ProviderKind::OpenAiCompatible,
            base_url: base_url.trim().trim_end_matches('/').to_owned(),
            enabled: true,
            env_key: None,
            needs_key: false,
            custom: true,
            relay: false,
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
    /// Cheap and quick: used for chores such as naming threads.
    #[serde(default)]
    pub cheap: bool,
}

impl CatalogModel {
    /// A model the user (or the kiosk admin) added by its id: named by it,
    /// abilities unknown.
    #[must_use]
    pub fn custom(provider: &str, id: &str) -> Self {
        Self {
            id: id.to_owned(),
            provider: provider.to_owned(),
            name: id.to_owned(),
            context_window: 0,
            capabilities: Capabilities::default(),
            cheap: false,
        }
    }
}

/// Whether `model` (its catalog entry, `None` for a model the user added,
/// whose abilities are unknown and left to the provider) of `provider` can
/// take a file of `kind`. Text is always inlined.
#[must_use]
pub fn accepts_file(model: Option<&CatalogModel>, provider: &ProviderConfig, kind: super::FileKind) -> bool {
    let vision = model.is_none_or(|m| m.capabilities.vision);
    match kind {
        super::FileKind::Text => true,
        k if k.is_image() => vision,
        // PDFs: Anthropic, Gemini and OpenAI itself read them natively.
        _ => {
            vision
                && (matches!(provider.kind, ProviderKind::Anthropic | ProviderKind::Gemini) || provider.id == "openai")
        }
    }
}

/// What to tell the user when `model_name` cannot take `kind`.
#[must_use]
pub fn refusal(model_name: &str, kind: super::FileKind) -> String {
    if kind.is_image() {
        format!(
            "{model_name} cannot read images. Choose a model that can (e.g. GPT-4o mini, Claude or Gemini), or remove the image."
        )
    } else {
        format!(
            "{model_name} cannot read PDFs here. Choose a Claude, Gemini or OpenAI vision model, or remove the PDF."
        )
    }
}

/// The model that names a thread talking to `current`: a cheap model of
/// the same provider (its key is known to work), else `current` itself.
#[must_use]
pub fn title_model<'a>(current: &ModelChoice, models: impl IntoIterator<Item = &'a CatalogModel>) -> ModelChoice {
    models
        .into_iter()
        .find(|m| m.cheap && m.provider == current.provider)
        .map_or_else(|| current.clone(), |m| ModelChoice { provider: m.provider.clone(), model: m.id.clone() })
}

/// The catalog shipped with the app (`assets/models.json`).
///
/// # Errors
/// Only if the shipped file is broken (a test guards it).
pub fn shipped_catalog() -> Result<Vec<CatalogModel>, serde_json::Error> {
    serde_json::from_str(include_str!("../../../assets/models.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_a_cheap_model_of_the_same_provider() {
        let catalog = shipped_catalog().unwrap();
        let choice = |p: &str, m: &str| ModelChoice { provider: p.to_owned(), model: m.to_owned() };
        assert_eq!(title_model(&choice("openai", "gpt-4o"), &catalog), choice("openai", "gpt-4o-mini"));
        assert_eq!(
            title_model(&choice("anthropic", "claude-sonnet-4-5"), &catalog),
            choice("anthropic", "claude-haiku-4-5")
        );
        // No cheap model known for the provider: the thread's own.
        assert_eq!(title_model(&choice("custom-x", "m"), &catalog), choice("custom-x", "m"));
    }

    #[test]
    fn models_say_which_files_they_take() {
        let catalog = shipped_catalog().unwrap();
        let presets = ProviderConfig::presets();
        let model = |id: &str| catalog.iter().find(|m| m.id == id);
        let provider = |id: &str| presets.iter().find(|p| p.id == id).unwrap();
        use crate::FileKind::{Jpeg, Pdf, Text};
        assert!(accepts_file(model("gpt-4o-mini"), provider("openai"), Jpeg));
        assert!(accepts_file(model("gpt-4o-mini"), provider("openai"), Pdf));
        assert!(!accepts_file(model("o3-mini"), provider("openai"), Jpeg), "no vision");
        assert!(accepts_file(model("o3-mini"), provider("openai"), Text));
        assert!(!accepts_file(model("llama3.2"), provider("ollama"), Jpeg));
        assert!(!accepts_file(model("openai/gpt-4o-mini"), provider("openrouter"), Pdf), "no PDFs through it");
        assert!(accepts_file(model("claude-haiku-4-5"), provider("anthropic"), Pdf));
        assert!(accepts_file(None, provider("lmstudio"), Jpeg), "a model of the user's own: the provider decides");
    }

    #[test]
    fn custom_endpoints_get_unique_ids() {
        let mut all = ProviderConfig::presets();
        let a = ProviderConfig::custom_endpoint("My vLLM box!", "http://10.0.0.2:8000/v1/", &all);
        assert_eq!((a.id.as_str(), a.base_url.as_str()), ("custom-my-vllm-box", "http://10.0.0.2:8000/v1"));
        all.push(a);
        let b = ProviderConfig::custom_endpoint("my vllm box", "http://x/v1", &all);
        assert_eq!(b.id, "custom-my-vllm-box-2");
        assert!(b.custom && !b.needs_key && b.kind == ProviderKind::OpenAiCompatible);
    }

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
