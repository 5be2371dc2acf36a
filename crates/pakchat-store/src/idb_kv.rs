//! The web build's persistent engine: the [`Kv`] tables in the browser's
//! IndexedDB, one object store per [`Table`] (named [`Table::name`]), keys
//! and values kept as binary (`Uint8Array`; IndexedDB orders binary keys
//! byte by byte, as the Kv orders them).
//!
//! # A mirror in memory, written behind
//!
//! The [`Kv`] trait is synchronous; IndexedDB is not, and on the web
//! everything runs on the page's one thread, so nothing may block on it.
//! [`IdbKv::open`] reads every entry of every table into a [`MemoryKv`]
//! (the mirror) and every read is served from there, with `MemoryKv`'s exact
//! semantics. A write (insert, remove, clear) changes the mirror at once and
//! joins a queue, in order. One task (`spawn_local`) drains the queue: it
//! takes everything queued so far, writes it in *one* readwrite transaction
//! over the stores it touches, waits for that transaction's `complete`, then
//! takes the next batch. A burst of writes (one sealed record is several
//! keys) is thus one transaction, committed whole or not at all, and batches
//! reach the browser in the order they were made.
//!
//! # Durability
//!
//! A write is durable once the queued transaction completes, normally
//! within milliseconds of the write; [`Kv::flush`] cannot wait for that on
//! the page's thread, so it only reports a failure already known.
//! [`IdbKv::settled`] resolves once everything queued before it is
//! committed: await it before a reload or in tests. Dropping the engine
//! still writes what is queued, then closes the database.
//!
//! # Failures
//!
//! When a transaction fails (the site's storage quota is full:
//! [`KvError::Full`]; the database was deleted or upgraded by another tab;
//! anything else the browser refuses: [`KvError::Io`]), the engine stops
//! writing to IndexedDB and remembers why. From then on [`Kv::flush`],
//! [`IdbKv::settled`] and every write return that error, so the app can tell
//! the user; the failed batch and every later write are not in IndexedDB.
//! The mirror keeps all of them (a write after the failure still changes
//! it, then reports the error), so nothing typed is lost while the page
//! lives.
//!
//! # Tabs
//!
//! Every tab open on the profile has an engine and its own mirror; one of
//! them writes at a time, the others read, and every batch the writer
//! commits is applied to the readers' mirrors too, so all tabs show the
//! same chats live. A write in a reading tab is refused
//! ([`KvError::OtherTab`]): its app first takes the profile over
//! ([`IdbKv::take`]), the writing tab hands it over ([`IdbKv::hand_over`])
//! once it has finished writing. `tabs.rs` has the protocol.
//!
//! # Memory
//!
//! The whole profile lives in memory, as it does in IndexedDB (ciphertext:
//! the sealed store encrypts every value before it reaches a Kv). That is
//! fine for typical histories, tens of megabytes; a profile holding many
//! large attachments costs as much memory as it holds, and opening it reads
//! it all first.

mod js;
mod tabs;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use futures_channel::{mpsc, oneshot};

use crate::kv::{Entry, Kv, KvError, MemoryKv, Table};

/// The [`Kv`] of the web build: IndexedDB behind an in-memory mirror (see
/// the [module documentation](self)).
#[derive(Debug)]
pub struct IdbKv {
    /// What the engine and its writing task share.
    shared: Arc<Shared>,
    /// The queue the writing task drains.
    queue: mpsc::UnboundedSender<Op>,
}

/// The engine's state, shared with its writing task and its tab listener.
#[derive(Debug, Default)]
struct Shared {
    /// Every entry, as this tab or the writing tab last wrote it.
    mirror: MemoryKv,
    /// This tab is the one that writes (see `tabs.rs`).
    writer: AtomicBool,
    /// Why writing to IndexedDB stopped, once it has.
    failure: Mutex<Option<Failure>>,
}

impl Shared {
    fn writes_here(&self) -> bool {
        self.writer.load(Ordering::SeqCst)
    }

