//! Form controls with their label first, as people read a form (egui's
//! combo box puts its label after it). The label also names the control for
//! a screen reader.

use egui::{InnerResponse, Ui, WidgetText};

/// A combo box named `label`, shown before it; `width` of the box, if set.
pub fn combo<R>(
    ui: &mut Ui,
    label: &str,
    selected: impl Into<WidgetText>,
    width: Option<f32>,
    add: impl FnOnce(&mut Ui) -> R,
) -> InnerResponse<Option<R>> {
    ui.horizontal(|ui| {
        let name = ui.label(label);
        let mut combo = egui::ComboBox::from_id_salt(label).selected_text(selected).height(400.0);
        if let Some(width) = width {
            combo = combo.width(width);
        }
        let shown = combo.show_ui(ui, add);
        let response = shown.response.labelled_by(name.id);
        InnerResponse::new(shown.inner, response)
    })
    .inner
}
