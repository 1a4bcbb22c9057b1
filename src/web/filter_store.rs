//! Saved filters in IndexedDB: a small promise wrapper over one object store whose values are filter files' JSON.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{IdbDatabase, IdbObjectStore, IdbRequest, IdbTransaction, IdbTransactionMode};

use crate::Filter;

/// The database and store the page uses.
pub const DATABASE: &str = "artsy";
const STORE: &str = "filters";
const VERSION: u32 = 1;

/// An open filter database. Keys are the numbers IndexedDB assigns on `put`.
pub struct FilterStore {
    db: IdbDatabase,
}

/// A readable message from a failed request or transaction.
fn describe(what: &str, error: Option<web_sys::DomException>) -> String {
    match error {
        Some(e) => format!("{what}: {} ({})", e.message(), e.name()),
        None => format!("{what} failed"),
    }
}

/// Resolves with the request's result once it succeeds (a callback completes a channel; nothing polls).
async fn finished(request: &IdbRequest, what: &str) -> Result<JsValue, String> {
    let (sender, receiver) = futures_channel::oneshot::channel::<Result<(), ()>>();
    let sender = Rc::new(RefCell::new(Some(sender)));
    let (ok_sender, err_sender) = (sender.clone(), sender);
    let on_success = Closure::once(move || {
        if let Some(s) = ok_sender.borrow_mut().take() {
            let _ = s.send(Ok(()));
        }
    });
    let on_error = Closure::once(move || {
        if let Some(s) = err_sender.borrow_mut().take() {
            let _ = s.send(Err(()));
        }
    });
    request.set_onsuccess(Some(on_success.as_ref().unchecked_ref()));
    request.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let outcome = receiver.await;
    request.set_onsuccess(None);
    request.set_onerror(None);
    match outcome {
        Ok(Ok(())) => request.result().map_err(|e| format!("{what}: {e:?}")),
        _ => Err(describe(what, request.error().ok().flatten())),
    }
}

/// Watches a read-write transaction from now on; the future resolves once it has committed (so the data is on
/// disk before the page says it is saved). Call before awaiting the transaction's requests, so no event is missed.
fn committed(tx: &IdbTransaction, what: &'static str) -> impl std::future::Future<Output = Result<(), String>> {
    type Sender = Rc<RefCell<Option<futures_channel::oneshot::Sender<bool>>>>;
    let (sender, receiver) = futures_channel::oneshot::channel::<bool>();
    let sender: Sender = Rc::new(RefCell::new(Some(sender)));
    let send = |ok: bool, s: &Sender| {
        if let Some(s) = s.borrow_mut().take() {
            let _ = s.send(ok);
        }
    };
    let (a, b, c) = (sender.clone(), sender.clone(), sender);
    let on_complete = Closure::once(move || send(true, &a));
    let on_error = Closure::once(move || send(false, &b));
    let on_abort = Closure::once(move || send(false, &c));
    tx.set_oncomplete(Some(on_complete.as_ref().unchecked_ref()));
    tx.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    tx.set_onabort(Some(on_abort.as_ref().unchecked_ref()));
    let tx = tx.clone();
    async move {
        let ok = receiver.await.unwrap_or(false);
        tx.set_oncomplete(None);
        tx.set_onerror(None);
        tx.set_onabort(None);
        drop((on_complete, on_error, on_abort));
        if ok { Ok(()) } else { Err(describe(what, tx.error())) }
    }
}

