//! The account in the UI: who is signed in at the foot of the sidebar (or a
//! "Sign in with Google" button) with how sync stands, and Settings →
//! Account (the server, sign in, sign out, the link to copy when no browser
//! opened; turning sync on, the recovery code shown once, joining with it;
//! the devices and the share links).
//! The name, e-mail and picture are personal information: hidden with it.
//! A kiosk shows none of this.

use egui::{RichText, Ui};

use crate::backend::{AccountView, Command, SyncView};

use super::view_model::ViewModel;

/// The avatar's texture, made once per picture.
#[derive(Default)]
pub struct AvatarCache {
    shown: Option<(crate::backend::Image, egui::TextureHandle)>,
}

impl std::fmt::Debug for AvatarCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvatarCache").field("shown", &self.shown.is_some()).finish()
    }
}

impl AvatarCache {
    fn texture(&mut self, ui: &Ui, image: &crate::backend::Image) -> egui::TextureHandle {
        match &self.shown {
            Some((shown, texture)) if std::sync::Arc::ptr_eq(shown, image) => texture.clone(),
            _ => {
                let colour = super::attachments::color_image(image.clone());
                let texture = ui.ctx().load_texture("avatar", colour, egui::TextureOptions::LINEAR);
                self.shown = Some((image.clone(), texture.clone()));
                texture
            }
        }
    }
}

/// The label of the sign-in button.
pub const SIGN_IN: &str = "Sign in with Google";

/// The account at the foot of the sidebar. True when Settings → Account
/// should open (signing in needs a server address first).
pub fn footer_ui(
    ui: &mut Ui,
    vm: &ViewModel,
    avatar: &mut AvatarCache,
    hidden: bool,
    send: &mut dyn FnMut(Command),
) -> bool {
    let server = server_or_default(&vm.settings.account_server);
    let server = server.as_str();
    let mut open_settings = false;
    let mut sign_in = |send: &mut dyn FnMut(Command)| {
        if server.is_empty() {
            open_settings = true;
        } else {
            send(Command::SignIn { server: server.to_owned() });
        }
    };
    match &vm.account {
        AccountView::SignedIn { server, user, avatar: picture } => {
            if hidden {
                return false;
            }
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                if let Some(picture) = picture {
                    let texture = avatar.texture(ui, picture);
                    ui.add(egui::Image::new(&texture).fit_to_exact_size(egui::vec2(28.0, 28.0)).corner_radius(14.0));
                }
                ui.vertical(|ui| {
                    if !user.name.is_empty() {
                        ui.label(RichText::new(&user.name).strong());
                    }
                    ui.small(&user.email);
                });
            })
            .response
            .on_hover_text(format!("Signed in to {server}"));
        }
        AccountView::SigningIn { .. } => {
            ui.horizontal(|ui| {
                ui.small(if cfg!(target_arch = "wasm32") { "Signing in…" } else { "Waiting for your browser…" });
                if ui.small_button("Cancel").clicked() {
                    send(Command::CancelSignIn);
                }
            });
        }
        AccountView::Expired { .. } => {
            ui.small("The server signed this device out.");
            if ui.button("Sign in again").clicked() {
                sign_in(send);
            }
        }
        AccountView::SignedOut => {
            if ui.button(SIGN_IN).on_hover_text("Connect this device to your Pak.Chat server").clicked() {
                sign_in(send);
            }
        }
    }
    if matches!(vm.account, AccountView::SignedIn { .. }) {
        open_settings |= sync_line(ui, &vm.sync, send);
    }
    open_settings
}

/// The server a page was loaded from (`pakchat-server --web-dir` serves
/// the web app beside its sync endpoints), the one a page signs in to
/// unless another is set; none on the desktop.
fn page_server() -> Option<String> {
    // Asked once: the footer wants it every frame, and a page's origin does not change.
    #[cfg(target_arch = "wasm32")]
    {
        static ORIGIN: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
        ORIGIN
            .get_or_init(|| {
                web_sys::window().and_then(|w| w.location().origin().ok()).filter(|o| o.starts_with("http"))
            })
            .clone()
    }
    #[cfg(not(target_arch = "wasm32"))]
    None
}

/// The server set in Settings → Account, else the page's ([`page_server`]).
fn server_or_default(set: &str) -> String {
    let set = set.trim();
    if set.is_empty() { page_server().unwrap_or_default() } else { set.to_owned() }
}

/// The label of the button that syncs at once.
pub const SYNC_NOW: &str = "Sync now";

