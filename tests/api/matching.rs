//! Issue 10: the dating doc is the matching profile, who is eligible, semantic always,
//! bulk writes, and the beat's record.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use ishtar_test_support::LoopbackServer;

use crate::helpers::{
    Dater, OPERATOR, Setup, TestApp, heart_file, parts, spawn_app, spawn_app_with,
};

fn prose(about: &str) -> Value {
    json!({"about": about})
}

fn doc(about: &str, prefs: Value) -> Value {
    json!({"about": about, "prefs": prefs})
}

fn woman_seeking_men() -> Value {
    json!({"self": {"gender": "woman", "age": 30}, "seek": {"genders": ["man"]}})
}

fn man_seeking_women() -> Value {
    json!({"self": {"gender": "man", "age": 32}, "seek": {"genders": ["woman"]}})
}

fn woman_seeking_women() -> Value {
    json!({"self": {"gender": "woman", "age": 30}, "seek": {"genders": ["woman"]}})
}

/// Every couple as (lower persona id, higher persona id).
async fn couples(app: &TestApp) -> HashSet<(i64, i64)> {
    let raw = app
        .db
        .scalar("SELECT coalesce(string_agg(persona_a || ':' || persona_b, ','), '') FROM couples")
        .await
        .unwrap_or_default();
    raw.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let (a, b) = s.split_once(':').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect()
}

fn pair(a: &Dater, b: &Dater) -> (i64, i64) {
    (a.persona.min(b.persona), a.persona.max(b.persona))
}

const SAME: &str =
    "I bake sourdough bread every weekend and love flour, starters and crusty loaves.";

#[tokio::test]
async fn prefs_given_only_in_the_dating_doc_hold_both_ways() {
    let app = spawn_app().await;
    // Persona hearts are prose only: the filters live in the dating docs.
    let w1 = app
        .dater_with_doc("wa", doc(SAME, woman_seeking_men()), prose(SAME), None)
        .await;
    let w2 = app
        .dater_with_doc("wb", doc(SAME, woman_seeking_men()), prose(SAME), None)
        .await;
    let (status, body) = app.beat().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["pairs"], 0,
        "two women seeking men are never paired: {body}"
    );

    let m = app
        .dater_with_doc("ma", doc(SAME, man_seeking_women()), prose(SAME), None)
        .await;
    let (_, body) = app.beat().await;
    assert_eq!(body["created"], 1, "{body}");
    let made = couples(&app).await;
    assert!(
        made.contains(&pair(&m, &w1)) || made.contains(&pair(&m, &w2)),
        "{made:?}"
    );
    assert!(!made.contains(&pair(&w1, &w2)));
}

#[tokio::test]
async fn a_new_doc_version_takes_effect_at_the_next_beat() {
    let app = spawn_app().await;
    let a = app
        .dater_with_doc("va", doc(SAME, woman_seeking_men()), prose(SAME), None)
        .await;
    let b = app
        .dater_with_doc("vb", doc(SAME, woman_seeking_women()), prose(SAME), None)
        .await;
    assert_eq!(app.beat().await.1["pairs"], 0);

    // a now seeks women: version 2 of her dating doc.
    let mut v2 = heart_file();
    v2["ownerId"] = json!(a.owner);
    v2["heart"] = doc(SAME, woman_seeking_women());
    let (status, body) = app
        .post("/api/intake/heart-file", &v2, Some(&a.token))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["version"].as_i64(), body["docStatus"].as_str()),
        (Some(2), Some("allowed"))
    );

    let (_, body) = app.beat().await;
    assert_eq!(body["created"], 1, "{body}");
    assert!(couples(&app).await.contains(&pair(&a, &b)));
}

