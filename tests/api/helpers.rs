use base64::Engine as _;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use ishtar::Config;
use ishtar_test_support::TestDatabase;

/// The operator token every test app is configured with (at least 32 characters: the
/// server refuses to start with a shorter one).
pub const OPERATOR: &str = "operator-secret-for-tests-0123456789abcdef";

/// A running app and a client: every request helper lives here, so an app with no
/// database ([`spawn_memory_app`]) has them too.
pub struct Served {
    pub address: String,
    pub client: reqwest::Client,
}

/// The app under test, its database and a client (the request helpers come from
/// [`Served`], through `Deref`).
pub struct TestApp {
    pub served: Served,
    pub db: TestDatabase,
}

impl std::ops::Deref for TestApp {
    type Target = Served;

    fn deref(&self) -> &Served {
        &self.served
    }
}

/// What a test may change before the app starts.
#[derive(Default)]
pub struct Setup {
    /// Live settings written before start (`cap`, `geo_denied`, …).
    pub settings: Vec<(&'static str, String)>,
    pub geo_denied: Option<String>,
    /// Keep the callback address rule on (it is lifted by default so fake agents work).
    pub strict_callbacks: bool,
    /// Run the beat timer and delivery loop (off by default: tests drive beats by hand).
    pub background: bool,
    /// Escalation (issue 5): `ISHTAR_PRIVY_APP_ID` and `ISHTAR_PRIVY_VERIFICATION_KEY`.
    pub privy_app_id: Option<String>,
    pub privy_verification_key: Option<String>,
    /// `ISHTAR_DIDIT_BASE_URL` (a fake Didit's URL), `…_API_KEY`, `…_WORKFLOW_ID`,
    /// `…_WEBHOOK_SECRET`.
    pub didit_base_url: Option<String>,
    pub didit_api_key: Option<String>,
    pub didit_workflow_id: Option<String>,
    pub didit_webhook_secret: Option<String>,
    /// `ISHTAR_PUBLIC_URL`.
    pub public_url: Option<String>,
    /// `ISHTAR_X402_FACILITATOR_URL` (a fake facilitator's URL).
    pub facilitator_url: Option<String>,
    /// `ISHTAR_X402_PAY_TO`.
    pub pay_to: Option<String>,
    /// `ISHTAR_BODY_TIMEOUT_MS` (default: the binary's).
    pub body_timeout_ms: Option<u64>,
    /// `ISHTAR_RATE_LIMITS` (its syntax); `None`: `off`, so tests are never throttled.
    pub rate_limits: Option<&'static str>,
    /// `ISHTAR_TRUSTED_PROXIES`.
    pub trusted_proxies: Option<&'static str>,
    /// `ISHTAR_FORWARDED_HEADER` (default: the binary's, `x-forwarded-for`).
    pub forwarded_header: Option<&'static str>,
    /// `ISHTAR_AI_BASE_URL` (a fake OpenAI-compatible gateway) and the embedding
    /// dimension it answers with.
    pub ai_base_url: Option<String>,
    pub embed_dimensions: Option<usize>,
    /// `ISHTAR_EMBED_BATCH`.
    pub embed_batch: Option<usize>,
    /// Replaces ports of the venue after the configuration has chosen its adapters, e.g.
    /// `Some(Box::new(|b| b.guard(Arc::new(ScriptedGuard::hold_all()))))`.
    pub ports: Option<ishtar::Customize>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Setup::default()).await
}

