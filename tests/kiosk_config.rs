//! A kiosk whose configuration is wrong refuses to start, naming the line
//! and the problem, and never falls back to an unlocked app: each case runs
//! the real binary, which must exit with status 2 before opening a window.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

/// A valid PIN hash (of "2468"), made once.
fn pin_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| pakchat::kiosk::hash_pin("2468").unwrap()).clone()
}

/// A configuration that starts, with `extra` lines appended to `[kiosk]`
/// and `providers` as the provider tables.
fn config(kiosk_extra: &str, rest: &str) -> String {
    format!("[kiosk]\nadmin_pin_hash = \"{}\"\n{kiosk_extra}\n{rest}", pin_hash())
}

const OLLAMA: &str = "[[provider]]\nid = \"ollama\"\nmodels = [\"llama3.2\"]\n";

/// Run `pakchat --kiosk-config` on `text` (written in `dir`); the message it
/// refused with.
fn refusal(dir: &Path, text: &str) -> String {
    let path = dir.join("kiosk.toml");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pakchat"))
        .arg("--kiosk-config")
        .arg(&path)
        .env("DISPLAY", ":nowhere")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "must refuse, not start: {stderr}");
    assert!(stderr.contains("kiosk mode refused to start"), "{stderr}");
    stderr
}

fn assert_names(stderr: &str, line: usize, problem: &str) {
    assert!(stderr.contains(&format!("kiosk.toml, line {line}: ")), "line {line} not named: {stderr}");
    assert!(stderr.contains(problem), "{problem:?} not named: {stderr}");
}

#[test]
fn an_unknown_key_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = refusal(dir.path(), &config("idle_timout_seconds = 60", OLLAMA));
    assert_names(&stderr, 3, "unknown field `idle_timout_seconds`");
}

#[test]
fn a_value_of_the_wrong_type_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = refusal(dir.path(), &config("idle_timeout_seconds = \"soon\"", OLLAMA));
    assert_names(&stderr, 3, "invalid type: string \"soon\", expected u64");
}

#[test]
fn a_missing_key_file_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let provider = "[[provider]]\nid = \"openai\"\napi_key_file = \"openai.key\"\nmodels = [\"gpt-4o-mini\"]\n";
    let stderr = refusal(dir.path(), &config("", provider));
    assert_names(&stderr, 6, "api_key_file openai.key: No such file or directory");
}

#[cfg(unix)]
#[test]
fn a_key_file_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("openai.key");
    std::fs::write(&key, "sk-kiosk\n").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let provider = "[[provider]]\nid = \"openai\"\napi_key_file = \"openai.key\"\nmodels = [\"gpt-4o-mini\"]\n";
    let stderr = refusal(dir.path(), &config("", provider));
    assert_names(&stderr, 6, "others can read it (mode 644); run chmod 600 on it");
}

#[test]
fn a_pin_hash_that_is_not_argon2_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("[kiosk]\nadmin_pin_hash = \"1234\"\n{OLLAMA}");
    let stderr = refusal(dir.path(), &text);
    assert_names(&stderr, 2, "admin_pin_hash is not an Argon2 hash");
}

#[test]
fn a_pin_hash_of_another_argon2_variant_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let argon2i = pin_hash().replace("$argon2id$", "$argon2i$");
    let text = format!("[kiosk]\nadmin_pin_hash = \"{argon2i}\"\n{OLLAMA}");
    let stderr = refusal(dir.path(), &text);
    assert_names(&stderr, 2, "admin_pin_hash uses argon2i, not argon2id");
}

#[test]
fn a_missing_pin_hash_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = refusal(dir.path(), &format!("[kiosk]\nlanguage = \"en\"\n{OLLAMA}"));
    assert!(stderr.contains("missing field `admin_pin_hash`"), "{stderr}");
}

#[test]
fn an_unknown_provider_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = refusal(dir.path(), &config("", "[[provider]]\nid = \"skynet\"\nmodels = [\"t-800\"]\n"));
    assert_names(&stderr, 5, "unknown provider \"skynet\"");
}

#[test]
fn a_provider_that_needs_a_key_without_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = refusal(dir.path(), &config("", "[[provider]]\nid = \"openai\"\nmodels = [\"gpt-4o-mini\"]\n"));
    assert_names(&stderr, 4, "provider \"openai\" needs api_key or api_key_file");
}

#[test]
fn no_provider_at_all_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = refusal(dir.path(), &config("", ""));
    assert!(stderr.contains("no [[provider]] is offered"), "{stderr}");
}

#[test]
fn an_idle_timeout_too_short_to_read_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = refusal(dir.path(), &config("idle_timeout_seconds = 5", OLLAMA));
    assert_names(&stderr, 3, "idle_timeout_seconds must be at least 30");
}

#[test]
fn an_unknown_attachment_kind_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = refusal(dir.path(), &config("", &format!("[limits]\nattachments = [\"image\", \"video\"]\n{OLLAMA}")));
    assert_names(&stderr, 5, "attachments: unknown kind \"video\"");
}

#[test]
fn a_logo_that_is_not_an_image_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("logo.png"), b"not really a picture").unwrap();
    let stderr = refusal(dir.path(), &config("logo = \"logo.png\"", OLLAMA));
    assert_names(&stderr, 3, "logo logo.png is not a PNG or JPEG image");
}

#[test]
fn broken_toml_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = refusal(dir.path(), &config("welcome_text = \"unclosed", OLLAMA));
    assert!(stderr.contains("kiosk.toml, line 3: "), "{stderr}");
}

#[test]
fn a_missing_configuration_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pakchat"))
        .arg("--kiosk-config")
        .arg(dir.path().join("nowhere.toml"))
        .env("DISPLAY", ":nowhere")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("nowhere.toml: No such file or directory"), "{stderr}");
}

#[test]
fn the_readme_example_configuration_is_accepted_as_written() {
    // The README's complete example (its PIN is 2468), with its files made real.
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("```toml\n# /etc/pakchat/kiosk.toml").expect("the README has a kiosk example") + 8;
    let example = &readme[start..start + readme[start..].find("```").unwrap()];
    let dir = tempfile::tempdir().unwrap();
    let example =
        example.replace("/etc/pakchat/openai.key", "openai.key").replace("/usr/share/pakchat/logo.png", "logo.png");
    let key = dir.path().join("openai.key");
    std::fs::write(&key, "sk-example\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let mut png = Vec::new();
    image::RgbImage::from_pixel(8, 8, image::Rgb([200, 30, 30]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    std::fs::write(dir.path().join("logo.png"), png).unwrap();
    let files = pakchat::kiosk::config::DiskFiles { base: dir.path().to_path_buf() };
    let config = pakchat::kiosk::config::parse(&example, "README example", &files).unwrap();
    assert!(config.pin_matches("2468") && !config.pin_matches("1357"));
    assert!(!config.models().is_empty());
}
