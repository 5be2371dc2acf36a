//! Start-up screens: first run (how to protect the profile), unlock, and the
//! "cannot open" screen. They explain where data lives and how it is kept.

use std::path::PathBuf;

use egui::{RichText, Ui};
use zeroize::Zeroizing;

use crate::backend::{Command, KeySource, ProtectionKind};

use super::view_model::{Phase, ViewModel};

/// Which protection the first-run screen has selected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// OS keychain.
    Keychain,
    /// Passphrase.
    Passphrase,
    /// Key file.
    KeyFile,
}

/// Form state of the start-up screens.
#[derive(Debug)]
pub struct LockForm {
    /// Selected protection on first run.
    pub choice: Option<Choice>,
    /// Passphrase field (wiped on drop).
    pub passphrase: Zeroizing<String>,
    /// Confirmation field.
    pub confirm: Zeroizing<String>,
    /// Key file path field.
    pub key_file: String,
    /// What is missing from the form after a click on "Create profile".
    pub hint: Option<&'static str>,
}

impl Default for LockForm {
    fn default() -> Self {
        Self {
            choice: None,
            passphrase: Zeroizing::new(String::new()),
            confirm: Zeroizing::new(String::new()),
            key_file: String::new(),
            hint: None,
        }
    }
}

fn where_text(data_dir: Option<&PathBuf>) -> String {
    match data_dir {
        Some(dir) => format!("Your threads are stored on this computer, encrypted, in {}.", dir.display()),
        None if cfg!(target_arch = "wasm32") => {
            "Your threads are kept in this browser's storage for this site, encrypted.".to_owned()
        }
        None => "This session keeps your threads in memory only: they are gone when you close it.".to_owned(),
    }
}

/// Draw the screen for the current start-up phase.
pub fn lock_screen_ui(ui: &mut Ui, vm: &ViewModel, form: &mut LockForm, send: &mut dyn FnMut(Command)) {
    ui.vertical_centered(|ui| {
        ui.set_max_width(520.0);
        ui.add_space(40.0);
        ui.heading(RichText::new("Pak.Chat").size(28.0));
        ui.add_space(12.0);
        match &vm.phase {
            Phase::Starting | Phase::Ready => match vm.giving_back {
                Some(percent) => {
                    ui.label("Giving back disk space after large deletions…");
                    ui.add(egui::ProgressBar::new(f32::from(percent) / 100.0).show_percentage().desired_width(320.0));
                    ui.weak("Once, after a lot was deleted; your chats are all kept.");
                }
                None => {
                    ui.spinner();
                    ui.label("Opening your profile…");
                }
            },
            Phase::Failed { message } => {
                ui.label(RichText::new("Pak.Chat cannot open this profile").strong());
                ui.label(message);
                ui.label(if cfg!(target_arch = "wasm32") {
                    "Reload the page to try again."
                } else {
                    "Close the other window, or start Pak.Chat with another --profile."
                });
            }
            Phase::Setup { data_dir, keychain_available } => {
                setup_ui(ui, vm, data_dir.as_ref(), *keychain_available, form, send);
            }
            Phase::Unlock { protection, problem } => unlock_ui(ui, vm, *protection, problem.as_deref(), form, send),
        }
        if let Some(error) = &vm.unlock_error {
            ui.add_space(8.0);
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
    });
}

fn setup_ui(
    ui: &mut Ui,
    vm: &ViewModel,
    data_dir: Option<&PathBuf>,
    keychain: bool,
    form: &mut LockForm,
    send: &mut dyn FnMut(Command),
) {
    ui.label(RichText::new("Welcome! Let's set up your private chat history.").strong());
    ui.label(where_text(data_dir));
    if form.choice.is_none() {
        form.choice = Some(if keychain { Choice::Keychain } else { Choice::Passphrase });
    }
    if form.key_file.is_empty() {
        form.key_file = data_dir.map(|d| d.join("pakchat.key").display().to_string()).unwrap_or_default();
    }
    if cfg!(target_arch = "wasm32") {
        // A page has no keychain and no files of its own to keep a key in:
        // the passphrase is the only choice, so none is offered.
        ui.label("Everything you write is encrypted (AES-256-GCM) before the browser stores it, with a key made from your passphrase:");
    } else {
        ui.label(
            "Everything you write is encrypted (AES-256-GCM) before it touches the disk. Choose what protects the key:",
        );
        ui.add_space(8.0);
        ui.add_enabled_ui(keychain, |ui| {
            ui.radio_value(&mut form.choice, Some(Choice::Keychain), "System keychain (recommended, no prompt)");
        });
        if !keychain {
            ui.weak("No system keychain answered on this computer.");
        }
        ui.radio_value(&mut form.choice, Some(Choice::Passphrase), "Passphrase (asked at every start)");
        ui.radio_value(
            &mut form.choice,
            Some(Choice::KeyFile),
            "Key file (weaker: anyone who can read the file can read your chats)",
        );
    }
    ui.add_space(8.0);
    let mut submit = false;
    match form.choice {
        Some(Choice::Passphrase) => {
            submit |= passphrase_field(ui, "Passphrase", &mut form.passphrase, true);
            submit |= passphrase_field(ui, "Repeat passphrase", &mut form.confirm, false);
            ui.weak("If you forget it, your chats cannot be recovered.");
        }
        Some(Choice::KeyFile) => {
            ui.horizontal(|ui| {
                let label = ui.label("Key file");
                ui.text_edit_singleline(&mut form.key_file).labelled_by(label.id);
            });
        }
        Some(Choice::Keychain) | None => {}
    }
    ui.add_space(8.0);
    let busy = vm.unlocking;
    if busy {
        ui.spinner();
    }
    submit |= ui.add_enabled(!busy, egui::Button::new("Create profile")).clicked();
    if submit && !busy {
        let source = match form.choice {
            Some(Choice::Keychain) => Some(KeySource::Keychain),
            Some(Choice::Passphrase) if form.passphrase.is_empty() => {
                form.hint = Some(CHOOSE_FIRST);
                None
            }
            Some(Choice::Passphrase) if *form.passphrase != *form.confirm => {
                form.hint = Some("Type the same passphrase twice.");
                None
            }
            Some(Choice::Passphrase) => Some(KeySource::Passphrase(form.passphrase.clone())),
            Some(Choice::KeyFile) if !form.key_file.trim().is_empty() => {
                Some(KeySource::KeyFile(PathBuf::from(form.key_file.trim())))
            }
            Some(Choice::KeyFile) | None => {
                form.hint = Some("Say where the key file should go.");
                None
            }
        };
        if let Some(source) = source {
            form.hint = None;
            send(Command::SetUp(source));
        }
    }
    // "Choose one first" goes once one is typed; one note at a time.
    if form.hint == Some(CHOOSE_FIRST) && !form.passphrase.is_empty() {
        form.hint = None;
    }
    if let Some(hint) = form.hint {
        ui.colored_label(ui.visuals().warn_fg_color, hint);
    } else if matches!(form.choice, Some(Choice::Passphrase))
        && !form.confirm.is_empty()
        && *form.passphrase != *form.confirm
    {
        ui.colored_label(ui.visuals().warn_fg_color, "The two passphrases differ.");
    }
}

/// The note when Create profile is pressed without a passphrase.
const CHOOSE_FIRST: &str = "Choose a passphrase first.";

/// A passphrase field; true when Enter was pressed in it. The `first`
/// field of a screen takes the keyboard when the screen first shows (once:
/// taking it back on every frame would swallow the Enter that submits), so
/// a person can type at once.
fn passphrase_field(ui: &mut Ui, label: &str, value: &mut Zeroizing<String>, first: bool) -> bool {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        let response = ui.add(egui::TextEdit::singleline(&mut **value).password(true)).labelled_by(l.id);
        let focused_once = response.id.with("focused once");
        if first && !ui.data(|d| d.get_temp::<bool>(focused_once).unwrap_or(false)) {
            response.request_focus();
            ui.data_mut(|d| d.insert_temp(focused_once, true));
        }
        response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter))
    })
    .inner
}

