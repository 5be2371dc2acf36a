//! The browser's own file picker (web only): an `<input type="file">` the
//! page clicks for "Attach files…" and "Add knowledge files". A browser
//! opens it only shortly after a click or key press; the command from the
//! UI reaches here within the same moment. The chosen files are read
//! (`File.arrayBuffer`) and handed on as [`IncomingFile::Bytes`], so they
//! take the same road as a drop; a dismissed picker answers nothing.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Uint8Array;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Event, HtmlInputElement};

use super::attachments::IncomingFile;
use crate::store::js_error::describe;

/// The largest file the picker reads (1 GiB).
const MOST_BYTES: f64 = 1024.0 * 1024.0 * 1024.0;

/// Show the picker for files with these `filters` (extensions; `*`
/// offers every file), one or `many`, and read what was chosen.
///
/// # Errors
/// When the page has no document or a file cannot be read, in words.
pub(super) async fn pick(filters: &[(&str, &[&str])], many: bool) -> Result<Vec<IncomingFile>, String> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("this page has no document")?;
    let body = document.body().ok_or("this page has no body")?;
    let input: HtmlInputElement =
        document.create_element("input").and_then(|e| e.dyn_into().map_err(JsValue::from)).map_err(|e| describe(&e))?;
    input.set_type("file");
    input.set_multiple(many);
    if !filters.iter().any(|(_, extensions)| extensions.contains(&"*")) {
        let accept: Vec<String> =
            filters.iter().flat_map(|(_, extensions)| extensions.iter().map(|e| format!(".{e}"))).collect();
        input.set_accept(&accept.join(","));
    }
    input.style().set_property("display", "none").map_err(|e| describe(&e))?;
    body.append_child(&input).map_err(|e| describe(&e))?;
    let (tx, rx) = futures_channel::oneshot::channel::<bool>();
    let tx = Rc::new(RefCell::new(Some(tx)));
    let answer = |chosen: bool| {
        let tx = tx.clone();
        Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            if let Some(tx) = tx.borrow_mut().take() {
                tx.send(chosen).ok();
            }
        })
    };
    let (on_change, on_cancel) = (answer(true), answer(false));
    input.set_onchange(Some(on_change.as_ref().unchecked_ref()));
    input.add_event_listener_with_callback("cancel", on_cancel.as_ref().unchecked_ref()).map_err(|e| describe(&e))?;
    input.click();
    let chosen = rx.await.unwrap_or(false);
    input.remove();
    drop((on_change, on_cancel));
    let Some(list) = input.files().filter(|_| chosen) else { return Ok(Vec::new()) };
    let mut files = Vec::new();
    for file in (0..list.length()).filter_map(|i| list.get(i)) {
        // Read whole into the page's memory: refused above what any use of
        // a file here takes (attachments and imports stop at 1 GiB).
        if file.size() > MOST_BYTES {
            return Err(format!(
                "{} is {:.0} MB, more than a browser page reads at once",
                file.name(),
                file.size() / 1e6
            ));
        }
        let buffer = JsFuture::from(file.array_buffer())
            .await
            .map_err(|e| format!("{} could not be read: {}", file.name(), describe(&e)))?;
        files.push(IncomingFile::Bytes { name: file.name(), bytes: Uint8Array::new(&buffer).to_vec() });
    }
    Ok(files)
}

/// Hand `bytes` to the browser as a download named `name` (where it goes
/// is the browser's setting, as for any download).
///
/// # Errors
/// When the page has no document or the browser refuses the data, in words.
pub(super) fn download(name: &str, bytes: &[u8]) -> Result<(), String> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("this page has no document")?;
    let body = document.body().ok_or("this page has no body")?;
    let parts = js_sys::Array::of1(&Uint8Array::from(bytes));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(|e| describe(&e))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| describe(&e))?;
    let link: web_sys::HtmlAnchorElement =
        document.create_element("a").and_then(|e| e.dyn_into().map_err(JsValue::from)).map_err(|e| describe(&e))?;
    link.set_href(&url);
    link.set_download(name);
    link.style().set_property("display", "none").map_err(|e| describe(&e))?;
    body.append_child(&link).map_err(|e| describe(&e))?;
    link.click();
    link.remove();
    // The browser has read the address once the click is handled; the
    // data is let go a minute later (at once can cancel the download).
    wasm_bindgen_futures::spawn_local(async move {
        gloo_timers::future::sleep(std::time::Duration::from_secs(60)).await;
        web_sys::Url::revoke_object_url(&url).ok();
    });
    Ok(())
}
