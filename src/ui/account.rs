//! The account in the UI: who is signed in at the foot of the sidebar (or a
//! "Sign in with Google" button), and Settings → Account (the server, sign
//! in, sign out, the link to copy when no browser opened). The name, e-mail
//! and picture are personal information: hidden with it. A kiosk shows
//! none of this.

use egui::{RichText, Ui};

use crate::backend::{AccountView, Command};

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
    let server = vm.settings.account_server.trim();
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
                ui.small("Waiting for your browser…");
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
    open_settings
}

/// Settings → Account. `changed`: the server address was edited (settings
/// to save).
pub fn settings_ui(ui: &mut Ui, vm: &mut ViewModel, hidden: bool, changed: &mut bool, send: &mut dyn FnMut(Command)) {
    super::settings_window::section(ui, "Account");
    ui.weak(
        "Signing in connects this device to a Pak.Chat server with your Google account. Syncing chats and \
         settings between your devices comes next; the server will only ever hold them encrypted.",
    );
    let editable = matches!(vm.account, AccountView::SignedOut | AccountView::Expired { .. });
    ui.add_enabled_ui(editable, |ui| {
        *changed |=
            super::settings_window::field(ui, "Server", &mut vm.settings.account_server, "https://pak.example.org");
    });
    let server = vm.settings.account_server.trim().to_owned();
    ui.add_space(6.0);
    match &vm.account {
        AccountView::SignedOut => {
            let button = ui.add_enabled(!server.is_empty(), egui::Button::new(SIGN_IN));
            if button.on_disabled_hover_text("Enter your server's address first").clicked() {
                send(Command::SignIn { server });
            }
        }
        AccountView::SigningIn { server, url } => {
            ui.label(format!("Finish signing in to {server} in your browser…"));
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
