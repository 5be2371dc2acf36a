//! Hybrid logical clock and last-writer-wins merge.
//!
//! Every record carries a [`Stamp`]: the HLC time of its last edit and the
//! device that made it. Two replicas of a record merge by keeping the one with
//! the greater stamp; ties cannot happen between devices because the device id
//! breaks them, and a tie on the same device means the same edit.

use serde::{Deserialize, Serialize};

use super::DeviceId;

/// A hybrid logical clock reading: wall time in milliseconds plus a counter
/// that orders events inside one millisecond or while the wall clock lags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch (the largest seen so far).
    pub millis: u64,
    /// Tie-breaker for events within the same `millis`.
    pub counter: u32,
}

/// The version stamp stored on every record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Stamp {
    /// When the record was last changed.
    pub hlc: Hlc,
    /// Which device changed it.
    pub device: DeviceId,
}

/// The clock of one device. Monotonic even if the wall clock steps back.
#[derive(Clone, Debug)]
pub struct HlcClock {
    last: Hlc,
    device: DeviceId,
}

impl HlcClock {
    /// A clock for `device` that has seen nothing yet.
    #[must_use]
    pub fn new(device: DeviceId) -> Self {
        Self { last: Hlc::default(), device }
    }

    /// The device this clock stamps for.
    #[must_use]
    pub fn device(&self) -> DeviceId {
        self.device
    }

    /// Stamp a local event at wall time `wall_millis`.
    pub fn tick(&mut self, wall_millis: u64) -> Stamp {
        self.last = if wall_millis > self.last.millis {
            Hlc { millis: wall_millis, counter: 0 }
        } else {
            Hlc { millis: self.last.millis, counter: self.last.counter.saturating_add(1) }
        };
        Stamp { hlc: self.last, device: self.device }
    }

    /// Stamp a local event now.
    pub fn now(&mut self) -> Stamp {
        self.tick(wall_millis())
    }

    /// Take a remote reading into account so later local stamps sort after it.
    pub fn observe(&mut self, remote: Hlc, wall_millis: u64) {
        let millis = wall_millis.max(self.last.millis).max(remote.millis);
        let counter = if millis == self.last.millis && millis == remote.millis {
            self.last.counter.max(remote.counter).saturating_add(1)
        } else if millis == self.last.millis {
            self.last.counter.saturating_add(1)
        } else if millis == remote.millis {
            remote.counter.saturating_add(1)
        } else {
            0
        };
        self.last = Hlc { millis, counter };
    }
}

/// Wall-clock milliseconds since the Unix epoch (0 if the clock is before it).
#[must_use]
pub fn wall_millis() -> u64 {
    web_time::SystemTime::now()
        .duration_since(web_time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Last-writer-wins: of two versions of one record keep the later-stamped.
///
/// Commutative, associative and idempotent as long as `stamp` is a total
/// order and equal stamps mean equal records (one device never stamps two
/// different edits alike).
#[must_use]
pub fn lww_merge<T>(a: T, b: T, stamp: impl Fn(&T) -> Stamp) -> T {
    if stamp(&b) > stamp(&a) { b } else { a }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn device(n: u8) -> DeviceId {
        DeviceId::from_bytes([n; 16])
    }

    fn stamp_strategy() -> impl Strategy<Value = (Stamp, u32)> {
        (0u64..5, 0u32..3, 0u8..3, any::<u32>()).prop_map(|(millis, counter, dev, payload)| {
            (Stamp { hlc: Hlc { millis, counter }, device: device(dev) }, payload)
        })
    }

    /// Equal stamps must carry equal payloads (one device, one edit per stamp).
    fn canonical(x: (Stamp, u32)) -> (Stamp, u32) {
        let payload = u32::try_from(x.0.hlc.millis).unwrap_or(0) * 100
            + x.0.hlc.counter * 10
            + u32::from(x.0.device.as_bytes()[0]);
        (x.0, payload)
    }

    proptest! {
        #[test]
        fn lww_merge_is_commutative(a in stamp_strategy(), b in stamp_strategy()) {
            let (a, b) = (canonical(a), canonical(b));
            prop_assert_eq!(lww_merge(a, b, |r| r.0), lww_merge(b, a, |r| r.0));
        }

        #[test]
        fn lww_merge_is_idempotent(a in stamp_strategy(), b in stamp_strategy()) {
            let (a, b) = (canonical(a), canonical(b));
            let once = lww_merge(a, b, |r| r.0);
            prop_assert_eq!(lww_merge(once, b, |r| r.0), once);
            prop_assert_eq!(lww_merge(a, a, |r| r.0), a);
        }

        #[test]
        fn lww_merge_is_associative(a in stamp_strategy(), b in stamp_strategy(), c in stamp_strategy()) {
            let (a, b, c) = (canonical(a), canonical(b), canonical(c));
            let left = lww_merge(lww_merge(a, b, |r| r.0), c, |r| r.0);
            let right = lww_merge(a, lww_merge(b, c, |r| r.0), |r| r.0);
            prop_assert_eq!(left, right);
        }

        #[test]
        fn clock_is_monotonic_whatever_the_wall_clock_does(walls in proptest::collection::vec(0u64..50, 1..40)) {
            let mut clock = HlcClock::new(device(1));
            let mut last = None;
            for wall in walls {
                let s = clock.tick(wall);
                if let Some(prev) = last {
                    prop_assert!(s > prev);
                }
                last = Some(s);
            }
        }

        #[test]
        fn local_stamps_sort_after_observed_remote_ones(remote_ms in 0u64..100, remote_ctr in 0u32..10, wall in 0u64..100) {
            let mut clock = HlcClock::new(device(1));
            let remote = Hlc { millis: remote_ms, counter: remote_ctr };
            clock.observe(remote, wall);
            prop_assert!(clock.tick(wall).hlc > remote);
        }
    }
}
