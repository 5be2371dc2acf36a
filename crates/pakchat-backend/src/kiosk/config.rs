//! The admin's kiosk configuration (TOML): what a shared computer offers and
//! allows. Every problem stops the start with the line it is on and what is
//! wrong; nothing is guessed, and a kiosk never starts unlocked because its
//! configuration could not be read.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;
use zeroize::Zeroizing;

use crate::domain::{FileKind, ModelChoice};

/// Where the system-wide kiosk configuration lives; its presence alone
/// starts Pak.Chat in kiosk mode.
pub const SYSTEM_CONFIG: &str = "/etc/pakchat/kiosk.toml";

/// Shortest idle timeout an admin may set (a visitor must have time to read).
pub const MIN_IDLE_SECONDS: u64 = 30;

/// Why a kiosk configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct ConfigError {
    /// The configuration file.
    pub file: String,
    /// The line the problem is on, when it is on one.
    pub line: Option<usize>,
    /// What is wrong, for the admin.
    pub message: String,
}

/// Languages the welcome screen speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English.
    #[default]
    En,
    /// German.
    De,
    /// French.
    Fr,
    /// Spanish.
    Es,
}

/// One provider a kiosk offers.
#[derive(Clone, PartialEq, Eq)]
pub struct KioskProvider {
    /// A preset's id: `openai`, `anthropic`, `gemini`, `openrouter`, `groq`,
    /// `ollama`, `lmstudio`.
    pub id: String,
    /// Its key (from the file or from `api_key_file`), if it needs one.
    pub api_key: Option<Zeroizing<String>>,
    /// Another base URL (a proxy, a local server).
    pub base_url: Option<String>,
    /// The model ids offered, in order.
    pub models: Vec<String>,
}

impl std::fmt::Debug for KioskProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KioskProvider")
            .field("id", &self.id)
            .field("api_key", &self.api_key.as_ref().map(|_| "<hidden>"))
            .field("base_url", &self.base_url)
            .field("models", &self.models)
            .finish()
    }
}

/// A checked kiosk configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct KioskConfig {
    /// The admin PIN's Argon2id hash (PHC string).
    pub admin_pin_hash: String,
    /// A session with no input for this long is wiped.
    pub idle_timeout: std::time::Duration,
    /// The countdown is shown for this long before the wipe.
    pub idle_warning: std::time::Duration,
    /// Language of the welcome screen.
    pub language: Language,
    /// The admin's welcome text (shown above the start button).
    pub welcome_text: Option<String>,
    /// The logo's encoded bytes (PNG or JPEG), checked to decode.
    pub logo: Option<Vec<u8>>,
    /// Text size.
    pub text_scale: f32,
    /// The high-contrast theme.
    pub high_contrast: bool,
    /// Whether file dialogs (attach, save) may open.
    pub allow_file_dialogs: bool,
    /// Whether anything may be copied to the clipboard.
    pub allow_clipboard: bool,
    /// Whether links open the browser.
    pub allow_links: bool,
    /// Most messages a visitor may send in one session.
    pub messages_per_session: Option<u32>,
    /// Reply length cap.
    pub max_tokens: Option<u32>,
    /// File kinds a visitor may attach (empty: none).
    pub attachments: Vec<FileKind>,
    /// Whether image mode is offered.
    pub image_generation: bool,
    /// The providers and models offered, in order.
    pub providers: Vec<KioskProvider>,
}

impl KioskConfig {
    /// Every model offered, in order.
    #[must_use]
    pub fn models(&self) -> Vec<ModelChoice> {
        self.providers
            .iter()
            .flat_map(|p| p.models.iter().map(|m| ModelChoice { provider: p.id.clone(), model: m.clone() }))
            .collect()
    }

    /// Whether `pin` is the admin PIN.
    #[must_use]
    pub fn pin_matches(&self, pin: &str) -> bool {
        use argon2::PasswordVerifier as _;
        argon2::PasswordHash::new(&self.admin_pin_hash)
            .is_ok_and(|hash| argon2::Argon2::default().verify_password(pin.as_bytes(), &hash).is_ok())
    }
}

