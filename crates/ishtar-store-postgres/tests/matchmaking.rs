//! The beat's store operations against a real Postgres (issue 10): who is eligible, which
//! doc version is the profile, set-wise writes that never duplicate, bulk seeding.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::sync::Arc;

use ishtar_domain::chaperone::Verdict;

use ishtar_domain::model::{CoupleId, PersonaId};
use ishtar_domain::ports::{ChaperoneEntry, Surface};
use ishtar_domain::ports::{MatchStore, NewCouple};
use ishtar_store_postgres::{ContactCipher, PgConfig, PgStore, SeedOwner, SeedPersona};
use ishtar_test_support::TestDatabase;
use serde_json::json;
use time::OffsetDateTime;

async fn store(db: &TestDatabase) -> Arc<PgStore> {
    let pool = ishtar_store_postgres::connect(&PgConfig::new(db.url()))
        .await
        .unwrap();
    Arc::new(PgStore::new(pool, ContactCipher::new(&[3u8; 32])))
}

fn owner(i: u8, handles: &[&str]) -> SeedOwner {
    let doc = json!({"about": format!("doc {i}"), "prefs": {"self": {"gender": "woman"}}});
    SeedOwner {
        token_hash: vec![i; 32],
        doc_hash: format!("doc-{i}"),
        doc,
        home_market: "nyc".into(),
        active_market: "nyc".into(),
        personas: handles
            .iter()
            .map(|h| SeedPersona {
                handle: (*h).into(),
                heart: json!({"about": format!("heart of {h}")}),
                heart_hash: format!("heart-{h}"),
                redteam: false,
            })
            .collect(),
    }
}

async fn ids(db: &TestDatabase, handles: &str) -> Vec<i64> {
    let raw = db
        .scalar(&format!(
            "SELECT string_agg(id::text, ',' ORDER BY handle) FROM personas WHERE handle IN ({handles})"
        ))
        .await
        .unwrap();
    raw.split(',').map(|s| s.parse().unwrap()).collect()
}

fn couple(id: i64, a: i64, b: i64) -> NewCouple {
    NewCouple {
        id: CoupleId(id),
        a: PersonaId(a),
        b: PersonaId(b),
        similarity: Some(0.9),
        gambit: "hello".into(),
        gambit_log: Some(ChaperoneEntry::new(
            Surface::Gambit,
            "couple",
            Some(id),
            &Verdict::Allow,
            OffsetDateTime::now_utc(),
        )),
        board_line: "A new couple formed.".into(),
        events: [
            (PersonaId(a), json!({"type": "couple.formed"})),
            (PersonaId(b), json!({"type": "couple.formed"})),
        ],
    }
}

async fn rows(db: &TestDatabase) -> Vec<i64> {
    let mut out = Vec::new();
    for t in [
        "couples",
        "turns",
        "board_posts",
        "chaperone_log WHERE surface = 'gambit'",
    ] {
        out.push(db.count(&format!("SELECT count(*) FROM {t}")).await);
    }
    out
}

#[tokio::test]
async fn seeding_writes_eligible_daters_and_counts_them_under_the_cap() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    let n = s
        .seed(
            vec![owner(1, &["a"]), owner(2, &["b", "c"])],
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(s.admitted_count().await.unwrap(), 3);
    let eligible = s.eligible_personas().await.unwrap();
    assert_eq!(eligible.len(), 3);
    let b = eligible.iter().find(|e| e.handle == "b").unwrap();
    assert_eq!(b.doc_hash.as_deref(), Some("doc-2"));
    assert_eq!(b.doc_prefs, Some(json!({"self": {"gender": "woman"}})));
    assert_eq!(b.own_prefs, None);
}

#[tokio::test]
async fn only_personas_someone_can_court_for_are_eligible() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    s.seed(
        vec![
            owner(1, &["ok"]),
            owner(2, &["unverified"]),
            owner(3, &["orphan"]),
            owner(4, &["pending"]),
        ],
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    db.exec("UPDATE agent_endpoints SET status = 'pending' WHERE owner_id = (SELECT owner_id FROM personas WHERE handle = 'unverified')").await;
    db.exec("UPDATE personas SET owner_id = NULL WHERE handle = 'orphan'")
        .await;
    db.exec("UPDATE personas SET status = 'pending' WHERE handle = 'pending'")
        .await;
    let handles: Vec<String> = s
        .eligible_personas()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.handle)
        .collect();
    assert_eq!(handles, vec!["ok"]);
}

