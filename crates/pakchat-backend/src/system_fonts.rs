//! The system's own fonts, for "System font" in the settings: the first
//! installed family of a list of the desktop fonts each platform uses, read
//! whole so the UI can hand the bytes to egui. Native only (a browser does
//! not give its fonts' files away); runs on the blocking pool.

use super::LoadedFont;

/// Sans-serif families, in order of preference: the desktops' interface
/// fonts first, then common ones.
#[cfg(not(target_arch = "wasm32"))]
const SANS: &[&str] = &[
    "Cantarell",
    "Noto Sans",
    "Ubuntu",
    "DejaVu Sans",
    "Liberation Sans",
    "Segoe UI",
    "Helvetica Neue",
    "Helvetica",
    "Arial",
];
/// Monospace families, likewise.
#[cfg(not(target_arch = "wasm32"))]
const MONO: &[&str] = &[
    "Noto Sans Mono",
    "Ubuntu Mono",
    "DejaVu Sans Mono",
    "Liberation Mono",
    "Cascadia Mono",
    "Consolas",
    "Menlo",
    "SF Mono",
    "Courier New",
];

/// The system's sans-serif and monospace fonts, each `None` when none of
/// the known families is installed or its file cannot be read.
#[cfg(not(target_arch = "wasm32"))]
pub(super) fn find() -> (Option<LoadedFont>, Option<LoadedFont>) {
    let mut db = fontdb::Database::new();
    db.load_system_fonts();
    let pick = |families: &[&str]| {
        families.iter().find_map(|family| {
            let query = fontdb::Query {
                families: &[fontdb::Family::Name(family)],
                weight: fontdb::Weight::NORMAL,
                stretch: fontdb::Stretch::Normal,
                style: fontdb::Style::Normal,
            };
            let id = db.query(&query)?;
            let (source, index) = db.face_source(id)?;
            let bytes = match source {
                fontdb::Source::File(path) => std::fs::read(&path)
                    .map_err(|e| tracing::warn!(err = %e, family, "a system font could not be read"))
                    .ok()?,
                fontdb::Source::Binary(data) => (*data).as_ref().to_vec(),
            };
            Some(LoadedFont { family: (*family).to_owned(), bytes: std::sync::Arc::new(bytes), index })
        })
    };
    let found = (pick(SANS), pick(MONO));
    tracing::info!(sans = ?found.0.as_ref().map(|f| &f.family), mono = ?found.1.as_ref().map(|f| &f.family), "system fonts");
    found
}

/// The web has no font files to read.
#[cfg(target_arch = "wasm32")]
pub(super) fn find() -> (Option<LoadedFont>, Option<LoadedFont>) {
    (None, None)
}