/// What the sync state says, in a few words (and the hover text).
#[must_use]
pub fn sync_words(sync: &(SyncView, web_time::Instant)) -> (String, String) {
    let changes = |n: usize| match n {
        1 => "1 change waiting".to_owned(),
        n if n >= crate::backend::SYNC_COUNT_CAP => format!("{n}+ changes waiting"),
        n => format!("{n} changes waiting"),
    };
    match &sync.0 {
        SyncView::Off => (String::new(), String::new()),
        SyncView::NoKey => (
            "Sync is off on this device".to_owned(),
            "This device does not hold your account's key yet: Settings → Account".to_owned(),
        ),
        SyncView::Syncing => ("Syncing…".to_owned(), "Sending and fetching changes".to_owned()),
        SyncView::Synced => ("Synced".to_owned(), "Everything here is on your server, end-to-end encrypted".to_owned()),
        SyncView::Offline { waiting, retry_s } => {
            let left = retry_s.saturating_sub(sync.1.elapsed().as_secs());
            let retry = if left == 0 { "retrying…".to_owned() } else { format!("retrying in {left} s") };
            let head = if *waiting == 0 { "Offline".to_owned() } else { format!("Offline — {}", changes(*waiting)) };
            (format!("{head}, {retry}"), "Nothing is lost: changes are sent once the server answers".to_owned())
        }
        SyncView::Failed { waiting, message } => {
            (format!("Sync failed — {}", changes(*waiting)), format!("{message}. Changes stay here until it works."))
        }
    }
}

/// The sync state under the account, with "Sync now". True when Settings
/// → Account should open (to turn sync on).
fn sync_line(ui: &mut Ui, sync: &(SyncView, web_time::Instant), send: &mut dyn FnMut(Command)) -> bool {
    let (words, hover) = sync_words(sync);
    if words.is_empty() {
        return false;
    }
    if matches!(sync.0, SyncView::Offline { .. }) {
        // The countdown moves once a second while offline, not otherwise.
        ui.ctx().request_repaint_after(std::time::Duration::from_secs(1));
    }
    let mut open_settings = false;
    ui.horizontal_wrapped(|ui| {
        ui.small(words).on_hover_text(hover);
        match sync.0 {
            SyncView::NoKey => open_settings = ui.small_button("Turn on…").clicked(),
            _ => {
                if ui.small_button(SYNC_NOW).on_hover_text("Send and fetch changes now").clicked() {
                    send(Command::SyncNow);
                }
            }
        }
    });
    open_settings
}

/// Settings → Account. `changed`: the server address was edited (settings
/// to save).
pub fn settings_ui(ui: &mut Ui, vm: &mut ViewModel, hidden: bool, changed: &mut bool, send: &mut dyn FnMut(Command)) {
    super::settings_window::section(ui, "Account");
    ui.weak(
        "Signing in connects this device to a Pak.Chat server with your Google account. Your chats and \
         settings then sync between your devices, end-to-end encrypted: the server holds them encrypted \
         under your account's key, which it never sees.",
    );
    let editable = matches!(vm.account, AccountView::SignedOut | AccountView::Expired { .. });
    // Signed in, the field shows where (also when the address was the page's own).
    let hint = match &vm.account {
        AccountView::SignedIn { server, .. }
        | AccountView::Expired { server, .. }
        | AccountView::SigningIn { server, .. } => server.clone(),
        AccountView::SignedOut => page_server().unwrap_or_else(|| "https://pak.example.org".to_owned()),
    };
    ui.add_enabled_ui(editable, |ui| {
        *changed |= super::settings_window::field(ui, "Server", &mut vm.settings.account_server, &hint);
    });
    let server = server_or_default(&vm.settings.account_server);
    ui.add_space(6.0);
    match &vm.account {
        AccountView::SignedOut => {
            let button = ui.add_enabled(!server.is_empty(), egui::Button::new(SIGN_IN));
            if button.on_disabled_hover_text("Enter your server's address first").clicked() {
                send(Command::SignIn { server });
            }
        }
        AccountView::SigningIn { server, url } => {
            if cfg!(target_arch = "wasm32") {
                ui.label(format!("Signing in to {server}…"));
            } else {
                ui.label(format!("Finish signing in to {server} in your browser…"));
            }
            ui.horizontal(|ui| {
                if let Some(url) = url
                    && ui.button("Copy sign-in link").on_hover_text("If no browser opened, paste it into one").clicked()
                {
                    ui.ctx().copy_text(url.clone());
                }
                if ui.button("Cancel").clicked() {
                    send(Command::CancelSignIn);
                }
            });
        }
        AccountView::SignedIn { server, user, .. } => {
            if hidden {
                ui.label(format!("Signed in to {server} (who is hidden with your personal information)."));
            } else {
                ui.label(format!("Signed in as {} ({})", shown_name(user), user.email));
                ui.weak(format!("Server: {server}"));
            }
            if ui.button("Sign out").on_hover_text("Your chats stay on this device").clicked() {
                send(Command::SignOut);
            }
            sync_settings_ui(ui, vm, changed, send);
            super::devices::devices_ui(ui, vm, hidden, send);
            super::shares::links_ui(ui, vm, hidden, send);
            if cfg!(target_arch = "wasm32") {
                super::settings_window::forget_browser_ui(ui, true, send);
            }
        }
        AccountView::Expired { server, user } => {
            let who = if hidden { String::new() } else { format!(" ({})", user.email) };
            ui.label(format!("{server} signed this device out{who}: the session expired or was revoked."));
            ui.weak("Every chat is still here. Sign in again to reconnect.");
            if ui.add_enabled(!server.is_empty(), egui::Button::new("Sign in again")).clicked() {
                send(Command::SignIn { server: server.clone() });
            }
        }
    }
}

