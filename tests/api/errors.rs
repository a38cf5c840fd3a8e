use serde_json::json;

use crate::helpers::{parts, spawn_app};

#[tokio::test]
async fn unknown_routes_are_no_such_room() {
    let app = spawn_app().await;
    for path in [
        "/nope",
        "/api",
        "/api/boards",
        "/api/boards/a/b",
        "/admin/nope",
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body, json!({"error": "no such room"}), "{path}");
    }
}

#[tokio::test]
async fn a_wrong_method_is_a_json_405() {
    let app = spawn_app().await;
    let (status, body) = app.get("/api/personas").await;
    assert_eq!(status, 405);
    assert_eq!(body, json!({"error": "method not allowed"}));
    let r = app.client.delete(app.url("/health")).send().await.unwrap();
    assert_eq!(parts(r).await.0, 405);
}

#[tokio::test]
async fn malformed_json_is_a_400_with_the_routes_error() {
    let app = spawn_app().await;
    for (path, label) in [
        ("/api/intake/heart-file", "invalid heart-file"),
        ("/api/intake/agent", "invalid agent"),
        ("/api/intake/agent/verify", "invalid verify"),
        ("/api/personas", "invalid persona"),
    ] {
        for raw in ["{", "", "[]", "null", "\"x\"", "{\"a\":1}}"] {
            let r = app
                .client
                .post(app.url(path))
                .header("content-type", "application/json")
                .body(raw)
                .send()
                .await
                .unwrap();
            let (status, body) = parts(r).await;
            assert_eq!(status, 400, "{path} {raw:?}");
            assert_eq!(body["error"], label, "{path} {raw:?}");
            assert!(
                body["issues"].as_array().is_some_and(|i| !i.is_empty()),
                "{body}"
            );
        }
    }
    let r = app
        .client
        .post(app.url("/api/report"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(
        parts(r).await,
        (
            reqwest::StatusCode::BAD_REQUEST,
            json!({"error": "invalid report"})
        )
    );
}

#[tokio::test]
async fn a_wrong_content_type_is_a_json_415() {
    let app = spawn_app().await;
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut req = app.client.post(app.url("/api/personas")).body("{}");
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        let (status, body) = parts(req.send().await.unwrap()).await;
        assert_eq!(status, 415, "{ct:?}");
        assert_eq!(
            body,
            json!({"error": "content-type must be application/json"})
        );
    }
    // A charset parameter is fine (the body is read: an empty venue has no persona 1).
    let r = app
        .client
        .post(app.url("/api/report"))
        .header("content-type", "application/json; charset=utf-8")
        .body(r#"{"targetType":"persona","targetId":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        parts(r).await,
        (
            reqwest::StatusCode::NOT_FOUND,
            json!({"error": "no such target"})
        )
    );
}

#[tokio::test]
async fn an_oversized_body_is_a_json_413_and_nothing_is_stored() {
    let app = spawn_app().await;
    let mut big = crate::helpers::heart_file();
    big["heart"]["about"] = json!("x".repeat(70 * 1024));
    let (status, body) = app.post("/api/intake/heart-file", &big, None).await;
    assert_eq!(status, 413);
    assert_eq!(body, json!({"error": "body too large", "limit": 65536}));
    assert_eq!(app.db.count("SELECT count(*) FROM owners").await, 0);
    // Chunked (no Content-Length) is capped too.
    let stream =
        futures_util::stream::iter((0..80).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024])));
    let r = app
        .client
        .post(app.url("/api/personas"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(parts(r).await.0, 413);
}

#[tokio::test]
async fn an_unhandled_store_failure_is_a_generic_500() {
    let app = spawn_app().await;
    // Sabotage: the table the route reads is gone.
    app.db.exec("DROP TABLE couples CASCADE").await;
    let (status, body) = app
        .post(
            "/api/report",
            &json!({"targetType": "couple", "targetId": 3}),
            None,
        )
        .await;
    assert_eq!(status, 500);
    assert_eq!(body, json!({"error": "internal"}));
}

#[tokio::test]
async fn responses_are_never_actix_default_text() {
    let app = spawn_app().await;
    // A path segment actix cannot route, odd methods, a huge header value.
    let r = app
        .client
        .request(reqwest::Method::PATCH, app.url("/api/report"))
        .send()
        .await
        .unwrap();
    assert_eq!(parts(r).await.0, 405);
    let r = app.client.get(app.url("/%ZZ")).send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert!(status.is_client_error(), "{status}");
    assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_ok(),
        "{text}"
    );
}

