//! What the UI offers: everything on a person's own computer; on a shared
//! one (kiosk mode) the admin's configuration takes away settings, keys,
//! export, projects and extra windows, and decides about file dialogs, the
//! clipboard, links, attachments and image generation. Hiding is what the
//! visitor sees; the backend's [`crate::backend::Lockdown`] and the kiosk's
//! output filter are what hold.

use crate::domain::ModelChoice;

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