    fn failed(&self) -> Option<Failure> {
        self.failure.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// What the app hears from the other tabs of its database.
pub struct TabHooks {
    /// Another tab must write: finish what is being written, then call
    /// [`IdbKv::hand_over`].
    pub asked: Box<dyn Fn()>,
    /// The writing tab changed the profile; the mirror holds it already.
    pub changed: Box<dyn Fn(TabChange)>,
}

impl TabHooks {
    /// Hooks that do nothing (an engine nobody else asks about).
    #[must_use]
    pub fn none() -> Self {
        Self { asked: Box::new(|| {}), changed: Box::new(|_| {}) }
    }
}

/// What another tab's batch changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TabChange {
    /// The threads (ids as bytes) whose records, messages, branches,
    /// attachments, drafts or streaming pieces changed.
    pub threads: BTreeSet<[u8; 16]>,
    /// A whole table was emptied: anything may have changed.
    pub everything: bool,
}

/// One change to write to IndexedDB.
#[derive(Debug)]
enum Write {
    /// Put the value at the key.
    Put(Table, Vec<u8>, Vec<u8>),
    /// Remove the key.
    Delete(Table, Vec<u8>),
    /// Remove every entry of the table.
    Clear(Table),
}

impl Write {
    fn table(&self) -> Table {
        match self {
            Self::Put(table, ..) | Self::Delete(table, _) | Self::Clear(table) => *table,
        }
    }
}

/// What the writing task is asked to do, in order.
#[derive(Debug)]
enum Op {
    /// Write this change.
    Write(Write),
    /// Answer once everything before it is committed (or failed).
    Settled(oneshot::Sender<Result<(), Failure>>),
    /// Commit what came before, then let another tab write.
    HandOver(oneshot::Sender<()>),
    /// Become the writer, waiting this many milliseconds at most.
    Take(i32, oneshot::Sender<Result<(), KvError>>),
}

/// Why IndexedDB refused a write, kept to be reported again.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Failure {
    /// The site's storage quota is used up.
    Full,
    /// Anything else, described.
    Other(String),
}

impl Failure {
    /// The error the app sees for a write that did not reach IndexedDB.
    fn error(&self) -> KvError {
        match self {
            Self::Full => KvError::Full,
            Self::Other(why) => {
                KvError::Io(format!("the browser's storage failed ({why}); nothing written since was kept"))
            }
        }
    }
}

/// The writing task is gone without saying why (it only stops on a failure,
/// which it records first, or when the engine is dropped).
fn stopped() -> KvError {
    KvError::Io("the browser's storage writer stopped; nothing written since was kept".to_owned())
}

impl IdbKv {
    /// Open (creating or upgrading) the IndexedDB database `database_name`
    /// of this site and read all of it into memory; this engine writes if
    /// no engine in another tab does, and reads otherwise (see `tabs.rs`).
    ///
    /// # Errors
    /// [`KvError::Io`] when the browser offers no IndexedDB (some private
    /// modes) or no Web Locks, refuses to open it, or it holds something
    /// this engine did not write.
    pub async fn open(database_name: &str) -> Result<Self, KvError> {
        Self::open_shared(database_name, TabHooks::none()).await
    }

    /// [`IdbKv::open`], telling `hooks` what the other tabs ask and write.
    ///
    /// # Errors
    /// As [`IdbKv::open`].
    pub async fn open_shared(database_name: &str, hooks: TabHooks) -> Result<Self, KvError> {
        let shared = Arc::new(Shared::default());
        let tab = tabs::Tab::join(database_name, Arc::clone(&shared), hooks).await?;
        let db = js::open(database_name).await?;
        let entries = match js::read_all(&db).await {
            Ok(entries) => entries,
            Err(failure) => {
                db.close();
                return Err(KvError::Io(format!("cannot read the browser's storage: {}", failure.error())));
            }
        };
        for (table, key, value) in entries {
            shared.mirror.insert(table, &key, &value)?;
        }
        tab.loaded();
        let (queue, ops) = mpsc::unbounded();
        wasm_bindgen_futures::spawn_local(drain(db, ops, Arc::clone(&shared), tab));
        Ok(Self { shared, queue })
    }

