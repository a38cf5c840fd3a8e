//! The Ishtar binary's library: configuration, wiring of adapters into the domain, the HTTP
//! server and the CLI. This is the only place that knows concrete adapter types.

pub mod background;
pub mod cli;
pub mod config;
pub mod identity;
pub mod keys;
pub mod seed;
pub mod telemetry;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{HttpServer, web};

use ishtar_ai_local::{LocalEmbedder, LocalFirst, LocalGuard, TemplateWriter};
use ishtar_callbacks::{CallbackConfig, HttpCallbackClient};
use ishtar_domain::ports::{Clock, Ids};
use ishtar_domain::settings::SettingsService;
use ishtar_domain::venue::{Venue, VenueOptions, VenuePorts};
use ishtar_eth::EthProofs;
use ishtar_http::HttpOptions;
use ishtar_store_postgres::{ContactCipher, PgConfig, PgStore};

pub use config::Config;

/// Why the venue could not start; each is one clear line.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] ishtar_store_postgres::DbError),
    #[error(transparent)]
    Key(#[from] keys::KeyError),
    #[error("cannot load settings: {0}")]
    Settings(String),
    #[error("cannot listen on {addr}: {cause}")]
    Bind { addr: String, cause: std::io::Error },
    #[error("configuration: {0}")]
    Config(String),
}

/// The AI adapters: the gateway when `ISHTAR_AI_BASE_URL` is set, else the local ones.
/// The guard is always the local guard first (on the local embedder, which its thresholds
/// were calibrated on), then the gateway's guard when there is one (issue 11); the
/// chaperone's own denylist and contact screen run before either.
type AiPorts = (
    Arc<dyn ishtar_domain::ports::Guard>,
    Arc<dyn ishtar_domain::ports::Embedder>,
    Arc<dyn ishtar_domain::ports::Writer>,
);

fn ai_ports(config: &Config) -> Result<AiPorts, StartError> {
    let Some(base) = config.ai_base_url.clone().filter(|u| !u.trim().is_empty()) else {
        return Ok((
            Arc::new(LocalGuard::default()),
            Arc::new(LocalEmbedder),
            Arc::new(TemplateWriter),
        ));
    };
    let mut g = ishtar_ai_gateway::GatewayConfig {
        base_url: base,
        api_key: config.ai_api_key.clone(),
        ..Default::default()
    };
    if let Some(m) = &config.embed_model {
        g.embed_model = m.clone();
    }
    if let Some(d) = config.embed_dimensions {
        g.embed_dimensions = d;
    }
    if let Some(m) = &config.chat_model {
        g.chat_model = m.clone();
    }
    if let Some(m) = &config.guard_model {
        g.guard_model = m.clone();
    }
    let err = |e: ishtar_domain::ProviderError| StartError::Config(format!("AI gateway: {e}"));
    let gateway_guard = Arc::new(ishtar_ai_gateway::GatewayGuard::new(g.clone()).map_err(err)?);
    Ok((
        Arc::new(LocalFirst::new(
            Arc::new(LocalGuard::default()),
            gateway_guard,
        )),
        Arc::new(ishtar_ai_gateway::GatewayEmbedder::new(g.clone()).map_err(err)?),
        Arc::new(ishtar_ai_gateway::GatewayWriter::new(g).map_err(err)?),
    ))
}

fn facilitator(config: &Config) -> Result<ishtar_x402::X402Facilitator, StartError> {
    ishtar_x402::X402Facilitator::new(ishtar_x402::FacilitatorConfig {
        base_url: config.x402_facilitator_url.clone(),
        cdp_api_key_id: config.cdp_api_key_id.clone(),
        cdp_api_key_secret: config.cdp_api_key_secret.clone(),
        timeout: Duration::from_millis(config.x402_timeout_ms.max(1)),
    })
    .map_err(|e| StartError::Config(format!("x402 facilitator: {e}")))
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::now_utc()
    }
}

/// The operating system's CSPRNG.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsIds;

impl Ids for OsIds {
    fn secret_bytes(&self) -> [u8; 32] {
        use rand::RngCore as _;
        let mut b = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut b);
        b
    }

    fn uuid(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}

