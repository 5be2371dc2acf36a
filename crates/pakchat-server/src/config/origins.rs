//! The origin lists of the configuration: `--allowed-origin` (web apps
//! that may call this server, CORS) and `--relay-origin` (providers that
//! `POST /v1/relay` may reach, the SSRF guard of `crate::api::relay`).
//! Both are `scheme://host[:port]` as browsers send them in `Origin`, so
//! that comparing one with a request's is comparing text.

/// The allowed origins: those of the `--allowed-origin` flags, or else of
/// `PAKCHAT_SERVER_ALLOWED_ORIGINS` (`env`); empty: none.
pub(super) fn allowed(flags: Vec<String>, env: Option<String>) -> Result<Vec<String>, String> {
    list(
        ("--allowed-origin", "PAKCHAT_SERVER_ALLOWED_ORIGINS"),
        flags,
        env,
        "sessions are bearer tokens, so name the origins allowed (e.g. https://app.example.org)",
    )
}

/// The relay's origins: those of the `--relay-origin` flags, or else of
/// `PAKCHAT_SERVER_RELAY_ORIGINS` (`env`), or else the hosted providers
/// of [`crate::api::relay::DEFAULT_ORIGINS`].
pub(super) fn relay(flags: Vec<String>, env: Option<String>) -> Result<Vec<String>, String> {
    let named = list(
        ("--relay-origin", "PAKCHAT_SERVER_RELAY_ORIGINS"),
        flags,
        env,
        "the relay reaches only the providers named, so name each (e.g. https://api.openai.com)",
    )?;
    if named.is_empty() {
        return Ok(crate::api::relay::DEFAULT_ORIGINS.iter().map(|o| (*o).to_owned()).collect());
    }
    Ok(named)
}

/// The origins of the flags (`names.0`), or else of the environment
/// variable (`names.1`, `env`), each value a comma-separated list; as
/// browsers send them in `Origin` (scheme and host in lower case, no
/// default port, no trailing `/`). Empty entries are skipped, repeats
/// dropped; `*` is refused, saying `why_not_all`.
fn list(
    (flag, variable): (&str, &str),
    flags: Vec<String>,
    env: Option<String>,
    why_not_all: &str,
) -> Result<Vec<String>, String> {
    let (from, given) = match env {
        Some(listed) if flags.is_empty() => (variable, vec![listed]),
        _ => (flag, flags),
    };
    let mut origins: Vec<String> = Vec::new();
    for entry in given.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|e| !e.is_empty()) {
        if entry == "*" {
            return Err(format!("{from}: \"*\" is refused: {why_not_all}"));
        }
        let origin = crate::api::cors::origin(entry).ok_or_else(|| {
            format!(
                "{from}: {entry:?} is not an origin: http:// or https://, a host and an optional port, nothing else"
            )
        })?;
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    Ok(origins)
}

#[cfg(test)]
mod tests {
    use super::super::tests::run;

    #[test]
    fn allowed_origins_are_named_origins_as_browsers_send_them() {
        let base = ["--data-dir", "/d", "--client-id", "a"];
        let with = |args: &[&str], env: &[(&str, &str)]| {
            let all: Vec<&str> = base.iter().chain(args).copied().collect();
            run(&all, env)
        };
        assert_eq!(with(&[], &[]).unwrap().allowed_origins, Vec::<String>::new(), "none unless named");
        let c = with(
            &[
                "--allowed-origin",
                "https://App.Example.org/",
                "--allowed-origin=http://localhost:8080, https://b.example:8443,,https://app.example.org:443",
                "--allowed-origin",
                "http://[::1]:9000",
            ],
            &[("PAKCHAT_SERVER_ALLOWED_ORIGINS", "https://env.example")],
        )
        .unwrap();
        assert_eq!(
            c.allowed_origins,
            ["https://app.example.org", "http://localhost:8080", "https://b.example:8443", "http://[::1]:9000"],
            "lower case, no default port, no repeats; flags win over the environment"
        );
        let env = [("PAKCHAT_SERVER_ALLOWED_ORIGINS", " https://a.example , http://127.0.0.1:8710 ")];
        assert_eq!(with(&[], &env).unwrap().allowed_origins, ["https://a.example", "http://127.0.0.1:8710"]);

        let refused = [
            "*",
            "https://a.example/app",
            "https://a.example//",
            "https://a.example?x=1",
            "https://a.example#top",
            "https://user@a.example",
            "ftp://a.example",
            "a.example",
            "https://",
            "https://a.example:99999",
            "null",
        ];
        for bad in refused {
            let e = with(&["--allowed-origin", &format!("https://ok.example,{bad}")], &[]).expect_err(bad);
            assert!(e.starts_with("--allowed-origin: ") && e.contains(&format!("{bad:?}")), "{bad}: {e}");
            assert!(!e.contains('\n'), "one line: {e}");
            let e = with(&[], &[("PAKCHAT_SERVER_ALLOWED_ORIGINS", bad)]).expect_err(bad);
            assert!(e.starts_with("PAKCHAT_SERVER_ALLOWED_ORIGINS: "), "{bad}: {e}");
        }
        let e = with(&["--allowed-origin", "*"], &[]).unwrap_err();
        assert!(e.contains("bearer tokens") && e.contains("name the origins"), "{e}");
    }

    #[test]
    fn relay_origins_are_the_hosted_providers_unless_named() {
        let base = ["--data-dir", "/d", "--client-id", "a"];
        let with = |args: &[&str], env: &[(&str, &str)]| {
            let all: Vec<&str> = base.iter().chain(args).copied().collect();
            run(&all, env)
        };
        let defaults = with(&[], &[]).unwrap().relay_origins;
        assert_eq!(defaults, crate::api::relay::DEFAULT_ORIGINS, "the hosted providers by default");
        assert!(defaults.iter().all(|o| crate::api::cors::origin(o).as_deref() == Some(o.as_str())), "{defaults:?}");
        let c = with(
            &["--relay-origin", "HTTP://127.0.0.1:11434/", "--relay-origin=https://api.openai.com:443"],
            &[("PAKCHAT_SERVER_RELAY_ORIGINS", "https://env.example")],
        )
        .unwrap();
        assert_eq!(c.relay_origins, ["http://127.0.0.1:11434", "https://api.openai.com"], "naming replaces the list");
        let env = [("PAKCHAT_SERVER_RELAY_ORIGINS", "https://a.example, http://localhost:1234")];
        assert_eq!(with(&[], &env).unwrap().relay_origins, ["https://a.example", "http://localhost:1234"]);
        for bad in ["*", "https://api.openai.com/v1", "https://key@api.openai.com", "ftp://h"] {
            let e = with(&["--relay-origin", bad], &[]).expect_err(bad);
            assert!(e.starts_with("--relay-origin: ") && !e.contains('\n'), "{bad}: {e}");
            let e = with(&[], &[("PAKCHAT_SERVER_RELAY_ORIGINS", bad)]).expect_err(bad);
            assert!(e.starts_with("PAKCHAT_SERVER_RELAY_ORIGINS: "), "{bad}: {e}");
        }
    }
}
