//! The server's storage: users and sessions, in SQLite (embedded, the
//! default) or PostgreSQL (several server processes sharing one database).
//!
//! Both run the same SQL through sqlx's `Any` driver with runtime queries
//! (nothing needs a database to build): the schema uses only types both
//! understand (`TEXT`, `BIGINT`), times are Unix milliseconds, ids are
//! random UUIDs in text. The migrations below are the one list both
//! backends apply, in order, each in a transaction, recorded in
//! `schema_migrations`; on PostgreSQL an advisory lock makes processes that
//! start together take turns.
//!
//! The blind record log of sync lives in `records.rs`; which file chunks
//! each user has uploaded (their bytes are in `crate::chunks`) in
//! `chunks.rs`; share links (sealed snapshots anyone with the link may
//! read; `expires_ms` NULL is never, `revoked_ms` NULL is live) in
//! `shares.rs`.
//!
//! What is stored about a person is what their identity provider said
//! (subject, name, e-mail, picture URL); a session is stored only as the
//! SHA-256 of its token.

mod chunks;
mod keys;
mod records;
mod sessions;
mod shares;

pub use chunks::Added;
pub use records::{OverQuota, Quota};
pub use sessions::{Device, SEEN_EVERY_MS};
pub use shares::{ShareRefused, Shared};

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row as _};

/// The schema, oldest first. Never edit one that has shipped: add another.
/// `{bytes}` is the binary column type: `BLOB` in SQLite, `BYTEA` in
/// PostgreSQL (the one difference between the two).
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE users (
        id TEXT PRIMARY KEY,
        issuer TEXT NOT NULL,
        subject TEXT NOT NULL,
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        picture TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        updated_ms BIGINT NOT NULL,
        UNIQUE (issuer, subject)
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_ms BIGINT NOT NULL,
        expires_ms BIGINT NOT NULL
    );
    CREATE INDEX sessions_by_user ON sessions (user_id);",
    ),
    (
        2,
        "CREATE TABLE user_log (
            user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
            seq BIGINT NOT NULL
        );
        CREATE TABLE records (
            user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            kind TEXT NOT NULL,
            hlc_millis BIGINT NOT NULL,
            hlc_counter BIGINT NOT NULL,
            device TEXT NOT NULL,
            deleted BIGINT NOT NULL,
            key_id BIGINT NOT NULL,
            nonce {bytes} NOT NULL,
            ciphertext {bytes} NOT NULL,
            size BIGINT NOT NULL,
            seq BIGINT NOT NULL,
            PRIMARY KEY (user_id, id)
        );
        CREATE INDEX records_by_seq ON records (user_id, seq);",
    ),
    (
        3,
        "CREATE TABLE key_bundles (
            user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
            bundle TEXT NOT NULL,
            created_ms BIGINT NOT NULL
        );",
    ),
    (
        4,
        "ALTER TABLE user_log ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0;
        ALTER TABLE user_log ADD COLUMN records BIGINT NOT NULL DEFAULT 0;
        UPDATE user_log SET
            bytes = (SELECT COALESCE(SUM(r.size), 0) FROM records r WHERE r.user_id = user_log.user_id),
            records = (SELECT COUNT(*) FROM records r WHERE r.user_id = user_log.user_id);",
    ),
    (
        5,
        "ALTER TABLE sessions ADD COLUMN device_id TEXT NOT NULL DEFAULT '';
        ALTER TABLE sessions ADD COLUMN last_seen_ms BIGINT NOT NULL DEFAULT 0;
        UPDATE sessions SET last_seen_ms = created_ms;",
    ),
    (
        6,
        "CREATE TABLE chunks (
            user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            size BIGINT NOT NULL,
            created_ms BIGINT NOT NULL,
            PRIMARY KEY (user_id, id)
        );",
    ),
    (
        7,
        "CREATE TABLE shares (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            ciphertext {bytes} NOT NULL,
            size BIGINT NOT NULL,
            created_ms BIGINT NOT NULL,
            expires_ms BIGINT,
            revoked_ms BIGINT
        );
        CREATE INDEX shares_by_user ON shares (user_id, created_ms);",
    ),
];

/// Take `user_id`'s turn inside `tx`: a write to their `user_log` row
/// (made if missing), so their pushes, uploads and shares queue here
/// (SQLite's write lock, PostgreSQL's row lock) and totals counted after it
/// hold until commit. Their log's current sequence number.
pub(super) async fn take_turn(tx: &mut sqlx::Transaction<'static, sqlx::Any>, user_id: &str) -> Result<u64, DbError> {
    let row = sqlx::query(
        "INSERT INTO user_log (user_id, seq) VALUES ($1, 0)
         ON CONFLICT (user_id) DO UPDATE SET seq = user_log.seq
         RETURNING seq",
    )
    .bind(user_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(u64::try_from(row.try_get::<i64, _>("seq")?).unwrap_or(0))
}

/// Which database a [`Db`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, in the data folder.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A storage failure (the database is unreachable, full, or refused).
#[derive(Debug, thiserror::Error)]
#[error("database: {0}")]
pub struct DbError(String);

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        Self(e.to_string())
    }
}

