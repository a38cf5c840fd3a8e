//! The configuration contract (README "Configuration"; docs/rules.md#configuration):
//! environment variables, each also a flag.
//! Read once here; adapters get plain structs and never read the environment themselves.

use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, ValueEnum};
use secrecy::SecretString;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@localhost/ishtar";
pub const DEFAULT_GEO_HEADER: &str = "cf-ipcountry";
pub const DEFAULT_DATA_DIR: &str = ".ishtar";
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";
pub const DEFAULT_DIDIT_BASE_URL: &str = "https://verification.didit.me";
pub const DEFAULT_BODY_TIMEOUT_MS: u64 = 10_000;
/// The shortest operator secret the server starts with.
pub const MIN_ADMIN_TOKEN_CHARS: usize = 32;

/// Where the venue keeps its data (`ISHTAR_STORE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum StoreKind {
    /// Postgres at `DATABASE_URL`, created and migrated on start (the default).
    #[default]
    Postgres,
    /// In this process's memory: no database at all, and NOTHING IS DURABLE (a demo and
    /// test mode; everything is lost when the process exits).
    Memory,
}

/// Everything the venue reads from its environment.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Listen address.
    #[arg(long, env = "ISHTAR_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,

    /// Where data lives: `postgres` (at DATABASE_URL), or `memory` (no database; NOT
    /// durable: a demo and test mode).
    #[arg(
        long,
        env = "ISHTAR_STORE",
        value_enum,
        default_value = "postgres",
        global = true
    )]
    pub store: StoreKind,

    /// Postgres URL; the database is created if missing and migrated on start.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, hide_env_values = true)]
    pub database_url: String,

    /// Connections in the pool.
    #[arg(long, env = "ISHTAR_DB_POOL_SIZE", default_value_t = 16)]
    pub db_pool_size: usize,

    /// HTTP worker threads (0: one per CPU core, actix-web's default).
    #[arg(long, env = "ISHTAR_HTTP_WORKERS", default_value_t = 0)]
    pub http_workers: usize,

    /// Operator secret for /admin, at least 32 characters (none: the console is closed).
    #[arg(long, env = "ISHTAR_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<SecretString>,

    /// Header carrying the client's ISO country, set by a trusted proxy.
    #[arg(long, env = "ISHTAR_GEO_HEADER", default_value = DEFAULT_GEO_HEADER)]
    pub geo_header: String,

    /// Initial denied countries, comma-separated (the `geo_denied` setting wins after).
    #[arg(long, env = "ISHTAR_GEO_DENIED", default_value = "")]
    pub geo_denied: String,

    /// Rate limits: `on` (the defaults), `off` (tests, benchmarks), or overrides such as
    /// `intake=30/60s,personas=off` (README, "Rate limits").
    #[arg(long, env = "ISHTAR_RATE_LIMITS", default_value = "on")]
    pub rate_limits: ishtar_http::ratelimit::RateLimitConfig,

    /// Proxies (IPs or CIDRs, comma-separated) whose `Forwarded`/`X-Forwarded-For` name the
    /// client for rate limits; none: the TCP peer is the client.
    #[arg(long, env = "ISHTAR_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: ishtar_http::ratelimit::TrustedProxies,

    /// The one header a trusted proxy names the client in: `x-forwarded-for` or `forwarded`
    /// (the other is ignored: a proxy passes a client's copy of it through).
    #[arg(
        long,
        env = "ISHTAR_FORWARDED_HEADER",
        default_value = "x-forwarded-for"
    )]
    pub forwarded_header: ishtar_http::ratelimit::ForwardedHeader,

    /// Allow http and loopback/private callback URLs (local development and tests only).
    #[arg(long, env = "ISHTAR_ALLOW_PRIVATE_CALLBACKS", default_value = "false",
          value_parser = BoolishValueParser::new(), action = ArgAction::Set)]
    pub allow_private_callbacks: bool,

    /// Time allowed for a callback round-trip, in milliseconds.
    #[arg(long, env = "ISHTAR_CALLBACK_TIMEOUT_MS", default_value_t = 5000)]
    pub callback_timeout_ms: u64,

    /// Notification deliveries in flight at once, all agent endpoints together.
    #[arg(long, env = "ISHTAR_DELIVERY_CONCURRENCY", default_value_t = 16)]
    pub delivery_concurrency: usize,

    /// Notification deliveries in flight at once to one agent endpoint.
    #[arg(long, env = "ISHTAR_DELIVERY_PER_ENDPOINT", default_value_t = 4)]
    pub delivery_per_endpoint: usize,

    /// Base64 of 32 bytes for AES-256-GCM at rest (none: a dev key under the data dir).
    #[arg(long, env = "ISHTAR_ENCRYPTION_KEY", hide_env_values = true)]
    pub encryption_key: Option<SecretString>,

    /// Run the beat timer and the notification delivery loop (off only in tests that drive
    /// them by hand).
    #[arg(long, env = "ISHTAR_BACKGROUND", default_value = "true",
          value_parser = BoolishValueParser::new(), action = ArgAction::Set)]
    pub background: bool,

    /// OpenAI-compatible AI gateway (unset: the local, no-network AI).
    #[arg(long, env = "ISHTAR_AI_BASE_URL")]
    pub ai_base_url: Option<String>,

    /// Bearer key for the AI gateway.
    #[arg(long, env = "ISHTAR_AI_API_KEY", hide_env_values = true)]
    pub ai_api_key: Option<SecretString>,

    /// Embedding model at the gateway (provider default when unset).
    #[arg(long, env = "ISHTAR_EMBED_MODEL")]
    pub embed_model: Option<String>,

    /// The embedding model's dimension (must match the model).
    #[arg(long, env = "ISHTAR_EMBED_DIMENSIONS")]
    pub embed_dimensions: Option<usize>,

    /// Chat model for gambits and reports.
    #[arg(long, env = "ISHTAR_CHAT_MODEL")]
    pub chat_model: Option<String>,

    /// Safety model (Llama-Guard-style answers).
    #[arg(long, env = "ISHTAR_GUARD_MODEL")]
    pub guard_model: Option<String>,

    /// Profiles per embedding call in a beat.
    #[arg(long, env = "ISHTAR_EMBED_BATCH", default_value_t = 256)]
    pub embed_batch: usize,

    /// Embedding calls in flight at once in a beat.
    #[arg(long, env = "ISHTAR_EMBED_CONCURRENCY", default_value_t = 4)]
    pub embed_concurrency: usize,

    /// Gambit drafts (writer call and chaperone) in flight at once in a beat.
    #[arg(long, env = "ISHTAR_GAMBIT_CONCURRENCY", default_value_t = 8)]
    pub gambit_concurrency: usize,

    /// x402 facilitator base URL (unset: every payment is not verified).
    #[arg(long, env = "ISHTAR_X402_FACILITATOR_URL")]
    pub x402_facilitator_url: Option<String>,

    /// The address payments go to.
    #[arg(long, env = "ISHTAR_X402_PAY_TO")]
    pub x402_pay_to: Option<String>,

    /// The chain, as the challenge shows it.
    #[arg(long, env = "ISHTAR_X402_NETWORK", default_value = "eip155:8453")]
    pub x402_network: String,

    /// Time allowed for one facilitator call, in milliseconds (settle waits for a block).
    #[arg(long, env = "ISHTAR_X402_TIMEOUT_MS", default_value_t = 30_000)]
    pub x402_timeout_ms: u64,

    /// CDP facilitator API key id.
    #[arg(long, env = "ISHTAR_CDP_API_KEY_ID")]
    pub cdp_api_key_id: Option<String>,

    /// CDP facilitator API key secret (PEM EC key or base64 Ed25519).
    #[arg(long, env = "ISHTAR_CDP_API_KEY_SECRET", hide_env_values = true)]
    pub cdp_api_key_secret: Option<SecretString>,

    /// Where humans reach the venue (absolute claim links, the identity callback).
    #[arg(long, env = "ISHTAR_PUBLIC_URL", default_value = DEFAULT_PUBLIC_URL)]
    pub public_url: String,

    /// Privy app id: the access tokens' `aud` (unset: every invite claim is refused).
    #[arg(long, env = "ISHTAR_PRIVY_APP_ID")]
    pub privy_app_id: Option<String>,

    /// The Privy app's verification key, P-256 SPKI PEM (`\n` escapes allowed).
    #[arg(long, env = "ISHTAR_PRIVY_VERIFICATION_KEY")]
    pub privy_verification_key: Option<String>,

    /// Didit API base URL.
    #[arg(long, env = "ISHTAR_DIDIT_BASE_URL", default_value = DEFAULT_DIDIT_BASE_URL)]
    pub didit_base_url: String,

    /// Didit API key (unset: claims succeed with `diditUrl: null` and an `identityNote`).
    #[arg(long, env = "ISHTAR_DIDIT_API_KEY", hide_env_values = true)]
    pub didit_api_key: Option<SecretString>,

    /// Didit workflow id (the KYC workflow with an age/document step).
    #[arg(long, env = "ISHTAR_DIDIT_WORKFLOW_ID")]
    pub didit_workflow_id: Option<String>,

    /// Didit webhook secret (unset: every identity webhook is rejected).
    #[arg(long, env = "ISHTAR_DIDIT_WEBHOOK_SECRET", hide_env_values = true)]
    pub didit_webhook_secret: Option<SecretString>,

    /// Where a generated development key is kept.
    #[arg(long, env = "ISHTAR_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,

    /// Time a whole request body may take to arrive, in milliseconds (then 408).
    #[arg(long, env = "ISHTAR_BODY_TIMEOUT_MS", default_value_t = DEFAULT_BODY_TIMEOUT_MS)]
    pub body_timeout_ms: u64,

    /// Hosts (`name` or `name:port`) `/mcp` answers, comma-separated; `*`: any. Empty:
    /// loopback and the public URL's host (DNS-rebinding defence).
    #[arg(long, env = "ISHTAR_MCP_ALLOWED_HOSTS", default_value = "")]
    pub mcp_allowed_hosts: String,

    /// Browser origins `/mcp` accepts (`https://app.example.com:443`, `http://localhost:*`),
    /// comma-separated; `*`: any. Empty: loopback origins and the public URL's. Requests
    /// without `Origin` always pass.
    #[arg(long, env = "ISHTAR_MCP_ALLOWED_ORIGINS", default_value = "")]
    pub mcp_allowed_origins: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: DEFAULT_BIND.to_owned(),
            store: StoreKind::Postgres,
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            db_pool_size: 16,
            http_workers: 0,
            admin_token: None,
            geo_header: DEFAULT_GEO_HEADER.to_owned(),
            geo_denied: String::new(),
            rate_limits: ishtar_http::ratelimit::RateLimitConfig::default(),
            trusted_proxies: ishtar_http::ratelimit::TrustedProxies::default(),
            forwarded_header: ishtar_http::ratelimit::ForwardedHeader::default(),
            allow_private_callbacks: false,
            callback_timeout_ms: 5000,
            delivery_concurrency: 16,
            delivery_per_endpoint: 4,
            encryption_key: None,
            background: true,
            ai_base_url: None,
            ai_api_key: None,
            embed_model: None,
            embed_dimensions: None,
            chat_model: None,
            guard_model: None,
            embed_batch: 256,
            embed_concurrency: 4,
            gambit_concurrency: 8,
            x402_facilitator_url: None,
            x402_pay_to: None,
            x402_network: "eip155:8453".to_owned(),
            x402_timeout_ms: 30_000,
            cdp_api_key_id: None,
            cdp_api_key_secret: None,
            public_url: DEFAULT_PUBLIC_URL.to_owned(),
            privy_app_id: None,
            privy_verification_key: None,
            didit_base_url: DEFAULT_DIDIT_BASE_URL.to_owned(),
            didit_api_key: None,
            didit_workflow_id: None,
            didit_webhook_secret: None,
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            body_timeout_ms: DEFAULT_BODY_TIMEOUT_MS,
            mcp_allowed_hosts: String::new(),
            mcp_allowed_origins: String::new(),
        }
    }
}

impl Config {
    /// Checks the values a server must not start with. The message is one line and never
    /// carries a secret.
    ///
    /// # Errors
    /// What is wrong, in one line.
    pub fn check(&self) -> Result<(), String> {
        if let Some(token) = &self.admin_token {
            let chars = secrecy::ExposeSecret::expose_secret(token).chars().count();
            // Empty is the same as unset: the console stays closed.
            if chars > 0 && chars < MIN_ADMIN_TOKEN_CHARS {
                return Err(format!(
                    "ISHTAR_ADMIN_TOKEN is too short ({chars} characters); \
                     use at least {MIN_ADMIN_TOKEN_CHARS}, e.g. `openssl rand -hex 32`"
                ));
            }
        }
        if self.body_timeout_ms == 0 {
            return Err("ISHTAR_BODY_TIMEOUT_MS must be above 0".to_owned());
        }
        ishtar_http::mcp::McpOptions::from_settings(
            &self.mcp_allowed_hosts,
            &self.mcp_allowed_origins,
            &self.public_url,
        )?;
        Ok(())
    }
}