pub async fn spawn_app_with(setup: Setup) -> TestApp {
    ishtar::telemetry::init_for_test();
    let db = TestDatabase::new().await;
    for (k, v) in &setup.settings {
        db.exec(&format!(
            "INSERT INTO settings (key, value) VALUES ('{k}', '{}')",
            v.replace('\'', "''")
        ))
        .await;
    }
    let config = Config {
        bind: "127.0.0.1:0".into(),
        database_url: db.url().to_owned(),
        db_pool_size: 8,
        allow_private_callbacks: !setup.strict_callbacks,
        callback_timeout_ms: 500,
        geo_denied: setup.geo_denied.unwrap_or_default(),
        encryption_key: Some(
            base64::engine::general_purpose::STANDARD
                .encode([42u8; 32])
                .into(),
        ),
        data_dir: std::env::temp_dir().join("ishtar-tests"),
        admin_token: Some(OPERATOR.to_owned().into()),
        background: setup.background,
        privy_app_id: setup.privy_app_id,
        privy_verification_key: setup.privy_verification_key,
        didit_base_url: setup
            .didit_base_url
            .unwrap_or_else(|| ishtar::config::DEFAULT_DIDIT_BASE_URL.to_owned()),
        didit_api_key: setup.didit_api_key.map(Into::into),
        didit_workflow_id: setup.didit_workflow_id,
        didit_webhook_secret: setup.didit_webhook_secret.map(Into::into),
        public_url: setup
            .public_url
            .unwrap_or_else(|| ishtar::config::DEFAULT_PUBLIC_URL.to_owned()),
        x402_facilitator_url: setup.facilitator_url,
        x402_pay_to: setup.pay_to,
        x402_timeout_ms: 1000,
        body_timeout_ms: setup
            .body_timeout_ms
            .unwrap_or(ishtar::config::DEFAULT_BODY_TIMEOUT_MS),
        rate_limits: setup
            .rate_limits
            .unwrap_or("off")
            .parse()
            .expect("ISHTAR_RATE_LIMITS"),
        trusted_proxies: setup
            .trusted_proxies
            .unwrap_or("")
            .parse()
            .expect("ISHTAR_TRUSTED_PROXIES"),
        forwarded_header: setup
            .forwarded_header
            .unwrap_or("x-forwarded-for")
            .parse()
            .expect("ISHTAR_FORWARDED_HEADER"),
        ai_base_url: setup.ai_base_url,
        embed_dimensions: setup.embed_dimensions,
        embed_batch: setup.embed_batch.unwrap_or(256),
        ..Config::default()
    };
    let served = serve(config, setup.ports).await;
    TestApp { served, db }
}

/// Builds the app (with `ports` replaced, if given), runs it, and returns its address.
async fn serve(config: Config, ports: Option<ishtar::Customize>) -> Served {
    let ports = ports.unwrap_or_else(|| Box::new(|b| b));
    let app = ishtar::Application::build_with(config, ports)
        .await
        .expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    Served {
        address,
        client: reqwest::Client::new(),
    }
}

/// The app on the in-memory store (`ISHTAR_STORE=memory`): no Postgres database is
/// created, and `DATABASE_URL` points at a closed port, so any use of it would fail.
pub async fn spawn_memory_app() -> Served {
    ishtar::telemetry::init_for_test();
    let config = Config {
        bind: "127.0.0.1:0".into(),
        store: ishtar::StoreKind::Memory,
        database_url: "postgres://postgres@127.0.0.1:1/no-database-in-memory-mode".into(),
        allow_private_callbacks: true,
        callback_timeout_ms: 500,
        admin_token: Some(OPERATOR.to_owned().into()),
        background: false,
        rate_limits: "off".parse().expect("ISHTAR_RATE_LIMITS"),
        ..Config::default()
    };
    serve(config, None).await
}

/// A response's status and JSON body.
pub async fn parts(r: Response) -> (StatusCode, Value) {
    let status = r.status();
    let text = r.text().await.expect("body");
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, body)
}

/// A dating doc that passes every check.
pub fn heart_file() -> Value {
    json!({
        "displayName": "Wren",
        "homeMarket": "bay_area",
        "activeMarket": "bay_area",
        "ageAttested": true,
        "contactRef": "tg:@wren_alias",
        "heart": {
            "about": "Quiet mornings, loud opinions about bread, long walks by the water.",
            "seeking": "Someone curious and kind who likes slow Sundays.",
            "prefs": {"self": {"gender": "woman", "age": 31}, "seek": {"genders": ["man"], "ageMin": 28, "ageMax": 40}}
        }
    })
}

/// A dating doc's heart with a line of prose and no prefs.
pub fn plain_doc() -> Value {
    json!({"about": "Here through my agent."})
}

/// A persona that passes every gate.
pub fn persona(handle: &str) -> Value {
    json!({
        "handle": handle,
        "model": "claude-sonnet",
        "persona_age": "18+",
        "heart": {"about": "I bake sourdough and read old science fiction on the porch."}
    })
}

impl Served {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        parts(req.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.get_with(path, None).await
    }

    /// `GET path` with an owner token, when one is given.
    pub async fn get_with(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        parts(req.send().await.expect("request")).await
    }

    /// The first couple in `d`'s owner overview (`GET /api/owners/me`).
    pub async fn first_couple(&self, d: &Dater) -> i64 {
        let (_, me) = self.get_with("/api/owners/me", Some(&d.token)).await;
        me["couples"][0]["coupleId"].as_i64().expect("a couple")
    }

