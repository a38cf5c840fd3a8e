//! The operator console (docs/rules.md#the-operator-console): the venue's state at a glance,
//! live settings, brokering committed intros, and the record of what the operator did (the
//! `events` table).
//!
//! The console reads through [`ConsoleStore`]; nothing here formats HTML or JSON. Two
//! views are built from the same numbers: [`Snapshot`] (the stable keys of `/admin.json`)
//! and [`ConsoleData`] (everything `/admin` shows, paginated).

use std::sync::Arc;

use time::{Date, OffsetDateTime, Time};

use crate::error::StoreError;
use crate::model::{CoupleId, CoupleState, TurnStatus};
use crate::notify::Notifier;
use crate::ports::{
    BrokerOutcome, Clock, ConsoleData, ConsoleQuery, ConsoleStore, Event, EventRecord, HealthProbe,
    Ids, Intro, SnapshotCounts,
};
use crate::settings::{SetError, Settings, SettingsService};

/// How many events `/admin.json` and the console's header show.
pub const RECENT_EVENTS: u32 = 20;
/// How many committed couples the intros list shows at most.
pub const INTROS_LIMIT: u32 = 100;

/// Event kinds the venue records in `events`.
pub mod kinds {
    /// An operator changed a live setting: `{"key","value"}`.
    pub const SETTING_CHANGED: &str = "setting_changed";
    /// An operator brokered a committed couple: `{"coupleId"}`.
    pub const INTRO_BROKERED: &str = "intro_brokered";
    /// An operator ran a beat (console, API or CLI): `{"cycleId","pairs","created","trigger"}`.
    pub const BEAT_RUN: &str = "beat_run";
    /// The retention job ran: `{"cutoff","deleted":{…}}`.
    pub const RETENTION_RUN: &str = "retention_run";
    /// An owner was erased: counts only, never an id.
    pub const OWNER_ERASED: &str = "owner_erased";
}

/// Order statuses the payments table knows (always present in `orders_by_status`).
pub const ORDER_STATUSES: &[&str] = &["challenged", "settling", "failed", "fulfilled"];
/// Chaperone verdicts (always present in `chaperone_today`).
pub const VERDICTS: &[&str] = &["allow", "hold", "deny"];

/// `/admin.json`: every key of the reference, with fixed types.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// `ok`, or `degraded` when part of the snapshot could not be read.
    pub health: &'static str,
    /// The live `mode` setting.
    pub sim_mode: String,
    /// Personas holding a cap slot (the capacity counter).
    pub admitted: i64,
    /// The live `cap` setting: how many personas may be admitted at once.
    pub cap: u32,
    /// `admitted / cap` in percent, one decimal; `100.0` when the cap is 0.
    pub cap_used_pct: f64,
    /// Couples per state; `courting`, `committed`, `brokered` and `ended` are always present,
    /// in that order.
    pub couples_by_state: Vec<(String, i64)>,
    /// Courtship turns per status; `published`, `held` and `blocked` are always present.
    pub turns_by_status: Vec<(String, i64)>,
    /// Chaperone verdicts since 00:00 UTC today; every one of [`VERDICTS`] is present.
    pub chaperone_today: Vec<(String, i64)>,
    /// Compatibility-report orders per status; every one of [`ORDER_STATUSES`] is present.
    pub orders_by_status: Vec<(String, i64)>,
    /// USDC base units.
    pub revenue: i64,
    /// USDC base units.
    pub buyback_reserve: i64,
    /// Requests the geo gate refused today (UTC), all countries (docs/rules.md#geo-gate).
    pub geo_denials_today: i64,
    /// Committed couples waiting for the operator, oldest first, at most [`INTROS_LIMIT`];
    /// never their contacts.
    pub intros_to_broker: Vec<Intro>,
    /// The newest [`RECENT_EVENTS`] rows of `events`, newest first.
    pub recent_events: Vec<EventRecord>,
    /// The parts that could not be read (shown as zero or empty, and `health` is then
    /// `degraded`); empty when everything was read. Not a key of `/admin.json` (the server
    /// log names them); `/admin` lists them.
    pub unreadable: Vec<String>,
}

