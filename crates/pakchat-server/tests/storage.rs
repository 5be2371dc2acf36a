//! The storage suite, run on SQLite and on PostgreSQL alike.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use pakchat_server::db::{Db, Identity, Upserted};

fn ada(name: &str) -> Identity {
    Identity {
        issuer: "http://localhost:1".to_owned(),
        subject: "user-1".to_owned(),
        name: name.to_owned(),
        email: "ada@example.com".to_owned(),
        picture: "http://localhost:1/a.png".to_owned(),
    }
}

#[tokio::test]
async fn opening_twice_migrates_once() {
    let dbs = common::databases().await;
    for (backend, url) in &dbs.urls {
        let first = Db::open(url).await.unwrap();
        first.upsert_user(&ada("Ada"), 1).await.unwrap();
        first.close().await;
        let again = Db::open(url).await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        assert_eq!(again.user_count().await.unwrap(), 1, "{backend}: the user survived reopening");
        again.ping().await.unwrap();
        again.close().await;
    }
}

#[tokio::test]
async fn a_user_is_created_then_updated_only_when_something_changed() {
    common::on_both(|backend, db| async move {
        let (id, what) = db.upsert_user(&ada("Ada"), 1_000).await.unwrap();
        assert_eq!(what, Upserted::Created, "{backend}");
        let (same, what) = db.upsert_user(&ada("Ada"), 2_000).await.unwrap();
        assert_eq!((same.as_str(), what), (id.as_str(), Upserted::Unchanged), "{backend}");
        let stored = db.user(&id).await.unwrap().unwrap();
        assert_eq!((stored.created_ms, stored.updated_ms), (1_000, 1_000), "{backend}: nothing was written");
        assert_eq!(stored.identity, ada("Ada"));

        let (same, what) = db.upsert_user(&ada("Ada King"), 3_000).await.unwrap();
        assert_eq!((same.as_str(), what), (id.as_str(), Upserted::Updated), "{backend}");
        let stored = db.user(&id).await.unwrap().unwrap();
        assert_eq!((stored.identity.name.as_str(), stored.updated_ms), ("Ada King", 3_000), "{backend}");

        let other = Identity { subject: "user-2".to_owned(), ..ada("Grace") };
        let (id2, what) = db.upsert_user(&other, 4_000).await.unwrap();
        assert_eq!(what, Upserted::Created, "{backend}: another subject is another user");
        assert_ne!(id, id2);
        let elsewhere = Identity { issuer: "https://accounts.google.com".to_owned(), ..ada("Ada") };
        assert_eq!(db.upsert_user(&elsewhere, 5_000).await.unwrap().1, Upserted::Created, "{backend}: per issuer");
        assert_eq!(db.user_count().await.unwrap(), 3);
        assert!(db.user("no-such-id").await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn sessions_last_until_they_expire_end_or_rotate() {
    common::on_both(|backend, db| async move {
        let (ada_id, _) = db.upsert_user(&ada("Ada"), 0).await.unwrap();
        let (grace_id, _) =
            db.upsert_user(&Identity { subject: "user-2".to_owned(), ..ada("Grace") }, 0).await.unwrap();
        db.create_session("h-ada", &ada_id, "dev", 1_000, 10_000).await.unwrap();
        db.create_session("h-grace", &grace_id, "dev", 1_000, 10_000).await.unwrap();

        let s = db.session("h-ada", 5_000).await.unwrap().unwrap();
        assert_eq!((s.user_id.as_str(), s.created_ms, s.expires_ms), (ada_id.as_str(), 1_000, 10_000), "{backend}");
        assert!(db.session("h-ada", 10_000).await.unwrap().is_none(), "{backend}: expired at its time");
        assert!(db.session("unknown", 5_000).await.unwrap().is_none());

        assert!(db.rotate_session("h-ada", "h-ada-2", 6_000, 20_000).await.unwrap(), "{backend}");
        assert!(db.session("h-ada", 6_000).await.unwrap().is_none(), "{backend}: the old token ended");
        assert_eq!(db.session("h-ada-2", 15_000).await.unwrap().unwrap().user_id, ada_id);
        assert!(!db.rotate_session("h-ada", "h-ada-3", 6_000, 20_000).await.unwrap(), "{backend}: only once");
        assert!(
            !db.rotate_session("h-grace", "h-grace-2", 11_000, 20_000).await.unwrap(),
            "{backend}: not expired ones"
        );
        assert!(db.session("h-grace-2", 11_000).await.unwrap().is_none());

        assert!(db.delete_session("h-ada-2").await.unwrap());
        assert!(!db.delete_session("h-ada-2").await.unwrap(), "{backend}: already gone");
        assert!(db.session("h-ada-2", 7_000).await.unwrap().is_none());
        // Signing out one user leaves the other's sessions alone.
        db.create_session("h-grace-3", &grace_id, "dev", 12_000, 30_000).await.unwrap();
        assert!(db.session("h-grace-3", 12_000).await.unwrap().is_some(), "{backend}");
    })
    .await;
}

#[tokio::test]
async fn a_new_session_clears_that_users_expired_ones() {
    common::on_both(|backend, db| async move {
        let (id, _) = db.upsert_user(&ada("Ada"), 0).await.unwrap();
        db.create_session("old", &id, "dev", 0, 100).await.unwrap();
        db.create_session("new", &id, "dev", 200, 10_000).await.unwrap();
        // The expired one is gone from the table, not only hidden: a lookup
        // from before its expiry no longer finds it.
        assert!(db.session("old", 50).await.unwrap().is_none(), "{backend}");
        assert!(db.session("new", 300).await.unwrap().is_some(), "{backend}");
    })
    .await;
}

#[tokio::test]
async fn the_same_person_signing_in_on_many_devices_at_once_is_one_user() {
    common::on_both(|backend, db| async move {
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move { db.upsert_user(&ada("Ada"), i).await })
            })
            .collect();
        let mut ids = std::collections::BTreeSet::new();
        for t in tasks {
            ids.insert(t.await.unwrap().unwrap_or_else(|e| panic!("{backend}: {e}")).0);
        }
        assert_eq!(ids.len(), 1, "{backend}: {ids:?}");
        assert_eq!(db.user_count().await.unwrap(), 1, "{backend}");
    })
    .await;
}
