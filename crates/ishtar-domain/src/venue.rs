//! The venue: every use-case service, built once by the binary and shared by the handlers.
//!
//! Build one with [`Venue::builder`] (a setter per port, then [`VenueBuilder::build`]) or
//! with [`Venue::new`] from a complete [`VenuePorts`]. The domain has no defaults: it
//! cannot name an adapter. `ishtar-embed` fills in sensible ones (system clock, local AI,
//! an in-memory store) for integrators who bring only what they care about.

use std::sync::Arc;

use crate::admission::Admission;
use crate::beat::{Matchmaker, MatchmakerParts};
use crate::boards::Boards;
use crate::chaperone::Chaperone;
use crate::courtship::Courtship;
use crate::geo::GeoGate;
use crate::intake::{Intake, IntakePorts};
use crate::notify::Notifier;
use crate::ports::{
    AgentStore, AuthVerifier, BoardStore, CallbackClient, ChaperoneLog, Clock, ConsoleStore,
    CoupleStore, Embedder, ErasureStore, EscalationStore, Facilitator, GeoLog, Guard, GuideStore,
    HealthProbe, IdentityProvider, Ids, MatchStore, NeighbourSearch, Offload, Outbox, OwnerStore,
    PaymentStore, PersonaLifecycleStore, PersonaStore, ProofVerifier, ReportStore, RetentionStore,
    Writer,
};
use crate::settings::SettingsService;

