//! Sessions, and the devices they belong to: a device is a client's device
//! id with the sessions made for it; its last use is kept to the minute.
//! Names of devices are not the server's to know (a device names itself in
//! a sealed record).

use sqlx::Row as _;

use super::{Db, DbError, Session};

/// A signed-in device of a user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    /// The client's device id (empty for a client that did not say).
    pub id: String,
    /// When one of its sessions was last used.
    pub last_seen_ms: i64,
}

/// How stale `last_seen_ms` may get before a request writes it again.
pub const SEEN_EVERY_MS: i64 = 60_000;

impl Db {
    /// Store a session for `user_id` on `device_id` under the hash of its
    /// token; sessions of this user that have expired go at the same time.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        device_id: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_ms <= $2")
            .bind(user_id)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, device_id, created_ms, expires_ms, last_seen_ms)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(device_id)
        .bind(now_ms)
        .bind(expires_ms)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The session stored under `token_hash`, if it exists and has not
    /// expired at `now_ms`. Its device's last use is written when it is
    /// more than [`SEEN_EVERY_MS`] old (not on every request).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn session(&self, token_hash: &str, now_ms: i64) -> Result<Option<Session>, DbError> {
        let row = sqlx::query(
            "SELECT user_id, device_id, created_ms, expires_ms, last_seen_ms FROM sessions
             WHERE token_hash = $1 AND expires_ms > $2",
        )
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let mut session = Session {
            user_id: r.try_get("user_id")?,
            device_id: r.try_get("device_id")?,
            created_ms: r.try_get("created_ms")?,
            expires_ms: r.try_get("expires_ms")?,
            last_seen_ms: r.try_get("last_seen_ms")?,
        };
        if now_ms - session.last_seen_ms > SEEN_EVERY_MS {
            sqlx::query("UPDATE sessions SET last_seen_ms = $1 WHERE token_hash = $2")
                .bind(now_ms)
                .bind(token_hash)
                .execute(&self.pool)
                .await?;
            session.last_seen_ms = now_ms;
        }
        Ok(Some(session))
    }

    /// End the session stored under `token_hash`; whether there was one.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn delete_session(&self, token_hash: &str) -> Result<bool, DbError> {
        let done =
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Replace the session under `old_hash` by one under `new_hash` lasting
    /// until `expires_ms` on the same device, in one transaction; false
    /// (nothing changed) when the old one is gone or expired.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn rotate_session(
        &self,
        old_hash: &str,
        new_hash: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<bool, DbError> {
        let mut tx = self.pool.begin().await?;
        let row =
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1 AND expires_ms > $2 RETURNING user_id, device_id")
                .bind(old_hash)
                .bind(now_ms)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(row) = row else { return Ok(false) };
        let (user_id, device_id): (String, String) = (row.try_get("user_id")?, row.try_get("device_id")?);
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, device_id, created_ms, expires_ms, last_seen_ms)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_hash)
        .bind(&user_id)
        .bind(&device_id)
        .bind(now_ms)
        .bind(expires_ms)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// `user_id`'s devices with a live session, most recently seen first.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn devices(&self, user_id: &str, now_ms: i64) -> Result<Vec<Device>, DbError> {
        let rows = sqlx::query(
            "SELECT device_id, MAX(last_seen_ms) AS seen FROM sessions
             WHERE user_id = $1 AND expires_ms > $2 GROUP BY device_id ORDER BY seen DESC, device_id",
        )
        .bind(user_id)
        .bind(now_ms)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(Device { id: r.try_get("device_id")?, last_seen_ms: r.try_get("seen")? })).collect()
    }

    /// Sign `user_id`'s device `device_id` out (every session of it); how
    /// many sessions ended (0: no such device of this user).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn remove_device(&self, user_id: &str, device_id: &str) -> Result<u64, DbError> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND device_id = $2")
            .bind(user_id)
            .bind(device_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
