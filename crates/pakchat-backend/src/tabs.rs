//! Tabs like windows (the web build): every tab of a browser open on the
//! profile shows the same chats, live. One tab writes at a time (the store's
//! `IdbKv` has the protocol); the others read what it writes as it writes.
//!
//! * A command that changes something, in a tab that does not write, first
//!   takes the profile over: the writing tab is asked and hands over once
//!   it has nothing left to write (a reply still streaming finishes first;
//!   this tab waits, saying so after a moment). Commands that only read
//!   ([`reads_only`]) never wait.
//! * Handing over writes what the store keeps in memory (search postings)
//!   and stops this tab's sync task; taking over reads the store's memory
//!   again and starts it (only the writing tab talks to the server).
//! * What the writing tab wrote reaches the others as changed threads; they
//!   show it as they show what sync brought (the sidebar, and the rows of
//!   the changed threads), at most every [`REFRESH_EVERY`], so a streaming
//!   reply costs a reader a few refreshes a second.

use std::collections::BTreeSet;
use std::time::Duration;

use super::actor::{Actor, Internal, to_actor};
use super::{Command, Event};
use crate::domain::ThreadId;

/// How long a tab waits for the writing one to hand over.
const TAKE_WAIT_MS: i32 = 120_000;
/// After this, the waiting tab says why it waits.
const SAY_WAITING_AFTER: Duration = Duration::from_millis(1500);
/// A reading tab shows what the writer wrote at most this often.
const REFRESH_EVERY: Duration = Duration::from_millis(150);
/// What the waiting tab says.
const WAITING: &str = "Waiting for Pak.Chat's other tab in this browser to finish writing…";

/// What a reading tab has heard and not shown yet.
#[derive(Default)]
pub(super) struct Heard {
    threads: BTreeSet<ThreadId>,
    everything: bool,
    /// A refresh is on its way.
    scheduled: bool,
}

/// Commands that change nothing stored: a reading tab handles them as is.
pub(super) fn reads_only(command: &Command) -> bool {
    matches!(
        command,
        Command::OpenThread { .. }
            | Command::LoadMessages { .. }
            | Command::LoadOutline { .. }
            | Command::Search { .. }
            | Command::ShowMessage { .. }
            | Command::LoadSystemFonts
            | Command::ListDevices
            | Command::ListShares
            | Command::ForgetThisBrowser
            | Command::Shutdown
    )
}

impl Actor {
    /// The store's engine's hooks: what other tabs ask and write comes back
    /// to the actor's inbox.
    pub(super) fn tab_hooks(&self) -> crate::store::TabHooks {
        let (asked, changed) = (self.inbox.clone(), self.inbox.clone());
        crate::store::TabHooks {
            asked: Box::new(move || to_actor(&asked, Internal::HandOver)),
            changed: Box::new(move |change| to_actor(&changed, Internal::TabWrote(change))),
        }
    }

    /// Before `command`: make this tab the one that writes, unless the
    /// command only reads. False (and the user told) when the other tab did
    /// not hand over in time: the command is not carried out.
    pub(super) async fn write_here(&mut self, command: &Command) -> bool {
        reads_only(command) || self.take_profile().await
    }

    /// Make this tab the one that writes (at once when it is). False (and
    /// the user told) when the other tab did not hand over in time.
    pub(super) async fn take_profile(&mut self) -> bool {
        let Some(idb) = self.idb.clone() else { return true };
        if idb.writes_here() {
            return true;
        }
        let taken = idb.take(TAKE_WAIT_MS);
        tokio::pin!(taken);
        let mut said = false;
        let result = tokio::select! {
            result = &mut taken => result,
            () = self.rt.sleep(SAY_WAITING_AFTER) => {
                said = true;
                self.events.send(Event::Status { message: Some(WAITING.to_owned()) });
                taken.await
            }
        };
        if said {
            self.events.send(Event::Status { message: None });
        }
        match result {
            Ok(()) => {
                tracing::info!("this tab writes the profile now");
                self.resume_writing().await;
                true
            }
            Err(e) => {
                self.events.send(Event::Error { thread: None, message: format!("Not done: {e}.") });
                false
            }
        }
    }

    /// This tab writes again: read what the store keeps in memory again
    /// and, signed in, sync from here.
    async fn resume_writing(&mut self) {
        if self.store.is_none() {
            return;
        }
        if let Err(e) = self.with_store(crate::store::SealedStore::resume_writing).await {
            tracing::warn!(err = %e, "the store could not read what another tab wrote");
        }
        let account = self.with_store(crate::store::Store::account).await.ok().flatten();
        self.follow_account(account.is_some_and(|a| !a.expired)).await;
    }

    /// Another tab must write: hand over now, or once the replies streaming
    /// here have ended ([`Actor::hand_over_when_idle`]).
    pub(super) async fn on_hand_over_asked(&mut self) {
        self.asked_to_hand_over = true;
        self.hand_over_when_idle().await;
    }

    /// Hand over if another tab asked and nothing streams here.
    pub(super) async fn hand_over_when_idle(&mut self) {
        if !self.asked_to_hand_over || !self.replies.active.is_empty() {
            return;
        }
        self.asked_to_hand_over = false;
        let Some(idb) = self.idb.clone() else { return };
        if self.store.is_some()
            && let Err(e) = self.with_store(crate::store::SealedStore::pause_writing).await
        {
            tracing::warn!(err = %e, "search postings were not written before handing over; the other tab indexes them");
        }
        // Only the writing tab syncs.
        self.sync = None;
        idb.hand_over().await;
        tracing::info!("another tab writes the profile now");
    }

    /// The writing tab wrote: show it soon (coalesced).
    pub(super) fn on_tab_wrote(&mut self, change: crate::store::TabChange) {
        self.heard.threads.extend(change.threads.into_iter().map(ThreadId::from_bytes));
        self.heard.everything |= change.everything;
        if !self.heard.scheduled {
            self.heard.scheduled = true;
            let (rt, inbox) = (self.rt.clone(), self.inbox.clone());
            self.rt.spawn(async move {
                rt.sleep(REFRESH_EVERY).await;
                to_actor(&inbox, Internal::ShowTabWrites);
            });
        }
    }

    /// Show what the writing tab wrote since the last time.
    pub(super) async fn show_tab_writes(&mut self) {
        let heard = std::mem::take(&mut self.heard);
        if self.store.is_none() {
            return;
        }
        let threads = if heard.everything {
            match self.with_store(crate::store::Store::threads).await {
                Ok(slots) => slots
                    .iter()
                    .filter_map(|slot| match slot {
                        crate::store::ThreadSlot::Ok(t) => Some(t.id),
                        crate::store::ThreadSlot::Unreadable { .. } => None,
                    })
                    .collect(),
                Err(_) => heard.threads,
            }
        } else {
            heard.threads
        };
        self.show_incoming(threads).await;
    }
}
