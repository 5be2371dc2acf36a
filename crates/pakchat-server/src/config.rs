//! The server's configuration: flags, then `PAKCHAT_SERVER_*` environment
//! variables, then defaults. Every value is checked at start; a bad one is
//! one line naming the flag and what is wrong (the binary exits 2).

use std::net::SocketAddr;
use std::path::PathBuf;

mod origins;

/// Google's issuer, the default identity provider.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
/// The default listening address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8710";
/// How long a session lasts unless rotated, by default.
pub const DEFAULT_SESSION_DAYS: u32 = 30;

/// The `--help` text.
pub const USAGE: &str = "\
pakchat-server — accounts and sync for Pak.Chat

Usage: pakchat-server [OPTIONS]

Options (each also from the environment variable shown):
  --data-dir DIR        Where the embedded SQLite database and uploaded files
                        (unless --s3-endpoint) live
                        [PAKCHAT_SERVER_DATA_DIR; default: your data folder/pakchat-server]
  --listen ADDR         Address and port to listen on
                        [PAKCHAT_SERVER_LISTEN; default: 127.0.0.1:8710]
  --database-url URL    postgres://… to share one PostgreSQL between several
                        server processes, or sqlite://FILE
                        [PAKCHAT_SERVER_DATABASE_URL; default: SQLite in --data-dir]
  --issuer URL          The OpenID Connect issuer users sign in with
                        [PAKCHAT_SERVER_ISSUER; default: https://accounts.google.com]
  --client-id ID        An OAuth client id whose ID tokens are accepted; repeat
                        for several apps [PAKCHAT_SERVER_CLIENT_IDS, comma-separated]
  --session-days N      Days a session lasts unless rotated (1 to 365)
                        [PAKCHAT_SERVER_SESSION_DAYS; default: 30]
  --behind-proxy        Allow a non-loopback --listen address: TLS is
                        terminated by a reverse proxy in front of this server
                        [PAKCHAT_SERVER_BEHIND_PROXY=1]
  --quota-mib N         Sealed data (records and files) one account may keep,
                        in MiB [PAKCHAT_SERVER_QUOTA_MIB; default: 1024]
  --quota-records N     Records one account may keep
                        [PAKCHAT_SERVER_QUOTA_RECORDS; default: 1000000]
  --rate N              Requests a second one account may make, sustained
                        [PAKCHAT_SERVER_RATE; default: 20]
  --burst N             Requests one account may make at once
                        [PAKCHAT_SERVER_BURST; default: 200]
  --s3-endpoint URL     Keep uploaded files in this S3-compatible object store
                        (path-style, e.g. https://s3.us-east-1.amazonaws.com)
                        instead of --data-dir; needed for several server
                        processes; the key comes from the environment only:
                        PAKCHAT_SERVER_S3_ACCESS_KEY_ID and
                        PAKCHAT_SERVER_S3_SECRET_ACCESS_KEY
                        [PAKCHAT_SERVER_S3_ENDPOINT]
  --s3-bucket NAME      The bucket for uploaded files [PAKCHAT_SERVER_S3_BUCKET]
  --s3-region R         The region requests are signed for
                        [PAKCHAT_SERVER_S3_REGION; default: us-east-1]
  --web-dir DIR         Serve the web app built by scripts/web.sh (its dist/)
                        on every path the API does not use
                        [PAKCHAT_SERVER_WEB_DIR]
  --allowed-origin ORIGIN
                        Web apps on these origins (https://host[:port]) may
                        call this server (CORS); repeat, or comma-separate;
                        the server's own --web-dir needs none
                        [PAKCHAT_SERVER_ALLOWED_ORIGINS, comma-separated]
  --relay-origin ORIGIN
                        LLM providers (https://host[:port]) that signed-in
                        apps may reach through POST /v1/relay; repeat, or
                        comma-separate; naming any replaces the default list
                        [PAKCHAT_SERVER_RELAY_ORIGINS, comma-separated;
                        default: api.openai.com, api.anthropic.com,
                        generativelanguage.googleapis.com, openrouter.ai,
                        api.groq.com, all https]
  --log LEVEL           error, warn, info or debug [PAKCHAT_SERVER_LOG; default: info]
  -h, --help            Print this help
  -V, --version         Print the version
";

/// A checked configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Where the embedded database lives (made private if missing).
    pub data_dir: PathBuf,
    /// The listening address.
    pub listen: SocketAddr,
    /// The database: `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// The OpenID Connect issuer.
    pub issuer: String,
    /// The client ids whose ID tokens are accepted (`aud`).
    pub client_ids: Vec<String>,
    /// Days a session lasts.
    pub session_days: u32,
    /// Whether a reverse proxy terminates TLS in front of this server.
    pub behind_proxy: bool,
    /// The log level.
    pub log: tracing::Level,
    /// Per-account quotas and request rate.
    pub limits: crate::limits::Limits,
    /// Where uploaded file chunks go: an S3-compatible store, or (`None`)
    /// `<data_dir>/chunks`.
    pub s3: Option<crate::chunks::S3Config>,
    /// The web app to serve beside the API (`scripts/web.sh`'s `dist/`).
    pub web_dir: Option<PathBuf>,
    /// The origins (`scheme://host[:port]`, as browsers send them) whose
    /// web apps may call this server (CORS); empty: none.
    pub allowed_origins: Vec<String>,
    /// The providers' origins (`scheme://host[:port]`) `POST /v1/relay`
    /// may reach; [`crate::api::relay::DEFAULT_ORIGINS`] unless named.
    pub relay_origins: Vec<String>,
}

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    /// Run the server.
    Run(Box<Config>),
    /// Print [`USAGE`].
    Help,
    /// Print the version.
    Version,
}

/// Read the command line `args` (without the program name) and the
/// environment `env` (a lookup, so tests need not touch the process's).
///
/// # Errors
/// One line: the flag or variable and what is wrong with its value.
pub fn parse(
    args: impl IntoIterator<Item = String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Invocation, String> {
    let mut flags = Flags::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || inline.clone().or_else(|| args.next()).ok_or_else(|| format!("{name} needs a value"));
        match name.as_str() {
            "-h" | "--help" => return Ok(Invocation::Help),
            "-V" | "--version" => return Ok(Invocation::Version),
            "--data-dir" => flags.data_dir = Some(value()?),
            "--listen" => flags.listen = Some(value()?),
            "--database-url" => flags.database_url = Some(value()?),
            "--issuer" => flags.issuer = Some(value()?),
            "--client-id" => flags.client_ids.push(value()?),
            "--session-days" => flags.session_days = Some(value()?),
            "--log" => flags.log = Some(value()?),
            "--quota-mib" => flags.quota_mib = Some(value()?),
            "--quota-records" => flags.quota_records = Some(value()?),
            "--rate" => flags.rate = Some(value()?),
            "--burst" => flags.burst = Some(value()?),
            "--s3-endpoint" => flags.s3_endpoint = Some(value()?),
            "--s3-bucket" => flags.s3_bucket = Some(value()?),
            "--s3-region" => flags.s3_region = Some(value()?),
            "--web-dir" => flags.web_dir = Some(value()?),
            "--allowed-origin" => flags.allowed_origins.push(value()?),
            "--relay-origin" => flags.relay_origins.push(value()?),
            "--behind-proxy" if inline.is_none() => flags.behind_proxy = true,
            _ => return Err(format!("unknown option {arg} (see --help)")),
        }
    }
    flags.check(env).map(|c| Invocation::Run(Box::new(c)))
}

#[derive(Default)]
struct Flags {
    data_dir: Option<String>,
    listen: Option<String>,
    database_url: Option<String>,
    issuer: Option<String>,
    client_ids: Vec<String>,
    session_days: Option<String>,
    log: Option<String>,
    quota_mib: Option<String>,
    quota_records: Option<String>,
    rate: Option<String>,
    burst: Option<String>,
    s3_endpoint: Option<String>,
    s3_bucket: Option<String>,
    s3_region: Option<String>,
    web_dir: Option<String>,
    allowed_origins: Vec<String>,
    relay_origins: Vec<String>,
    behind_proxy: bool,
}

impl Flags {
    fn check(self, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, String> {
        let var = |name: &str| env(&format!("PAKCHAT_SERVER_{name}")).filter(|v| !v.is_empty());
        // Where a value came from, for the error line.
        let from = |flag: &str, name: &str, given: Option<String>| match given {
            Some(v) => Some((flag.to_owned(), v)),
            None => var(name).map(|v| (format!("PAKCHAT_SERVER_{name}"), v)),
        };

        let data_dir = match from("--data-dir", "DATA_DIR", self.data_dir) {
            Some((_, d)) => PathBuf::from(d),
            None => dirs::data_dir()
                .map(|d| d.join("pakchat-server"))
                .ok_or("this system has no data folder: pass --data-dir DIR")?,
        };

        let (listen_from, listen) = from("--listen", "LISTEN", self.listen)
            .unwrap_or_else(|| ("--listen".to_owned(), DEFAULT_LISTEN.to_owned()));
        let listen: SocketAddr = listen
            .parse()
            .map_err(|_| format!("{listen_from}: {listen:?} is not an address and port such as 127.0.0.1:8710"))?;
        let behind_proxy = self.behind_proxy || var("BEHIND_PROXY").is_some_and(|v| yes(&v));
        if !listen.ip().is_loopback() && !behind_proxy {
            return Err(format!(
                "{listen_from}: {listen} is reachable from other machines; this server speaks plain HTTP, so put a \
                 TLS-terminating reverse proxy in front of it and pass --behind-proxy"
            ));
        }

        let database_url = match from("--database-url", "DATABASE_URL", self.database_url) {
            Some((flag, url)) => {
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://") || url.starts_with("sqlite:")) {
                    return Err(format!("{flag}: expected postgres://… or sqlite://…, not {}", redact(&url)));
                }
                url
            }
            None => format!("sqlite://{}?mode=rwc", data_dir.join("pakchat-server.sqlite3").display()),
        };

        let (issuer_from, issuer) = from("--issuer", "ISSUER", self.issuer)
            .unwrap_or_else(|| ("--issuer".to_owned(), GOOGLE_ISSUER.to_owned()));
        let issuer = issuer.trim_end_matches('/').to_owned();
        check_issuer(&issuer).map_err(|why| format!("{issuer_from}: {why}"))?;

        let mut client_ids = self.client_ids;
        if client_ids.is_empty() {
            client_ids =
                var("CLIENT_IDS").map(|v| v.split(',').map(|s| s.trim().to_owned()).collect()).unwrap_or_default();
        }
        client_ids.retain(|c| !c.is_empty());
        if client_ids.is_empty() {
            return Err("no client id: pass --client-id ID (the OAuth client id the app signs in with; \
                        README, \"Server\")"
                .to_owned());
        }

        let session_days = match from("--session-days", "SESSION_DAYS", self.session_days) {
            Some((flag, v)) => match v.parse::<u32>() {
                Ok(d) if (1..=365).contains(&d) => d,
                _ => return Err(format!("{flag}: {v:?} is not a number of days from 1 to 365")),
            },
            None => DEFAULT_SESSION_DAYS,
        };

        let log = log_level(from("--log", "LOG", self.log))?;

        let number =
            |flag: &str, name: &str, given: Option<String>, range: std::ops::RangeInclusive<u64>, default: u64| {
                match from(flag, name, given) {
                    Some((flag, v)) => match v.parse::<u64>() {
                        Ok(n) if range.contains(&n) => Ok(n),
                        _ => Err(format!("{flag}: {v:?} is not a number from {} to {}", range.start(), range.end())),
                    },
                    None => Ok(default),
                }
            };
        let defaults = crate::limits::Limits::default();
        let quota_mib = number("--quota-mib", "QUOTA_MIB", self.quota_mib, 1..=1 << 20, defaults.quota.bytes >> 20)?;
        let records =
            number("--quota-records", "QUOTA_RECORDS", self.quota_records, 1..=1 << 40, defaults.quota.records)?;
        let rate = number("--rate", "RATE", self.rate, 1..=100_000, u64::from(defaults.rate_per_s))?;
        let burst = number("--burst", "BURST", self.burst, 1..=1_000_000, u64::from(defaults.burst))?;
        let limits = crate::limits::Limits {
            quota: crate::db::Quota { bytes: quota_mib << 20, records },
            rate_per_s: u32::try_from(rate).unwrap_or(u32::MAX),
            burst: u32::try_from(burst).unwrap_or(u32::MAX),
        };

        let s3 = s3_config(
            from("--s3-endpoint", "S3_ENDPOINT", self.s3_endpoint),
            from("--s3-bucket", "S3_BUCKET", self.s3_bucket),
            from("--s3-region", "S3_REGION", self.s3_region),
            (var("S3_ACCESS_KEY_ID"), var("S3_SECRET_ACCESS_KEY")),
        )?;

        let web_dir = from("--web-dir", "WEB_DIR", self.web_dir).map(|(_, dir)| PathBuf::from(dir));

        let allowed_origins = origins::allowed(self.allowed_origins, var("ALLOWED_ORIGINS"))?;
        let relay_origins = origins::relay(self.relay_origins, var("RELAY_ORIGINS"))?;

        Ok(Config {
            data_dir,
            listen,
            database_url,
            issuer,
            client_ids,
            session_days,
            behind_proxy,
            log,
            limits,
            s3,
            web_dir,
            allowed_origins,
            relay_origins,
        })
    }
}

/// The log level `given` (where from, value); info when not given.
fn log_level(given: Option<(String, String)>) -> Result<tracing::Level, String> {
    let Some((flag, v)) = given else { return Ok(tracing::Level::INFO) };
    match v.to_ascii_lowercase().as_str() {
        "error" => Ok(tracing::Level::ERROR),
        "warn" => Ok(tracing::Level::WARN),
        "info" => Ok(tracing::Level::INFO),
        "debug" => Ok(tracing::Level::DEBUG),
        _ => Err(format!("{flag}: {v:?} is not one of error, warn, info, debug")),
    }
}

/// The object store from its flags (each `(where from, value)`) and the
/// key from the environment; `None` without an endpoint.
fn s3_config(
    endpoint: Option<(String, String)>,
    bucket: Option<(String, String)>,
    region: Option<(String, String)>,
    (key_id, secret): (Option<String>, Option<String>),
) -> Result<Option<crate::chunks::S3Config>, String> {
    let Some((endpoint_from, endpoint)) = endpoint else {
        if let Some((flag, _)) = bucket.or(region) {
            return Err(format!("{flag} needs --s3-endpoint URL (files go to --data-dir without one)"));
        }
        return Ok(None);
    };
    let endpoint = endpoint.trim_end_matches('/').to_owned();
    let fits = reqwest::Url::parse(&endpoint).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some()
            && u.query().is_none()
            && u.username().is_empty()
    });
    if !fits {
        return Err(format!("{endpoint_from}: {endpoint:?} is not an http(s):// URL of an S3-compatible store"));
    }
    let Some((bucket_from, bucket)) = bucket else {
        return Err(format!("{endpoint_from} needs --s3-bucket NAME"));
    };
    let bucket_fits = (3..=63).contains(&bucket.len())
        && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !bucket_fits {
        return Err(format!("{bucket_from}: {bucket:?} is not a bucket name (3 to 63 of a-z, 0-9, '-' and '.')"));
    }
    let region = match region {
        Some((flag, r)) => {
            if r.is_empty() || !r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
                return Err(format!("{flag}: {r:?} is not a region such as us-east-1"));
            }
            r
        }
        None => crate::chunks::s3::DEFAULT_REGION.to_owned(),
    };
    let (Some(access_key_id), Some(secret_access_key)) = (key_id, secret) else {
        return Err(format!(
            "{endpoint_from} needs the object store's key in the environment: PAKCHAT_SERVER_S3_ACCESS_KEY_ID and \
             PAKCHAT_SERVER_S3_SECRET_ACCESS_KEY"
        ));
    };
    let credentials = crate::chunks::S3Credentials { access_key_id, secret_access_key };
    Ok(Some(crate::chunks::S3Config { endpoint, bucket, region, credentials }))
}

