//! A thrown JavaScript value in words (browser only), for the messages of
//! the web build's errors.

use wasm_bindgen::{JsCast, JsValue};

/// The message of an `Error`, a thrown string as it is, anything else as
/// the binding prints it.
#[must_use]
pub fn describe(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}
