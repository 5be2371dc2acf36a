//! What the UI offers: everything on a person's own computer; on a shared
//! one (kiosk mode) the admin's configuration takes away settings, keys,
//! export, projects and extra windows, and decides about file dialogs, the
//! clipboard, links, attachments and image generation. Hiding is what the
//! visitor sees; the backend's [`crate::backend::Lockdown`] and the kiosk's
//! output filter are what hold.

use std::borrow::Cow;

use crate::domain::ModelChoice;

/// `text` with the user's home folder written `~` when personal
/// information is hidden (presenting, a kiosk): a path such as
/// `/home/ada/Documents/chat.md` names the account.
#[must_use]
pub fn without_home(text: &str, hidden: bool) -> Cow<'_, str> {
    #[cfg(not(target_arch = "wasm32"))]
    let home = dirs::home_dir().map(|h| h.display().to_string()).filter(|h| h.len() > 1);
    #[cfg(target_arch = "wasm32")]
    let home: Option<String> = None;
    match home {
        Some(home) if hidden && text.contains(&home) => Cow::Owned(text.replace(&home, "~")),
        _ => Cow::Borrowed(text),
    }
}

/// What the UI offers.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// Settings, API keys, export and import, projects, extra windows and
    /// personal information are gone.
    pub locked: bool,
    /// File dialogs (attach, save) may open.
    pub file_dialogs: bool,
    /// Text and images may be copied to the clipboard.
    pub clipboard: bool,
    /// Links open the browser.
    pub links: bool,
    /// Files may be attached at all (dropped, pasted or picked).
    pub attachments: bool,
    /// Image mode is offered.
    pub image_generation: bool,
    /// The only models offered (`None`: every model of the enabled providers).
    pub models: Option<Vec<ModelChoice>>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            locked: false,
            file_dialogs: true,
            clipboard: true,
            links: true,
            attachments: true,
            image_generation: true,
            models: None,
        }
    }
}

impl Policy {
    /// Whether "Attach files…" (the file dialog) is offered.
    #[must_use]
    pub fn picker(&self) -> bool {
        self.file_dialogs && self.attachments
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn a_path_in_the_home_folder_loses_the_account_name_only_when_hidden() {
        let Some(home) = dirs::home_dir().map(|h| h.display().to_string()).filter(|h| h.len() > 1) else {
            return;
        };
        let status = format!("1 chat exported. Saved to {home}/Documents/chat.md.");
        assert_eq!(without_home(&status, true), "1 chat exported. Saved to ~/Documents/chat.md.");
        assert_eq!(without_home(&status, false), status);
        assert_eq!(without_home("Saved to /tmp/chat.md.", true), "Saved to /tmp/chat.md.");
    }
}