/// Every `expected` key in order (zero when absent), then any other key the store found.
pub fn complete_counts(expected: &[&str], found: &[(String, i64)]) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = expected
        .iter()
        .map(|k| {
            let n = found.iter().find(|(f, _)| f == k).map_or(0, |(_, n)| *n);
            ((*k).to_owned(), n)
        })
        .collect();
    for (k, n) in found {
        if !expected.contains(&k.as_str()) {
            out.push((k.clone(), *n));
        }
    }
    out
}

/// `admitted / cap` in percent, rounded to one decimal; a cap of 0 is full.
pub fn cap_used_pct(admitted: i64, cap: u32) -> f64 {
    if cap == 0 {
        return 100.0;
    }
    let pct = admitted.max(0) as f64 * 100.0 / f64::from(cap);
    (pct * 10.0).round() / 10.0
}

/// USDC base units (6 decimals) as an exact decimal string: `5000000` → `"5.000000"`.
pub fn format_usdc(base_units: i64) -> String {
    let sign = if base_units < 0 { "-" } else { "" };
    let abs = base_units.unsigned_abs();
    format!("{sign}{}.{:06}", abs / 1_000_000, abs % 1_000_000)
}

/// The start of `at`'s UTC day.
pub fn day_start(at: OffsetDateTime) -> (Date, OffsetDateTime) {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let day = utc.date();
    (day, day.with_time(Time::MIDNIGHT).assume_utc())
}

impl Snapshot {
    /// Builds the snapshot from the store's counts and the live settings.
    pub fn build(counts: SnapshotCounts, settings: &Settings) -> Self {
        let states: Vec<&str> = CoupleState::ALL.iter().map(|s| s.as_str()).collect();
        let statuses: Vec<&str> = TurnStatus::ALL.iter().map(|s| s.as_str()).collect();
        Self {
            health: if counts.unreadable.is_empty() {
                "ok"
            } else {
                "degraded"
            },
            sim_mode: settings.mode.clone(),
            admitted: counts.admitted,
            cap: settings.cap,
            cap_used_pct: cap_used_pct(counts.admitted, settings.cap),
            couples_by_state: complete_counts(&states, &counts.couples_by_state),
            turns_by_status: complete_counts(&statuses, &counts.turns_by_status),
            chaperone_today: complete_counts(VERDICTS, &counts.chaperone_today),
            orders_by_status: complete_counts(ORDER_STATUSES, &counts.orders_by_status),
            revenue: counts.revenue,
            buyback_reserve: counts.buyback_reserve,
            geo_denials_today: counts.geo_denials_today,
            intros_to_broker: counts.intros,
            recent_events: counts.recent_events,
            unreadable: counts.unreadable,
        }
    }
}

/// A setting's current value as text: the stored raw value, else the default.
pub fn setting_text(stored: &[(String, String)], key: &str) -> String {
    if let Some((_, v)) = stored.iter().find(|(k, _)| k == key) {
        return v.clone();
    }
    let d = Settings::default();
    match key {
        "cap" => d.cap.to_string(),
        "beat_interval_s" => d.beat_interval_s.to_string(),
        "match_k" => d.match_k.to_string(),
        "min_fit" => d.min_fit.to_string(),
        "geo_denied" => d.geo_denied.join(","),
        "denylist" => crate::settings::DEFAULT_DENYLIST.to_owned(),
        "buyback_bps" => d.buyback_bps.to_string(),
        "mode" => d.mode,
        "retention_days" => d.retention_days.to_string(),
        _ => String::new(),
    }
}

/// The console as a page renders it: the data plus the live settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleView {
    /// The `/admin.json` figures, from the same read as `data`.
    pub snapshot: Snapshot,
    /// Everything else the page lists, one page of each list.
    pub data: ConsoleData,
    /// The live settings the settings form shows.
    pub settings: Arc<Settings>,
    /// When the console was read ("read at" in the page header).
    pub now: OffsetDateTime,
}

