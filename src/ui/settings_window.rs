//! The settings window (Ctrl+,): tabs Customization, Models, API keys,
//! Profile, Account and Data. Every change applies at once — it edits the view
//! model's [`super::local_settings::LocalSettings`] and sends the whole
//! value to be stored sealed, so nothing waits for a "Save" button and a
//! crash loses at most the keystroke in flight.

use egui::{RichText, Ui};

use crate::backend::{Command, ExportWhat};
use crate::domain::{CodeFont, CustomMode, InterfaceFont, ModelChoice, ThemePreference};

use super::fonts::{code_font_name, interface_font_name};
use super::keys_window::{KeysForm, keys_ui};
use super::view_model::ViewModel;

/// The window's tabs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SettingsTab {
    /// Fonts, theme, text size, what is shown, instructions and modes.
    #[default]
    Customization,
    /// The default model and the favourites.
    Models,
    /// Keys, base URLs, endpoints.
    ApiKeys,
    /// Name and e-mail.
    Profile,
    /// The Pak.Chat server: sign in and out.
    Account,
    /// Where the data is and how it is protected; attachment limits.
    Data,
}

impl SettingsTab {
    const ALL: [Self; 6] = [Self::Customization, Self::Models, Self::ApiKeys, Self::Profile, Self::Account, Self::Data];

    fn title(self) -> &'static str {
        match self {
            Self::Customization => "Customization",
            Self::Models => "Models",
            Self::ApiKeys => "API keys",
            Self::Profile => "Profile",
            Self::Account => "Account",
            Self::Data => "Data",
        }
    }
}

/// A custom mode being written (new, or an edit of the mode `id`).
#[derive(Clone, Debug, Default)]
struct ModeDraft {
    id: Option<String>,
    icon: String,
    name: String,
    prompt: String,
}

/// State of the settings window.
#[derive(Debug, Default)]
pub struct SettingsForm {
    /// Whether the window is open.
    pub open: bool,
    /// The tab shown.
    pub tab: SettingsTab,
    /// The API keys tab's fields.
    pub keys: KeysForm,
    mode: Option<ModeDraft>,
}

impl SettingsForm {
    /// Open the window at `tab`.
    pub fn open_at(&mut self, tab: SettingsTab) {
        self.open = true;
        self.tab = tab;
    }
}

/// Draw the settings window when open.
/// `personal_hidden`: the user hid their personal information, presents on
/// a shared screen, or is a kiosk visitor; name, e-mail and the profile
/// folder are then neither shown nor editable.
pub fn settings_window_ui(
    ui: &mut Ui,
    vm: &mut ViewModel,
    form: &mut SettingsForm,
    personal_hidden: bool,
    send: &mut dyn FnMut(Command),
) {
    if !form.open {
        return;
    }
    let mut open = true;
    let mut done = false;
    // Centred over the app the first time it opens (as a 600 × 520 window);
    // from then on its top left stays put, so a tab of another height does
    // not move the tabs under the pointer.
    let (width, height): (f32, f32) = (600.0, 520.0);
    let room = ui.ctx().content_rect();
    let corner = room.center() - egui::vec2(width, height.min(room.height() - 16.0)) / 2.0;
    egui::Window::new("Settings")
        .open(&mut open)
        .default_width(width)
        .default_height(height)
        .default_pos(corner.max(room.min + egui::vec2(8.0, 8.0)))
        .resizable(true)
        .show(ui.ctx(), |ui| {
            ui.horizontal(|ui| {
                for tab in SettingsTab::ALL {
                    ui.selectable_value(&mut form.tab, tab, tab.title());
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    done = ui.button("Done").on_hover_text("Close the settings (Esc)").clicked();
                });
            });
            ui.separator();
            let mut changed = false;
            egui::ScrollArea::vertical().id_salt("settings").auto_shrink([false, true]).show(ui, |ui| match form.tab {
                SettingsTab::Customization => customization_ui(ui, vm, form, &mut changed),
                SettingsTab::Models => models_ui(ui, vm, &mut changed),
                SettingsTab::ApiKeys => keys_ui(ui, vm, &mut form.keys, send),
                SettingsTab::Profile => profile_ui(ui, vm, personal_hidden, &mut changed),
                SettingsTab::Account => super::account::settings_ui(ui, vm, personal_hidden, &mut changed, send),
                SettingsTab::Data => data_ui(ui, vm, personal_hidden, &mut changed, send),
            });
            if changed {
                send(vm.settings.save());
            }
        });
    // Esc closes the window unless a field or popup inside it wants it.
    let escape = ui.ctx().memory(|m| m.focused().is_none())
        && !egui::Popup::is_any_open(ui.ctx())
        && ui.input_mut(|i| super::commands::UiCommand::Escape.consume(i));
    if !open || done || escape {
        form.open = false;
        form.mode = None;
        vm.keys_needed = None;
    }
}

