//! The API keys tab of the settings window: one masked field per provider, where each key comes
//! from (saved in Pak.Chat, an environment variable, not needed), each
//! provider's base URL, models the user adds to a provider, and the user's
//! own OpenAI-compatible endpoints (listed first). Keys go to the backend to
//! be sealed; they are never shown again.

use std::collections::HashMap;

use egui::{RichText, Ui};
use zeroize::Zeroizing;

use crate::backend::{Command, KeyOrigin};
use crate::domain::{CatalogModel, ProviderConfig};

use super::view_model::ViewModel;

/// Form state of the keys screen.
#[derive(Debug, Default)]
pub struct KeysForm {
    /// Key fields by provider id (wiped on drop).
    pub keys: HashMap<String, Zeroizing<String>>,
    /// Base URL fields by provider id.
    pub urls: HashMap<String, String>,
    /// "Add a model" fields by provider id.
    pub new_models: HashMap<String, String>,
    /// Name of a new endpoint.
    pub endpoint_name: String,
    /// Base URL of a new endpoint.
    pub endpoint_url: String,
}

fn origin_text(origin: Option<&KeyOrigin>) -> String {
    match origin {
        Some(KeyOrigin::Stored) => "Key saved in Pak.Chat (encrypted).".to_owned(),
        Some(KeyOrigin::Environment(var)) => format!("Using the key from the environment variable {var}."),
        Some(KeyOrigin::NotNeeded) => "No key needed (local server).".to_owned(),
        Some(KeyOrigin::Missing) | None => "No key yet.".to_owned(),
    }
}

/// What "Through my server" does.
const RELAY_HINT: &str = "For providers that refuse web pages (CORS): calls go through the Pak.Chat server you are \
     signed in to, which passes them on. Your key travels with each call over TLS; the server does not keep it.";

/// The API keys tab of the settings window.
pub fn keys_ui(ui: &mut Ui, vm: &mut ViewModel, form: &mut KeysForm, send: &mut dyn FnMut(Command)) {
    ui.label("Bring your own keys: stored encrypted, only sent to their provider.");
    ui.separator();
    let mut settings_changed = false;
    let mut remove_endpoint = None;
    endpoint_form_ui(ui, vm, form, &mut settings_changed);
    ui.separator();
    let providers = vm.settings.providers.clone();
    // The user's own endpoints first: they were added on purpose.
    let mut order: Vec<usize> = (0..providers.len()).collect();
    order.sort_by_key(|&i| !providers[i].custom);
    egui::ScrollArea::vertical().id_salt("keys").auto_shrink([false, true]).show(ui, |ui| {
        for i in order {
            let p = &providers[i];
            ui.horizontal(|ui| {
                ui.label(RichText::new(&p.name).strong());
                let mut enabled = p.enabled;
                if ui.checkbox(&mut enabled, format!("Offer {} models", p.name)).changed() {
                    vm.settings.providers[i].enabled = enabled;
                    settings_changed = true;
                }
                // A page may not call providers that send no CORS headers:
                // its calls can go through the user's own server.
                let mut relay = p.relay;
                if cfg!(target_arch = "wasm32")
                    && ui.checkbox(&mut relay, "Through my server").on_hover_text(RELAY_HINT).changed()
                {
                    vm.settings.providers[i].relay = relay;
                    settings_changed = true;
                }
                if p.custom && ui.button(format!("Remove {}", p.name)).clicked() {
                    remove_endpoint = Some(p.id.clone());
                }
            });
            let origin = vm.key_status.iter().find(|k| k.provider == p.id).map(|k| &k.origin);
            ui.weak(origin_text(origin));
            if p.needs_key || p.custom {
                ui.horizontal(|ui| {
                    let label = ui.label(format!("{} API key", p.name));
                    let field = form.keys.entry(p.id.clone()).or_default();
                    let response = ui
                        .add(egui::TextEdit::singleline(&mut **field).password(true).desired_width(300.0))
                        .labelled_by(label.id);
                    let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if (ui.button(format!("Save {} key", p.name)).clicked() || enter) && !field.trim().is_empty() {
                        send(Command::SetApiKey { provider: p.id.clone(), key: Some(std::mem::take(field)) });
                        vm.key_checks.remove(&p.id);
                        vm.keys_needed = None;
                    }
                    if matches!(origin, Some(KeyOrigin::Stored)) && ui.button("Forget").clicked() {
                        send(Command::SetApiKey { provider: p.id.clone(), key: None });
                    }
                });
            }
            ui.horizontal(|ui| {
                if ui.button(format!("Check {}", p.name)).clicked() {
                    vm.key_checks.remove(&p.id);
                    send(Command::CheckKey { provider: p.id.clone() });
                }
                // Wrapped in the width left: a long answer never widens the window.
                let (text, color) = match vm.key_checks.get(&p.id) {
                    Some(Ok(())) => {
                        (format!("{} accepted the key.", p.name), super::theme::current(ui.visuals()).success)
                    }
                    Some(Err(e)) => (e.clone(), ui.visuals().error_fg_color),
                    None => return,
                };
                ui.add(egui::Label::new(RichText::new(text).color(color)).wrap());
            });
            ui.horizontal(|ui| {
                let label = ui.label(format!("{} base URL", p.name));
                let url = form.urls.entry(p.id.clone()).or_insert_with(|| p.base_url.clone());
                let response = ui.add(egui::TextEdit::singleline(url).desired_width(300.0)).labelled_by(label.id);
                if response.lost_focus() && url.trim() != p.base_url && !url.trim().is_empty() {
                    vm.settings.providers[i].base_url = url.trim().to_owned();
                    settings_changed = true;
                }
            });
            models_ui(ui, vm, form, p, &mut settings_changed);
            ui.add_space(6.0);
        }
    });
    if let Some(id) = remove_endpoint {
        let s = &mut vm.settings;
        s.providers.retain(|p| p.id != id);
        s.custom_models.retain(|m| m.provider != id);
        s.favourites.retain(|f| f.provider != id);
        if s.default_model.as_ref().is_some_and(|m| m.provider == id) {
            s.default_model = None;
        }
        send(Command::SetApiKey { provider: id, key: None });
        settings_changed = true;
    }
    if settings_changed {
        send(vm.settings.save());
    }
}

