//! The IndexedDB calls of [`super::IdbKv`]: opening (and creating the object
//! stores), reading everything, writing a batch in one transaction,
//! deleting, each request or transaction awaited as a future.

use std::collections::BTreeSet;

use js_sys::{Array, ArrayBuffer, Promise, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{DomException, IdbDatabase, IdbFactory, IdbRequest, IdbTransaction, IdbTransactionMode};

use super::{Failure, Write};
use crate::kv::{KvError, Table};

/// The schema version: one per table, as tables are only ever added (old
/// ones stay, emptied), so a new table upgrades the database by itself.
const VERSION: u32 = {
    assert!(Table::ALL.len() < 1000);
    #[allow(clippy::cast_possible_truncation)] // Checked just above.
    {
        Table::ALL.len() as u32
    }
};

/// Describe what a browser call threw or failed with.
fn failure(value: &JsValue) -> Failure {
    if let Some(exception) = value.dyn_ref::<DomException>() {
        return match exception.name().as_str() {
            "QuotaExceededError" => Failure::Full,
            "InvalidStateError" => Failure::Other(format!(
                "the database was closed, deleted or upgraded by another tab: {}",
                exception.message()
            )),
            name => Failure::Other(format!("{name}: {}", exception.message())),
        };
    }
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return Failure::Other(String::from(error.message()));
    }
    Failure::Other(format!("{value:?}"))
}

/// An error of opening or deleting (no write was lost yet).
fn unavailable(value: &JsValue) -> KvError {
    match failure(value) {
        Failure::Full => KvError::Full,
        Failure::Other(why) => KvError::Io(format!("cannot open the browser's storage: {why}")),
    }
}

/// This page's (or worker's) IndexedDB.
fn factory() -> Result<IdbFactory, KvError> {
    let global = js_sys::global();
    let found = if let Some(window) = global.dyn_ref::<web_sys::Window>() {
        window.indexed_db()
    } else if let Some(worker) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
        worker.indexed_db()
    } else {
        Ok(None)
    };
    found
        .map_err(|e| unavailable(&e))?
        .ok_or_else(|| KvError::Io("this browser offers no IndexedDB storage here (a private window?)".to_owned()))
}

/// Wait for `request`: its result, or what it failed with.
async fn finished(request: &IdbRequest) -> Result<JsValue, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    let outcome = JsFuture::from(promise).await;
    request.set_onsuccess(None);
    request.set_onerror(None);
    match outcome {
        Ok(_) => request.result(),
        Err(event) => Err(request.error().ok().flatten().map_or(event, JsValue::from)),
    }
}

/// Wait for `transaction` to commit, or why it aborted.
async fn committed(transaction: &IdbTransaction) -> Result<(), Failure> {
    let promise = Promise::new(&mut |resolve, reject| {
        transaction.set_oncomplete(Some(&resolve));
        transaction.set_onabort(Some(&reject));
    });
    let outcome = JsFuture::from(promise).await;
    transaction.set_oncomplete(None);
    transaction.set_onabort(None);
    outcome.map(drop).map_err(|_| {
        transaction
            .error()
            .map_or_else(|| Failure::Other("the browser aborted the storage transaction".to_owned()), |e| failure(&e))
    })
}

/// The names of `tables`' object stores, as a transaction's scope.
fn scope(tables: impl IntoIterator<Item = Table>) -> Array {
    tables.into_iter().map(|table| JsValue::from_str(table.name())).collect()
}

/// Open `name` at [`VERSION`], creating the object stores it lacks.
pub(super) async fn open(name: &str) -> Result<IdbDatabase, KvError> {
    let request = factory()?.open_with_u32(name, VERSION).map_err(|e| unavailable(&e))?;
    let upgrading = request.clone();
    let upgrade = Closure::<dyn FnMut(JsValue) -> Result<(), JsValue>>::new(move |_event| {
        let db: IdbDatabase = upgrading.result()?.dyn_into()?;
        let existing = db.object_store_names();
        for table in Table::ALL {
            if !existing.contains(table.name()) {
                db.create_object_store(table.name())?;
            }
        }
        Ok(())
    });
    let blocked = Closure::<dyn FnMut(JsValue)>::new(|_event| {
        tracing::warn!("another tab holds an older version of the browser's storage open; waiting for it to close");
    });
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    request.set_onblocked(Some(blocked.as_ref().unchecked_ref()));
    let outcome = finished(&request).await;
    request.set_onupgradeneeded(None);
    request.set_onblocked(None);
    let db: IdbDatabase = outcome.and_then(JsCast::dyn_into).map_err(|e| unavailable(&e))?;
    let existing = db.object_store_names();
    if let Some(missing) = Table::ALL.into_iter().find(|table| !existing.contains(table.name())) {
        db.close();
        return Err(KvError::Io(format!(
            "the browser's storage {name:?} lacks the table {:?}: it was not made by this Pak.Chat",
            missing.name()
        )));
    }
    Ok(db)
}

