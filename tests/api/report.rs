use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_report_is_opened() {
    let app = spawn_app().await;
    let (status, body) = app.owned_persona("wren").await;
    assert_eq!(status, 200, "{body}");
    let id = body["personaId"].as_i64().unwrap();
    let (status, body) = app
        .post(
            "/api/report",
            &json!({"targetType": "persona", "targetId": id, "reason": "spam\u{202E}moc"}),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"ok": true}));
    assert_eq!(
        app.db.scalar("SELECT target_type || ':' || target_id || ':' || reason || ':' || status FROM reports").await,
        Some(format!("persona:{id}:spammoc:open"))
    );
}

#[tokio::test]
async fn a_bad_report_is_exactly_invalid_report() {
    let app = spawn_app().await;
    for bad in [
        json!({}),
        json!({"targetType": "persona"}),
        json!({"targetType": "owner", "targetId": 1}),
        json!({"targetType": "turn", "targetId": 0}),
        json!({"targetType": "turn", "targetId": "1"}),
        json!({"targetType": "turn", "targetId": 1, "reason": "x".repeat(501)}),
    ] {
        let (status, body) = app.post("/api/report", &bad, None).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body, json!({"error": "invalid report"}), "{bad}");
    }
    assert_eq!(app.db.count("SELECT count(*) FROM reports").await, 0);
}
