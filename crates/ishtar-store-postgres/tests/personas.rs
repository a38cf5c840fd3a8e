//! The persona lifecycle's store (issue 12) against a real Postgres: edits move a persona
//! and its cap place together, withdrawals end its couples and free its place, and neither
//! ever lets the `capacity` count drift from the admitted personas, also under concurrency.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::sync::Arc;

use ishtar_domain::chaperone::Verdict;

use ishtar_domain::model::{
    CapOutcome, CoupleId, Handle, NewPersona, OwnerId, PersonaId, PersonaStatus,
};
use ishtar_domain::ports::{ChaperoneEntry, Surface};
use ishtar_domain::ports::{PersonaLifecycleStore, PersonaStore, Revision};
use ishtar_store_postgres::{ContactCipher, PgConfig, PgStore};
use ishtar_test_support::TestDatabase;
use time::OffsetDateTime;

async fn store(db: &TestDatabase) -> Arc<PgStore> {
    let pool = ishtar_store_postgres::connect(&PgConfig::new(db.url()))
        .await
        .unwrap();
    Arc::new(PgStore::new(pool, ContactCipher::new(&[3u8; 32])))
}

/// Owner 1 (and 2), and personas `handles` of owner 1 in `status`, ids from 1; the
/// `capacity` row counts the admitted ones.
async fn seed(db: &TestDatabase, personas: &[(&str, &str)]) {
    db.exec(
        "INSERT INTO owners (token_hash, created_at) VALUES \
         ('\\x01', now()), ('\\x02', now())",
    )
    .await;
    for (handle, status) in personas {
        db.exec(&format!(
            "INSERT INTO personas (owner_id, handle, model, heart, heart_hash, home_market, \
             active_market, status, reason, created_at, admitted_at) VALUES (1, '{handle}', 'm', \
             '{{\"about\": \"old\"}}', 'old', 'nyc', 'nyc', '{status}', '{status}', now(), \
             CASE WHEN '{status}' = 'admitted' THEN now() END)"
        ))
        .await;
    }
    db.exec(
        "UPDATE capacity SET admitted = \
         (SELECT count(*) FROM personas WHERE status = 'admitted')",
    )
    .await;
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn revision(id: i64, allowed: bool, cap: u32) -> Revision {
    let verdict = if allowed {
        Verdict::Allow
    } else {
        Verdict::Hold("guard_unavailable: down".into())
    };
    Revision {
        id: PersonaId(id),
        owner: OwnerId(1),
        from: vec![
            PersonaStatus::Admitted,
            PersonaStatus::Pending,
            PersonaStatus::Held,
            PersonaStatus::Denied,
        ],
        persona: NewPersona::new(
            Some(OwnerId(1)),
            Handle::parse("ignored").unwrap(),
            "new-model",
            serde_json::json!({"about": "new"}),
            false,
            "bay_area",
            "remote",
        ),
        allowed,
        reason: verdict.reason().to_owned(),
        log: Some(ChaperoneEntry::new(
            Surface::Heart,
            "persona",
            Some(id),
            &verdict,
            now(),
        )),
        cap,
        at: now(),
    }
}

async fn status(db: &TestDatabase, id: i64) -> String {
    db.scalar(&format!("SELECT status FROM personas WHERE id = {id}"))
        .await
        .unwrap()
}

async fn admitted(db: &TestDatabase) -> i64 {
    db.count("SELECT admitted FROM capacity").await
}

#[tokio::test]
async fn an_allowed_edit_of_a_denied_persona_takes_a_free_place() {
    let db = TestDatabase::new().await;
    seed(&db, &[("wren", "denied"), ("ada", "denied")]).await;
    let s = store(&db).await;
    assert_eq!(
        s.revise(revision(1, true, 1)).await.unwrap(),
        Some(PersonaStatus::Admitted)
    );
    assert_eq!(admitted(&db).await, 1);
    assert_eq!(
        db.scalar(
            "SELECT concat_ws(',', handle, model, heart->>'about', heart_hash, home_market, \
             reason, admitted_at IS NOT NULL) FROM personas WHERE id = 1"
        )
        .await
        .unwrap(),
        format!(
            "wren,new-model,new,{},bay_area,admitted,t",
            ishtar_domain::intake::heart_hash(&serde_json::json!({"about": "new"}))
        )
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM chaperone_log WHERE target_type = 'persona' AND target_id = 1"
        )
        .await,
        1
    );
    // The venue is full now: the next one waits pending, holding nothing.
    assert_eq!(
        s.revise(revision(2, true, 1)).await.unwrap(),
        Some(PersonaStatus::Pending)
    );
    assert_eq!(admitted(&db).await, 1);
    assert_eq!(status(&db, 2).await, "pending");
}

#[tokio::test]
async fn an_admitted_persona_keeps_its_place_or_gives_it_back_on_a_hold() {
    let db = TestDatabase::new().await;
    seed(&db, &[("wren", "admitted")]).await;
    let s = store(&db).await;
    // Allowed: still admitted, no second place, even with the cap reached.
    assert_eq!(
        s.revise(revision(1, true, 1)).await.unwrap(),
        Some(PersonaStatus::Admitted)
    );
    assert_eq!(admitted(&db).await, 1);
    // Held: the place goes back, the new text waits for the beat.
    assert_eq!(
        s.revise(revision(1, false, 1)).await.unwrap(),
        Some(PersonaStatus::Held)
    );
    assert_eq!(admitted(&db).await, 0);
    assert_eq!(
        db.scalar("SELECT concat_ws(',', status, reason, admitted_at IS NULL) FROM personas")
            .await
            .unwrap(),
        "held,guard_unavailable: down,t"
    );
}

