//! Rate limits (issue 11): token buckets per client address and per owner token, by route
//! group; 429 with `Retry-After` and the IETF `RateLimit-Policy` / `RateLimit` fields.

use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

use ishtar_test_support::{AgentBehaviour, FakeAgent};

use crate::helpers::{
    OPERATOR, Setup, TestApp, heart_file, parts, persona, reference_fields, spawn_app_with,
};

async fn limited_app(limits: &'static str, proxies: Option<&'static str>) -> TestApp {
    spawn_app_with(Setup {
        rate_limits: Some(limits),
        trusted_proxies: proxies,
        ..Default::default()
    })
    .await
}

fn header(r: &Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A heart-file as the client at `from` (an `X-Forwarded-For` hop), if given.
fn heart_file_from(app: &TestApp, from: Option<&str>) -> RequestBuilder {
    let req = app
        .client
        .post(app.url("/api/intake/heart-file"))
        .json(&heart_file());
    match from {
        Some(ip) => req.header("x-forwarded-for", ip),
        None => req,
    }
}

async fn status(req: RequestBuilder) -> u16 {
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_burst_over_the_intake_limit_gets_429_with_retry_after_and_ratelimit_fields() {
    let app = limited_app("intake=3/60s,reports=2/60s", None).await;
    for left in [2, 1, 0] {
        let r = heart_file_from(&app, None).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(
            header(&r, "ratelimit-policy").as_deref(),
            Some("\"intake\";q=3;w=60")
        );
        assert_eq!(
            header(&r, "ratelimit"),
            Some(format!("\"intake\";r={left}"))
        );
    }
    let r = heart_file_from(&app, None).send().await.unwrap();
    let retry_after = header(&r, "retry-after").expect("Retry-After");
    let secs: u64 = retry_after.parse().expect("seconds");
    // 3 per 60 s: one request comes back every 20 s.
    assert!((19..=20).contains(&secs), "{secs}");
    assert_eq!(
        header(&r, "ratelimit-policy").as_deref(),
        Some("\"intake\";q=3;w=60")
    );
    assert_eq!(
        header(&r, "ratelimit"),
        Some(format!("\"intake\";r=0;t={secs}"))
    );
    assert_eq!(
        parts(r).await,
        (
            StatusCode::TOO_MANY_REQUESTS,
            json!({"error": "rate limited"})
        )
    );
    assert_eq!(app.db.count("SELECT count(*) FROM owners").await, 3);
    // Agent registration is intake too.
    let (status, body) = app
        .post("/api/intake/agent", &json!({"runtime": "claude"}), None)
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::TOO_MANY_REQUESTS,
            json!({"error": "rate limited"})
        )
    );
    // Other groups keep their own buckets: reports (2 per minute here).
    let report = json!({"targetType": "persona", "targetId": 1});
    for _ in 0..2 {
        assert_ne!(app.post("/api/report", &report, None).await.0, 429);
    }
    assert_eq!(app.post("/api/report", &report, None).await.0, 429);
}

#[tokio::test]
async fn another_client_behind_a_trusted_proxy_has_its_own_bucket() {
    let app = limited_app("intake=2/60s", Some("127.0.0.1")).await;
    let a = Some("203.0.113.1");
    assert_eq!(status(heart_file_from(&app, a)).await, 200);
    assert_eq!(status(heart_file_from(&app, a)).await, 200);
    assert_eq!(status(heart_file_from(&app, a)).await, 429);
    // Another client address is unaffected.
    assert_eq!(
        status(heart_file_from(&app, Some("203.0.113.2"))).await,
        200
    );
    // The right-most untrusted hop is the client: prepending a hop does not escape.
    assert_eq!(
        status(heart_file_from(&app, Some("198.51.100.7, 203.0.113.1"))).await,
        429
    );
    // The proxy itself (no forwarded hop) is a client of its own.
    assert_eq!(status(heart_file_from(&app, None)).await, 200);
    // Only X-Forwarded-For is read (the default): a `Forwarded` naming the spent address
    // does not move another client into its bucket.
    let r = heart_file_from(&app, Some("203.0.113.9")).header("forwarded", "for=203.0.113.1");
    assert_eq!(status(r).await, 200);
}

