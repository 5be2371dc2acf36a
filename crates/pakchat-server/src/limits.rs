//! What one user may keep ([`crate::db::Quota`]) and how often they may
//! ask: a token bucket per user, per process (with several processes the
//! rate is per process), refilled at `rate_per_s` up to `burst`. Over it,
//! a request gets 429 with `Retry-After`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::db::Quota;

/// The server's limits per user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// What a user may keep.
    pub quota: Quota,
    /// Authenticated requests per second, sustained.
    pub rate_per_s: u32,
    /// Requests that may come at once.
    pub burst: u32,
}

impl Default for Limits {
    /// 1 GiB and a million records; 20 requests a second, 200 at once
    /// (a device catching up pulls pages back to back).
    fn default() -> Self {
        Self { quota: Quota::default(), rate_per_s: 20, burst: 200 }
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets by user.
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
    rate: f64,
    burst: f64,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").field("rate", &self.rate).field("burst", &self.burst).finish()
    }
}

impl RateLimiter {
    /// `rate_per_s` a second, `burst` at once (at least one of each).
    #[must_use]
    pub fn new(rate_per_s: u32, burst: u32) -> Self {
        Self { buckets: Mutex::new(HashMap::new()), rate: f64::from(rate_per_s.max(1)), burst: f64::from(burst.max(1)) }
    }

    /// Take one request of `user`'s; how long to wait when there is none.
    ///
    /// # Errors
    /// The wait until the next request is allowed.
    pub fn check(&self, user: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > 100_000 {
            // Forget the users whose buckets have refilled: they start full anyway.
            let full = self.burst / self.rate;
            buckets.retain(|_, b| now.duration_since(b.at).as_secs_f64() < full);
        }
        let bucket = buckets.entry(user.to_owned()).or_insert(Bucket { tokens: self.burst, at: now });
        let refill = now.duration_since(bucket.at).as_secs_f64() * self.rate;
        bucket.tokens = (bucket.tokens + refill).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_requests_wait_for_the_refill() {
        let limiter = RateLimiter::new(2, 3);
        for _ in 0..3 {
            assert!(limiter.check("ada").is_ok());
        }
        let wait = limiter.check("ada").unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(500), "{wait:?}");
        assert!(limiter.check("grace").is_ok(), "each user has their own bucket");
    }
}
