//! The composer's image mode: Enter makes images from the text instead of
//! asking for a reply. Model (those that make images), size, quality, how
//! many (1–4) and format; Esc leaves the mode.

use egui::Ui;

use crate::backend::{ImageOptions, KeyOrigin};
use crate::domain::ModelChoice;

use super::view_model::ViewModel;

/// Sizes offered (OpenAI's; Imagen takes their aspect ratio).
const SIZES: [&str; 3] = ["1024x1024", "1536x1024", "1024x1536"];
const QUALITIES: [&str; 4] = ["auto", "low", "medium", "high"];
const FORMATS: [&str; 3] = ["png", "jpeg", "webp"];

/// The image mode's choices.
#[derive(Debug, Clone)]
pub struct ImageForm {
    /// The image model (`None`: the first one offered).
    pub model: Option<ModelChoice>,
    /// Pixel size.
    pub size: String,
    /// Quality.
    pub quality: String,
    /// How many, 1 to 4.
    pub count: u8,
    /// File format.
    pub format: String,
}

impl Default for ImageForm {
    fn default() -> Self {
        Self {
            model: None,
            size: SIZES[0].to_owned(),
            quality: QUALITIES[0].to_owned(),
            count: 1,
            format: FORMATS[0].to_owned(),
        }
    }
}

impl ImageForm {
    /// What to send, once a model is known.
    #[must_use]
    pub fn options(&self) -> Option<ImageOptions> {
        Some(ImageOptions {
            model: self.model.clone()?,
            size: self.size.clone(),
            quality: self.quality.clone(),
            count: self.count.clamp(1, 4),
            format: self.format.clone(),
        })
    }
}

/// The image models of enabled providers, those with a key first.
fn image_models(vm: &ViewModel) -> Vec<(ModelChoice, String)> {
    let has_key = |p: &str| !vm.key_status.iter().any(|k| k.provider == p && matches!(k.origin, KeyOrigin::Missing));
    let mut list: Vec<(bool, ModelChoice, String)> = vm
        .models()
        .filter(|m| m.capabilities.image_generation)
        .filter(|m| vm.settings.providers.iter().any(|p| p.id == m.provider && p.enabled))
        .map(|m| {
            let label = if has_key(&m.provider) { m.name.clone() } else { format!("{} (no key)", m.name) };
            (!has_key(&m.provider), ModelChoice { provider: m.provider.clone(), model: m.id.clone() }, label)
        })
        .collect();
    list.sort_by_key(|(no_key, ..)| *no_key);
    list.into_iter().map(|(_, c, l)| (c, l)).collect()
}

/// Draw the image mode's choices.
pub fn image_mode_ui(ui: &mut Ui, vm: &ViewModel, form: &mut ImageForm) {
    let models = image_models(vm);
    if form.model.as_ref().is_none_or(|m| !models.iter().any(|(c, _)| c == m)) {
        form.model = models.first().map(|(c, _)| c.clone());
    }
    ui.horizontal_wrapped(|ui| {
        let current = form.model.as_ref().and_then(|m| models.iter().find(|(c, _)| c == m)).map(|(_, l)| l.clone());
        let current = current.unwrap_or_else(|| "No image model".to_owned());
        super::form::combo(ui, "Image model", current, None, |ui| {
            for (choice, label) in &models {
                ui.selectable_value(&mut form.model, Some(choice.clone()), label);
            }
        });
        let combo = |ui: &mut Ui, label: &str, value: &mut String, options: &[&str]| {
            super::form::combo(ui, label, value.clone(), None, |ui| {
                for o in options {
                    ui.selectable_value(value, (*o).to_owned(), *o);
                }
            });
        };
        combo(ui, "Size", &mut form.size, &SIZES);
        combo(ui, "Quality", &mut form.quality, &QUALITIES);
        combo(ui, "Format", &mut form.format, &FORMATS);
        let label = ui.label("How many");
        ui.add(egui::DragValue::new(&mut form.count).range(1..=4)).labelled_by(label.id);
    });
    ui.weak("Image mode: Enter makes images from your text (Esc leaves it).");
}
