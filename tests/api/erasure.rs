//! Erasure (`DELETE /api/owners/me`, docs/rules.md#erasure, docs/erasure.md): everything of the
//! owner's goes, found by id; nobody else's text changes by a byte; partners hear that
//! their couples ended.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use ishtar_test_support::{AgentBehaviour, FakeAgent, TestDatabase};

use crate::helpers::{Dater, Setup, TestApp, parts, spawn_app, spawn_app_with};

fn heart(about: &str) -> Value {
    json!({"about": about})
}

const BAKER: &str =
    "I bake sourdough bread every weekend and love flour, starters and crusty loaves.";
const SAILOR: &str = "Sailing, knots, tides and salty air; I crew a small boat every summer.";

impl TestApp {
    async fn erase(&self, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.client.delete(self.url("/api/owners/me"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        parts(req.send().await.unwrap()).await
    }

    async fn turn(&self, couple: i64, d: &Dater, body: &str) {
        let (status, r) = self
            .post(
                &format!("/api/couples/{couple}/turns"),
                &json!({ "body": body }),
                Some(&d.token),
            )
            .await;
        assert_eq!(
            (status.as_u16(), &r["status"]),
            (200, &json!("published")),
            "{r}"
        );
    }
}

/// Two daters with similar hearts, paired by a beat (nobody else is free to pair).
async fn pair(
    app: &TestApp,
    (a, b): (&str, &str),
    about: &str,
    callbacks: (Option<&str>, Option<&str>),
) -> (Dater, Dater, i64) {
    let x = app.dater(a, heart(about), callbacks.0).await;
    let y = app
        .dater(b, heart(&format!("{about} Truly.")), callbacks.1)
        .await;
    let (status, body) = app.beat().await;
    assert_eq!(
        (status.as_u16(), &body["created"]),
        (200, &json!(1)),
        "{body}"
    );
    let couple = app.first_couple(&x).await;
    assert_eq!(app.first_couple(&y).await, couple);
    (x, y, couple)
}

/// The beat writes the matchmaker's line about `couple` with the couple's id, so erasure
/// finds it by id (docs/erasure.md).
async fn tag_board_line(db: &TestDatabase, couple: i64) {
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) FROM board_posts WHERE board = 'notifications' \
             AND handle = 'matchmaker' AND couple_id = {couple}"
        ))
        .await,
        1,
        "the beat's board line carries couple {couple}"
    );
}

/// Every column of every row of turns, board posts, reports and orders that is not the
/// erased owner's (`owner`, persona `persona`, couple `couple`), one JSON row per line.
async fn others_rows(db: &TestDatabase, owner: i64, persona: i64, couple: i64) -> String {
    db.scalar(&format!(
        "SELECT string_agg(line, E'\\n' ORDER BY line) FROM ( \
           SELECT 'turn ' || to_jsonb(t)::text AS line FROM turns t \
             WHERE author_persona_id IS DISTINCT FROM {persona} \
               AND NOT (couple_id = {couple} AND author = 'matchmaker' AND author_persona_id IS NULL) \
           UNION ALL SELECT 'post ' || to_jsonb(b)::text FROM board_posts b \
             WHERE persona_id IS DISTINCT FROM {persona} AND couple_id IS DISTINCT FROM {couple} \
           UNION ALL SELECT 'report ' || to_jsonb(r)::text FROM reports r \
             WHERE NOT (r.target_type = 'persona' AND r.target_id = {persona}) \
               AND NOT (r.target_type = 'turn' AND r.target_id IN ( \
                 SELECT id FROM turns WHERE author_persona_id = {persona} \
                   OR (couple_id = {couple} AND author = 'matchmaker' AND author_persona_id IS NULL))) \
           UNION ALL SELECT 'order ' || to_jsonb(o)::text FROM orders o \
             WHERE owner_id IS DISTINCT FROM {owner} AND id NOT LIKE 'erased:%' \
           UNION ALL SELECT 'notification ' || n.id || ' ' || n.payload::text FROM notifications n \
             WHERE owner_id IS DISTINCT FROM {owner} AND kind <> 'couple.ended' \
         ) x"
    ))
    .await
    .unwrap_or_default()
}