/// Runs a beat on the runtime the venue was built on (the binary's main Tokio runtime),
/// not on the HTTP workers, which have runtimes of their own, and the matcher's CPU work on
/// that runtime's blocking pool: a beat at scale never occupies a request worker.
#[derive(Debug, Clone)]
pub struct BackgroundRuntime {
    handle: tokio::runtime::Handle,
}

impl BackgroundRuntime {
    /// The runtime this is called on.
    ///
    /// # Panics
    /// Outside a Tokio runtime.
    pub fn current() -> Self {
        Self {
            handle: tokio::runtime::Handle::current(),
        }
    }
}

type Done = ishtar_domain::ports::BoxFuture<'static, Result<(), ishtar_domain::ProviderError>>;

fn joined(handle: tokio::task::JoinHandle<()>) -> Done {
    Box::pin(async move {
        handle
            .await
            .map_err(|e| ishtar_domain::ProviderError::Unavailable(e.to_string()))
    })
}

impl ishtar_domain::ports::Offload for BackgroundRuntime {
    fn run_blocking(&self, job: Box<dyn FnOnce() + Send + 'static>) -> Done {
        joined(self.handle.spawn_blocking(job))
    }

    fn spawn(&self, task: ishtar_domain::ports::BoxFuture<'static, ()>) -> Done {
        joined(self.handle.spawn(task))
    }
}

/// Creates the database if missing and applies the migrations.
///
/// # Errors
/// [`StartError::Db`].
pub async fn prepare_database(config: &Config) -> Result<usize, StartError> {
    ishtar_store_postgres::ensure_database(&config.database_url, Duration::from_secs(5)).await?;
    Ok(ishtar_store_postgres::migrate(&config.database_url).await?)
}

/// How notifications are delivered (docs/notifications.md): the concurrency bounds, and
/// leases sized from the callback timeout (which bounds every delivery).
pub fn delivery_limits(config: &Config) -> ishtar_domain::notify::DeliveryLimits {
    ishtar_domain::notify::DeliveryLimits {
        concurrency: config.delivery_concurrency.max(1),
        per_endpoint: config.delivery_per_endpoint.max(1),
        max_delivery: callback_timeout(config)
            .try_into()
            .unwrap_or(time::Duration::MAX),
        ..Default::default()
    }
}

fn callback_timeout(config: &Config) -> Duration {
    Duration::from_millis(config.callback_timeout_ms.max(1))
}

/// Builds the venue from its configuration: every adapter, wired into the domain.
///
/// # Errors
/// [`StartError`] naming what is missing.
pub async fn build_venue(config: &Config) -> Result<Venue, StartError> {
    build_venue_with_clock(config, Arc::new(SystemClock)).await
}

