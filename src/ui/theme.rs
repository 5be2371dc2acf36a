//! Pak.Chat's look in one place: the design tokens (type scale, spacing,
//! radii, the reading column, and the colours of the light, dark and high
//! contrast themes) and the egui style built from them. Nothing else in the
//! UI names a raw colour or a font size; it asks the visuals (which are made
//! here) or these tokens.
//!
//! What the look takes from others: a centred reading column with quiet
//! chrome (ChatGPT, Claude), your messages in a soft bubble and replies as
//! plain text on the page (ChatGPT), the composer as one rounded card with
//! its controls inside (Claude, Chatbox), and a desktop density with small
//! secondary text and few borders (Zed, Cherry Studio).
//!
//! Every pair of text and ground meets WCAG contrast (body text 7:1, the
//! rest 4.5:1); a unit test computes the ratios for every theme.

use std::collections::BTreeMap;

use egui::{Color32, CornerRadius, FontFamily, FontId, Stroke, TextStyle, Theme, Visuals};

/// The type scale, in points at 100 % zoom.
pub mod size {
    /// Message text and fields.
    pub const BODY: f32 = 15.0;
    /// Buttons and menus.
    pub const BUTTON: f32 = 14.0;
    /// Secondary text: row headers, hints, status.
    pub const SMALL: f32 = 12.5;
    /// Code.
    pub const MONO: f32 = 13.5;
    /// Headings and the chat's title.
    pub const HEADING: f32 = 19.0;
}

// Body text and buttons are at least 14 points (checked when compiling).
const _: () = assert!(size::BODY >= 14.0 && size::BUTTON >= 14.0);

/// Spacing steps, in points.
pub mod space {
    /// Between a label and its field, inside tight groups.
    pub const XS: f32 = 4.0;
    /// Between controls.
    pub const S: f32 = 8.0;
    /// Inside cards and rows.
    pub const M: f32 = 12.0;
    /// Between sections.
    pub const L: f32 = 16.0;
    /// Around the reading column.
    pub const XL: f32 = 24.0;
}

/// Corner radii, in points.
pub mod radius {
    /// Buttons and fields.
    pub const S: u8 = 6;
    /// Message bubbles and panels inside a row.
    pub const M: u8 = 10;
    /// Cards and windows.
    pub const L: u8 = 14;
}

/// The widest the chat's text runs (about 80 characters of body text);
/// wider windows centre the column.
pub const READING_WIDTH: f32 = 780.0;

/// The width of the reading column in `room`: all of it on a narrow
/// window (less a margin), at most [`READING_WIDTH`] on a wide one.
#[must_use]
pub fn column_width(room: f32) -> f32 {
    (room - 2.0 * space::S).clamp(room.min(200.0), READING_WIDTH)
}

/// Run `add` in a column of [`column_width`] centred in what is left of `ui`.
pub fn column<R>(ui: &mut egui::Ui, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let room = ui.available_rect_before_wrap();
    let width = column_width(room.width());
    let left = room.left() + (room.width() - width) / 2.0;
    let rect = egui::Rect::from_min_size(egui::pos2(left, room.top()), egui::vec2(width, room.height()));
    ui.scope_builder(egui::UiBuilder::new().max_rect(rect).layout(egui::Layout::top_down(egui::Align::Min)), add).inner
}

/// A card: the surface colour, a thin edge, large corners, roomy inside
/// (the composer).
pub fn card(ui: &egui::Ui) -> egui::Frame {
    let p = current(ui.visuals());
    egui::Frame::new()
        .fill(p.surface)
        .stroke(Stroke::new(1.0, p.border))
        .corner_radius(CornerRadius::same(radius::L))
        .inner_margin(egui::Margin::same(10))
}

/// A screen's one primary action (Send, Start): the accent colour.
pub fn primary_button(ui: &egui::Ui, text: impl Into<egui::RichText>) -> egui::Button<'static> {
    let p = current(ui.visuals());
    egui::Button::new(text.into().color(p.on_accent)).fill(p.accent)
}

