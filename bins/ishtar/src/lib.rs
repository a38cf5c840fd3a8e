//! The Ishtar binary's library: configuration, wiring of adapters into the domain, the HTTP
//! server and the CLI. This is the only place that knows concrete adapter types.

pub mod background;
pub mod cli;
pub mod config;
pub mod identity;
pub mod keys;
pub mod seed;
pub mod telemetry;
pub mod wiring;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{HttpServer, web};

use ishtar_http::HttpOptions;

pub use config::{Config, StoreKind};
/// The host machinery moved to `ishtar-embed`; the old names keep working.
pub use ishtar_embed::{OsIds, SystemClock, TokioOffload as BackgroundRuntime};
pub use wiring::{Customize, build_venue, build_venue_with, build_venue_with_clock};

/// Why the venue could not start; each is one clear line.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be reached, created or migrated.
    #[error(transparent)]
    Db(#[from] ishtar_store_postgres::DbError),
    /// The encryption key is malformed or cannot be kept.
    #[error(transparent)]
    Key(#[from] keys::KeyError),
    /// The live settings could not be loaded.
    #[error("cannot load settings: {0}")]
    Settings(String),
    /// The listen address is unusable.
    #[error("cannot listen on {addr}: {cause}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// Why it failed.
        cause: std::io::Error,
    },
    /// A setting is wrong.
    #[error("configuration: {0}")]
    Config(String),
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
        max_delivery: wiring::callback_timeout(config)
            .try_into()
            .unwrap_or(time::Duration::MAX),
        ..Default::default()
    }
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
        Self::build_with(config, Box::new(|b| b)).await
    }

    /// [`Application::build`] with `customize` given the last word on every port of the
    /// venue (the black-box suite swaps ports with it).
    ///
    /// # Errors
    /// [`StartError`].
    pub async fn build_with(config: Config, customize: Customize) -> Result<Self, StartError> {
        config.check().map_err(StartError::Config)?;
        let venue = web::Data::new(build_venue_with(&config, customize).await?);
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

    /// The port the listener is bound to.
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