/// Issue 12: a field a route does not know is a 400 naming it (with the field it most
/// likely meant), never silently dropped; the reference's own names stay as they are
/// (`persona_age` in snake_case beside camelCase `ownerId`).
#[tokio::test]
async fn unknown_fields_are_named_on_every_agent_route() {
    let app = spawn_app().await;
    for (path, body, label, field, message) in [
        (
            "/api/personas",
            json!({"handle": "wren", "model": "m", "personaAge": "18+", "heart": "x"}),
            "invalid persona",
            "personaAge",
            "unknown field; did you mean persona_age?",
        ),
        (
            "/api/personas",
            json!({"handle": "wren", "model": "m", "persona_age": "18+", "heart": "x", "owner_id": 1}),
            "invalid persona",
            "owner_id",
            "unknown field; did you mean ownerId?",
        ),
        (
            "/api/intake/heart-file",
            json!({"ageAttested": true, "heart": {"about": "x"}, "activemarket": "nyc"}),
            "invalid heart-file",
            "activemarket",
            "unknown field; did you mean activeMarket?",
        ),
        (
            "/api/intake/agent",
            json!({"runtime": "claude", "callback_url": "https://a.example/cb"}),
            "invalid agent",
            "callback_url",
            "unknown field; did you mean callbackUrl?",
        ),
        (
            "/api/intake/agent/verify",
            json!({"endpointId": 1, "echo": "x"}),
            "invalid verify",
            "echo",
            "unknown field",
        ),
        (
            "/api/report",
            json!({"targetType": "persona", "targetId": 1, "reasons": "spam"}),
            "invalid report",
            "reasons",
            "unknown field; did you mean reason?",
        ),
        (
            "/api/couples/1/turns",
            json!({"text": "hello"}),
            "invalid turn",
            "text",
            "unknown field",
        ),
        (
            "/api/premium/compatibility-report",
            json!({"ownerId": 1, "coupleID": 2}),
            "invalid compatibility-report",
            "coupleID",
            "unknown field; did you mean coupleId?",
        ),
    ] {
        let (status, got) = app.post(path, &body, None).await;
        assert_eq!(status, 400, "{path} {body}: {got}");
        assert_eq!(got["error"], label, "{path}: {got}");
        assert_eq!(
            got["issues"][0],
            json!({"path": field, "message": message}),
            "{path}: {got}"
        );
    }
    assert_eq!(app.db.count("SELECT count(*) FROM owners").await, 0);
    assert_eq!(app.db.count("SELECT count(*) FROM reports").await, 0);
}

/// JSON that cannot be read says what is wrong and where, in plain words: never a `?` for
/// a path, never a line or column, never serde's or Rust's words.
#[tokio::test]
async fn unreadable_json_is_named_plainly() {
    let app = spawn_app().await;
    for (raw, path, message) in [
        (
            r#"{"heart":{1:2}}"#,
            "heart",
            "not valid JSON: key must be a string",
        ),
        (
            r#"{"heart":{"a":[1,]}}"#,
            "heart.a",
            "not valid JSON: trailing comma",
        ),
        (r#"{"heart" 1}"#, "", "not valid JSON: expected `:`"),
        ("{'heart': 1}", "", "not valid JSON: key must be a string"),
    ] {
        let r = app
            .client
            .post(app.url("/api/intake/heart-file"))
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        let (status, body) = parts(r).await;
        assert_eq!(status, 400, "{raw}: {body}");
        assert_eq!(
            body,
            json!({"error": "invalid heart-file", "issues": [{"path": path, "message": message}]}),
            "{raw}"
        );
    }
}
