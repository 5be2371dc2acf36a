//! The web entry point: the same [`PakApp`](crate::ui::PakApp) on a canvas
//! through eframe's `WebRunner`. The profile lives in the browser's
//! IndexedDB (database `pakchat`, sealed like the desktop's: the engine
//! only ever holds ciphertext), protected by a passphrase. The tab's title
//! follows the open chat, and the page's live region (`#pakchat-live`)
//! carries [`PakApp::announcement`](crate::ui::PakApp::announcement) for
//! screen readers, which cannot read the canvas (`#pakchat-notice` the
//! newest banner, [`PakApp::notice`](crate::ui::PakApp::notice)).

use wasm_bindgen::prelude::*;

use crate::backend::{Argon2Params, BackendConfig, Runtime, StoreLocation, start};
use crate::ui::PakApp;

/// Argon2id for the page's Web Worker (`assets/web/stretch-worker.js`):
/// the key made from `passphrase` with `salt` and the given cost, so the
/// page's own thread never runs it (see
/// [`stretch_worker`](crate::store::stretch_worker)).
///
/// # Errors
/// When Argon2 refuses the parameters.
#[wasm_bindgen]
pub fn stretch_passphrase(
    passphrase: &str,
    salt: &[u8],
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
) -> Result<Vec<u8>, JsValue> {
    let params = crate::store::Argon2Params { m_cost_kib, t_cost, p_cost };
    crate::store::keys::stretch_passphrase(passphrase, salt, params)
        .map(|key| key.to_vec())
        .map_err(|e| JsValue::from_str(&e.to_string()))
}

/// The IndexedDB database holding the profile.
pub const PROFILE_DATABASE: &str = "pakchat";

/// Start Pak.Chat on `canvas`.
///
/// # Errors
/// When eframe cannot start on the canvas (no WebGPU/WebGL).
#[wasm_bindgen]
pub async fn start_on_canvas(canvas: web_sys::HtmlCanvasElement) -> Result<(), JsValue> {
    // A panic says what it was on the console (the default says nothing).
    std::panic::set_hook(Box::new(|info| web_sys::console::error_1(&JsValue::from_str(&format!("Pak.Chat: {info}")))));
    // Back from the identity provider: the answer leaves the address bar now.
    crate::backend::account::redirect::page::catch_return();
    let runner = eframe::WebRunner::new();
    runner
        .start(
            canvas,
            eframe::WebOptions::default(),
            Box::new(|cc| {
                let ctx = cc.egui_ctx.clone();
                let config = BackendConfig {
                    location: StoreLocation::Browser(PROFILE_DATABASE.to_owned()),
                    key_file: None,
                    argon2: Argon2Params::default(),
                    use_keychain: false,
                    retry: crate::providers::RetryPolicy::default(),
                    picker: crate::backend::FilePicker::System,
                    lockdown: crate::backend::Lockdown::default(),
                    browser: None,
                };
                let (backend, _stopped) = start(&Runtime::browser(), config, move || ctx.request_repaint());
                Ok(Box::new(Page {
                    app: PakApp::new(backend),
                    title: String::new(),
                    announced: String::new(),
                    noticed: String::new(),
                }))
            }),
        )
        .await
}

/// The app in a page: the tab's title follows the open chat, the live
/// region its last message.
struct Page {
    app: PakApp,
    /// The title last given to the document.
    title: String,
    /// The text last put in the live region.
    announced: String,
    /// The text last put in the notice region.
    noticed: String,
}

impl eframe::App for Page {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.app.logic(ctx, frame);
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.app.ui(ui, frame);
        let title = self.app.title();
        if title != self.title
            && let Some(document) = web_sys::window().and_then(|w| w.document())
        {
            document.set_title(&title);
            self.title = title;
        }
        let announcement = self.app.announcement();
        if announcement != self.announced
            && let Some(region) =
                web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("pakchat-live"))
        {
            region.set_text_content(Some(&announcement));
            self.announced = announcement;
        }
        let notice = self.app.notice();
        if notice != self.noticed
            && let Some(region) =
                web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("pakchat-notice"))
        {
            region.set_text_content(Some(&notice));
            self.noticed = notice;
        }
    }

    fn on_exit(&mut self) {
        self.app.on_exit();
    }
}