/// The bytes of a key or value as stored (binary keys come back as an
/// `ArrayBuffer`, values as the `Uint8Array` written).
fn bytes(value: &JsValue) -> Result<Vec<u8>, Failure> {
    if value.is_instance_of::<Uint8Array>() || value.is_instance_of::<ArrayBuffer>() {
        Ok(Uint8Array::new(value).to_vec())
    } else {
        Err(Failure::Other(format!("an entry that is not bytes ({value:?}): not written by Pak.Chat")))
    }
}

/// Every entry of every table, in one read-only transaction.
pub(super) async fn read_all(db: &IdbDatabase) -> Result<Vec<(Table, Vec<u8>, Vec<u8>)>, Failure> {
    let fail = |e: JsValue| failure(&e);
    let transaction =
        db.transaction_with_str_sequence_and_mode(&scope(Table::ALL), IdbTransactionMode::Readonly).map_err(fail)?;
    // Every request is made before the first wait, while the transaction is
    // surely active.
    let mut requests = Vec::with_capacity(Table::ALL.len());
    for table in Table::ALL {
        let store = transaction.object_store(table.name()).map_err(fail)?;
        requests.push((table, store.get_all_keys().map_err(fail)?, store.get_all().map_err(fail)?));
    }
    let mut entries = Vec::new();
    for (table, keys, values) in requests {
        let keys: Array = finished(&keys).await.and_then(JsCast::dyn_into).map_err(fail)?;
        let values: Array = finished(&values).await.and_then(JsCast::dyn_into).map_err(fail)?;
        if keys.length() != values.length() {
            return Err(Failure::Other(format!("table {:?} gave keys and values apart", table.name())));
        }
        for (key, value) in keys.iter().zip(values.iter()) {
            entries.push((table, bytes(&key)?, bytes(&value)?));
        }
    }
    Ok(entries)
}

/// Write `writes`, in order, in one readwrite transaction; resolves once it
/// committed.
pub(super) async fn write(db: &IdbDatabase, writes: &[Write]) -> Result<(), Failure> {
    let tables: BTreeSet<Table> = writes.iter().map(Write::table).collect();
    let transaction = db
        .transaction_with_str_sequence_and_mode(&scope(tables), IdbTransactionMode::Readwrite)
        .map_err(|e| failure(&e))?;
    let queued = writes.iter().try_for_each(|write| {
        let store = transaction.object_store(write.table().name())?;
        match write {
            Write::Put(_, key, value) => store.put_with_key(&Uint8Array::from(&value[..]), &Uint8Array::from(&key[..])),
            Write::Delete(_, key) => store.delete(&Uint8Array::from(&key[..])),
            Write::Clear(_) => store.clear(),
        }
        .map(drop)
    });
    if let Err(e) = queued {
        // Not a part of the batch: none of it.
        if let Err(abort) = transaction.abort() {
            tracing::debug!(err = ?abort, "aborting a storage transaction that failed");
        }
        return Err(failure(&e));
    }
    committed(&transaction).await
}

/// Close `db` when another connection deletes or upgrades the database
/// (else that one would wait for this page forever). Keep the handler
/// alive as long as `db`.
pub(super) fn close_on_version_change(db: &IdbDatabase) -> Closure<dyn FnMut()> {
    let closing = db.clone();
    let handler = Closure::<dyn FnMut()>::new(move || {
        tracing::info!("the browser's storage is being deleted or upgraded elsewhere; closing it here");
        closing.close();
    });
    db.set_onversionchange(Some(handler.as_ref().unchecked_ref()));
    handler
}

/// Delete the database `name`.
pub(super) async fn delete(name: &str) -> Result<(), KvError> {
    let request = factory()?.delete_database(name).map_err(|e| unavailable(&e))?;
    finished(&request).await.map(drop).map_err(|e| unavailable(&e))
}