pub(super) fn section(ui: &mut Ui, title: &str) {
    ui.add_space(8.0);
    ui.label(RichText::new(title).strong());
}

/// A labelled single-line field; `true` when its text changed.
pub(super) fn field(ui: &mut Ui, label: &str, text: &mut String, hint: &str) -> bool {
    ui.horizontal(|ui| {
        let label = ui.label(label);
        ui.add(egui::TextEdit::singleline(text).hint_text(hint).desired_width(320.0)).labelled_by(label.id).changed()
    })
    .inner
}

/// A labelled multi-line field; `true` when its text changed.
fn area(ui: &mut Ui, label: &str, text: &mut String, hint: &str) -> bool {
    let label = ui.label(label);
    ui.add(egui::TextEdit::multiline(text).hint_text(hint).desired_rows(2).desired_width(f32::INFINITY))
        .labelled_by(label.id)
        .changed()
}

fn customization_ui(ui: &mut Ui, vm: &mut ViewModel, form: &mut SettingsForm, changed: &mut bool) {
    section(ui, "Appearance");
    ui.horizontal(|ui| {
        ui.label("Theme");
        let theme = &mut vm.settings.theme;
        for (value, name) in [
            (ThemePreference::System, "Follow system"),
            (ThemePreference::Light, "Light"),
            (ThemePreference::Dark, "Dark"),
        ] {
            *changed |= ui.radio_value(theme, value, name).changed();
        }
    });
    ui.horizontal(|ui| {
        let label = ui.label("Text size");
        let slider = egui::Slider::new(&mut vm.settings.text_scale, 0.75..=2.0).step_by(0.05).suffix("×");
        *changed |= ui.add(slider).labelled_by(label.id).changed();
        if ui.small_button("Reset").clicked() && (vm.settings.text_scale - 1.0).abs() > f32::EPSILON {
            vm.settings.text_scale = 1.0;
            *changed = true;
        }
    });
    let system = vm.system_fonts.clone();
    ui.horizontal(|ui| {
        let current = interface_font_name(vm.settings.interface_font, &system);
        super::form::combo(ui, "Interface font", current, Some(300.0), |ui| {
            for choice in [InterfaceFont::Inter, InterfaceFont::System, InterfaceFont::BuiltIn] {
                let name = interface_font_name(choice, &system);
                *changed |= ui.selectable_value(&mut vm.settings.interface_font, choice, name).changed();
            }
        });
    });
    ui.horizontal(|ui| {
        let current = code_font_name(vm.settings.code_font, &system);
        super::form::combo(ui, "Code font", current, Some(300.0), |ui| {
            for choice in [CodeFont::JetBrainsMono, CodeFont::System, CodeFont::BuiltIn] {
                let name = code_font_name(choice, &system);
                *changed |= ui.selectable_value(&mut vm.settings.code_font, choice, name).changed();
            }
        });
    });
    *changed |= ui
        .checkbox(&mut vm.settings.hide_personal, "Hide personal information")
        .on_hover_text("Your name and e-mail are not shown anywhere (for screen sharing)")
        .changed();
    *changed |= ui
        .checkbox(&mut vm.settings.show_nav_bar, "Show navigation bar")
        .on_hover_text("A slim bar beside the chat with a mark per message of yours; click one to go there")
        .changed();

    section(ui, "Custom instructions");
    ui.weak("Sent to the model at the start of every chat.");
    let i = &mut vm.settings.instructions;
    *changed |= field(ui, "What should Pak.Chat call you?", &mut i.call_me, "a name or nickname");
    *changed |= field(ui, "What do you do?", &mut i.occupation, "engineer, student, …");
    *changed |= area(ui, "What traits should Pak.Chat have?", &mut i.traits, "concise, candid, curious…");
    *changed |=
        area(ui, "Anything else Pak.Chat should know about you?", &mut i.other, "interests, values, preferences");

    section(ui, "Custom modes");
    ui.weak("Named instructions with an icon, chosen per chat in its header.");
    modes_ui(ui, vm, form, changed);
}

