//! Share links in the UI: the chat's More → "Share link…" window (how long
//! the link lasts, then the link to copy: anyone with it can read a copy of
//! the branch on screen, and nobody else — the key is in the link, the
//! server cannot read it), and the account's links in Settings → Account
//! (copy again, revoke; asked twice). The work is the backend's
//! ([`Command::ShareThread`], [`Command::ListShares`], [`Command::RevokeShare`]).

use std::time::Duration;

use egui::{RichText, Ui};

use crate::backend::shares::{EXPIRY_CHOICES, ShareView};
use crate::backend::{AccountView, Command};
use crate::domain::{ThreadId, wall_millis};

use super::view_model::ViewModel;

/// The menu item that opens the share window.
pub const SHARE_LINK: &str = "Share link…";
/// The button that makes the link.
pub const CREATE_LINK: &str = "Create link";
/// The button that revokes a link.
pub const REVOKE: &str = "Revoke";
/// The same button, clicked once: click again to confirm.
pub const CONFIRM_REVOKE: &str = "Confirm revoke";
/// How old the list may be before it is asked for again.
const FRESH: Duration = Duration::from_secs(60);

/// The share window of one chat.
#[derive(Debug)]
pub struct ShareDialog {
    /// The chat shared.
    pub thread: ThreadId,
    /// How long the link lasts (days; None: until revoked).
    pub days: Option<u32>,
    /// Waiting for the backend.
    pub busy: bool,
    /// The link made, or why not.
    pub made: Option<Result<String, String>>,
}

/// The account's links in Settings → Account, and the share window.
#[derive(Debug, Default)]
pub struct SharesPane {
    /// The last list the server gave (`None`: not yet).
    pub list: Option<Vec<ShareView>>,
    /// Why the last listing or revocation failed.
    pub error: Option<String>,
    /// When the list was last asked for (again after a minute, or at once
    /// after a link was made).
    pub asked: Option<web_time::Instant>,
    /// The link whose Revoke was clicked once and waits to be confirmed.
    pub confirm: Option<String>,
    /// The share window, while open.
    pub dialog: Option<ShareDialog>,
}

impl SharesPane {
    /// Open the share window for `thread`.
    pub fn open(&mut self, thread: ThreadId) {
        self.dialog = Some(ShareDialog { thread, days: None, busy: false, made: None });
    }

    /// A link of `thread` was made, or not.
    pub fn made(&mut self, thread: ThreadId, result: Result<String, String>) {
        if let Some(dialog) = self.dialog.as_mut().filter(|d| d.thread == thread) {
            dialog.busy = false;
            dialog.made = Some(result);
        }
        self.asked = None;
    }

    /// The account's links (or why not).
    pub fn listed(&mut self, result: Result<Vec<ShareView>, String>) {
        match result {
            Ok(list) => {
                self.list = Some(list);
                self.error = None;
                self.confirm = None;
            }
            Err(message) => self.error = Some(message),
        }
    }
}

fn expiry_words(days: Option<u32>) -> String {
    match days {
        None => "Until I revoke it".to_owned(),
        Some(1) => "1 day".to_owned(),
        Some(d) => format!("{d} days"),
    }
}

/// The share window, when open.
pub fn dialog_ui(ctx: &egui::Context, vm: &mut ViewModel, send: &mut dyn FnMut(Command)) {
    let signed_in = matches!(vm.account, AccountView::SignedIn { .. });
    let title = |thread: ThreadId| vm.threads.get(&thread).map(|t| t.title.clone()).unwrap_or_default();
    let Some(dialog) = vm.shares.dialog.as_ref() else { return };
    let chat = title(dialog.thread);
    let Some(dialog) = vm.shares.dialog.as_mut() else { return };
    let mut open = true;
    let mut done = false;
    egui::Window::new("Share a link").open(&mut open).collapsible(false).default_width(460.0).show(ctx, |ui| {
        ui.label(RichText::new(format!("“{chat}”")).strong());
        ui.weak(
            "Anyone with the link can read a copy of this chat as it is now (the branch on screen; its \
             files are not shared). The key is in the link: your server keeps the copy but cannot read it.",
        );
        ui.add_space(6.0);
        match &dialog.made {
            Some(Ok(link)) => {
                ui.add(egui::TextEdit::singleline(&mut link.as_str()).desired_width(f32::INFINITY).code_editor());
                ui.horizontal(|ui| {
                    if ui.button("Copy link").clicked() {
                        ui.ctx().copy_text(link.clone());
                    }
                    ui.weak(match dialog.days {
                        None => "It opens until you revoke it (Settings → Account).".to_owned(),
                        Some(days) => format!("It opens for {}.", expiry_words(Some(days))),
                    });
                });
                done = ui.button("Done").clicked();
                return;
            }
            Some(Err(why)) => {
                ui.colored_label(ui.visuals().error_fg_color, why);
            }
            None => {}
        }
        if !signed_in {
            ui.weak("Sign in first (Settings → Account): links live on your Pak.Chat server.");
        }
        ui.horizontal(|ui| {
            ui.label("Link opens for");
            egui::ComboBox::from_id_salt("share-expiry").selected_text(expiry_words(dialog.days)).show_ui(ui, |ui| {
                for choice in EXPIRY_CHOICES {
                    ui.selectable_value(&mut dialog.days, choice, expiry_words(choice));
                }
            });
        });
        let ready = signed_in && !dialog.busy;
        if ui.add_enabled(ready, egui::Button::new(CREATE_LINK)).clicked() {
            dialog.busy = true;
            dialog.made = None;
            send(Command::ShareThread { thread: dialog.thread, days: dialog.days });
        }
        if dialog.busy {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.weak("Sealing and uploading the copy…");
            });
        }
    });
    if !open || done {
        vm.shares.dialog = None;
    }
}

