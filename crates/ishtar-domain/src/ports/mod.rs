//! Port traits: what the domain needs from the outside world, one file per port family.
//!
//! Store methods are coarse and named after business operations, so each adapter method
//! can be one transaction. Signatures use domain types and domain errors only. Each file
//! owns the types its traits speak in; use-case modules import from here, never the
//! other way round. Every trait and type is re-exported here, so `ports::X` names them all.
//! Mocks (`Mock*`) are generated for tests and for other crates' tests (feature `mocks`).

mod agents;
mod ai;
mod boards;
mod console;
mod couples;
mod erasure;
mod guide;
mod identity;
mod knn;
mod matching;
mod notify;
mod owners;
mod payments;
mod personas;
mod proofs;
mod retention;
mod rows;
mod safety;
mod steps;
mod system;

pub use agents::*;
pub use ai::*;
pub use boards::*;
pub use console::*;
pub use couples::*;
pub use erasure::*;
pub use guide::*;
pub use identity::*;
pub use knn::*;
pub use matching::*;
pub use notify::*;
pub use owners::*;
pub use payments::*;
pub use personas::*;
pub use proofs::*;
pub use retention::*;
pub use rows::*;
pub use safety::*;
pub use steps::*;
pub use system::*;

/// Every store port at once: one adapter (the in-memory store, the Postgres store) serves
/// the whole venue. Implemented for any type that implements every store trait, so an
/// adapter never names it; wiring code (the embed builder, the shared contract suite)
/// takes an `Arc<impl AllStores>` and hands out one `Arc<dyn Port>` per port.
pub trait AllStores:
    OwnerStore
    + AgentStore
    + PersonaStore
    + PersonaLifecycleStore
    + BoardStore
    + ReportStore
    + SettingsStore
    + ChaperoneLog
    + GeoLog
    + HealthProbe
    + CoupleStore
    + Outbox
    + GuideStore
    + MatchStore
    + EscalationStore
    + PaymentStore
    + ConsoleStore
    + RetentionStore
    + ErasureStore
    + 'static
{
}

impl<S> AllStores for S where
    S: OwnerStore
        + AgentStore
        + PersonaStore
        + PersonaLifecycleStore
        + BoardStore
        + ReportStore
        + SettingsStore
        + ChaperoneLog
        + GeoLog
        + HealthProbe
        + CoupleStore
        + Outbox
        + GuideStore
        + MatchStore
        + EscalationStore
        + PaymentStore
        + ConsoleStore
        + RetentionStore
        + ErasureStore
        + 'static
{
}
