//! The blind record log: per user, envelopes by record id, each at its
//! newest version, numbered by the user's own sequence.
//!
//! A push runs in one transaction that first bumps the user's log row
//! (a write, so SQLite takes its write lock at once and PostgreSQL locks
//! the row: two pushes of one user take turns, two users never wait on
//! each other in PostgreSQL). Each envelope is then kept unless the stored
//! version of that id is newer by `(hlc, device)`; the same version again
//! keeps its sequence number (pushes are idempotent). Tombstones are kept
//! like any record. Nothing here opens an envelope.

use pakchat_core::{DeviceId, Hlc, Stamp};
use pakchat_protocol::{Envelope, Kind, PushOutcome, PushResult, RecordId, Stored};
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::{Db, DbError};

/// A device id as stored: 32 lowercase hex digits (ordered like its bytes).
fn device_text(device: &DeviceId) -> String {
    device.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

fn device_of(text: &str) -> Result<DeviceId, DbError> {
    let bad = || DbError(format!("a stored device id is damaged: {text:?}"));
    if text.len() != 32 {
        return Err(bad());
    }
    let mut bytes = [0u8; 16];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = u8::from_str_radix(text.get(i * 2..i * 2 + 2).ok_or_else(bad)?, 16).map_err(|_| bad())?;
    }
    Ok(DeviceId::from_bytes(bytes))
}

fn stamp_of(r: &AnyRow) -> Result<Stamp, DbError> {
    let millis: i64 = r.try_get("hlc_millis")?;
    let counter: i64 = r.try_get("hlc_counter")?;
    let device: String = r.try_get("device")?;
    Ok(Stamp {
        hlc: Hlc {
            millis: u64::try_from(millis).map_err(|_| DbError("a stored stamp is negative".to_owned()))?,
            counter: u32::try_from(counter).map_err(|_| DbError("a stored counter is out of range".to_owned()))?,
        },
        device: device_of(&device)?,
    })
}

fn envelope_of(r: &AnyRow) -> Result<Stored, DbError> {
    let damaged = |what: &str| DbError(format!("a stored record's {what} is damaged"));
    let nonce: Vec<u8> = r.try_get("nonce")?;
    let seq: i64 = r.try_get("seq")?;
    let key_id: i64 = r.try_get("key_id")?;
    let deleted: i64 = r.try_get("deleted")?;
    Ok(Stored {
        seq: u64::try_from(seq).map_err(|_| damaged("sequence number"))?,
        envelope: Envelope {
            id: RecordId::new(r.try_get::<String, _>("id")?).map_err(|_| damaged("id"))?,
            kind: Kind::new(r.try_get::<String, _>("kind")?).map_err(|_| damaged("kind"))?,
            stamp: stamp_of(r)?,
            deleted: deleted != 0,
            key_id: u32::try_from(key_id).map_err(|_| damaged("key id"))?,
            nonce: <[u8; 12]>::try_from(nonce.as_slice()).map_err(|_| damaged("nonce"))?,
            ciphertext: r.try_get("ciphertext")?,
        },
    })
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// How much one user may keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// Bytes of envelopes ([`Envelope::size`]), tombstones included, and
    /// of uploaded file chunks (as sealed).
    pub bytes: u64,
    /// Records, tombstones included.
    pub records: u64,
}

impl Default for Quota {
    /// 1 GiB and a million records a user.
    fn default() -> Self {
        Self { bytes: 1 << 30, records: 1_000_000 }
    }
}

/// A push that would take a user past their [`Quota`]; nothing was kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverQuota {
    /// What the user would hold: bytes.
    pub bytes: u64,
    /// What the user would hold: records.
    pub records: u64,
    /// The quota.
    pub quota: Quota,
}

impl std::fmt::Display for OverQuota {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "this account would hold {} MiB (records and files) and {} records, more than its {} MiB and {} records",
            self.bytes >> 20,
            self.records,
            self.quota.bytes >> 20,
            self.quota.records
        )
    }
}

