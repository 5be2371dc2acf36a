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
//! # Memory
//!
//! The whole profile lives in memory, as it does in IndexedDB (ciphertext:
//! the sealed store encrypts every value before it reaches a Kv). That is
//! fine for typical histories, tens of megabytes; a profile holding many
//! large attachments costs as much memory as it holds, and opening it reads
//! it all first.

mod js;
mod tabs;

use std::sync::{Arc, Mutex, PoisonError};

use futures_channel::{mpsc, oneshot};

use crate::kv::{Entry, Kv, KvError, MemoryKv, Table};

/// The [`Kv`] of the web build: IndexedDB behind an in-memory mirror (see
/// the [module documentation](self)).
#[derive(Debug)]
pub struct IdbKv {
    /// Every entry, as the app last wrote it.
    mirror: MemoryKv,
    /// The queue the writing task drains.
    queue: mpsc::UnboundedSender<Op>,
    /// Why writing to IndexedDB stopped, once it has.
    failure: Arc<Mutex<Option<Failure>>>,
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
    /// Write what came before, close the database, stop holding it, then
    /// answer.
    Release(oneshot::Sender<()>),
}

/// Why IndexedDB refused a write, kept to be reported again.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Failure {
    /// The site's storage quota is used up.
    Full,
    /// The profile was handed to another tab ([`IdbKv::release`]).
    Released,
    /// Anything else, described.
    Other(String),
}

