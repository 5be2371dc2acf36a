//! One engine per database across the browser's tabs: each engine keeps
//! its own mirror, so two tabs writing one database would write over each
//! other's records. An engine that holds a database answers on the
//! `BroadcastChannel` `pakchat-idb/<name>` to anyone asking; one being
//! opened asks first and refuses ([`crate::KvError::Locked`]) when an
//! answer comes within [`WAIT_MS`].
//!
//! The holder listens *before* it asks (messages carry a random id, so it
//! ignores its own question): two tabs opening at the same instant both
//! refuse, and a reload of either opens — never both open.
//!
//! A refused tab may ask for the profile ("Use Pak.Chat here"): it posts
//! [`RELEASE`], the holder's engine is told (its `on_release`), writes what
//! it has queued, closes and stops answering; the asking tab waits until
//! no one answers, then loads afresh and opens it.

use js_sys::Promise;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{BroadcastChannel, MessageEvent};

use crate::kv::KvError;

/// How long an opening engine waits for a holder to answer.
const WAIT_MS: i32 = 250;
/// The question's prefix; the answer is [`HELD`].
const ASK: &str = "anyone?";
/// The answer of a holder.
const HELD: &str = "held";
/// A tab's request that the holder let go.
const RELEASE: &str = "release";

/// While alive, answers that database `name` is held here.
pub(super) struct Holder {
    channel: BroadcastChannel,
    _answer: Closure<dyn FnMut(MessageEvent)>,
    _listen: Closure<dyn FnMut(MessageEvent)>,
    heard: std::rc::Rc<std::cell::Cell<bool>>,
}

impl Drop for Holder {
    fn drop(&mut self) {
        // Unhooked before the closures go: a message already on its way
        // must find no handler rather than a dropped one.
        for listener in [&self._answer, &self._listen] {
            if self.channel.remove_event_listener_with_callback("message", listener.as_ref().unchecked_ref()).is_err() {
                tracing::warn!("a tab listener could not be removed");
            }
        }
        self.channel.close();
    }
}

fn io(what: &str, e: &JsValue) -> KvError {
    KvError::Io(format!("{what}: {e:?}"))
}

/// A random id for this engine's question.
fn question() -> Result<String, KvError> {
    let mut id = [0u8; 8];
    getrandom::getrandom(&mut id).map_err(|e| KvError::Io(format!("no randomness: {e}")))?;
    Ok(format!("{ASK}{}", id.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// Start holding database `name`, then ask whether another engine holds it
/// already; `Ok(None)` when one does (this one then holds nothing).
///
/// # Errors
/// The browser has no `BroadcastChannel` or refused a call.
pub(super) async fn hold(name: &str, on_release: Box<dyn Fn()>) -> Result<Option<Holder>, KvError> {
    let channel = BroadcastChannel::new(&format!("pakchat-idb/{name}")).map_err(|e| io("BroadcastChannel", &e))?;
    let mine = question()?;
    let heard = std::rc::Rc::new(std::cell::Cell::new(false));
    let answering = channel.clone();
    let own = mine.clone();
    let answer = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data().as_string().unwrap_or_default();
        if data == RELEASE {
            on_release();
        } else if data.starts_with(ASK) && data != own && answering.post_message(&JsValue::from_str(HELD)).is_err() {
            tracing::warn!("could not tell another tab this profile is open here");
        }
    });
    let seen = heard.clone();
    let listen = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if event.data().as_string().as_deref() == Some(HELD) {
            seen.set(true);
        }
    });
    channel
        .add_event_listener_with_callback("message", answer.as_ref().unchecked_ref())
        .map_err(|e| io("listen", &e))?;
    channel
        .add_event_listener_with_callback("message", listen.as_ref().unchecked_ref())
        .map_err(|e| io("listen", &e))?;
    let holder = Holder { channel, _answer: answer, _listen: listen, heard };
    holder.channel.post_message(&JsValue::from_str(&mine)).map_err(|e| io("ask", &e))?;
    pause(WAIT_MS).await?;
    Ok((!holder.heard.get()).then_some(holder))
}

/// Ask the engine holding database `name` in another tab to let go, then
/// wait (up to about three seconds) until no engine answers for it. True
/// when it is free.
///
/// # Errors
/// The browser has no `BroadcastChannel` or refused a call.
pub(super) async fn take_over(name: &str) -> Result<bool, KvError> {
    let channel = BroadcastChannel::new(&format!("pakchat-idb/{name}")).map_err(|e| io("BroadcastChannel", &e))?;
    let heard = std::rc::Rc::new(std::cell::Cell::new(false));
    let seen = heard.clone();
    let listen = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if event.data().as_string().as_deref() == Some(HELD) {
            seen.set(true);
        }
    });
    channel.set_onmessage(Some(listen.as_ref().unchecked_ref()));
    channel.post_message(&JsValue::from_str(RELEASE)).map_err(|e| io("ask", &e))?;
    let mut free = false;
    for _ in 0..12 {
        heard.set(false);
        channel.post_message(&JsValue::from_str(&question()?)).map_err(|e| io("ask", &e))?;
        pause(WAIT_MS).await?;
        if !heard.get() {
            free = true;
            break;
        }
    }
    channel.set_onmessage(None);
    channel.close();
    drop(listen);
    Ok(free)
}

/// Wait `ms` milliseconds without blocking the page.
async fn pause(ms: i32) -> Result<(), KvError> {
    let scope = js_sys::global();
    let set_timeout = js_sys::Reflect::get(&scope, &JsValue::from_str("setTimeout"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| KvError::Io("this page has no timers".to_owned()))?;
    let promise = Promise::new(&mut |resolve, _| {
        if set_timeout.call2(&JsValue::NULL, &resolve, &JsValue::from(ms)).is_err() {
            tracing::warn!("a timer could not be set");
        }
    });
    JsFuture::from(promise).await.map(|_| ()).map_err(|e| io("timer", &e))
}