#[tokio::test]
async fn a_client_cannot_name_its_own_address_in_the_header_the_proxy_does_not_write() {
    // nginx's default: appends the peer to X-Forwarded-For, passes the client's `Forwarded`.
    let app = limited_app("intake=2/60s", Some("127.0.0.1")).await;
    for (i, expected) in [200, 200, 429, 429, 429].into_iter().enumerate() {
        let r = heart_file_from(&app, Some("9.9.9.9"))
            .header("forwarded", format!("for=198.51.100.{}", i + 1));
        assert_eq!(status(r).await, expected, "request {i}: limited as 9.9.9.9");
    }

    // `ISHTAR_FORWARDED_HEADER=forwarded`: the other way round.
    let app = spawn_app_with(Setup {
        rate_limits: Some("intake=2/60s"),
        trusted_proxies: Some("127.0.0.1"),
        forwarded_header: Some("forwarded"),
        ..Default::default()
    })
    .await;
    for (i, expected) in [200, 200, 429, 429].into_iter().enumerate() {
        let from = format!("198.51.100.{}", i + 1);
        let r = heart_file_from(&app, Some(&from)).header("forwarded", "for=9.9.9.9");
        assert_eq!(status(r).await, expected, "request {i}: limited as 9.9.9.9");
    }
    let r = heart_file_from(&app, Some("9.9.9.9")).header("forwarded", "for=\"9.9.9.8:443\"");
    assert_eq!(status(r).await, 200, "another client by `Forwarded`");
}

#[tokio::test]
async fn percent_encoded_paths_are_limited_like_the_path_they_route_to() {
    let app = limited_app(
        "intake=2/60s,personas=2/60s,turns=2/60s,reports=2/60s,verify=2/60s",
        Some("127.0.0.1"),
    )
    .await;
    let send = |method: &str, path: &str, from: &str| {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        app.client
            .request(method, app.url(path))
            .header("x-forwarded-for", from)
            .json(&heart_file())
    };
    let cases = [
        ("POST", "/api/intake/heart-file", "/api/intake/heart%2Dfile"),
        ("POST", "/api/intake/agent", "/api/intake/%61gent"),
        (
            "POST",
            "/api/intake/agent/verify",
            "/api/intake/agent/v%65rify",
        ),
        ("POST", "/api/personas", "/api/person%61s"),
        ("PATCH", "/api/personas/1", "/api/person%61s/1"),
        ("POST", "/api/report", "/api/%72eport"),
        ("POST", "/api/boards/seeking", "/api/boards/%73eeking"),
        ("POST", "/api/boards/debriefs", "/api/boards/%64ebriefs"),
        ("POST", "/api/couples/1/turns", "/api/couples/1/turn%73"),
    ];
    for (i, (method, canonical, encoded)) in cases.into_iter().enumerate() {
        // The encoded variant alone runs out, and then the canonical path is refused too…
        let a = format!("203.0.113.{}", i + 1);
        for _ in 0..2 {
            assert_ne!(
                status(send(method, encoded, &a)).await,
                429,
                "{method} {encoded}"
            );
        }
        assert_eq!(
            status(send(method, encoded, &a)).await,
            429,
            "{method} {encoded}"
        );
        assert_eq!(
            status(send(method, canonical, &a)).await,
            429,
            "{method} {canonical}"
        );
        // …and after the canonical path, the encoded one is refused.
        let b = format!("198.51.100.{}", i + 1);
        for _ in 0..2 {
            assert_ne!(
                status(send(method, canonical, &b)).await,
                429,
                "{method} {canonical}"
            );
        }
        assert_eq!(
            status(send(method, encoded, &b)).await,
            429,
            "{method} {encoded}"
        );
    }
}

