//! The persona lifecycle (issue 12): `PATCH /api/personas/:id` edits a persona through the
//! chaperone and the cap again, a denied persona's owner takes its handle back with
//! `POST /api/personas`, and `DELETE /api/personas/:id` withdraws it, ending its couples
//! and freeing its cap place.

use reqwest::StatusCode;
use serde_json::{Value, json};

use ishtar_test_support::{AgentBehaviour, FakeAgent};

use crate::helpers::{Setup, TestApp, parts, persona, spawn_app, spawn_app_with};

/// Personal data the chaperone denies.
const PHONE: &str = "Text me on 415 555 0132 and we'll bake together.";
const CLEAN: &str = "I bake sourdough and read old science fiction on the porch.";
const SAILOR: &str = "Sailing, knots, tides and salty air; I crew a small boat every summer.";

impl TestApp {
    async fn patch_persona(
        &self,
        id: i64,
        body: &Value,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .patch(self.url(&format!("/api/personas/{id}")))
            .json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        parts(req.send().await.unwrap()).await
    }

    async fn withdraw(&self, id: i64, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.client.delete(self.url(&format!("/api/personas/{id}")));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        parts(req.send().await.unwrap()).await
    }

    async fn persona_row(&self, id: i64) -> String {
        self.db
            .scalar(&format!(
                "SELECT concat_ws('|', status, heart->>'about') FROM personas WHERE id = {id}"
            ))
            .await
            .unwrap()
    }

    async fn places_taken(&self) -> i64 {
        self.db.count("SELECT admitted FROM capacity").await
    }
}

/// [`persona`] of `owner`, with `about` as its heart.
fn owned(handle: &str, owner: i64, about: &str) -> Value {
    let mut p = persona(handle);
    p["ownerId"] = json!(owner);
    p["heart"] = json!({ "about": about });
    p
}

/// The door's 422 for a chaperone refusal: (reason, personaId).
fn refused(status: StatusCode, body: &Value) -> (String, i64) {
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["admitted"], false, "{body}");
    (
        body["reason"].as_str().unwrap().to_owned(),
        body["personaId"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn a_denied_persona_is_fixed_with_patch_and_admitted() {
    let app = spawn_app().await;
    let (owner, token) = app.new_owner().await;
    let (status, body) = app
        .post_persona(&owned("wren", owner, PHONE), Some(&token))
        .await;
    let (reason, id) = refused(status, &body);
    assert_eq!(reason, "pii: phone number");
    assert_eq!(app.persona_row(id).await, format!("denied|{PHONE}"));

    let (status, body) = app
        .patch_persona(id, &json!({"heart": {"about": CLEAN}}), Some(&token))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["admitted"], &body["personaId"]),
        (&json!(true), &json!(id)),
        "{body}"
    );
    assert_eq!(app.persona_row(id).await, format!("admitted|{CLEAN}"));
    assert_eq!(app.places_taken().await, 1);

    // Admitted, an allowed edit keeps it admitted in its one place; prefs alone can change.
    let (status, body) = app
        .patch_persona(
            id,
            &json!({"prefs": {"seek": {"genders": ["man"]}}, "model": "claude-opus"}),
            Some(&token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.places_taken().await, 1);
    assert_eq!(
        app.db
            .scalar(&format!(
                "SELECT concat_ws('|', status, model, heart->'prefs'->'seek'->>'genders', \
                 heart->>'about') FROM personas WHERE id = {id}"
            ))
            .await
            .unwrap(),
        format!("admitted|claude-opus|[\"man\"]|{CLEAN}")
    );
}

#[tokio::test]
async fn a_denied_handle_goes_back_to_its_owner_and_to_no_one_else() {
    let app = spawn_app().await;
    let (owner, token) = app.new_owner().await;
    let (other, other_token) = app.new_owner().await;
    let (status, body) = app
        .post_persona(&owned("Wren", owner, PHONE), Some(&token))
        .await;
    let (_, id) = refused(status, &body);

    // Another owner can neither take the handle nor touch the persona.
    assert_eq!(
        app.post_persona(&owned("wren", other, CLEAN), Some(&other_token))
            .await,
        (StatusCode::CONFLICT, json!({"error": "handle taken"}))
    );
    let fix = json!({"heart": {"about": CLEAN}});
    assert_eq!(
        app.patch_persona(id, &fix, Some(&other_token)).await,
        (StatusCode::FORBIDDEN, json!({"error": "not your persona"}))
    );
    assert_eq!(
        app.withdraw(id, Some(&other_token)).await,
        (StatusCode::FORBIDDEN, json!({"error": "not your persona"}))
    );
    assert_eq!(
        app.patch_persona(id, &fix, None).await,
        (
            StatusCode::UNAUTHORIZED,
            json!({"error": "owner token required"})
        )
    );
    assert_eq!(
        app.patch_persona(9999, &fix, Some(&token)).await,
        (StatusCode::NOT_FOUND, json!({"error": "no such persona"}))
    );
    assert_eq!(
        app.patch_persona(0, &fix, Some(&token)).await,
        (StatusCode::BAD_REQUEST, json!({"error": "bad persona id"}))
    );

    // Still personal data: refused again, nothing changes.
    let (status, body) = app
        .post_persona(
            &owned("WREN", owner, "Call 415 555 0199 tonight."),
            Some(&token),
        )
        .await;
    assert_eq!(refused(status, &body), ("pii: phone number".to_owned(), id));
    assert_eq!(app.persona_row(id).await, format!("denied|{PHONE}"));

    // Its owner posts it again, clean, under the same handle: the same persona, admitted.
    let (status, body) = app
        .post_persona(&owned("wren", owner, CLEAN), Some(&token))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["personaId"], id, "{body}");
    assert_eq!(app.persona_row(id).await, format!("admitted|{CLEAN}"));
    assert_eq!(app.db.count("SELECT count(*) FROM personas").await, 1);
    assert_eq!(
        app.db
            .scalar(&format!("SELECT handle FROM personas WHERE id = {id}"))
            .await
            .unwrap(),
        "Wren"
    );
    // Admitted now: the handle is taken, for its owner too.
    assert_eq!(
        app.post_persona(&owned("wren", owner, CLEAN), Some(&token))
            .await,
        (StatusCode::CONFLICT, json!({"error": "handle taken"}))
    );
}

