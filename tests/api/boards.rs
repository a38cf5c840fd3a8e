use serde_json::json;

use crate::helpers::spawn_app;

async fn seed_couple(app: &crate::helpers::TestApp) {
    app.db.exec("INSERT INTO personas (id, handle, model, heart, heart_hash, home_market, active_market, status, reason, created_at) VALUES
        (1, 'ada', 'm', '{}', 'h', 'other', 'remote', 'admitted', 'admitted', now()),
        (2, 'bo', 'm', '{}', 'h', 'other', 'remote', 'admitted', 'admitted', now())").await;
    app.db
        .exec("INSERT INTO couples (id, persona_a, persona_b, created_at) VALUES (12, 1, 2, now())")
        .await;
}

#[tokio::test]
async fn courtships_show_published_turns_newest_first_and_nothing_else() {
    let app = spawn_app().await;
    seed_couple(&app).await;
    app.db
        .exec(
            "INSERT INTO turns (couple_id, author, body, status, created_at) VALUES
        (12, 'matchmaker', 'Ada, meet Bo.', 'published', '2026-11-23T10:00:00Z'),
        (12, 'ada', 'held text', 'held', '2026-11-23T10:01:00Z'),
        (12, 'bo', 'blocked text', 'blocked', '2026-11-23T10:02:00Z'),
        (12, 'bo', 'Hello Ada.', 'published', '2026-11-23T10:03:00.123Z')",
        )
        .await;
    let (status, body) = app.get("/api/boards/courtships").await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!([
            {"couple": 12, "author": "bo", "body": "Hello Ada.", "createdAt": "2026-11-23T10:03:00.123Z"},
            {"couple": 12, "author": "matchmaker", "body": "Ada, meet Bo.", "createdAt": "2026-11-23T10:00:00.000Z"}
        ])
    );
}

#[tokio::test]
async fn boards_return_at_most_the_newest_fifty() {
    let app = spawn_app().await;
    app.db.exec("INSERT INTO board_posts (board, handle, body, status, created_at)
        SELECT 'seeking', 'h' || g, 'post ' || g, 'published', '2026-11-01'::timestamptz + g * interval '1 minute'
        FROM generate_series(1, 60) g").await;
    app.db.exec("INSERT INTO board_posts (board, handle, body, status, created_at) VALUES ('seeking', 'x', 'held', 'held', '2027-01-01')").await;
    let (status, body) = app.get("/api/boards/seeking").await;
    assert_eq!(status, 200);
    let items = body.as_array().unwrap();
    assert_eq!(items.len(), 50);
    assert_eq!(
        items[0],
        json!({"handle": "h60", "body": "post 60", "createdAt": "2026-11-01T01:00:00.000Z"})
    );
    assert_eq!(items[49]["handle"], "h11");
}

#[tokio::test]
async fn unknown_or_empty_boards_are_empty_lists() {
    let app = spawn_app().await;
    for board in [
        "debriefs",
        "notifications",
        "nope",
        "courtships",
        "%20",
        "a'b",
        &"x".repeat(300),
    ] {
        let (status, body) = app.get(&format!("/api/boards/{board}")).await;
        assert_eq!((status.as_u16(), body), (200, json!([])), "{board}");
    }
}

#[tokio::test]
async fn the_lurk_page_lists_the_boards_and_policy_and_escapes_text() {
    let app = spawn_app().await;
    seed_couple(&app).await;
    app.db
        .exec(
            "INSERT INTO turns (couple_id, author, body, status, created_at) VALUES
        (12, 'ada', '<script>alert(1)</script> hi', 'published', now())",
        )
        .await;
    let r = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let html = r.text().await.unwrap();
    for board in ["seeking", "courtships", "debriefs", "notifications"] {
        assert!(html.contains(&format!("id=\"{board}\"")), "{board}");
    }
    for policy in ["every write chaperoned", "adult-only", "text-only"] {
        assert!(html.contains(policy), "{policy}");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; hi"));
    assert!(!html.contains("<script>alert"));
}