#[tokio::test]
async fn a_handle_that_is_a_common_word_leaves_every_other_owners_text_byte_identical() {
    let app = spawn_app().await;
    let (sea, wave, mine) = pair(&app, ("sea", "wave"), BAKER, (None, None)).await;
    let (breeze, gull, theirs) = pair(&app, ("sea-breeze", "gull"), SAILOR, (None, None)).await;
    for couple in [mine, theirs] {
        tag_board_line(&app.db, couple).await;
    }
    app.turn(mine, &sea, "Hello, I am sea.").await;
    app.turn(mine, &wave, "Hi sea! I love the sea too.").await;
    app.turn(theirs, &gull, "I love the sea and the mountains.")
        .await;
    app.turn(
        theirs,
        &breeze,
        "Sea, sea, SEA: the sea (sea) is calling, sea.",
    )
    .await;
    let turn_of = |author: i64| {
        format!("(SELECT max(id) FROM turns WHERE author_persona_id = {author})::bigint")
    };
    for (target_type, id, reason) in [
        ("turn", turn_of(gull.persona), "sea spam"),
        ("turn", turn_of(sea.persona), "about sea"),
        ("persona", sea.persona.to_string(), "sea"),
        ("couple", theirs.to_string(), "the sea again"),
    ] {
        let id = app.db.scalar(&format!("SELECT {id}")).await.unwrap();
        let (status, body) = app
            .post(
                "/api/report",
                &json!({"targetType": target_type, "targetId": id.parse::<i64>().unwrap(), "reason": reason}),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (s, g) = (sea.owner, gull.owner);
    for sql in [
        // Somebody else's post on a board, and paid reports on both sides.
        format!(
            "INSERT INTO board_posts (board, persona_id, handle, body, status, created_at) \
             VALUES ('seeking', {}, 'gull', 'Walks by the sea; sea-breeze knows.', 'published', now()), \
                    ('seeking', {}, 'sea', 'By the sea.', 'published', now())",
            gull.persona, sea.persona
        ),
        format!(
            "INSERT INTO orders (id, owner_id, couple_id, amount, status, report, created_at, updated_at) VALUES \
               ('cr:{g}:{theirs}:2030-01-01', {g}, {theirs}, 5000000, 'fulfilled', 'gull and sea-breeze: the sea suits you.', now(), now()), \
               ('cr:{s}:{mine}:2030-01-01', {s}, {mine}, 5000000, 'fulfilled', 'sea and wave.', now(), now())"
        ),
        format!(
            "INSERT INTO receipts (order_id, payer, transaction, network, amount, auth_nonce, created_at) VALUES \
               ('cr:{g}:{theirs}:2030-01-01', '0xpayer', '0xtx1', 'eip155:8453', 5000000, '0x01', now()), \
               ('cr:{s}:{mine}:2030-01-01', '0xpayer', '0xtx2', 'eip155:8453', 5000000, '0x02', now())"
        ),
    ] {
        app.db.exec(&sql).await;
    }
    let before = others_rows(&app.db, s, sea.persona, mine).await;
    assert!(
        before.matches("sea").count() > 15,
        "the others' rows say sea: {before}"
    );
    let (_, board) = app.get("/api/boards/notifications").await;
    let other_line = format!("A new couple formed: sea-breeze and gull (couple {theirs}).");
    assert!(board.to_string().contains(&other_line), "{board}");

    let (status, body) = app.erase(Some(&sea.token)).await;
    assert_eq!(status, 200, "{body}");
    let e = &body["erased"];
    for (k, n) in [
        ("personas", 1),
        ("turns", 1),
        ("boardPosts", 1),
        // the gambit and the notifications-board line of their couple
        ("venueLines", 2),
        // about her persona, her turn
        ("reports", 2),
        ("couplesEnded", 1),
    ] {
        assert_eq!(e[k], n, "{k}: {body}");
    }

    // Byte-identical: every column of every row that is not hers.
    assert_eq!(others_rows(&app.db, s, sea.persona, mine).await, before);
    // And as the API shows them.
    let (_, board) = app.get("/api/boards/notifications").await;
    let lines: Vec<&str> = board
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["handle"], "matchmaker", "{board}");
            p["body"].as_str().unwrap()
        })
        .collect();
    assert_eq!(lines, [other_line.as_str()], "{board}");
    let (_, courtships) = app.get("/api/boards/courtships").await;
    let said: Vec<(&str, &str)> = courtships
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["author"] != "matchmaker")
        .map(|t| (t["author"].as_str().unwrap(), t["body"].as_str().unwrap()))
        .collect();
    assert_eq!(
        said,
        [
            (
                "sea-breeze",
                "Sea, sea, SEA: the sea (sea) is calling, sea."
            ),
            ("gull", "I love the sea and the mountains."),
            ("wave", "Hi sea! I love the sea too."),
        ]
    );
    // Her paid order stays for accounting, without her.
    assert_eq!(
        app.db
            .scalar(
                "SELECT string_agg(COALESCE(owner_id::text, '-') || ' ' || COALESCE(report, '-'), ',') \
                 FROM orders WHERE id LIKE 'erased:%'"
            )
            .await
            .as_deref(),
        Some("- -")
    );
    assert_eq!(app.db.count("SELECT count(*) FROM receipts").await, 2);
}