#[tokio::test]
async fn an_encoded_admin_path_counts_failures_and_stays_refused_once_spent() {
    let app = limited_app("admin-auth=2/60s", Some("127.0.0.1")).await;
    let admin = |path: &str, token: &str, from: &str| {
        app.client
            .get(app.url(path))
            .bearer_auth(token)
            .header("x-forwarded-for", from)
    };
    for (i, expected) in [401, 401, 429, 429].into_iter().enumerate() {
        let r = admin("/%61dmin.json", "wrong", "192.0.2.1");
        assert_eq!(status(r).await, expected, "wrong token {i}");
    }
    // Spent: not even the right secret is checked, on either spelling of any admin path.
    for path in ["/%61dmin.json", "/admin.json", "/%61dmin", "/admin%2Ejson"] {
        assert_eq!(
            status(admin(path, OPERATOR, "192.0.2.1")).await,
            429,
            "{path}"
        );
    }
    // Spent on the canonical path: the encoded one is refused too.
    for expected in [401, 401, 429] {
        assert_eq!(
            status(admin("/admin.json", "wrong", "192.0.2.2")).await,
            expected
        );
    }
    for path in ["/%61dmin.json", "/%61%64%6D%69%6E.json", "/%61dmin"] {
        let r = admin(path, OPERATOR, "192.0.2.2");
        assert_eq!(status(r).await, 429, "{path}");
    }
    // Another address still gets in by the encoded path (it does route to the console).
    assert_eq!(
        status(admin("/%61dmin.json", OPERATOR, "192.0.2.3")).await,
        200
    );
}

#[tokio::test]
async fn forwarded_headers_are_ignored_without_a_trusted_proxy() {
    let app = limited_app("intake=2/60s", None).await;
    for (i, expected) in [200, 200, 429, 429].into_iter().enumerate() {
        let from = format!("203.0.113.{}", i + 1);
        let r = heart_file_from(&app, Some(&from)).header("forwarded", format!("for={from}"));
        assert_eq!(status(r).await, expected, "request {i}");
    }
}

#[tokio::test]
async fn each_owner_token_has_its_own_bucket_wherever_it_comes_from() {
    let app = limited_app("personas=2/60s", Some("127.0.0.1")).await;
    let (owner, token) = app.new_owner().await;
    let (other, other_token) = app.new_owner().await;
    let post = |handle: &str, owner: i64, token: &str, from: &str| {
        let mut p = persona(handle);
        p["ownerId"] = json!(owner);
        app.client
            .post(app.url("/api/personas"))
            .bearer_auth(token)
            .header("x-forwarded-for", from)
            .json(&p)
    };
    // Three addresses, one token: the token's bucket runs out.
    assert_eq!(status(post("p1", owner, &token, "198.51.100.1")).await, 200);
    assert_eq!(status(post("p2", owner, &token, "198.51.100.2")).await, 200);
    let r = post("p3", owner, &token, "198.51.100.3")
        .send()
        .await
        .unwrap();
    let retry_after = header(&r, "retry-after").expect("Retry-After");
    assert_eq!(
        header(&r, "ratelimit"),
        Some(format!("\"personas\";r=0;t={retry_after}"))
    );
    assert_eq!(parts(r).await.0, 429);
    // Another owner's token from a fresh address is unaffected.
    assert_eq!(
        status(post("q1", other, &other_token, "198.51.100.4")).await,
        200
    );
    assert_eq!(app.db.count("SELECT count(*) FROM personas").await, 3);
}