/// "Add an OpenAI-compatible endpoint": a name and a base URL.
fn endpoint_form_ui(ui: &mut Ui, vm: &mut ViewModel, form: &mut KeysForm, changed: &mut bool) {
    ui.label(RichText::new("Add an OpenAI-compatible endpoint (vLLM, LocalAI, a proxy…)").strong());
    ui.horizontal(|ui| {
        let label = ui.label("Endpoint name");
        ui.add(egui::TextEdit::singleline(&mut form.endpoint_name).desired_width(120.0)).labelled_by(label.id);
        let label = ui.label("Endpoint base URL");
        ui.add(
            egui::TextEdit::singleline(&mut form.endpoint_url).hint_text("http://host:8000/v1").desired_width(200.0),
        )
        .labelled_by(label.id);
        let name = form.endpoint_name.trim();
        let url = form.endpoint_url.trim();
        let valid = !name.is_empty() && (url.starts_with("http://") || url.starts_with("https://"));
        let add = ui.add_enabled(valid, egui::Button::new("Add endpoint"));
        if add.on_disabled_hover_text("Give a name and an http(s):// base URL").clicked() {
            let endpoint = ProviderConfig::custom_endpoint(name, url, &vm.settings.providers);
            vm.settings.providers.push(endpoint);
            form.endpoint_name.clear();
            form.endpoint_url.clear();
            *changed = true;
        }
    });
}

/// The models the user added to provider `p`, and a field to add one by id.
fn models_ui(ui: &mut Ui, vm: &mut ViewModel, form: &mut KeysForm, p: &ProviderConfig, changed: &mut bool) {
    let mut remove = None;
    for m in vm.settings.custom_models.iter().filter(|m| m.provider == p.id) {
        ui.horizontal(|ui| {
            ui.label(format!("Your model: {}", m.name));
            if ui.small_button(format!("Remove {}", m.name)).clicked() {
                remove = Some(m.id.clone());
            }
        });
    }
    if let Some(id) = remove {
        vm.settings.custom_models.retain(|m| !(m.provider == p.id && m.id == id));
        *changed = true;
    }
    ui.horizontal(|ui| {
        let label = ui.label(format!("{} model id", p.name));
        let field = form.new_models.entry(p.id.clone()).or_default();
        let response = ui
            .add(egui::TextEdit::singleline(field).hint_text("as the provider names it").desired_width(220.0))
            .labelled_by(label.id);
        let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let id = field.trim().to_owned();
        let known = vm.models().any(|m| m.provider == p.id && m.id == id);
        if (ui.button(format!("Add model to {}", p.name)).clicked() || enter) && !id.is_empty() && !known {
            vm.settings.custom_models.push(CatalogModel::custom(&p.id, &id));
            field.clear();
            *changed = true;
        }
    });
}
