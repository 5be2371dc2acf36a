//! One round of sync between a device's records and the account's blind
//! log: send what changed here, then take in what changed elsewhere.
//!
//! The engine knows no store: a [`Replica`] gives it the changes waiting to
//! be sent (each with the record as it is now, plain), takes in records
//! from other devices (merging by last writer wins is the replica's), and
//! keeps the pull cursor. The engine seals, pushes, pulls and opens.
//!
//! * Sending: pages of at most [`PUSH_RECORDS`] records and
//!   [`PUSH_BYTES`] bytes; a page's changes are cleared only after the
//!   server answered for all of it, so a failure (or a kill) in between
//!   sends them again, which the server takes as a no-op.
//! * Taking in: pages after the cursor; the cursor moves after each page
//!   is applied. An envelope that does not open (tampered, moved,
//!   re-stamped, another key) or whose content does not match its
//!   envelope is counted as unreadable and skipped, never applied.

use pakchat_core::Hlc;
use pakchat_protocol::{Envelope, KeyId, MAX_PULL};
use zeroize::Zeroizing;

use crate::{AccountKey, Record, Server, SyncError, open, seal};

/// Records per push.
pub const PUSH_RECORDS: usize = 500;
/// Sealed bytes per push (the server takes up to 8 MiB).
pub const PUSH_BYTES: usize = 4 * 1024 * 1024;
/// Pushes in one round at most (a device still changing things while it
/// sends goes on in the next round).
const MAX_PUSHES: usize = 10_000;

/// A record leaving this device, plain.
pub struct Outgoing {
    /// Its id, kind, stamp and tombstone flag (what the envelope shows).
    pub record: Record,
    /// Its content.
    pub plaintext: Zeroizing<Vec<u8>>,
}

/// Waiting changes, each with its record as it is now (`None`: nothing to
/// send for it any more).
pub type Waiting<T> = Vec<(T, Option<Outgoing>)>;

/// Why a replica could not take in a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplicaError {
    /// The record opened but is not one this device understands, or its
    /// content does not match its envelope: skipped.
    #[error("not a record this device can use: {0}")]
    Unusable(String),
    /// The device's own store failed: the round stops.
    #[error("{0}")]
    Local(String),
}

/// What the engine needs of a device's records.
pub trait Replica {
    /// Names one waiting change (to clear it once sent).
    type Token;

    /// Up to `limit` waiting changes, each with its record as it is now
    /// (`None`: nothing to send for it any more).
    ///
    /// # Errors
    /// The store failed.
    fn pending(&self, limit: usize) -> Result<Waiting<Self::Token>, ReplicaError>;

    /// These changes are on the server.
    ///
    /// # Errors
    /// The store failed.
    fn sent(&self, done: Vec<Self::Token>) -> Result<(), ReplicaError>;

    /// Take in a record from another device; `Ok(true)` when it changed
    /// something here.
    ///
    /// # Errors
    /// [`ReplicaError::Unusable`] for a record to skip, `Local` when the
    /// store failed.
    fn incoming(&self, record: &Record, plaintext: &[u8]) -> Result<bool, ReplicaError>;

    /// Where the pull of `user`'s log stopped last time (0: from the start).
    ///
    /// # Errors
    /// The store failed.
    fn cursor(&self, user: &str) -> Result<u64, ReplicaError>;

    /// Keep the pull cursor.
    ///
    /// # Errors
    /// The store failed.
    fn set_cursor(&self, user: &str, seq: u64) -> Result<(), ReplicaError>;
}

/// The key a device seals and opens with.
pub struct Keys<'a> {
    /// The account key.
    pub key: &'a AccountKey,
    /// Its number.
    pub key_id: KeyId,
    /// The server's id of the user (bound into every envelope).
    pub user: &'a str,
}

/// What one round did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Records sent.
    pub sent: usize,
    /// Records taken in (new or newer than what was here).
    pub changed: usize,
    /// Records pulled that changed nothing (as old as the copy here, or
    /// this device's own).
    pub unchanged: usize,
    /// Records that did not open or could not be used: skipped.
    pub unreadable: usize,
    /// The newest stamp seen in what came in (for the device's clock).
    pub newest: Option<Hlc>,
}

fn local(e: &ReplicaError) -> SyncError {
    SyncError::Local(e.to_string())
}

/// Send what is waiting, then take in what is new on the server.
///
/// # Errors
/// The server (nothing is lost: what was not sent stays waiting, the
/// cursor stays where the last page applied left it) or the store.
pub async fn sync_once<R: Replica>(server: &Server, keys: &Keys<'_>, replica: &R) -> Result<Report, SyncError> {
    let mut report = Report::default();
    push_all(server, keys, replica, &mut report).await?;
    pull_all(server, keys, replica, &mut report).await?;
    Ok(report)
}

async fn push_all<R: Replica>(
    server: &Server,
    keys: &Keys<'_>,
    replica: &R,
    report: &mut Report,
) -> Result<(), SyncError> {
    for _ in 0..MAX_PUSHES {
        let waiting = replica.pending(PUSH_RECORDS).map_err(|e| local(&e))?;
        if waiting.is_empty() {
            return Ok(());
        }
        let mut page: Vec<Envelope> = Vec::new();
        let mut tokens = Vec::new();
        let mut bytes = 0;
        for (token, outgoing) in waiting {
            if let Some(out) = outgoing {
                let envelope = seal(keys.key, keys.key_id, keys.user, out.record, &out.plaintext)
                    .map_err(|e| SyncError::Local(e.to_string()))?;
                if bytes + envelope.size() > PUSH_BYTES && !page.is_empty() {
                    // The rest goes in the next page.
                    break;
                }
                bytes += envelope.size();
                page.push(envelope);
            }
            tokens.push(token);
        }
        if !page.is_empty() {
            let answer = server.push(page).await?;
            report.sent += answer.results.len();
        }
        replica.sent(tokens).map_err(|e| local(&e))?;
    }
    Ok(())
}

async fn pull_all<R: Replica>(
    server: &Server,
    keys: &Keys<'_>,
    replica: &R,
    report: &mut Report,
) -> Result<(), SyncError> {
    let mut cursor = replica.cursor(keys.user).map_err(|e| local(&e))?;
    let key_of = |id: KeyId| (id == keys.key_id).then(|| keys.key.clone());
    loop {
        let page = server.pull(cursor, MAX_PULL).await?;
        for stored in &page.envelopes {
            let envelope = &stored.envelope;
            let plain = match open(&key_of, keys.user, envelope) {
                Ok(plain) => plain,
                Err(e) => {
                    tracing::warn!(id = envelope.id.as_str(), err = %e, "a record from the server did not open");
                    report.unreadable += 1;
                    continue;
                }
            };
            let record = Record {
                id: envelope.id.clone(),
                kind: envelope.kind.clone(),
                stamp: envelope.stamp,
                deleted: envelope.deleted,
            };
            match replica.incoming(&record, &plain) {
                Ok(true) => report.changed += 1,
                Ok(false) => report.unchanged += 1,
                Err(ReplicaError::Unusable(why)) => {
                    tracing::warn!(id = envelope.id.as_str(), why, "a record from the server was skipped");
                    report.unreadable += 1;
                    continue;
                }
                Err(e @ ReplicaError::Local(_)) => return Err(local(&e)),
            }
            report.newest = report.newest.max(Some(envelope.stamp.hlc));
        }
        if page.next > cursor {
            cursor = page.next;
            replica.set_cursor(keys.user, cursor).map_err(|e| local(&e))?;
        }
        if !page.more {
            return Ok(());
        }
    }
}
