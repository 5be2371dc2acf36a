//! The blind record log, on SQLite and on PostgreSQL alike: pushes keep the
//! newest version of each record and are idempotent, tombstones are kept,
//! pulls page after a cursor, and one user's log is never another's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use pakchat_core::{DeviceId, Hlc, Stamp};
use pakchat_protocol::{Envelope, Kind, PushOutcome, RecordId};
use pakchat_server::db::{Db, Identity, Quota};

fn stamp(millis: u64, device: u8) -> Stamp {
    Stamp { hlc: Hlc { millis, counter: 0 }, device: DeviceId::from_bytes([device; 16]) }
}

fn envelope(id: &str, millis: u64, text: &[u8]) -> Envelope {
    Envelope {
        id: RecordId::new(id).unwrap(),
        kind: Kind::new("thread").unwrap(),
        stamp: stamp(millis, 1),
        deleted: false,
        key_id: 1,
        nonce: [millis.to_le_bytes()[0]; 12],
        ciphertext: text.to_vec(),
    }
}

async fn user(db: &Db, subject: &str) -> String {
    let who = Identity {
        issuer: "http://localhost:1".to_owned(),
        subject: subject.to_owned(),
        name: String::new(),
        email: format!("{subject}@example.com"),
        picture: String::new(),
    };
    db.upsert_user(&who, 0).await.unwrap().0
}

/// Push within the default quota.
async fn push(
    db: &Db,
    user: &str,
    envelopes: &[Envelope],
) -> Result<(Vec<pakchat_protocol::PushResult>, u64), pakchat_server::db::DbError> {
    Ok(db.push(user, envelopes, Quota::default()).await?.expect("within the quota"))
}

fn seqs(outcomes: &[pakchat_protocol::PushResult]) -> Vec<Option<u64>> {
    outcomes
        .iter()
        .map(|r| match r.outcome {
            PushOutcome::Stored { seq } => Some(seq),
            PushOutcome::Stale { .. } => None,
        })
        .collect()
}

#[tokio::test]
async fn the_newest_version_of_each_record_is_kept_and_pushes_are_idempotent() {
    common::on_both(|backend, db| async move {
        let ada = user(&db, "ada").await;
        let (r, seq) = push(&db, &ada, &[envelope("a", 10, b"a1"), envelope("b", 10, b"b1")]).await.unwrap();
        assert_eq!((seqs(&r), seq), (vec![Some(1), Some(2)], 2), "{backend}");

        // The same push again (a retry after a lost answer): nothing new.
        let (r, seq) = push(&db, &ada, &[envelope("a", 10, b"a1"), envelope("b", 10, b"b1")]).await.unwrap();
        assert_eq!((seqs(&r), seq), (vec![Some(1), Some(2)], 2), "{backend}: idempotent");

        // An older version loses and says what is kept; a newer one wins.
        let (r, seq) = push(&db, &ada, &[envelope("a", 5, b"old"), envelope("a", 20, b"a2")]).await.unwrap();
        assert_eq!(r[0].outcome, PushOutcome::Stale { current: stamp(10, 1) }, "{backend}");
        assert_eq!((seqs(&r)[1], seq), (Some(3), 3), "{backend}");
        // Same time, another device: the device breaks the tie, the same way everywhere.
        let tie = Envelope { stamp: stamp(20, 0), ..envelope("a", 20, b"loser") };
        let (r, _) = push(&db, &ada, &[tie]).await.unwrap();
        assert_eq!(r[0].outcome, PushOutcome::Stale { current: stamp(20, 1) }, "{backend}");

        let (all, more) = db.pull(&ada, 0, 100).await.unwrap();
        assert!(!more);
        let got: Vec<(u64, &str, &[u8])> =
            all.iter().map(|s| (s.seq, s.envelope.id.as_str(), s.envelope.ciphertext.as_slice())).collect();
        assert_eq!(got, [(2, "b", &b"b1"[..]), (3, "a", &b"a2"[..])], "{backend}: each record once, newest");
        assert_eq!(all[1].envelope, envelope("a", 20, b"a2"), "{backend}: every field as pushed");
        assert_eq!(db.log_seq(&ada).await.unwrap(), 3);
    })
    .await;
}

#[tokio::test]
async fn tombstones_are_kept_and_served() {
    common::on_both(|backend, db| async move {
        let ada = user(&db, "ada").await;
        push(&db, &ada, &[envelope("t", 1, b"title")]).await.unwrap();
        let tombstone = Envelope { deleted: true, ciphertext: Vec::new(), ..envelope("t", 2, b"") };
        push(&db, &ada, std::slice::from_ref(&tombstone)).await.unwrap();
        let (all, _) = db.pull(&ada, 0, 10).await.unwrap();
        assert_eq!(all.len(), 1, "{backend}");
        assert_eq!(all[0].envelope, tombstone, "{backend}");
        // A late edit from a device that had not heard of the delete loses.
        let (r, _) = push(&db, &ada, &[envelope("t", 1, b"late")]).await.unwrap();
        assert!(matches!(r[0].outcome, PushOutcome::Stale { .. }), "{backend}");
    })
    .await;
}