/// The colours of one theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Palette {
    /// Behind the chat.
    pub canvas: Color32,
    /// Behind the sidebar.
    pub sidebar: Color32,
    /// Cards and windows: the composer, settings, menus.
    pub surface: Color32,
    /// Your messages' bubble; also code and table headers.
    pub bubble: Color32,
    /// Buttons at rest.
    pub control: Color32,
    /// Buttons under the pointer.
    pub control_hover: Color32,
    /// Thin lines: card edges, separators.
    pub border: Color32,
    /// Body text.
    pub text: Color32,
    /// Secondary text.
    pub text_secondary: Color32,
    /// The one strong colour: primary buttons, focus.
    pub accent: Color32,
    /// Text on the accent.
    pub on_accent: Color32,
    /// A chosen item (the open chat in the sidebar), behind body text.
    pub selected: Color32,
    /// Links.
    pub link: Color32,
    /// Errors.
    pub error: Color32,
    /// Warnings and prompts to act.
    pub warn: Color32,
    /// Success.
    pub success: Color32,
}

const fn rgb(hex: u32) -> Color32 {
    #[expect(clippy::cast_possible_truncation, reason = "each byte of a 24-bit colour")]
    Color32::from_rgb((hex >> 16) as u8, (hex >> 8) as u8, hex as u8)
}

/// Light: near-white page, grey sidebar, green accent.
pub const LIGHT: Palette = Palette {
    canvas: rgb(0xFF_FF_FF),
    sidebar: rgb(0xF4_F5_F4),
    surface: rgb(0xFF_FF_FF),
    bubble: rgb(0xEF_F1_EF),
    control: rgb(0xE9_EB_E9),
    control_hover: rgb(0xDD_E0_DD),
    border: rgb(0xD6_D9_D6),
    text: rgb(0x12_14_13),
    text_secondary: rgb(0x56_5B_58),
    accent: rgb(0x0E_74_50),
    on_accent: rgb(0xFF_FF_FF),
    selected: rgb(0xD4_EC_E0),
    link: rgb(0x0B_57_D0),
    error: rgb(0xB3_26_1E),
    warn: rgb(0x85_50_00),
    success: rgb(0x0E_6B_3C),
};

/// Dark: charcoal page, darker sidebar, soft green accent.
pub const DARK: Palette = Palette {
    canvas: rgb(0x20_21_20),
    sidebar: rgb(0x17_18_17),
    surface: rgb(0x2A_2C_2A),
    bubble: rgb(0x32_35_33),
    control: rgb(0x3A_3D_3B),
    control_hover: rgb(0x48_4C_49),
    border: rgb(0x43_47_44),
    text: rgb(0xEC_EE_EC),
    text_secondary: rgb(0xB0_B5_B1),
    accent: rgb(0x4C_C3_8A),
    on_accent: rgb(0x07_14_0D),
    selected: rgb(0x2C_4B_3E),
    link: rgb(0x8A_BD_FF),
    error: rgb(0xFF_8A_80),
    warn: rgb(0xF2_C1_4E),
    success: rgb(0x6F_D8_9F),
};

/// High contrast on white: black text and outlines, no faint greys.
pub const HIGH_CONTRAST_LIGHT: Palette = Palette {
    canvas: rgb(0xFF_FF_FF),
    sidebar: rgb(0xFF_FF_FF),
    surface: rgb(0xFF_FF_FF),
    bubble: rgb(0xE6_E6_E6),
    control: rgb(0xFF_FF_FF),
    control_hover: rgb(0xE6_E6_E6),
    border: rgb(0x00_00_00),
    text: rgb(0x00_00_00),
    text_secondary: rgb(0x2B_2B_2B),
    accent: rgb(0x00_00_C8),
    on_accent: rgb(0xFF_FF_FF),
    selected: rgb(0xFF_E6_00),
    link: rgb(0x00_00_C8),
    error: rgb(0xB4_00_00),
    warn: rgb(0x96_46_00),
    success: rgb(0x00_64_00),
};