#[tokio::test]
async fn a_couple_in_play_makes_both_ineligible_and_an_ended_one_frees_them() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    s.seed(
        vec![owner(1, &["a"]), owner(2, &["b"]), owner(3, &["c"])],
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    let v = ids(&db, "'a','b'").await;
    let id = s.reserve_couple_ids(1).await.unwrap()[0];
    s.write_beat(
        uuid_text(),
        vec![couple(id.0, v[0], v[1])],
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    for state in ["courting", "committed", "brokered"] {
        db.exec(&format!("UPDATE couples SET state = '{state}'"))
            .await;
        let left: Vec<String> = s
            .eligible_personas()
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.handle)
            .collect();
        assert_eq!(left, vec!["c"], "{state}");
    }
    db.exec("UPDATE couples SET state = 'ended'").await;
    assert_eq!(s.eligible_personas().await.unwrap().len(), 3);
    assert_eq!(s.past_pairs().await.unwrap().len(), 1);
}

fn uuid_text() -> String {
    "00000000-0000-4000-8000-000000000001".into()
}

#[tokio::test]
async fn writing_a_pair_again_duplicates_nothing() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    s.seed(
        vec![
            owner(1, &["a"]),
            owner(2, &["b"]),
            owner(3, &["c"]),
            owner(4, &["d"]),
        ],
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    let v = ids(&db, "'a','b','c','d'").await;
    let first = s.reserve_couple_ids(2).await.unwrap();
    let written = s
        .write_beat(
            uuid_text(),
            vec![
                couple(first[0].0, v[0], v[1]),
                couple(first[1].0, v[2], v[3]),
            ],
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(written.created, first);
    let before = rows(&db).await;
    assert_eq!(before, vec![2, 2, 2, 2]);
    // A beat that ran again over the same pairs (after a crash, say), one of them the
    // other way round: nothing is created and no row is added.
    let again = s.reserve_couple_ids(2).await.unwrap();
    let written = s
        .write_beat(
            uuid_text(),
            vec![
                couple(again[0].0, v[1], v[0]),
                couple(again[1].0, v[2], v[3]),
            ],
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert!(written.created.is_empty());
    assert_eq!(rows(&db).await, before);
}

#[tokio::test]
async fn the_profile_is_the_latest_allowed_doc_version() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    s.seed(vec![owner(1, &["a"])], OffsetDateTime::now_utc())
        .await
        .unwrap();
    // Version 2 was denied, version 3 is held: version 1 stays the profile.
    db.exec(
        "INSERT INTO heart_files (owner_id, version, home_market, active_market, research_optin, \
         age_attested, heart, heart_hash, created_at, status, reason) \
         SELECT owner_id, v, 'nyc', 'nyc', 'none', TRUE, jsonb_build_object('about', 'v' || v), \
         'doc-v' || v, now(), s, s FROM heart_files, \
         (VALUES (2, 'denied'), (3, 'held')) AS t(v, s)",
    )
    .await;
    let v = ids(&db, "'a'").await;
    let src = s.profile_sources(vec![PersonaId(v[0])]).await.unwrap();
    assert_eq!(
        src[0].doc,
        Some(json!({"about": "doc 1", "prefs": {"self": {"gender": "woman"}}}))
    );
    assert_eq!(
        s.eligible_personas().await.unwrap()[0].doc_hash.as_deref(),
        Some("doc-1")
    );
    let held = s.held_docs(10).await.unwrap();
    assert_eq!(held.len(), 1);
    let log = ChaperoneEntry::new(
        Surface::Heart,
        "heart_file",
        Some(held[0].id.0),
        &Verdict::Allow,
        OffsetDateTime::now_utc(),
    );
    s.resolve_held_doc(held[0].id, true, log).await.unwrap();
    assert_eq!(
        s.eligible_personas().await.unwrap()[0].doc_hash.as_deref(),
        Some("doc-v3")
    );
}

#[tokio::test]
async fn a_held_verdict_applies_only_to_the_heart_that_was_screened() {
    use ishtar_domain::model::PersonaStatus;
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    s.seed(vec![owner(1, &["h"])], OffsetDateTime::now_utc())
        .await
        .unwrap();
    db.exec("UPDATE personas SET status = 'held'").await;
    let held = s.held_personas(10).await.unwrap();
    assert_eq!(held[0].heart_hash, "heart-h");
    // The owner edits the heart while the guard is being asked about the old one.
    db.exec("UPDATE personas SET heart_hash = 'heart-h2'").await;
    let moved = s
        .resolve_held(
            held[0].id,
            held[0].heart_hash.clone(),
            PersonaStatus::Pending,
            "allowed".into(),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert!(!moved, "the old verdict does not admit the new text");
    assert_eq!(
        db.scalar("SELECT status FROM personas").await.as_deref(),
        Some("held")
    );
    let moved = s
        .resolve_held(
            held[0].id,
            "heart-h2".into(),
            PersonaStatus::Pending,
            "allowed".into(),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert!(moved);
}
