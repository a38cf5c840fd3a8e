//! MCP at `/mcp` (issue 13): the agent path as tools over Streamable HTTP, each tool its
//! route. The official MCP Python SDK (PyPI `mcp`) walks the path and pays the report over
//! x402's MCP transport; raw JSON-RPC checks the rest (Host and Origin, the owner token,
//! route errors, rate limits) and measures a call.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ethers_core::types::U256;
use reqwest::StatusCode;
use serde_json::{Value, json};

use ishtar_test_support::{FAKE_TX, FacilitatorMode, FakeFacilitator};
use ishtar_x402::eip3009::{TransferWithAuthorization, address_of_key, sign_authorization};

use crate::helpers::{Setup, TestApp, heart_file, parts, spawn_app, spawn_app_with};

const PAY_TO: &str = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";
const PUBLIC_URL: &str = "https://ishtar.example";
const RESOURCE_URL: &str = "https://ishtar.example/api/premium/compatibility-report";
const PAYER_KEY: [u8; 32] = [0x42; 32];

/// The tools, as issue 13 names them.
const TOOLS: [&str; 14] = [
    "submit_dating_doc",
    "register_agent",
    "verify_agent",
    "create_persona",
    "update_persona",
    "my_status",
    "read_couple",
    "read_turns",
    "post_turn",
    "consent",
    "request_invite",
    "end_couple",
    "events_since",
    "compatibility_report",
];

/// A venue that takes x402 payments through a fake facilitator that clears them.
async fn paying_venue() -> (TestApp, FakeFacilitator) {
    paying_venue_with(FacilitatorMode::Valid).await
}

/// A venue that takes x402 payments through a fake facilitator answering as `mode` says.
async fn paying_venue_with(mode: FacilitatorMode) -> (TestApp, FakeFacilitator) {
    let fac = FakeFacilitator::start(mode, Duration::from_millis(50)).await;
    let app = spawn_app_with(Setup {
        facilitator_url: Some(fac.url().to_owned()),
        pay_to: Some(PAY_TO.to_owned()),
        public_url: Some(format!("{PUBLIC_URL}/")),
        ..Default::default()
    })
    .await;
    (app, fac)
}

/// A signed EIP-3009 authorization of the report's price to the venue: the `payload` part
/// of an x402 `exact` EVM payment.
fn signed_authorization() -> Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let (valid_after, valid_before) = (now - 60, now + 240);
    let mut nonce = [0u8; 32];
    nonce[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    let from = address_of_key(&PAYER_KEY).unwrap();
    let msg = TransferWithAuthorization {
        from: from.parse().unwrap(),
        to: PAY_TO.parse().unwrap(),
        value: U256::from(5_000_000u64),
        valid_after: U256::from(valid_after),
        valid_before: U256::from(valid_before),
        nonce,
    };
    json!({
        "signature": sign_authorization(&PAYER_KEY, &msg).unwrap(),
        "authorization": {
            "from": from, "to": PAY_TO, "value": "5000000",
            "validAfter": valid_after.to_string(), "validBefore": valid_before.to_string(),
            "nonce": format!("0x{}", hex::encode(nonce)),
        },
    })
}

/// One JSON-RPC message to `/mcp` (no session: the transport is stateless), with extra
/// headers; the HTTP status and the JSON answer.
async fn rpc_with(
    app: &TestApp,
    headers: &[(&str, &str)],
    method: &str,
    params: Value,
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .post(app.url("/mcp"))
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    parts(req.send().await.unwrap()).await
}