impl FilterStore {
    /// Opens (and on first use creates) the database `name` with its filter store.
    pub async fn open(name: &str) -> Result<FilterStore, String> {
        let factory = super::dom::window()
            .indexed_db()
            .ok()
            .flatten()
            .ok_or("this browser keeps no IndexedDB for this page (a private window may block it)")?;
        let request = factory
            .open_with_u32(name, VERSION)
            .map_err(|e| format!("could not open the filter database: {e:?}"))?;
        let upgrade = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let Some(request) = e.target().and_then(|t| t.dyn_into::<IdbRequest>().ok()) else {
                return;
            };
            let Ok(db) = request.result().and_then(|r| r.dyn_into::<IdbDatabase>()) else {
                return;
            };
            if !db.object_store_names().contains(STORE) {
                let options = web_sys::IdbObjectStoreParameters::new();
                options.set_auto_increment(true);
                let _ = db.create_object_store_with_optional_parameters(STORE, &options);
            }
        });
        request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
        let result = finished(&request, "could not open the filter database").await;
        request.set_onupgradeneeded(None);
        let db: IdbDatabase = result?
            .dyn_into()
            .map_err(|_| "the filter database did not open".to_string())?;
        Ok(FilterStore { db })
    }

    fn store(&self, mode: IdbTransactionMode) -> Result<(IdbTransaction, IdbObjectStore), String> {
        let tx = self
            .db
            .transaction_with_str_and_mode(STORE, mode)
            .map_err(|e| format!("the filter database is unusable: {e:?}"))?;
        let store = tx
            .object_store(STORE)
            .map_err(|e| format!("the filter database is unusable: {e:?}"))?;
        Ok((tx, store))
    }

    /// Stores `filter` and returns its key.
    pub async fn put(&self, filter: &Filter) -> Result<u32, String> {
        let (tx, store) = self.store(IdbTransactionMode::Readwrite)?;
        let text = String::from_utf8(filter.to_json()).map_err(|e| e.to_string())?;
        let commit = committed(&tx, "could not save the filter");
        let request = store
            .put(&JsValue::from_str(&text))
            .map_err(|e| format!("could not save the filter: {e:?}"))?;
        let key = finished(&request, "could not save the filter").await?;
        commit.await?;
        key.as_f64()
            .map(|k| k as u32)
            .ok_or_else(|| "the filter database gave an unexpected key".into())
    }

    /// Every stored filter with its key, oldest first. Entries that no longer parse are skipped.
    pub async fn list(&self) -> Result<Vec<(u32, Filter)>, String> {
        let (_tx, store) = self.store(IdbTransactionMode::Readonly)?;
        let keys = store
            .get_all_keys()
            .map_err(|e| format!("could not read the saved filters: {e:?}"))?;
        let values = store
            .get_all()
            .map_err(|e| format!("could not read the saved filters: {e:?}"))?;
        let keys: js_sys::Array = finished(&keys, "could not read the saved filters")
            .await?
            .unchecked_into();
        let values: js_sys::Array = finished(&values, "could not read the saved filters")
            .await?
            .unchecked_into();
        Ok(keys
            .iter()
            .zip(values.iter())
            .filter_map(|(k, v)| Some((k.as_f64()? as u32, parse(&v)?)))
            .collect())
    }

    /// The filter stored under `key`, if any.
    pub async fn get(&self, key: u32) -> Result<Option<Filter>, String> {
        let (_tx, store) = self.store(IdbTransactionMode::Readonly)?;
        let request = store
            .get(&JsValue::from(key))
            .map_err(|e| format!("could not read the filter: {e:?}"))?;
        let value = finished(&request, "could not read the filter").await?;
        Ok(parse(&value))
    }

    /// Removes the filter stored under `key` (no error when there is none).
    pub async fn delete(&self, key: u32) -> Result<(), String> {
        let (tx, store) = self.store(IdbTransactionMode::Readwrite)?;
        let commit = committed(&tx, "could not delete the filter");
        let request = store
            .delete(&JsValue::from(key))
            .map_err(|e| format!("could not delete the filter: {e:?}"))?;
        finished(&request, "could not delete the filter").await?;
        commit.await
    }

    /// Closes the connection (the data stays).
    pub fn close(&self) {
        self.db.close();
    }
}

/// A stored value back into a Filter. Stored filters were validated on the way in; this only parses.
fn parse(value: &JsValue) -> Option<Filter> {
    serde_json::from_str(&value.as_string()?).ok()
}