/// The Argon2id hash (PHC string) of `pin`, for `admin_pin_hash`.
///
/// # Errors
/// The PIN is shorter than 4 characters, or no randomness for the salt.
pub fn hash_pin(pin: &str) -> Result<String, String> {
    use argon2::PasswordHasher as _;
    if pin.chars().count() < 4 {
        return Err("a PIN needs at least 4 characters".to_owned());
    }
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| e.to_string())?;
    let salt = argon2::password_hash::SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon2::Argon2::default().hash_password(pin.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    kiosk: Spanned<KioskSection>,
    #[serde(default)]
    limits: LimitsSection,
    #[serde(default)]
    provider: Vec<Spanned<ProviderSection>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KioskSection {
    admin_pin_hash: Spanned<String>,
    #[serde(default)]
    idle_timeout_seconds: Option<Spanned<u64>>,
    #[serde(default)]
    idle_warning_seconds: Option<Spanned<u64>>,
    #[serde(default)]
    language: Language,
    #[serde(default)]
    welcome_text: Option<String>,
    #[serde(default)]
    logo: Option<Spanned<PathBuf>>,
    #[serde(default)]
    text_scale: Option<Spanned<f64>>,
    #[serde(default)]
    high_contrast: bool,
    #[serde(default)]
    allow_file_dialogs: bool,
    #[serde(default)]
    allow_clipboard: bool,
    #[serde(default)]
    allow_links: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LimitsSection {
    #[serde(default)]
    messages_per_session: Option<Spanned<u32>>,
    #[serde(default)]
    max_tokens: Option<Spanned<u32>>,
    #[serde(default)]
    attachments: Vec<Spanned<String>>,
    #[serde(default)]
    image_generation: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderSection {
    id: Spanned<String>,
    #[serde(default)]
    api_key: Option<String>,
    #[serde(default)]
    api_key_file: Option<Spanned<PathBuf>>,
    #[serde(default)]
    base_url: Option<Spanned<String>>,
    models: Spanned<Vec<String>>,
}

/// The line (from 1) of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes().iter().take(offset).filter(|&&b| b == b'\n').count() + 1
}

/// Reads the files a configuration names (key files, the logo); a fake in
/// tests, the file system in [`load`].
pub trait Files {
    /// The file's bytes, or why it cannot be used as a secret (missing,
    /// readable by others).
    ///
    /// # Errors
    /// The file cannot be used.
    fn secret(&self, path: &Path) -> Result<Vec<u8>, String>;
    /// The file's bytes.
    ///
    /// # Errors
    /// The file cannot be read.
    fn read(&self, path: &Path) -> Result<Vec<u8>, String>;
}

/// Check the configuration `text` from the file named `file`.
///
/// # Errors
/// The first problem found, with its line.
pub fn parse(text: &str, file: &str, files: &dyn Files) -> Result<KioskConfig, ConfigError> {
    let here = Locate { text, file };
    let raw: File = toml::from_str(text).map_err(|e| ConfigError {
        file: file.to_owned(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: e.message().trim().to_owned(),
    })?;
    let kiosk_span = raw.kiosk.span();
    let k = raw.kiosk.into_inner();
    check_pin_hash(&here, &k.admin_pin_hash)?;
    let (idle, warning) = idle_times(&here, &k, &kiosk_span)?;
    let text_scale = k.text_scale.as_ref().map_or(1.4, |s| *s.get_ref());
    if !(0.75..=3.0).contains(&text_scale) {
        let span = k.text_scale.as_ref().map_or(kiosk_span, Spanned::span);
        return Err(here.at(span, "text_scale must be between 0.75 and 3.0".to_owned()));
    }
    let logo = k.logo.as_ref().map(|path| read_logo(&here, files, path)).transpose()?;
    let l = raw.limits;
    let attachments = check_limits(&here, &l)?;
    let providers = check_providers(&here, files, raw.provider)?;
    Ok(KioskConfig {
        admin_pin_hash: k.admin_pin_hash.into_inner(),
        idle_timeout: std::time::Duration::from_secs(idle),
        idle_warning: std::time::Duration::from_secs(warning),
        language: k.language,
        welcome_text: k.welcome_text.filter(|t| !t.trim().is_empty()),
        logo,
        #[expect(clippy::cast_possible_truncation, reason = "checked to be between 0.75 and 3")]
        text_scale: text_scale as f32,
        high_contrast: k.high_contrast,
        allow_file_dialogs: k.allow_file_dialogs,
        allow_clipboard: k.allow_clipboard,
        allow_links: k.allow_links,
        messages_per_session: l.messages_per_session.map(Spanned::into_inner),
        max_tokens: l.max_tokens.map(Spanned::into_inner),
        attachments,
        image_generation: l.image_generation,
        providers,
    })
}

/// Where a problem is: turns a place in the configuration into an error
/// naming its file and line.
struct Locate<'a> {
    text: &'a str,
    file: &'a str,
}

impl Locate<'_> {
    /// A problem at `span`.
    fn at(&self, span: Range<usize>, message: String) -> ConfigError {
        ConfigError { file: self.file.to_owned(), line: Some(line_of(self.text, span.start)), message }
    }

    /// A problem with the file as a whole (something missing).
    fn whole(&self, message: String) -> ConfigError {
        ConfigError { file: self.file.to_owned(), line: None, message }
    }
}

/// The admin PIN's hash must be an Argon2id PHC string.
fn check_pin_hash(here: &Locate<'_>, hash: &Spanned<String>) -> Result<(), ConfigError> {
    let parsed = argon2::PasswordHash::new(hash.get_ref()).map_err(|e| {
        here.at(hash.span(), format!("admin_pin_hash is not an Argon2 hash ({e}); make one with `pakchat --hash-pin`"))
    })?;
    if parsed.algorithm.as_str() != "argon2id" {
        return Err(here.at(hash.span(), format!("admin_pin_hash uses {}, not argon2id", parsed.algorithm)));
    }
    Ok(())
}

/// The idle timeout and its warning, in seconds: the timeout at least
/// [`MIN_IDLE_SECONDS`], the warning shorter than it.
fn idle_times(here: &Locate<'_>, k: &KioskSection, kiosk_span: &Range<usize>) -> Result<(u64, u64), ConfigError> {
    let idle = k.idle_timeout_seconds.as_ref().map_or(180, |s| *s.get_ref());
    if idle < MIN_IDLE_SECONDS {
        let span = k.idle_timeout_seconds.as_ref().map_or(kiosk_span.clone(), Spanned::span);
        return Err(here.at(span, format!("idle_timeout_seconds must be at least {MIN_IDLE_SECONDS}")));
    }
    let warning = k.idle_warning_seconds.as_ref().map_or(30.min(idle / 2), |s| *s.get_ref());
    if warning == 0 || warning >= idle {
        let span = k.idle_warning_seconds.as_ref().map_or(kiosk_span.clone(), Spanned::span);
        return Err(here.at(span, "idle_warning_seconds must be above 0 and below idle_timeout_seconds".to_owned()));
    }
    Ok((idle, warning))
}

/// The logo's bytes, checked to be a PNG or JPEG that decodes.
fn read_logo(here: &Locate<'_>, files: &dyn Files, path: &Spanned<PathBuf>) -> Result<Vec<u8>, ConfigError> {
    let shown = path.get_ref().display();
    let bytes = files.read(path.get_ref()).map_err(|e| here.at(path.span(), format!("logo {shown}: {e}")))?;
    let format =
        image::guess_format(&bytes).ok().filter(|f| matches!(f, image::ImageFormat::Png | image::ImageFormat::Jpeg));
    if format.is_none() || image::load_from_memory(&bytes).is_err() {
        return Err(here.at(path.span(), format!("logo {shown} is not a PNG or JPEG image")));
    }
    Ok(bytes)
}

/// The `[limits]` section: the file kinds a visitor may attach, and no
/// limit of zero.
fn check_limits(here: &Locate<'_>, l: &LimitsSection) -> Result<Vec<FileKind>, ConfigError> {
    let mut attachments = Vec::new();
    for kind in &l.attachments {
        let kinds: &[FileKind] = match kind.get_ref().as_str() {
            "image" => &[FileKind::Png, FileKind::Jpeg, FileKind::WebP, FileKind::Gif],
            "pdf" => &[FileKind::Pdf],
            "text" => &[FileKind::Text],
            other => {
                return Err(here.at(
                    kind.span(),
                    format!("attachments: unknown kind \"{other}\" (use \"image\", \"pdf\", \"text\")"),
                ));
            }
        };
        attachments.extend_from_slice(kinds);
    }
    if let Some(m) = l.messages_per_session.as_ref().filter(|m| *m.get_ref() == 0) {
        return Err(here.at(m.span(), "messages_per_session must be at least 1 (leave it out for no limit)".to_owned()));
    }
    if let Some(m) = l.max_tokens.as_ref().filter(|m| *m.get_ref() == 0) {
        return Err(here.at(m.span(), "max_tokens must be at least 1 (leave it out for no limit)".to_owned()));
    }
    Ok(attachments)
}

/// The `[[provider]]` sections, in order: at least one, each a known
/// preset listed once.
fn check_providers(
    here: &Locate<'_>,
    files: &dyn Files,
    sections: Vec<Spanned<ProviderSection>>,
) -> Result<Vec<KioskProvider>, ConfigError> {
    if sections.is_empty() {
        return Err(
            here.whole("no [[provider]] is offered; a kiosk needs at least one provider with its models".to_owned())
        );
    }
    let presets = crate::domain::ProviderConfig::presets();
    let mut providers: Vec<KioskProvider> = Vec::new();
    for p in sections {
        let span = p.span();
        let p = p.into_inner();
        let id = p.id.get_ref().clone();
        let Some(preset) = presets.iter().find(|preset| preset.id == id) else {
            let known: Vec<&str> = presets.iter().map(|p| p.id.as_str()).collect();
            return Err(here.at(p.id.span(), format!("unknown provider \"{id}\" (one of: {})", known.join(", "))));
        };
        if providers.iter().any(|q| q.id == id) {
            return Err(here.at(p.id.span(), format!("provider \"{id}\" is listed twice")));
        }
        if p.models.get_ref().is_empty() || p.models.get_ref().iter().any(|m| m.trim().is_empty()) {
            return Err(here.at(p.models.span(), format!("provider \"{id}\" needs a list of model ids")));
        }
        let api_key = provider_key(here, files, &id, p.api_key, p.api_key_file.as_ref())?;
        if preset.needs_key && api_key.is_none() {
            return Err(here.at(span, format!("provider \"{id}\" needs api_key or api_key_file")));
        }
        let base_url = match p.base_url {
            Some(url) if !(url.get_ref().starts_with("https://") || url.get_ref().starts_with("http://")) => {
                return Err(here.at(url.span(), format!("base_url \"{}\" is not an http(s) address", url.get_ref())));
            }
            Some(url) => Some(url.into_inner().trim_end_matches('/').to_owned()),
            None => None,
        };
        providers.push(KioskProvider { id, api_key, base_url, models: p.models.into_inner() });
    }
    Ok(providers)
}

/// Provider `id`'s key: given in the file or read from `api_key_file`
/// (not both); `None` when neither gives one.
fn provider_key(
    here: &Locate<'_>,
    files: &dyn Files,
    id: &str,
    key: Option<String>,
    key_file: Option<&Spanned<PathBuf>>,
) -> Result<Option<Zeroizing<String>>, ConfigError> {
    let key = match (key, key_file) {
        (Some(_), Some(file)) => {
            return Err(here.at(file.span(), format!("provider \"{id}\": give api_key or api_key_file, not both")));
        }
        (Some(key), None) => Zeroizing::new(key.trim().to_owned()),
        (None, Some(file)) => {
            let shown = file.get_ref().display();
            let bytes =
                files.secret(file.get_ref()).map_err(|e| here.at(file.span(), format!("api_key_file {shown}: {e}")))?;
            let key = String::from_utf8(bytes)
                .map_err(|_| here.at(file.span(), format!("api_key_file {shown} is not text")))?;
            Zeroizing::new(key.trim().to_owned())
        }
        (None, None) => return Ok(None),
    };
    Ok(Some(key).filter(|k| !k.is_empty()))
}

/// The file system, for [`parse`]: relative paths are taken from the
/// configuration's folder; a secret must be readable by its owner only.
#[cfg(not(target_arch = "wasm32"))]
pub struct DiskFiles {
    /// The configuration file's folder.
    pub base: PathBuf,
}

#[cfg(not(target_arch = "wasm32"))]
impl Files for DiskFiles {
    fn secret(&self, path: &Path) -> Result<Vec<u8>, String> {
        let path = &self.base.join(path);
        let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(format!("others can read it (mode {mode:o}); run chmod 600 on it"));
            }
        }
        if !meta.is_file() {
            return Err("not a file".to_owned());
        }
        std::fs::read(path).map_err(|e| e.to_string())
    }

    fn read(&self, path: &Path) -> Result<Vec<u8>, String> {
        let path = &self.base.join(path);
        let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
        if size > 8 * 1024 * 1024 {
            return Err("larger than 8 MB".to_owned());
        }
        std::fs::read(path).map_err(|e| e.to_string())
    }
}

/// Read and check the configuration at `path`.
///
/// # Errors
/// The file cannot be read, or [`parse`] refuses it.
#[cfg(not(target_arch = "wasm32"))]
pub fn load(path: &Path) -> Result<KioskConfig, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: file.clone(),
        line: None,
        message: e.to_string(),
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse(&text, &file, &DiskFiles { base })
}
