//! The store against a real Postgres: one database per test, cloned from a migrated template.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::sync::Arc;

use ishtar_domain::StoreError;
use ishtar_domain::chaperone::Verdict;
use ishtar_domain::model::{
    ActiveMarket, CapOutcome, Handle, HomeMarket, NewHeartFile, NewPersona, OwnerId, PersonaStatus,
    ResearchOptin, Tier,
};
use ishtar_domain::ports::{
    ChaperoneEntry, GeoLog, OwnerStore, PersonaStore, SettingsStore, Surface,
};
use ishtar_store_postgres::{ContactCipher, PgConfig, PgStore};
use ishtar_test_support::TestDatabase;
use time::OffsetDateTime;

async fn store(db: &TestDatabase) -> Arc<PgStore> {
    let pool = ishtar_store_postgres::connect(&PgConfig::new(db.url()))
        .await
        .unwrap();
    Arc::new(PgStore::new(pool, ContactCipher::new(&[3u8; 32])))
}

fn heart(contact: Option<&str>) -> NewHeartFile {
    NewHeartFile {
        display_name: Some("Wren".into()),
        home_market: HomeMarket::Nyc,
        active_market: ActiveMarket::Remote,
        available_for: None,
        research_optin: ResearchOptin::None,
        age_attested: true,
        contact_ref: contact.map(str::to_owned),
        heart: serde_json::json!({"about": "x"}),
        heart_hash: "h".into(),
    }
}

fn persona(handle: &str) -> NewPersona {
    persona_of(handle, None)
}

fn persona_of(handle: &str, owner: Option<OwnerId>) -> NewPersona {
    NewPersona::new(
        owner,
        Handle::parse(handle).expect("not a reserved handle"),
        "m",
        serde_json::json!({"about": "y"}),
        false,
        "other",
        "remote",
    )
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// The chaperone's log line for a persona at the door.
fn log(verdict: &Verdict) -> ChaperoneEntry {
    ChaperoneEntry::new(Surface::Heart, "persona", None, verdict, now())
}

fn allowed() -> ChaperoneEntry {
    log(&Verdict::Allow)
}

/// The chaperone's log line for a dating doc that passed.
fn doc_log() -> ChaperoneEntry {
    ChaperoneEntry::new(Surface::Heart, "heart_file", None, &Verdict::Allow, now())
}

#[tokio::test]
async fn owners_are_found_by_token_hash_only() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    let saved = s
        .create_owner(vec![1; 32], heart(None), doc_log(), now())
        .await
        .unwrap();
    assert_eq!((saved.version, saved.tier), (1, Tier::AgentRepresented));
    assert_eq!(
        s.owner_by_token(vec![1; 32]).await.unwrap(),
        Some(saved.owner_id)
    );
    assert_eq!(s.owner_by_token(vec![2; 32]).await.unwrap(), None);
    let (owner, latest) = s
        .owner_with_latest_heart(vec![1; 32])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(owner, saved.owner_id);
    let latest = latest.unwrap();
    assert_eq!(
        (latest.heart_file_id, latest.version, latest.active_market),
        (saved.heart_file_id, 1, ActiveMarket::Remote)
    );
    assert_eq!(s.owner_with_latest_heart(vec![2; 32]).await.unwrap(), None);
    // Two owners can never hold the same token hash.
    assert!(matches!(
        s.create_owner(vec![1; 32], heart(None), doc_log(), now())
            .await,
        Err(StoreError::Conflict(_))
    ));
}