#[tokio::test]
async fn a_revision_applies_only_to_its_owners_persona_in_an_expected_status() {
    let db = TestDatabase::new().await;
    seed(&db, &[("wren", "retired"), ("ada", "admitted")]).await;
    let s = store(&db).await;
    // Retired is not among `from`.
    assert_eq!(s.revise(revision(1, true, 9)).await.unwrap(), None);
    // Another owner.
    let theirs = Revision {
        owner: OwnerId(2),
        ..revision(2, true, 9)
    };
    assert_eq!(s.revise(theirs).await.unwrap(), None);
    assert_eq!(s.revise(revision(99, true, 9)).await.unwrap(), None);
    assert_eq!(
        db.count("SELECT count(*) FROM personas WHERE model = 'new-model'")
            .await,
        0
    );
    assert_eq!(db.count("SELECT count(*) FROM chaperone_log").await, 0);
}

#[tokio::test]
async fn personas_are_found_by_id_and_by_handle_whatever_the_case() {
    let db = TestDatabase::new().await;
    seed(&db, &[("Wren", "denied")]).await;
    let s = store(&db).await;
    let by_handle = s.persona_by_handle("wREN".into()).await.unwrap().unwrap();
    assert_eq!(
        (by_handle.id, by_handle.owner, by_handle.status),
        (PersonaId(1), Some(OwnerId(1)), PersonaStatus::Denied)
    );
    assert_eq!(s.persona(PersonaId(1)).await.unwrap(), Some(by_handle));
    assert_eq!(s.persona_by_handle("nobody".into()).await.unwrap(), None);
}

#[tokio::test]
async fn withdrawing_ends_live_couples_and_frees_the_place_once() {
    let db = TestDatabase::new().await;
    seed(
        &db,
        &[
            ("wren", "admitted"),
            ("ada", "admitted"),
            ("bo", "admitted"),
            ("cy", "admitted"),
        ],
    )
    .await;
    db.exec(
        "INSERT INTO couples (id, persona_a, persona_b, state, created_at) VALUES \
         (10, 1, 2, 'courting', now()), (11, 1, 3, 'ended', now()), \
         (12, 1, 4, 'committed', now()), (13, 2, 3, 'courting', now())",
    )
    .await;
    let s = store(&db).await;
    // Not the owner's: nothing happens.
    assert_eq!(
        s.retire(PersonaId(1), OwnerId(2), now()).await.unwrap(),
        None
    );
    let r = s
        .retire(PersonaId(1), OwnerId(1), now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.was, PersonaStatus::Admitted);
    let ended: Vec<(CoupleId, PersonaId)> = r.ended.iter().map(|e| (e.couple, e.partner)).collect();
    assert_eq!(
        ended,
        [(CoupleId(10), PersonaId(2)), (CoupleId(12), PersonaId(4))]
    );
    assert_eq!(
        db.scalar(
            "SELECT string_agg(concat_ws(':', id, state, ended_by), ',' ORDER BY id) FROM couples"
        )
        .await
        .unwrap(),
        "10:ended:1,11:ended,12:ended:1,13:courting"
    );
    assert_eq!(status(&db, 1).await, "retired");
    assert_eq!(admitted(&db).await, 3);
    // Again: nothing more ends, no second place is freed.
    let again = s
        .retire(PersonaId(1), OwnerId(1), now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.was, again.ended.len()), (PersonaStatus::Retired, 0));
    assert_eq!(admitted(&db).await, 3);
}

#[tokio::test]
async fn withdrawals_edits_and_the_beats_admissions_never_lose_count_of_places() {
    let db = TestDatabase::new().await;
    // 1–10 admitted, 11–20 pending, 21–30 denied; cap 12.
    let mut rows = Vec::new();
    for i in 1..=30 {
        let status = match i {
            1..=10 => "admitted",
            11..=20 => "pending",
            _ => "denied",
        };
        rows.push((format!("p{i}"), status));
    }
    let rows: Vec<(&str, &str)> = rows.iter().map(|(h, s)| (h.as_str(), *s)).collect();
    seed(&db, &rows).await;
    let s = store(&db).await;
    let mut tasks = Vec::new();
    for i in 1..=30i64 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            match i {
                // Withdrawals of admitted and of pending personas.
                1..=5 | 11..=13 => {
                    s.retire(PersonaId(i), OwnerId(1), now()).await.unwrap();
                }
                // The beat admitting pending personas (some being withdrawn meanwhile).
                14..=20 => {
                    let _: CapOutcome = s.admit_within_cap(PersonaId(i), 12, now()).await.unwrap();
                }
                // Holds of admitted personas, fixes of denied ones.
                6..=8 => {
                    s.revise(revision(i, false, 12)).await.unwrap();
                }
                _ => {
                    s.revise(revision(i, true, 12)).await.unwrap();
                }
            }
        }));
    }
    // The beat also reaches for the pending personas being withdrawn.
    for i in 11..=13i64 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let _: CapOutcome = s.admit_within_cap(PersonaId(i), 12, now()).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let real = db
        .count("SELECT count(*) FROM personas WHERE status = 'admitted'")
        .await;
    assert_eq!(admitted(&db).await, real);
    assert!(real <= 12, "{real} admitted over a cap of 12");
}