impl Db {
    /// Keep `envelopes` for `user_id` (see the module docs) within `quota`.
    /// Returns one result per envelope, in order, and the user's latest
    /// sequence number; or, when the push would pass the quota, what it
    /// would have held (and nothing of it is kept).
    ///
    /// # Errors
    /// Storage failure; then nothing of this push was kept.
    pub async fn push(
        &self,
        user_id: &str,
        envelopes: &[Envelope],
        quota: Quota,
    ) -> Result<Result<(Vec<PushResult>, u64), OverQuota>, DbError> {
        let mut tx = self.pool.begin().await?;
        let mut seq = super::take_turn(&mut tx, user_id).await?;
        let mut results = Vec::with_capacity(envelopes.len());
        // What this push adds to the user's totals.
        let (mut more_bytes, mut more_records) = (0i64, 0i64);
        for e in envelopes {
            let stored = sqlx::query(
                "SELECT hlc_millis, hlc_counter, device, seq, size FROM records WHERE user_id = $1 AND id = $2",
            )
            .bind(user_id)
            .bind(e.id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = match stored {
                Some(r) => {
                    let current = stamp_of(&r)?;
                    if current > e.stamp {
                        PushOutcome::Stale { current }
                    } else if current == e.stamp {
                        // Already here: a retried push.
                        let at: i64 = r.try_get("seq")?;
                        PushOutcome::Stored { seq: u64::try_from(at).unwrap_or(0) }
                    } else {
                        seq += 1;
                        let before: i64 = r.try_get("size")?;
                        more_bytes += signed(e.size() as u64) - before;
                        self.write_record(&mut tx, user_id, e, seq, true).await?;
                        PushOutcome::Stored { seq }
                    }
                }
                None => {
                    seq += 1;
                    more_bytes += signed(e.size() as u64);
                    more_records += 1;
                    self.write_record(&mut tx, user_id, e, seq, false).await?;
                    PushOutcome::Stored { seq }
                }
            };
            results.push(PushResult { id: e.id.clone(), outcome });
        }
        let totals = sqlx::query(
            "UPDATE user_log SET seq = $1, bytes = bytes + $2, records = records + $3 WHERE user_id = $4
             RETURNING bytes, records",
        )
        .bind(signed(seq))
        .bind(more_bytes)
        .bind(more_records)
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
        let bytes = u64::try_from(totals.try_get::<i64, _>("bytes")?).unwrap_or(0);
        let records = u64::try_from(totals.try_get::<i64, _>("records")?).unwrap_or(0);
        // Over: the transaction is dropped, so nothing of this push stays.
        // A push that frees room (smaller versions, tombstones) always passes.
        if (bytes > quota.bytes && more_bytes > 0) || (records > quota.records && more_records > 0) {
            return Ok(Err(OverQuota { bytes, records, quota }));
        }
        tx.commit().await?;
        Ok(Ok((results, seq)))
    }

    async fn write_record(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        user_id: &str,
        e: &Envelope,
        seq: u64,
        replace: bool,
    ) -> Result<(), DbError> {
        let sql = if replace {
            "UPDATE records SET kind = $3, hlc_millis = $4, hlc_counter = $5, device = $6, deleted = $7,
                key_id = $8, nonce = $9, ciphertext = $10, size = $11, seq = $12
             WHERE user_id = $1 AND id = $2"
        } else {
            "INSERT INTO records (user_id, id, kind, hlc_millis, hlc_counter, device, deleted, key_id, nonce,
                ciphertext, size, seq)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        };
        sqlx::query(sql)
            .bind(user_id)
            .bind(e.id.as_str())
            .bind(e.kind.as_str())
            .bind(signed(e.stamp.hlc.millis))
            .bind(i64::from(e.stamp.hlc.counter))
            .bind(device_text(&e.stamp.device))
            .bind(i64::from(e.deleted))
            .bind(i64::from(e.key_id))
            .bind(e.nonce.to_vec())
            .bind(e.ciphertext.clone())
            .bind(i64::try_from(e.size()).unwrap_or(i64::MAX))
            .bind(signed(seq))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Up to `limit` of `user_id`'s envelopes stored after `after`, oldest
    /// first, and whether more follow.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn pull(&self, user_id: &str, after: u64, limit: u32) -> Result<(Vec<Stored>, bool), DbError> {
        let rows = sqlx::query(
            "SELECT id, kind, hlc_millis, hlc_counter, device, deleted, key_id, nonce, ciphertext, seq
             FROM records WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(user_id)
        .bind(signed(after))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let more = rows.len() > limit as usize;
        let stored = rows.iter().take(limit as usize).map(envelope_of).collect::<Result<Vec<_>, _>>()?;
        Ok((stored, more))
    }

    /// `NOTIFY channel, payload` (PostgreSQL only).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<(), DbError> {
        sqlx::query("SELECT pg_notify($1, $2)").bind(channel).bind(payload).execute(&self.pool).await?;
        Ok(())
    }

    /// The user's latest sequence number (0 before their first push).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn log_seq(&self, user_id: &str) -> Result<u64, DbError> {
        let row =
            sqlx::query("SELECT seq FROM user_log WHERE user_id = $1").bind(user_id).fetch_optional(&self.pool).await?;
        let seq: i64 = match row {
            Some(r) => r.try_get("seq")?,
            None => 0,
        };
        Ok(u64::try_from(seq).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_ids_are_stored_as_hex_that_sorts_like_their_bytes() {
        let a = DeviceId::from_bytes([0x01; 16]);
        let b = DeviceId::from_bytes([0xf0; 16]);
        assert_eq!(device_of(&device_text(&a)).unwrap(), a);
        assert_eq!(device_text(&a) < device_text(&b), a < b);
        assert!(device_of("zz").is_err());
        assert!(device_of(&"g".repeat(32)).is_err());
    }
}
