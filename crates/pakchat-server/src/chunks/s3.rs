//! Chunks as objects in an S3-compatible store (AWS S3, MinIO, Ceph, …):
//! path-style URLs `{endpoint}/{bucket}/{user id}/{chunk id}`, every
//! request signed with AWS Signature Version 4 (the payload's SHA-256 in
//! `x-amz-content-sha256`), written here over `reqwest`.
//!
//! The credentials come from `PAKCHAT_SERVER_S3_ACCESS_KEY_ID` and
//! `PAKCHAT_SERVER_S3_SECRET_ACCESS_KEY` only; the secret is never printed
//! (not by `Debug` either) and never sent: a signature proves it.

use std::time::Duration;

use axum::body::Bytes;
use hmac::Mac as _;
use pakchat_protocol::ChunkId;
use reqwest::{Method, StatusCode, Url};
use sha2::Digest as _;

use super::StoreError;

/// An access key for the object store.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Credentials {
    /// The access key id (not secret: it names the key).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .finish()
    }
}

/// Where and how to reach the bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Config {
    /// `https://host[:port][/prefix]`, without a trailing slash.
    pub endpoint: String,
    /// The bucket (path-style: the first segment of each object's path).
    pub bucket: String,
    /// The region requests are signed for (`us-east-1` unless told).
    pub region: String,
    /// The access key.
    pub credentials: S3Credentials,
}

/// The default region.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Signs requests with AWS Signature Version 4 for one service in one
/// region.
#[derive(Clone, Debug)]
pub struct SigV4 {
    credentials: S3Credentials,
    region: String,
    service: String,
}

/// Hex SHA-256 of `bytes`.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&sha2::Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    match hmac::Hmac::<sha2::Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// URI-encode `s` as Signature Version 4 wants it (RFC 3986 unreserved
/// characters kept, everything else `%XX` in upper case).
fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `(YYYYMMDD, YYYYMMDDTHHMMSSZ)` of a Unix time, in UTC.
fn amz_dates(unix_s: u64) -> (String, String) {
    let days = i64::try_from(unix_s / 86_400).unwrap_or(0);
    let secs = unix_s % 86_400;
    // Days to a civil date (Howard Hinnant's algorithm, proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let date = format!("{year:04}{month:02}{day:02}");
    let time = format!("{date}T{:02}{:02}{:02}Z", secs / 3600, secs / 60 % 60, secs % 60);
    (date, time)
}

impl SigV4 {
    /// A signer for `service` (`s3`, `iam`, …) in `region`.
    #[must_use]
    pub fn new(credentials: S3Credentials, region: &str, service: &str) -> Self {
        Self { credentials, region: region.to_owned(), service: service.to_owned() }
    }

    /// The headers that sign a `method` request to `url` carrying
    /// `payload`, at `unix_s` seconds: `host`, `x-amz-content-sha256`,
    /// `x-amz-date` and `authorization`. `extra` are more headers to sign
    /// (lower-case names), sent by the caller as given. The path is signed
    /// as `url` has it (already encoded once, as S3 wants).
    #[must_use]
    pub fn sign(
        &self,
        method: &str,
        url: &Url,
        extra: &[(&str, &str)],
        payload: &[u8],
        unix_s: u64,
    ) -> Vec<(String, String)> {
        let (date, time) = amz_dates(unix_s);
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let payload_hash = sha256_hex(payload);
        let mut headers: Vec<(String, String)> = vec![
            ("host".to_owned(), host.clone()),
            ("x-amz-content-sha256".to_owned(), payload_hash.clone()),
            ("x-amz-date".to_owned(), time.clone()),
        ];
        headers.extend(extra.iter().map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_owned())));
        headers.sort();
        let canonical_headers: String = headers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
        let signed_headers = headers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(";");
        let mut query: Vec<(String, String)> =
            url.query_pairs().map(|(k, v)| (uri_encode(&k), uri_encode(&v))).collect();
        query.sort();
        let query = query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        let canonical_request =
            format!("{method}\n{}\n{query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}", url.path());
        let scope = format!("{date}/{}/{}/aws4_request", self.region, self.service);
        let to_sign = format!("AWS4-HMAC-SHA256\n{time}\n{scope}\n{}", sha256_hex(canonical_request.as_bytes()));
        let key = [date.as_str(), &self.region, &self.service, "aws4_request"]
            .iter()
            .fold(format!("AWS4{}", self.credentials.secret_access_key).into_bytes(), |key, part| hmac(&key, part));
        let signature = hex(&hmac(&key, &to_sign));
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            self.credentials.access_key_id
        );
        vec![
            ("host".to_owned(), host),
            ("x-amz-content-sha256".to_owned(), payload_hash),
            ("x-amz-date".to_owned(), time),
            ("authorization".to_owned(), authorization),
        ]
    }
}

/// Chunks in a bucket of an S3-compatible store.
#[derive(Debug)]
pub struct S3Store {
    endpoint: Url,
    bucket: String,
    signer: SigV4,
    http: reqwest::Client,
}

