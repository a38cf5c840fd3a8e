//! The venue: every use-case service, built once by the binary and shared by the handlers.

use std::sync::Arc;

use crate::admission::Admission;
use crate::beat::{Matchmaker, MatchmakerParts};
use crate::boards::Boards;
use crate::chaperone::Chaperone;
use crate::courtship::Courtship;
use crate::geo::GeoGate;
use crate::intake::{Intake, IntakePorts};
use crate::matcher::NeighbourSearch;
use crate::notify::Notifier;
use crate::ports::{
    AgentStore, BoardStore, CallbackClient, ChaperoneLog, Clock, CoupleStore, Embedder, GeoLog,
    Guard, HealthProbe, Ids, MatchStore, Outbox, OwnerStore, PersonaStore, ProofVerifier,
    ReportStore, Writer,
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
    pub couples: Arc<dyn CoupleStore>,
    pub outbox: Arc<dyn Outbox>,
    pub matches: Arc<dyn MatchStore>,
    pub guard: Arc<dyn Guard>,
    pub embedder: Arc<dyn Embedder>,
    pub writer: Arc<dyn Writer>,
    pub search: Arc<dyn NeighbourSearch + Send>,
    /// Where the matcher's CPU work runs (never a request worker).
    pub offload: Arc<dyn crate::ports::Offload>,
    /// Escalation (issue 5): consent, invites, identity, reveal.
    pub escalations: Arc<dyn crate::ports::EscalationStore>,
    /// Sign-in verification (Privy).
    pub login: Arc<dyn crate::ports::AuthVerifier>,
    /// Identity and age checks (Didit).
    pub identity: Arc<dyn crate::ports::IdentityProvider>,
    pub payment_store: Arc<dyn crate::payments::PaymentStore>,
    pub facilitator: Arc<dyn crate::ports::Facilitator>,
    /// The operator console, retention and erasure (issue 6).
    pub console: Arc<dyn crate::ports::ConsoleStore>,
    pub retention: Arc<dyn crate::ports::RetentionStore>,
    pub erasure: Arc<dyn crate::ports::ErasureStore>,
    /// What the next-step guide reads (issue 12).
    pub guide: Arc<dyn crate::ports::GuideStore>,
    /// Persona edits, resubmissions and withdrawals (issue 12).
    pub persona_lifecycle: Arc<dyn crate::personas::PersonaLifecycleStore>,
    pub proofs: Arc<dyn ProofVerifier>,
    pub callbacks: Arc<dyn CallbackClient>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn Ids>,
}

/// Options the venue's rules read that are not live settings.
#[derive(Debug, Clone, Default)]
pub struct VenueOptions {
    /// docs/rules.md#callback-urls: lift the callback address rule (local development and tests).
    pub allow_private_callbacks: bool,
    /// How the venue asks to be paid.
    pub payment: crate::payments::PaymentOptions,
    /// How a beat spreads its embedding and gambit calls.
    pub beat: crate::beat::BeatOptions,
}

/// The use-case services, grouped.
pub struct Venue {
    pub intake: Intake,
    pub admission: Admission,
    pub boards: Boards,
    pub geo: GeoGate,
    pub courtship: Courtship,
    pub matchmaker: Arc<Matchmaker>,
    pub escalation: crate::escalation::Escalation,
    pub payments: crate::payments::Payments,
    pub console: crate::console::Console,
    pub retention: crate::retention::Retention,
    pub erasure: crate::erasure::Erasure,
    /// Next steps, `GET /api/owners/me` and the poll feed (issue 12).
    pub guide: crate::next_steps::Guide,
    /// `PATCH` and `DELETE /api/personas/:id` (issue 12).
    pub personas: crate::personas::PersonaLifecycle,
    pub notifier: Arc<Notifier>,
    pub settings: Arc<SettingsService>,
    pub health: Arc<dyn HealthProbe>,
}

