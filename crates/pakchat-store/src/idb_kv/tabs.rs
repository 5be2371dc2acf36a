//! Several tabs, one profile. Every engine open on a database keeps its own
//! mirror of all of it; one at a time — the *writer* — may change it, so
//! two tabs never write over each other's records (a message position, a
//! search posting, an outbox mark are all allocated from what the writer's
//! mirror holds).
//!
//! * **Who writes**: the holder of the Web Lock `pakchat-idb/<name>`
//!   (`navigator.locks`, one holder across the browser's tabs). An engine
//!   being opened takes it if it is free, and is a *reader* otherwise.
//! * **What readers see**: the writer posts every batch it committed on the
//!   `BroadcastChannel` of the same name (the writes themselves: ciphertext,
//!   as in IndexedDB); a reader applies it to its mirror and tells its app
//!   (`TabHooks::changed`) which threads changed. An engine being opened
//!   listens before it reads IndexedDB and applies what it heard after, so
//!   no batch falls between.
//! * **Handing over**: a reader that must write posts [`RELEASE`] and asks
//!   for the lock, waiting. The writer is told (`TabHooks::asked`); its app
//!   finishes what it is writing (a reply still streaming), then hands over:
//!   the engine commits everything queued, posts its last batch and
//!   [`RELEASED`], and lets the lock go. The new writer waits briefly for
//!   `RELEASED` (a lock grant and a channel message travel apart), so it has
//!   applied every batch before its first write. A waiting tab asks again
//!   every second (a third tab may have been given the lock first: it must
//!   hear the ask too). A writer tab that closes
//!   says nothing: its lock ends with it, and each of its batches was posted
//!   as soon as it committed.
//! * **Without Web Locks** (a page served over plain http from another
//!   machine is not a secure context, and browsers offer `navigator.locks`
//!   only in those): the writer is the tab that no other tab answered
//!   [`ASK`] within [`ASK_WAIT_MS`]; it answers [`HELD`] while it writes.
//!   Taking over asks it to hand over as above, then waits for its
//!   [`RELEASED`] or, if it is gone, for nobody to answer.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures_channel::oneshot;
use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, BroadcastChannel, MessageEvent};

use super::{Shared, TabChange, TabHooks, Write};
use crate::kv::{Kv as _, KvError, Table};

/// A reader's request that the writer hand over.
const RELEASE: &str = "release";
/// The writer's word that it handed over (after its last batch).
const RELEASED: &str = "released";
/// How often a tab waiting to write asks again.
const ASK_AGAIN_MS: i32 = 1000;
/// How long a new writer waits for [`RELEASED`] after the lock is granted.
const RELEASED_WAIT_MS: i32 = 500;
/// Without Web Locks: "does a tab write?" (then a random id).
const ASK: &str = "anyone?";
/// Without Web Locks: the writer's answer to [`ASK`].
const HELD: &str = "held";
/// Without Web Locks: how long an answer to [`ASK`] may take.
const ASK_WAIT_MS: i32 = 250;

fn io(what: &str, e: &JsValue) -> KvError {
    KvError::Io(format!("{what}: {e:?}"))
}

/// This engine's place among the tabs: its channel, and the write lock
/// while it holds it.
pub(super) struct Tab {
    name: String,
    channel: BroadcastChannel,
    listen: Closure<dyn FnMut(MessageEvent)>,
    state: Rc<TabState>,
    lock: RefCell<Option<WriteLock>>,
}

/// What the channel's listener shares with the engine.
struct TabState {
    shared: Arc<Shared>,
    /// The channel, to answer on.
    channel: BroadcastChannel,
    /// Without Web Locks: a writer answered [`ASK`].
    held: Cell<bool>,
    hooks: TabHooks,
    /// Batches heard while the mirror was being read; applied after.
    loading: RefCell<Option<Vec<Vec<u8>>>>,
    /// The last writer said it handed over.
    released: Cell<bool>,
}

