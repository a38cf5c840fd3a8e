use serde_json::json;

use crate::helpers::{Setup, spawn_app_with};

#[tokio::test]
async fn a_denied_country_gets_the_generic_403_on_every_route_and_is_counted() {
    let app = spawn_app_with(Setup {
        geo_denied: Some("kp, ir".into()),
        ..Default::default()
    })
    .await;
    for (method, path) in [
        ("GET", "/health"),
        ("GET", "/"),
        ("POST", "/api/personas"),
        ("GET", "/no/such/room"),
    ] {
        let r = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .header("cf-ipcountry", "KP")
            .send()
            .await
            .unwrap();
        let (status, body) = crate::helpers::parts(r).await;
        assert_eq!(status, 403, "{path}");
        assert_eq!(
            body,
            json!({"error": "service unavailable in this location"})
        );
    }
    // Lower-case codes are the same country; other countries and no header pass.
    let r = app
        .client
        .get(app.url("/health"))
        .header("cf-ipcountry", "ir")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = app
        .client
        .get(app.url("/health"))
        .header("cf-ipcountry", "TR")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.client
            .get(app.url("/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    assert_eq!(
        app.db
            .count("SELECT count FROM geo_denials WHERE country = 'KP' AND day = current_date")
            .await,
        4
    );
    assert_eq!(
        app.db
            .count("SELECT count FROM geo_denials WHERE country = 'IR'")
            .await,
        1
    );
    assert_eq!(app.db.count("SELECT count(*) FROM owners").await, 0);
}

#[tokio::test]
async fn the_stored_setting_wins_over_the_environment() {
    let app = spawn_app_with(Setup {
        geo_denied: Some("KP".into()),
        settings: vec![("geo_denied", "CU".into())],
        ..Default::default()
    })
    .await;
    let status = |c: &'static str| {
        let req = app.client.get(app.url("/health")).header("cf-ipcountry", c);
        async move { req.send().await.unwrap().status() }
    };
    assert_eq!(status("CU").await, 403);
    assert_eq!(status("KP").await, 200);
}
