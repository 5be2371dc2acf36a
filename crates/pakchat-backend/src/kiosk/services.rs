//! Work the kiosk's own screens ask for outside any visitor's session, run
//! on the backend's runtime instead of the UI thread: checking the admin's
//! PIN (Argon2id, tens of milliseconds) and decoding the welcome logo.

use std::sync::Arc;

use zeroize::Zeroizing;

use super::KioskConfig;
use crate::{Image, Runtime};

/// The logo is shown at most this many pixels wide…
pub const LOGO_WIDTH: u32 = 512;
/// …and this many high.
pub const LOGO_HEIGHT: u32 = 256;

/// The kiosk's background work, on `runtime`.
#[derive(Clone)]
pub struct KioskServices {
    runtime: Runtime,
    config: Arc<KioskConfig>,
}

impl KioskServices {
    /// Services for the kiosk configured by `config`.
    #[must_use]
    pub fn new(runtime: Runtime, config: Arc<KioskConfig>) -> Self {
        Self { runtime, config }
    }

    /// Check `pin` against the admin PIN; `done(whether it matches)` runs on
    /// the runtime once known. The PIN is zeroed when dropped.
    pub fn check_pin(&self, pin: Zeroizing<String>, done: impl FnOnce(bool) + Send + 'static) {
        let (runtime, config) = (self.runtime.clone(), self.config.clone());
        self.runtime.spawn(async move {
            let matches = runtime.blocking(move || config.pin_matches(&pin)).await;
            done(matches);
        });
    }

    /// Decode the configured logo to fit [`LOGO_WIDTH`] × [`LOGO_HEIGHT`];
    /// `done(None)` when there is none (or, against the checks made when
    /// the configuration was read, it does not decode).
    pub fn load_logo(&self, done: impl FnOnce(Option<Image>) + Send + 'static) {
        let (runtime, config) = (self.runtime.clone(), self.config.clone());
        self.runtime.spawn(async move {
            let logo = runtime
                .blocking(move || {
                    let bytes = config.logo.as_deref()?;
                    let pixels = crate::media::decode_fitting(bytes, LOGO_WIDTH, LOGO_HEIGHT);
                    if pixels.is_none() {
                        tracing::warn!("the kiosk logo did not decode; the welcome screen shows none");
                    }
                    pixels.as_ref().map(crate::attachments::image_of)
                })
                .await;
            done(logo);
        });
    }
}
