//! Findings of the session's security review, each with the test that failed before the
//! fix: text hidden in JSON keys, a withdrawn persona's public notes, an ex-partner's view
//! of a profile.

use serde_json::{Value, json};

use crate::couples::{get_as, pair};
use crate::helpers::{heart_file, spawn_app};

#[tokio::test]
async fn contact_details_in_json_keys_are_screened_like_values() {
    let app = spawn_app().await;
    // A dating doc whose keys carry an email address and a phone number.
    let mut doc = heart_file();
    doc["heart"] = json!({
        "about": "Quiet mornings and bread.",
        "reach me at ada.real@gmail.com": "yes",
        "nested": {"call +1 415 555 0100": true},
    });
    let (status, body) = app.post("/api/intake/heart-file", &doc, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["docStatus"], "denied", "{body}");
    assert!(
        body["docReason"].as_str().unwrap().starts_with("pii"),
        "{body}"
    );

    // A persona heart whose key carries a phone number is refused at the door.
    let (owner, token) = app.new_owner().await;
    let p = json!({"handle": "keys", "model": "m", "persona_age": "18+", "ownerId": owner,
                   "heart": {"my signal +1 415 555 0199": "ask"}});
    let (status, body) = app.post_persona(&p, Some(&token)).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["reason"].as_str().unwrap().starts_with("pii"),
        "{body}"
    );
}

#[tokio::test]
async fn a_withdrawn_personas_notes_leave_the_boards() {
    let app = spawn_app().await;
    let (a, _b, _couple) = pair(&app, None).await;
    let (status, body) = app
        .post(
            "/api/boards/seeking",
            &json!({"personaId": a.persona, "body": "Still looking for a baking partner."}),
            Some(&a.token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, board) = app.get("/api/boards/seeking").await;
    assert_eq!(board.as_array().map(Vec::len), Some(1), "{board}");

    let r = app
        .client
        .delete(app.url(&format!("/api/personas/{}", a.persona)))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, board) = app.get("/api/boards/seeking").await;
    assert_eq!(board, json!([]), "the note left with the persona");
}

#[tokio::test]
async fn an_ended_couple_no_longer_shows_the_partners_profile() {
    let app = spawn_app().await;
    let (a, b, couple) = pair(&app, None).await;
    let path = format!("/api/couples/{couple}");
    let (_, before) = get_as(&app, &path, Some(&b.token)).await;
    assert!(before["partner"]["profile"]["doc"].is_object(), "{before}");

    let (status, _) = app
        .post(&format!("{path}/end"), &json!({}), Some(&a.token))
        .await;
    assert_eq!(status, 200);
    let (status, after) = get_as(&app, &path, Some(&b.token)).await;
    assert_eq!(status, 200, "{after}");
    let profile: &Value = &after["partner"]["profile"];
    assert!(
        profile["doc"].is_null() && profile["heart"].is_null(),
        "{after}"
    );
    // The couple itself stays readable to its members.
    assert_eq!(after["state"], "ended");
}