#[tokio::test]
async fn concurrent_versions_are_numbered_without_gaps() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    let owner = s
        .create_owner(vec![1; 32], heart(None), doc_log(), now())
        .await
        .unwrap()
        .owner_id;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                s.add_heart_version(owner, heart(None), doc_log(), now())
                    .await
                    .unwrap()
                    .version
            })
        })
        .collect();
    let mut versions = Vec::new();
    for t in tasks {
        versions.push(t.await.unwrap());
    }
    versions.sort_unstable();
    assert_eq!(versions, (2..=21).collect::<Vec<_>>());
    let (found, latest) = s
        .owner_with_latest_heart(vec![1; 32])
        .await
        .unwrap()
        .unwrap();
    let latest = latest.unwrap();
    assert_eq!(
        (found, latest.version, latest.home_market),
        (owner, 21, HomeMarket::Nyc)
    );
    assert!(matches!(
        s.add_heart_version(OwnerId(999), heart(None), doc_log(), now())
            .await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn the_contact_ref_column_holds_no_plaintext() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    s.create_owner(
        vec![1; 32],
        heart(Some("signal:+15550001111")),
        doc_log(),
        now(),
    )
    .await
    .unwrap();
    let raw = db
        .scalar("SELECT encode(contact_ref_enc, 'hex') FROM heart_files")
        .await
        .unwrap();
    let plaintext_hex: String = "15550001111".bytes().map(|b| format!("{b:02x}")).collect();
    assert!(!raw.contains(&plaintext_hex));
    let cipher = ContactCipher::new(&[3u8; 32]);
    let bytes: Vec<u8> = (0..raw.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&raw[i..i + 2], 16).unwrap())
        .collect();
    assert_eq!(cipher.open(&bytes).unwrap(), "signal:+15550001111");
}

#[tokio::test]
async fn the_cap_is_atomic_under_concurrency() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    let ids = pending(&s, "p", 60).await;
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| {
            let (s, id) = (s.clone(), *id);
            tokio::spawn(async move { s.admit_within_cap(id, 25, now()).await.unwrap() })
        })
        .collect();
    let mut admitted = 0;
    for t in tasks {
        if t.await.unwrap() == CapOutcome::Admitted {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 25);
    assert_eq!(
        db.count("SELECT count(*) FROM personas WHERE status = 'admitted'")
            .await,
        25
    );
    assert_eq!(db.count("SELECT admitted FROM capacity").await, 25);
    // Asking again for an admitted persona takes no second slot.
    let first_admitted = db
        .count("SELECT min(id) FROM personas WHERE status = 'admitted'")
        .await;
    assert_eq!(
        s.admit_within_cap(ishtar_domain::model::PersonaId(first_admitted), 100, now())
            .await
            .unwrap(),
        CapOutcome::Admitted
    );
    assert_eq!(db.count("SELECT admitted FROM capacity").await, 25);
}

#[tokio::test]
async fn new_personas_take_a_slot_in_the_same_write_atomically() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                s.insert_persona(
                    persona(&format!("n{i}")),
                    PersonaStatus::Pending,
                    allowed(),
                    Some(25),
                )
                .await
                .unwrap()
            })
        })
        .collect();
    let mut by_status = std::collections::HashMap::new();
    for t in tasks {
        let (_, status) = t.await.unwrap();
        *by_status.entry(status).or_insert(0) += 1;
    }
    assert_eq!(by_status[&PersonaStatus::Admitted], 25);
    assert_eq!(by_status[&PersonaStatus::Pending], 35);
    assert_eq!(db.count("SELECT admitted FROM capacity").await, 25);
    assert_eq!(
        db.count("SELECT count(*) FROM personas WHERE status = 'admitted' AND reason = 'admitted' AND admitted_at IS NOT NULL")
            .await,
        25
    );
    assert_eq!(
        db.count("SELECT count(*) FROM personas WHERE status = 'pending' AND reason = 'allowed' AND admitted_at IS NULL")
            .await,
        35
    );
    // Every persona has exactly one log line, pointing at it, without its text.
    assert_eq!(
        db.count(
            "SELECT count(*) FROM chaperone_log l JOIN personas p ON p.id = l.target_id \
             WHERE l.surface = 'heart' AND l.target_type = 'persona' AND l.verdict = 'allow'"
        )
        .await,
        60
    );
    assert_eq!(db.count("SELECT count(*) FROM chaperone_log").await, 60);
}