#[tokio::test]
async fn a_doc_version_the_chaperone_refuses_is_not_used_and_the_owner_is_told_why() {
    let app = spawn_app().await;
    let a = app
        .dater_with_doc("ra", doc(SAME, woman_seeking_men()), prose(SAME), None)
        .await;
    let b = app
        .dater_with_doc("rb", doc(SAME, woman_seeking_women()), prose(SAME), None)
        .await;
    // Version 2 would open a to women, but it carries an email address: refused.
    let mut v2 = heart_file();
    v2["ownerId"] = json!(a.owner);
    v2["heart"] = doc(
        &format!("{SAME} Write to me at ra.baker@example.com"),
        woman_seeking_women(),
    );
    let (status, body) = app
        .post("/api/intake/heart-file", &v2, Some(&a.token))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["docStatus"], "denied", "{body}");
    assert!(
        body["docReason"].as_str().unwrap().starts_with("pii"),
        "{body}"
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM chaperone_log WHERE target_type = 'heart_file' AND verdict = 'deny'")
            .await,
        1
    );
    // Version 1 (seeking men) is still the profile: no couple with b.
    assert_eq!(app.beat().await.1["pairs"], 0);
    assert!(!couples(&app).await.contains(&pair(&a, &b)));
}

#[tokio::test]
async fn personas_nobody_can_court_for_are_never_paired() {
    let app = spawn_app().await;
    let text = prose(SAME);
    let a = app.dater("ea", text.clone(), None).await;

    // Ownerless (written straight into the store: the door refuses them now).
    app.db
        .exec(
            "INSERT INTO personas (owner_id, handle, model, heart, heart_hash, home_market, \
             active_market, status, reason, created_at, admitted_at) \
             SELECT NULL, 'orphan', 'm', heart, heart_hash, home_market, active_market, \
             'admitted', 'admitted', now(), now() FROM personas LIMIT 1",
        )
        .await;
    // An owner whose agent endpoint was registered but never verified.
    let (owner, token) = app.new_owner().await;
    let (status, _) = app
        .post(
            "/api/intake/agent",
            &json!({"ownerId": owner, "runtime": "claude"}),
            Some(&token),
        )
        .await;
    assert_eq!(status, 200);
    let mut p = json!({"handle": "unproven", "model": "m", "persona_age": "18+", "ownerId": owner, "heart": text});
    p["heart"] = prose(SAME);
    let (status, body) = app.post_persona(&p, Some(&token)).await;
    assert_eq!(status, 200, "{body}");

    let (_, body) = app.beat().await;
    assert_eq!(
        body["pairs"], 0,
        "only one persona can be courted for: {body}"
    );

    // A second verified dater pairs with the first, not with the others.
    let b = app.dater("eb", prose(SAME), None).await;
    let (_, body) = app.beat().await;
    assert_eq!(body["created"], 1, "{body}");
    assert_eq!(couples(&app).await, HashSet::from([pair(&a, &b)]));
}

#[tokio::test]
async fn courting_committed_and_brokered_personas_are_not_paired_and_ended_ones_are() {
    let app = spawn_app().await;
    let a = app.dater("ca", prose(SAME), None).await;
    let b = app.dater("cb", prose(SAME), None).await;
    assert_eq!(app.beat().await.1["created"], 1);
    let first = pair(&a, &b);

    for state in ["courting", "committed", "brokered"] {
        app.db
            .exec(&format!("UPDATE couples SET state = '{state}'"))
            .await;
        let c = app.dater(&format!("c{state}"), prose(SAME), None).await;
        let (_, body) = app.beat().await;
        assert_eq!(body["pairs"], 0, "{state}: {body}");
        // Park the newcomer so the next round tests the first couple alone.
        app.db
            .exec(&format!(
                "UPDATE personas SET status = 'retired' WHERE id = {}",
                c.persona
            ))
            .await;
    }

    // Ending the couple frees both; a and b are never paired again, each pairs anew.
    app.db.exec("UPDATE couples SET state = 'courting'").await;
    let r = app
        .client
        .post(app.url(&format!(
            "/api/couples/{}/end",
            app.db.scalar("SELECT id::text FROM couples").await.unwrap()
        )))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let c = app.dater("cc", prose(SAME), None).await;
    let d = app.dater("cd", prose(SAME), None).await;
    let (_, body) = app.beat().await;
    assert_eq!(body["created"], 2, "{body}");
    let made = couples(&app).await;
    assert_eq!(made.len(), 3);
    assert!(made.contains(&first));
    for x in [&a, &b] {
        assert!(
            made.iter()
                .filter(|p| p.0 == x.persona || p.1 == x.persona)
                .count()
                == 2
        );
    }
    assert!(made.iter().any(|p| p.0 == c.persona || p.1 == c.persona));
    assert!(made.iter().any(|p| p.0 == d.persona || p.1 == d.persona));
}

