//! The user's wrapped account key: stored as the client sent it (a JSON
//! document the server never opens), one per user.

use sqlx::Row as _;

use super::{Db, DbError};

impl Db {
    /// Keep `bundle` as `user_id`'s key unless one is kept already; whether
    /// it was kept (false: another device was first).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn put_key_bundle(&self, user_id: &str, bundle: &str, now_ms: i64) -> Result<bool, DbError> {
        let done = sqlx::query(
            "INSERT INTO key_bundles (user_id, bundle, created_ms) VALUES ($1, $2, $3)
             ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(user_id)
        .bind(bundle)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// `user_id`'s key, as it was put.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn key_bundle(&self, user_id: &str) -> Result<Option<String>, DbError> {
        let row = sqlx::query("SELECT bundle FROM key_bundles WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get("bundle").map_err(DbError::from)).transpose()
    }
}