fn modes_ui(ui: &mut Ui, vm: &mut ViewModel, form: &mut SettingsForm, changed: &mut bool) {
    let mut remove = None;
    for mode in &vm.settings.modes {
        ui.horizontal(|ui| {
            ui.label(format!("{} {}", mode.icon, mode.name));
            if form.mode.is_none() && ui.small_button(format!("Edit {}", mode.name)).clicked() {
                form.mode = Some(ModeDraft {
                    id: Some(mode.id.clone()),
                    icon: mode.icon.clone(),
                    name: mode.name.clone(),
                    prompt: mode.prompt.clone(),
                });
            }
            if ui.small_button(format!("Remove {}", mode.name)).clicked() {
                remove = Some(mode.id.clone());
            }
        });
    }
    if let Some(id) = remove {
        vm.settings.modes.retain(|m| m.id != id);
        *changed = true;
    }
    let Some(draft) = form.mode.as_mut() else {
        if ui.button("Add a mode").clicked() {
            form.mode = Some(ModeDraft { icon: "✨".to_owned(), ..ModeDraft::default() });
        }
        return;
    };
    let close = egui::Frame::group(ui.style())
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                let label = ui.label("Mode icon");
                ui.add(egui::TextEdit::singleline(&mut draft.icon).char_limit(4).desired_width(40.0))
                    .labelled_by(label.id);
                let label = ui.label("Mode name");
                ui.add(egui::TextEdit::singleline(&mut draft.name).hint_text("Tutor").desired_width(200.0))
                    .labelled_by(label.id);
            });
            let label = ui.label("Mode instructions");
            ui.add(
                egui::TextEdit::multiline(&mut draft.prompt)
                    .hint_text("Explain step by step and ask a question back.")
                    .desired_rows(3)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
            ui.horizontal(|ui| {
                let valid = !draft.name.trim().is_empty() && !draft.prompt.trim().is_empty();
                let save = ui.add_enabled(valid, egui::Button::new("Save mode"));
                let mut close = false;
                if save.on_disabled_hover_text("Give the mode a name and instructions").clicked() {
                    let mode = CustomMode {
                        id: draft.id.clone().unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
                        name: draft.name.trim().to_owned(),
                        icon: draft.icon.trim().to_owned(),
                        prompt: draft.prompt.trim().to_owned(),
                    };
                    match vm.settings.modes.iter_mut().find(|m| m.id == mode.id) {
                        Some(existing) => *existing = mode,
                        None => vm.settings.modes.push(mode),
                    }
                    *changed = true;
                    close = true;
                } else if ui.button("Cancel").clicked() {
                    close = true;
                }
                close
            })
            .inner
        })
        .inner;
    if close {
        form.mode = None;
    }
}

fn models_ui(ui: &mut Ui, vm: &mut ViewModel, changed: &mut bool) {
    section(ui, "Model for new chats");
    let current = vm.settings.default_model.as_ref().map_or_else(|| "None chosen".to_owned(), |c| vm.model_name(c));
    let enabled = |vm: &ViewModel, provider: &str| vm.settings.providers.iter().any(|p| p.id == provider && p.enabled);
    let offered: Vec<(ModelChoice, String)> = vm
        .models()
        .filter(|m| enabled(vm, &m.provider))
        .map(|m| (ModelChoice { provider: m.provider.clone(), model: m.id.clone() }, m.name.clone()))
        .collect();
    let mut chosen = None;
    super::form::combo(ui, "Model for new chats", current, Some(300.0), |ui| {
        for (choice, name) in &offered {
            let selected = vm.settings.default_model.as_ref() == Some(choice);
            if ui.selectable_label(selected, name).clicked() {
                chosen = Some(choice.clone());
            }
        }
    });
    if let Some(choice) = chosen {
        vm.settings.default_model = Some(choice);
        *changed = true;
    }
    section(ui, "Favourites");
    if vm.settings.favourites.is_empty() {
        ui.weak("None yet: star models with ☆ in the model picker.");
    }
    let mut unstar = None;
    for f in &vm.settings.favourites {
        ui.horizontal(|ui| {
            let name = vm.model_name(f);
            ui.label(&name);
            if ui.small_button(format!("Unstar {name}")).clicked() {
                unstar = Some(f.clone());
            }
        });
    }
    if let Some(f) = unstar {
        vm.settings.favourites.retain(|x| *x != f);
        *changed = true;
    }
    section(ui, "Providers");
    for p in &vm.settings.providers {
        let count = vm.models().filter(|m| m.provider == p.id).count();
        let state = if p.enabled { "offered" } else { "switched off" };
        ui.label(format!("{}: {count} models, {state}", p.name));
    }
    ui.weak("Switch providers on or off, add models and endpoints in the API keys tab.");
}