#[tokio::test]
async fn a_disallowed_edit_is_refused_and_nothing_changes_or_is_published() {
    let app = spawn_app().await;
    let d = app.dater("wren", json!({"about": CLEAN}), None).await;
    for bad in [
        json!({"heart": {"about": "Write to me at wren.bakes@example.com"}}),
        json!({"heart": "Find me on instagram @wren_bakes_sf"}),
    ] {
        let (status, body) = app.patch_persona(d.persona, &bad, Some(&d.token)).await;
        let (reason, id) = refused(status, &body);
        assert!(reason.starts_with("pii: "), "{reason}");
        assert_eq!(id, d.persona);
    }
    assert_eq!(
        app.persona_row(d.persona).await,
        format!("admitted|{CLEAN}")
    );
    assert_eq!(app.places_taken().await, 1);
    assert_eq!(
        app.db
            .count(&format!(
                "SELECT count(*) FROM chaperone_log WHERE target_type = 'persona' \
                 AND target_id = {} AND verdict = 'deny'",
                d.persona
            ))
            .await,
        2
    );
    for board in ["seeking", "courtships", "notifications"] {
        let (_, posts) = app.get(&format!("/api/boards/{board}")).await;
        assert!(
            !posts.to_string().contains("wren.bakes"),
            "{board}: {posts}"
        );
    }
}

#[tokio::test]
async fn an_edit_names_what_it_cannot_change_and_needs_something_to_change() {
    let app = spawn_app().await;
    let d = app.dater("wren", json!({"about": CLEAN}), None).await;
    let (status, body) = app
        .patch_persona(
            d.persona,
            &json!({"handle": "wren2", "heart": {"about": CLEAN, "prefs": {"seek": {"gender": ["man"]}}}}),
            Some(&d.token),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid persona");
    let issues = body["issues"].as_array().unwrap();
    assert_eq!(issues[0]["path"], "handle", "{body}");
    assert!(
        issues[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("cannot be changed"),
        "{body}"
    );
    assert!(
        issues.contains(&json!({"path": "heart.prefs.seek.gender",
                                "message": "unknown field; did you mean genders?"})),
        "{body}"
    );
    let (status, body) = app
        .patch_persona(
            d.persona,
            &json!({"prefs": {"self": {"height": 180}}}),
            Some(&d.token),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["issues"],
        json!([{"path": "prefs.self.height", "message": "unknown field"}])
    );
    let (status, body) = app
        .patch_persona(d.persona, &json!({}), Some(&d.token))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["issues"][0]["path"], "", "{body}");
    assert_eq!(
        app.persona_row(d.persona).await,
        format!("admitted|{CLEAN}")
    );
}

#[tokio::test]
async fn a_persona_market_must_be_one_the_venue_knows() {
    let app = spawn_app().await;
    let (owner, token) = app.new_owner().await;
    let mut p = owned("wren", owner, CLEAN);
    p["activeMarket"] = json!("mars");
    p["homeMarket"] = json!("atlantis");
    let (status, body) = app.post_persona(&p, Some(&token)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["issues"],
        json!([
            {"path": "activeMarket", "message": "must be one of bay_area, nyc, remote"},
            {"path": "homeMarket", "message": "must be one of bay_area, nyc, other"},
        ])
    );
    assert_eq!(app.db.count("SELECT count(*) FROM personas").await, 0);
    // An edit is held to the same names.
    p["activeMarket"] = json!("nyc");
    p["homeMarket"] = json!("nyc");
    let (status, body) = app.post_persona(&p, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    let id = body["personaId"].as_i64().unwrap();
    let (status, body) = app
        .patch_persona(id, &json!({"activeMarket": "mars"}), Some(&token))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["issues"][0]["path"], "activeMarket", "{body}");
    let (status, body) = app
        .patch_persona(id, &json!({"activeMarket": "remote"}), Some(&token))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.db
            .scalar(&format!(
                "SELECT active_market FROM personas WHERE id = {id}"
            ))
            .await
            .unwrap(),
        "remote"
    );
}

