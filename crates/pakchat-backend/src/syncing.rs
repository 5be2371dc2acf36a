//! The app's sync task: while the profile is signed in and holds the
//! account's sync key, changes made here go to the server soon after they
//! are made (a burst of edits makes one round), and changes from other
//! devices come in as soon as the server pokes this device on the live
//! channel, on start, and on "Sync now".
//!
//! Failures never lose anything: the outbox keeps every change until the
//! server has it. An unreachable server is tried again after an
//! exponential backoff with full jitter (0.5 s doubling up to 60 s); a
//! server asking to wait is waited for; a refusal (the account full, …) is
//! shown and tried again after a minute. What the task does is reported to
//! the actor ([`SyncReport`]), which shows it ([`crate::SyncView`]) and
//! refreshes what came in.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use pakchat_sync::{Record, Replica, ReplicaError, SyncError, Waiting};
use tokio::sync::mpsc;

use crate::actor::{Actor, Internal, to_actor};
use crate::command::Command;
use crate::domain::{Hlc, ThreadId};
use crate::event::{Event, SyncView, ThreadSummary};
use crate::runtime::Runtime;
use crate::store::{Pending, SealedStore, Store as _};
use crate::sync::{StoreReplica, SyncFailure};

/// The first wait after a failure; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// The longest wait between tries.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long a burst of changes is gathered before a round (short: the
/// commit-to-other-device budget is 50 ms at the median).
const GATHER: Duration = Duration::from_millis(10);
/// Without a heartbeat for this long, the live channel is taken as dead.
const QUIET: Duration = Duration::from_secs(45);
/// Changes counted for the UI at most.
pub const COUNT_CAP: usize = 10_000;

/// Why the task should look at the outbox or the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Nudge {
    /// Something may have changed here: send it soon (unless waiting out a
    /// failure).
    Changed,
    /// Sync now (the user asked, or the server poked): even mid-backoff.
    Now,
}

/// What a round of the task came to.
#[derive(Debug)]
pub(crate) enum SyncReport {
    /// Everything here is on the server; `touched`: threads whose messages
    /// came in, `changed`: whether anything came in at all.
    Synced { changed: bool, touched: BTreeSet<ThreadId>, newest: Option<Hlc> },
    /// Changes are waiting; the server could not be reached.
    Offline { waiting: usize, retry: Duration, reason: String },
    /// The server refused; tried again later.
    Failed { waiting: usize, message: String },
    /// The session is over, or the key gone: the task stopped.
    Stopped(SyncFailure),
    /// Turning sync on ended: the key is kept (with the recovery code to
    /// show when this device made it), or why not.
    Enrolled(Result<Option<zeroize::Zeroizing<String>>, String>),
}

/// The actor's end of a running task: dropping it stops the task.
pub(crate) struct SyncLink {
    nudges: mpsc::UnboundedSender<Nudge>,
}

impl SyncLink {
    /// Start the task for `store`; it reports to `inbox`.
    pub(crate) fn start(rt: &Runtime, store: Arc<SealedStore>, inbox: mpsc::UnboundedSender<Internal>) -> Self {
        let (nudges, rx) = mpsc::unbounded_channel();
        rt.spawn(listen(rt.clone(), store.clone(), nudges.downgrade()));
        rt.spawn(run(rt.clone(), store, rx, inbox));
        let link = Self { nudges };
        link.nudge(Nudge::Now);
        link
    }

    /// Tell the task to look.
    pub(crate) fn nudge(&self, nudge: Nudge) {
        if self.nudges.send(nudge).is_err() {
            tracing::debug!("the sync task has stopped");
        }
    }
}

/// A random wait in `[0, min(MAX, FIRST·2^attempt)]` ("full jitter").
fn backoff(attempt: u32) -> Duration {
    let ceiling = FIRST_BACKOFF.saturating_mul(1u32 << attempt.min(16)).min(MAX_BACKOFF);
    let mut bytes = [0u8; 8];
    if getrandom::getrandom(&mut bytes).is_err() {
        return ceiling;
    }
    let fraction = f64::from(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])) / f64::from(u32::MAX);
    ceiling.mul_f64(fraction).max(Duration::from_millis(100))
}

/// The store as a replica, noting which threads' messages and attachments
/// came in.
struct Noting<'a> {
    inner: StoreReplica<'a>,
    touched: Mutex<BTreeSet<ThreadId>>,
}