/// High contrast on black: white text and outlines, no faint greys.
pub const HIGH_CONTRAST_DARK: Palette = Palette {
    canvas: rgb(0x00_00_00),
    sidebar: rgb(0x00_00_00),
    surface: rgb(0x00_00_00),
    bubble: rgb(0x1C_1C_1C),
    control: rgb(0x00_00_00),
    control_hover: rgb(0x1C_1C_1C),
    border: rgb(0xFF_FF_FF),
    text: rgb(0xFF_FF_FF),
    text_secondary: rgb(0xE0_E0_E0),
    accent: rgb(0xFF_E6_00),
    on_accent: rgb(0x00_00_00),
    selected: rgb(0x00_3C_8C),
    link: rgb(0xFF_E6_00),
    error: rgb(0xFF_6E_6E),
    warn: rgb(0xFF_C8_00),
    success: rgb(0x7C_FF_7C),
};

/// The palette of `theme`, in high contrast when asked.
#[must_use]
pub const fn palette(theme: Theme, high_contrast: bool) -> &'static Palette {
    match (theme, high_contrast) {
        (Theme::Light, false) => &LIGHT,
        (Theme::Dark, false) => &DARK,
        (Theme::Light, true) => &HIGH_CONTRAST_LIGHT,
        (Theme::Dark, true) => &HIGH_CONTRAST_DARK,
    }
}

/// The palette the UI is drawn with now.
#[must_use]
pub fn current(visuals: &Visuals) -> &'static Palette {
    let theme = if visuals.dark_mode { Theme::Dark } else { Theme::Light };
    // The high-contrast themes are the ones with outlined controls.
    palette(theme, visuals.widgets.inactive.bg_stroke.width >= 1.5)
}

/// egui's visuals for `theme` from its palette.
#[must_use]
pub fn visuals(theme: Theme, high_contrast: bool) -> Visuals {
    let p = palette(theme, high_contrast);
    let mut v = theme.default_visuals();
    let line = if high_contrast { 1.5 } else { 1.0 };
    v.override_text_color = Some(p.text);
    v.weak_text_color = Some(p.text_secondary);
    v.hyperlink_color = p.link;
    v.error_fg_color = p.error;
    v.warn_fg_color = p.warn;
    v.panel_fill = p.canvas;
    v.window_fill = p.surface;
    v.window_stroke = Stroke::new(line, p.border);
    v.window_corner_radius = CornerRadius::same(radius::L);
    v.menu_corner_radius = CornerRadius::same(radius::M);
    v.faint_bg_color = p.bubble;
    v.extreme_bg_color = p.surface;
    v.text_edit_bg_color = Some(p.surface);
    v.code_bg_color = p.bubble;
    v.selection.bg_fill = p.selected;
    v.selection.stroke = Stroke::new(line, p.text);
    let widgets = [
        (&mut v.widgets.noninteractive, p.surface, p.border, p.text),
        (&mut v.widgets.inactive, p.control, if high_contrast { p.border } else { p.control }, p.text),
        (&mut v.widgets.hovered, p.control_hover, p.border, p.text),
        (&mut v.widgets.active, p.control_hover, p.accent, p.text),
        (&mut v.widgets.open, p.control_hover, p.border, p.text),
    ];
    for (w, fill, stroke, fg) in widgets {
        w.bg_fill = fill;
        w.weak_bg_fill = fill;
        w.bg_stroke = Stroke::new(line, stroke);
        w.fg_stroke = Stroke::new(line, fg);
        w.corner_radius = CornerRadius::same(radius::S);
    }
    v.widgets.noninteractive.bg_stroke = Stroke::new(line, p.border);
    v
}

/// The text styles of the type scale.
#[must_use]
pub fn text_styles() -> BTreeMap<TextStyle, FontId> {
    BTreeMap::from([
        (TextStyle::Small, FontId::new(size::SMALL, FontFamily::Proportional)),
        (TextStyle::Body, FontId::new(size::BODY, FontFamily::Proportional)),
        (TextStyle::Button, FontId::new(size::BUTTON, FontFamily::Proportional)),
        (TextStyle::Heading, FontId::new(size::HEADING, FontFamily::Proportional)),
        (TextStyle::Monospace, FontId::new(size::MONO, FontFamily::Monospace)),
    ])
}

