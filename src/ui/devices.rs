//! The account's devices in Settings → Account: each signed-in device by
//! name with when it was last seen, "Sign out" for the others (a lost
//! laptop; asked twice), and this device's name to edit. The list comes
//! from the server through the backend ([`Command::ListDevices`]), asked
//! when the pane shows and again after a minute.

use std::time::Duration;

use egui::{RichText, Ui};

use crate::backend::{Command, DeviceView};
use crate::domain::wall_millis;

use super::view_model::ViewModel;

/// The button that signs another device out.
pub const SIGN_OUT_DEVICE: &str = "Sign out device";
/// The same button, clicked once: click again to confirm.
pub const CONFIRM_SIGN_OUT: &str = "Confirm sign out";
/// The button that renames this device.
pub const RENAME: &str = "Rename";
/// The label of this device's name field.
pub const THIS_DEVICE_NAME: &str = "This device's name";
/// How old a list may be before it is asked for again.
const FRESH: Duration = Duration::from_secs(60);

/// "just now", "5 min ago", "3 h ago", "2 days ago".
fn seen(last_seen_ms: i64, now_ms: i64) -> String {
    let minutes = (now_ms - last_seen_ms).max(0) / 60_000;
    match minutes {
        0 => "active now".to_owned(),
        1..60 => format!("seen {minutes} min ago"),
        60..2880 => format!("seen {} h ago", minutes / 60),
        _ => format!("seen {} days ago", minutes / 1440),
    }
}

/// The pane. `hidden`: personal information is hidden (device names often
/// hold the user's name).
pub fn devices_ui(ui: &mut Ui, vm: &mut ViewModel, hidden: bool, send: &mut dyn FnMut(Command)) {
    let pane = &mut vm.devices;
    if pane.asked.is_none_or(|at| at.elapsed() > FRESH) {
        pane.asked = Some(web_time::Instant::now());
        send(Command::ListDevices);
    }
    ui.add_space(8.0);
    ui.label(RichText::new("Devices").strong());
    if let Some(error) = &pane.error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    let Some(list) = &pane.list else {
        ui.weak("Listing your devices…");
        return;
    };
    let now = i64::try_from(wall_millis()).unwrap_or(i64::MAX);
    let mut remove = None;
    egui::Grid::new("devices").num_columns(3).spacing([16.0, 6.0]).show(ui, |ui| {
        for (n, device) in list.iter().enumerate() {
            let name = if hidden { format!("Device {}", n + 1) } else { device.name.clone() };
            if device.current {
                ui.label(RichText::new(format!("{name} (this device)")).strong());
            } else {
                ui.label(name);
            }
            ui.weak(seen(device.last_seen_ms, now));
            if !device.current {
                let confirming = pane.confirm.as_deref() == Some(device.id.as_str());
                let label = if confirming { CONFIRM_SIGN_OUT } else { SIGN_OUT_DEVICE };
                let hover = "It stops syncing until it signs in again; its chats stay on it";
                if ui.button(label).on_hover_text(hover).clicked() {
                    remove = Some((device.id.clone(), confirming));
                }
            }
            ui.end_row();
        }
    });
    match remove {
        Some((id, true)) => {
            pane.confirm = None;
            send(Command::RemoveDevice { id });
        }
        Some((id, false)) => pane.confirm = Some(id),
        None => {}
    }
    rename_ui(ui, list, &mut pane.rename, send);
}

/// This device's name, to edit.
fn rename_ui(ui: &mut Ui, list: &[DeviceView], rename: &mut Option<String>, send: &mut dyn FnMut(Command)) {
    let current = list.iter().find(|d| d.current).map(|d| d.name.clone()).unwrap_or_default();
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        let label = ui.label(THIS_DEVICE_NAME);
        let text = rename.get_or_insert_with(|| current.clone());
        let field = egui::TextEdit::singleline(text).desired_width(220.0);
        let edited = ui.add(field).labelled_by(label.id);
        let enter = edited.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let changed = !text.trim().is_empty() && text.trim() != current;
        let clicked = ui.add_enabled(changed, egui::Button::new(RENAME)).clicked();
        if changed && (clicked || enter) {
            // The field keeps the new name; the list catches up.
            send(Command::RenameDevice { name: text.trim().to_owned() });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_seen_reads_as_a_person_would_say_it() {
        let now = 1_000_000_000_000;
        assert_eq!(seen(now - 20_000, now), "active now");
        assert_eq!(seen(now - 5 * 60_000, now), "seen 5 min ago");
        assert_eq!(seen(now - 3 * 3_600_000, now), "seen 3 h ago");
        assert_eq!(seen(now - 3 * 86_400_000, now), "seen 3 days ago");
        assert_eq!(seen(now + 60_000, now), "active now", "a clock ahead is not the future");
    }
}