impl Replica for Noting<'_> {
    type Token = Pending;

    fn pending(&self, limit: usize) -> Result<Waiting<Pending>, ReplicaError> {
        self.inner.pending(limit)
    }

    fn sent(&self, done: Vec<Pending>) -> Result<(), ReplicaError> {
        self.inner.sent(done)
    }

    fn incoming(&self, record: &Record, plaintext: &[u8]) -> Result<bool, ReplicaError> {
        let changed = self.inner.incoming(record, plaintext)?;
        if !changed {
            return Ok(false);
        }
        let thread = match record.kind.as_str() {
            "message" => serde_json::from_slice::<crate::domain::Message>(plaintext).ok().map(|m| m.thread_id),
            "attachment" => {
                serde_json::from_slice::<crate::store::SyncedAttachment>(plaintext).ok().map(|a| a.attachment.thread_id)
            }
            _ => None,
        };
        if let Some(thread) = thread {
            self.touched.lock().unwrap_or_else(PoisonError::into_inner).insert(thread);
        }
        Ok(true)
    }

    fn cursor(&self, user: &str) -> Result<u64, ReplicaError> {
        self.inner.cursor(user)
    }

    fn set_cursor(&self, user: &str, seq: u64) -> Result<(), ReplicaError> {
        self.inner.set_cursor(user, seq)
    }
}

fn waiting(store: &SealedStore) -> usize {
    store.outbox(COUNT_CAP).map_or(0, |w| w.len())
}

async fn run(
    rt: Runtime,
    store: Arc<SealedStore>,
    mut nudges: mpsc::UnboundedReceiver<Nudge>,
    inbox: mpsc::UnboundedSender<Internal>,
) {
    // While waiting out a failure: how many tries failed, and when to try again.
    let mut failing: Option<(u32, web_time::Instant)> = None;
    // Changes came while a round ran: go again at once.
    let mut again = false;
    let mut connection = crate::sync::Connection::default();
    loop {
        let mut nudge = if again {
            Nudge::Now
        } else {
            let next = match failing {
                Some((_, at)) => tokio::select! {
                    n = nudges.recv() => n,
                    () = rt.sleep(at.saturating_duration_since(rt.now())) => Some(Nudge::Now),
                },
                None => nudges.recv().await,
            };
            let Some(next) = next else { return };
            next
        };
        if nudge == Nudge::Changed {
            rt.sleep(GATHER).await;
        }
        while let Ok(more) = nudges.try_recv() {
            if more == Nudge::Now {
                nudge = Nudge::Now;
            }
        }
        if nudge == Nudge::Changed {
            if let Some((_, at)) = failing {
                // Kept for later; the count on screen goes up.
                let (waiting, retry) = (waiting(&store), at.saturating_duration_since(rt.now()));
                let reason = "waiting to try again".to_owned();
                to_actor(&inbox, SyncReport::Offline { waiting, retry, reason });
                continue;
            }
            if waiting(&store) == 0 {
                continue;
            }
        }
        let replica = Noting { inner: StoreReplica(store.as_ref()), touched: Mutex::new(BTreeSet::new()) };
        let result = crate::sync::sync_with(store.as_ref(), &replica, &mut connection).await;
        let touched = replica.touched.into_inner().unwrap_or_else(PoisonError::into_inner);
        let next_try = |failing: Option<(u32, web_time::Instant)>, least: Duration| {
            let attempt = failing.map_or(0, |(a, _)| a + 1);
            let retry = least.max(backoff(attempt));
            (attempt, retry)
        };
        let mut progress = false;
        let report = match result {
            Ok(report) => {
                failing = None;
                progress = report.sent > 0;
                SyncReport::Synced { changed: report.changed > 0, touched, newest: report.newest }
            }
            Err(SyncFailure::Sync(SyncError::Unreachable(reason))) => {
                let (attempt, retry) = next_try(failing, Duration::ZERO);
                failing = Some((attempt, rt.now() + retry));
                SyncReport::Offline { waiting: waiting(&store), retry, reason }
            }
            Err(SyncFailure::Sync(SyncError::Wait(wait, reason))) => {
                let (attempt, retry) = next_try(failing, wait);
                failing = Some((attempt, rt.now() + retry));
                SyncReport::Offline { waiting: waiting(&store), retry, reason }
            }
            Err(e @ (SyncFailure::SignedOut | SyncFailure::NoKey)) => {
                to_actor(&inbox, SyncReport::Stopped(e));
                return;
            }
            Err(e) => {
                let (attempt, _) = next_try(failing, Duration::ZERO);
                failing = Some((attempt, rt.now() + MAX_BACKOFF));
                SyncReport::Failed { waiting: waiting(&store), message: e.to_string() }
            }
        };
        // Changed while the round ran (and the round got somewhere).
        again = progress && waiting(&store) > 0;
        to_actor(&inbox, report);
    }
}