/// "made 3 Dec · opens until revoked", "revoked", "expired".
fn state_words(link: &ShareView, now_ms: i64) -> String {
    let day = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format("%-d %b %Y").to_string()).unwrap_or_default()
    };
    let made = format!("made {}", day(link.created_ms));
    match (link.revoked_ms, link.expires_ms) {
        (Some(_), _) => format!("{made} · revoked"),
        (None, Some(at)) if at <= now_ms => format!("{made} · expired"),
        (None, Some(at)) => format!("{made} · opens until {}", day(at)),
        (None, None) => format!("{made} · opens until revoked"),
    }
}

/// The account's links in Settings → Account. `hidden`: personal
/// information is hidden (chat titles are).
pub fn links_ui(ui: &mut Ui, vm: &mut ViewModel, hidden: bool, send: &mut dyn FnMut(Command)) {
    let pane = &mut vm.shares;
    if pane.asked.is_none_or(|at| at.elapsed() > FRESH) {
        pane.asked = Some(web_time::Instant::now());
        send(Command::ListShares);
    }
    ui.add_space(8.0);
    ui.label(RichText::new("Shared links").strong());
    if let Some(error) = &pane.error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    let Some(list) = &pane.list else {
        ui.weak("Listing your links…");
        return;
    };
    if list.is_empty() {
        ui.weak("No links yet: a chat's More → Share link… makes one.");
        return;
    }
    let now = i64::try_from(wall_millis()).unwrap_or(i64::MAX);
    let mut revoke = None;
    egui::Grid::new("shares").num_columns(3).spacing([16.0, 6.0]).show(ui, |ui| {
        for (n, link) in list.iter().enumerate() {
            let name = match &link.title {
                _ if hidden => format!("Link {}", n + 1),
                Some(title) => title.clone(),
                None => "Made on another device".to_owned(),
            };
            ui.label(name);
            ui.weak(state_words(link, now));
            ui.horizontal(|ui| {
                if let Some(whole) = link.link.as_ref().filter(|_| link.revoked_ms.is_none())
                    && ui.small_button("Copy link").clicked()
                {
                    ui.ctx().copy_text(whole.clone());
                }
                if link.revoked_ms.is_none() {
                    let confirming = pane.confirm.as_deref() == Some(link.id.as_str());
                    let label = if confirming { CONFIRM_REVOKE } else { REVOKE };
                    let hover = "The link stops opening and the copy is deleted from the server";
                    if ui.small_button(label).on_hover_text(hover).clicked() {
                        revoke = Some((link.id.clone(), confirming));
                    }
                }
            });
            ui.end_row();
        }
    });
    match revoke {
        Some((id, true)) => {
            pane.confirm = None;
            send(Command::RevokeShare { id });
        }
        Some((id, false)) => pane.confirm = Some(id),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(revoked: Option<i64>, expires: Option<i64>) -> ShareView {
        ShareView {
            id: "x".repeat(22),
            title: None,
            link: None,
            created_ms: 1_764_806_400_000,
            expires_ms: expires,
            revoked_ms: revoked,
        }
    }

    #[test]
    fn a_links_state_reads_as_a_person_would_say_it() {
        let now = 1_764_900_000_000;
        assert_eq!(state_words(&link(None, None), now), "made 4 Dec 2025 · opens until revoked");
        assert_eq!(state_words(&link(Some(now), None), now), "made 4 Dec 2025 · revoked");
        assert_eq!(state_words(&link(None, Some(now - 1)), now), "made 4 Dec 2025 · expired");
        assert_eq!(state_words(&link(None, Some(1_765_411_200_000)), now), "made 4 Dec 2025 · opens until 11 Dec 2025");
    }
}
