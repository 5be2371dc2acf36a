//! Stretching a passphrase in a Web Worker (browser only). Argon2id takes a
//! second or more with the default cost, and a page runs its code on one
//! thread: stretched there, the page stops drawing (no spinner, no typing)
//! until it is done. The worker (`stretch-worker.js` beside the page, which
//! loads the same module and calls its `stretch_passphrase` export) does
//! it instead; the page's backend awaits the answer like any other I/O and
//! hands the store a [`KeySource::Stretched`](crate::KeySource::Stretched).
//!
//! The passphrase travels to the worker as a JavaScript string (which
//! cannot be wiped); the key comes back in a byte array that is zeroed once
//! copied. The worker is ended after one answer.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ErrorEvent, Event, MessageEvent, Worker, WorkerOptions, WorkerType};
use zeroize::Zeroizing;

use crate::crypto::KeyBytes;
use crate::js_error::describe;
use crate::keys::Argon2Params;

/// The worker's script, relative to the page.
pub const WORKER_SCRIPT: &str = "stretch-worker.js";

/// Stretch `passphrase` with `salt` and `params` in a new Web Worker running
/// [`WORKER_SCRIPT`].
///
/// # Errors
/// Why the worker could not do it (no worker support, the script missing,
/// the module failing to load, Argon2 refusing the parameters), in words.
pub async fn stretch_in_worker(passphrase: &str, salt: &[u8], params: Argon2Params) -> Result<KeyBytes, String> {
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    let worker = Worker::new_with_options(WORKER_SCRIPT, &options).map_err(|e| describe(&e))?;
    let (tx, rx) = futures_channel::oneshot::channel::<Result<JsValue, String>>();
    let tx = Rc::new(RefCell::new(Some(tx)));
    let answered = tx.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(tx) = answered.borrow_mut().take() {
            // The receiver is gone only when the page is being torn down.
            tx.send(Ok(event.data())).ok();
        }
    });
    let failed = tx;
    // A script that does not load fires a plain `Event`, an exception in it
    // an `ErrorEvent` with a message.
    let on_error = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
        event.prevent_default();
        let why =
            event.dyn_ref::<ErrorEvent>().map_or_else(|| "its script did not load".to_owned(), ErrorEvent::message);
        if let Some(tx) = failed.borrow_mut().take() {
            tx.send(Err(format!("the worker failed: {why}"))).ok();
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let ask = Object::new();
    let field = |name: &str, value: &JsValue| Reflect::set(&ask, &JsValue::from_str(name), value).map(drop);
    field("passphrase", &JsValue::from_str(passphrase))
        .and_then(|()| field("salt", &Uint8Array::from(salt).into()))
        .and_then(|()| field("m", &JsValue::from(params.m_cost_kib)))
        .and_then(|()| field("t", &JsValue::from(params.t_cost)))
        .and_then(|()| field("p", &JsValue::from(params.p_cost)))
        .and_then(|()| worker.post_message(&ask))
        .map_err(|e| describe(&e))?;
    let answer = rx.await.map_err(|_| "the worker went away".to_owned());
    worker.terminate();
    drop((on_message, on_error));
    let answer = answer??;
    let get = |name: &str| Reflect::get(&answer, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    if let Some(error) = get("error").as_string() {
        return Err(error);
    }
    let bytes = get("key").dyn_into::<Uint8Array>().map_err(|_| "the worker's answer has no key".to_owned())?;
    let copied = Zeroizing::new(bytes.to_vec());
    bytes.fill(0, 0, bytes.length());
    let key: [u8; 32] =
        copied.as_slice().try_into().map_err(|_| format!("the worker's key has {} bytes, not 32", copied.len()))?;
    Ok(Zeroizing::new(key))
}

/// `source` with a typed passphrase stretched in a worker
/// ([`KeySource::Stretched`](crate::KeySource::Stretched)) for a profile
/// with `salt` and `params`; any other source, an empty passphrase, or one
/// no worker could stretch (said on the console) comes back as it was, and
/// the store stretches it on the page.
pub async fn stretched_off_the_page(source: crate::KeySource, salt: Vec<u8>, params: Argon2Params) -> crate::KeySource {
    let crate::KeySource::Passphrase(passphrase) = &source else { return source };
    if passphrase.is_empty() {
        return source;
    }
    match stretch_in_worker(passphrase, &salt, params).await {
        Ok(kek) => crate::KeySource::Stretched(crate::keys::Stretched { salt, params, kek }),
        Err(why) => {
            web_sys::console::error_1(&JsValue::from_str(&format!(
                "Pak.Chat: the passphrase could not be stretched in a Web Worker ({why}); the page stops while it is stretched here"
            )));
            source
        }
    }
}