impl Venue {
    pub fn new(p: VenuePorts, settings: Arc<SettingsService>, opts: VenueOptions) -> Self {
        let chaperone = Arc::new(Chaperone::new(p.guard.clone(), p.chaperone_log.clone()));
        let notifier = Arc::new(Notifier::new(
            p.outbox.clone(),
            p.callbacks.clone(),
            p.clock.clone(),
        ));
        let payments = crate::payments::Payments {
            store: p.payment_store.clone(),
            owners: p.owners.clone(),
            couples: p.couples.clone(),
            facilitator: p.facilitator.clone(),
            writer: p.writer.clone(),
            chaperone: chaperone.clone(),
            settings: settings.clone(),
            clock: p.clock.clone(),
            options: opts.payment.clone(),
        };
        let escalation = crate::escalation::Escalation::new(crate::escalation::EscalationPorts {
            store: p.escalations.clone(),
            couples: p.couples.clone(),
            owners: p.owners.clone(),
            login: p.login.clone(),
            identity: p.identity.clone(),
            notifier: notifier.clone(),
            clock: p.clock.clone(),
            ids: p.ids.clone(),
        });
        let console = crate::console::Console::new(
            p.console.clone(),
            settings.clone(),
            notifier.clone(),
            p.health.clone(),
            p.clock.clone(),
            p.ids.clone(),
        );
        let retention = crate::retention::Retention::new(
            p.retention.clone(),
            p.console.clone(),
            settings.clone(),
            p.clock.clone(),
        );
        let erasure = crate::erasure::Erasure::new(
            p.erasure.clone(),
            p.owners.clone(),
            p.console.clone(),
            notifier.clone(),
            p.clock.clone(),
            p.ids.clone(),
        );
        let personas =
            crate::personas::PersonaLifecycle::new(crate::personas::PersonaLifecyclePorts {
                owners: p.owners.clone(),
                store: p.persona_lifecycle.clone(),
                chaperone: chaperone.clone(),
                settings: settings.clone(),
                notifier: notifier.clone(),
                clock: p.clock.clone(),
            });
        let guide = crate::next_steps::Guide::new(crate::next_steps::GuidePorts {
            owners: p.owners.clone(),
            couples: p.couples.clone(),
            store: p.guide.clone(),
            beats: p.matches.clone(),
            notifier: notifier.clone(),
            settings: settings.clone(),
            clock: p.clock.clone(),
        });
        Self {
            guide,
            personas,
            console,
            retention,
            erasure,
            escalation,
            payments,
            intake: Intake::new(
                IntakePorts {
                    owners: p.owners.clone(),
                    agents: p.agents.clone(),
                    personas: p.personas.clone(),
                    proofs: p.proofs.clone(),
                    callbacks: p.callbacks.clone(),
                    clock: p.clock.clone(),
                    ids: p.ids.clone(),
                    chaperone: chaperone.clone(),
                    settings: settings.clone(),
                },
                opts.allow_private_callbacks,
            ),
            admission: Admission::new(
                p.owners.clone(),
                p.personas.clone(),
                p.persona_lifecycle.clone(),
                chaperone.clone(),
                settings.clone(),
                p.clock.clone(),
            ),
            courtship: Courtship::new(
                p.couples.clone(),
                p.owners.clone(),
                chaperone.clone(),
                settings.clone(),
                notifier.clone(),
                p.clock.clone(),
            ),
            matchmaker: Arc::new(Matchmaker::new(MatchmakerParts {
                store: p.matches.clone(),
                personas: p.personas.clone(),
                embedder: p.embedder.clone(),
                writer: p.writer.clone(),
                search: p.search.clone(),
                offload: p.offload.clone(),
                chaperone: chaperone.clone(),
                settings: settings.clone(),
                clock: p.clock.clone(),
                ids: p.ids.clone(),
                options: opts.beat,
                notifier: notifier.clone(),
            })),
            notifier,
            boards: Boards::new(crate::boards::BoardsPorts {
                boards: p.boards.clone(),
                reports: p.reports.clone(),
                couples: p.couples.clone(),
                owners: p.owners.clone(),
                chaperone,
                settings: settings.clone(),
                clock: p.clock.clone(),
            }),
            geo: GeoGate::new(settings.clone(), p.geo_log.clone(), p.clock.clone()),
            settings,
            health: p.health,
        }
    }
}
