//! Share links: a row per share with its owner, the sealed snapshot as the
//! client sent it (the key to open it is in the link, never here), its
//! size and times. A revoked share keeps its row, so its owner still sees
//! it and its id is never taken again, but loses its bytes; an expired
//! one loses them when its owner next puts a share.

use pakchat_protocol::ShareInfo;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::{Db, DbError};

/// Why [`Db::create_share`] kept nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareRefused {
    /// A share of that id exists (whoever's it is).
    Exists,
    /// The user has as many live shares as allowed.
    TooMany,
}

/// What a share's link finds ([`Db::shared`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shared {
    /// Served: the sealed bytes as they were put.
    Live(Vec<u8>),
    /// Its owner revoked it; its bytes are gone.
    Revoked,
    /// Its time ran out.
    Expired,
}

fn info_of(r: &AnyRow) -> Result<ShareInfo, DbError> {
    Ok(ShareInfo {
        id: r.try_get("id")?,
        created_ms: r.try_get("created_ms")?,
        expires_ms: r.try_get("expires_ms")?,
        revoked_ms: r.try_get("revoked_ms")?,
        size: r.try_get("size")?,
    })
}

impl Db {
    /// Keep `ciphertext` as `user_id`'s share `id`, served until
    /// `expires_ms` (`None`: until revoked), unless the id is taken or the
    /// user already has `max_live` shares that are neither revoked nor
    /// expired at `now_ms` (then nothing is written). The content of the
    /// user's expired shares is dropped at the same time.
    ///
    /// # Errors
    /// Storage failure; then nothing was written.
    pub async fn create_share(
        &self,
        user_id: &str,
        id: &str,
        ciphertext: &[u8],
        expires_ms: Option<i64>,
        now_ms: i64,
        max_live: usize,
    ) -> Result<Result<ShareInfo, ShareRefused>, DbError> {
        let size = i64::try_from(ciphertext.len()).unwrap_or(i64::MAX);
        let mut tx = self.pool.begin().await?;
        // A write first, so the totals counted below hold until commit.
        super::take_turn(&mut tx, user_id).await?;
        let inserted = sqlx::query(
            "INSERT INTO shares (id, user_id, ciphertext, size, created_ms, expires_ms, revoked_ms)
             VALUES ($1, $2, $3, $4, $5, $6, NULL)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(user_id)
        .bind(ciphertext.to_vec())
        .bind(size)
        .bind(now_ms)
        .bind(expires_ms)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Ok(Err(ShareRefused::Exists));
        }
        let live: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM shares
             WHERE user_id = $1 AND revoked_ms IS NULL AND (expires_ms IS NULL OR expires_ms > $2)",
        )
        .bind(user_id)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        if live > i64::try_from(max_live).unwrap_or(i64::MAX) {
            // Dropping the transaction keeps nothing of it.
            return Ok(Err(ShareRefused::TooMany));
        }
        sqlx::query(
            "UPDATE shares SET ciphertext = $1, size = 0
             WHERE user_id = $2 AND expires_ms <= $3 AND size > 0",
        )
        .bind(Vec::<u8>::new())
        .bind(user_id)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(ShareInfo { id: id.to_owned(), created_ms: now_ms, expires_ms, revoked_ms: None, size }))
    }

    /// `user_id`'s shares, newest first, revoked and expired ones included.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn shares(&self, user_id: &str) -> Result<Vec<ShareInfo>, DbError> {
        let rows = sqlx::query(
            "SELECT id, created_ms, expires_ms, revoked_ms, size FROM shares
             WHERE user_id = $1 ORDER BY created_ms DESC, id DESC",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(info_of).collect()
    }

    /// Revoke `user_id`'s share `id` at `now_ms` and drop its bytes (a
    /// share revoked before keeps its first time); whether the user has a
    /// share of that id.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn revoke_share(&self, user_id: &str, id: &str, now_ms: i64) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE shares SET revoked_ms = COALESCE(revoked_ms, $1), ciphertext = $2, size = 0
             WHERE id = $3 AND user_id = $4",
        )
        .bind(now_ms)
        .bind(Vec::<u8>::new())
        .bind(id)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// What the link to share `id` finds at `now_ms` (`None`: no such
    /// share). The bytes are read only for a live share.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn shared(&self, id: &str, now_ms: i64) -> Result<Option<Shared>, DbError> {
        let row = sqlx::query(
            "SELECT revoked_ms,
                CASE WHEN revoked_ms IS NULL AND (expires_ms IS NULL OR expires_ms > $1) THEN ciphertext END
                    AS ciphertext
             FROM shares WHERE id = $2",
        )
        .bind(now_ms)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        if row.try_get::<Option<i64>, _>("revoked_ms")?.is_some() {
            return Ok(Some(Shared::Revoked));
        }
        Ok(Some(match row.try_get::<Option<Vec<u8>>, _>("ciphertext")? {
            Some(bytes) => Shared::Live(bytes),
            None => Shared::Expired,
        }))
    }
}
