//! A member reads its own courtship (issue 12): `GET /api/couples/:id` and
//! `GET /api/couples/:id/turns`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use ishtar_test_support::{AgentBehaviour, FakeAgent};

use crate::helpers::{Dater, Setup, TestApp, heart_file, spawn_app, spawn_app_with};

const TEXT: &str = "Vintage bicycles, espresso and Sunday markets by the river.";

/// A GET with the owner's token, if any.
pub async fn get_as(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    app.get_with(path, token).await
}

/// The courting couple of `d`, from its owner's overview.
pub async fn couple_of(app: &TestApp, d: &Dater) -> i64 {
    let (_, me) = get_as(app, "/api/owners/me", Some(&d.token)).await;
    me["couples"]
        .as_array()
        .expect("couples")
        .iter()
        .find(|c| c["state"] == "courting")
        .and_then(|c| c["coupleId"].as_i64())
        .expect("paired")
}

/// A dating doc with prose, private prefs and the standard `contactRef`
/// (`tg:@wren_alias`), for one side of a compatible pair.
fn doc(gender: &str, seeks: &str) -> Value {
    let mut h = heart_file()["heart"].clone();
    h["prefs"] = json!({"self": {"gender": gender, "age": 33},
                        "seek": {"genders": [seeks], "ageMin": 28, "ageMax": 40}});
    h
}

/// Two daters paired by a beat: ada (no callback) and bo (callback `bo_cb`).
pub async fn pair(app: &TestApp, bo_cb: Option<&str>) -> (Dater, Dater, i64) {
    let heart = json!({"about": TEXT});
    let a = app
        .dater_with_doc("ada", doc("woman", "man"), heart.clone(), None)
        .await;
    let b = app
        .dater_with_doc("bo", doc("man", "woman"), heart, bo_cb)
        .await;
    let (status, beat) = app.beat().await;
    assert_eq!(status, 200, "{beat}");
    let couple = couple_of(app, &a).await;
    (a, b, couple)
}

