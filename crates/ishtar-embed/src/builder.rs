//! [`Builder`]: the domain's [`VenueBuilder`] with every port filled in by default, and a
//! setter per port for what an integrator brings instead.

use std::sync::Arc;

use ishtar_ai_local::{LocalEmbedder, LocalGuard, TemplateWriter};
use ishtar_callbacks::{CallbackConfig, HttpCallbackClient};
use ishtar_domain::Venue;
use ishtar_domain::ports::{
    AgentStore, AuthVerifier, BoardStore, CallbackClient, ChaperoneLog, Clock, ConsoleStore,
    CoupleStore, Embedder, ErasureStore, EscalationStore, Facilitator, GeoLog, Guard, GuideStore,
    HealthProbe, IdentityProvider, Ids, MatchStore, NeighbourSearch, Offload, Outbox, OwnerStore,
    PaymentStore, PersonaLifecycleStore, PersonaStore, ProofVerifier, ReportStore, RetentionStore,
    SettingsStore, Writer,
};
use ishtar_domain::settings::{LoadSettingsError, SettingsService};
use ishtar_domain::venue::{MissingPorts, VenueBuilder, VenueOptions};
use ishtar_eth::EthProofs;
use ishtar_store_memory::MemoryStore;

use crate::system::{OsIds, SystemClock, TokioOffload};
use crate::unconfigured::{IdentityNotConfigured, PaymentsNotConfigured, SignInNotConfigured};

/// Every store port at once: what [`Builder::stores`] takes. The domain's
/// [`AllStores`](ishtar_domain::ports::AllStores) bundle, implemented for any type that
/// implements every store port (`MemoryStore`, `ishtar_store_postgres::PgStore`).
pub use ishtar_domain::ports::AllStores as Stores;

/// Declares the store bundle: one `Arc` per store port, taken from one [`Stores`] value
/// and handed to the domain builder together.
macro_rules! store_ports {
    ($($name:ident: $port:ty,)+) => {
        /// One [`Stores`] value as the domain's store ports (plus the settings store).
        struct StorePorts {
            $($name: Arc<$port>,)+
            settings: Arc<dyn SettingsStore>,
        }

        impl StorePorts {
            fn of<S: Stores>(store: Arc<S>) -> Self {
                Self {
                    $($name: store.clone(),)+
                    settings: store,
                }
            }

            fn apply(&self, venue: VenueBuilder) -> VenueBuilder {
                venue$(.$name(self.$name.clone()))+
            }
        }
    };
}

store_ports! {
    owners: dyn OwnerStore,
    agents: dyn AgentStore,
    personas: dyn PersonaStore,
    boards: dyn BoardStore,
    reports: dyn ReportStore,
    chaperone_log: dyn ChaperoneLog,
    geo_log: dyn GeoLog,
    health: dyn HealthProbe,
    couples: dyn CoupleStore,
    outbox: dyn Outbox,
    matches: dyn MatchStore,
    escalations: dyn EscalationStore,
    payment_store: dyn PaymentStore,
    console: dyn ConsoleStore,
    retention: dyn RetentionStore,
    erasure: dyn ErasureStore,
    guide: dyn GuideStore,
    persona_lifecycle: dyn PersonaLifecycleStore,
}

/// One port replaced: applied to the domain builder after the defaults and the stores.
type Override = Box<dyn FnOnce(VenueBuilder) -> VenueBuilder + Send>;

