//! What the backend refuses on a shared computer (kiosk mode), whatever the
//! UI shows: the limits come from the admin's configuration and are checked
//! where the work is done. The default refuses nothing.

use crate::domain::FileKind;

/// Limits on what a session may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lockdown {
    /// A guest session: the profile is made at start under a throwaway key
    /// (nothing to ask, nothing that could open it later).
    pub guest: bool,
    /// Reply length cap sent with every request.
    pub max_tokens: Option<u32>,
    /// Most messages the user may send in this session.
    pub messages_per_session: Option<u32>,
    /// Whether images may be made.
    pub image_generation: bool,
    /// File kinds that may be attached (`None`: any).
    pub attachment_kinds: Option<Vec<FileKind>>,
}

impl Default for Lockdown {
    fn default() -> Self {
        Self {
            guest: false,
            max_tokens: None,
            messages_per_session: None,
            image_generation: true,
            attachment_kinds: None,
        }
    }
}

impl Lockdown {
    /// Why a file of `kind` may not be attached, if it may not.
    #[must_use]
    pub fn refuses_file(&self, name: &str, kind: FileKind) -> Option<String> {
        let allowed = self.attachment_kinds.as_ref()?;
        (!allowed.contains(&kind)).then(|| {
            format!("“{name}” is {}; files of that kind cannot be attached on this computer.", kind.described())
        })
    }

    /// Why one more message may not be sent after `sent`, if it may not.
    #[must_use]
    pub fn refuses_message(&self, sent: u32) -> Option<String> {
        let max = self.messages_per_session?;
        (sent >= max)
            .then(|| format!("this session's limit of {max} messages is reached; end the session to start a new one"))
    }
}