async fn post_turn(app: &TestApp, couple: i64, d: &Dater, body: &str) -> Value {
    let (status, out) = app
        .post(
            &format!("/api/couples/{couple}/turns"),
            &json!({"body": body}),
            Some(&d.token),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    out
}

#[tokio::test]
async fn a_member_reads_the_partners_turn_named_by_its_event() {
    let app = spawn_app_with(Setup {
        background: true,
        ..Default::default()
    })
    .await;
    let agent = FakeAgent::start(AgentBehaviour::Echo).await;
    let (a, b, couple) = pair(&app, Some(agent.url())).await;
    let sent = post_turn(&app, couple, &a, "Hi Bo! Favourite market stall?").await;

    // The delivery loop runs every 500 ms; wait for bo's `turn.published`.
    let mut event = None;
    for _ in 0..100 {
        event = agent.received().into_iter().find_map(|r| {
            let v: Value = serde_json::from_slice(&r.body).ok()?;
            (v["type"] == "turn.published").then_some(v)
        });
        if event.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let event = event.expect("turn.published reached bo's agent");
    let turn_id = event["turnId"].as_i64().expect("turnId");
    assert_eq!(turn_id, sent["turnId"].as_i64().unwrap());
    assert_eq!(event["coupleId"], couple);

    let (status, page) = get_as(
        &app,
        &format!("/api/couples/{couple}/turns"),
        Some(&b.token),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let turns = page["turns"].as_array().unwrap();
    let got = turns
        .iter()
        .find(|t| t["turnId"] == turn_id)
        .expect("the turn by id");
    assert_eq!(got["author"], "ada");
    assert_eq!(got["body"], "Hi Bo! Favourite market stall?");
    assert_eq!(got["status"], "published");
    assert!(got["createdAt"].as_str().unwrap().ends_with('Z'));
    assert!(got.get("reason").is_none(), "{got}");
    assert_eq!(turns[0]["author"], "matchmaker", "oldest first: the gambit");
    assert_eq!(page["nextSince"], turn_id);
    assert_eq!(page["hasMore"], false);

    // The couple as bo sees it.
    let (status, c) = get_as(&app, &format!("/api/couples/{couple}"), Some(&b.token)).await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["coupleId"], couple);
    assert_eq!(c["state"], "courting");
    assert!(
        c["fit"].as_f64().is_some_and(|f| f > 0.0 && f <= 1.0),
        "{c}"
    );
    assert!(c["createdAt"].is_string());
    assert_eq!(
        c["you"],
        json!({"personaId": b.persona, "handle": "bo", "consented": false})
    );
    assert_eq!(c["partner"]["personaId"], a.persona);
    assert_eq!(c["partner"]["handle"], "ada");
    assert_eq!(c["partner"]["consented"], false);
    assert_eq!(c["lastTurn"]["turnId"], turn_id);
    let _ = a;
}

#[tokio::test]
async fn the_partners_profile_is_the_docs_prose_without_contact_or_prefs() {
    let app = spawn_app().await;
    let (a, b, couple) = pair(&app, None).await;
    // Ada consents: bo sees which side did.
    let (status, _) = app
        .post(
            &format!("/api/couples/{couple}/intro-consent"),
            &json!({"ownerId": a.owner}),
            Some(&a.token),
        )
        .await;
    assert_eq!(status, 200);
    let (status, c) = get_as(&app, &format!("/api/couples/{couple}"), Some(&b.token)).await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["partner"]["consented"], true);
    assert_eq!(c["you"]["consented"], false);
    let profile = &c["partner"]["profile"];
    assert_eq!(profile["docVersion"], 1);
    assert_eq!(profile["doc"]["about"], heart_file()["heart"]["about"]);
    assert_eq!(profile["doc"]["seeking"], heart_file()["heart"]["seeking"]);
    assert_eq!(profile["heart"], json!({"about": TEXT}));
    let text = c.to_string();
    for secret in [
        "tg:@wren_alias",
        "wren_alias",
        "contactRef",
        "\"prefs\"",
        "genders",
        "ageMin",
        "ageMax",
        "\"self\"",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }

    // A newer doc version that the chaperone refused is never shown: version 1 stays.
    let mut v2 = heart_file();
    v2["ownerId"] = json!(a.owner);
    v2["heart"]["about"] = json!("write to ada@example.com any time");
    let (status, saved) = app
        .post("/api/intake/heart-file", &v2, Some(&a.token))
        .await;
    assert_eq!(
        (status.as_u16(), &saved["docStatus"]),
        (200, &json!("denied"))
    );
    let (_, c) = get_as(&app, &format!("/api/couples/{couple}"), Some(&b.token)).await;
    assert_eq!(c["partner"]["profile"]["docVersion"], 1);
    assert!(!c.to_string().contains("example.com"));
}

#[tokio::test]
async fn only_members_read_a_couple() {
    let app = spawn_app().await;
    let (a, _b, couple) = pair(&app, None).await;
    let outsider = app
        .dater(
            "zed",
            json!({"about": "Deep sea diving and nothing else."}),
            None,
        )
        .await;
    for path in [
        format!("/api/couples/{couple}"),
        format!("/api/couples/{couple}/turns"),
    ] {
        let cases: Vec<(String, Option<&str>, u16, Value)> = vec![
            (
                path.clone(),
                None,
                401,
                json!({"error": "owner token required"}),
            ),
            (
                path.clone(),
                Some("ish_not-a-real-token"),
                401,
                json!({"error": "owner token required"}),
            ),
            (
                path.clone(),
                Some(&outsider.token),
                403,
                json!({"error": "owner not in this couple"}),
            ),
            (
                path.replace(&couple.to_string(), "999999"),
                Some(&a.token),
                404,
                json!({"error": "no such couple"}),
            ),
            (
                path.replace(&couple.to_string(), "abc"),
                Some(&a.token),
                400,
                json!({"error": "bad couple id"}),
            ),
            (
                path.replace(&couple.to_string(), "0"),
                Some(&a.token),
                400,
                json!({"error": "bad couple id"}),
            ),
        ];
        for (p, token, status, want) in cases {
            let (s, got) = get_as(&app, &p, token).await;
            assert_eq!((s.as_u16(), got), (status, want), "{p}");
        }
    }
    // Bad query values: 400 with every issue named.
    let base = format!("/api/couples/{couple}/turns");
    for (query, path, message) in [
        ("since=abc", "since", "expected a whole number"),
        ("since=-1", "since", "must be at least 0"),
        ("limit=0", "limit", "must be between 1 and 200"),
        ("limit=201", "limit", "must be between 1 and 200"),
        ("limit=", "limit", "expected a whole number"),
        ("limit=5&limit=6", "limit", "appears more than once"),
        ("page=2", "page", "unknown parameter"),
    ] {
        let (s, got) = get_as(&app, &format!("{base}?{query}"), Some(&a.token)).await;
        assert_eq!(
            (s.as_u16(), got),
            (
                400,
                json!({"error": "invalid query", "issues": [{"path": path, "message": message}]})
            ),
            "{query}"
        );
    }
    // A method the path does not serve.
    let r = app
        .client
        .delete(app.url(&format!("/api/couples/{couple}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn held_and_blocked_turns_are_shown_to_their_author_only() {
    let app = spawn_app().await;
    let (a, b, couple) = pair(&app, None).await;
    let blocked = post_turn(&app, couple, &a, "text me at ada@example.com").await;
    assert_eq!(blocked["status"], "blocked");
    // A hold (the guard could not run) is stored like any turn.
    app.db
        .exec(&format!(
            "INSERT INTO turns (couple_id, author_persona_id, author, body, status, reason, created_at) \
             VALUES ({couple}, {}, 'ada', 'held words', 'held', 'guard_unavailable: test', now())",
            a.persona
        ))
        .await;
    let published = post_turn(&app, couple, &b, "Hello Ada.").await;

    let path = format!("/api/couples/{couple}/turns");
    let (_, mine) = get_as(&app, &path, Some(&a.token)).await;
    let own: Vec<(&str, &str, &str)> = mine["turns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["author"] == "ada")
        .map(|t| {
            (
                t["body"].as_str().unwrap(),
                t["status"].as_str().unwrap(),
                t["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        own,
        vec![
            ("text me at ada@example.com", "blocked", "pii: email"),
            ("held words", "held", "guard_unavailable: test"),
        ]
    );
    assert_eq!(mine["turns"].as_array().unwrap().len(), 4, "{mine}");

    let (_, theirs) = get_as(&app, &path, Some(&b.token)).await;
    let text = theirs.to_string();
    assert!(
        !text.contains("example.com") && !text.contains("held words"),
        "{text}"
    );
    assert_eq!(theirs["turns"].as_array().unwrap().len(), 2, "{theirs}");
    assert_eq!(theirs["nextSince"], published["turnId"]);

    // The couple's newest turn, for each side.
    let (_, c) = get_as(&app, &format!("/api/couples/{couple}"), Some(&b.token)).await;
    assert_eq!(c["lastTurn"]["body"], "Hello Ada.");
    // The boards never show either.
    let (_, board) = app
        .get(&format!("/api/boards/courtships?couple={couple}"))
        .await;
    assert_eq!(board.as_array().unwrap().len(), 2, "{board}");
    assert!(!board.to_string().contains("held words"));
}

#[tokio::test]
async fn paging_with_since_and_limit_returns_each_turn_exactly_once() {
    let app = spawn_app().await;
    let (a, b, couple) = pair(&app, None).await;
    let mut want = Vec::new();
    for i in 0..7 {
        let (who, name) = if i % 2 == 0 { (&a, "ada") } else { (&b, "bo") };
        let out = post_turn(&app, couple, who, &format!("{name} says {i}")).await;
        want.push(out["turnId"].as_i64().unwrap());
    }
    let path = format!("/api/couples/{couple}/turns");
    let (_, all) = get_as(&app, &path, Some(&a.token)).await;
    let gambit = all["turns"][0]["turnId"].as_i64().unwrap();
    want.insert(0, gambit);

    let mut got: Vec<i64> = Vec::new();
    let mut since = 0;
    let mut pages = 0;
    loop {
        let (status, page) = get_as(
            &app,
            &format!("{path}?since={since}&limit=3"),
            Some(&b.token),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        let ids: Vec<i64> = page["turns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["turnId"].as_i64().unwrap())
            .collect();
        assert!(ids.len() <= 3);
        got.extend(&ids);
        since = page["nextSince"].as_i64().unwrap();
        pages += 1;
        if page["hasMore"] == false {
            break;
        }
        assert!(pages < 10, "the cursor moves on");
    }
    assert_eq!(got, want, "each turn once, oldest first");
    assert_eq!(pages, 3);

    // Polling at the end: nothing new, the cursor stays; a new turn then arrives once.
    let (_, idle) = get_as(&app, &format!("{path}?since={since}"), Some(&b.token)).await;
    assert_eq!(idle["nextSteps"][0]["action"], "post_turn", "{idle}");
    assert_eq!(
        crate::helpers::reference_fields(idle),
        json!({"coupleId": couple, "turns": [], "nextSince": since, "hasMore": false})
    );
    let late = post_turn(&app, couple, &a, "one more").await;
    let (_, next) = get_as(&app, &format!("{path}?since={since}"), Some(&b.token)).await;
    assert_eq!(next["turns"].as_array().unwrap().len(), 1);
    assert_eq!(next["turns"][0]["turnId"], late["turnId"]);
    assert_eq!(next["nextSince"], late["turnId"]);
}
