//! Issue 11, the security review's findings, black-box: text is cleaned before it is
//! validated, NUL characters are a 400 (never a 500), the JSON errors speak the API's
//! words, a body must arrive within its deadline, the operator secret is long and compared
//! in constant time, and reports name something that exists.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::helpers::{OPERATOR, Setup, TestApp, heart_file, persona, spawn_app, spawn_app_with};

/// Invisible-only texts: zero-width, tag characters, variation selectors, separators,
/// interlinear annotation marks and the combining grapheme joiner (the extended cleaner).
const INVISIBLE: [&str; 6] = [
    "\u{200B}\u{200D}\u{2060}",
    "\u{E0041}\u{E0042}\u{E007F}",
    "\u{FE0F}\u{E0100}",
    "\u{2028}\u{2029}",
    "\u{FFF9}\u{FFFA}\u{FFFB}",
    "\u{034F}\u{034F}",
];

fn issues(body: &Value) -> Vec<(String, String)> {
    body["issues"]
        .as_array()
        .unwrap_or_else(|| panic!("no issues: {body}"))
        .iter()
        .map(|i| {
            (
                i["path"].as_str().unwrap().to_owned(),
                i["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn has_issue(body: &Value, path: &str, message: &str) -> bool {
    issues(body).iter().any(|(p, m)| p == path && m == message)
}

async fn post_raw(
    app: &TestApp,
    path: &str,
    raw: &str,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(raw.to_owned());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    crate::helpers::parts(req.send().await.unwrap()).await
}

#[tokio::test]
async fn a_handle_of_only_invisible_characters_is_blank_and_refused() {
    let app = spawn_app().await;
    let (owner, token) = app.new_owner().await;
    for invisible in INVISIBLE {
        let mut p = persona(invisible);
        p["ownerId"] = json!(owner);
        let (status, body) = app.post_persona(&p, Some(&token)).await;
        assert_eq!(status, 400, "{invisible:?}: {body}");
        assert_eq!(body["error"], "invalid persona");
        assert!(
            has_issue(&body, "handle", "must not be blank"),
            "{invisible:?}: {body}"
        );
    }
    // The model too, and every text of the heart.
    let mut p = persona("wren");
    p["ownerId"] = json!(owner);
    p["model"] = json!("\u{200B}");
    p["heart"] = json!({"about": "\u{E0068}\u{E0069}", "tags": ["ok", "\u{FE0F}"]});
    let (status, body) = app.post_persona(&p, Some(&token)).await;
    assert_eq!(status, 400, "{body}");
    for path in ["model", "heart.about", "heart.tags[1]"] {
        assert!(
            has_issue(&body, path, "must not be blank"),
            "{path}: {body}"
        );
    }
    let mut p = persona("wren");
    p["ownerId"] = json!(owner);
    p["heart"] = json!("\u{2060}\u{2028}");
    let (status, body) = app.post_persona(&p, Some(&token)).await;
    assert_eq!(status, 400, "{body}");
    assert!(has_issue(&body, "heart", "must not be empty"), "{body}");
    assert_eq!(app.db.count("SELECT count(*) FROM personas").await, 0);
}

#[tokio::test]
async fn the_extended_cleaner_strips_before_storing() {
    let app = spawn_app().await;
    let (owner, token) = app.new_owner().await;
    let mut p = persona("Wr\u{E0041}e\u{FE0F}n\u{034F}\u{2028}");
    p["ownerId"] = json!(owner);
    let (status, body) = app.post_persona(&p, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.db
            .scalar("SELECT handle FROM personas")
            .await
            .as_deref(),
        Some("Wren")
    );
}

#[tokio::test]
async fn dating_doc_texts_of_only_invisible_characters_are_refused() {
    let app = spawn_app().await;
    for field in ["displayName", "availableFor", "contactRef"] {
        let mut doc = heart_file();
        doc[field] = json!("\u{200B}\u{E0020}");
        let (status, body) = app.post("/api/intake/heart-file", &doc, None).await;
        assert_eq!(status, 400, "{field}: {body}");
        assert_eq!(body["error"], "invalid heart-file");
        assert!(
            has_issue(&body, field, "must not be blank"),
            "{field}: {body}"
        );
    }
    let mut doc = heart_file();
    doc["heart"]["seeking"] = json!("\u{FFF9}\u{FFFB}");
    let (status, body) = app.post("/api/intake/heart-file", &doc, None).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        has_issue(&body, "heart.seeking", "must not be blank"),
        "{body}"
    );
    assert_eq!(app.db.count("SELECT count(*) FROM owners").await, 0);
}

#[tokio::test]
async fn a_turn_of_only_invisible_characters_is_not_published() {
    let app = spawn_app().await;
    let heart = json!({"about": "Board games, puzzles and rainy afternoons with tea."});
    let a = app.dater("ada", heart.clone(), None).await;
    app.dater("bo", heart, None).await;
    let (status, body) = app.beat().await;
    assert_eq!(status, 200, "{body}");
    let (_, me) = crate::helpers::parts(
        app.client
            .get(app.url("/api/owners/me"))
            .bearer_auth(&a.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let couple = me["couples"][0]["coupleId"].as_i64().expect("a couple");
    let before = app.db.count("SELECT count(*) FROM turns").await;
    for invisible in INVISIBLE {
        let (status, body) = app
            .post(
                &format!("/api/couples/{couple}/turns"),
                &json!({"body": invisible}),
                Some(&a.token),
            )
            .await;
        assert_eq!(status, 400, "{invisible:?}: {body}");
        assert_eq!(body["error"], "invalid turn");
        assert!(has_issue(&body, "body", "must not be blank"), "{body}");
    }
    assert_eq!(app.db.count("SELECT count(*) FROM turns").await, before);
}

#[tokio::test]
async fn a_nul_character_in_any_json_text_is_a_400_never_a_500() {
    let app = spawn_app().await;
    let (owner, token) = app.new_owner().await;
    // In a value, deep in the heart, in a key, in a field the route ignores.
    let mut p = persona("wren\u{0}");
    p["ownerId"] = json!(owner);
    let (status, body) = app.post_persona(&p, Some(&token)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        issues(&body),
        [(
            "handle".to_owned(),
            "must not contain NUL characters".to_owned()
        )]
    );
    let mut p = persona("wren");
    p["ownerId"] = json!(owner);
    p["heart"] = json!({"about": {"deep": ["fine", "not\u{0}fine"]}});
    let (status, body) = app.post_persona(&p, Some(&token)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        issues(&body),
        [(
            "heart.about.deep[1]".to_owned(),
            "must not contain NUL characters".to_owned()
        )]
    );
    let mut doc = heart_file();
    doc["contactRef"] = json!("tg:@wren\u{0}");
    doc["heart"]["k\u{0}ey"] = json!("x");
    let (status, body) = app.post("/api/intake/heart-file", &doc, None).await;
    assert_eq!(
        (status.as_u16(), &body["error"]),
        (400, &json!("invalid heart-file"))
    );
    let (status, body) = app
        .post(
            "/api/intake/agent",
            &json!({"runtime": "claude", "publicKey": "0x\u{0}", "whatever": "\u{0}"}),
            None,
        )
        .await;
    assert_eq!(
        (status.as_u16(), &body["error"]),
        (400, &json!("invalid agent"))
    );
    let (status, body) = app
        .post(
            "/api/report",
            &json!({"targetType": "persona", "targetId": 1, "reason": "a\u{0}b"}),
            None,
        )
        .await;
    assert_eq!(
        (status.as_u16(), body),
        (400, json!({"error": "invalid report"}))
    );
    assert_eq!(app.db.count("SELECT count(*) FROM personas").await, 0);
    assert_eq!(app.db.count("SELECT count(*) FROM reports").await, 0);
}

#[tokio::test]
async fn a_nul_character_in_a_setting_is_a_bad_value_not_a_500() {
    let app = spawn_app().await;
    for (key, value) in [
        ("denylist", "spam: buy\u{0}now"),
        ("geo_denied", "US,\u{0}"),
        ("mode", "day\u{0}"),
    ] {
        let r = app
            .client
            .post(app.url("/admin/actions/settings"))
            .bearer_auth(OPERATOR)
            .json(&json!({"key": key, "value": value}))
            .send()
            .await
            .unwrap();
        let (status, body) = crate::helpers::parts(r).await;
        assert_eq!(
            (status.as_u16(), body),
            (
                400,
                json!({"ok": false, "error": "bad value", "reason": "must not contain NUL characters"})
            ),
            "{key}"
        );
    }
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM settings WHERE key IN ('denylist', 'geo_denied', 'mode')")
            .await,
        0
    );
}

#[tokio::test]
async fn a_nul_character_in_a_signed_didit_webhook_is_rejected_not_a_500() {
    const SECRET: &str = "whsec-hardening";
    let app = spawn_app_with(Setup {
        didit_webhook_secret: Some(SECRET.into()),
        ..Setup::default()
    })
    .await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for body in [
        json!({"session_id": "s-\u{0}1", "status": "Approved", "webhook_type": "status.updated"}),
        json!({"session_id": "s-1", "status": "Approved", "webhook_type": "status.updated",
               "vendor_data": "ishtar:owner:1\u{0}"}),
        json!({"session_id": "s-1", "status": "In\u{0}Review", "webhook_type": "status.updated"}),
    ] {
        let raw = body.to_string();
        let r = app
            .client
            .post(app.url("/api/identity/webhook/didit"))
            .header("content-type", "application/json")
            .header(
                "X-Signature",
                ishtar_test_support::didit_signature(SECRET, raw.as_bytes()),
            )
            .header("X-Timestamp", now.to_string())
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(
            crate::helpers::parts(r).await,
            (
                StatusCode::BAD_REQUEST,
                json!({"error": "webhook rejected", "reason": "malformed body"})
            ),
            "{body}"
        );
    }
    assert_eq!(
        app.db.count("SELECT count(*) FROM identity_webhooks").await,
        0
    );
}

#[tokio::test]
async fn type_errors_are_in_the_apis_words_with_wire_paths() {
    let app = spawn_app().await;
    let cases: [(&str, &str, &str, &str); 8] = [
        (
            "/api/intake/heart-file",
            "[]",
            "",
            "expected an object, got an array",
        ),
        (
            "/api/intake/heart-file",
            "5",
            "",
            "expected an object, got a number",
        ),
        (
            "/api/intake/heart-file",
            r#"{"heart":{"a":"b"},"ownerId":"x"}"#,
            "ownerId",
            "expected a whole number, got a string",
        ),
        (
            "/api/intake/heart-file",
            r#"{"heart":{"a":"b"},"ageAttested":"yes"}"#,
            "ageAttested",
            "expected true or false, got a string",
        ),
        (
            "/api/intake/heart-file",
            r#"{"heart":{"a":"b"},"displayName":5}"#,
            "displayName",
            "expected a string, got a number",
        ),
        (
            "/api/intake/agent/verify",
            r#"{"endpointId":1.5}"#,
            "endpointId",
            "expected a whole number, got a number",
        ),
        (
            "/api/intake/agent/verify",
            r#"{"endpointId":99999999999999999999}"#,
            "endpointId",
            "expected a whole number, got a number",
        ),
        (
            "/api/personas",
            r#"{"handle":"a","handle":"b"}"#,
            "handle",
            "appears more than once",
        ),
    ];
    for (path, raw, field, message) in cases {
        let (status, body) = post_raw(&app, path, raw, None).await;
        assert_eq!(status, 400, "{path} {raw}: {body}");
        assert!(has_issue(&body, field, message), "{path} {raw}: {body}");
    }
    // No Rust type or serde phrasing ever reaches a client, whatever the body.
    for raw in [
        "[]",
        "null",
        "\"x\"",
        "{",
        "{\"a\":1}}",
        r#"{"handle":[1],"model":{},"persona_age":7,"heart":true,"redteam":"yes","ownerId":-1.5}"#,
        r#"{"ownerId":18446744073709551616}"#,
    ] {
        for path in [
            "/api/intake/heart-file",
            "/api/intake/agent",
            "/api/intake/agent/verify",
            "/api/personas",
        ] {
            let (status, body) = post_raw(&app, path, raw, None).await;
            assert_eq!(status, 400, "{path} {raw}: {body}");
            let text = body.to_string();
            for leak in [
                "struct",
                "Body",
                "i64",
                "u64",
                "invalid type",
                "invalid value",
                "line ",
                "column",
                "Option",
            ] {
                assert!(!text.contains(leak), "{leak} in {path} {raw}: {text}");
            }
        }
    }
    // Syntax errors say so plainly.
    let (_, body) = post_raw(&app, "/api/personas", "{", None).await;
    assert!(
        has_issue(&body, "", "not valid JSON: the body ends too early"),
        "{body}"
    );
    let (_, body) = post_raw(&app, "/api/personas", "{}}", None).await;
    assert!(
        has_issue(
            &body,
            "",
            "not valid JSON: unexpected characters after the value"
        ),
        "{body}"
    );
}

/// Sends the head of a POST and then its body a byte at a time, `gap` apart; returns the
/// status line and body of the answer, and how long it took.
async fn trickle(app: &TestApp, path: &str, gap: Duration) -> (String, String, Duration) {
    let addr = app.address.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = br#"{"targetType":"persona","targetId":1,"reason":"slowly, slowly"}"#;
    // The operator's secret too, so the console's action reads its body.
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {OPERATOR}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let started = Instant::now();
    s.write_all(head.as_bytes()).await.unwrap();
    let (mut rd, mut wr) = s.into_split();
    let writer = tokio::spawn(async move {
        for b in body {
            if wr.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(gap).await;
        }
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), rd.read_to_end(&mut answer)).await;
    let took = started.elapsed();
    writer.abort();
    assert!(read.is_ok(), "the server kept the connection open");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.lines().next().unwrap_or_default().to_owned();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body, took)
}

#[tokio::test]
async fn a_body_trickled_past_its_deadline_is_a_json_408_and_the_connection_closes() {
    let app = spawn_app_with(Setup {
        body_timeout_ms: Some(1000),
        ..Setup::default()
    })
    .await;
    // A byte every 200 ms: the 63-byte body would need 12 s.
    for path in [
        "/api/report",
        "/api/identity/webhook/didit",
        "/admin/actions/settings",
    ] {
        let (status, body, took) = trickle(&app, path, Duration::from_millis(200)).await;
        assert!(
            status.starts_with("HTTP/1.1 408"),
            "{path}: {status} {body}"
        );
        assert_eq!(
            serde_json::from_str::<Value>(body.trim()).ok(),
            Some(json!({"error": "request body timeout"})),
            "{path}: {body}"
        );
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(5),
            "{path}: answered after {took:?}"
        );
    }
    assert_eq!(app.db.count("SELECT count(*) FROM reports").await, 0);
}

#[tokio::test]
async fn a_body_that_arrives_in_time_is_served() {
    let app = spawn_app_with(Setup {
        body_timeout_ms: Some(5000),
        ..Setup::default()
    })
    .await;
    // A byte every 10 ms: under a second for the whole body.
    let (status, body, _) = trickle(&app, "/api/report", Duration::from_millis(10)).await;
    // Nothing to report on in an empty venue: the report route's 404, not a 408.
    assert!(status.starts_with("HTTP/1.1 404"), "{status} {body}");
}

#[tokio::test]
async fn the_operator_secret_must_match_exactly() {
    let app = spawn_app().await;
    let admin = |token: String| {
        let req = app.client.get(app.url("/admin.json")).bearer_auth(token);
        async move { req.send().await.unwrap().status() }
    };
    assert_eq!(admin(OPERATOR.to_owned()).await, 200);
    for wrong in [
        OPERATOR[..OPERATOR.len() - 1].to_owned(),
        format!("{OPERATOR}x"),
        OPERATOR.to_uppercase(),
        "x".to_owned(),
    ] {
        assert_eq!(admin(wrong.clone()).await, 401, "{wrong}");
    }
}

#[tokio::test]
async fn a_short_operator_secret_stops_the_server_from_starting() {
    let db = ishtar_test_support::TestDatabase::new().await;
    let config = ishtar::Config {
        bind: "127.0.0.1:0".into(),
        database_url: db.url().to_owned(),
        admin_token: Some("thirty-one-characters-long-0123".to_owned().into()),
        background: false,
        ..ishtar::Config::default()
    };
    let Err(e) = ishtar::Application::build(config).await else {
        panic!("a 31-character operator secret was accepted");
    };
    let line = e.to_string();
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(line.contains("ISHTAR_ADMIN_TOKEN"), "{line}");
    assert!(line.contains("at least 32"), "{line}");
    assert!(
        !line.contains("thirty-one"),
        "the secret is never echoed: {line}"
    );
}

#[tokio::test]
async fn a_report_must_name_something_that_exists() {
    let app = spawn_app().await;
    for kind in ["persona", "post", "turn", "couple"] {
        let (status, body) = app
            .post(
                "/api/report",
                &json!({"targetType": kind, "targetId": 424_242, "reason": "spam"}),
                None,
            )
            .await;
        assert_eq!(
            (status.as_u16(), body),
            (404, json!({"error": "no such target"})),
            "{kind}"
        );
    }
    assert_eq!(app.db.count("SELECT count(*) FROM reports").await, 0);
    let (status, body) = app.owned_persona("wren").await;
    assert_eq!(status, 200, "{body}");
    let id = body["personaId"].as_i64().unwrap();
    let (status, body) = app
        .post(
            "/api/report",
            &json!({"targetType": "persona", "targetId": id}),
            None,
        )
        .await;
    assert_eq!((status.as_u16(), body), (200, json!({"ok": true})));
    // The id of a persona is not the id of a couple.
    let (status, _) = app
        .post(
            "/api/report",
            &json!({"targetType": "couple", "targetId": id}),
            None,
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(app.db.count("SELECT count(*) FROM reports").await, 1);
}