impl Drop for Tab {
    fn drop(&mut self) {
        if self.lock.borrow().is_some() {
            self.post(&JsValue::from_str(RELEASED));
        }
        // Unhooked before the closure goes: a message on its way must find
        // no handler rather than a dropped one.
        if self.channel.remove_event_listener_with_callback("message", self.listen.as_ref().unchecked_ref()).is_err() {
            tracing::warn!("a tab listener could not be removed");
        }
        self.channel.close();
        drop(self.lock.borrow_mut().take());
    }
}

impl Tab {
    /// Join database `name`'s tabs: listen to them, then take the write
    /// lock if no other tab holds it (`shared.writer` says which).
    ///
    /// # Errors
    /// The browser has no `BroadcastChannel` or no Web Locks, or refused a call.
    pub(super) async fn join(name: &str, shared: Arc<Shared>, hooks: TabHooks) -> Result<Self, KvError> {
        let name = format!("pakchat-idb/{name}");
        let channel = BroadcastChannel::new(&name).map_err(|e| io("BroadcastChannel", &e))?;
        let state = Rc::new(TabState {
            shared,
            channel: channel.clone(),
            held: Cell::new(false),
            hooks,
            loading: RefCell::new(Some(Vec::new())),
            released: Cell::new(false),
        });
        let heard = Rc::clone(&state);
        let listen = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| heard.heard(&event.data()));
        channel
            .add_event_listener_with_callback("message", listen.as_ref().unchecked_ref())
            .map_err(|e| io("listen", &e))?;
        let tab = Self { name, channel, listen, state, lock: RefCell::new(None) };
        let lock = if has_web_locks() { acquire(&tab.name, None).await? } else { tab.claim().await? };
        tab.state.shared.writer.store(lock.is_some(), Ordering::SeqCst);
        *tab.lock.borrow_mut() = lock;
        Ok(tab)
    }

    /// Without Web Locks: the write claim, unless a writer answers.
    async fn claim(&self) -> Result<Option<WriteLock>, KvError> {
        self.state.held.set(false);
        self.post(&JsValue::from_str(&question()?));
        pause(ASK_WAIT_MS).await?;
        Ok((!self.state.held.get()).then_some(WriteLock::Claimed))
    }

    /// The mirror holds what IndexedDB held: apply the batches heard while
    /// it was read (again, some of them: a write applied twice in order
    /// leaves what it left once).
    pub(super) fn loaded(&self) {
        let heard = self.state.loading.borrow_mut().take().unwrap_or_default();
        for bytes in heard {
            if let Some(writes) = decode(&bytes) {
                apply(&self.state.shared, &writes);
            }
        }
    }

    /// A batch was committed here: tell the other tabs.
    pub(super) fn wrote(&self, writes: &[Write]) {
        let bytes = encode(writes);
        self.post(&Uint8Array::from(bytes.as_slice()).into());
    }

    /// Stop writing: say so after the last batch and let the lock go.
    pub(super) fn hand_over(&self) {
        if let Some(lock) = self.lock.borrow_mut().take() {
            self.post(&JsValue::from_str(RELEASED));
            drop(lock);
        }
    }

    /// Become the writer: ask the writer to hand over and wait for it
    /// (`wait_ms` at most).
    ///
    /// # Errors
    /// [`KvError::OtherTab`] when it did not in time; [`KvError::Io`] when
    /// the browser refused a call.
    pub(super) async fn take(&self, wait_ms: i32) -> Result<(), KvError> {
        if self.lock.borrow().is_some() {
            return Ok(());
        }
        self.state.released.set(false);
        self.post(&JsValue::from_str(RELEASE));
        // Asked again every second: the tab writing when this one asked may
        // hand over to a third that asked too, which must hear it as well.
        let asking = self.channel.clone();
        let again = Closure::<dyn FnMut()>::new(move || {
            if asking.post_message(&JsValue::from_str(RELEASE)).is_err() {
                tracing::warn!("could not ask the writing tab again");
            }
        });
        let every = set_interval(again.as_ref().unchecked_ref(), ASK_AGAIN_MS)?;
        let lock = if has_web_locks() {
            acquire(&self.name, Some(wait_ms)).await
        } else {
            self.claim_when_free(wait_ms).await
        };
        clear_interval(&every);
        drop(again);
        let lock = lock?;
        let Some(lock) = lock else { return Err(KvError::OtherTab) };
        // The grant and the channel's last batch travel apart: wait for the
        // word that it was the last (none comes when the writer's tab closed
        // or there was no writer).
        for _ in 0..RELEASED_WAIT_MS / 50 {
            if self.state.released.get() {
                break;
            }
            pause(50).await?;
        }
        *self.lock.borrow_mut() = Some(lock);
        Ok(())
    }

    /// Without Web Locks: wait (`wait_ms` at most) for the writer's
    /// [`RELEASED`], or for no writer to answer (its tab closed).
    async fn claim_when_free(&self, wait_ms: i32) -> Result<Option<WriteLock>, KvError> {
        let mut waited = 0;
        while waited < wait_ms {
            if self.state.released.get() {
                return Ok(Some(WriteLock::Claimed));
            }
            if let Some(claimed) = self.claim().await? {
                return Ok(Some(claimed));
            }
            waited += ASK_WAIT_MS;
        }
        Ok(None)
    }

    fn post(&self, message: &JsValue) {
        if let Err(e) = self.channel.post_message(message) {
            tracing::warn!(err = ?e, "could not tell the other tabs");
        }
    }
}

