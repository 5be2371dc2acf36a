//! A notice line: its text wraps in the width its buttons leave, and the
//! buttons stay on screen at the right, however long the text.

use egui::Ui;

/// One notice: `text` in `color`, wrapping in the width left of `buttons`
/// (right-aligned, in order). Which button was clicked.
pub fn banner(ui: &mut Ui, color: egui::Color32, text: &str, buttons: &[&str]) -> Option<usize> {
    let mut clicked = None;
    ui.with_layout(egui::Layout::right_to_left(egui::Align::Min), |ui| {
        for (i, label) in buttons.iter().enumerate().rev() {
            if ui.small_button(*label).clicked() {
                clicked = Some(i);
            }
        }
        // Only as tall as the text: the panel is sized from what it held.
        let text_layout = egui::Layout::left_to_right(egui::Align::Min).with_main_wrap(true);
        ui.allocate_ui_with_layout(egui::vec2(ui.available_width(), 0.0), text_layout, |ui| {
            ui.add(egui::Label::new(egui::RichText::new(text).color(color)).wrap());
        });
    });
    clicked
}