#[tokio::test]
async fn pulls_page_after_a_cursor() {
    common::on_both(|backend, db| async move {
        let ada = user(&db, "ada").await;
        let many: Vec<Envelope> = (0..7).map(|i| envelope(&format!("r{i}"), 1, b"x")).collect();
        push(&db, &ada, &many).await.unwrap();
        let (mut cursor, mut seen, mut pages) = (0, Vec::new(), 0);
        loop {
            let (page, more) = db.pull(&ada, cursor, 3).await.unwrap();
            pages += 1;
            seen.extend(page.iter().map(|s| s.envelope.id.as_str().to_owned()));
            cursor = page.last().map_or(cursor, |s| s.seq);
            if !more {
                break;
            }
        }
        assert_eq!(pages, 3, "{backend}: 3 + 3 + 1");
        assert_eq!(seen, (0..7).map(|i| format!("r{i}")).collect::<Vec<_>>(), "{backend}");
        assert!(db.pull(&ada, cursor, 3).await.unwrap().0.is_empty(), "{backend}: nothing after the end");
    })
    .await;
}

#[tokio::test]
async fn one_users_log_is_never_anothers() {
    common::on_both(|backend, db| async move {
        let (ada, grace) = (user(&db, "ada").await, user(&db, "grace").await);
        push(&db, &ada, &[envelope("same-id", 5, b"ada's")]).await.unwrap();
        // The same record id under another user is another record, with its own numbering.
        let (r, seq) = push(&db, &grace, &[envelope("same-id", 1, b"grace's")]).await.unwrap();
        assert_eq!((seqs(&r), seq), (vec![Some(1)], 1), "{backend}: not stale against Ada's");
        let (mine, _) = db.pull(&grace, 0, 10).await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].envelope.ciphertext, b"grace's", "{backend}");
        let (hers, _) = db.pull(&ada, 0, 10).await.unwrap();
        assert_eq!(hers[0].envelope.ciphertext, b"ada's", "{backend}");
    })
    .await;
}

#[tokio::test]
async fn concurrent_pushes_of_one_user_get_distinct_sequence_numbers() {
    common::on_both(|backend, db| async move {
        let ada = user(&db, "ada").await;
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let (db, ada) = (db.clone(), ada.clone());
                tokio::spawn(async move { push(&db, &ada, &[envelope(&format!("c{i}"), 1, b"x")]).await })
            })
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            let (r, _) = t.await.unwrap().unwrap_or_else(|e| panic!("{backend}: {e}"));
            all.extend(seqs(&r).into_iter().flatten());
        }
        all.sort_unstable();
        assert_eq!(all, (1..=8).collect::<Vec<u64>>(), "{backend}");
        assert_eq!(db.log_seq(&ada).await.unwrap(), 8);
    })
    .await;
}

#[tokio::test]
async fn a_push_past_the_quota_keeps_nothing_and_one_that_frees_room_passes() {
    common::on_both(|backend, db| async move {
        let ada = user(&db, "ada").await;
        let quota = Quota { bytes: 10_000, records: 3 };
        let three: Vec<Envelope> = (0..3).map(|i| envelope(&format!("q{i}"), 1, b"xx")).collect();
        assert!(db.push(&ada, &three, quota).await.unwrap().is_ok(), "{backend}");
        let over = db.push(&ada, &[envelope("q3", 1, b"xx"), envelope("q4", 1, b"xx")], quota).await.unwrap();
        let over = over.expect_err("a fourth record is over");
        assert_eq!((over.records, over.quota.records), (5, 3), "{backend}");
        assert!(over.to_string().ends_with("and 3 records"), "{over}");
        assert_eq!(db.log_seq(&ada).await.unwrap(), 3, "{backend}: nothing of it kept");
        assert_eq!(db.pull(&ada, 0, 10).await.unwrap().0.len(), 3);
        // A newer version of a kept record, or a tombstone, adds no record.
        let newer = envelope("q0", 2, b"xy");
        assert!(db.push(&ada, &[newer], quota).await.unwrap().is_ok(), "{backend}");
        let gone = Envelope { deleted: true, ciphertext: Vec::new(), ..envelope("q1", 2, b"") };
        assert!(db.push(&ada, &[gone], quota).await.unwrap().is_ok(), "{backend}");
        // Bytes count too.
        let big = Envelope { ciphertext: vec![7; 20_000], ..envelope("q0", 3, b"") };
        let over = db.push(&ada, &[big], quota).await.unwrap().expect_err("too many bytes");
        assert!(over.bytes > 20_000, "{backend}");
    })
    .await;
}
