//! The fonts egui draws with: the bundled Inter and JetBrains Mono (compiled
//! in, so the web build has them), the system's own fonts (their bytes read
//! by the backend, never on the UI thread), or egui's built-in Ubuntu Light
//! and Hack. The chosen font comes first in its family; egui's fonts stay
//! behind it as fallbacks for symbols and emoji.

use std::sync::Arc;

use egui::{FontData, FontDefinitions, FontFamily};

use crate::backend::LoadedFont;
use crate::domain::{CodeFont, InterfaceFont};

const INTER: &[u8] = include_bytes!("../../fonts/Inter-Regular.otf");
const JETBRAINS_MONO: &[u8] = include_bytes!("../../fonts/JetBrainsMono-Regular.ttf");

/// The system's fonts as far as the backend found them.
#[derive(Clone, Debug, Default)]
pub struct SystemFonts {
    /// Whether the backend has answered (so "not found" is known).
    pub loaded: bool,
    /// The sans-serif interface font.
    pub sans: Option<LoadedFont>,
    /// The monospace font.
    pub mono: Option<LoadedFont>,
}

/// What the fonts in use are called, for the settings and for tests.
#[must_use]
pub fn interface_font_name(choice: InterfaceFont, system: &SystemFonts) -> String {
    match choice {
        InterfaceFont::Inter => "Inter (bundled)".to_owned(),
        InterfaceFont::System => match (&system.sans, system.loaded) {
            (Some(f), _) => format!("System font ({})", f.family),
            (None, true) => "System font (none found; Inter is used)".to_owned(),
            (None, false) => "System font".to_owned(),
        },
        InterfaceFont::BuiltIn => "egui built-in (Ubuntu Light)".to_owned(),
    }
}

/// See [`interface_font_name`].
#[must_use]
pub fn code_font_name(choice: CodeFont, system: &SystemFonts) -> String {
    match choice {
        CodeFont::JetBrainsMono => "JetBrains Mono (bundled)".to_owned(),
        CodeFont::System => match (&system.mono, system.loaded) {
            (Some(f), _) => format!("System monospace ({})", f.family),
            (None, true) => "System monospace (none found; JetBrains Mono is used)".to_owned(),
            (None, false) => "System monospace".to_owned(),
        },
        CodeFont::BuiltIn => "egui built-in (Hack)".to_owned(),
    }
}

/// The definitions for these choices. A system font not (yet) found falls
/// back to the bundled one.
#[must_use]
pub fn font_definitions(interface: InterfaceFont, code: CodeFont, system: &SystemFonts) -> FontDefinitions {
    let mut fonts = FontDefinitions::default();
    fonts.font_data.insert("Inter".to_owned(), Arc::new(FontData::from_static(INTER)));
    fonts.font_data.insert("JetBrains Mono".to_owned(), Arc::new(FontData::from_static(JETBRAINS_MONO)));
    let system_data = |f: &LoadedFont| Arc::new(FontData::from_blob(f.bytes.clone(), f.index));
    let lead = match (interface, &system.sans) {
        (InterfaceFont::BuiltIn, _) => None,
        (InterfaceFont::System, Some(f)) => {
            fonts.font_data.insert("system-sans".to_owned(), system_data(f));
            Some("system-sans")
        }
        (InterfaceFont::Inter | InterfaceFont::System, _) => Some("Inter"),
    };
    let lead_mono = match (code, &system.mono) {
        (CodeFont::BuiltIn, _) => None,
        (CodeFont::System, Some(f)) => {
            fonts.font_data.insert("system-mono".to_owned(), system_data(f));
            Some("system-mono")
        }
        (CodeFont::JetBrainsMono | CodeFont::System, _) => Some("JetBrains Mono"),
    };
    // The chosen font first; egui's fonts next (emoji, icons); the bundled
    // fonts last, for the glyphs the others lack (egui's Ubuntu Light has no
    // arrows, a system font may lack anything).
    for (family, lead, bundled) in
        [(FontFamily::Proportional, lead, "Inter"), (FontFamily::Monospace, lead_mono, "JetBrains Mono")]
    {
        let list = fonts.families.entry(family).or_default();
        if let Some(lead) = lead {
            list.insert(0, lead.to_owned());
        }
        if !list.iter().any(|f| f == bundled) {
            list.push(bundled.to_owned());
        }
    }
    fonts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chosen_font_leads_its_family_and_egui_fonts_stay_as_fallbacks() {
        let none = SystemFonts::default();
        let defs = font_definitions(InterfaceFont::Inter, CodeFont::JetBrainsMono, &none);
        let prop = &defs.families[&FontFamily::Proportional];
        assert_eq!(prop[0], "Inter");
        assert!(prop.iter().any(|f| f == "NotoEmoji-Regular"), "emoji still draw");
        assert_eq!(defs.families[&FontFamily::Monospace][0], "JetBrains Mono");

        let builtin = font_definitions(InterfaceFont::BuiltIn, CodeFont::BuiltIn, &none);
        assert_eq!(builtin.families[&FontFamily::Proportional][0], "Ubuntu-Light");
        assert_eq!(builtin.families[&FontFamily::Monospace][0], "Hack");
        // Glyphs egui's fonts lack (arrows) still come from the bundled ones.
        assert_eq!(builtin.families[&FontFamily::Proportional].last().map(String::as_str), Some("Inter"));
        assert_eq!(builtin.families[&FontFamily::Monospace].last().map(String::as_str), Some("JetBrains Mono"));

        // A system font not found: the bundled one stands in.
        let fallback = font_definitions(InterfaceFont::System, CodeFont::System, &none);
        assert_eq!(fallback.families[&FontFamily::Proportional][0], "Inter");
        let found = SystemFonts {
            loaded: true,
            sans: Some(LoadedFont { family: "Sans".to_owned(), bytes: Arc::new(INTER.to_vec()), index: 0 }),
            mono: None,
        };
        let system = font_definitions(InterfaceFont::System, CodeFont::System, &found);
        assert_eq!(system.families[&FontFamily::Proportional][0], "system-sans");
        assert_eq!(system.families[&FontFamily::Monospace][0], "JetBrains Mono");
        assert_eq!(interface_font_name(InterfaceFont::System, &found), "System font (Sans)");
        assert_eq!(code_font_name(CodeFont::System, &found), "System monospace (none found; JetBrains Mono is used)");
    }
}
