//! The venue: every use-case service, built once by the binary and shared by the handlers.

use std::sync::Arc;

use crate::admission::Admission;
use crate::boards::Boards;
use crate::chaperone::Chaperone;
use crate::geo::GeoGate;
use crate::intake::{Intake, IntakePorts};
use crate::ports::{
    AgentStore, BoardStore, CallbackClient, ChaperoneLog, Clock, GeoLog, Guard, HealthProbe, Ids,
    OwnerStore, PersonaStore, ProofVerifier, ReportStore,
};
use crate::settings::SettingsService;

/// Every port the venue is built from.
pub struct VenuePorts {
    pub owners: Arc<dyn OwnerStore>,
    pub agents: Arc<dyn AgentStore>,
    pub personas: Arc<dyn PersonaStore>,
    pub boards: Arc<dyn BoardStore>,
    pub reports: Arc<dyn ReportStore>,
    pub chaperone_log: Arc<dyn ChaperoneLog>,
    pub geo_log: Arc<dyn GeoLog>,
    pub health: Arc<dyn HealthProbe>,
    pub guard: Arc<dyn Guard>,
    pub proofs: Arc<dyn ProofVerifier>,
    pub callbacks: Arc<dyn CallbackClient>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn Ids>,
}

/// Options the venue's rules read that are not live settings.
#[derive(Debug, Clone, Default)]
pub struct VenueOptions {
    /// design.md §5: lift the callback address rule (local development and tests).
    pub allow_private_callbacks: bool,
}

/// The use-case services, grouped.
pub struct Venue {
    pub intake: Intake,
    pub admission: Admission,
    pub boards: Boards,
    pub geo: GeoGate,
    pub settings: Arc<SettingsService>,
    pub health: Arc<dyn HealthProbe>,
}

impl Venue {
    pub fn new(p: VenuePorts, settings: Arc<SettingsService>, opts: VenueOptions) -> Self {
        let chaperone = Arc::new(Chaperone::new(p.guard.clone(), p.chaperone_log.clone()));
        Self {
            intake: Intake::new(
                IntakePorts {
                    owners: p.owners.clone(),
                    agents: p.agents.clone(),
                    personas: p.personas.clone(),
                    proofs: p.proofs.clone(),
                    callbacks: p.callbacks.clone(),
                    clock: p.clock.clone(),
                    ids: p.ids.clone(),
                },
                opts.allow_private_callbacks,
            ),
            admission: Admission::new(
                p.owners.clone(),
                p.personas.clone(),
                chaperone,
                settings.clone(),
                p.clock.clone(),
            ),
            boards: Boards::new(p.boards.clone(), p.reports.clone(), p.clock.clone()),
            geo: GeoGate::new(settings.clone(), p.geo_log.clone(), p.clock.clone()),
            settings,
            health: p.health,
        }
    }
}