impl S3Store {
    /// A store for `config` (nothing is asked of the server yet).
    ///
    /// # Errors
    /// The endpoint is not an http(s) URL, or no HTTP client could be made.
    pub fn new(config: &S3Config) -> Result<Self, String> {
        let endpoint = Url::parse(config.endpoint.trim_end_matches('/'))
            .map_err(|e| format!("the S3 endpoint {:?}: {e}", config.endpoint))?;
        if !matches!(endpoint.scheme(), "http" | "https") || endpoint.host_str().is_none() {
            return Err(format!("the S3 endpoint {:?} is not an http(s) URL", config.endpoint));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| format!("an HTTP client for the object store: {e}"))?;
        let signer = SigV4::new(config.credentials.clone(), &config.region, "s3");
        Ok(Self { endpoint, bucket: config.bucket.clone(), signer, http })
    }

    /// `{endpoint}/{bucket}` and then `segments`, path-style.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.endpoint.clone();
        let mut path = url.path().trim_end_matches('/').to_owned();
        for segment in std::iter::once(self.bucket.as_str()).chain(segments.iter().copied()) {
            path.push('/');
            path.push_str(&uri_encode(segment));
        }
        url.set_path(&path);
        url
    }

    async fn send(&self, method: Method, url: Url, body: Bytes) -> Result<reqwest::Response, StoreError> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let signed = self.signer.sign(method.as_str(), &url, &[], &body, now);
        let mut request = self.http.request(method, url.clone());
        for (name, value) in signed {
            request = request.header(name, value);
        }
        request
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(body)
            .send()
            .await
            .map_err(|e| StoreError::ObjectStorage(format!("{}: {e}", url.path())))
    }

    /// Make the bucket (tests and first set-ups; one that exists and is
    /// ours is fine). Only for `us-east-1` and stores that ignore regions.
    ///
    /// # Errors
    /// The store refused or did not answer.
    pub async fn create_bucket(&self) -> Result<(), StoreError> {
        let response = self.send(Method::PUT, self.url(&[]), Bytes::new()).await?;
        match response.status() {
            StatusCode::OK => Ok(()),
            StatusCode::CONFLICT => {
                let body = response.text().await.unwrap_or_default();
                if body.contains("BucketAlreadyOwnedByYou") { Ok(()) } else { Err(refused("409", &body)) }
            }
            status => Err(refused(status.as_str(), &response.text().await.unwrap_or_default())),
        }
    }

    pub(super) async fn put(&self, user_id: &str, id: &ChunkId, bytes: Bytes) -> Result<(), StoreError> {
        let response = self.send(Method::PUT, self.url(&[user_id, id.as_str()]), bytes).await?;
        if response.status().is_success() {
            Ok(())
        } else {
            let status = response.status();
            Err(refused(status.as_str(), &response.text().await.unwrap_or_default()))
        }
    }

    pub(super) async fn get(&self, user_id: &str, id: &ChunkId) -> Result<Option<Vec<u8>>, StoreError> {
        let response = self.send(Method::GET, self.url(&[user_id, id.as_str()]), Bytes::new()).await?;
        match response.status() {
            StatusCode::OK => {
                let bytes = response.bytes().await.map_err(|e| StoreError::ObjectStorage(e.to_string()))?;
                Ok(Some(bytes.to_vec()))
            }
            StatusCode::NOT_FOUND => Ok(None),
            status => Err(refused(status.as_str(), &response.text().await.unwrap_or_default())),
        }
    }
}

/// What the store said, shortly: its status and S3 error code.
fn refused(status: &str, body: &str) -> StoreError {
    let code = body
        .split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map_or("", |(code, _)| code)
        .chars()
        .take(64)
        .collect::<String>();
    StoreError::ObjectStorage(format!("refused ({status} {code})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(amz_dates(0), ("19700101".to_owned(), "19700101T000000Z".to_owned()));
        assert_eq!(amz_dates(1_369_353_600).1, "20130524T000000Z");
        assert_eq!(amz_dates(951_782_400 + 3_661).1, "20000229T010101Z", "a leap day");
        assert_eq!(amz_dates(4_107_542_399).1, "21000228T235959Z");
    }

    /// AWS's own example ("Signature Calculations for the Authorization
    /// Header", GET Object): the same request must get the same signature.
    #[test]
    fn the_signature_matches_the_aws_documentation_example() {
        let credentials = S3Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
        };
        let signer = SigV4::new(credentials, "us-east-1", "s3");
        let url = Url::parse("https://examplebucket.s3.amazonaws.com/test.txt").unwrap();
        let headers = signer.sign("GET", &url, &[("range", "bytes=0-9")], b"", 1_369_353_600);
        let authorization = &headers.iter().find(|(n, _)| n == "authorization").unwrap().1;
        assert_eq!(
            authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn the_secret_is_not_in_debug_output() {
        let config = S3Config {
            endpoint: "http://127.0.0.1:9000".to_owned(),
            bucket: "chunks".to_owned(),
            region: DEFAULT_REGION.to_owned(),
            credentials: S3Credentials { access_key_id: "AKID".to_owned(), secret_access_key: "hunter2".to_owned() },
        };
        let store = S3Store::new(&config).unwrap();
        for shown in [format!("{config:?}"), format!("{store:?}")] {
            assert!(shown.contains("AKID") && !shown.contains("hunter2"), "{shown}");
        }
        assert_eq!(store.url(&["u", "c"]).as_str(), "http://127.0.0.1:9000/chunks/u/c");
    }
}