/// A user as the identity provider described them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The issuer that vouched for them.
    pub issuer: String,
    /// Their stable id at that issuer (`sub`).
    pub subject: String,
    /// Their name (may be empty).
    pub name: String,
    /// Their verified e-mail address.
    pub email: String,
    /// Their picture's URL (may be empty).
    pub picture: String,
}

/// A stored user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Our id for them.
    pub id: String,
    /// What their provider said at their last sign-in.
    pub identity: Identity,
    /// When they first signed in.
    pub created_ms: i64,
    /// When their record last changed.
    pub updated_ms: i64,
}

/// What [`Db::upsert_user`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upserted {
    /// A new user.
    Created,
    /// Their name, e-mail or picture changed.
    Updated,
    /// Nothing changed; nothing was written.
    Unchanged,
}

/// A valid session: whose it is and until when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The user's id.
    pub user_id: String,
    /// The device it was made for (the client's device id; empty if unsaid).
    pub device_id: String,
    /// When the device last used it (to the minute).
    pub last_seen_ms: i64,
    /// When it was made.
    pub created_ms: i64,
    /// When it stops working.
    pub expires_ms: i64,
}

/// The users and sessions store.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

impl Db {
    /// Connect to `url` (`sqlite://…` or `postgres://…`) and bring the
    /// schema up to date.
    ///
    /// # Errors
    /// Unreachable, refused, or a migration failed.
    pub async fn open(url: &str) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") { Backend::Sqlite } else { Backend::Postgres };
        // A request waits at most 10 s for a connection; so does start-up
        // for a database that is not there.
        let options = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(std::time::Duration::from_secs(10));
        let pool = options.connect(url).await?;
        let db = Self { pool, backend };
        if backend == Backend::Sqlite {
            // Readers do not wait for the writer; the default FULL sync keeps
            // every acknowledged write through a crash.
            sqlx::raw_sql("PRAGMA journal_mode = WAL").execute(&db.pool).await?;
        }
        db.migrate().await?;
        Ok(db)
    }

    /// Which database this is.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Apply the migrations this database has not seen.
    async fn migrate(&self) -> Result<(), DbError> {
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)",
        )
        .execute(&self.pool)
        .await?;
        for (version, sql) in MIGRATIONS {
            let mut tx = self.pool.begin().await?;
            if self.backend == Backend::Postgres {
                // Server processes starting together take turns here.
                sqlx::query("SELECT pg_advisory_xact_lock(8710)").execute(&mut *tx).await?;
            }
            let done = sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(*version)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_none() {
                let bytes = if self.backend == Backend::Sqlite { "BLOB" } else { "BYTEA" };
                let sql = sql.replace("{bytes}", bytes);
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)")
                    .bind(*version)
                    .bind(now_ms())
                    .execute(&mut *tx)
                    .await?;
                tracing::info!(version, "database schema migrated");
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// Whether the database answers.
    ///
    /// # Errors
    /// It does not.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Create the user `who` describes, or bring their record up to date
    /// (written only when something changed). Returns their id.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn upsert_user(&self, who: &Identity, now_ms: i64) -> Result<(String, Upserted), DbError> {
        let new_id = uuid::Uuid::new_v4().to_string();
        let row = sqlx::query(
            "INSERT INTO users (id, issuer, subject, name, email, picture, created_ms, updated_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (issuer, subject) DO UPDATE
                SET name = excluded.name, email = excluded.email, picture = excluded.picture,
                    updated_ms = excluded.updated_ms
                WHERE users.name <> excluded.name OR users.email <> excluded.email
                    OR users.picture <> excluded.picture
             RETURNING id",
        )
        .bind(&new_id)
        .bind(&who.issuer)
        .bind(&who.subject)
        .bind(&who.name)
        .bind(&who.email)
        .bind(&who.picture)
        .bind(now_ms)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = row {
            let id: String = row.try_get("id")?;
            let what = if id == new_id { Upserted::Created } else { Upserted::Updated };
            return Ok((id, what));
        }
        let id: String = sqlx::query("SELECT id FROM users WHERE issuer = $1 AND subject = $2")
            .bind(&who.issuer)
            .bind(&who.subject)
            .fetch_one(&self.pool)
            .await?
            .try_get("id")?;
        Ok((id, Upserted::Unchanged))
    }

    /// The user with our id `id`.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn user(&self, id: &str) -> Result<Option<User>, DbError> {
        let row = sqlx::query(
            "SELECT id, issuer, subject, name, email, picture, created_ms, updated_ms FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| user_of(&r)).transpose()
    }

    /// How many users there are (for tests and operators).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn user_count(&self) -> Result<i64, DbError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(&self.pool).await?.try_get("n")?)
    }

    /// Close every connection (tests that restart a server on one file).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn user_of(r: &AnyRow) -> Result<User, DbError> {
    Ok(User {
        id: r.try_get("id")?,
        identity: Identity {
            issuer: r.try_get("issuer")?,
            subject: r.try_get("subject")?,
            name: r.try_get("name")?,
            email: r.try_get("email")?,
            picture: r.try_get("picture")?,
        },
        created_ms: r.try_get("created_ms")?,
        updated_ms: r.try_get("updated_ms")?,
    })
}

/// The wall clock in Unix milliseconds.
#[must_use]
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
