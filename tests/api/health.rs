use crate::helpers::spawn_app;

#[tokio::test]
async fn health_probes_the_database_and_reports_the_mode() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), r#"{"ok":true,"mode":"day0"}"#);
}

#[tokio::test]
async fn health_is_500_when_the_database_is_gone() {
    let app = spawn_app().await;
    // Sabotage: drop the database under the running app.
    let name = app.db.name().to_owned();
    let admin = ishtar_test_support::admin_url();
    {
        use diesel_async::{AsyncConnection, RunQueryDsl};
        let mut c = diesel_async::AsyncPgConnection::establish(&admin)
            .await
            .unwrap();
        diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)"))
            .execute(&mut c)
            .await
            .unwrap();
    }
    let (status, body) = app.get("/health").await;
    assert_eq!(status, 500);
    assert_eq!(body["ok"], false);
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn the_mode_setting_shows_in_health() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Setup {
        settings: vec![("mode", "open".into())],
        ..Default::default()
    })
    .await;
    let (_, body) = app.get("/health").await;
    assert_eq!(body, serde_json::json!({"ok": true, "mode": "open"}));
}
