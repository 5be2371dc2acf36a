//! The web entry point: the same [`PakApp`](crate::ui::PakApp) on a canvas
//! through eframe's `WebRunner`. Until the browser store backend (IndexedDB)
//! lands, the web build keeps its profile in memory and says so on its
//! first screen.

use wasm_bindgen::prelude::*;

use crate::backend::{Argon2Params, BackendConfig, Runtime, StoreLocation, start};
use crate::ui::PakApp;

/// Start Pak.Chat on `canvas`.
///
/// # Errors
/// When eframe cannot start on the canvas (no WebGPU/WebGL).
#[wasm_bindgen]
pub async fn start_on_canvas(canvas: web_sys::HtmlCanvasElement) -> Result<(), JsValue> {
    let runner = eframe::WebRunner::new();
    runner
        .start(
            canvas,
            eframe::WebOptions::default(),
            Box::new(|cc| {
                let ctx = cc.egui_ctx.clone();
                let config = BackendConfig {
                    location: StoreLocation::Memory,
                    key_file: None,
                    argon2: Argon2Params::default(),
                    use_keychain: false,
                    retry: crate::providers::RetryPolicy::default(),
                    picker: crate::backend::FilePicker::System,
                    lockdown: crate::backend::Lockdown::default(),
                    browser: None,
                };
                let (backend, _stopped) = start(&Runtime::browser(), config, move || ctx.request_repaint());
                Ok(Box::new(PakApp::new(backend)))
            }),
        )
        .await
}
