//! Config → adapters → [`Venue`]: the embed builder's defaults, with the store and the
//! providers the configuration names swapped in.

use std::sync::Arc;
use std::time::Duration;

use ishtar_ai_local::{LocalEmbedder, LocalFirst, LocalGuard, TemplateWriter};
use ishtar_callbacks::{CallbackConfig, HttpCallbackClient};
use ishtar_domain::Venue;
use ishtar_domain::ports::Clock;
use ishtar_domain::venue::VenueOptions;
use ishtar_embed::{BuildError, Builder};
use ishtar_store_postgres::{ContactCipher, PgConfig, PgStore};

use crate::config::StoreKind;
use crate::{Config, StartError, identity, keys};

/// A last change to the venue builder before it builds: the black-box suite replaces a
/// port with it (a guard that holds everything, a fixed clock, …).
pub type Customize = Box<dyn FnOnce(Builder) -> Builder + Send>;

/// What `ISHTAR_STORE=memory` says when the venue starts, as a warning and on stderr.
pub const NOT_DURABLE: &str = "ISHTAR_STORE=memory: NOTHING IS DURABLE. Every owner, persona, \
     couple and payment lives in this process's memory and is lost when it exits \
     (a demo and test mode; no database is used)";

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

pub(crate) fn callback_timeout(config: &Config) -> Duration {
    Duration::from_millis(config.callback_timeout_ms.max(1))
}

/// The builder with the configured store: Postgres (created, migrated, connected), or the
/// embed builder's default in-memory store, announced loudly.
async fn with_store(config: &Config) -> Result<Builder, StartError> {
    match config.store {
        StoreKind::Postgres => {
            let applied = crate::prepare_database(config).await?;
            if applied > 0 {
                tracing::info!(applied, "applied migrations");
            }
            let mut pg = PgConfig::new(config.database_url.clone());
            pg.pool_size = config.db_pool_size.max(1);
            let pool = ishtar_store_postgres::connect(&pg).await?;
            let key = keys::encryption_key(config.encryption_key.as_ref(), &config.data_dir)?;
            let store = Arc::new(PgStore::new(pool, ContactCipher::new(&key)));
            Ok(ishtar_embed::builder().stores(store))
        }
        StoreKind::Memory => {
            tracing::warn!("{NOT_DURABLE}");
            eprintln!("ishtar: {NOT_DURABLE}");
            Ok(ishtar_embed::builder())
        }
    }
}

/// Builds the venue from its configuration: every adapter, wired into the domain.
///
/// # Errors
/// [`StartError`] naming what is missing.
pub async fn build_venue(config: &Config) -> Result<Venue, StartError> {
    build_venue_with(config, Box::new(|b| b)).await
}

/// [`build_venue`] on another clock (tests drive the retention job's days with it).
///
/// # Errors
/// [`StartError`] naming what is missing.
pub async fn build_venue_with_clock(
    config: &Config,
    clock: Arc<dyn Clock>,
) -> Result<Venue, StartError> {
    build_venue_with(config, Box::new(move |b| b.clock(clock))).await
}

/// [`build_venue`], with `customize` given the last word on every port.
///
/// # Errors
/// [`StartError`] naming what is missing.
pub async fn build_venue_with(config: &Config, customize: Customize) -> Result<Venue, StartError> {
    let builder = with_store(config).await?;
    let mut initial = Vec::new();
    if !config.geo_denied.trim().is_empty() {
        initial.push(("geo_denied", config.geo_denied.clone()));
    }
    let (guard, embedder, writer) = ai_ports(config)?;
    let id = identity::adapters(config)?;
    let builder = builder
        .initial_settings(initial)
        .guard(guard)
        .embedder(embedder)
        .writer(writer)
        .facilitator(Arc::new(facilitator(config)?))
        .login(id.login)
        .identity(id.identity)
        .callbacks(Arc::new(HttpCallbackClient::new(CallbackConfig {
            allow_private: config.allow_private_callbacks,
            timeout: callback_timeout(config),
            ..CallbackConfig::default()
        })))
        .event_wording(Arc::new(ishtar_wire::JsonEvents))
        .options(options(config));
    customize(builder).build().await.map_err(|e| match e {
        BuildError::Settings(e) => StartError::Settings(e.to_string()),
        e => StartError::Config(e.to_string()),
    })
}

fn options(config: &Config) -> VenueOptions {
    VenueOptions {
        allow_private_callbacks: config.allow_private_callbacks,
        payment: ishtar_domain::payments::PaymentOptions {
            pay_to: config.x402_pay_to.clone().filter(|p| !p.trim().is_empty()),
            network: config.x402_network.clone(),
            public_url: config.public_url.clone(),
            resource: ishtar_http::routes::payments::REPORT_PATH.into(),
        },
        beat: ishtar_domain::beat::BeatOptions {
            embed_batch: config.embed_batch.max(1),
            embed_concurrency: config.embed_concurrency.max(1),
            gambit_concurrency: config.gambit_concurrency.max(1),
        },
    }
}