/// Why [`Builder::build`] failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The settings store could not be read, or an initial setting does not validate.
    #[error("cannot load settings: {0}")]
    Settings(#[from] LoadSettingsError),
    /// No Tokio runtime to run beats on, and no [`Builder::offload`] given.
    #[error("no Tokio runtime: build the venue inside one, or give the builder an offload")]
    NoRuntime,
    /// A port was left unset (cannot happen through this builder; kept for the domain's check).
    #[error(transparent)]
    Missing(#[from] MissingPorts),
}

/// A venue builder pre-filled with defaults; see [`builder`](crate::builder) for the list.
/// Each setter replaces one port, whatever the order of the calls: a single-port setter
/// wins over [`Builder::stores`].
#[must_use]
pub struct Builder {
    clock: Arc<dyn Clock>,
    offload: Option<Arc<dyn Offload>>,
    stores: Option<StorePorts>,
    settings_store: Option<Arc<dyn SettingsStore>>,
    overrides: Vec<Override>,
    initial_settings: Vec<(&'static str, String)>,
    options: VenueOptions,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field(
                "stores",
                &self.stores.as_ref().map_or("memory", |_| "given"),
            )
            .field("overrides", &self.overrides.len())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            offload: None,
            stores: None,
            settings_store: None,
            overrides: Vec::new(),
            initial_settings: Vec::new(),
            options: VenueOptions::default(),
        }
    }
}

