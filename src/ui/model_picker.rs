//! The model picker: favourites first, then the models (shipped catalog and
//! the user's own) of each enabled provider, the user's own endpoints before
//! the presets, marked when their provider has
//! no key yet. Choosing sets the open thread's model and the default for new
//! threads; ☆ / ★ stars or unstars a model.

use egui::Ui;

use crate::backend::{Command, KeyOrigin};
use crate::domain::{CatalogModel, ModelChoice, ThreadId};

use super::view_model::ViewModel;

/// What a click in the picker asks for.
enum Pick {
    Choose(ModelChoice),
    ToggleFavourite(ModelChoice),
}

/// One line: the model (selectable) and its star.
fn model_line(
    ui: &mut Ui,
    m: &CatalogModel,
    label: String,
    selected: bool,
    favourite: Option<bool>,
    pick: &mut Option<Pick>,
) {
    let choice = ModelChoice { provider: m.provider.clone(), model: m.id.clone() };
    ui.horizontal(|ui| {
        // `None`: the list is locked (kiosk), nothing to star.
        if let Some(favourite) = favourite {
            let star = if favourite { "★" } else { "☆" };
            let tip = if favourite { format!("Unstar {}", m.name) } else { format!("Star {}", m.name) };
            let button = ui.small_button(star);
            // Screen readers (and tests) hear "Star GPT-4o", not "☆".
            button.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &tip));
            if button.on_hover_text(&tip).clicked() {
                *pick = Some(Pick::ToggleFavourite(choice.clone()));
            }
        }
        if ui.selectable_label(selected, label).clicked() {
            *pick = Some(Pick::Choose(choice));
        }
    });
}

/// Draw the picker; sends the commands a choice implies.
pub fn model_picker_ui(ui: &mut Ui, vm: &mut ViewModel, thread: Option<ThreadId>, send: &mut dyn FnMut(Command)) {
    let current = vm.model_of(thread);
    let selected = current.as_ref().map_or_else(|| "Choose a model".to_owned(), |c| vm.model_name(c));
    let mut pick = None;
    let stars = vm.model_filter.is_none();
    super::form::combo(ui, "Model", selected, Some(240.0), |ui| {
        let has_key = |provider: &str| {
            // "(no key)" only once the backend said so (a new endpoint is not known yet).
            !vm.key_status.iter().any(|k| k.provider == provider && matches!(k.origin, KeyOrigin::Missing))
        };
        let label =
            |m: &CatalogModel| if has_key(&m.provider) { m.name.clone() } else { format!("{} (no key)", m.name) };
        let enabled = |provider: &str| vm.settings.providers.iter().any(|p| p.id == provider && p.enabled);
        let favourites: Vec<&CatalogModel> = vm
            .settings
            .favourites
            .iter()
            .filter_map(|f| vm.models().find(|m| m.provider == f.provider && m.id == f.model))
            .filter(|m| enabled(&m.provider))
            .collect();
        if !favourites.is_empty() {
            ui.weak("Favourites");
            for m in favourites {
                let is_current = current.as_ref().is_some_and(|c| c.provider == m.provider && c.model == m.id);
                model_line(ui, m, label(m), is_current, stars.then_some(true), &mut pick);
            }
            ui.separator();
        }
        // The user's own endpoints first (as in the keys window), then the presets.
        let providers = vm.settings.providers.iter().filter(|p| p.enabled);
        for p in providers.clone().filter(|p| p.custom).chain(providers.filter(|p| !p.custom)) {
            let mut models = vm.models().filter(|m| m.provider == p.id).peekable();
            if models.peek().is_none() {
                continue;
            }
            ui.weak(&p.name);
            for m in models {
                let choice = ModelChoice { provider: m.provider.clone(), model: m.id.clone() };
                let favourite = vm.settings.favourites.contains(&choice);
                model_line(ui, m, label(m), current.as_ref() == Some(&choice), stars.then_some(favourite), &mut pick);
            }
        }
    });
    match pick {
        Some(Pick::Choose(choice)) => {
            if let Some(id) = thread {
                if let Some(row) = vm.threads.get_mut(&id) {
                    row.model = Some(choice.clone());
                }
                vm.model_edits.insert(id, choice.clone());
                send(Command::SetThreadModel { id, model: Some(choice.clone()) });
            }
            vm.settings.default_model = Some(choice);
            send(vm.settings.save());
        }
        Some(Pick::ToggleFavourite(choice)) => {
            let favourites = &mut vm.settings.favourites;
            if let Some(i) = favourites.iter().position(|f| *f == choice) {
                favourites.remove(i);
            } else {
                favourites.push(choice);
            }
            send(vm.settings.save());
        }
        None => {}
    }
}