    /// Whether this tab writes the profile (another tab does otherwise, or
    /// none yet).
    #[must_use]
    pub fn writes_here(&self) -> bool {
        self.shared.writes_here()
    }

    /// Resolves once every write made before this call is committed to
    /// IndexedDB.
    ///
    /// # Errors
    /// The failure that stopped writing, if one did (see the [module
    /// documentation](self)).
    pub async fn settled(&self) -> Result<(), KvError> {
        let (done, answer) = oneshot::channel();
        self.enqueue(Op::Settled(done))?;
        match answer.await {
            Ok(result) => result.map_err(|failure| failure.error()),
            Err(oneshot::Canceled) => Err(self.shared.failed().map_or_else(stopped, |failure| failure.error())),
        }
    }

    /// Let another tab write: every later write here is refused
    /// ([`KvError::OtherTab`]) until [`IdbKv::take`]; what was written
    /// before is committed and sent to the other tabs first.
    pub async fn hand_over(&self) {
        if !self.shared.writer.swap(false, Ordering::SeqCst) {
            return;
        }
        let (done, answer) = oneshot::channel();
        if self.queue.unbounded_send(Op::HandOver(done)).is_ok() {
            // Canceled: the writer stopped, and let go with it.
            answer.await.ok();
        }
    }

    /// Become the tab that writes: ask the writing tab to hand over and
    /// wait for it, `wait_ms` milliseconds at most.
    ///
    /// # Errors
    /// [`KvError::OtherTab`] when it did not in time; the failure that
    /// stopped writing, if one did.
    pub async fn take(&self, wait_ms: i32) -> Result<(), KvError> {
        if self.writes_here() {
            return Ok(());
        }
        let (done, answer) = oneshot::channel();
        self.queue.unbounded_send(Op::Take(wait_ms, done)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Delete the IndexedDB database `name` of this site and all it holds
    /// (forgetting a profile in this browser). Engines open on it close
    /// their connection and fail their later writes; the deletion waits for
    /// connections in other tabs to close.
    ///
    /// # Errors
    /// [`KvError::Io`] when there is no IndexedDB or the browser refuses.
    pub async fn delete_database(name: &str) -> Result<(), KvError> {
        js::delete(name).await
    }

    fn enqueue(&self, op: Op) -> Result<(), KvError> {
        if let Some(failure) = self.shared.failed() {
            return Err(failure.error());
        }
        self.queue.unbounded_send(op).map_err(|_| stopped())
    }

    /// Refuse a write in a tab that does not write.
    fn writable(&self) -> Result<(), KvError> {
        if self.writes_here() { Ok(()) } else { Err(KvError::OtherTab) }
    }
}

/// The writing task: batches of everything queued, one transaction each, in
/// order, until the engine is dropped or a transaction fails; each batch
/// committed is sent to the other tabs. It keeps the engine's place among
/// the tabs (`tab`) until the engine is dropped.
async fn drain(db: web_sys::IdbDatabase, mut ops: mpsc::UnboundedReceiver<Op>, shared: Arc<Shared>, tab: tabs::Tab) {
    let closer = js::close_on_version_change(&db);
    let mut failed = None;
    while let Ok(first) = ops.recv().await {
        let mut writes = Vec::new();
        let mut waiting = Vec::new();
        let mut then = None;
        let mut next = Some(first);
        while let Some(op) = next {
            match op {
                Op::Write(write) => writes.push(write),
                Op::Settled(done) => waiting.push(done),
                control @ (Op::HandOver(_) | Op::Take(..)) => {
                    then = Some(control);
                    break;
                }
            }
            next = ops.try_recv().ok();
        }
        let result = if writes.is_empty() { Ok(()) } else { js::write(&db, &writes).await };
        match &result {
            Ok(()) if !writes.is_empty() => tab.wrote(&writes),
            Ok(()) => {}
            Err(why) => {
                tracing::warn!(err = ?why, writes = writes.len(), "the browser's storage refused a write; writing stops");
                *shared.failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(why.clone());
            }
        }
        for done in waiting {
            answer(done, result.clone());
        }
        if let Some(control) = then {
            control_op(&tab, &shared, control).await;
        }
        if let Err(why) = result {
            failed = Some(why);
            break;
        }
    }
    db.set_onversionchange(None);
    drop(closer);
    db.close();
    // Later writes are refused by the engine itself; answer the waits.
    if let Some(why) = failed {
        while let Ok(op) = ops.recv().await {
            match op {
                Op::Settled(done) => answer(done, Err(why.clone())),
                Op::Take(_, done) => {
                    done.send(Err(why.error())).ok();
                }
                control @ Op::HandOver(_) => control_op(&tab, &shared, control).await,
                Op::Write(_) => {}
            }
        }
    }
    drop(tab);
}

/// Hand over or take the profile, and say when done.
async fn control_op(tab: &tabs::Tab, shared: &Shared, op: Op) {
    match op {
        Op::HandOver(done) => {
            tab.hand_over();
            done.send(()).ok();
        }
        Op::Take(wait_ms, done) => {
            let result = tab.take(wait_ms).await;
            if result.is_ok() {
                shared.writer.store(true, Ordering::SeqCst);
            }
            done.send(result).ok();
        }
        Op::Write(_) | Op::Settled(_) => {}
    }
}

/// Tell one [`IdbKv::settled`] how it went.
fn answer(done: oneshot::Sender<Result<(), Failure>>, result: Result<(), Failure>) {
    if done.send(result).is_err() {
        tracing::debug!("a wait for the browser's storage was given up");
    }
}

impl Kv for IdbKv {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        self.shared.mirror.get(table, key)
    }

    fn insert(&self, table: Table, key: &[u8], value: &[u8]) -> Result<(), KvError> {
        self.writable()?;
        self.shared.mirror.insert(table, key, value)?;
        self.enqueue(Op::Write(Write::Put(table, key.to_vec(), value.to_vec())))
    }

    fn remove(&self, table: Table, key: &[u8]) -> Result<(), KvError> {
        self.writable()?;
        self.shared.mirror.remove(table, key)?;
        self.enqueue(Op::Write(Write::Delete(table, key.to_vec())))
    }

    fn range(&self, table: Table, start: &[u8], end: &[u8], limit: usize) -> Result<Vec<Entry>, KvError> {
        self.shared.mirror.range(table, start, end, limit)
    }

    fn range_rev(&self, table: Table, start: &[u8], end: &[u8], limit: usize) -> Result<Vec<Entry>, KvError> {
        self.shared.mirror.range_rev(table, start, end, limit)
    }

    fn contains(&self, table: Table, key: &[u8]) -> Result<bool, KvError> {
        self.shared.mirror.contains(table, key)
    }

    fn scan_prefix(&self, table: Table, prefix: &[u8]) -> Result<Vec<Entry>, KvError> {
        self.shared.mirror.scan_prefix(table, prefix)
    }

    fn last_with_prefix(&self, table: Table, prefix: &[u8]) -> Result<Option<Entry>, KvError> {
        self.shared.mirror.last_with_prefix(table, prefix)
    }

    /// Reports the failure that stopped writing, if any; it cannot wait for
    /// the queued transaction (see [`IdbKv::settled`]).
    fn flush(&self) -> Result<(), KvError> {
        self.shared.failed().map_or(Ok(()), |failure| Err(failure.error()))
    }

    fn clear(&self, table: Table) -> Result<(), KvError> {
        self.writable()?;
        self.shared.mirror.clear(table)?;
        self.enqueue(Op::Write(Write::Clear(table)))
    }
}