/// Whether this page has Web Locks (secure contexts only).
fn has_web_locks() -> bool {
    Reflect::get(&js_sys::global(), &JsValue::from_str("navigator"))
        .and_then(|navigator| Reflect::get(&navigator, &JsValue::from_str("locks")))
        .is_ok_and(|locks| !locks.is_undefined())
}

/// A random id for a question, so a tab ignores its own.
fn question() -> Result<String, KvError> {
    let mut id = [0u8; 8];
    getrandom::getrandom(&mut id).map_err(|e| KvError::Io(format!("no randomness: {e}")))?;
    Ok(format!("{ASK}{}", id.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

impl TabState {
    /// A message from another tab.
    fn heard(&self, data: &JsValue) {
        if let Some(text) = data.as_string() {
            match text.as_str() {
                RELEASE if self.shared.writes_here() => (self.hooks.asked)(),
                RELEASED => self.released.set(true),
                HELD => self.held.set(true),
                asked if asked.starts_with(ASK) && self.shared.writes_here() => {
                    if let Err(e) = self.channel.post_message(&JsValue::from_str(HELD)) {
                        tracing::warn!(err = ?e, "could not tell another tab this one writes");
                    }
                }
                _ => {}
            }
            return;
        }
        let Ok(bytes) = data.clone().dyn_into::<Uint8Array>() else { return };
        let bytes = bytes.to_vec();
        if let Some(heard) = self.loading.borrow_mut().as_mut() {
            heard.push(bytes);
            return;
        }
        let Some(writes) = decode(&bytes) else {
            tracing::warn!("another tab sent a batch this one cannot read; ignored");
            return;
        };
        if self.shared.writes_here() {
            // Two writers cannot be (one lock); a batch of a tab still
            // posting after it handed over would be.
            tracing::warn!("another tab wrote while this one holds the profile; its batch is ignored");
            return;
        }
        apply(&self.shared, &writes);
        (self.hooks.changed)(change_of(&writes));
    }
}

/// Apply another tab's batch to the mirror.
fn apply(shared: &Shared, writes: &[Write]) {
    for write in writes {
        let done = match write {
            Write::Put(table, key, value) => shared.mirror.insert(*table, key, value),
            Write::Delete(table, key) => shared.mirror.remove(*table, key),
            Write::Clear(table) => shared.mirror.clear(*table),
        };
        if let Err(e) = done {
            tracing::warn!(err = %e, "another tab's write could not be applied here");
        }
    }
}

/// The tables whose keys start with a thread id.
const THREAD_KEYED: [Table; 6] =
    [Table::Threads, Table::Messages, Table::Branches, Table::Attachments, Table::Drafts, Table::ReplyChunks];

/// Which threads a batch touched.
fn change_of(writes: &[Write]) -> TabChange {
    let mut change = TabChange { threads: BTreeSet::new(), everything: false };
    for write in writes {
        match write {
            Write::Put(table, key, _) | Write::Delete(table, key) if THREAD_KEYED.contains(table) => {
                if let Some(id) = key.get(..16).and_then(|id| <[u8; 16]>::try_from(id).ok()) {
                    change.threads.insert(id);
                }
            }
            Write::Clear(_) => change.everything = true,
            Write::Put(..) | Write::Delete(..) => {}
        }
    }
    change
}

/// A batch as bytes: per write a kind (0 put, 1 delete, 2 clear), the
/// table's place in [`Table::ALL`], then length-prefixed key and value.
fn encode(writes: &[Write]) -> Vec<u8> {
    let mut out = Vec::new();
    let bytes = |out: &mut Vec<u8>, b: &[u8]| {
        out.extend_from_slice(&u32::try_from(b.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(b);
    };
    for write in writes {
        let (kind, table) = match write {
            Write::Put(table, ..) => (0u8, table),
            Write::Delete(table, _) => (1, table),
            Write::Clear(table) => (2, table),
        };
        let place = Table::ALL.iter().position(|t| t == table).and_then(|p| u8::try_from(p).ok()).unwrap_or(u8::MAX);
        out.extend_from_slice(&[kind, place]);
        match write {
            Write::Put(_, key, value) => {
                bytes(&mut out, key);
                bytes(&mut out, value);
            }
            Write::Delete(_, key) => bytes(&mut out, key),
            Write::Clear(_) => {}
        }
    }
    out
}

/// The writes of [`encode`]'s bytes; `None` when they are not such.
fn decode(mut bytes: &[u8]) -> Option<Vec<Write>> {
    fn take<'a>(bytes: &mut &'a [u8]) -> Option<&'a [u8]> {
        let len = usize::try_from(u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?)).ok()?;
        let taken = bytes.get(4..4 + len)?;
        *bytes = &bytes[4 + len..];
        Some(taken)
    }
    let mut writes = Vec::new();
    while let [kind, place, rest @ ..] = bytes {
        let table = *Table::ALL.get(usize::from(*place))?;
        bytes = rest;
        writes.push(match kind {
            0 => {
                let key = take(&mut bytes)?.to_vec();
                Write::Put(table, key, take(&mut bytes)?.to_vec())
            }
            1 => Write::Delete(table, take(&mut bytes)?.to_vec()),
            2 => Write::Clear(table),
            _ => return None,
        });
    }
    bytes.is_empty().then_some(writes)
}

/// The right to write, held until dropped.
enum WriteLock {
    /// The Web Lock, let go by calling this.
    Web(Function),
    /// Without Web Locks: claimed on the channel (answered while the engine
    /// writes).
    Claimed,
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        if let Self::Web(release) = self
            && let Err(e) = release.call0(&JsValue::NULL)
        {
            tracing::warn!(err = ?e, "the write lock could not be let go");
        }
    }
}

/// Ask for the Web Lock `name`: now or not at all (`wait_ms` `None`), or
/// waiting `wait_ms` at most. `None` when it was not granted.
async fn acquire(name: &str, wait_ms: Option<i32>) -> Result<Option<WriteLock>, KvError> {
    let navigator =
        Reflect::get(&js_sys::global(), &JsValue::from_str("navigator")).map_err(|e| io("navigator", &e))?;
    let locks = Reflect::get(&navigator, &JsValue::from_str("locks")).map_err(|e| io("locks", &e))?;
    if locks.is_undefined() {
        return Err(KvError::Io(
            "this browser has no Web Locks (navigator.locks), which tabs share the profile by".into(),
        ));
    }
    let request: Function = Reflect::get(&locks, &JsValue::from_str("request"))
        .and_then(JsCast::dyn_into)
        .map_err(|e| io("locks.request", &e))?;
    // The grant (a way to let go) or `None`; whoever answers first — the
    // lock manager or the time-out — takes the sender.
    let (tx, rx) = oneshot::channel::<Option<Function>>();
    let answer = Rc::new(RefCell::new(Some(tx)));
    let granted = Rc::clone(&answer);
    let callback = Closure::once_into_js(move |lock: JsValue| -> Promise {
        if lock.is_null() {
            if let Some(tx) = granted.borrow_mut().take() {
                tx.send(None).ok();
            }
            return Promise::resolve(&JsValue::UNDEFINED);
        }
        let mut release = None;
        let held = Promise::new(&mut |resolve, _reject| release = Some(resolve));
        let Some(release) = release else { return Promise::resolve(&JsValue::UNDEFINED) };
        match granted.borrow_mut().take() {
            Some(tx) => {
                if let Err(Some(release)) = tx.send(Some(release)) {
                    release.call0(&JsValue::NULL).ok();
                }
            }
            // Granted after the time-out: let it go again at once.
            None => {
                release.call0(&JsValue::NULL).ok();
            }
        }
        held
    });
    let options = Object::new();
    let controller = AbortController::new().map_err(|e| io("AbortController", &e))?;
    let set = |key: &str, value: &JsValue| Reflect::set(&options, &JsValue::from_str(key), value).map(drop);
    match wait_ms {
        None => set("ifAvailable", &JsValue::TRUE),
        Some(_) => set("signal", &controller.signal()),
    }
    .map_err(|e| io("lock options", &e))?;
    let pending: Promise = request
        .call3(&locks, &JsValue::from_str(name), &options, &callback)
        .and_then(JsCast::dyn_into)
        .map_err(|e| io("locks.request", &e))?;
    // Aborted, the request rejects: expected, not an error to report.
    // The handler lives as long as the request (until the lock is let go,
    // a page's lifetime at most): left to the JS side, a few bytes a request.
    let ignore = Closure::<dyn FnMut(JsValue)>::new(|_: JsValue| {});
    drop(pending.catch(&ignore));
    ignore.forget();
    if let Some(ms) = wait_ms {
        let timed_out = Rc::clone(&answer);
        let abort = Closure::once_into_js(move || {
            if let Some(tx) = timed_out.borrow_mut().take() {
                controller.abort();
                tx.send(None).ok();
            }
        });
        set_timeout(abort.unchecked_ref(), ms)?;
    }
    Ok(rx.await.ok().flatten().map(WriteLock::Web))
}

/// Call `callback` every `ms` milliseconds until [`clear_interval`].
fn set_interval(callback: &Function, ms: i32) -> Result<JsValue, KvError> {
    let set: Function = Reflect::get(&js_sys::global(), &JsValue::from_str("setInterval"))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| KvError::Io("this page has no timers".to_owned()))?;
    set.call2(&JsValue::NULL, callback, &JsValue::from(ms)).map_err(|e| io("timer", &e))
}

/// Stop what [`set_interval`] started.
fn clear_interval(id: &JsValue) {
    let clear = Reflect::get(&js_sys::global(), &JsValue::from_str("clearInterval"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok());
    if clear.is_none_or(|clear| clear.call1(&JsValue::NULL, id).is_err()) {
        tracing::warn!("a timer could not be stopped");
    }
}

fn set_timeout(callback: &Function, ms: i32) -> Result<(), KvError> {
    let scope = js_sys::global();
    let set_timeout: Function = Reflect::get(&scope, &JsValue::from_str("setTimeout"))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| KvError::Io("this page has no timers".to_owned()))?;
    set_timeout.call2(&JsValue::NULL, callback, &JsValue::from(ms)).map(drop).map_err(|e| io("timer", &e))
}

/// Wait `ms` milliseconds without blocking the page.
async fn pause(ms: i32) -> Result<(), KvError> {
    let mut failed = None;
    let promise = Promise::new(&mut |resolve, _| failed = set_timeout(&resolve, ms).err());
    if let Some(e) = failed {
        return Err(e);
    }
    JsFuture::from(promise).await.map(drop).map_err(|e| io("timer", &e))
}