/// Keep the live channel open while the task runs, and nudge it on every
/// poke past what this device has pulled (its own pushes poke it too).
async fn listen(rt: Runtime, store: Arc<SealedStore>, nudges: mpsc::WeakUnboundedSender<Nudge>) {
    let mut attempt = 0u32;
    loop {
        let Some(link) = nudges.upgrade() else { return };
        drop(link);
        let account = store.account().ok().flatten().filter(|a| !a.expired);
        let Some(account) = account else { return };
        let server = match pakchat_sync::Server::new(&account.server, &account.token) {
            Ok(server) => server,
            Err(e) => {
                tracing::warn!(err = %e, "the live channel could not be set up");
                return;
            }
        };
        let opened = rt.now();
        let on_message = |message| {
            let pakchat_protocol::LiveMessage::Poke { seq } = message else { return };
            let pulled = store.sync_cursor().ok().flatten().map_or(0, |(_, s)| s);
            if seq > pulled
                && let Some(link) = nudges.upgrade()
                && link.send(Nudge::Now).is_err()
            {
                tracing::debug!("the sync task has stopped");
            }
        };
        let ended = server.live(on_message, || rt.sleep(QUIET)).await;
        match ended {
            Err(SyncError::SignedOut) => {
                // The session ended (this device was signed out from
                // another): a round finds out for the account and says so.
                if let Some(link) = nudges.upgrade()
                    && link.send(Nudge::Now).is_err()
                {
                    tracing::debug!("the sync task has stopped");
                }
                return;
            }
            Ok(()) => tracing::debug!("the live channel closed"),
            Err(e) => tracing::debug!(err = %e, "the live channel dropped"),
        }
        // A channel that held a while starts the backoff afresh.
        if rt.now().saturating_duration_since(opened) > MAX_BACKOFF {
            attempt = 0;
        }
        rt.sleep(backoff(attempt)).await;
        attempt = attempt.saturating_add(1);
    }
}

/// Threads whose rows are sent again after messages came in (beyond
/// these, a window shows them when the thread is next opened).
const REFRESHED_THREADS: usize = 20;

impl Actor {
    /// Follow the account: run the sync task while signed in with the
    /// account's key here, and say which it is.
    pub(crate) async fn follow_account(&mut self, signed_in: bool) {
        let Some(store) = self.store.clone().filter(|_| signed_in) else {
            self.sync = None;
            self.events.send(Event::Sync(SyncView::Off));
            return;
        };
        let has_key = self.with_store(crate::store::Store::sync_key).await.ok().flatten().is_some();
        if !has_key {
            self.sync = None;
            self.events.send(Event::Sync(SyncView::NoKey));
        } else if self.sync.is_none() {
            self.sync = Some(SyncLink::start(&self.rt, store, self.inbox.clone()));
            self.events.send(Event::Sync(SyncView::Syncing));
        }
    }

    /// Let the sync task look (after anything that may have changed a record).
    pub(crate) fn nudge_sync(&self, nudge: Nudge) {
        if let Some(link) = &self.sync {
            link.nudge(nudge);
        }
    }