impl Failure {
    /// The error the app sees for a write that did not reach IndexedDB.
    fn error(&self) -> KvError {
        match self {
            Self::Full => KvError::Full,
            Self::Released => {
                KvError::Io("Pak.Chat is open in another tab now; nothing written here since was kept".to_owned())
            }
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
    /// of this site and read all of it into memory, unless an engine in
    /// another tab holds it (see `tabs.rs`).
    ///
    /// # Errors
    /// [`KvError::Locked`] when another tab has it open; [`KvError::Io`]
    /// when the browser offers no IndexedDB (some private modes), refuses
    /// to open it, or it holds something this engine did not write.
    pub async fn open(database_name: &str) -> Result<Self, KvError> {
        Self::open_releasable(database_name, || {}).await
    }

    /// [`IdbKv::open`], calling `on_release` when another tab asks for the
    /// database ([`IdbKv::take_over`]); the owner then calls
    /// [`IdbKv::release`].
    ///
    /// # Errors
    /// As [`IdbKv::open`].
    pub async fn open_releasable(database_name: &str, on_release: impl Fn() + 'static) -> Result<Self, KvError> {
        let Some(holder) = tabs::hold(database_name, Box::new(on_release)).await? else {
            return Err(KvError::Locked);
        };
        let db = js::open(database_name).await?;
        let entries = match js::read_all(&db).await {
            Ok(entries) => entries,
            Err(failure) => {
                db.close();
                return Err(KvError::Io(format!("cannot read the browser's storage: {}", failure.error())));
            }
        };
        let mirror = MemoryKv::new();
        for (table, key, value) in entries {
            mirror.insert(table, &key, &value)?;
        }
        let (queue, ops) = mpsc::unbounded();
        let failure = Arc::default();
        wasm_bindgen_futures::spawn_local(drain(db, ops, Arc::clone(&failure), holder));
        Ok(Self { mirror, queue, failure })
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
            Err(oneshot::Canceled) => Err(self.failed().map_or_else(stopped, |failure| failure.error())),
        }
    }

    /// Write what is queued, close the database and stop holding it, so
    /// another tab can open it; every later write is refused (the mirror
    /// still takes it, as after any failure).
    pub async fn release(&self) {
        let (done, answer) = oneshot::channel();
        if self.enqueue(Op::Release(done)).is_ok() {
            // Canceled: the writer had already stopped, and let go with it.
            answer.await.ok();
        }
        let mut failure = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        failure.get_or_insert(Failure::Released);
    }

    /// Ask the tab holding database `name` to let go of it and wait (about
    /// three seconds at most) until it has. True when it is free: load the
    /// page afresh to open it.
    ///
    /// # Errors
    /// [`KvError::Io`] when the browser has no `BroadcastChannel`.
    pub async fn take_over(name: &str) -> Result<bool, KvError> {
        tabs::take_over(name).await
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

    fn failed(&self) -> Option<Failure> {
        self.failure.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn enqueue(&self, op: Op) -> Result<(), KvError> {
        if let Some(failure) = self.failed() {
            return Err(failure.error());
        }
        self.queue.unbounded_send(op).map_err(|_| stopped())
    }
}

/// The writing task: batches of everything queued, one transaction each, in
/// order, until the engine is dropped or a transaction fails. It holds the
/// database against other tabs (`holder`) until the engine is dropped.
async fn drain(
    db: web_sys::IdbDatabase,
    mut ops: mpsc::UnboundedReceiver<Op>,
    failure: Arc<Mutex<Option<Failure>>>,
    holder: tabs::Holder,
) {
    let closer = js::close_on_version_change(&db);
    let mut failed = None;
    let mut released = None;
    while let Ok(first) = ops.recv().await {
        let mut writes = Vec::new();
        let mut waiting = Vec::new();
        let mut next = Some(first);
        while let Some(op) = next {
            match op {
                Op::Write(write) => writes.push(write),
                Op::Settled(done) => waiting.push(done),
                Op::Release(done) => {
                    released = Some(done);
                    break;
                }
            }
            next = ops.try_recv().ok();
        }
        let result = if writes.is_empty() { Ok(()) } else { js::write(&db, &writes).await };
        if let Err(why) = &result {
            tracing::warn!(err = ?why, writes = writes.len(), "the browser's storage refused a write; writing stops");
            *failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(why.clone());
        }
        for done in waiting {
            answer(done, result.clone());
        }
        if let Err(why) = result {
            failed = Some(why);
            break;
        }
        if released.is_some() {
            break;
        }
    }
    db.set_onversionchange(None);
    drop(closer);
    db.close();
    if let Some(done) = released {
        *failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(Failure::Released);
        drop(holder);
        // The engine may be gone already; nobody is left to tell.
        done.send(()).ok();
        while let Ok(op) = ops.recv().await {
            if let Op::Settled(done) = op {
                answer(done, Err(Failure::Released));
            }
        }
        return;
    }
    // Later writes are refused by the engine itself; answer the waits.
    if let Some(why) = failed {
        while let Ok(op) = ops.recv().await {
            if let Op::Settled(done) = op {
                answer(done, Err(why.clone()));
            }
        }
    }
    drop(holder);
}

/// Tell one [`IdbKv::settled`] how it went.
fn answer(done: oneshot::Sender<Result<(), Failure>>, result: Result<(), Failure>) {
    if done.send(result).is_err() {
        tracing::debug!("a wait for the browser's storage was given up");
    }
}

impl Kv for IdbKv {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        self.mirror.get(table, key)
    }

    fn insert(&self, table: Table, key: &[u8], value: &[u8]) -> Result<(), KvError> {
        self.mirror.insert(table, key, value)?;
        self.enqueue(Op::Write(Write::Put(table, key.to_vec(), value.to_vec())))
    }

    fn remove(&self, table: Table, key: &[u8]) -> Result<(), KvError> {
        self.mirror.remove(table, key)?;
        self.enqueue(Op::Write(Write::Delete(table, key.to_vec())))
    }

    fn range(&self, table: Table, start: &[u8], end: &[u8], limit: usize) -> Result<Vec<Entry>, KvError> {
        self.mirror.range(table, start, end, limit)
    }

    fn range_rev(&self, table: Table, start: &[u8], end: &[u8], limit: usize) -> Result<Vec<Entry>, KvError> {
        self.mirror.range_rev(table, start, end, limit)
    }

    fn contains(&self, table: Table, key: &[u8]) -> Result<bool, KvError> {
        self.mirror.contains(table, key)
    }

    fn scan_prefix(&self, table: Table, prefix: &[u8]) -> Result<Vec<Entry>, KvError> {
        self.mirror.scan_prefix(table, prefix)
    }

    fn last_with_prefix(&self, table: Table, prefix: &[u8]) -> Result<Option<Entry>, KvError> {
        self.mirror.last_with_prefix(table, prefix)
    }

    /// Reports the failure that stopped writing, if any; it cannot wait for
    /// the queued transaction (see [`IdbKv::settled`]).
    fn flush(&self) -> Result<(), KvError> {
        self.failed().map_or(Ok(()), |failure| Err(failure.error()))
    }

    fn clear(&self, table: Table) -> Result<(), KvError> {
        self.mirror.clear(table)?;
        self.enqueue(Op::Write(Write::Clear(table)))
    }
}