/// Stores `n` allowed personas one by one without asking for slots: all wait `pending`.
async fn pending(s: &PgStore, prefix: &str, n: usize) -> Vec<ishtar_domain::model::PersonaId> {
    let mut ids = Vec::new();
    for i in 0..n {
        let (id, status) = s
            .insert_persona(
                persona(&format!("{prefix}{i}")),
                PersonaStatus::Pending,
                allowed(),
                None,
            )
            .await
            .unwrap();
        assert_eq!(status, PersonaStatus::Pending);
        ids.push(id);
    }
    ids
}

/// Submits `jobs` concurrently, so they reach the door together (group admission).
async fn together(
    s: &Arc<PgStore>,
    jobs: Vec<(NewPersona, PersonaStatus, ChaperoneEntry, Option<u32>)>,
) -> Vec<Result<(ishtar_domain::model::PersonaId, PersonaStatus), StoreError>> {
    let tasks: Vec<_> = jobs
        .into_iter()
        .map(|(p, status, log, cap)| {
            let s = s.clone();
            tokio::spawn(async move { s.insert_persona(p, status, log, cap).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test]
async fn personas_arriving_together_share_one_write_and_the_cap() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    let jobs = (0..40)
        .map(|i| {
            (
                persona(&format!("g{i}")),
                PersonaStatus::Pending,
                allowed(),
                Some(25),
            )
        })
        .collect();
    let out = together(&s, jobs).await;
    // Slots go in arrival order: the first 25 are admitted, the rest wait.
    let statuses: Vec<_> = out.iter().map(|r| r.as_ref().unwrap().1).collect();
    assert_eq!(statuses[..25], [PersonaStatus::Admitted; 25]);
    assert_eq!(statuses[25..], [PersonaStatus::Pending; 15]);
    assert_eq!(db.count("SELECT admitted FROM capacity").await, 25);
    assert_eq!(db.count("SELECT count(*) FROM chaperone_log").await, 40);
    // Rows written by one statement share a transaction id: the group was written together.
    let writes = db
        .count("SELECT count(DISTINCT xmin::text) FROM personas")
        .await;
    assert!(writes < 40, "{writes} transactions for 40 personas");
}

#[tokio::test]
async fn one_handle_twice_in_a_group_is_written_once() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    let jobs = ["Wren", "wren", "WREN", "wReN", "Wren"]
        .into_iter()
        .map(|h| (persona(h), PersonaStatus::Pending, allowed(), Some(10)))
        .collect();
    let out = together(&s, jobs).await;
    assert_eq!(out.iter().filter(|r| r.is_ok()).count(), 1, "{out:?}");
    assert!(
        out.iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(StoreError::Conflict("handle"))))
    );
    assert_eq!(db.count("SELECT admitted FROM capacity").await, 1);
    assert_eq!(db.count("SELECT count(*) FROM chaperone_log").await, 1);
}

#[tokio::test]
async fn a_group_mixes_verdicts_and_only_allowed_personas_take_slots() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    let hold = Verdict::Hold("guard_unavailable: x".into());
    let deny = Verdict::Deny("pii: email".into());
    let mut jobs = vec![
        (persona("held"), PersonaStatus::Held, log(&hold), None),
        (persona("denied"), PersonaStatus::Denied, log(&deny), None),
    ];
    jobs.extend((0..4).map(|i| {
        (
            persona(&format!("ok{i}")),
            PersonaStatus::Pending,
            allowed(),
            Some(2),
        )
    }));
    let out = together(&s, jobs).await;
    let statuses: Vec<_> = out.iter().map(|r| r.as_ref().unwrap().1).collect();
    assert_eq!(
        statuses,
        [
            PersonaStatus::Held,
            PersonaStatus::Denied,
            PersonaStatus::Admitted,
            PersonaStatus::Admitted,
            PersonaStatus::Pending,
            PersonaStatus::Pending,
        ]
    );
    assert_eq!(db.count("SELECT admitted FROM capacity").await, 2);
    assert_eq!(
        db.scalar("SELECT string_agg(p.handle || ':' || l.verdict, ',' ORDER BY p.id) FROM personas p JOIN chaperone_log l ON l.target_id = p.id")
            .await
            .unwrap(),
        "held:hold,denied:deny,ok0:allow,ok1:allow,ok2:allow,ok3:allow"
    );
}