/// A fake OpenAI-compatible gateway: `/embeddings` answers a word-hash vector per input
/// (texts sharing words are close), or 500 for a batch holding `FAILME`; chat answers
/// `safe` (the guard) — which the writer then publishes as its gambit.
fn fake_gateway(dims: usize, calls: Arc<Mutex<Vec<usize>>>) -> LoopbackServer {
    LoopbackServer::start(2, move |req: actix_web::HttpRequest, body: web::Bytes| {
        let calls = calls.clone();
        async move {
            let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if req.path().ends_with("/embeddings") {
                let inputs: Vec<String> = match &v["input"] {
                    Value::Array(a) => a
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect(),
                    Value::String(s) => vec![s.clone()],
                    _ => vec![],
                };
                calls.lock().unwrap().push(inputs.len());
                if inputs.iter().any(|t| t.contains("FAILME")) {
                    return HttpResponse::InternalServerError()
                        .json(json!({"error": {"message": "boom"}}));
                }
                let data: Vec<Value> = inputs
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let mut e = vec![0.0f32; dims];
                        for w in t.split_whitespace() {
                            let h = w
                                .bytes()
                                .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
                            e[(h % dims as u64) as usize] += 1.0;
                        }
                        json!({"object": "embedding", "index": i, "embedding": e})
                    })
                    .collect();
                HttpResponse::Ok().json(json!({"object": "list", "data": data, "model": "fake"}))
            } else {
                HttpResponse::Ok().json(json!({
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "safe"}, "finish_reason": "stop"}]
                }))
            }
        }
    })
}

#[tokio::test]
async fn a_beat_over_many_embedding_batches_leaves_no_couple_without_a_fit() {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let gateway = fake_gateway(64, calls.clone());
    let app = spawn_app_with(Setup {
        ai_base_url: Some(format!("http://127.0.0.1:{}/v1", gateway.port())),
        embed_dimensions: Some(64),
        embed_batch: Some(3),
        ..Setup::default()
    })
    .await;
    let topics = [
        "bread flour starters loaves",
        "climbing chalk bouldering granite",
        "jazz vinyl saxophone clubs",
        "sailing tides knots wind",
        "chess openings endgames blitz",
        "pottery kilns glazes wheels",
    ];
    let names = [
        "alder", "birch", "cedar", "dogwood", "elm", "fir", "ginkgo", "hazel", "ivy", "juniper",
        "kapok", "larch",
    ];
    for (i, name) in names.iter().enumerate() {
        let t = topics[i % topics.len()];
        app.dater(name, prose(&format!("{t} {t} {name}")), None)
            .await;
    }
    let (status, body) = app.beat().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["created"], 6, "{body}");
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM couples WHERE similarity IS NULL")
            .await,
        0
    );
    // Twelve profiles in batches of three: four calls, none larger than the batch.
    let sizes = calls.lock().unwrap().clone();
    assert!(sizes.iter().all(|n| *n <= 3), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 12, "{sizes:?}");
    assert_eq!(
        app.db
            .scalar("SELECT semantic::text || '/' || embedded || '/' || skipped FROM beats")
            .await
            .as_deref(),
        Some("true/12/0")
    );
}

