//! The profile: opening its store (sled on disk, or memory), answering
//! second launches, first set-up and unlocking ([`Command::SetUp`],
//! [`Command::Unlock`]), and what the UI is sent once it is open (threads,
//! projects, settings), with what the last run left undone (replies cut
//! off, deletions whose undo window closed).

use std::path::PathBuf;
use std::sync::Arc;
#[cfg(not(target_arch = "wasm32"))]
use std::time::Duration;

use super::actor::{Actor, StoreLocation, misrouted};
use super::{Command, Event, ThreadSummary};
use crate::domain::{HlcClock, ThreadId};
use crate::store::{KeySource, Kv, KvError, MemoryKv, SealedStore, Store, StoreError, ThreadSlot};

/// How long to wait for a closing instance to let go of the profile.
#[cfg(not(target_arch = "wasm32"))]
const LOCK_WAIT: Duration = Duration::from_secs(3);

fn data_dir(location: &StoreLocation) -> Option<PathBuf> {
    match location {
        StoreLocation::Directory(dir) => Some(dir.clone()),
        StoreLocation::Memory => None,
        #[cfg(target_arch = "wasm32")]
        StoreLocation::Browser(_) => None,
    }
}

impl Actor {
    /// [`Command::SetUp`], [`Command::Unlock`] and
    /// [`Command::ForgetThisBrowser`].
    pub(super) async fn handle_profile(&mut self, command: Command) {
        match command {
            Command::SetUp(source) => {
                if self.store.is_some() {
                    self.events.send(Event::UnlockFailed { message: "The profile is already set up.".to_owned() });
                } else {
                    self.set_up(source).await;
                }
            }
            Command::Unlock(source) => {
                if self.store.is_none()
                    && let Err(e) = self.try_unlock(source).await
                {
                    self.events.send(Event::UnlockFailed { message: e.to_string() });
                }
            }
            Command::ForgetThisBrowser => self.forget_this_browser().await,
            _ => misrouted("profile"),
        }
    }

    /// Delete the browser's copy of the profile and start the page afresh.
    /// A signed-in browser ends its session at the server first (waiting
    /// five seconds at most: the server ends it on its own otherwise). The
    /// store is let go first; the deletion closes any connection still
    /// open on the database (ours or another tab's).
    async fn forget_this_browser(&mut self) {
        #[cfg(target_arch = "wasm32")]
        if let StoreLocation::Browser(name) = &self.config.location {
            let name = name.clone();
            self.end_session_before_forgetting().await;
            drop(self.store.take());
            drop(self.kv.take());
            match crate::store::IdbKv::delete_database(&name).await {
                Ok(()) => {
                    if let Some(window) = web_sys::window()
                        && let Err(e) = window.location().reload()
                    {
                        tracing::warn!(err = ?e, "the page did not reload after forgetting");
                    }
                }
                Err(e) => self.events.send(Event::Error {
                    thread: None,
                    message: format!("This browser's copy could not be deleted: {e}"),
                }),
            }
            return;
        }
        self.events.send(Event::Error {
            thread: None,
            message: "Only a browser's copy of Pak.Chat can be forgotten this way.".to_owned(),
        });
    }

    /// Tell the server this browser's session is over, if it has one.
    #[cfg(target_arch = "wasm32")]
    async fn end_session_before_forgetting(&mut self) {
        let account = self.with_store(Store::account).await.ok().flatten().filter(|a| !a.expired);
        let Some(account) = account else { return };
        let Ok(http) = super::account::http_client() else { return };
        let told = super::account::end_session(&http, &account.server, &account.token);
        tokio::select! {
            told = told => match told {
                Ok(()) => tracing::info!("signed out before forgetting this browser"),
                Err(e) => tracing::warn!(err = %e, "the server was not told this browser signed out"),
            },
            () = self.rt.sleep(std::time::Duration::from_secs(5)) => {
                tracing::warn!("the server did not answer the sign-out in time");
            }
        }
    }

    /// Open the profile's key-value store and, on disk, start answering
    /// second launches. False (and the UI told) when it cannot be opened.
    pub(super) async fn open_kv(&mut self) -> bool {
        let kv: Result<Arc<dyn Kv>, KvError> = match &self.config.location {
            StoreLocation::Memory => Ok(Arc::new(MemoryKv::new())),
            #[cfg(not(target_arch = "wasm32"))]
            StoreLocation::Directory(dir) => {
                let dir = dir.clone();
                let events = self.events.clone();
                // Said when it changes, not for every batch copied.
                let shown = std::sync::atomic::AtomicU8::new(u8::MAX);
                let report = move |p: crate::store::GivingBack| {
                    let percent = p.percent();
                    if shown.swap(percent, std::sync::atomic::Ordering::Relaxed) != percent {
                        events.send(Event::GivingBackSpace { percent });
                    }
                };
                // A previous instance may still be closing (a quick restart):
                // give it a moment before calling the profile busy.
                self.rt
                    .blocking(move || crate::store::SledKv::open_patiently_reporting(&dir, LOCK_WAIT, &report))
                    .await
                    .map(|kv| Arc::new(kv) as Arc<dyn Kv>)
            }
            #[cfg(target_arch = "wasm32")]
            StoreLocation::Directory(_) => Ok(Arc::new(MemoryKv::new())),
            #[cfg(target_arch = "wasm32")]
            StoreLocation::Browser(name) => crate::store::IdbKv::open_shared(name, self.tab_hooks()).await.map(|kv| {
                let kv = Arc::new(kv);
                self.idb = Some(kv.clone());
                kv as Arc<dyn Kv>
            }),
        };
        match kv {
            Ok(kv) => {
                self.kv = Some(kv);
                if let StoreLocation::Directory(dir) = &self.config.location
                    && !self.config.lockdown.guest
                {
                    // We hold the profile's lock: a second launch now hands over to us.
                    let events = self.events.clone();
                    match super::instance::listen(dir, move || events.send(Event::WindowRequested)) {
                        Ok(listener) => self.instance = Some(listener),
                        Err(e) => tracing::warn!(err = %e, "a second launch will not be able to hand over"),
                    }
                }
                true
            }
            Err(e) => {
                tracing::error!(err = %e, "cannot open the store");
                self.events.send(Event::StoreFailed { message: e.to_string() });
                false
            }
        }
    }