/// The label of the button that makes the account's key here.
pub const TURN_ON_SYNC: &str = "Turn on sync";
/// The label of the recovery code field.
pub const RECOVERY_CODE: &str = "Recovery code";
/// The label of the button that joins with the code.
pub const JOIN: &str = "Join";
/// The label of the button that hides the recovery code.
pub const CODE_SAVED: &str = "I have saved it";
/// The label of the choice to sync API keys.
pub const SYNC_API_KEYS: &str = "Sync API keys to my other devices";

/// The label of the choice to download every synced file.
pub const KEEP_FILES_OFFLINE: &str = "Keep all files offline";

/// Sync in Settings → Account: the recovery code just made (once), how
/// sync stands and "Sync now", or how to turn it on.
fn sync_settings_ui(ui: &mut Ui, vm: &mut ViewModel, changed: &mut bool, send: &mut dyn FnMut(Command)) {
    ui.add_space(8.0);
    ui.label(RichText::new("Sync").strong());
    if let Some(code) = &vm.recovery_code {
        let mut saved = false;
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(RichText::new("Your recovery code").strong());
            ui.label(RichText::new(code.as_str()).monospace().size(18.0));
            ui.weak(
                "Write it down or keep it in a password manager: it is shown only now. Every new device \
                 needs it to read your synced chats, and nobody (the server included) can recover it.",
            );
            ui.horizontal(|ui| {
                if ui.button("Copy").clicked() {
                    ui.ctx().copy_text(code.to_string());
                }
                saved = ui.button(CODE_SAVED).clicked();
            });
        });
        if saved {
            vm.recovery_code = None;
        }
    }
    let (words, hover) = sync_words(&vm.sync);
    if matches!(vm.sync.0, SyncView::NoKey) {
        ui.label(words);
        ui.weak(
            "First device of your account? Turn sync on: Pak.Chat makes your account's key and shows its \
             recovery code once. Your other devices join with that code.",
        );
        if ui.button(TURN_ON_SYNC).clicked() {
            vm.enrol_error = None;
            send(Command::TurnOnSync);
        }
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            let label = ui.label(RECOVERY_CODE);
            let field = egui::TextEdit::singleline(&mut *vm.join_code)
                .hint_text("as your first device showed it")
                .desired_width(300.0);
            let entered = ui.add(field).labelled_by(label.id);
            let enter = entered.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let join = ui.add_enabled(!vm.join_code.trim().is_empty(), egui::Button::new(JOIN)).clicked();
            if (join || enter) && !vm.join_code.trim().is_empty() {
                vm.enrol_error = None;
                send(Command::JoinSync { code: std::mem::take(&mut vm.join_code) });
            }
        });
        if let Some(error) = &vm.enrol_error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        return;
    }
    ui.label(words).on_hover_text(hover.clone());
    if !hover.is_empty() {
        ui.weak(hover);
    }
    if ui.button(SYNC_NOW).clicked() {
        send(Command::SyncNow);
    }
    let mut keys = vm.settings.syncs_api_keys();
    let hover = "Your providers' keys go to your other devices sealed like your chats (the server never sees \
                 them). Off, each device keeps its own keys.";
    if ui.checkbox(&mut keys, SYNC_API_KEYS).on_hover_text(hover).changed() {
        vm.settings.sync_api_keys = Some(keys);
        *changed = true;
    }
    let hover = "Files your other devices attached are downloaded as they arrive, so they open without a \
                 connection. Off, each is downloaded when you open it or a reply sends it. This device only.";
    if ui.checkbox(&mut vm.settings.keep_files_offline, KEEP_FILES_OFFLINE).on_hover_text(hover).changed() {
        *changed = true;
    }
}

fn shown_name(user: &crate::domain::AccountUser) -> &str {
    if user.name.is_empty() { &user.email } else { &user.name }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_without_a_name_is_shown_by_e_mail() {
        let user =
            crate::domain::AccountUser { name: String::new(), email: "a@b.c".to_owned(), picture: String::new() };
        assert_eq!(shown_name(&user), "a@b.c");
    }
}
