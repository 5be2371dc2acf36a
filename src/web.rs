//! The web entry point: the same [`PakApp`](crate::ui::PakApp) on a canvas
//! through eframe's `WebRunner`. The profile lives in the browser's
//! IndexedDB (database `pakchat`, sealed like the desktop's: the engine
//! only ever holds ciphertext), protected by a passphrase. The tab's title
//! follows the open chat, and the page's live region (`#pakchat-live`)
//! carries [`PakApp::announcement`](crate::ui::PakApp::announcement) for
//! screen readers, which cannot read the canvas (`#pakchat-notice` the
//! newest banner, [`PakApp::notice`](crate::ui::PakApp::notice)). A page
//! opened at a share link (`#share=ID.KEY`) shows that copy read-only
//! instead ([`ShareViewer`](crate::ui::share_view::ShareViewer)): no
//! profile is opened, nothing is stored.

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
    // A share link opens the read-only viewer: no profile, no account.
    let fragment = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
    let link = crate::backend::shares::parse_fragment(&fragment);
    reload_on_new_link(link.is_some());
    if let Some(link) = link {
        return start_viewer(canvas, link).await;
    }
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
                Ok(Box::new(Page { app: PakApp::new(backend), regions: Regions::default() }))
            }),
        )
        .await
}

/// A link pasted into the address bar of an open page changes only its
/// fragment, which loads nothing: load the page afresh when the new
/// fragment is a share link, or (`viewing` one) when it changed at all.
fn reload_on_new_link(viewing: bool) {
    use wasm_bindgen::JsCast as _;
    let Some(window) = web_sys::window() else { return };
    let listener = Closure::<dyn FnMut()>::new(move || {
        let Some(window) = web_sys::window() else { return };
        let hash = window.location().hash().unwrap_or_default();
        if (viewing || crate::backend::shares::parse_fragment(&hash).is_some())
            && let Err(e) = window.location().reload()
        {
            web_sys::console::error_1(&e);
        }
    });
    if window.add_event_listener_with_callback("hashchange", listener.as_ref().unchecked_ref()).is_ok() {
        // It listens for the page's whole life.
        listener.forget();
    }
}

/// The share viewer on `canvas` for the link in the page's address.
async fn start_viewer(
    canvas: web_sys::HtmlCanvasElement,
    link: Result<crate::backend::shares::LinkParts, crate::backend::shares::ShareError>,
) -> Result<(), JsValue> {
    use crate::ui::share_view::{ShareViewer, Shared};
    let runner = eframe::WebRunner::new();
    runner
        .start(
            canvas,
            eframe::WebOptions::default(),
            Box::new(move |cc| {
                let viewer = ShareViewer::default();
                let state = viewer.state.clone();
                let ctx = cc.egui_ctx.clone();
                let server = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
                wasm_bindgen_futures::spawn_local(async move {
                    let shown = match link {
                        Ok(parts) => crate::backend::shares::open_link(&server, &parts).await,
                        Err(e) => Err(e),
                    };
                    let shown = shown.map_or_else(|e| Shared::Failed(e.to_string()), Shared::Shown);
                    *state.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = shown;
                    ctx.request_repaint();
                });
                Ok(Box::new(Viewer { viewer, regions: Regions::default() }))
            }),
        )
        .await
}

/// The page's title and live regions, set when they change.
#[derive(Default)]
struct Regions {
    /// The title last given to the document.
    title: String,
    /// The text last put in the live region.
    announced: String,
    /// The text last put in the notice region.
    noticed: String,
}

impl Regions {
    fn update(&mut self, title: String, announcement: String) {
        let document = web_sys::window().and_then(|w| w.document());
        if title != self.title
            && let Some(document) = &document
        {
            document.set_title(&title);
            self.title = title;
        }
        if announcement != self.announced
            && let Some(region) = document.as_ref().and_then(|d| d.get_element_by_id("pakchat-live"))
        {
            region.set_text_content(Some(&announcement));
            self.announced = announcement;
        }
    }

    fn notice(&mut self, notice: String) {
        if notice != self.noticed
            && let Some(region) =
                web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("pakchat-notice"))
        {
            region.set_text_content(Some(&notice));
            self.noticed = notice;
        }
    }
}

/// A share link in a page.
struct Viewer {
    viewer: crate::ui::share_view::ShareViewer,
    regions: Regions,
}

impl eframe::App for Viewer {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.viewer.ui(ui);
        self.regions.update(self.viewer.title(), self.viewer.announcement());
    }
}

/// The app in a page: the tab's title follows the open chat, the live
/// region its last message.
struct Page {
    app: PakApp,
    regions: Regions,
}

impl eframe::App for Page {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.app.logic(ctx, frame);
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.app.ui(ui, frame);
        self.regions.update(self.app.title(), self.app.announcement());
        self.regions.notice(self.app.notice());
    }

    fn on_exit(&mut self) {
        self.app.on_exit();
    }
}