    /// Whether the OS keychain answers (asked at most 5 s).
    async fn keychain_available(&self) -> bool {
        if !self.config.use_keychain {
            return false;
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let probe = self.rt.blocking(crate::store::keychain::available);
            tokio::time::timeout(Duration::from_secs(5), probe).await.unwrap_or(false)
        }
        #[cfg(target_arch = "wasm32")]
        {
            false
        }
    }

    /// Unlock without asking where the profile allows it (keychain, key
    /// file, a guest's throwaway key); otherwise ask the UI for set-up or
    /// unlocking.
    pub(super) async fn start_unlock(&mut self) {
        let Some(kv) = self.kv.clone() else { return };
        let header = match self.rt.blocking(move || SealedStore::read_header(kv.as_ref())).await {
            Ok(h) => h,
            Err(e) => {
                self.events.send(Event::StoreFailed { message: e.to_string() });
                return;
            }
        };
        let Some(header) = header else {
            if self.config.lockdown.guest {
                self.set_up(KeySource::Throwaway).await;
            } else if let Some(path) = self.config.key_file.clone() {
                self.set_up(KeySource::KeyFile(path)).await;
            } else {
                let keychain_available = self.keychain_available().await;
                self.events.send(Event::NeedsSetup { data_dir: data_dir(&self.config.location), keychain_available });
            }
            return;
        };
        let kind = header.protection.kind();
        let source = header.protection.unattended_source(self.config.use_keychain, self.config.key_file.clone());
        let problem = match source {
            Some(source) => match self.try_unlock(source).await {
                Ok(()) => return,
                Err(e) => Some(e.to_string()),
            },
            None => None,
        };
        self.events.send(Event::NeedsUnlock { protection: kind, problem });
    }

    /// Unlock the profile with `source`.
    async fn try_unlock(&mut self, source: KeySource) -> Result<(), StoreError> {
        let Some(kv) = self.kv.clone() else { return Err(StoreError::NotOpen) };
        // In a browser Argon2id runs in a Web Worker: the page keeps drawing.
        #[cfg(target_arch = "wasm32")]
        let source = match SealedStore::read_header(kv.as_ref())?.as_ref().and_then(crate::store::keys::passphrase_salt)
        {
            Some((salt, params)) => crate::store::stretch_worker::stretched_off_the_page(source, salt, params).await,
            None => source,
        };
        let store = self.rt.blocking(move || SealedStore::unlock(kv, &source)).await?;
        self.opened(store).await;
        Ok(())
    }

    /// Create the profile, its data key protected by `source`.
    async fn set_up(&mut self, source: KeySource) {
        let Some(kv) = self.kv.clone() else { return };
        let params = self.config.argon2;
        #[cfg(target_arch = "wasm32")]
        let source = match crate::store::keys::new_salt() {
            Ok(salt) => crate::store::stretch_worker::stretched_off_the_page(source, salt, params).await,
            Err(_) => source,
        };
        match self.rt.blocking(move || SealedStore::create(kv, &source, params)).await {
            Ok(store) => self.opened(store).await,
            Err(e) => self.events.send(Event::UnlockFailed { message: e.to_string() }),
        }
    }

    /// The profile is open: send the UI its threads, projects and
    /// settings, and finish what the last run left undone.
    async fn opened(&mut self, store: SealedStore) {
        let store = Arc::new(store);
        self.clock = HlcClock::new(store.device_id());
        self.store = Some(store.clone());
        tracing::info!(protection = ?store.protection(), "profile unlocked");
        self.events.send(Event::Unlocked {
            protection: store.protection(),
            data_dir: data_dir(&self.config.location),
            device: store.device_id(),
        });
        match self.with_store(Store::threads).await {
            Ok(slots) => {
                let ids: Vec<ThreadId> = slots
                    .iter()
                    .filter_map(|s| match s {
                        ThreadSlot::Ok(t) => Some(t.id),
                        ThreadSlot::Unreadable { .. } => None,
                    })
                    .collect();
                // Deletions whose undo window closed with the app: finish them
                // (on a synced profile only those made here, see
                // `purge_threads`).
                let deleted: Vec<ThreadId> = slots
                    .iter()
                    .filter_map(|s| match s {
                        ThreadSlot::Ok(t) if t.deleted && !t.title.is_empty() => Some(t.id),
                        _ => None,
                    })
                    .collect();
                let summaries = slots.into_iter().map(ThreadSummary::from).collect();
                self.events.send(Event::ThreadsLoaded(summaries));
                self.send_projects().await;
                // After the sidebar has its list: no command (opening a thread
                // included) is handled before this finishes, so nobody sees a
                // stale "writing…".
                self.mark_interrupted(ids).await;
                self.purge_threads(deleted).await;
            }
            Err(e) => {
                self.events.send(Event::Error { thread: None, message: format!("Could not list your threads: {e}") });
            }
        }
        self.reload_settings().await;
        self.announce_account().await;
        #[cfg(target_arch = "wasm32")]
        self.finish_page_sign_in().await;
    }
}