#[tokio::test]
async fn one_failing_persona_does_not_fail_the_others_in_its_group() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    // An owner that does not exist (say, erased a moment ago) breaks its own row only.
    let orphan = persona_of("orphan", Some(OwnerId(999_999)));
    let mut jobs: Vec<_> = (0..6)
        .map(|i| {
            (
                persona(&format!("f{i}")),
                PersonaStatus::Pending,
                allowed(),
                Some(10),
            )
        })
        .collect();
    jobs.insert(3, (orphan, PersonaStatus::Pending, allowed(), Some(10)));
    let out = together(&s, jobs).await;
    assert!(
        matches!(out[3], Err(StoreError::Unavailable(_))),
        "{:?}",
        out[3]
    );
    for (i, r) in out.iter().enumerate().filter(|(i, _)| *i != 3) {
        assert_eq!(
            r.as_ref().unwrap().1,
            PersonaStatus::Admitted,
            "persona {i}"
        );
    }
    assert_eq!(db.count("SELECT admitted FROM capacity").await, 6);
    assert_eq!(db.count("SELECT count(*) FROM personas").await, 6);
}

#[tokio::test]
async fn two_processes_admitting_at_once_share_the_cap_exactly() {
    let db = TestDatabase::new().await;
    // Two stores are two queues, as two venue processes would have.
    let (a, b) = (store(&db).await, store(&db).await);
    let jobs = |prefix: &str| {
        (0..30)
            .map(|i| {
                (
                    persona(&format!("{prefix}{i}")),
                    PersonaStatus::Pending,
                    allowed(),
                    Some(25),
                )
            })
            .collect::<Vec<_>>()
    };
    let (out_a, out_b) = tokio::join!(together(&a, jobs("a")), together(&b, jobs("b")));
    let admitted = out_a
        .iter()
        .chain(&out_b)
        .filter(|r| r.as_ref().unwrap().1 == PersonaStatus::Admitted)
        .count();
    assert_eq!(admitted, 25);
    assert_eq!(db.count("SELECT admitted FROM capacity").await, 25);
    assert_eq!(
        db.count("SELECT count(*) FROM personas WHERE status = 'admitted'")
            .await,
        25
    );
    assert_eq!(db.count("SELECT count(*) FROM personas").await, 60);
}

#[tokio::test]
async fn the_door_and_the_beat_admitting_at_once_share_the_cap_exactly() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    let waiting = pending(&s, "w", 20).await;
    let beat: Vec<_> = waiting
        .into_iter()
        .map(|id| {
            let s = s.clone();
            tokio::spawn(async move { s.admit_within_cap(id, 25, now()).await.unwrap() })
        })
        .collect();
    let jobs = (0..20)
        .map(|i| {
            (
                persona(&format!("d{i}")),
                PersonaStatus::Pending,
                allowed(),
                Some(25),
            )
        })
        .collect();
    let door = together(&s, jobs).await;
    for t in beat {
        t.await.unwrap();
    }
    assert!(door.iter().all(Result::is_ok));
    assert_eq!(db.count("SELECT admitted FROM capacity").await, 25);
    assert_eq!(
        db.count("SELECT count(*) FROM personas WHERE status = 'admitted'")
            .await,
        25
    );
}

