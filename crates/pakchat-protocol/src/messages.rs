//! Requests, answers and live messages.

use serde::{Deserialize, Serialize};

use crate::{Envelope, RecordId};
use pakchat_core::Stamp;

/// The most envelopes one pull returns (also the default).
pub const MAX_PULL: u32 = 500;

/// `POST /v1/records`: envelopes to keep.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    /// What changed on this device, in any order.
    pub envelopes: Vec<Envelope>,
}

/// What became of one pushed envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PushOutcome {
    /// Kept, under this sequence number (also when it was already there:
    /// a push is idempotent, and the same envelope keeps its number).
    Stored {
        /// Its sequence number.
        seq: u64,
    },
    /// The server holds a newer version of this record (by `(hlc, device)`);
    /// this one was not kept. The device will see the newer one on its
    /// next pull.
    Stale {
        /// The stamp of the version the server keeps.
        current: Stamp,
    },
}

/// One envelope's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResult {
    /// Which record.
    pub id: RecordId,
    /// What became of it.
    #[serde(flatten)]
    pub outcome: PushOutcome,
}

/// The answer to a [`PushRequest`], one result per envelope, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Per envelope, in the request's order.
    pub results: Vec<PushResult>,
    /// The user's latest sequence number after the push.
    pub seq: u64,
}

/// An envelope with its place in the user's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    /// Its sequence number.
    pub seq: u64,
    /// The envelope.
    pub envelope: Envelope,
}

/// The answer to `GET /v1/records?after=SEQ&limit=N`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullResponse {
    /// The envelopes stored after the cursor, oldest first (each record
    /// once, at its latest version).
    pub envelopes: Vec<Stored>,
    /// The cursor to pull from next (the last `seq` here, or the one asked
    /// with when nothing came).
    pub next: u64,
    /// Whether more are waiting after `next`.
    pub more: bool,
}

/// What the live channel carries from the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveMessage {
    /// Something changed: the user's log now reaches `seq`.
    Poke {
        /// The latest sequence number.
        seq: u64,
    },
    /// Nothing changed; the connection is alive.
    Heartbeat,
}

/// One signed-in device, as `GET /v1/devices` lists it. Its name is not
/// the server's to know: a device names itself in a sealed record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// The device's id (its profile's device id).
    pub id: String,
    /// When it last used its session (to the minute), Unix milliseconds.
    pub last_seen_ms: i64,
    /// Whether it is the device asking.
    pub current: bool,
}

/// The answer to `GET /v1/devices`, most recently seen first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceList {
    /// The devices.
    pub devices: Vec<DeviceInfo>,
}

/// Every error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable code (`unauthorized`, `too_large`, `rate_limited`, …).
    pub error: String,
    /// In words, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When to try again, in seconds (413 and 429; also `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Kind, aad};
    use pakchat_core::{DeviceId, Hlc};

    fn stamp(millis: u64) -> Stamp {
        Stamp { hlc: Hlc { millis, counter: 3 }, device: DeviceId::from_bytes([7; 16]) }
    }

    fn envelope(id: &str) -> Envelope {
        Envelope {
            id: RecordId::new(id).unwrap(),
            kind: Kind::new("message").unwrap(),
            stamp: stamp(1_700_000_000_000),
            deleted: false,
            key_id: 1,
            nonce: [9; 12],
            ciphertext: vec![0, 1, 2, 250, 251, 252],
        }
    }

    fn round_trip<T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) -> String {
        let json = serde_json::to_string(value).unwrap();
        let back: T = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, value, "{json}");
        json
    }

    #[test]
    fn an_envelope_round_trips_with_its_bytes_in_base64() {
        let json = round_trip(&envelope("a-1"));
        assert!(json.contains(r#""nonce":"CQkJCQkJCQkJCQkJ""#), "{json}");
        assert!(json.contains(r#""ciphertext":"AAEC+vv8""#), "{json}");
        assert!(json.contains(r#""kind":"message""#));
    }

    #[test]
    fn every_message_round_trips() {
        let push = PushRequest { envelopes: vec![envelope("a"), Envelope { deleted: true, ..envelope("b") }] };
        round_trip(&push);
        let answer = PushResponse {
            results: vec![
                PushResult { id: RecordId::new("a").unwrap(), outcome: PushOutcome::Stored { seq: 41 } },
                PushResult { id: RecordId::new("b").unwrap(), outcome: PushOutcome::Stale { current: stamp(5) } },
            ],
            seq: 41,
        };
        let json = round_trip(&answer);
        assert!(json.contains(r#""outcome":"stored","seq":41"#), "{json}");
        round_trip(&PullResponse { envelopes: vec![Stored { seq: 7, envelope: envelope("c") }], next: 7, more: true });
        assert_eq!(round_trip(&LiveMessage::Poke { seq: 9 }), r#"{"type":"poke","seq":9}"#);
        assert_eq!(round_trip(&LiveMessage::Heartbeat), r#"{"type":"heartbeat"}"#);
        round_trip(&DeviceList {
            devices: vec![DeviceInfo { id: "0190-abc".to_owned(), last_seen_ms: 5, current: true }],
        });
        let busy = ErrorBody { error: "rate_limited".to_owned(), reason: None, retry_after_s: Some(3) };
        assert_eq!(round_trip(&busy), r#"{"error":"rate_limited","retry_after_s":3}"#);
    }

    #[test]
    fn bad_ids_kinds_and_nonces_are_refused_on_the_way_in() {
        for id in ["", "has space", "slash/", &"x".repeat(65), "é"] {
            assert!(RecordId::new(id).is_err(), "{id:?}");
        }
        for kind in ["", "Message", "a_b", &"k".repeat(33)] {
            assert!(Kind::new(kind).is_err(), "{kind:?}");
        }
        let mut json = serde_json::to_value(envelope("a")).unwrap();
        json["nonce"] = serde_json::json!("AAEC");
        assert!(serde_json::from_value::<Envelope>(json.clone()).is_err(), "a 3-byte nonce");
        json["nonce"] = serde_json::json!("CQkJCQkJCQkJCQkJ");
        json["id"] = serde_json::json!("../etc");
        assert!(serde_json::from_value::<Envelope>(json).is_err(), "a bad id");
    }

    #[test]
    fn the_associated_data_changes_with_every_bound_field() {
        let base = envelope("a");
        let reference = aad("user-1", &base);
        let variants = [
            aad("user-2", &base),
            aad("user-1", &Envelope { id: RecordId::new("b").unwrap(), ..base.clone() }),
            aad("user-1", &Envelope { kind: Kind::new("thread").unwrap(), ..base.clone() }),
            aad("user-1", &Envelope { stamp: stamp(1), ..base.clone() }),
            aad("user-1", &Envelope { deleted: true, ..base.clone() }),
            aad("user-1", &Envelope { key_id: 2, ..base.clone() }),
            // Length prefixes: "ab" + "c" is not "a" + "bc".
            aad("user-1a", &Envelope { id: RecordId::new("a").unwrap(), ..base.clone() }),
        ];
        for (i, v) in variants.iter().enumerate() {
            assert_ne!(v, &reference, "variant {i}");
        }
        // The ciphertext and nonce are not part of it (they are what it protects).
        assert_eq!(aad("user-1", &Envelope { nonce: [0; 12], ciphertext: vec![], ..base }), reference);
    }
}