fn profile_ui(ui: &mut Ui, vm: &mut ViewModel, hidden: bool, changed: &mut bool) {
    section(ui, "Profile");
    if hidden {
        ui.label(if vm.settings.hide_personal {
            "Personal information is hidden (Customization → Hide personal information)."
        } else {
            "Personal information is hidden while presenting on a shared screen."
        });
        return;
    }
    ui.weak("Shown in the sidebar of this app only; never sent to a model unless you write it into the instructions.");
    let p = &mut vm.settings.personal;
    *changed |= field(ui, "Name", &mut p.name, "your name");
    *changed |= field(ui, "E-mail", &mut p.email, "you@example.com");
}

fn data_ui(ui: &mut Ui, vm: &mut ViewModel, hidden: bool, changed: &mut bool, send: &mut dyn FnMut(Command)) {
    section(ui, "Where your data is");
    let place = match &vm.data_dir {
        // The path names the user's account.
        Some(_) if hidden => "Profile folder: (hidden with your personal information)".to_owned(),
        Some(dir) => format!("Profile folder: {}", dir.display()),
        None if cfg!(target_arch = "wasm32") => {
            "Profile: in this browser's storage for this site (IndexedDB).".to_owned()
        }
        None => "Profile folder: (not on disk: this session is kept in memory)".to_owned(),
    };
    ui.label(place);
    if let Some(p) = vm.protection {
        ui.label(p.describe());
    }
    section(ui, "Attachments");
    ui.horizontal(|ui| {
        let label = ui.label("Largest attachment (MiB)");
        let value = egui::DragValue::new(&mut vm.settings.max_attachment_mib).range(1..=1024);
        *changed |= ui.add(value).labelled_by(label.id).changed();
    });
    let mut strip = vm.settings.strip_photo_metadata;
    if ui.checkbox(&mut strip, "Remove location and camera data from photos sent to models").changed() {
        vm.settings.strip_photo_metadata = strip;
        *changed = true;
    }
    section(ui, "Export and import");
    ui.label("One JSON file with every chat, its branches and files, and your settings. API keys are never written.");
    ui.horizontal(|ui| {
        if ui.button("Export all data…").clicked() {
            send(Command::Export { what: ExportWhat::All });
        }
        if ui
            .button("Import chats…")
            .on_hover_text("A Pak.Chat export, or conversations.json from a ChatGPT data export")
            .clicked()
        {
            send(Command::Import);
        }
    });
    ui.weak("Chats already here are left as they are. Settings come along only into a profile whose own were never changed.");
    if let Some(status) = &vm.status {
        ui.label(super::policy::without_home(status, hidden));
    }
    if cfg!(target_arch = "wasm32") {
        let signed_in = matches!(vm.account, crate::backend::AccountView::SignedIn { .. });
        forget_browser_ui(ui, signed_in, send);
    }
}

/// A browser on a shared computer: delete everything Pak.Chat keeps in it,
/// after a second, explicit yes (signed in: the session ends at the server
/// first).
pub(super) fn forget_browser_ui(ui: &mut Ui, signed_in: bool, send: &mut dyn FnMut(Command)) {
    section(ui, "This browser");
    ui.label(if signed_in {
        "Sign this browser out of your account and delete everything Pak.Chat keeps in it: chats, files, \
         settings and API keys. What is synced stays on your server and your other devices."
    } else {
        "Delete everything Pak.Chat keeps in this browser: chats, files, settings and API keys. Export first to \
         keep a copy."
    });
    let asking = egui::Id::unique("forget this browser");
    if ui.data(|d| d.get_temp::<bool>(asking).unwrap_or(false)) {
        ui.horizontal(|ui| {
            ui.colored_label(ui.visuals().warn_fg_color, "Delete this browser's copy for good?");
            if ui.button("Delete everything").clicked() {
                send(Command::ForgetThisBrowser);
            }
            if ui.button("Cancel").clicked() {
                ui.data_mut(|d| d.insert_temp(asking, false));
            }
        });
    } else if ui.button(if signed_in { "Sign out and forget this browser…" } else { "Forget this browser…" }).clicked()
    {
        ui.data_mut(|d| d.insert_temp(asking, true));
    }
}
