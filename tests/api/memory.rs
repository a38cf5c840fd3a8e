//! `ishtar serve --store memory` (issue 14): the whole venue on the in-memory store, with
//! no Postgres database at all. `DATABASE_URL` points at a closed port, so the app would
//! fail to start if anything tried to create, migrate or reach a database.

use serde_json::{Value, json};

use crate::helpers::{Served, spawn_memory_app};

const TEXT: &str = "Vintage bicycles, espresso and Sunday markets by the river.";

/// A dating doc's heart with prose and prefs: one side of a compatible pair.
fn doc(gender: &str, seeks: &str) -> Value {
    json!({
        "about": TEXT,
        "prefs": {"self": {"gender": gender, "age": 33},
                  "seek": {"genders": [seeks], "ageMin": 28, "ageMax": 40}},
    })
}

async fn post_turn(app: &Served, couple: i64, token: &str, body: &str) -> Value {
    let (status, out) = app
        .post(
            &format!("/api/couples/{couple}/turns"),
            &json!({"body": body}),
            Some(token),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    out
}

#[tokio::test]
async fn the_memory_store_runs_intake_admission_beat_and_turn_without_a_database() {
    // Arrange
    let app = spawn_memory_app().await;
    let (status, health) = app.get("/health").await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["ok"], true);

    // Act: intake (doc, agent, verify) and admission for two compatible daters…
    let ada = app
        .dater_with_doc("ada", doc("woman", "man"), json!({"about": TEXT}), None)
        .await;
    let bo = app
        .dater_with_doc("bo", doc("man", "woman"), json!({"about": TEXT}), None)
        .await;
    // …a beat…
    let (status, beat) = app.beat().await;
    assert_eq!(status, 200, "{beat}");
    assert_eq!(beat["created"], 1, "{beat}");
    let couple = app.first_couple(&ada).await;
    assert_eq!(
        couple,
        app.first_couple(&bo).await,
        "one couple, both sides"
    );
    // …and a turn.
    let turn = post_turn(&app, couple, &ada.token, "Which market do you never miss?").await;

    // Assert: published, and the partner reads it back from memory.
    assert_eq!(turn["status"], "published", "{turn}");
    let (status, turns) = app
        .get_with(&format!("/api/couples/{couple}/turns"), Some(&bo.token))
        .await;
    assert_eq!(status, 200, "{turns}");
    let mine = turns["turns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["author"] == "ada")
        .cloned();
    assert_eq!(
        mine.map(|t| t["body"].clone()),
        Some(json!("Which market do you never miss?")),
        "{turns}"
    );
}

#[tokio::test]
async fn two_memory_apps_share_nothing() {
    // Arrange
    let one = spawn_memory_app().await;
    let two = spawn_memory_app().await;
    let (_, token) = one.new_owner().await;

    // Act
    let (status_one, _) = one.get_with("/api/owners/me", Some(&token)).await;
    let (status_two, _) = two.get_with("/api/owners/me", Some(&token)).await;

    // Assert: the owner lives in the first process's memory only.
    assert_eq!(status_one, 200);
    assert_ne!(status_two, 200);
}
