//! The high-contrast theme for shared screens and projectors: pure black on
//! white (or white on black), strong outlines, no faint greys.

use egui::{Color32, Stroke, Theme, Visuals};

/// High-contrast visuals for `theme`.
#[must_use]
pub fn high_contrast(theme: Theme) -> Visuals {
    let dark = theme == Theme::Dark;
    let (fg, bg, faint) = if dark {
        (Color32::WHITE, Color32::BLACK, Color32::from_gray(28))
    } else {
        (Color32::BLACK, Color32::WHITE, Color32::from_gray(230))
    };
    let mut v = theme.default_visuals();
    v.override_text_color = Some(fg);
    v.panel_fill = bg;
    v.window_fill = bg;
    v.extreme_bg_color = bg;
    v.faint_bg_color = faint;
    v.code_bg_color = faint;
    v.window_stroke = Stroke::new(2.0, fg);
    v.hyperlink_color = if dark { Color32::from_rgb(255, 230, 0) } else { Color32::from_rgb(0, 0, 200) };
    v.warn_fg_color = if dark { Color32::from_rgb(255, 200, 0) } else { Color32::from_rgb(150, 70, 0) };
    v.error_fg_color = if dark { Color32::from_rgb(255, 110, 110) } else { Color32::from_rgb(180, 0, 0) };
    v.selection.stroke = Stroke::new(2.0, fg);
    for w in [&mut v.widgets.noninteractive, &mut v.widgets.inactive, &mut v.widgets.hovered, &mut v.widgets.active] {
        w.bg_stroke = Stroke::new(1.5, fg);
        w.fg_stroke = Stroke::new(1.5, fg);
    }
    v.widgets.inactive.weak_bg_fill = bg;
    v.widgets.inactive.bg_fill = bg;
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_outlines_are_the_full_opposite_of_the_background() {
        for theme in [Theme::Dark, Theme::Light] {
            let v = high_contrast(theme);
            let (fg, bg) = (v.override_text_color.unwrap_or_default(), v.panel_fill);
            assert_eq!(fg.r().abs_diff(bg.r()), 255, "{theme:?}");
            assert_eq!(v.widgets.inactive.bg_stroke.color, fg);
        }
    }
}