/// [`build_venue`] on another clock (tests drive the retention job's days with it).
///
/// # Errors
/// [`StartError`] naming what is missing.
pub async fn build_venue_with_clock(
    config: &Config,
    clock: Arc<dyn Clock>,
) -> Result<Venue, StartError> {
    let applied = prepare_database(config).await?;
    if applied > 0 {
        tracing::info!(applied, "applied migrations");
    }
    let mut pg = PgConfig::new(config.database_url.clone());
    pg.pool_size = config.db_pool_size.max(1);
    let pool = ishtar_store_postgres::connect(&pg).await?;
    let key = keys::encryption_key(config.encryption_key.as_ref(), &config.data_dir)?;
    let store = Arc::new(PgStore::new(pool, ContactCipher::new(&key)));

    let mut initial = Vec::new();
    if !config.geo_denied.trim().is_empty() {
        initial.push(("geo_denied", config.geo_denied.clone()));
    }
    let settings = SettingsService::load(store.clone(), &initial)
        .await
        .map_err(|e| StartError::Settings(e.to_string()))?;

    let (guard, embedder, writer) = ai_ports(config)?;
    let id = identity::adapters(config)?;
    let ports = VenuePorts {
        owners: store.clone(),
        agents: store.clone(),
        personas: store.clone(),
        boards: store.clone(),
        reports: store.clone(),
        chaperone_log: store.clone(),
        geo_log: store.clone(),
        health: store.clone(),
        couples: store.clone(),
        outbox: store.clone(),
        matches: store.clone(),
        guard,
        embedder,
        writer,
        payment_store: store.clone(),
        facilitator: Arc::new(facilitator(config)?),
        // Exact blocked kNN below the measured crossover, clustered above (docs/matcher.md).
        search: Arc::new(ishtar_matcher::Search::new()),
        offload: Arc::new(BackgroundRuntime::current()),
        escalations: store.clone(),
        login: id.login,
        identity: id.identity,
        console: store.clone(),
        retention: store.clone(),
        erasure: store.clone(),
        guide: store.clone(),
        persona_lifecycle: store.clone(),
        proofs: Arc::new(EthProofs),
        callbacks: Arc::new(HttpCallbackClient::new(CallbackConfig {
            allow_private: config.allow_private_callbacks,
            timeout: callback_timeout(config),
            ..CallbackConfig::default()
        })),
        clock,
        ids: Arc::new(OsIds),
    };
    let opts = VenueOptions {
        allow_private_callbacks: config.allow_private_callbacks,
        payment: ishtar_domain::payments::PaymentOptions {
            pay_to: config.x402_pay_to.clone().filter(|p| !p.trim().is_empty()),
            network: config.x402_network.clone(),
            public_url: config.public_url.clone(),
        },
        beat: ishtar_domain::beat::BeatOptions {
            embed_batch: config.embed_batch.max(1),
            embed_concurrency: config.embed_concurrency.max(1),
            gambit_concurrency: config.gambit_concurrency.max(1),
        },
    };
    Ok(Venue::new(ports, Arc::new(settings), opts))
}

/// A built, bound, not yet running venue.
pub struct Application {
    port: u16,
    server: Server,
    workers: background::Workers,
}

impl Application {
    /// Builds everything and binds the listener (port 0 picks a free port).
    ///
    /// # Errors
    /// [`StartError`].
    pub async fn build(config: Config) -> Result<Self, StartError> {
        config.check().map_err(StartError::Config)?;
        let venue = web::Data::new(build_venue(&config).await?);
        let listener = TcpListener::bind(&config.bind).map_err(|cause| StartError::Bind {
            addr: config.bind.clone(),
            cause,
        })?;
        let port = listener
            .local_addr()
            .map_err(|cause| StartError::Bind {
                addr: config.bind.clone(),
                cause,
            })?
            .port();
        let http = HttpOptions {
            geo_header: config.geo_header.to_ascii_lowercase(),
            admin_token: config
                .admin_token
                .as_ref()
                .map(|t| secrecy::ExposeSecret::expose_secret(t).to_owned()),
            privy_app_id: identity::claim_app_id(&config),
            public_url: config.public_url.trim().trim_end_matches('/').to_owned(),
            // Built once here: every worker's app shares these buckets.
            rate_limits: ishtar_http::ratelimit::RateLimits::new(
                &config.rate_limits,
                config.trusted_proxies.clone(),
                config.forwarded_header,
            ),
            body_timeout: Duration::from_millis(config.body_timeout_ms),
            mcp: ishtar_http::mcp::McpOptions::from_settings(
                &config.mcp_allowed_hosts,
                &config.mcp_allowed_origins,
                &config.public_url,
            )
            .map_err(StartError::Config)?,
        };
        let workers = background::spawn(
            venue.clone().into_inner(),
            config.background,
            delivery_limits(&config),
        );
        let mut server = HttpServer::new(move || ishtar_http::app(venue.clone(), http.clone()))
            .shutdown_timeout(10);
        if config.http_workers > 0 {
            server = server.workers(config.http_workers);
        }
        let server = server
            .listen(listener)
            .map_err(|cause| StartError::Bind {
                addr: config.bind.clone(),
                cause,
            })?
            .run();
        Ok(Self {
            port,
            server,
            workers,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM, then drains in-flight requests (graceful shutdown).
    ///
    /// # Errors
    /// The server's I/O error.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.workers.stop();
        result
    }
}