fn yes(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
}

/// An issuer must be https, or http on this machine (a local provider in
/// tests and development): its keys decide who may sign in.
fn check_issuer(issuer: &str) -> Result<(), String> {
    let rest = issuer
        .strip_prefix("https://")
        .or_else(|| issuer.strip_prefix("http://").filter(|r| is_local_host(r)))
        .ok_or_else(|| format!("{issuer:?} must be an https:// URL (http:// only for localhost)"))?;
    if rest.is_empty() || rest.contains(['?', '#', ' ']) {
        return Err(format!("{issuer:?} is not an issuer URL"));
    }
    Ok(())
}

fn is_local_host(rest: &str) -> bool {
    let host = rest.split(['/', ':']).next().unwrap_or_default();
    host == "localhost" || host == "127.0.0.1" || rest.starts_with("[::1]")
}

/// A database URL without its password, for messages.
#[must_use]
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user_info = &url[scheme + 3..at];
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn run(args: &[&str], env: &[(&str, &str)]) -> Result<Config, String> {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let lookup = move |k: &str| env.iter().find(|(name, _)| name == k).map(|(_, v)| v.clone());
        match parse(args.iter().map(|a| (*a).to_owned()), &lookup)? {
            Invocation::Run(c) => Ok(*c),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn two_flags_and_a_client_id_are_all_it_needs() {
        let c = run(&["--data-dir", "/srv/p", "--listen", "127.0.0.1:9000", "--client-id", "app"], &[]).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(c.database_url, "sqlite:///srv/p/pakchat-server.sqlite3?mode=rwc");
        assert_eq!((c.issuer.as_str(), c.session_days, c.behind_proxy), (GOOGLE_ISSUER, 30, false));
        assert_eq!(c.client_ids, ["app"]);
        assert_eq!(c.limits, crate::limits::Limits::default());
        let c = run(&["--data-dir", "/p", "--client-id", "a", "--quota-mib", "5", "--rate", "3", "--burst=4"], &[])
            .unwrap();
        assert_eq!((c.limits.quota.bytes, c.limits.rate_per_s, c.limits.burst), (5 << 20, 3, 4));
    }

    #[test]
    fn the_environment_fills_what_flags_leave_and_flags_win() {
        let env = [
            ("PAKCHAT_SERVER_LISTEN", "127.0.0.1:1"),
            ("PAKCHAT_SERVER_CLIENT_IDS", "a, b,"),
            ("PAKCHAT_SERVER_ISSUER", "http://localhost:18080/"),
            ("PAKCHAT_SERVER_DATABASE_URL", "postgres://u:secret@db/pakchat"),
            ("PAKCHAT_SERVER_SESSION_DAYS", "7"),
        ];
        let c = run(&["--data-dir=/d", "--listen=127.0.0.1:2"], &env).unwrap();
        assert_eq!(c.listen.port(), 2);
        assert_eq!(c.client_ids, ["a", "b"]);
        assert_eq!(c.issuer, "http://localhost:18080");
        assert_eq!(c.database_url, "postgres://u:secret@db/pakchat");
        assert_eq!(c.session_days, 7);
    }

    #[test]
    fn each_bad_value_is_one_line_naming_it() {
        let base = ["--data-dir", "/d", "--client-id", "app"];
        // Flags, environment, what the error says.
        type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
        let cases: [Case; 17] = [
            (
                &["--s3-endpoint", "http://127.0.0.1:9000", "--s3-bucket", "bucket1"],
                &[],
                "PAKCHAT_SERVER_S3_ACCESS_KEY_ID",
            ),
            (&["--s3-endpoint", "http://127.0.0.1:9000"], &[], "--s3-endpoint needs --s3-bucket"),
            (&["--s3-bucket", "bucket1"], &[], "--s3-bucket needs --s3-endpoint"),
            (&["--s3-endpoint", "ftp://h", "--s3-bucket", "bucket1"], &[], "--s3-endpoint: \"ftp://h\" is not"),
            (&[], &[("PAKCHAT_SERVER_S3_ENDPOINT", "http://h"), ("PAKCHAT_SERVER_S3_BUCKET", "B!")], "_BUCKET: \"B!\""),
            (&["--rate", "0"], &[], "--rate: \"0\" is not a number from 1 to 100000"),
            (&[], &[("PAKCHAT_SERVER_QUOTA_MIB", "lots")], "PAKCHAT_SERVER_QUOTA_MIB: \"lots\""),
            (&["--listen", "8710"], &[], "--listen: \"8710\" is not an address"),
            (&["--listen", "0.0.0.0:8710"], &[], "pass --behind-proxy"),
            (&[], &[("PAKCHAT_SERVER_LISTEN", "10.0.0.1:80")], "PAKCHAT_SERVER_LISTEN: 10.0.0.1:80 is reachable"),
            (&["--database-url", "mysql://u:pw@h/db"], &[], "--database-url: expected postgres"),
            (&["--issuer", "http://accounts.example.com"], &[], "--issuer: \"http://accounts.example.com\" must be"),
            (&["--session-days", "0"], &[], "--session-days: \"0\" is not a number of days"),
            (&["--session-days", "many"], &[], "--session-days: \"many\""),
            (&["--log", "loud"], &[], "--log: \"loud\""),
            (&["--frobnicate"], &[], "unknown option --frobnicate"),
            (&["--listen"], &[], "--listen needs a value"),
        ];
        for (args, env, expected) in cases {
            let all: Vec<&str> = base.iter().chain(args).copied().collect();
            let e = run(&all, env).expect_err(expected);
            assert!(e.contains(expected), "{args:?}: {e}");
            assert!(!e.contains('\n'), "one line: {e}");
            assert!(!e.contains("pw@"), "no password in messages: {e}");
        }
        let e = run(&["--data-dir", "/d"], &[]).unwrap_err();
        assert!(e.starts_with("no client id"), "{e}");
        let open = run(&["--data-dir", "/d", "--client-id", "a", "--listen", "0.0.0.0:8710", "--behind-proxy"], &[]);
        assert!(open.unwrap().behind_proxy);
    }

    #[test]
    fn an_object_store_takes_its_key_from_the_environment_only() {
        let env = [
            ("PAKCHAT_SERVER_S3_ACCESS_KEY_ID", "AKID"),
            ("PAKCHAT_SERVER_S3_SECRET_ACCESS_KEY", "hunter2"),
            ("PAKCHAT_SERVER_S3_BUCKET", "pakchat-chunks"),
        ];
        let c =
            run(&["--data-dir", "/d", "--client-id", "a", "--s3-endpoint", "http://127.0.0.1:9000/"], &env).unwrap();
        let s3 = c.s3.clone().expect("an object store");
        assert_eq!(
            (s3.endpoint.as_str(), s3.bucket.as_str(), s3.region.as_str()),
            ("http://127.0.0.1:9000", "pakchat-chunks", "us-east-1")
        );
        assert_eq!(s3.credentials.secret_access_key, "hunter2");
        assert!(!format!("{c:?}").contains("hunter2"), "the secret is not printed");
        let keys_only = &env[..2];
        let c = run(&["--data-dir", "/d", "--client-id", "a"], keys_only).unwrap();
        assert!(c.s3.is_none(), "no endpoint: the data folder");
        let e = run(&["--data-dir", "/d", "--client-id", "a"], &env).unwrap_err();
        assert!(e.starts_with("PAKCHAT_SERVER_S3_BUCKET needs --s3-endpoint"), "a bucket alone is a mistake: {e}");
        let e = run(&["--data-dir", "/d", "--client-id", "a", "--s3-secret-access-key", "x"], &env).unwrap_err();
        assert!(e.contains("unknown option"), "never a flag: {e}");
    }

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(redact("postgres://me:hunter2@db:5432/x"), "postgres://me:***@db:5432/x");
        assert_eq!(redact("sqlite:///srv/db"), "sqlite:///srv/db");
    }
}
