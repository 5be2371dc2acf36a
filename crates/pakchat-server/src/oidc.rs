//! Checking an OpenID Connect ID token: who signed it, for whom, until
//! when, and whether the e-mail was verified.
//!
//! The issuer's keys come from its discovery document's `jwks_uri`, kept as
//! long as the response's `Cache-Control: max-age` says (an hour when it
//! says nothing; at least a minute, at most a day) and fetched again when a
//! token names a key id the set does not hold (the provider rotated its
//! keys), at most once per `refetch_gap`.
//!
//! Accepted: asymmetric signatures only (RS*, PS*, ES256/384, EdDSA) with
//! the key the header names, of the family the algorithm needs; so `none`
//! and an HMAC "signed" with the public key are refused before any key is
//! used. Then `iss` (Google also writes its issuer without the scheme),
//! `aud` among the configured client ids, `exp` (a minute of leeway), the
//! `nonce` when the client sent one, and `email_verified` must be true.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::db::Identity;

/// Largest discovery document or key set read.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// Why a token was refused (said to the client and in the log; never the token).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Rejected {
    /// Not three base64url parts with a JSON header.
    #[error("not a signed token: {0}")]
    Malformed(String),
    /// An algorithm this server does not accept (`none`, HMAC, …).
    #[error("the {0} algorithm is not accepted")]
    Algorithm(String),
    /// No key of the issuer has this id, even after fetching the keys again.
    #[error("the issuer has no key {0:?}")]
    UnknownKey(String),
    /// The signature, issuer, audience or expiry is wrong.
    #[error("{0}")]
    Invalid(String),
    /// The nonce is not the one the client sent.
    #[error("the nonce does not match")]
    Nonce,
    /// The e-mail address is missing or not verified by the provider.
    #[error("the e-mail address is missing or not verified")]
    EmailNotVerified,
    /// The issuer's keys could not be fetched (not the token's fault).
    #[error("the identity provider's keys are unavailable: {0}")]
    KeysUnavailable(String),
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<Verified>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    picture: Option<String>,
}

/// `email_verified` is a boolean, though some providers send a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum Verified {
    Bool(bool),
    Text(String),
}

struct Keys {
    set: JwkSet,
    fetched: Instant,
    max_age: Duration,
}

/// Verifies ID tokens of one issuer for a set of client ids.
pub struct Verifier {
    issuer: String,
    client_ids: Vec<String>,
    http: reqwest::Client,
    keys: Mutex<Option<Keys>>,
    refetch_gap: Duration,
}