#[tokio::test]
async fn failed_operator_authentications_are_limited_per_address() {
    let app = limited_app("admin-auth=3/60s", Some("127.0.0.1")).await;
    let admin = |token: &str, from: &str| {
        app.client
            .get(app.url("/admin.json"))
            .bearer_auth(token)
            .header("x-forwarded-for", from)
    };
    // Successful authentications take nothing, nor do visits that present no credential
    // (a browser before its Basic prompt).
    for _ in 0..5 {
        assert_eq!(status(admin(OPERATOR, "192.0.2.1")).await, 200);
        let bare = app
            .client
            .get(app.url("/admin"))
            .header("x-forwarded-for", "192.0.2.1");
        assert_eq!(status(bare).await, 401);
    }
    for _ in 0..3 {
        assert_eq!(status(admin("wrong", "192.0.2.1")).await, 401);
    }
    let r = admin("wrong", "192.0.2.1").send().await.unwrap();
    assert!(header(&r, "retry-after").is_some());
    assert_eq!(
        header(&r, "ratelimit-policy").as_deref(),
        Some("\"admin-auth\";q=3;w=60")
    );
    assert_eq!(
        parts(r).await,
        (
            StatusCode::TOO_MANY_REQUESTS,
            json!({"error": "rate limited"})
        )
    );
    // Now even the right secret is not checked from that address…
    assert_eq!(status(admin(OPERATOR, "192.0.2.1")).await, 429);
    // …but another address is unaffected.
    assert_eq!(status(admin(OPERATOR, "192.0.2.2")).await, 200);
    assert_eq!(status(admin("wrong", "192.0.2.2")).await, 401);
}

#[tokio::test]
async fn repeated_verifies_of_one_endpoint_call_its_callback_at_most_the_buckets_size() {
    let app = limited_app("verify-endpoint=3/60s", None).await;
    // An agent that never answers correctly: every verify would be a round-trip.
    let agent = FakeAgent::start(AgentBehaviour::WrongEcho).await;
    let (s, reg) = app
        .post(
            "/api/intake/agent",
            &json!({"runtime": "claude", "callbackUrl": agent.url()}),
            None,
        )
        .await;
    assert_eq!(s, 200, "{reg}");
    let verify = json!({"endpointId": reg["id"]});
    let calls = (0..12).map(|_| app.post("/api/intake/agent/verify", &verify, None));
    let results: Vec<(StatusCode, Value)> = futures_util::future::join_all(calls).await;
    let refused = results
        .iter()
        .filter(|(s, b)| *s == 422 && b["reason"] == "challenge not satisfied")
        .count();
    let limited = results
        .iter()
        .filter(|(s, b)| *s == 429 && *b == json!({"error": "rate limited"}))
        .count();
    assert_eq!((refused, limited), (3, 9), "{results:?}");
    assert_eq!(
        agent.hits(),
        3,
        "at most the bucket's size of outbound calls"
    );
    // Another endpoint has its own bucket.
    let good = FakeAgent::start(AgentBehaviour::Echo).await;
    let (_, reg) = app
        .post(
            "/api/intake/agent",
            &json!({"runtime": "claude", "callbackUrl": good.url()}),
            None,
        )
        .await;
    let (status, body) = app
        .post(
            "/api/intake/agent/verify",
            &json!({"endpointId": reg["id"]}),
            None,
        )
        .await;
    assert_eq!(
        (status, reference_fields(body)),
        (
            StatusCode::OK,
            json!({"active": true, "reason": "verified:callback"})
        )
    );
}

#[tokio::test]
async fn off_turns_every_limit_off() {
    assert_ne!(
        ishtar::Config::default().rate_limits.to_string(),
        "off",
        "limits are on by default"
    );
    let app = limited_app("off", Some("127.0.0.1")).await;
    for _ in 0..25 {
        let r = heart_file_from(&app, None).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(header(&r, "ratelimit").is_none());
    }
    for _ in 0..8 {
        assert_eq!(
            status(app.client.get(app.url("/admin.json")).bearer_auth("wrong")).await,
            401
        );
    }
}