    /// Submits the standard heart-file; returns (ownerId, ownerToken).
    pub async fn new_owner(&self) -> (i64, String) {
        let (status, body) = self
            .post("/api/intake/heart-file", &heart_file(), None)
            .await;
        assert_eq!(status, 200, "{body}");
        (
            body["ownerId"].as_i64().unwrap(),
            body["ownerToken"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn post_persona(&self, body: &Value, token: Option<&str>) -> (StatusCode, Value) {
        self.post("/api/personas", body, token).await
    }

    /// Posts `body` as a persona of a new owner (its `ownerId` and token): a persona needs
    /// an owner (docs/rules.md#admission-order, step 0).
    pub async fn post_owned_persona(&self, body: &Value) -> (StatusCode, Value) {
        let (owner, token) = self.new_owner().await;
        let mut body = body.clone();
        body["ownerId"] = json!(owner);
        self.post_persona(&body, Some(&token)).await
    }

    /// [`persona`]`(handle)` posted by a new owner.
    pub async fn owned_persona(&self, handle: &str) -> (StatusCode, Value) {
        self.post_owned_persona(&persona(handle)).await
    }
}

/// An owner with a verified agent endpoint (callback at `callback`) and an admitted persona.
pub struct Dater {
    pub owner: i64,
    pub token: String,
    pub persona: i64,
    pub callback_secret: Option<String>,
}

impl Served {
    /// Runs a beat as the operator.
    pub async fn beat(&self) -> (StatusCode, Value) {
        parts(
            self.client
                .post(self.url("/admin/actions/beat"))
                .bearer_auth(OPERATOR)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// The full agent loop for one human: heart-file, agent (verified), persona. The
    /// dating doc is [`plain_doc`] (prose, no prefs), so `heart` — the persona's own prose
    /// and, when it has some, its prefs — decides whom it is paired with.
    pub async fn dater(&self, handle: &str, heart: Value, callback: Option<&str>) -> Dater {
        self.dater_with_doc(handle, plain_doc(), heart, callback)
            .await
    }

    /// [`Served::dater`] with the dating doc's `heart` given (its prose and prefs are the
    /// matching profile; the persona's `heart` adds to them).
    pub async fn dater_with_doc(
        &self,
        handle: &str,
        doc_heart: Value,
        heart: Value,
        callback: Option<&str>,
    ) -> Dater {
        let mut doc = heart_file();
        doc["heart"] = doc_heart;
        let (status, body) = self.post("/api/intake/heart-file", &doc, None).await;
        assert_eq!(status, 200, "{body}");
        let owner = body["ownerId"].as_i64().expect("ownerId");
        let token = body["ownerToken"].as_str().expect("token").to_owned();
        let mut agent = json!({"ownerId": owner, "runtime": "claude"});
        if let Some(cb) = callback {
            agent["callbackUrl"] = json!(cb);
        }
        let (status, reg) = self.post("/api/intake/agent", &agent, Some(&token)).await;
        assert_eq!(status, 200, "{reg}");
        let (status, v) = self
            .post(
                "/api/intake/agent/verify",
                &json!({"endpointId": reg["id"], "echoToken": reg["challengeNonce"]}),
                None,
            )
            .await;
        assert_eq!(status, 200, "{v}");
        let p = json!({"handle": handle, "model": "m", "persona_age": "18+", "ownerId": owner, "heart": heart});
        let (status, admitted) = self.post_persona(&p, Some(&token)).await;
        assert_eq!(status, 200, "{admitted}");
        Dater {
            owner,
            token,
            persona: admitted["personaId"].as_i64().expect("personaId"),
            callback_secret: reg["callbackSecret"].as_str().map(str::to_owned),
        }
    }
}

/// An answer as a reference client compares it: without the fields issue 12 adds to the
/// reference's answers (`nextSteps`, `nextBeatAt`; tests/api/events.rs checks those).
pub fn reference_fields(mut v: Value) -> Value {
    if let Some(map) = v.as_object_mut() {
        map.remove("nextSteps");
        map.remove("nextBeatAt");
    }
    v
}

/// The notifications a fake agent received (challenges left out), as JSON.
pub fn agent_events(agent: &ishtar_test_support::FakeAgent) -> Vec<Value> {
    agent
        .received()
        .iter()
        .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .filter(|v| v.get("type").is_some())
        .collect()
}

/// Waits (up to 10 s) until the agent has received an event of `kind`; returns all it has.
pub async fn wait_for_event(agent: &ishtar_test_support::FakeAgent, kind: &str) -> Vec<Value> {
    for _ in 0..100 {
        let got = agent_events(agent);
        if got.iter().any(|e| e["type"] == kind) {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no {kind} reached the agent: {:?}", agent_events(agent));
}
