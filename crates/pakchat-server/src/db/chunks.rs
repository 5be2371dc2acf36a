//! Which file chunks each user has uploaded: a row per `(user, id)` with
//! its size, written only once the chunk's bytes are in the chunk store
//! (`crate::chunks`), so a row always means the bytes exist. The sizes
//! count towards the user's bytes in `user_log`, the one total the quota
//! reads for records and chunks alike.

use pakchat_protocol::ChunkId;
use sqlx::Row as _;

use super::{Db, DbError, OverQuota, Quota};

/// What [`Db::add_chunk`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    /// The chunk is new for this user.
    New,
    /// This user had it already (another upload came first); nothing changed.
    AlreadyThere,
}

/// Ids asked about in one query (well under every database's limit of
/// bound values).
const IDS_PER_QUERY: usize = 500;

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn unsigned(r: &sqlx::any::AnyRow, column: &str) -> Result<u64, DbError> {
    Ok(u64::try_from(r.try_get::<i64, _>(column)?).unwrap_or(0))
}

impl Db {
    /// Whether `user_id` has uploaded the chunk `id`.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn has_chunk(&self, user_id: &str, id: &ChunkId) -> Result<bool, DbError> {
        let row = sqlx::query("SELECT size FROM chunks WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// The ids of `ids` that `user_id` has not uploaded, in the order given.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn missing_chunks(&self, user_id: &str, ids: &[ChunkId]) -> Result<Vec<ChunkId>, DbError> {
        let mut present = std::collections::HashSet::new();
        for batch in ids.chunks(IDS_PER_QUERY) {
            let marks: Vec<String> = (0..batch.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!("SELECT id FROM chunks WHERE user_id = $1 AND id IN ({})", marks.join(", "));
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id);
            for id in batch {
                query = query.bind(id.as_str());
            }
            for row in query.fetch_all(&self.pool).await? {
                present.insert(row.try_get::<String, _>("id")?);
            }
        }
        Ok(ids.iter().filter(|id| !present.contains(id.as_str())).cloned().collect())
    }

    /// Whether `user_id` has room for `size` more bytes (asked before the
    /// bytes are stored; [`Self::add_chunk`] checks again as it counts).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn chunk_room(&self, user_id: &str, size: u64, quota: Quota) -> Result<Result<(), OverQuota>, DbError> {
        let row = sqlx::query("SELECT bytes, records FROM user_log WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        let (bytes, records) = match row {
            Some(r) => (unsigned(&r, "bytes")?, unsigned(&r, "records")?),
            None => (0, 0),
        };
        let bytes = bytes.saturating_add(size);
        if bytes > quota.bytes { Ok(Err(OverQuota { bytes, records, quota })) } else { Ok(Ok(())) }
    }

    /// Record that `user_id` has the chunk `id` of `size` bytes (its bytes
    /// already stored) and count them, unless that takes the user past
    /// `quota` (then nothing is written).
    ///
    /// # Errors
    /// Storage failure; then nothing was written.
    pub async fn add_chunk(
        &self,
        user_id: &str,
        id: &ChunkId,
        size: u64,
        now_ms: i64,
        quota: Quota,
    ) -> Result<Result<Added, OverQuota>, DbError> {
        let mut tx = self.pool.begin().await?;
        // A write first, so the totals counted below hold until commit.
        super::take_turn(&mut tx, user_id).await?;
        let inserted = sqlx::query(
            "INSERT INTO chunks (user_id, id, size, created_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id, id) DO NOTHING",
        )
        .bind(user_id)
        .bind(id.as_str())
        .bind(signed(size))
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Ok(Ok(Added::AlreadyThere));
        }
        let totals = sqlx::query("UPDATE user_log SET bytes = bytes + $1 WHERE user_id = $2 RETURNING bytes, records")
            .bind(signed(size))
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
        let (bytes, records) = (unsigned(&totals, "bytes")?, unsigned(&totals, "records")?);
        if bytes > quota.bytes {
            // Dropping the transaction keeps nothing of it.
            return Ok(Err(OverQuota { bytes, records, quota }));
        }
        tx.commit().await?;
        Ok(Ok(Added::New))
    }

    /// Forget `user_id`'s chunk `id` and give its bytes back (its bytes are
    /// gone from the store: the next `missing` asks a device for them).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn forget_chunk(&self, user_id: &str, id: &ChunkId) -> Result<(), DbError> {
        let mut tx = self.pool.begin().await?;
        let gone = sqlx::query("DELETE FROM chunks WHERE user_id = $1 AND id = $2 RETURNING size")
            .bind(user_id)
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = gone {
            let size: i64 = row.try_get("size")?;
            sqlx::query("UPDATE user_log SET bytes = bytes - $1 WHERE user_id = $2")
                .bind(size)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The bytes `user_id` holds: records and chunks (0 before anything).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn used_bytes(&self, user_id: &str) -> Result<u64, DbError> {
        let row = sqlx::query("SELECT bytes FROM user_log WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map_or(Ok(0), |r| unsigned(&r, "bytes"))
    }
}