impl Verifier {
    /// A verifier for `issuer`'s tokens addressed to any of `client_ids`;
    /// keys are fetched on first use.
    ///
    /// # Errors
    /// The HTTP client could not be made.
    pub fn new(issuer: &str, client_ids: Vec<String>) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_ids,
            http,
            keys: Mutex::new(None),
            refetch_gap: Duration::from_secs(30),
        })
    }

    /// Fetch the keys again on an unknown key id at most this often (tests
    /// make it zero).
    #[must_use]
    pub fn with_refetch_gap(mut self, gap: Duration) -> Self {
        self.refetch_gap = gap;
        self
    }

    /// The issuer whose tokens are accepted.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The client ids whose tokens are accepted.
    #[must_use]
    pub fn client_ids(&self) -> &[String] {
        &self.client_ids
    }

    /// The identity `token` vouches for.
    ///
    /// # Errors
    /// Why it is not accepted.
    pub async fn verify(&self, token: &str, nonce: Option<&str>) -> Result<Identity, Rejected> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::Json(_) if token.split('.').next().is_some_and(names_none) => {
                Rejected::Algorithm("none".to_owned())
            }
            _ => Rejected::Malformed(e.to_string()),
        })?;
        let family_ok = |params: &AlgorithmParameters| match header.alg {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => matches!(params, AlgorithmParameters::RSA(_)),
            Algorithm::ES256 | Algorithm::ES384 => matches!(params, AlgorithmParameters::EllipticCurve(_)),
            Algorithm::EdDSA => matches!(params, AlgorithmParameters::OctetKeyPair(_)),
            _ => false,
        };
        if matches!(header.alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
            return Err(Rejected::Algorithm(format!("{:?}", header.alg)));
        }
        let jwk = self.key(header.kid.as_deref()).await?;
        if !family_ok(&jwk.algorithm) {
            return Err(Rejected::Algorithm(format!("{:?} with this key", header.alg)));
        }
        let key = DecodingKey::from_jwk(&jwk).map_err(|e| Rejected::Invalid(format!("the issuer's key: {e}")))?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = 60;
        validation.set_audience(&self.client_ids);
        let mut issuers = vec![self.issuer.clone()];
        if let Some(bare) = self.issuer.strip_prefix("https://").filter(|h| *h == "accounts.google.com") {
            issuers.push(bare.to_owned());
        }
        validation.set_issuer(&issuers);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|e| Rejected::Invalid(e.to_string()))?
            .claims;
        if let Some(sent) = nonce
            && claims.nonce.as_deref() != Some(sent)
        {
            return Err(Rejected::Nonce);
        }
        let verified = match claims.email_verified {
            Some(Verified::Bool(b)) => b,
            Some(Verified::Text(t)) => t.eq_ignore_ascii_case("true"),
            None => false,
        };
        let email = claims.email.filter(|e| !e.is_empty()).ok_or(Rejected::EmailNotVerified)?;
        if !verified {
            return Err(Rejected::EmailNotVerified);
        }
        Ok(Identity {
            issuer: claims.iss,
            subject: claims.sub,
            name: claims.name.unwrap_or_default(),
            email,
            picture: claims.picture.unwrap_or_default(),
        })
    }

    /// The key named `kid` (or the only key, when the token names none),
    /// fetching the set when it is stale or lacks that key.
    async fn key(&self, kid: Option<&str>) -> Result<jsonwebtoken::jwk::Jwk, Rejected> {
        let mut keys = self.keys.lock().await;
        let find = |set: &JwkSet| match kid {
            Some(kid) => set.find(kid).cloned(),
            None if set.keys.len() == 1 => set.keys.first().cloned(),
            None => None,
        };
        if let Some(k) = keys.as_ref()
            && k.fetched.elapsed() < k.max_age
            && let Some(jwk) = find(&k.set)
        {
            return Ok(jwk);
        }
        let may_fetch = keys.as_ref().is_none_or(|k| k.fetched.elapsed() >= k.max_age.min(self.refetch_gap));
        if may_fetch {
            match self.fetch_keys().await {
                Ok(fresh) => *keys = Some(fresh),
                // Keys still in hand serve while the provider is away.
                Err(e) if keys.is_none() => return Err(Rejected::KeysUnavailable(e)),
                Err(e) => tracing::warn!(err = %e, "the identity provider's keys could not be refreshed"),
            }
        }
        keys.as_ref()
            .and_then(|k| find(&k.set))
            .ok_or_else(|| Rejected::UnknownKey(kid.unwrap_or("(none named)").to_owned()))
    }

    async fn fetch_keys(&self) -> Result<Keys, String> {
        #[derive(Deserialize)]
        struct Discovery {
            jwks_uri: String,
        }
        let discovery_url = format!("{}/.well-known/openid-configuration", self.issuer);
        let (discovery, _) = self.get(&discovery_url).await?;
        let discovery: Discovery = serde_json::from_slice(&discovery)
            .map_err(|e| format!("{discovery_url}: not a discovery document: {e}"))?;
        let (body, max_age) = self.get(&discovery.jwks_uri).await?;
        let set: JwkSet =
            serde_json::from_slice(&body).map_err(|e| format!("{}: not a key set: {e}", discovery.jwks_uri))?;
        tracing::debug!(keys = set.keys.len(), max_age_s = max_age.as_secs(), "fetched the identity provider's keys");
        Ok(Keys { set, fetched: Instant::now(), max_age })
    }

    /// The body of `url` (size-capped) and how long it may be kept.
    async fn get(&self, url: &str) -> Result<(Vec<u8>, Duration), String> {
        let mut response = self.http.get(url).send().await.map_err(|e| format!("{url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("{url}: {}", response.status()));
        }
        let max_age = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(max_age)
            .unwrap_or(Duration::from_secs(3600))
            .clamp(Duration::from_secs(60), Duration::from_secs(86_400));
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| format!("{url}: {e}"))? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_DOCUMENT_BYTES {
                return Err(format!("{url}: larger than {MAX_DOCUMENT_BYTES} bytes"));
            }
        }
        Ok((body, max_age))
    }
}

/// `max-age` of a `Cache-Control` value.
fn max_age(value: &str) -> Option<Duration> {
    value
        .split(',')
        .find_map(|d| {
            let (name, v) = d.trim().split_once('=')?;
            name.trim().eq_ignore_ascii_case("max-age").then(|| v.trim().trim_matches('"').parse().ok()).flatten()
        })
        .map(Duration::from_secs)
}

/// Whether a token's first part is a header saying `"alg": "none"`.
fn names_none(header: &str) -> bool {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .ok()
        .and_then(|h| serde_json::from_slice::<serde_json::Value>(&h).ok())
        .and_then(|h| h.get("alg").and_then(|a| a.as_str()).map(|a| a.eq_ignore_ascii_case("none")))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_lifetimes_are_read_from_cache_control() {
        assert_eq!(max_age("public, max-age=21164, must-revalidate"), Some(Duration::from_secs(21164)));
        assert_eq!(max_age("no-store"), None);
        assert_eq!(max_age("max-age=soon"), None);
    }

    #[test]
    fn a_header_saying_none_is_recognised() {
        use base64::Engine as _;
        let h = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(names_none(&h));
        let h = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#);
        assert!(!names_none(&h));
    }
}
