//! What a screen reader hears. egui draws on a canvas a browser cannot
//! read (eframe's web runner does not pass AccessKit on), so the page keeps
//! a polite live region: before the profile is open, what the screen asks
//! for; then the open chat's last message — who wrote it and its state while
//! it arrives ("gpt-4o-mini · writing…"), its text once it is complete,
//! stopped or failed: one announcement per reply, not one per token. A
//! second region carries the newest error or status banner
//! ([`PakApp::notice`]).

use super::PakApp;
use crate::backend::ProtectionKind;
use crate::domain::MessageStatus;
use crate::ui::row_layout::author_and_state;
use crate::ui::view_model::{Phase, RowContent};

impl PakApp {
    /// The live-region text: what the start screen asks for, then the open
    /// chat's last message ("No chat open." without one; empty while its
    /// last message is not loaded). A message's text is left out while
    /// personal information is hidden (presenting, kiosk).
    #[must_use]
    pub fn announcement(&self) -> String {
        match &self.vm.phase {
            Phase::Setup { .. } | Phase::Unlock { .. } if self.vm.unlocking => {
                return "Opening your profile…".to_owned();
            }
            Phase::Starting => return "Opening Pak.Chat…".to_owned(),
            Phase::Setup { .. } => return "Welcome: set up your private chat history.".to_owned(),
            Phase::Unlock { protection: ProtectionKind::Passphrase, .. } => {
                return "Pak.Chat is locked: type your passphrase.".to_owned();
            }
            Phase::Unlock { .. } => return "Pak.Chat is locked.".to_owned(),
            Phase::Failed { message } => return format!("Pak.Chat could not open: {message}"),
            Phase::Ready => {}
        }
        let Some(open) = self.vm.open.as_ref() else { return "No chat open.".to_owned() };
        let last = open.pending.last().or_else(|| {
            let row = open.rows.get(&open.count.checked_sub(1)?)?;
            match &row.content {
                RowContent::Message(message) => Some(message),
                RowContent::Unreadable(_) => None,
            }
        });
        let Some(message) = last else { return String::new() };
        let header = author_and_state(message);
        match message.status {
            MessageStatus::Sending | MessageStatus::Streaming => header,
            _ if self.personal_hidden() => header,
            MessageStatus::Failed => {
                format!("{header}: {}", message.failure.as_deref().unwrap_or(&message.content))
            }
            _ => format!("{header}: {}", message.content),
        }
    }

    /// The newest banner: the last error waiting, else the status line
    /// (empty without either), as the banner shows it.
    #[must_use]
    pub fn notice(&self) -> String {
        let newest = self.vm.errors.iter().last().or(self.vm.status.as_ref());
        newest
            .map(|text| crate::ui::policy::without_home(text, self.personal_hidden()).into_owned())
            .unwrap_or_default()
    }
}