    /// Show what the sync task reported, and what came in.
    pub(crate) async fn on_sync_report(&mut self, report: SyncReport) {
        match report {
            SyncReport::Synced { changed, touched, newest } => {
                if let Some(hlc) = newest {
                    self.clock.observe(hlc, crate::domain::wall_millis());
                }
                self.events.send(Event::Sync(SyncView::Synced));
                if changed {
                    self.show_incoming(touched).await;
                }
            }
            SyncReport::Offline { waiting, retry, reason } => {
                tracing::info!(waiting, retry_ms = retry.as_millis(), reason, "sync: the server could not be reached");
                let retry_s = retry.as_secs().max(1);
                self.events.send(Event::Sync(SyncView::Offline { waiting, retry_s }));
            }
            SyncReport::Failed { waiting, message } => {
                tracing::warn!(waiting, message, "sync: the server refused");
                self.events.send(Event::Sync(SyncView::Failed { waiting, message }));
            }
            SyncReport::Enrolled(Ok(code)) => {
                tracing::info!(first_device = code.is_some(), "sync turned on");
                if let Some(code) = code {
                    self.events.send(Event::RecoveryCode(code));
                }
                self.follow_account(true).await;
            }
            SyncReport::Enrolled(Err(message)) => self.events.send(Event::EnrolFailed(message)),
            SyncReport::Stopped(why) => {
                tracing::info!(why = %why, "sync stopped");
                self.sync = None;
                let account = self.with_store(crate::store::Store::account).await.ok().flatten();
                match (why, account) {
                    // The server ended the session: shown as the account's
                    // (sign in again), and sync stays off until then.
                    (SyncFailure::SignedOut, Some(mut account)) if !account.expired => {
                        account.expired = true;
                        self.save_and_show(account).await;
                    }
                    _ => self.announce_account().await,
                }
            }
        }
    }

    /// Turn sync on ([`Command::TurnOnSync`], [`Command::JoinSync`]) in the
    /// background; it reports [`SyncReport::Enrolled`]. Nothing is kept
    /// unless the key came (and opened).
    pub(crate) fn enrol(&mut self, command: Command) {
        let Some(store) = self.store.clone() else { return };
        let inbox = self.inbox.clone();
        self.rt.spawn(async move {
            let result = enrol(store.as_ref(), command).await;
            to_actor(&inbox, SyncReport::Enrolled(result));
        });
    }

    /// Records came in: the sidebar, the projects and the settings again,
    /// and the rows of threads whose messages changed.
    pub(super) async fn show_incoming(&mut self, touched: BTreeSet<ThreadId>) {
        match self.with_store(crate::store::Store::threads).await {
            Ok(slots) => self.events.send(Event::ThreadsLoaded(slots.into_iter().map(ThreadSummary::from).collect())),
            Err(e) => tracing::warn!(err = %e, "threads could not be listed after a sync"),
        }
        self.send_projects().await;
        self.reload_settings().await;
        for thread in touched.into_iter().take(REFRESHED_THREADS) {
            self.send_attachments(thread).await;
            self.send_rows(thread, None, crate::messages::ROWS_AFTER_BRANCH).await;
        }
    }
}

/// Make the account's key (`TurnOnSync`) or fetch it with the recovery
/// code (`JoinSync`), and keep it; the code to show once, if made here.
async fn enrol(store: &SealedStore, command: Command) -> Result<Option<zeroize::Zeroizing<String>>, String> {
    let account = store.account().map_err(|e| e.to_string())?.filter(|a| !a.expired);
    let account = account.ok_or("Sign in first: sync needs your account.")?;
    let server = pakchat_sync::Server::new(&account.server, &account.token).map_err(|e| e.to_string())?;
    let (key, key_id, code) = match command {
        Command::TurnOnSync => {
            match pakchat_sync::create_account_key(&server, pakchat_sync::KdfParams::default()).await {
                Ok((key, key_id, code)) => (key, key_id, Some(code.display())),
                Err(pakchat_sync::JoinError::KeyExists) => {
                    return Err("Your account already syncs from another device: enter the recovery code that \
                            device showed."
                        .to_owned());
                }
                Err(e) => return Err(format!("Sync was not turned on: {e}")),
            }
        }
        Command::JoinSync { code } => {
            let code = pakchat_sync::RecoveryCode::parse(code.trim()).map_err(|e| e.to_string())?;
            let (key, key_id) = pakchat_sync::join(&server, &code).await.map_err(|e| match e {
                pakchat_sync::JoinError::NoKey => {
                    "Your account does not sync yet: turn sync on on your first device.".to_owned()
                }
                e => format!("Sync was not turned on: {e}"),
            })?;
            (key, key_id, None)
        }
        _ => return Err("not a command that turns sync on".to_owned()),
    };
    store.put_sync_key(Some((key_id, key.as_bytes()))).and_then(|()| store.flush()).map_err(|e| e.to_string())?;
    Ok(code)
}
