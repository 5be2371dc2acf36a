//! The model picker: the catalog's models of enabled providers, marked when
//! their provider has no key yet. Choosing sets the open thread's model and
//! the default for new threads.

use egui::Ui;

use crate::backend::{Command, KeyOrigin};
use crate::domain::{ModelChoice, ThreadId};

use super::view_model::ViewModel;

/// Draw the picker; sends the commands a choice implies.
pub fn model_picker_ui(ui: &mut Ui, vm: &mut ViewModel, thread: Option<ThreadId>, send: &mut dyn FnMut(Command)) {
    let current = vm.model_of(thread);
    let name_of = |choice: &ModelChoice| {
        vm.catalog
            .iter()
            .find(|m| m.provider == choice.provider && m.id == choice.model)
            .map_or_else(|| choice.model.clone(), |m| m.name.clone())
    };
    let selected = current.as_ref().map_or_else(|| "Choose a model".to_owned(), name_of);
    let mut chosen = None;
    egui::ComboBox::from_label("Model").selected_text(selected).width(240.0).show_ui(ui, |ui| {
        for p in vm.settings.providers.iter().filter(|p| p.enabled) {
            let has_key = vm
                .key_status
                .iter()
                .find(|k| k.provider == p.id)
                .is_some_and(|k| !matches!(k.origin, KeyOrigin::Missing));
            for m in vm.catalog.iter().filter(|m| m.provider == p.id) {
                let choice = ModelChoice { provider: p.id.clone(), model: m.id.clone() };
                let label = if has_key { m.name.clone() } else { format!("{} (no key)", m.name) };
                if ui.selectable_label(current.as_ref() == Some(&choice), label).clicked() {
                    chosen = Some(choice);
                }
            }
        }
    });
    if let Some(choice) = chosen {
        if let Some(id) = thread {
            if let Some(row) = vm.threads.get_mut(&id) {
                row.model = Some(choice.clone());
            }
            send(Command::SetThreadModel { id, model: Some(choice.clone()) });
        }
        vm.settings.default_model = Some(choice);
        send(Command::SaveSettings(vm.settings.clone()));
    }
}