#[tokio::test]
async fn an_embedder_that_fails_for_some_leaves_them_for_the_next_beat() {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let gateway = fake_gateway(64, calls.clone());
    let app = spawn_app_with(Setup {
        ai_base_url: Some(format!("http://127.0.0.1:{}/v1", gateway.port())),
        embed_dimensions: Some(64),
        embed_batch: Some(1),
        ..Setup::default()
    })
    .await;
    let a = app
        .dater("fa", prose("bread flour starters loaves"), None)
        .await;
    let b = app
        .dater("fb", prose("bread flour starters loaves crust"), None)
        .await;
    let c = app.dater("fc", prose("climbing chalk FAILME"), None).await;
    let d = app
        .dater("fd", prose("climbing chalk granite FAILME"), None)
        .await;

    let (_, body) = app.beat().await;
    assert_eq!(body["created"], 1, "{body}");
    assert_eq!(couples(&app).await, HashSet::from([pair(&a, &b)]));
    assert_eq!(
        app.db
            .scalar("SELECT semantic::text || '/' || embed_failed || '/' || skipped FROM beats")
            .await
            .as_deref(),
        Some("true/2/2"),
        "the failures are counted and the beat stayed semantic"
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM couples WHERE similarity IS NULL")
            .await,
        0
    );

    // The embedder recovers for them (their hearts change): the next beat pairs them.
    for (d, t) in [(&c, "climbing chalk"), (&d, "climbing chalk granite")] {
        app.db
            .exec(&format!(
                "UPDATE personas SET heart = '{{\"about\": \"{t}\"}}'::jsonb, heart_hash = md5('{t}') WHERE id = {}",
                d.persona
            ))
            .await;
    }
    let (_, body) = app.beat().await;
    assert_eq!(body["created"], 1, "{body}");
    assert!(couples(&app).await.contains(&pair(&c, &d)));
}

#[tokio::test]
async fn with_the_embedder_down_entirely_the_beat_pairs_by_adjacency_and_says_so() {
    // Nothing listens on this port: every embedding call fails.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let app = spawn_app_with(Setup {
        ai_base_url: Some(format!("http://127.0.0.1:{port}/v1")),
        embed_dimensions: Some(64),
        ..Setup::default()
    })
    .await;
    // The guard is unreachable too, so personas are held at the door: admit them by hand.
    for h in ["da", "db"] {
        let mut hf = heart_file();
        hf["heart"] = prose(SAME);
        let (_, saved) = app.post("/api/intake/heart-file", &hf, None).await;
        let (owner, token) = (
            saved["ownerId"].clone(),
            saved["ownerToken"].as_str().unwrap().to_owned(),
        );
        let (_, reg) = app
            .post(
                "/api/intake/agent",
                &json!({"ownerId": owner, "runtime": "claude"}),
                Some(&token),
            )
            .await;
        app.post(
            "/api/intake/agent/verify",
            &json!({"endpointId": reg["id"], "echoToken": reg["challengeNonce"]}),
            None,
        )
        .await;
        let p = json!({"handle": h, "model": "m", "persona_age": "18+", "ownerId": owner, "heart": prose(SAME)});
        let (status, body) = app.post_persona(&p, Some(&token)).await;
        assert_eq!(status, 422, "the guard is down: {body}");
    }
    app.db
        .exec("UPDATE personas SET status = 'admitted', admitted_at = now()")
        .await;
    app.db
        .exec("UPDATE heart_files SET status = 'allowed'")
        .await;
    let (status, body) = app.beat().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["created"], 1, "{body}");
    assert_eq!(
        app.db
            .scalar("SELECT semantic::text FROM beats")
            .await
            .as_deref(),
        Some("false")
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM couples WHERE similarity IS NULL")
            .await,
        1
    );
}

#[tokio::test]
async fn the_console_shows_the_last_beats_with_their_stages() {
    let app = spawn_app().await;
    app.dater("sa", prose(SAME), None).await;
    app.dater("sb", prose(SAME), None).await;
    assert_eq!(app.beat().await.1["created"], 1);
    let r = app
        .client
        .get(app.url("/admin"))
        .bearer_auth(OPERATOR)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    for stage in ["embed", "knn", "gambits", "writes", "notifications"] {
        assert!(page.contains(stage), "the console names stage {stage}");
    }
    assert!(page.contains("semantic"));
    // /admin.json keeps exactly its keys.
    let r = app
        .client
        .get(app.url("/admin.json"))
        .bearer_auth(OPERATOR)
        .send()
        .await
        .unwrap();
    let (_, snap) = parts(r).await;
    assert_eq!(snap.as_object().unwrap().len(), 14);
}