fn unlock_ui(
    ui: &mut Ui,
    vm: &ViewModel,
    protection: ProtectionKind,
    problem: Option<&str>,
    form: &mut LockForm,
    send: &mut dyn FnMut(Command),
) {
    ui.label(where_text(vm.data_dir.as_ref()));
    ui.label(protection.describe());
    if let Some(problem) = problem {
        ui.colored_label(ui.visuals().warn_fg_color, problem);
    }
    ui.add_space(8.0);
    let busy = vm.unlocking;
    match protection {
        ProtectionKind::Passphrase => {
            let enter = passphrase_field(ui, "Passphrase", &mut form.passphrase, true);
            if (ui.add_enabled(!busy, egui::Button::new("Unlock")).clicked() || enter) && !form.passphrase.is_empty() {
                send(Command::Unlock(KeySource::Passphrase(form.passphrase.clone())));
                form.passphrase = Zeroizing::new(String::new());
            }
        }
        ProtectionKind::KeyFile => {
            ui.horizontal(|ui| {
                let label = ui.label("Key file");
                ui.text_edit_singleline(&mut form.key_file).labelled_by(label.id);
            });
            if ui.add_enabled(!busy, egui::Button::new("Unlock")).clicked() && !form.key_file.trim().is_empty() {
                send(Command::Unlock(KeySource::KeyFile(PathBuf::from(form.key_file.trim()))));
            }
        }
        ProtectionKind::Keychain => {
            if ui.add_enabled(!busy, egui::Button::new("Try the keychain again")).clicked() {
                send(Command::Unlock(KeySource::Keychain));
            }
        }
        ProtectionKind::Throwaway => {
            ui.label("Its key was thrown away when its session ended: nothing can open it.");
        }
    }
    if busy {
        ui.spinner();
    }
}