/// Why brokering failed.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// No couple with that id → 404.
    #[error("no such couple")]
    NoSuchCouple,
    /// Only a `committed` couple can be brokered; the state it is in → 409.
    #[error("couple is {0}, not committed")]
    NotCommitted(CoupleState),
    /// The store failed; nothing was brokered.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The console's use cases.
pub struct Console {
    store: Arc<dyn ConsoleStore>,
    settings: Arc<SettingsService>,
    notifier: Arc<Notifier>,
    health: Arc<dyn HealthProbe>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn Ids>,
}

impl Console {
    /// The console over its ports: `health` checks that the database answers before a
    /// snapshot is built, `notifier` tells both agents of a brokered couple, `ids` makes
    /// console session ids.
    pub fn new(
        store: Arc<dyn ConsoleStore>,
        settings: Arc<SettingsService>,
        notifier: Arc<Notifier>,
        health: Arc<dyn HealthProbe>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn Ids>,
    ) -> Self {
        Self {
            store,
            settings,
            notifier,
            health,
            clock,
            ids,
        }
    }

    /// `/admin.json`. A part that cannot be read is reported empty and the health is
    /// `degraded`; an unreachable database is an error.
    ///
    /// # Errors
    /// The store's error when the database does not answer at all.
    pub async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        self.health.ping().await?;
        let (day, start) = day_start(self.clock.now());
        let counts = self
            .store
            .snapshot(start, day, RECENT_EVENTS, INTROS_LIMIT)
            .await?;
        Ok(Snapshot::build(counts, &self.settings.current()))
    }

    /// Everything `/admin` shows, in one read.
    ///
    /// # Errors
    /// The store's error (the page then degrades).
    pub async fn view(&self, q: ConsoleQuery) -> Result<ConsoleView, StoreError> {
        let now = self.clock.now();
        let (day, start) = day_start(now);
        let data = self.store.console(q, start, day).await?;
        let settings = self.settings.current();
        Ok(ConsoleView {
            snapshot: Snapshot::build(data.counts.clone(), &settings),
            data,
            settings,
            now,
        })
    }

    /// The live settings (no database read).
    pub fn settings(&self) -> Arc<Settings> {
        self.settings.current()
    }

    /// Validates and stores a setting (it applies at once) and records the change.
    ///
    /// # Errors
    /// [`SetError`].
    #[tracing::instrument(skip(self, value))]
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<String, SetError> {
        self.settings.set(key, value).await?;
        let value = value.trim().to_owned();
        tracing::info!(setting.key = key, "setting changed");
        self.record(
            kinds::SETTING_CHANGED,
            serde_json::json!({"key": key, "value": value}),
        )
        .await;
        Ok(value)
    }

    /// Marks a committed couple `brokered`, records `intro_brokered` (in the same
    /// transaction) and tells both agents.
    ///
    /// # Errors
    /// [`BrokerError`].
    #[tracing::instrument(skip(self), fields(couple.id = %couple))]
    pub async fn broker(&self, couple: CoupleId) -> Result<(), BrokerError> {
        match self.store.broker(couple, self.clock.now()).await? {
            BrokerOutcome::Brokered(a, b) => {
                let event = Event::IntroBrokered { couple };
                if let Err(e) = self.notifier.notify(&[a, b], event, None).await {
                    tracing::error!(error = %e, "could not queue a brokered notification");
                }
                Ok(())
            }
            BrokerOutcome::NoSuchCouple => Err(BrokerError::NoSuchCouple),
            BrokerOutcome::NotCommitted(state) => Err(BrokerError::NotCommitted(state)),
        }
    }

    /// Records an operator-run beat in the events.
    pub async fn beat_ran(&self, trigger: &str, cycle_id: &str, pairs: usize, created: usize) {
        self.record(
            kinds::BEAT_RUN,
            serde_json::json!({
                "cycleId": cycle_id, "pairs": pairs, "created": created, "trigger": trigger,
            }),
        )
        .await;
    }

    /// A fresh random console session id (hex, 32 bytes): the key the console's
    /// anti-forgery token is derived from.
    pub fn new_session_id(&self) -> String {
        self.ids
            .secret_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Records an event; a failure is logged, never fatal to the action it describes.
    async fn record(&self, kind: &'static str, data: serde_json::Value) {
        if let Err(e) = self
            .store
            .record_event(kind.to_owned(), data, self.clock.now())
            .await
        {
            tracing::error!(error = %e, event.kind = kind, "could not record an event");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PersonaId;
    use crate::ports::{
        MockCallbackClient, MockClock, MockConsoleStore, MockHealthProbe, MockIds, MockOutbox,
        MockSettingsStore, Page, Section,
    };
    use time::macros::datetime;

    fn clock() -> Arc<MockClock> {
        let mut c = MockClock::new();
        c.expect_now().returning(|| datetime!(2026-11-23 15:30 UTC));
        Arc::new(c)
    }

    async fn settings(pairs: Vec<(String, String)>) -> Arc<SettingsService> {
        let mut s = MockSettingsStore::new();
        let stored = std::sync::Mutex::new(pairs);
        let stored = Arc::new(stored);
        let read = stored.clone();
        s.expect_all().returning(move || {
            Ok(read
                .lock()
                .map(|g| g.clone())
                .unwrap_or_else(|p| p.into_inner().clone()))
        });
        s.expect_put().returning(move |k, v| {
            let mut g = stored.lock().unwrap_or_else(|p| p.into_inner());
            g.retain(|(key, _)| key != k);
            g.push((k.to_owned(), v.to_owned()));
            Ok(())
        });
        Arc::new(
            SettingsService::load(Arc::new(s), &[])
                .await
                .expect("settings load"),
        )
    }

    fn notifier(outbox: MockOutbox) -> Arc<Notifier> {
        Arc::new(Notifier::new(
            Arc::new(outbox),
            Arc::new(MockCallbackClient::new()),
            clock(),
        ))
    }

    fn console(store: MockConsoleStore, s: Arc<SettingsService>, outbox: MockOutbox) -> Console {
        let mut health = MockHealthProbe::new();
        health.expect_ping().returning(|| Ok(()));
        Console::new(
            Arc::new(store),
            s,
            notifier(outbox),
            Arc::new(health),
            clock(),
            Arc::new(MockIds::new()),
        )
    }

    #[test]
    fn setting_text_is_the_stored_value_else_the_default() {
        let stored = vec![("cap".to_owned(), "12".to_owned())];
        assert_eq!(setting_text(&stored, "cap"), "12");
        assert_eq!(setting_text(&stored, "min_fit"), "0.3");
        assert_eq!(setting_text(&stored, "geo_denied"), "");
        for key in crate::settings::KEYS {
            let text = setting_text(&[], key);
            assert!(
                Settings::default().apply(key, &text).is_ok(),
                "the default of {key} validates: {text:?}"
            );
        }
    }

    #[test]
    fn usdc_is_exact() {
        assert_eq!(format_usdc(5_000_000), "5.000000");
        assert_eq!(format_usdc(1), "0.000001");
        assert_eq!(format_usdc(0), "0.000000");
        assert_eq!(format_usdc(-1_500_000), "-1.500000");
    }

    #[test]
    fn cap_percent_is_rounded_and_a_zero_cap_is_full() {
        assert_eq!(cap_used_pct(1, 3), 33.3);
        assert_eq!(cap_used_pct(0, 10), 0.0);
        assert_eq!(cap_used_pct(0, 0), 100.0);
        assert_eq!(cap_used_pct(12, 10), 120.0);
    }

    #[test]
    fn counts_always_carry_every_known_key() {
        let c = complete_counts(VERDICTS, &[("deny".into(), 2), ("odd".into(), 1)]);
        assert_eq!(
            c,
            vec![
                ("allow".into(), 0),
                ("hold".into(), 0),
                ("deny".into(), 2),
                ("odd".into(), 1)
            ]
        );
    }

    #[test]
    fn pages_are_clamped_and_counted() {
        let mut q = ConsoleQuery::default();
        assert_eq!(q.page(Section::Events), 1);
        q.set_page(Section::Events, 0);
        assert_eq!((q.page(Section::Events), q.offset(Section::Events)), (1, 0));
        q.set_page(Section::Events, 3);
        assert_eq!(q.offset(Section::Events), 50);
        assert_eq!(q.page(Section::Personas), 1);
        let p: Page<()> = Page {
            items: vec![],
            page: 1,
            total: 26,
        };
        assert_eq!(p.pages(), 2);
        assert_eq!(Page::<()>::default().pages(), 1);
    }

    #[tokio::test]
    async fn a_snapshot_fills_every_key_and_reports_unreadable_parts() {
        let mut store = MockConsoleStore::new();
        store.expect_snapshot().returning(|start, day, _, _| {
            assert_eq!(start, datetime!(2026-11-23 0:00 UTC));
            assert_eq!(day, time::macros::date!(2026 - 11 - 23));
            Ok(SnapshotCounts {
                admitted: 3,
                couples_by_state: vec![("courting".into(), 1)],
                unreadable: vec!["orders".into()],
                ..SnapshotCounts::default()
            })
        });
        let s = settings(vec![
            ("cap".into(), "4".into()),
            ("mode".into(), "sim".into()),
        ])
        .await;
        let snap = console(store, s, MockOutbox::new())
            .snapshot()
            .await
            .expect("snapshot");
        assert_eq!(snap.health, "degraded");
        assert_eq!((snap.sim_mode.as_str(), snap.cap), ("sim", 4));
        assert_eq!(snap.cap_used_pct, 75.0);
        assert_eq!(snap.couples_by_state.len(), 4);
        assert_eq!(snap.orders_by_status.len(), 4);
    }

    #[tokio::test]
    async fn a_setting_change_is_validated_applied_and_recorded() {
        let mut store = MockConsoleStore::new();
        store
            .expect_record_event()
            .withf(|kind, data, _| {
                kind == kinds::SETTING_CHANGED && data["key"] == "cap" && data["value"] == "7"
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        let s = settings(vec![]).await;
        let c = console(store, s.clone(), MockOutbox::new());
        assert_eq!(c.set_setting("cap", " 7 ").await.expect("set"), "7");
        assert_eq!(s.current().cap, 7);
        assert!(matches!(
            c.set_setting("admin_token", "x").await,
            Err(SetError::Invalid(
                crate::settings::SettingError::KeyNotAllowed
            ))
        ));
    }

    #[tokio::test]
    async fn brokering_needs_a_committed_couple_and_notifies_both_agents() {
        let mut store = MockConsoleStore::new();
        store.expect_broker().returning(|c, _| {
            Ok(match c.0 {
                1 => BrokerOutcome::Brokered(PersonaId(10), PersonaId(11)),
                2 => BrokerOutcome::NotCommitted(CoupleState::Courting),
                _ => BrokerOutcome::NoSuchCouple,
            })
        });
        let mut outbox = MockOutbox::new();
        outbox
            .expect_enqueue()
            .withf(|p, kind, _, _| {
                p == &vec![PersonaId(10), PersonaId(11)] && kind == "intro.brokered"
            })
            .times(1)
            .returning(|_, _, _, _| Ok(2));
        let c = console(store, settings(vec![]).await, outbox);
        c.broker(CoupleId(1)).await.expect("brokered");
        assert!(matches!(
            c.broker(CoupleId(2)).await,
            Err(BrokerError::NotCommitted(CoupleState::Courting))
        ));
        assert!(matches!(
            c.broker(CoupleId(3)).await,
            Err(BrokerError::NoSuchCouple)
        ));
    }
}