/// Apply the look to both of egui's themes, keeping each one's text
/// cursor (its blinking is managed elsewhere).
pub fn apply(ctx: &egui::Context, high_contrast: bool) {
    for theme in [Theme::Dark, Theme::Light] {
        let cursor = ctx.style_of(theme).visuals.text_cursor.clone();
        ctx.style_mut_of(theme, |style| {
            style.visuals = visuals(theme, high_contrast);
            style.visuals.text_cursor = cursor;
            style.text_styles = text_styles();
            style.spacing.item_spacing = egui::vec2(space::S, 6.0);
            style.spacing.button_padding = egui::vec2(space::S + 2.0, space::XS);
            style.spacing.interact_size.y = 24.0;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG 2 relative luminance.
    fn luminance(c: Color32) -> f64 {
        let channel = |v: u8| {
            let s = f64::from(v) / 255.0;
            if s <= 0.040_45 { s / 12.92 } else { ((s + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * channel(c.r()) + 0.7152 * channel(c.g()) + 0.0722 * channel(c.b())
    }

    /// WCAG 2 contrast ratio, 1 to 21.
    fn ratio(a: Color32, b: Color32) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn the_ratio_matches_wcag_reference_values() {
        assert!((ratio(Color32::BLACK, Color32::WHITE) - 21.0).abs() < 1e-9);
        assert!((ratio(rgb(0x77_77_77), Color32::WHITE) - 4.48).abs() < 0.01);
    }

    #[test]
    fn every_theme_meets_wcag_contrast_for_body_and_secondary_text() {
        let themes =
            [("light", &LIGHT), ("dark", &DARK), ("hc light", &HIGH_CONTRAST_LIGHT), ("hc dark", &HIGH_CONTRAST_DARK)];
        for (name, p) in themes {
            let grounds = [
                ("canvas", p.canvas),
                ("sidebar", p.sidebar),
                ("surface", p.surface),
                ("bubble", p.bubble),
                ("control", p.control),
                ("control hover", p.control_hover),
                ("selected", p.selected),
            ];
            for (ground, bg) in grounds {
                let body = ratio(p.text, bg);
                assert!(body >= 7.0, "{name}: body text on {ground} is {body:.2}:1");
            }
            for (ground, bg) in &grounds[..4] {
                for (what, fg) in [
                    ("secondary text", p.text_secondary),
                    ("links", p.link),
                    ("errors", p.error),
                    ("warnings", p.warn),
                    ("success", p.success),
                ] {
                    let r = ratio(fg, *bg);
                    assert!(r >= 4.5, "{name}: {what} on {ground} is {r:.2}:1");
                }
            }
            let on_accent = ratio(p.on_accent, p.accent);
            assert!(on_accent >= 4.5, "{name}: text on the accent is {on_accent:.2}:1");
        }
    }

    #[test]
    fn the_column_fills_a_narrow_window_and_is_capped_on_a_wide_one() {
        assert_eq!(column_width(500.0), 500.0 - 2.0 * space::S);
        assert_eq!(column_width(2000.0), READING_WIDTH);
        assert_eq!(column_width(100.0), 100.0, "never wider than the room, never negative");
    }

    #[test]
    fn body_text_is_at_least_14_points() {
        assert_eq!(text_styles()[&TextStyle::Body].size, size::BODY);
    }

    #[test]
    fn the_visuals_are_the_palette_and_high_contrast_is_told_apart() {
        for theme in [Theme::Light, Theme::Dark] {
            for hc in [false, true] {
                let v = visuals(theme, hc);
                assert_eq!(v.text_color(), palette(theme, hc).text);
                assert_eq!(v.panel_fill, palette(theme, hc).canvas);
                assert_eq!(current(&v), palette(theme, hc), "{theme:?} high contrast {hc}");
            }
        }
    }
}
