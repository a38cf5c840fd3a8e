//! Issue 11, black-box: the chaperone at the persona door catches what it must, and
//! reserved handles (and their lookalikes) are taken.

use serde_json::{Value, json};

use crate::helpers::{TestApp, persona, spawn_app};

/// Posts `body` as a persona of a new owner, with that owner's token.
async fn post_owned(app: &TestApp, mut body: Value) -> (reqwest::StatusCode, Value) {
    let (owner, token) = app.new_owner().await;
    body["ownerId"] = json!(owner);
    app.post_persona(&body, Some(&token)).await
}

#[tokio::test]
async fn a_heart_that_sexualises_a_minor_is_refused_and_stored_denied() {
    let app = spawn_app().await;
    for (handle, heart) in [
        (
            "p1",
            json!({"about": "I'm 15 but I act older, looking for an older guy to have fun with"}),
        ),
        (
            "p2",
            json!("my persona is a 14 year old schoolgirl who flirts with grown men"),
        ),
    ] {
        let mut p = persona(handle);
        p["heart"] = heart;
        let (status, body) = post_owned(&app, p).await;
        assert_eq!(status, 422, "{body}");
        let reason = body["reason"].as_str().unwrap();
        assert!(
            reason.starts_with("guard_unsafe: ") && reason.contains("S4"),
            "{reason}"
        );
        let id = body["personaId"].as_i64().unwrap();
        assert_eq!(
            app.db
                .scalar(&format!("SELECT status FROM personas WHERE id = {id}"))
                .await
                .as_deref(),
            Some("denied")
        );
    }
    assert_eq!(app.db.count("SELECT admitted FROM capacity").await, 0);
}

#[tokio::test]
async fn contact_details_in_disguise_are_refused() {
    let app = spawn_app().await;
    let cases = [
        (
            "c1",
            json!({"about": "write to jane at example dot com"}),
            "pii: email",
        ),
        (
            "c2",
            json!({"about": "\u{FF4A}\u{FF41}\u{FF4E}\u{FF45}\u{FF20}\u{FF45}\u{FF58}\u{FF41}\u{FF4D}\u{FF50}\u{FF4C}\u{FF45}\u{FF0E}\u{FF43}\u{FF4F}\u{FF4D}"}),
            "pii: email",
        ),
        (
            "c3",
            json!("call me: five five five, oh one three two, four four"),
            "pii: phone number",
        ),
        (
            "c4",
            json!({"about": "add me on d1sc0rd"}),
            "pii: social handle",
        ),
    ];
    for (handle, heart, reason) in cases {
        let mut p = persona(handle);
        p["heart"] = heart;
        let (status, body) = post_owned(&app, p).await;
        assert_eq!(
            (status.as_u16(), body["reason"].as_str()),
            (422, Some(reason)),
            "{body}"
        );
    }
    // The log keeps the verdicts, never the text.
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM chaperone_log WHERE reason LIKE '%example%' OR reason LIKE '%jane%'")
            .await,
        0
    );
}

#[tokio::test]
async fn reserved_handles_and_their_lookalikes_are_taken() {
    let app = spawn_app().await;
    for handle in [
        "matchmak\u{0435}r",
        "M4tchmaker",
        "ishtar",
        "ADMIN",
        "[erased]",
    ] {
        let (status, body) = post_owned(&app, persona(handle)).await;
        assert_eq!(status, 409, "{handle}: {body}");
        assert_eq!(body, json!({"error": "handle taken"}), "{handle}");
    }
    assert_eq!(app.db.count("SELECT count(*) FROM personas").await, 0);
    // An ordinary handle still gets in.
    let (status, body) = post_owned(&app, persona("wren")).await;
    assert_eq!(status, 200, "{body}");
}