#[tokio::test]
async fn handles_equal_to_postgres_are_one_handle_within_a_group() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    // Rust lower-cases "ΑΣ" to "ας" (final sigma) and "ασ" stays "ασ": the queue sees two
    // handles and may put them in one group. Postgres's lower() decides.
    let same = db
        .scalar("SELECT (lower('ΑΣ') = lower('ασ'))::text")
        .await
        .unwrap()
        == "true";
    let jobs = ["ΑΣ", "ασ", "b"]
        .into_iter()
        .map(|h| (persona(h), PersonaStatus::Pending, allowed(), Some(2)))
        .collect();
    let out = together(&s, jobs).await;
    assert_eq!(out[0].as_ref().unwrap().1, PersonaStatus::Admitted);
    if same {
        assert!(
            matches!(out[1], Err(StoreError::Conflict("handle"))),
            "{:?}",
            out[1]
        );
        // The refused one took no place in the slot queue: "b" gets the second slot.
        assert_eq!(out[2].as_ref().unwrap().1, PersonaStatus::Admitted);
        assert_eq!(db.count("SELECT admitted FROM capacity").await, 2);
    } else {
        assert_eq!(out[1].as_ref().unwrap().1, PersonaStatus::Admitted);
        assert_eq!(out[2].as_ref().unwrap().1, PersonaStatus::Pending);
    }
}

#[tokio::test]
async fn held_or_denied_personas_never_take_a_slot() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    let hold = Verdict::Hold("guard_unavailable: x".into());
    let (held, status) = s
        .insert_persona(persona("h"), PersonaStatus::Held, log(&hold), None)
        .await
        .unwrap();
    assert_eq!(status, PersonaStatus::Held);
    let deny = Verdict::Deny("pii: email".into());
    let (denied, status) = s
        .insert_persona(persona("d"), PersonaStatus::Denied, log(&deny), Some(10))
        .await
        .unwrap();
    assert_eq!(
        status,
        PersonaStatus::Denied,
        "a slot is for pending personas only"
    );
    assert_eq!(
        s.admit_within_cap(held, 10, now()).await.unwrap(),
        CapOutcome::Full
    );
    assert_eq!(
        s.admit_within_cap(denied, 10, now()).await.unwrap(),
        CapOutcome::Full
    );
    assert_eq!(db.count("SELECT admitted FROM capacity").await, 0);
    assert_eq!(
        db.scalar(
            "SELECT string_agg(verdict || '/' || reason, ',' ORDER BY id) FROM chaperone_log"
        )
        .await
        .unwrap(),
        "hold/guard_unavailable: x,deny/pii: email"
    );
}

#[tokio::test]
async fn handles_conflict_case_insensitively_and_a_refused_write_takes_no_slot() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    let (_, status) = s
        .insert_persona(persona("Wren"), PersonaStatus::Pending, allowed(), Some(5))
        .await
        .unwrap();
    assert_eq!(status, PersonaStatus::Admitted);
    assert!(matches!(
        s.insert_persona(persona("WREN"), PersonaStatus::Pending, allowed(), Some(5))
            .await,
        Err(StoreError::Conflict("handle"))
    ));
    assert_eq!(db.count("SELECT admitted FROM capacity").await, 1);
    assert_eq!(db.count("SELECT count(*) FROM chaperone_log").await, 1);
}

#[tokio::test]
async fn settings_upsert_and_geo_counts_accumulate() {
    let db = TestDatabase::new().await;
    let s = store(&db).await;
    s.put("cap", "5").await.unwrap();
    s.put("cap", "6").await.unwrap();
    s.put("mode", "open").await.unwrap();
    assert_eq!(
        s.all().await.unwrap(),
        vec![("cap".into(), "6".into()), ("mode".into(), "open".into())]
    );
    let day = now().date();
    for _ in 0..3 {
        s.count_denial(day, "KP".into()).await.unwrap();
    }
    assert_eq!(
        db.count("SELECT count FROM geo_denials WHERE country = 'KP'")
            .await,
        3
    );
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable_not_a_panic() {
    let mut cfg = PgConfig::new("postgres://postgres@127.0.0.1:1/nope");
    cfg.connect_timeout = std::time::Duration::from_millis(500);
    let Err(err) = ishtar_store_postgres::connect(&cfg).await else {
        panic!("connected to port 1")
    };
    assert!(
        err.to_string()
            .starts_with("cannot reach the database server"),
        "{err}"
    );
    let err = ishtar_store_postgres::ensure_database(
        "postgres://postgres@127.0.0.1:1/nope",
        std::time::Duration::from_secs(2),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
}