#[tokio::test]
async fn withdrawing_frees_the_place_and_tells_the_partner() {
    let app = spawn_app_with(Setup {
        background: true,
        settings: vec![("cap", "3".into())],
        ..Default::default()
    })
    .await;
    let mine = FakeAgent::start(AgentBehaviour::Echo).await;
    let partners = FakeAgent::start(AgentBehaviour::Echo).await;
    let sea = app
        .dater("sea", json!({"about": SAILOR}), Some(mine.url()))
        .await;
    let wave = app
        .dater(
            "wave",
            json!({"about": format!("{SAILOR} Truly.")}),
            Some(partners.url()),
        )
        .await;
    let (status, beat) = app.beat().await;
    assert_eq!(
        (status.as_u16(), &beat["created"]),
        (200, &json!(1)),
        "{beat}"
    );
    crate::helpers::wait_for_event(&partners, "couple.formed").await;
    let couple = app
        .db
        .count("SELECT id FROM couples WHERE state = 'courting'")
        .await;
    // The venue fills up: the fourth waits pending.
    assert_eq!(app.owned_persona("cy").await.0, 200);
    let (status, body) = app.owned_persona("dee").await;
    assert_eq!(
        (status.as_u16(), &body["capReached"]),
        (422, &json!(true)),
        "{body}"
    );
    let dee = body["personaId"].as_i64().unwrap();
    assert_eq!(app.places_taken().await, 3);

    let (status, body) = app.withdraw(sea.persona, Some(&sea.token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["nextSteps"][0]["action"], "check_status");
    assert_eq!(
        crate::helpers::reference_fields(body),
        json!({"ok": true, "personaId": sea.persona, "status": "retired", "couplesEnded": [couple]})
    );
    assert_eq!(app.places_taken().await, 2);
    assert_eq!(
        app.persona_row(sea.persona).await,
        format!("retired|{SAILOR}")
    );

    // The partner's agent hears it, as from `POST /api/couples/:id/end`.
    let got = crate::helpers::wait_for_event(&partners, "couple.ended").await;
    let ended: Vec<&Value> = got.iter().filter(|e| e["type"] == "couple.ended").collect();
    assert_eq!(ended.len(), 1, "{got:?}");
    assert_eq!(ended[0]["coupleId"], couple);
    let r = app
        .client
        .get(app.url("/api/owners/me"))
        .bearer_auth(&wave.token)
        .send()
        .await
        .unwrap();
    let (_, me) = parts(r).await;
    assert_eq!(me["couples"][0]["state"], "ended", "{me}");

    // The freed place goes to the pending persona at the next beat.
    let (status, _) = app.beat().await;
    assert_eq!(status, 200);
    assert_eq!(
        app.db
            .scalar(&format!("SELECT status FROM personas WHERE id = {dee}"))
            .await
            .unwrap(),
        "admitted"
    );
    assert_eq!(app.places_taken().await, 3);

    // Withdrawing again changes nothing; a withdrawn persona is not edited.
    let (status, body) = app.withdraw(sea.persona, Some(&sea.token)).await;
    assert_eq!(
        (status.as_u16(), &body["couplesEnded"]),
        (200, &json!([])),
        "{body}"
    );
    assert_eq!(app.places_taken().await, 3);
    assert_eq!(
        app.patch_persona(sea.persona, &json!({"model": "m2"}), Some(&sea.token))
            .await,
        (StatusCode::CONFLICT, json!({"error": "persona retired"}))
    );
}
