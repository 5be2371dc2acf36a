//! A Pak.Chat server (the real one, `pakchat-server`'s library) running in
//! the test process on a free port, over SQLite in a temporary folder, and
//! trusting the identity provider at `issuer` for `client`.

use std::sync::Arc;

use pakchat_server::api::AppState;

/// A running server; it stops with its runtime when dropped.
pub struct LocalServer {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// Its users and sessions, to look at.
    pub state: Arc<AppState>,
    _dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
}

impl LocalServer {
    pub fn start(issuer: &str, client: &str) -> Self {
        Self::start_with(issuer, client, pakchat_server::limits::Limits::default())
    }

    /// [`Self::start`] with other quotas and request rates.
    pub fn start_with(issuer: &str, client: &str, limits: pakchat_server::limits::Limits) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("server.sqlite3").display());
        Self::start_on(dir, db_url, issuer, client, limits)
    }

    /// [`Self::start`], also serving the web app in `dist` (`--web-dir`).
    pub fn with_web(issuer: &str, client: &str, dist: &std::path::Path) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("server.sqlite3").display());
        let web = pakchat_server::web::WebDir::open(dist).expect("a built web app");
        Self::serving(dir, db_url, issuer, client, pakchat_server::limits::Limits::default(), Some(web), Vec::new())
    }

    /// [`Self::start`] relaying provider calls to `relay` origins
    /// (`--relay-origin`), serving the web app in `dist` when given.
    pub fn with_relay(issuer: &str, client: &str, dist: Option<&std::path::Path>, relay: Vec<String>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("server.sqlite3").display());
        let web = dist.map(|d| pakchat_server::web::WebDir::open(d).expect("a built web app"));
        let limits = pakchat_server::limits::Limits::default();
        Self::serving_relaying(dir, db_url, issuer, client, limits, web, Vec::new(), Some(relay))
    }

    /// [`Self::start`], letting web apps on `origins` call it (CORS,
    /// `--allowed-origin`; each `scheme://host[:port]` as browsers send it),
    /// with no web app of its own.
    pub fn with_origins(issuer: &str, client: &str, origins: Vec<String>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("server.sqlite3").display());
        Self::serving(dir, db_url, issuer, client, pakchat_server::limits::Limits::default(), None, origins)
    }

    /// A server on the database at `db_url` (several may share one
    /// PostgreSQL database: their own pools, pokes by `LISTEN`/`NOTIFY`).
    pub fn start_on(
        dir: tempfile::TempDir,
        db_url: String,
        issuer: &str,
        client: &str,
        limits: pakchat_server::limits::Limits,
    ) -> Self {
        Self::serving(dir, db_url, issuer, client, limits, None, Vec::new())
    }

    fn serving(
        dir: tempfile::TempDir,
        db_url: String,
        issuer: &str,
        client: &str,
        limits: pakchat_server::limits::Limits,
        web: Option<pakchat_server::web::WebDir>,
        origins: Vec<String>,
    ) -> Self {
        Self::serving_relaying(dir, db_url, issuer, client, limits, web, origins, None)
    }

    #[expect(clippy::too_many_arguments, reason = "one private constructor behind the named ones")]
    fn serving_relaying(
        dir: tempfile::TempDir,
        db_url: String,
        issuer: &str,
        client: &str,
        limits: pakchat_server::limits::Limits,
        web: Option<pakchat_server::web::WebDir>,
        origins: Vec<String>,
        relay: Option<Vec<String>>,
    ) -> Self {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let (issuer, client) = (issuer.to_owned(), client.to_owned());
        let (base, state) = runtime.block_on(async move {
            let db = pakchat_server::db::Db::open(&db_url).await.expect("database");
            let verifier = pakchat_server::oidc::Verifier::new(&issuer, vec![client]).expect("verifier");
            let state = AppState::with_limits(db, verifier, 3_600_000, &db_url, limits);
            let state = state.with_web(web).with_origins(origins);
            let state = Arc::new(match relay {
                Some(relay) => state.with_relay_origins(relay),
                None => state,
            });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let base = format!("http://{}", listener.local_addr().expect("address"));
            let serving = state.clone();
            tokio::spawn(async move { pakchat_server::serve(listener, serving, std::future::pending()).await });
            (base, state)
        });
        Self { base, state, _dir: dir, runtime }
    }

    /// The folder of its database files.
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Run `f` on the server's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// How many users the server knows.
    pub fn users(&self) -> i64 {
        self.runtime.block_on(self.state.db.user_count()).expect("user count")
    }
}
