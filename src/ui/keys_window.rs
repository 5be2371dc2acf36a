//! The API keys screen: one masked field per provider, where each key comes
//! from (saved in Pak.Chat, an environment variable, not needed), and each
//! provider's base URL. Keys go to the backend to be sealed; they are never
//! shown again.

use std::collections::HashMap;

use egui::{RichText, Ui};
use zeroize::Zeroizing;

use crate::backend::{Command, KeyOrigin};

use super::view_model::ViewModel;

/// Form state of the keys screen.
#[derive(Debug, Default)]
pub struct KeysForm {
    /// Whether the window is open.
    pub open: bool,
    /// Key fields by provider id (wiped on drop).
    pub keys: HashMap<String, Zeroizing<String>>,
    /// Base URL fields by provider id.
    pub urls: HashMap<String, String>,
}

fn origin_text(origin: Option<&KeyOrigin>) -> String {
    match origin {
        Some(KeyOrigin::Stored) => "Key saved in Pak.Chat (encrypted).".to_owned(),
        Some(KeyOrigin::Environment(var)) => format!("Using the key from the environment variable {var}."),
        Some(KeyOrigin::NotNeeded) => "No key needed (local server).".to_owned(),
        Some(KeyOrigin::Missing) | None => "No key yet.".to_owned(),
    }
}

/// Draw the keys window when open.
pub fn keys_window_ui(ctx_ui: &mut Ui, vm: &mut ViewModel, form: &mut KeysForm, send: &mut dyn FnMut(Command)) {
    if !form.open {
        return;
    }
    let mut open = true;
    egui::Window::new("API keys").open(&mut open).default_width(520.0).show(ctx_ui.ctx(), |ui| {
        ui.horizontal(|ui| {
            ui.label("Bring your own keys: stored encrypted, only sent to their provider.");
            if ui.button("Done").clicked() {
                form.open = false;
                vm.keys_needed = None;
            }
        });
        ui.separator();
        let mut settings_changed = false;
        let providers = vm.settings.providers.clone();
        egui::ScrollArea::vertical().max_height(320.0).show(ui, |ui| {
            for (i, p) in providers.iter().enumerate() {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(&p.name).strong());
                    let mut enabled = p.enabled;
                    if ui.checkbox(&mut enabled, format!("Offer {} models", p.name)).changed() {
                        vm.settings.providers[i].enabled = enabled;
                        settings_changed = true;
                    }
                });
                let origin = vm.key_status.iter().find(|k| k.provider == p.id).map(|k| &k.origin);
                ui.weak(origin_text(origin));
                if p.needs_key {
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
                    match vm.key_checks.get(&p.id) {
                        Some(Ok(())) => {
                            ui.colored_label(
                                egui::Color32::from_rgb(80, 170, 90),
                                format!("{} accepted the key.", p.name),
                            );
                        }
                        Some(Err(e)) => {
                            ui.colored_label(ui.visuals().error_fg_color, e);
                        }
                        None => {}
                    }
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
                ui.add_space(6.0);
            }
        });
        if settings_changed {
            send(Command::SaveSettings(vm.settings.clone()));
        }
    });
    if !open {
        form.open = false;
    }
}