/// Declares [`VenuePorts`] and [`VenueBuilder`] from one list, so a port added to the
/// venue gets its field, its setter and its "missing" check together.
macro_rules! venue_ports {
    ($( $(#[doc = $doc:literal])+ $name:ident: $port:ty, )+) => {
        /// Every port the venue is built from.
        pub struct VenuePorts {
            $( $(#[doc = $doc])+ pub $name: Arc<$port>, )+
        }

        /// Builds a [`Venue`] one port at a time: a setter per port (each replaces what
        /// was set before), the live settings, the options; [`VenueBuilder::build`] names
        /// every port still missing. No defaults: see `ishtar-embed` for those.
        #[derive(Default)]
        #[must_use]
        pub struct VenueBuilder {
            $( $name: Option<Arc<$port>>, )+
            settings: Option<Arc<SettingsService>>,
            options: VenueOptions,
        }

        impl VenueBuilder {
            $(
                $(#[doc = $doc])+
                pub fn $name(mut self, port: Arc<$port>) -> Self {
                    self.$name = Some(port);
                    self
                }
            )+

            /// The names of the ports (and `settings`) not set yet, in declaration order.
            pub fn missing(&self) -> Vec<&'static str> {
                let mut missing = Vec::new();
                $( if self.$name.is_none() { missing.push(stringify!($name)); } )+
                if self.settings.is_none() {
                    missing.push("settings");
                }
                missing
            }

            /// Builds the venue.
            ///
            /// # Errors
            /// [`MissingPorts`] naming every port (and `settings`) that was never set.
            pub fn build(self) -> Result<Venue, MissingPorts> {
                let missing = self.missing();
                match ($( self.$name, )+ self.settings) {
                    ($( Some($name), )+ Some(settings)) => Ok(Venue::new(
                        VenuePorts { $( $name, )+ },
                        settings,
                        self.options,
                    )),
                    _ => Err(MissingPorts(missing)),
                }
            }
        }
    };
}

venue_ports! {
    /// Owners, their dating docs and tokens.
    owners: dyn OwnerStore,
    /// Agent endpoints and their challenges.
    agents: dyn AgentStore,
    /// Personas at the admission door.
    personas: dyn PersonaStore,
    /// Board posts.
    boards: dyn BoardStore,
    /// Reports on posts and turns.
    reports: dyn ReportStore,
    /// The chaperone's verdict log (never the text).
    chaperone_log: dyn ChaperoneLog,
    /// Daily geo-denial counts.
    geo_log: dyn GeoLog,
    /// The store round-trip behind `/health`.
    health: dyn HealthProbe,
    /// Couples and their turns.
    couples: dyn CoupleStore,
    /// Notifications waiting for delivery.
    outbox: dyn Outbox,
    /// The beat's reads and writes (candidates, pairs, cycles).
    matches: dyn MatchStore,
    /// The safety classifier the chaperone asks.
    guard: dyn Guard,
    /// Text embeddings for matching.
    embedder: dyn Embedder,
    /// Gambits and reports in prose.
    writer: dyn Writer,
    /// The matcher's nearest-neighbour search.
    search: dyn NeighbourSearch + Send,
    /// Where the matcher's CPU work runs (never a request worker).
    offload: dyn Offload,
    /// Escalation (issue 5): consent, invites, identity, reveal.
    escalations: dyn EscalationStore,
    /// Sign-in verification (Privy).
    login: dyn AuthVerifier,
    /// Identity and age checks (Didit).
    identity: dyn IdentityProvider,
    /// Orders, receipts and the buyback ledger.
    payment_store: dyn PaymentStore,
    /// x402 verification and settlement.
    facilitator: dyn Facilitator,
    /// The operator console (issue 6).
    console: dyn ConsoleStore,
    /// The daily retention purge (issue 6).
    retention: dyn RetentionStore,
    /// Owner erasure (issue 6).
    erasure: dyn ErasureStore,
    /// What the next-step guide reads (issue 12).
    guide: dyn GuideStore,
    /// Persona edits, resubmissions and withdrawals (issue 12).
    persona_lifecycle: dyn PersonaLifecycleStore,
    /// Agent key proofs (personal_sign recovery).
    proofs: dyn ProofVerifier,
    /// Calls to agents' callback URLs.
    callbacks: dyn CallbackClient,
    /// How events are worded for agents (`ishtar-wire`'s `JsonEvents`).
    event_wording: dyn crate::ports::EventWording,
    /// The time.
    clock: dyn Clock,
    /// Randomness: tokens, secrets, uuids.
    ids: dyn Ids,
}

impl VenueBuilder {
    /// The live settings service (loaded from a `SettingsStore`; required).
    pub fn settings(mut self, settings: Arc<SettingsService>) -> Self {
        self.settings = Some(settings);
        self
    }

    /// Options the rules read that are not live settings (default: [`VenueOptions::default`]).
    pub fn options(mut self, options: VenueOptions) -> Self {
        self.options = options;
        self
    }
}

/// What [`VenueBuilder::build`] was not given: the missing ports' names (as their setters
/// are spelt), all of them at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the venue is missing {} port(s): {}", .0.len(), .0.join(", "))]
pub struct MissingPorts(Vec<&'static str>);

impl MissingPorts {
    /// The missing ports' names, in declaration order.
    pub fn names(&self) -> &[&'static str] {
        &self.0
    }
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
    /// Dating docs and agent endpoints (`/api/intake/*`).
    pub intake: Intake,
    /// The admission door (`POST /api/personas`).
    pub admission: Admission,
    /// Boards and reports.
    pub boards: Boards,
    /// The geo gate.
    pub geo: GeoGate,
    /// Courtship turns and couples.
    pub courtship: Courtship,
    /// The match beat.
    pub matchmaker: Arc<Matchmaker>,
    /// Consent, invites, identity and the reveal (issue 5).
    pub escalation: crate::escalation::Escalation,
    /// Paid compatibility reports (x402).
    pub payments: crate::payments::Payments,
    /// The operator console (issue 6).
    pub console: crate::console::Console,
    /// The daily retention purge (issue 6).
    pub retention: crate::retention::Retention,
    /// Owner erasure (issue 6).
    pub erasure: crate::erasure::Erasure,
    /// Next steps, `GET /api/owners/me` and the poll feed (issue 12).
    pub guide: crate::next_steps::Guide,
    /// `PATCH` and `DELETE /api/personas/:id` (issue 12).
    pub personas: crate::personas::PersonaLifecycle,
    /// Notification queueing and delivery.
    pub notifier: Arc<Notifier>,
    /// The live settings.
    pub settings: Arc<SettingsService>,
    /// The store round-trip behind `/health`.
    pub health: Arc<dyn HealthProbe>,
}

impl Venue {
    /// A [`VenueBuilder`] with nothing set: a setter per port, then
    /// [`build`](VenueBuilder::build), which names every port still missing.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use ishtar_domain::Venue;
    /// use ishtar_domain::ports::Clock;
    ///
    /// struct Noon;
    /// impl Clock for Noon {
    ///     fn now(&self) -> time::OffsetDateTime {
    ///         time::macros::datetime!(2025-06-01 12:00 UTC)
    ///     }
    /// }
    ///
    /// let missing = Venue::builder().clock(Arc::new(Noon)).build().err().expect("incomplete");
    /// assert!(missing.names().contains(&"owners"));
    /// assert!(missing.names().contains(&"settings"));
    /// assert!(!missing.names().contains(&"clock"), "the clock was set");
    /// assert!(missing.to_string().starts_with("the venue is missing 31 port(s): owners, "));
    /// ```
    pub fn builder() -> VenueBuilder {
        VenueBuilder::default()
    }

    /// Builds every service from a complete set of ports.
    pub fn new(p: VenuePorts, settings: Arc<SettingsService>, opts: VenueOptions) -> Self {
        let chaperone = Arc::new(Chaperone::new(p.guard.clone(), p.chaperone_log.clone()));
        let notifier = Arc::new(
            Notifier::new(p.outbox.clone(), p.callbacks.clone(), p.clock.clone())
                .with_wording(p.event_wording.clone()),
        );
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
