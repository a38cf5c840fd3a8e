//! Any port of the app can be replaced (issue 14): `Setup::ports` gets the venue builder
//! after the configuration has chosen its adapters. Here the guard is swapped for one that
//! holds everything, and what it screens comes back held, as docs/rules.md says for held.

use std::sync::Arc;

use serde_json::json;

use ishtar_test_support::{GuardRule, ScriptedGuard};

use crate::helpers::{Setup, heart_file, persona, spawn_app_with};

/// An app whose guard is `guard` (shared, so a test can change its rule as it goes).
async fn app_guarded_by(guard: Arc<ScriptedGuard>) -> crate::helpers::TestApp {
    spawn_app_with(Setup {
        ports: Some(Box::new(move |b| b.guard(guard))),
        ..Setup::default()
    })
    .await
}

#[tokio::test]
async fn a_guard_that_holds_everything_holds_the_doc_and_the_persona() {
    // Arrange
    let guard = Arc::new(ScriptedGuard::hold_all());
    let app = app_guarded_by(guard.clone()).await;

    // Act
    let (status, doc) = app
        .post("/api/intake/heart-file", &heart_file(), None)
        .await;
    assert_eq!(status, 200, "{doc}");
    let token = doc["ownerToken"].as_str().unwrap().to_owned();
    let mut body = persona("held_by_the_swap");
    body["ownerId"] = doc["ownerId"].clone();
    let (status, refused) = app.post_persona(&body, Some(&token)).await;

    // Assert: both held (never allowed, never denied), and the swapped guard was asked.
    assert_eq!(doc["docStatus"], "held", "{doc}");
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["admitted"], false);
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .starts_with("guard_unsure"),
        "{refused}"
    );
    let (_, me) = app.get_with("/api/owners/me", Some(&token)).await;
    assert_eq!(me["personas"][0]["status"], "held", "{me}");
    assert!(guard.calls() >= 2, "the doc and the persona were screened");
}

#[tokio::test]
async fn a_guard_that_starts_holding_everything_holds_the_next_turn() {
    // Arrange: two daters paired while the guard still allows everything.
    let guard = Arc::new(ScriptedGuard::allow_all());
    let app = app_guarded_by(guard.clone()).await;
    let text = json!({"about": "Vintage bicycles, espresso and Sunday markets by the river."});
    let mut doc_a = heart_file()["heart"].clone();
    doc_a["prefs"] = json!({"self": {"gender": "woman", "age": 33},
                            "seek": {"genders": ["man"], "ageMin": 28, "ageMax": 40}});
    let mut doc_b = heart_file()["heart"].clone();
    doc_b["prefs"] = json!({"self": {"gender": "man", "age": 33},
                            "seek": {"genders": ["woman"], "ageMin": 28, "ageMax": 40}});
    let ada = app.dater_with_doc("ada", doc_a, text.clone(), None).await;
    app.dater_with_doc("bo", doc_b, text, None).await;
    let (status, beat) = app.beat().await;
    assert_eq!(status, 200, "{beat}");
    let couple = app.first_couple(&ada).await;

    // Act
    guard.set_rule(GuardRule::HoldAll);
    let (status, turn) = app
        .post(
            &format!("/api/couples/{couple}/turns"),
            &json!({"body": "Which market do you never miss on a Sunday?"}),
            Some(&ada.token),
        )
        .await;

    // Assert
    assert_eq!(status, 200, "{turn}");
    assert_eq!(turn["status"], "held", "{turn}");
    assert!(
        turn["reason"].as_str().unwrap().starts_with("guard_unsure"),
        "{turn}"
    );
}