#[tokio::test]
async fn erasure_leaves_no_row_that_names_the_owner_by_id() {
    let app = spawn_app().await;
    let (zed, bo, couple) = pair(&app, ("zephyrine", "bo"), BAKER, (None, None)).await;
    tag_board_line(&app.db, couple).await;
    app.turn(
        couple,
        &zed,
        "Hello! I keep a sourdough starter named Clint.",
    )
    .await;
    app.turn(
        couple,
        &bo,
        "Lovely to meet you zephyrine, tell me about Clint.",
    )
    .await;
    // Consent and invite (escalation), an identity check and a sign-in binding.
    let (status, body) = app
        .post(
            &format!("/api/couples/{couple}/intro-consent"),
            &json!({"ownerId": zed.owner}),
            Some(&zed.token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .post(
            &format!("/api/escalations/{couple}/invite"),
            &json!({}),
            Some(&zed.token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let z = zed.owner;
    for sql in [
        format!(
            "INSERT INTO identity_checks (session_id, owner_id, status, created_at, updated_at) VALUES ('sess-z', {z}, 'In Review', now(), now())"
        ),
        "INSERT INTO identity_webhooks (session_id, webhook_type, status, effect, received_at) VALUES ('sess-z', 'status.updated', 'In Review', 'record', now())".to_owned(),
        format!(
            "INSERT INTO owner_logins (owner_id, login_user, claimed_at) VALUES ({z}, 'did:privy:zephyrine', now())"
        ),
        format!(
            "INSERT INTO events (kind, data, created_at) VALUES \
               ('identity_verified', '{{\"ownerId\": {z}}}', now()), \
               ('intro_ready', '{{\"coupleId\": {couple}, \"owners\": [{}, {z}]}}', now())",
            bo.owner
        ),
        // A paid report (kept for accounting) and an unpaid one (goes).
        format!(
            "INSERT INTO orders (id, owner_id, couple_id, amount, status, report, created_at, updated_at) VALUES \
                 ('cr:{z}:{couple}:2030-01-01', {z}, {couple}, 5000000, 'fulfilled', 'zephyrine and bo share bread.', now(), now()), \
                 ('cr:{z}:0:2030-01-02', {z}, NULL, 5000000, 'challenged', NULL, now(), now())"
        ),
        format!(
            "INSERT INTO receipts (order_id, payer, transaction, network, amount, auth_nonce, created_at) \
                 VALUES ('cr:{z}:{couple}:2030-01-01', '0xpayer', '0xtx', 'eip155:8453', 5000000, '0x99', now())"
        ),
        format!(
            "INSERT INTO reports (target_type, target_id, reason, created_at) VALUES ('persona', {}, 'spam', now())",
            zed.persona
        ),
    ] {
        app.db.exec(&sql).await;
    }
    let hash = app
        .db
        .scalar(&format!(
            "SELECT heart_hash FROM personas WHERE id = {}",
            zed.persona
        ))
        .await
        .unwrap();
    // Her profile's vector (docs/matcher.md: keyed by her doc's hash and her heart's).
    let doc_hash = app
        .db
        .scalar(&format!(
            "SELECT heart_hash FROM heart_files WHERE owner_id = {}",
            zed.owner
        ))
        .await
        .unwrap();
    let vector = format!(
        "SELECT count(*) FROM embeddings WHERE heart_hash = '{}'",
        ishtar_domain::profile::key(Some(&doc_hash), &hash)
    );
    assert_eq!(app.db.count(&vector).await, 1);
    let admitted_before = app.db.count("SELECT admitted::bigint FROM capacity").await;

    // Only with her own token.
    assert_eq!(
        app.erase(None).await,
        (
            StatusCode::UNAUTHORIZED,
            json!({"error": "owner token required"})
        )
    );
    let (status, body) = app.erase(Some(&zed.token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((&body["ok"], &body["ownerId"]), (&json!(true), &json!(z)));
    let e = &body["erased"];
    for (k, n) in [
        ("docs", 1),
        ("personas", 1),
        ("embeddings", 1),
        ("endpoints", 1),
        ("consents", 1),
        ("invites", 1),
        ("identityRecords", 3),
        ("orders", 1),
        ("turns", 1),
        ("venueLines", 2),
        ("reports", 1),
        ("couplesEnded", 1),
        ("couplesRemoved", 0),
    ] {
        assert_eq!(e[k], n, "{k}: {body}");
    }
    // A second erasure: the token is gone with her.
    assert_eq!(
        app.erase(Some(&zed.token)).await,
        (
            StatusCode::UNAUTHORIZED,
            json!({"error": "owner token required"})
        )
    );

    // No row points at her owner id or persona id, and no row's text holds her sign-in,
    // her order ids or her owner id in JSON.
    for (table, column, is_owner) in reference_columns(&app.db).await {
        let id = if is_owner { z } else { zed.persona };
        assert_eq!(
            app.db
                .count(&format!(
                    "SELECT count(*) FROM {table} WHERE {column} = {id}"
                ))
                .await,
            0,
            "{table}.{column} still names {id}"
        );
    }
    for table in tables(&app.db).await {
        for needle in ["did:privy:zephyrine", &format!("cr:{z}:"), &hash] {
            assert_eq!(
                app.db
                    .count(&format!(
                        "SELECT count(*) FROM {table} t WHERE t::text ILIKE '%{needle}%'"
                    ))
                    .await,
                0,
                "{table} still mentions {needle}"
            );
        }
        assert_eq!(
            app.db
                .count(&format!(
                    "SELECT count(*) FROM {table} t WHERE t::text ~ '(ownerId|owners)\"+: \\[?([0-9]+, )*{z}[],}}]'"
                ))
                .await,
            0,
            "{table} still names owner {z} in JSON"
        );
    }
    // Her handle is left only where Bo wrote it: his own turn and his notification.
    let rows_with_her_name: i64 = {
        let mut n = 0;
        for table in tables(&app.db).await {
            n += app
                .db
                .count(&format!(
                    "SELECT count(*) FROM {table} t WHERE t::text ILIKE '%zephyrine%'"
                ))
                .await;
        }
        n
    };
    assert_eq!(
        app.db
            .count(&format!(
                "SELECT count(*) FROM turns WHERE body LIKE '%zephyrine%' AND author_persona_id = {}",
                bo.persona
            ))
            .await,
        1
    );
    assert_eq!(
        rows_with_her_name,
        1 + app
            .db
            .count("SELECT count(*) FROM notifications WHERE payload::text LIKE '%zephyrine%'")
            .await,
        "only Bo's rows say her name"
    );

    assert_eq!(app.db.count(&vector).await, 0, "her vector is gone");

    // What stays: Bo's side, untouched; the couple as history (ended, Bo free again, a
    // tombstone where she was); the receipt.
    let turns = app
        .db
        .scalar(&format!(
            "SELECT string_agg(author || ': ' || body, ' | ' ORDER BY id) FROM turns WHERE couple_id = {couple}"
        ))
        .await
        .unwrap();
    assert_eq!(
        turns,
        "bo: Lovely to meet you zephyrine, tell me about Clint."
    );
    assert_eq!(
        app.db
            .scalar(&format!(
                "SELECT c.state || ' ' || (p.handle LIKE 'erased-%') || ' ' || (p.owner_id IS NULL) \
                 FROM couples c JOIN personas p ON p.id IN (c.persona_a, c.persona_b) AND p.id <> {} \
                 WHERE c.id = {couple}",
                bo.persona
            ))
            .await
            .as_deref(),
        Some("ended true true")
    );
    assert_eq!(app.db.count("SELECT count(*) FROM receipts").await, 1);
    assert_eq!(
        app.db.count("SELECT admitted::bigint FROM capacity").await,
        admitted_before - 1,
        "her cap slot is free"
    );
    let r = app
        .client
        .get(app.url("/api/owners/me"))
        .bearer_auth(&bo.token)
        .send()
        .await
        .unwrap();
    let (_, me) = parts(r).await;
    assert_eq!(me["personas"][0]["status"], "admitted");
    assert_eq!(me["couples"][0]["state"], "ended");
    // The erasure is recorded, by counts only.
    let event = app
        .db
        .scalar("SELECT data::text FROM events WHERE kind = 'owner_erased'")
        .await
        .unwrap();
    assert!(event.contains("\"personas\": 1"), "{event}");
}

/// Every table of the public schema.
async fn tables(db: &TestDatabase) -> Vec<String> {
    db.scalar(
        "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
           AND table_name <> '__diesel_schema_migrations'",
    )
    .await
    .unwrap()
    .split(',')
    .map(str::to_owned)
    .collect()
}

/// Every (table, column) whose name says it points at an owner or a persona.
async fn reference_columns(db: &TestDatabase) -> Vec<(String, String, bool)> {
    db.scalar(
        "SELECT string_agg(table_name || '.' || column_name, ',') FROM information_schema.columns \
         WHERE table_schema = 'public' AND data_type = 'bigint' \
           AND (column_name LIKE '%owner%' OR column_name LIKE '%persona%' OR column_name = 'ended_by')",
    )
    .await
    .unwrap()
    .split(',')
    .map(|tc| {
        let (t, c) = tc.split_once('.').unwrap();
        (t.to_owned(), c.to_owned(), c.contains("owner") || c == "ended_by")
    })
    .collect()
}

#[tokio::test]
async fn the_partner_hears_couple_ended_and_the_erased_owner_hears_nothing() {
    let app = spawn_app_with(Setup {
        background: true,
        ..Default::default()
    })
    .await;
    let erased_agent = FakeAgent::start(AgentBehaviour::Echo).await;
    let partner_agent = FakeAgent::start(AgentBehaviour::Echo).await;
    let (sea, wave, couple) = pair(
        &app,
        ("sea", "wave"),
        SAILOR,
        (Some(erased_agent.url()), Some(partner_agent.url())),
    )
    .await;
    crate::helpers::wait_for_event(&erased_agent, "couple.formed").await;
    crate::helpers::wait_for_event(&partner_agent, "couple.formed").await;
    let heard_before = erased_agent.hits();

    let (status, body) = app.erase(Some(&sea.token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["erased"]["couplesEnded"], 1, "{body}");

    let got = crate::helpers::wait_for_event(&partner_agent, "couple.ended").await;
    let ended: Vec<&Value> = got.iter().filter(|e| e["type"] == "couple.ended").collect();
    assert_eq!(ended.len(), 1, "{got:?}");
    assert_eq!(ended[0]["coupleId"], couple);
    // The same event as `POST /api/couples/:id/end`.
    assert_eq!(ended[0]["type"], "couple.ended");
    // Her endpoints went with her: nothing more reaches her agent.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(erased_agent.hits(), heard_before);
    let r = app
        .client
        .get(app.url("/api/owners/me"))
        .bearer_auth(&wave.token)
        .send()
        .await
        .unwrap();
    let (_, me) = parts(r).await;
    assert_eq!(me["couples"][0]["state"], "ended", "{me}");
}

#[tokio::test]
async fn an_owner_without_personas_is_erased_and_a_second_delete_is_refused() {
    let app = spawn_app().await;
    let (owner, token) = app.new_owner().await;
    let (status, body) = app.erase(Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ownerId"], owner);
    assert_eq!(body["erased"]["docs"], 1);
    assert_eq!(body["erased"]["personas"], 0);
    let (status, _) = app.erase(Some(&token)).await;
    assert_eq!(status, 401);
}