/// `tools/call` of `tool` with `args`, as the owner of `token` (if any): the result.
async fn call(app: &TestApp, token: Option<&str>, tool: &str, args: Value) -> Value {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
    let (status, answer) = rpc_with(
        app,
        &headers,
        "tools/call",
        json!({"name": tool, "arguments": args}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    answer["result"].clone()
}

/// A tool error's `{"status", "body"}`.
fn tool_error(result: &Value) -> (u16, Value) {
    assert_eq!(result["isError"], true, "{result}");
    let s = &result["structuredContent"];
    // The text content is the same JSON, for clients that read only text.
    let text: Value = serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(&text, s);
    (s["status"].as_u64().unwrap() as u16, s["body"].clone())
}

mod interop {
    use super::*;
    use crate::sdk::{python_venv, run_client, script};

    /// The pinned SDK.
    const PIP_MCP: &str = "mcp==2.3.*";
    const RUN_TIMEOUT: Duration = Duration::from_secs(120);

    static PYTHON: Mutex<Option<Result<PathBuf, String>>> = Mutex::new(None);

    /// `target/mcp-venv/bin/python` with the MCP SDK, installed if missing (once per run).
    fn python() -> Result<PathBuf, String> {
        let mut guard = PYTHON
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard
            .get_or_insert_with(|| {
                python_venv(
                    "mcp-venv",
                    PIP_MCP,
                    "import importlib.metadata as m, httpx2, mcp.client.streamable_http; \
                     assert m.version('mcp').startswith('2.3.'), m.version('mcp')",
                )
            })
            .clone()
    }

    /// Runs the client script with a time limit; its one JSON line.
    fn run_flow(python: &Path, cfg: &Value) -> Result<Value, String> {
        let mut cmd = Command::new(python);
        cmd.arg(script("mcp_client.py"))
            .arg("flow")
            .arg(cfg.to_string());
        run_client(cmd, RUN_TIMEOUT)
    }

    /// The official client initializes, lists the 14 tools, submits a dating doc, reads its
    /// status, is refused another couple with the route's own error, meets the x402
    /// PaymentRequired as a tool error, pays through `_meta`, and gets the settlement back;
    /// the payment settles once.
    #[tokio::test]
    async fn the_official_client_walks_the_agent_path_and_pays() {
        let python = match tokio::task::spawn_blocking(python).await.unwrap() {
            Ok(p) => p,
            Err(why) => {
                eprintln!("skipped: MCP interop with PyPI mcp: cannot set it up: {why}");
                return;
            }
        };
        let (app, fac) = paying_venue().await;
        let (_, _, foreign) = crate::couples::pair(&app, None).await;
        let cfg = json!({
            "url": app.url("/mcp"),
            "doc": heart_file(),
            "foreignCouple": foreign,
            "signed": signed_authorization(),
        });
        let out = tokio::task::spawn_blocking(move || run_flow(&python, &cfg))
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("{e}"));

        eprintln!(
            "mcp interop: handshake protocol {}, default mode (server/discover) protocol {}",
            out["initialize"]["protocolVersion"], out["modernVersion"]
        );

        // initialize and tools/list.
        assert_eq!(out["initialize"]["serverInfo"]["name"], "ishtar", "{out}");
        assert!(
            out["initialize"]["capabilities"]["tools"].is_object(),
            "{out}"
        );
        let mut names: Vec<&str> = out["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        names.sort_unstable();
        let mut wanted = TOOLS.to_vec();
        wanted.sort_unstable();
        assert_eq!(names, wanted);
        let submit = out["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "submit_dating_doc")
            .unwrap();
        assert_eq!(
            submit["inputSchema"]["required"],
            json!(["ageAttested", "heart"])
        );

        // submit_dating_doc without a token: a new owner and its token.
        let submit = &out["submit"];
        assert_ne!(submit["isError"], true, "{submit}");
        let token = out["ownerToken"].as_str().unwrap();
        let owner = submit["structuredContent"]["ownerId"].as_i64().unwrap();
        assert_eq!(submit["structuredContent"]["docStatus"], "allowed");

        // my_status: the route's answer for that token.
        let status = &out["status"];
        assert_ne!(status["isError"], true, "{status}");
        assert_eq!(status["structuredContent"]["ownerId"], owner);
        let (_, me) = app.get_with("/api/owners/me", Some(token)).await;
        assert_eq!(status["structuredContent"]["personas"], me["personas"]);
        assert_eq!(status["structuredContent"]["tier"], me["tier"]);

        // read_couple on another owners' couple: the route's 403, as a tool error.
        let (code, body) = tool_error(&out["foreign"]);
        let (route_status, route_body) = app
            .get_with(&format!("/api/couples/{foreign}"), Some(token))
            .await;
        assert_eq!((code, &body), (route_status.as_u16(), &route_body));
        assert_eq!(code, 403, "{body}");

        // No payment: the x402 v2 PaymentRequired, as the x402 MCP transport gives it.
        let unpaid = &out["unpaid"];
        assert_eq!(unpaid["isError"], true, "{unpaid}");
        let required = &unpaid["structuredContent"];
        assert_eq!(required["x402Version"], 2, "{required}");
        assert_eq!(required["resource"]["url"], RESOURCE_URL);
        let offer = &required["accepts"][0];
        assert_eq!(offer["scheme"], "exact");
        assert_eq!(offer["network"], "eip155:8453");
        assert_eq!(offer["amount"], "5000000");
        assert_eq!(offer["payTo"], PAY_TO);
        let text: Value =
            serde_json::from_str(unpaid["content"][0]["text"].as_str().unwrap()).unwrap();
        assert_eq!(&text, required);

        // Paid through `_meta["x402/payment"]`: the report, and the settlement in
        // `_meta["x402/payment-response"]`; asked again, delivered without paying again.
        let paid = out["paid"].as_array().unwrap();
        for p in paid {
            assert_ne!(p["isError"], true, "{p}");
            assert_eq!(p["structuredContent"]["ok"], true, "{p}");
            assert!(p["structuredContent"]["report"].as_str().is_some(), "{p}");
            let settled = &p["_meta"]["x402/payment-response"];
            assert_eq!(settled["success"], true, "{p}");
            assert_eq!(settled["transaction"], FAKE_TX, "{p}");
            assert_eq!(settled["network"], "eip155:8453", "{p}");
        }
        assert_eq!(
            paid[0]["structuredContent"]["receiptId"],
            paid[1]["structuredContent"]["receiptId"]
        );
        assert_eq!(fac.versions(), [2, 2], "verified and settled once, in v2");
        let (_, verify) = &fac.received()[0];
        assert_eq!(verify["paymentPayload"]["accepted"], *offer);
        assert_eq!(app.db.count("SELECT count(*) FROM receipts").await, 1);

        // The client's default mode (server/discover, the newest protocol) works too.
        assert!(out["modernVersion"].as_str().is_some(), "{out}");
        let modern = &out["modernStatus"];
        assert_ne!(modern["isError"], true, "{modern}");
        assert_eq!(modern["structuredContent"]["ownerId"], owner);
    }
}

/// x402's MCP transport: a payment that does not clear is answered with a fresh
/// `PaymentRequired` whose `error` gives the reason, so the client can pay again; nothing
/// settles.
#[tokio::test]
async fn a_refused_payment_gets_a_fresh_payment_required_with_the_reason() {
    let (app, fac) = paying_venue_with(FacilitatorMode::Invalid).await;
    let (owner, token) = app.new_owner().await;
    let unpaid = call(
        &app,
        Some(&token),
        "compatibility_report",
        json!({"ownerId": owner}),
    )
    .await;
    let required = &unpaid["structuredContent"];
    assert_eq!(required["x402Version"], 2, "{unpaid}");
    assert_eq!(required["error"], "payment required", "{required}");
    let payment = json!({
        "x402Version": 2,
        "resource": required["resource"],
        "accepted": required["accepts"][0],
        "payload": signed_authorization(),
    });
    let auth = format!("Bearer {token}");
    let (status, answer) = rpc_with(
        &app,
        &[("authorization", auth.as_str())],
        "tools/call",
        json!({"name": "compatibility_report", "arguments": {"ownerId": owner},
               "_meta": {"x402/payment": payment}}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let refused = &answer["result"];
    assert_eq!(refused["isError"], true, "{refused}");
    let again = &refused["structuredContent"];
    assert_eq!(again["x402Version"], 2, "{again}");
    assert_eq!(again["accepts"], required["accepts"], "{again}");
    let reason = again["error"].as_str().expect("the reason");
    assert!(
        !reason.is_empty() && reason != "payment required",
        "{again}"
    );
    assert_eq!(app.db.count("SELECT count(*) FROM receipts").await, 0);
    assert!(
        fac.versions().iter().all(|v| *v == 2),
        "{:?}",
        fac.versions()
    );
}

/// A `Host` or `Origin` outside the allowed lists is refused before any MCP is read (the
/// DNS-rebinding defence); loopback, the public URL's host and loopback origins pass.
#[tokio::test]
async fn hosts_and_origins_outside_the_lists_are_refused() {
    let app = spawn_app_with(Setup {
        public_url: Some(format!("{PUBLIC_URL}/")),
        ..Default::default()
    })
    .await;
    let list = |headers: &'static [(&'static str, &'static str)]| {
        let app = &app;
        async move { rpc_with(app, headers, "tools/list", json!({})).await }
    };

    let (status, body) = list(&[("host", "evil.example")]).await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        json!({"error": "Forbidden: Host header is not allowed"})
    );
    let (status, body) = list(&[("origin", "https://evil.example")]).await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        json!({"error": "Forbidden: Origin header is not allowed"})
    );

    // Stateless: no event stream to open, no session to delete; the refusals are JSON.
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let r = app
            .client
            .request(method.clone(), app.url("/mcp"))
            .header("accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        let (status, body) = parts(r).await;
        assert_eq!(status, 405, "{method}: {body}");
        assert!(body["error"].as_str().is_some(), "{method}: {body}");
    }

    for ok in [
        &[][..],
        &[("host", "ishtar.example")][..],
        &[("host", "localhost:8080")][..],
        &[("origin", "http://localhost:5173")][..],
        &[("origin", "https://ishtar.example")][..],
    ] {
        let (status, body) = list(ok).await;
        assert_eq!(status, 200, "{ok:?}: {body}");
        assert_eq!(body["result"]["tools"].as_array().unwrap().len(), 14);
    }
}

/// An owner tool without a token, or with a wrong one, answers the route's 401/403 as a
/// tool error; with the token it answers as the route.
#[tokio::test]
async fn owner_tools_take_the_bearer_token_as_the_routes_do() {
    let app = spawn_app().await;
    let (owner, token) = app.new_owner().await;

    let (status, body) = tool_error(&call(&app, None, "my_status", json!({})).await);
    let (route_status, route_body) = app.get("/api/owners/me").await;
    assert_eq!((status, &body), (route_status.as_u16(), &route_body));
    assert_eq!(status, 401);
    assert_eq!(body, json!({"error": "owner token required"}));

    let wrong = "ish_0000000000000000000000000000000000000000";
    let (status, body) = tool_error(&call(&app, Some(wrong), "my_status", json!({})).await);
    let (route_status, route_body) = app.get_with("/api/owners/me", Some(wrong)).await;
    assert_eq!((status, &body), (route_status.as_u16(), &route_body));

    let ok = call(&app, Some(&token), "my_status", json!({})).await;
    assert_eq!(ok["isError"], false, "{ok}");
    assert_eq!(ok["structuredContent"]["ownerId"], owner);
}

/// A tool's bad input gets the route's own 400, and arguments a bodiless tool does not
/// take are named; an unknown tool is a protocol error.
#[tokio::test]
async fn bad_arguments_get_the_routes_errors() {
    let app = spawn_app().await;
    let (_, token) = app.new_owner().await;

    let mut doc = heart_file();
    doc["ownerID"] = json!(1);
    doc["ageAttested"] = json!("yes");
    let (status, body) = tool_error(&call(&app, None, "submit_dating_doc", doc.clone()).await);
    let (route_status, route_body) = app.post("/api/intake/heart-file", &doc, None).await;
    assert_eq!((status, &body), (route_status.as_u16(), &route_body));
    assert_eq!(status, 400, "{body}");

    let args = json!({"coupleId": "x", "body": "hello"});
    let (status, body) = tool_error(&call(&app, Some(&token), "post_turn", args).await);
    let (route_status, route_body) = app
        .post(
            "/api/couples/x/turns",
            &json!({"body": "hello"}),
            Some(&token),
        )
        .await;
    assert_eq!((status, &body), (route_status.as_u16(), &route_body));
    assert_eq!(body, json!({"error": "bad couple id"}));

    let args = json!({"coupleId": 1, "since": -1});
    let (status, body) = tool_error(&call(&app, Some(&token), "read_turns", args).await);
    let (route_status, route_body) = app
        .get_with("/api/couples/1/turns?since=-1", Some(&token))
        .await;
    assert_eq!((status, &body), (route_status.as_u16(), &route_body));

    let args = json!({"coupleId": 1, "cursor": 3});
    let (status, body) = tool_error(&call(&app, Some(&token), "read_couple", args).await);
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error": "invalid arguments", "issues": [{"path": "cursor", "message": "unknown field"}]})
    );

    let (status, answer) = rpc_with(
        &app,
        &[],
        "tools/call",
        json!({"name": "delete_everything", "arguments": {}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
}

/// Tool calls count in their route's rate-limit bucket, shared with the route: with
/// `intake=2/60s`, a third dating doc by MCP or by HTTP is refused.
#[tokio::test]
async fn tool_calls_count_in_their_routes_rate_limit() {
    let app = spawn_app_with(Setup {
        rate_limits: Some("intake=2/60s"),
        ..Default::default()
    })
    .await;
    for _ in 0..2 {
        let ok = call(&app, None, "submit_dating_doc", heart_file()).await;
        assert_eq!(ok["isError"], false, "{ok}");
    }
    let limited = call(&app, None, "submit_dating_doc", heart_file()).await;
    let (status, body) = tool_error(&limited);
    assert_eq!(status, 429);
    assert_eq!(body, json!({"error": "rate limited"}));
    assert!(limited["structuredContent"]["retryAfter"].as_u64().unwrap() >= 1);
    let (status, _) = app
        .post("/api/intake/heart-file", &heart_file(), None)
        .await;
    assert_eq!(status, 429);
    // Other tools are not in that group.
    let (_, body) = tool_error(&call(&app, None, "my_status", json!({})).await);
    assert_eq!(body, json!({"error": "owner token required"}));
}

/// The figure: `tools/call` of `my_status` over Streamable HTTP, 100 calls one after the
/// other, next to the same number of `GET /api/owners/me` (the route it runs), interleaved.
/// Medians and p90s are printed; nothing is asserted about time.
#[tokio::test]
async fn my_status_latency() {
    let app = spawn_app().await;
    let (_, token) = app.new_owner().await;
    let (mut mcp, mut rest) = (Vec::new(), Vec::new());
    for _ in 0..110 {
        let started = Instant::now();
        let r = call(&app, Some(&token), "my_status", json!({})).await;
        mcp.push(started.elapsed());
        assert_eq!(r["isError"], false, "{r}");
        let started = Instant::now();
        let (status, _) = app.get_with("/api/owners/me", Some(&token)).await;
        rest.push(started.elapsed());
        assert_eq!(status, 200);
    }
    let summary = |mut took: Vec<Duration>| {
        let mut took = took.split_off(10); // the first calls warm the pools
        took.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "median {:.2} ms, p90 {:.2} ms",
            ms(took[took.len() / 2]),
            ms(took[took.len() * 9 / 10])
        )
    };
    eprintln!(
        "my_status over MCP: {}; GET /api/owners/me: {} (100 calls each, {} build)",
        summary(mcp),
        summary(rest),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
    );
}
