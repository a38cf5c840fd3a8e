//! The operator console (issue 6): authentication, `/admin`, `/admin.json`, live settings,
//! brokering, retention with a controlled clock, and the CLI (erasure: `erasure.rs`).

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

use ishtar::Config;
use ishtar_domain::ports::Clock;
use ishtar_test_support::TestDatabase;

use crate::helpers::{Dater, OPERATOR, Setup, TestApp, parts, persona, spawn_app, spawn_app_with};

fn heart(about: &str) -> Value {
    json!({"about": about})
}

const BAKER: &str =
    "I bake sourdough bread every weekend and love flour, starters and crusty loaves.";

fn config_for(db: &TestDatabase, admin_token: Option<&str>) -> Config {
    Config {
        bind: "127.0.0.1:0".into(),
        database_url: db.url().to_owned(),
        db_pool_size: 4,
        allow_private_callbacks: true,
        encryption_key: Some(
            base64::engine::general_purpose::STANDARD
                .encode([42u8; 32])
                .into(),
        ),
        data_dir: std::env::temp_dir().join("ishtar-tests"),
        admin_token: admin_token.map(|t| t.to_owned().into()),
        background: false,
        ..Config::default()
    }
}

impl TestApp {
    async fn admin_get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .basic_auth("operator", Some(OPERATOR))
            .send()
            .await
            .unwrap()
    }

    async fn admin_post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        parts(
            self.client
                .post(self.url(path))
                .bearer_auth(OPERATOR)
                .json(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn admin_json(&self) -> Value {
        let r = self.admin_get("/admin.json").await;
        let (status, body) = parts(r).await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

/// Two daters with similar hearts, paired by a beat; returns them and their couple.
async fn courting_pair(app: &TestApp, a: &str, b: &str) -> (Dater, Dater, i64) {
    let x = app.dater(a, heart(BAKER), None).await;
    let y = app
        .dater(b, heart(&format!("{BAKER} Sourdough forever.")), None)
        .await;
    let (status, body) = app.beat().await;
    assert_eq!(
        (status.as_u16(), &body["created"]),
        (200, &json!(1)),
        "{body}"
    );
    let couple = app.first_couple(&x).await;
    (x, y, couple)
}

async fn consent(app: &TestApp, couple: i64, d: &Dater) {
    let (status, body) = app
        .post(
            &format!("/api/couples/{couple}/intro-consent"),
            &json!({"ownerId": d.owner}),
            Some(&d.token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

// --- authentication --------------------------------------------------------------------

#[tokio::test]
async fn every_console_route_needs_the_operator_and_is_closed_without_a_token() {
    let app = spawn_app().await;
    let routes: [(&str, &str); 5] = [
        ("GET", "/admin"),
        ("GET", "/admin.json"),
        ("POST", "/admin/actions/beat"),
        ("POST", "/admin/actions/settings"),
        ("POST", "/admin/actions/broker"),
    ];
    for (method, path) in routes {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = app
            .client
            .request(m.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{method} {path}");
        assert!(
            r.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Basic")
        );
        let r = app
            .client
            .request(m, app.url(path))
            .basic_auth("x", Some("not-the-secret"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{method} {path}");
    }
    assert_eq!(app.admin_get("/admin").await.status(), 200);
    assert_eq!(app.admin_get("/admin.json").await.status(), 200);

    // No ISHTAR_ADMIN_TOKEN: the console is closed, whatever is presented.
    let db = TestDatabase::new().await;
    let closed = ishtar::Application::build(config_for(&db, None))
        .await
        .unwrap();
    let address = format!("http://127.0.0.1:{}", closed.port());
    tokio::spawn(closed.run_until_stopped());
    for (method, path) in routes {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let (status, body) = parts(
            app.client
                .request(m, format!("{address}{path}"))
                .bearer_auth("")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status.as_u16(), body),
            (403, json!({"error": "console closed"})),
            "{method} {path}"
        );
    }
}

// --- /admin.json -------------------------------------------------------------------------

const KEYS: [&str; 14] = [
    "health",
    "sim_mode",
    "admitted",
    "cap",
    "cap_used_pct",
    "couples_by_state",
    "turns_by_status",
    "chaperone_today",
    "orders_by_status",
    "revenue_usdc",
    "buyback_reserve_usdc",
    "geo_denials_today",
    "intros_to_broker",
    "recent_events",
];

fn assert_shape(s: &Value) {
    let keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, KEYS, "exactly the reference's keys, in its order");
    assert!(matches!(s["health"].as_str(), Some("ok" | "degraded")));
    assert!(s["sim_mode"].is_string());
    assert!(s["admitted"].is_i64() && s["cap"].is_u64() && s["geo_denials_today"].is_i64());
    assert!(s["cap_used_pct"].is_f64(), "{}", s["cap_used_pct"]);
    let objects = [
        (
            "couples_by_state",
            vec!["courting", "committed", "brokered", "ended"],
        ),
        ("turns_by_status", vec!["published", "held", "blocked"]),
        ("chaperone_today", vec!["allow", "hold", "deny"]),
        (
            "orders_by_status",
            vec!["challenged", "settling", "failed", "fulfilled"],
        ),
    ];
    for (key, expected) in objects {
        let o = s[key].as_object().unwrap();
        for k in expected {
            assert!(o[k].is_i64(), "{key}.{k}");
        }
    }
    for key in ["revenue_usdc", "buyback_reserve_usdc"] {
        let v = s[key].as_str().unwrap();
        let (whole, frac) = v.split_once('.').unwrap();
        assert!(
            whole.parse::<u64>().is_ok() && frac.len() == 6,
            "{key}: {v}"
        );
    }
    for i in s["intros_to_broker"].as_array().unwrap() {
        assert!(i["coupleId"].is_i64() && i["handles"].as_array().unwrap().len() == 2);
        assert!(i["since"].is_string());
    }
    for e in s["recent_events"].as_array().unwrap() {
        assert!(e["id"].is_i64() && e["kind"].is_string() && e["createdAt"].is_string());
        assert!(e["data"].is_object());
    }
}

#[tokio::test]
async fn admin_json_has_exactly_the_reference_keys_with_stable_types() {
    let app = spawn_app_with(Setup {
        settings: vec![("cap", "3".into())],
        geo_denied: Some("KP".into()),
        ..Setup::default()
    })
    .await;
    let empty = app.admin_json().await;
    assert_shape(&empty);
    assert_eq!(empty["health"], "ok");
    assert_eq!(
        (&empty["admitted"], &empty["cap"], &empty["cap_used_pct"]),
        (&json!(0), &json!(3), &json!(0.0))
    );
    assert_eq!(empty["revenue_usdc"], "0.000000");

    let (a, b, couple) = courting_pair(&app, "ada", "bo").await;
    consent(&app, couple, &a).await;
    consent(&app, couple, &b).await;
    let denied = app
        .client
        .get(app.url("/health"))
        .header("cf-ipcountry", "KP")
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 403);
    app.db
        .exec(
            "INSERT INTO orders (id, owner_id, amount, status, created_at, updated_at) \
               VALUES ('cr:1:0:2026-11-23', NULL, 5000000, 'fulfilled', now(), now())",
        )
        .await;
    app.db
        .exec("INSERT INTO receipts (order_id, payer, transaction, network, amount, auth_nonce, created_at) \
               VALUES ('cr:1:0:2026-11-23', '0xabc', '0xtx', 'eip155:8453', 5000000, '0x01', now())")
        .await;
    app.db
        .exec(
            "INSERT INTO buyback_ledger (receipt_id, amount, created_at) \
               SELECT id, 500000, now() FROM receipts",
        )
        .await;

    let s = app.admin_json().await;
    assert_shape(&s);
    assert_eq!(
        (&s["admitted"], &s["cap_used_pct"]),
        (&json!(2), &json!(66.7))
    );
    assert_eq!(s["couples_by_state"]["committed"], 1);
    assert_eq!(s["turns_by_status"]["published"], 1, "the gambit");
    assert!(s["chaperone_today"]["allow"].as_i64().unwrap() >= 3);
    assert_eq!(s["orders_by_status"]["fulfilled"], 1);
    assert_eq!(
        (&s["revenue_usdc"], &s["buyback_reserve_usdc"]),
        (&json!("5.000000"), &json!("0.500000"))
    );
    assert_eq!(s["geo_denials_today"], 1);
    let intros = s["intros_to_broker"].as_array().unwrap();
    assert_eq!(intros.len(), 1);
    assert_eq!(intros[0]["coupleId"], couple);
    assert_eq!(intros[0]["handles"], json!(["ada", "bo"]));
    assert!(
        !s.to_string().contains("wren_alias"),
        "no contact pointer in the JSON"
    );
    let kinds: Vec<&str> = s["recent_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"intro_ready"), "{kinds:?}");
    assert!(kinds.contains(&"beat_run"), "{kinds:?}");
}

#[tokio::test]
async fn a_part_that_cannot_be_read_degrades_the_json_and_fails_the_page() {
    let app = spawn_app().await;
    app.db.exec("DROP TABLE geo_denials").await;
    let s = app.admin_json().await;
    assert_shape(&s);
    assert_eq!(s["health"], "degraded");
    assert_eq!(s["geo_denials_today"], 0);

    let r = app.admin_get("/admin").await;
    assert_eq!(r.status(), 500);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = r.text().await.unwrap();
    assert!(
        page.contains("The console could not read the venue"),
        "{page}"
    );
    assert!(!page.contains("geo_denials"), "no cause leaks to the page");
}

// --- settings ----------------------------------------------------------------------------

#[tokio::test]
async fn settings_are_allow_listed_validated_applied_at_once_and_recorded() {
    let app = spawn_app_with(Setup {
        settings: vec![("cap", "1".into())],
        ..Setup::default()
    })
    .await;
    let set = |key: Value, value: Option<Value>| {
        let mut body = json!({"key": key});
        if let Some(v) = value {
            body["value"] = v;
        }
        body
    };
    for (body, error) in [
        (
            set(json!("admin_token"), Some(json!("x"))),
            "key not allowed",
        ),
        (json!({}), "key not allowed"),
        (set(json!("cap"), None), "value required"),
        (set(json!("cap"), Some(Value::Null)), "value required"),
        (set(json!("cap"), Some(json!(""))), "value required"),
    ] {
        let (status, got) = app.admin_post("/admin/actions/settings", &body).await;
        assert_eq!(
            (status.as_u16(), got),
            (400, json!({"ok": false, "error": error})),
            "{body}"
        );
    }
    let (status, got) = app
        .admin_post(
            "/admin/actions/settings",
            &set(json!("cap"), Some(json!("lots"))),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        (&got["ok"], &got["error"]),
        (&json!(false), &json!("bad value"))
    );
    assert!(
        got["reason"].as_str().unwrap().contains("whole number"),
        "{got}"
    );
    let (status, _) = app
        .admin_post(
            "/admin/actions/settings",
            &set(json!("geo_denied"), Some(json!("USA"))),
        )
        .await;
    assert_eq!(status, 400);
    let r = app
        .client
        .post(app.url("/admin/actions/settings"))
        .bearer_auth(OPERATOR)
        .body("key=cap")
        .header("content-type", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);

    // mode: /health reports it at once.
    let (status, got) = app
        .admin_post(
            "/admin/actions/settings",
            &set(json!("mode"), Some(json!(" open "))),
        )
        .await;
    assert_eq!(
        (status.as_u16(), got),
        (200, json!({"ok": true, "key": "mode", "value": "open"}))
    );
    assert_eq!(
        app.get("/health").await.1,
        json!({"ok": true, "mode": "open"})
    );

    // cap: a raised cap admits a pending persona on the next beat.
    app.dater("first", heart(BAKER), None).await;
    let (owner, token) = app.new_owner().await;
    let mut p = persona("second");
    p["ownerId"] = json!(owner);
    let (status, body) = app.post_persona(&p, Some(&token)).await;
    assert_eq!(
        (status.as_u16(), &body["reason"]),
        (422, &json!("cap reached"))
    );
    let (status, got) = app
        .admin_post(
            "/admin/actions/settings",
            &set(json!("cap"), Some(json!(2))),
        )
        .await;
    assert_eq!(
        (status.as_u16(), &got["value"]),
        (200, &json!("2")),
        "numbers are accepted"
    );
    app.beat().await;
    assert_eq!(
        app.db
            .scalar("SELECT status FROM personas WHERE handle = 'second'")
            .await
            .as_deref(),
        Some("admitted")
    );

    // geo_denied applies to the very next request.
    let (status, _) = app
        .admin_post(
            "/admin/actions/settings",
            &set(json!("geo_denied"), Some(json!("fr, de"))),
        )
        .await;
    assert_eq!(status, 200);
    let r = app
        .client
        .get(app.url("/health"))
        .header("cf-ipcountry", "FR")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let (status, _) = app
        .admin_post(
            "/admin/actions/settings",
            &set(json!("geo_denied"), Some(json!(""))),
        )
        .await;
    assert_eq!(status, 200, "an empty list clears it");

    // Every change is an event; refused ones are not.
    let changes = app
        .db
        .scalar(
            "SELECT string_agg(data->>'key' || '=' || (data->>'value'), ' ' ORDER BY id) \
             FROM events WHERE kind = 'setting_changed'",
        )
        .await
        .unwrap();
    assert_eq!(changes, "mode=open cap=2 geo_denied=fr, de geo_denied=");
}

// --- brokering ---------------------------------------------------------------------------

#[tokio::test]
async fn only_a_committed_couple_is_brokered_and_it_is_recorded() {
    let app = spawn_app().await;
    let (a, b, couple) = courting_pair(&app, "ada", "bo").await;

    for body in [
        json!({}),
        json!({"coupleId": null}),
        json!({"coupleId": 0}),
        json!({"coupleId": "x"}),
    ] {
        let (status, got) = app.admin_post("/admin/actions/broker", &body).await;
        assert_eq!(
            (status.as_u16(), got),
            (400, json!({"ok": false, "error": "coupleId required"})),
            "{body}"
        );
    }
    let (status, got) = app
        .admin_post("/admin/actions/broker", &json!({"coupleId": 999_999}))
        .await;
    assert_eq!(
        (status.as_u16(), got),
        (404, json!({"ok": false, "error": "no such couple"}))
    );
    let (status, got) = app
        .admin_post("/admin/actions/broker", &json!({"coupleId": couple}))
        .await;
    assert_eq!(
        (status.as_u16(), got),
        (
            409,
            json!({"ok": false, "error": "couple not committed", "state": "courting"})
        )
    );

    consent(&app, couple, &a).await;
    consent(&app, couple, &b).await;
    let (status, got) = app
        .admin_post(
            "/admin/actions/broker",
            &json!({"coupleId": couple.to_string()}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), got),
        (200, json!({"ok": true, "coupleId": couple}))
    );
    assert_eq!(
        app.db
            .scalar(&format!("SELECT state FROM couples WHERE id = {couple}"))
            .await
            .as_deref(),
        Some("brokered")
    );
    assert_eq!(
        app.db
            .count(&format!(
                "SELECT count(*) FROM events WHERE kind = 'intro_brokered' \
                 AND data = '{{\"coupleId\": {couple}}}'::jsonb"
            ))
            .await,
        1
    );
    // Once brokered, it is no longer an intro to broker, and not brokered twice.
    assert_eq!(app.admin_json().await["intros_to_broker"], json!([]));
    let (status, got) = app
        .admin_post("/admin/actions/broker", &json!({"coupleId": couple}))
        .await;
    assert_eq!((status.as_u16(), &got["state"]), (409, &json!("brokered")));
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM events WHERE kind = 'intro_brokered'")
            .await,
        1
    );
}

// --- the HTML console ----------------------------------------------------------------------

fn cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

fn hidden_token(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    page[at..at + 64].to_owned()
}

#[tokio::test]
async fn the_console_shows_every_section_and_its_forms_work_without_javascript() {
    let app = spawn_app().await;
    let (a, b, couple) = courting_pair(&app, "ada", "bo").await;
    consent(&app, couple, &a).await;
    consent(&app, couple, &b).await;

    let r = app.admin_get("/admin").await;
    assert_eq!(r.status(), 200);
    let headers = r.headers().clone();
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("form-action 'self'")
    );
    assert_eq!(headers["cache-control"], "no-store");
    let set = cookies(&headers);
    let session = set
        .iter()
        .find(|c| c.starts_with("ishtar_console="))
        .expect("a console session cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(session.contains(attr), "{session}");
    }
    let page = r.text().await.unwrap();
    for heading in [
        "Capacity &amp; economics",
        "Controls",
        "Intros to broker",
        "Personas",
        "Couples &amp; courtship",
        "Boards",
        "Payments",
        "Identity",
        "Chaperone log",
        "Regional denials",
        "Recent events",
    ] {
        assert!(page.contains(&format!(">{heading}</h2>")), "{heading}");
    }
    assert!(!page.contains("<script"), "no JavaScript at all");
    // The committed couple with both private pointers, on the console only.
    assert_eq!(page.matches("tg:@wren_alias").count(), 2);
    for action in ["beat", "settings", "broker"] {
        assert!(page.contains(&format!("action=\"/admin/actions/{action}\"")));
    }
    let token = hidden_token(&page);
    let session = cookie_pair(session);

    let form = |path: &str, fields: &[(&str, &str)], with_cookie: bool| {
        let mut req = app
            .client
            .post(app.url(path))
            .basic_auth("operator", Some(OPERATOR))
            .form(fields);
        if with_cookie {
            req = req.header("cookie", session.clone());
        }
        req
    };
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let send = |req: reqwest::RequestBuilder| {
        let req = req.build().unwrap();
        no_redirects.execute(req)
    };

    // Forged forms: no token, a wrong one, the token without the session cookie, or a
    // foreign origin. Nothing runs.
    for (req, what) in [
        (form("/admin/actions/beat", &[], true), "no token"),
        (
            form("/admin/actions/beat", &[("csrf", &"0".repeat(64))], true),
            "wrong token",
        ),
        (
            form("/admin/actions/beat", &[("csrf", &token)], false),
            "no session cookie",
        ),
        (
            form("/admin/actions/beat", &[("csrf", &token)], true)
                .header("origin", "https://evil.example"),
            "foreign origin",
        ),
        (
            form(
                "/admin/actions/settings",
                &[("csrf", &token), ("key", "cap"), ("value", "0")],
                true,
            )
            .header("sec-fetch-site", "cross-site"),
            "cross-site fetch",
        ),
    ] {
        let r = send(req).await.unwrap();
        assert_eq!(r.status(), 403, "{what}");
        assert!(r.text().await.unwrap().contains("Form refused"), "{what}");
    }
    assert_eq!(
        app.db.count("SELECT count(*) FROM beats").await,
        1,
        "only the first beat"
    );
    let r = send(
        app.client
            .post(app.url("/admin/actions/beat"))
            .basic_auth("operator", Some(OPERATOR))
            .header("origin", "https://evil.example"),
    )
    .await
    .unwrap();
    assert_eq!(
        r.status(),
        403,
        "a cross-site request without a body is refused too"
    );

    // A genuine form: runs, comes back with a one-time message.
    let r = send(
        form("/admin/actions/beat", &[("csrf", &token)], true)
            .header("origin", app.address.clone())
            .header("sec-fetch-site", "same-origin"),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/admin#controls");
    let flash = cookies(r.headers())
        .into_iter()
        .find(|c| c.starts_with("ishtar_flash="))
        .expect("a message for the next page");
    assert_eq!(app.db.count("SELECT count(*) FROM beats").await, 2);
    let r = app
        .client
        .get(app.url("/admin"))
        .basic_auth("operator", Some(OPERATOR))
        .header("cookie", format!("{session}; {}", cookie_pair(&flash)))
        .send()
        .await
        .unwrap();
    assert!(
        cookies(r.headers())
            .iter()
            .any(|c| c.starts_with("ishtar_flash=;") && c.contains("Max-Age=0"))
    );
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Beat ran: 0 pairs found, 0 new couples."),
        "shown once"
    );

    // Settings and brokering from forms, errors included.
    let r = send(form(
        "/admin/actions/settings",
        &[("csrf", &token), ("key", "match_k"), ("value", "0")],
        true,
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let r = send(form(
        "/admin/actions/settings",
        &[("csrf", &token), ("key", "match_k"), ("value", "7")],
        true,
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.db
            .scalar("SELECT value FROM settings WHERE key = 'match_k'")
            .await
            .as_deref(),
        Some("7")
    );
    let r = send(form(
        "/admin/actions/broker",
        &[("csrf", &token), ("coupleId", &couple.to_string())],
        true,
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/admin#intros");
    assert_eq!(
        app.db
            .scalar(&format!("SELECT state FROM couples WHERE id = {couple}"))
            .await
            .as_deref(),
        Some("brokered")
    );
}

#[tokio::test]
async fn long_lists_are_paginated() {
    let app = spawn_app().await;
    for i in 0..30 {
        app.db
            .exec(&format!(
                "INSERT INTO events (kind, data, created_at) VALUES ('test_event', '{{\"n\": {i}}}', now() + interval '{i} seconds')"
            ))
            .await;
    }
    let page = app.admin_get("/admin").await.text().await.unwrap();
    assert!(page.contains("30 in all · page 1 of 2"), "the events pager");
    assert!(page.contains("href=\"/admin?events=2#events\""));
    assert!(page.contains("{&quot;n&quot;:29}") && !page.contains("{&quot;n&quot;:0}"));
    let page = app
        .admin_get("/admin?events=2&personas=x")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("30 in all · page 2 of 2"));
    assert!(page.contains("{&quot;n&quot;:0}") && !page.contains("{&quot;n&quot;:29}"));
}

// --- retention ---------------------------------------------------------------------------

/// A clock the test moves.
#[derive(Clone)]
struct TestClock(Arc<Mutex<OffsetDateTime>>);

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

#[tokio::test]
async fn retention_deletes_old_operational_data_and_keeps_receipts() {
    let db = TestDatabase::new().await;
    let now = datetime!(2030-03-31 12:00 UTC);
    let clock = TestClock(Arc::new(Mutex::new(now)));
    let venue =
        ishtar::build_venue_with_clock(&config_for(&db, Some(OPERATOR)), Arc::new(clock.clone()))
            .await
            .unwrap();
    // Old = 31 days before the clock's now (past the default 30), recent = 29 days.
    let old = "'2030-02-28 11:00+00'";
    let recent = "'2030-03-02 12:00+00'";
    for sql in [
        "INSERT INTO owners (id, token_hash, created_at) VALUES (1, '\\x01', now()), (2, '\\x02', now())".to_owned(),
        "INSERT INTO personas (id, owner_id, handle, model, heart, heart_hash, home_market, active_market, status, reason, created_at) \
         VALUES (1, 1, 'p1', 'm', '{}', 'h1', 'other', 'remote', 'admitted', 'admitted', now()), \
                (2, 2, 'p2', 'm', '{}', 'h2', 'other', 'remote', 'admitted', 'admitted', now())".to_owned(),
        "INSERT INTO couples (id, persona_a, persona_b, created_at) VALUES (1, 1, 2, now())".to_owned(),
        format!("INSERT INTO events (kind, data, created_at) VALUES ('old', '{{}}', {old}), ('recent', '{{}}', {recent})"),
        format!("INSERT INTO chaperone_log (surface, target_type, verdict, reason, created_at) \
                 VALUES ('heart', 'persona', 'allow', 'old', {old}), ('heart', 'persona', 'allow', 'recent', {recent})"),
        "INSERT INTO geo_denials (day, country, count) VALUES ('2030-02-28', 'KP', 3), ('2030-03-01', 'KP', 2), ('2030-03-31', 'KP', 1)".to_owned(),
        "INSERT INTO agent_endpoints (id, owner_id, runtime, created_at) VALUES (1, 1, 'claude', now())".to_owned(),
        format!("INSERT INTO notifications (endpoint_id, kind, payload, next_attempt_at, delivered_at, failed_at, created_at) VALUES \
                 (1, 'old-delivered', '{{}}', {old}, {old}, NULL, {old}), \
                 (1, 'old-failed', '{{}}', {old}, NULL, {old}, {old}), \
                 (1, 'old-pending', '{{}}', {old}, NULL, NULL, {old}), \
                 (1, 'recent-delivered', '{{}}', {recent}, {recent}, NULL, {recent})"),
        format!("INSERT INTO invites (couple_id, owner_id, token_hash, token_enc, created_at, claimed_at) VALUES \
                 (1, 1, decode(repeat('aa', 32), 'hex'), '\\x00', {old}, NULL), \
                 (1, 2, decode(repeat('bb', 32), 'hex'), NULL, {old}, {old})"),
        format!("INSERT INTO orders (id, owner_id, amount, status, created_at, updated_at) VALUES \
                 ('old-unpaid', 1, 5000000, 'failed', {old}, {old}), \
                 ('old-paid', 1, 5000000, 'fulfilled', {old}, {old}), \
                 ('recent-unpaid', 1, 5000000, 'challenged', {recent}, {recent})"),
        format!("INSERT INTO receipts (id, order_id, payer, transaction, network, amount, auth_nonce, created_at) \
                 VALUES (1, 'old-paid', '0xabc', '0xtx', 'eip155:8453', 5000000, '0x01', {old})"),
        format!("INSERT INTO buyback_ledger (receipt_id, amount, created_at) VALUES (1, 500000, {old})"),
        format!("INSERT INTO beats (id, trigger, pairs, created, started_at, finished_at) VALUES \
                 ('00000000-0000-0000-0000-000000000001', 'timer', 0, 0, {old}, {old}), \
                 ('00000000-0000-0000-0000-000000000002', 'timer', 0, 0, {recent}, {recent})"),
    ] {
        db.exec(&sql).await;
    }

    let purged = venue
        .retention
        .run_if_due()
        .await
        .unwrap()
        .expect("never ran before: due");
    assert_eq!(
        purged.as_pairs(),
        [
            ("events", 1),
            ("chaperoneLog", 1),
            ("geoDenials", 1),
            ("notifications", 2),
            ("invites", 1),
            ("orders", 1),
            ("beats", 1),
            ("ownerEvents", 0)
        ]
    );
    let left = |sql: &'static str| {
        let db = &db;
        async move { db.scalar(sql).await.unwrap_or_default() }
    };
    assert_eq!(
        left("SELECT string_agg(kind, ',' ORDER BY id) FROM events").await,
        "recent,retention_run"
    );
    assert_eq!(
        left("SELECT string_agg(reason, ',') FROM chaperone_log").await,
        "recent"
    );
    assert_eq!(
        left("SELECT string_agg(day::text, ',' ORDER BY day) FROM geo_denials").await,
        "2030-03-01,2030-03-31"
    );
    assert_eq!(
        left("SELECT string_agg(kind, ',' ORDER BY id) FROM notifications").await,
        "old-pending,recent-delivered"
    );
    assert_eq!(
        left("SELECT string_agg(owner_id::text, ',') FROM invites").await,
        "2",
        "claimed invites stay"
    );
    assert_eq!(
        left("SELECT string_agg(id, ',' ORDER BY id) FROM orders").await,
        "old-paid,recent-unpaid"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM receipts").await,
        1,
        "receipts are kept"
    );
    assert_eq!(db.count("SELECT count(*) FROM buyback_ledger").await, 1);
    assert_eq!(db.count("SELECT count(*) FROM beats").await, 1);
    let run = db
        .scalar("SELECT data::text FROM events WHERE kind = 'retention_run'")
        .await
        .unwrap();
    assert!(
        run.contains("\"cutoff\": \"2030-03-01T12:00:00Z\""),
        "{run}"
    );

    // Daily: not again the same day; the next day, with a cutoff that moved with the clock.
    assert!(venue.retention.run_if_due().await.unwrap().is_none());
    *clock.0.lock().unwrap() = datetime!(2030-04-01 00:10 UTC);
    let purged = venue
        .retention
        .run_if_due()
        .await
        .unwrap()
        .expect("a new day");
    assert_eq!(
        purged.geo_denials, 1,
        "2030-03-01 is now a whole day past the cutoff"
    );
    assert_eq!(
        (purged.events, purged.notifications),
        (0, 0),
        "2030-03-02 12:00 is still within 30 days of 2030-04-01 00:10"
    );
}

// --- CLI ---------------------------------------------------------------------------------

fn cli(db: &TestDatabase, args: &[&str]) -> ishtar::cli::Cli {
    use clap::Parser as _;
    let mut argv = vec![
        "ishtar".to_owned(),
        "--database-url".to_owned(),
        db.url().to_owned(),
        "--encryption-key".to_owned(),
        base64::engine::general_purpose::STANDARD.encode([42u8; 32]),
    ];
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    ishtar::cli::Cli::try_parse_from(argv).unwrap()
}

#[tokio::test]
async fn the_cli_runs_a_beat_and_erases_an_owner() {
    use clap::Parser as _;
    for (args, needle) in [
        (vec!["ishtar", "--help"], "erase"),
        (vec!["ishtar", "beat", "--help"], "Run one match beat"),
        (vec!["ishtar", "erase", "--help"], "--owner <N>"),
        (vec!["ishtar", "serve", "--help"], "serve HTTP"),
        (vec!["ishtar", "migrate", "--help"], "migrations"),
    ] {
        let err = ishtar::cli::Cli::try_parse_from(args.iter().copied()).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp, "{args:?}");
        assert!(err.to_string().contains(needle), "{args:?}: {err}");
    }
    assert!(
        ishtar::cli::Cli::try_parse_from(["ishtar", "erase"]).is_err(),
        "--owner is required"
    );
    assert!(ishtar::cli::Cli::try_parse_from(["ishtar", "erase", "--owner", "0"]).is_err());

    let app = spawn_app().await;
    app.dater("ada", heart(BAKER), None).await;
    let bo = app.dater("bo", heart(BAKER), None).await;
    ishtar::cli::run(cli(&app.db, &["beat"])).await.unwrap();
    assert_eq!(app.db.count("SELECT count(*) FROM couples").await, 1);
    assert_eq!(
        app.db
            .count(
                "SELECT count(*) FROM events WHERE kind = 'beat_run' AND data->>'trigger' = 'cli'"
            )
            .await,
        1
    );
    ishtar::cli::run(cli(&app.db, &["erase", "--owner", &bo.owner.to_string()]))
        .await
        .unwrap();
    assert_eq!(
        app.db
            .count(&format!(
                "SELECT count(*) FROM owners WHERE id = {}",
                bo.owner
            ))
            .await,
        0
    );
    let err = ishtar::cli::run(cli(&app.db, &["erase", "--owner", "999999"]))
        .await
        .unwrap_err();
    assert_eq!(err, "no owner 999999");
}