/// A setter per port that is not the clock or the offload (those two are read by other
/// defaults, so they are fields): each queues its replacement.
macro_rules! port_setters {
    ($( $(#[doc = $doc:literal])+ $name:ident: $port:ty, )+) => {
        impl Builder {
            $(
                $(#[doc = $doc])+
                pub fn $name(self, port: Arc<$port>) -> Self {
                    self.with(move |venue| venue.$name(port))
                }
            )+
        }
    };
}

port_setters! {
    /// Owners, their dating docs and tokens (default: the in-memory store).
    owners: dyn OwnerStore,
    /// Agent endpoints (default: the in-memory store).
    agents: dyn AgentStore,
    /// Personas (default: the in-memory store).
    personas: dyn PersonaStore,
    /// Board posts (default: the in-memory store).
    boards: dyn BoardStore,
    /// Reports (default: the in-memory store).
    reports: dyn ReportStore,
    /// The chaperone's verdict log (default: the in-memory store).
    chaperone_log: dyn ChaperoneLog,
    /// Geo-denial counts (default: the in-memory store).
    geo_log: dyn GeoLog,
    /// The `/health` probe (default: the in-memory store).
    health: dyn HealthProbe,
    /// Couples and turns (default: the in-memory store).
    couples: dyn CoupleStore,
    /// The notification outbox (default: the in-memory store).
    outbox: dyn Outbox,
    /// The beat's store (default: the in-memory store).
    matches: dyn MatchStore,
    /// Escalation's store (default: the in-memory store).
    escalations: dyn EscalationStore,
    /// Orders and receipts (default: the in-memory store).
    payment_store: dyn PaymentStore,
    /// The console's store (default: the in-memory store).
    console: dyn ConsoleStore,
    /// The retention purge's store (default: the in-memory store).
    retention: dyn RetentionStore,
    /// The erasure cascade's store (default: the in-memory store).
    erasure: dyn ErasureStore,
    /// The next-step guide's store (default: the in-memory store).
    guide: dyn GuideStore,
    /// Persona edits and withdrawals (default: the in-memory store).
    persona_lifecycle: dyn PersonaLifecycleStore,
    /// The safety classifier (default: `LocalGuard`).
    guard: dyn Guard,
    /// Embeddings (default: `LocalEmbedder`).
    embedder: dyn Embedder,
    /// Gambits and reports (default: `TemplateWriter`).
    writer: dyn Writer,
    /// The matcher's search (default: `ishtar_matcher::Search`).
    search: dyn NeighbourSearch + Send,
    /// Sign-in (default: [`SignInNotConfigured`]).
    login: dyn AuthVerifier,
    /// Identity checks (default: [`IdentityNotConfigured`]).
    identity: dyn IdentityProvider,
    /// x402 payments (default: [`PaymentsNotConfigured`]).
    facilitator: dyn Facilitator,
    /// Agent key proofs (default: `EthProofs`).
    proofs: dyn ProofVerifier,
    /// Agent callbacks (default: `HttpCallbackClient` with the default config: public
    /// https addresses only).
    callbacks: dyn CallbackClient,
    /// How events are worded for agents (default: `ishtar_wire::JsonEvents`, the API's
    /// own bodies).
    event_wording: dyn ishtar_domain::ports::EventWording,
    /// Randomness (default: [`OsIds`]).
    ids: dyn Ids,
}

impl Builder {
    fn with(mut self, replace: impl FnOnce(VenueBuilder) -> VenueBuilder + Send + 'static) -> Self {
        self.overrides.push(Box::new(replace));
        self
    }

    /// Every store port (and the settings store) from one value, e.g. a Postgres store
    /// (default: one [`MemoryStore`] on the builder's clock).
    pub fn stores<S: Stores>(mut self, store: Arc<S>) -> Self {
        self.stores = Some(StorePorts::of(store));
        self
    }

    /// Where the live settings are kept (default: the stores').
    pub fn settings_store(mut self, store: Arc<dyn SettingsStore>) -> Self {
        self.settings_store = Some(store);
        self
    }

    /// The time (default: [`SystemClock`]); the default in-memory store stamps with it too.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Where beats and the matcher's CPU work run (default: [`TokioOffload`] on the runtime
    /// [`Builder::build`] is awaited on).
    pub fn offload(mut self, offload: Arc<dyn Offload>) -> Self {
        self.offload = Some(offload);
        self
    }

    /// Settings written at build time for keys the settings store does not hold yet
    /// (`("cap", "500".into())`, `("geo_denied", "KP".into())`, …).
    pub fn initial_settings(mut self, settings: Vec<(&'static str, String)>) -> Self {
        self.initial_settings = settings;
        self
    }

    /// Options the rules read that are not live settings (default: none set).
    pub fn options(mut self, options: VenueOptions) -> Self {
        self.options = options;
        self
    }

    /// Loads the live settings and builds the venue.
    ///
    /// # Errors
    /// [`BuildError::Settings`] when the settings store fails or an initial setting is
    /// invalid; [`BuildError::NoRuntime`] outside Tokio without an offload.
    pub async fn build(self) -> Result<Venue, BuildError> {
        let offload = match self.offload {
            Some(offload) => offload,
            None => Arc::new(TokioOffload::try_current().ok_or(BuildError::NoRuntime)?),
        };
        let stores = self
            .stores
            .unwrap_or_else(|| StorePorts::of(Arc::new(MemoryStore::new(self.clock.clone()))));
        let mut venue = stores.apply(defaults(self.clock, offload));
        for replace in self.overrides {
            venue = replace(venue);
        }
        let settings_store = self.settings_store.unwrap_or(stores.settings);
        let settings = SettingsService::load(settings_store, &self.initial_settings).await?;
        Ok(venue
            .settings(Arc::new(settings))
            .options(self.options)
            .build()?)
    }
}

/// Every port that is not a store, at its default.
fn defaults(clock: Arc<dyn Clock>, offload: Arc<dyn Offload>) -> VenueBuilder {
    Venue::builder()
        .clock(clock)
        .offload(offload)
        .ids(Arc::new(OsIds))
        .guard(Arc::new(LocalGuard::default()))
        .embedder(Arc::new(LocalEmbedder))
        .writer(Arc::new(TemplateWriter))
        // Exact blocked kNN below the measured crossover, clustered above (docs/matcher.md).
        .search(Arc::new(ishtar_matcher::Search::new()))
        .proofs(Arc::new(EthProofs))
        .callbacks(Arc::new(HttpCallbackClient::new(CallbackConfig::default())))
        .event_wording(Arc::new(ishtar_wire::JsonEvents))
        .login(Arc::new(SignInNotConfigured))
        .identity(Arc::new(IdentityNotConfigured))
        .facilitator(Arc::new(PaymentsNotConfigured))
}
