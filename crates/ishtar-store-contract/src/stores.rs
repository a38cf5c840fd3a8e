//! Every store port of one adapter, held as `Arc<dyn Port>` (as the binary wires them).

use std::any::Any;
use std::sync::Arc;

use ishtar_domain::ports::{
    AgentStore, AllStores, BoardStore, ChaperoneLog, ConsoleStore, CoupleStore, ErasureStore,
    EscalationStore, GeoLog, GuideStore, HealthProbe, MatchStore, Outbox, OwnerStore, PaymentStore,
    PersonaLifecycleStore, PersonaStore, ReportStore, RetentionStore, SettingsStore,
};

/// Every store port, each as the trait object the domain holds. All of them share one
/// underlying store, so a write through one port is seen through the others.
#[derive(Clone)]
pub struct Stores {
    /// Owners and their dating docs.
    pub owners: Arc<dyn OwnerStore>,
    /// Agent endpoints.
    pub agents: Arc<dyn AgentStore>,
    /// Personas at the admission door.
    pub personas: Arc<dyn PersonaStore>,
    /// Persona edits and withdrawals.
    pub lifecycle: Arc<dyn PersonaLifecycleStore>,
    /// Board reads and posts.
    pub boards: Arc<dyn BoardStore>,
    /// Safety reports.
    pub reports: Arc<dyn ReportStore>,
    /// Raw live settings.
    pub settings: Arc<dyn SettingsStore>,
    /// The chaperone's log.
    pub chaperone: Arc<dyn ChaperoneLog>,
    /// Daily geo-denial counts.
    pub geo: Arc<dyn GeoLog>,
    /// The `/health` round trip.
    pub health: Arc<dyn HealthProbe>,
    /// Couples and their turns.
    pub couples: Arc<dyn CoupleStore>,
    /// Owners' feeds, the notification outbox and venue board lines.
    pub outbox: Arc<dyn Outbox>,
    /// The next-step guide's reads.
    pub guide: Arc<dyn GuideStore>,
    /// The matchmaker's beat.
    pub matches: Arc<dyn MatchStore>,
    /// Consent, invites, identity checks.
    pub escalation: Arc<dyn EscalationStore>,
    /// The operator console.
    pub console: Arc<dyn ConsoleStore>,
    /// The retention purge.
    pub retention: Arc<dyn RetentionStore>,
    /// The erasure cascade.
    pub erasure: Arc<dyn ErasureStore>,
    /// Orders, receipts and the buyback ledger.
    pub payments: Arc<dyn PaymentStore>,
    /// Whatever must live as long as the store (a per-test database, say).
    _guard: Option<Arc<dyn Any + Send + Sync>>,
}

impl Stores {
    /// Every port of `store` (one adapter implementing the domain's [`AllStores`] bundle).
    pub fn of<S: AllStores>(store: Arc<S>) -> Self {
        Self {
            owners: store.clone(),
            agents: store.clone(),
            personas: store.clone(),
            lifecycle: store.clone(),
            boards: store.clone(),
            reports: store.clone(),
            settings: store.clone(),
            chaperone: store.clone(),
            geo: store.clone(),
            health: store.clone(),
            couples: store.clone(),
            outbox: store.clone(),
            guide: store.clone(),
            matches: store.clone(),
            escalation: store.clone(),
            console: store.clone(),
            retention: store.clone(),
            erasure: store.clone(),
            payments: store,
            _guard: None,
        }
    }

    /// Keeps `guard` alive as long as these stores (or a clone of them) are: the per-test
    /// database a Postgres store writes to, for instance.
    #[must_use]
    pub fn holding(mut self, guard: impl Any + Send + Sync) -> Self {
        self._guard = Some(Arc::new(guard));
        self
    }
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stores").finish_non_exhaustive()
    }
}
