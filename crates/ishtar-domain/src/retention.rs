//! Retention (overview, "Data, retention, and erasure"): operational data older than the
//! `retention_days` setting (default 30) is deleted by a daily job.
//!
//! What goes: events, the chaperone log, geo denial counts, delivered (and given-up)
//! notifications, owners' event feeds (`GET /api/owners/me/events`), expired invites,
//! orders that never got a receipt, and the beat log.
//! What stays: receipts and the buyback ledger (accounting), personas, couples, turns and
//! board posts (the venue's content; an owner removes theirs by erasure), safety reports.
//!
//! Time comes from the [`Clock`] port: the job is "due" once per UTC day of that clock, and
//! the cutoff is that clock's now minus `retention_days`.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use crate::console::kinds;
use crate::error::StoreError;
use crate::ports::{Clock, ConsoleStore, Purged, RetentionStore};
use crate::settings::SettingsService;

/// The retention job.
pub struct Retention {
    store: Arc<dyn RetentionStore>,
    events: Arc<dyn ConsoleStore>,
    settings: Arc<SettingsService>,
    clock: Arc<dyn Clock>,
}

impl Retention {
    /// The retention job over its ports: `store` purges in one transaction, `events` records
    /// each `retention_run`, `settings` gives `retention_days`, `clock` decides the day and
    /// the cutoff.
    pub fn new(
        store: Arc<dyn RetentionStore>,
        events: Arc<dyn ConsoleStore>,
        settings: Arc<SettingsService>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            events,
            settings,
            clock,
        }
    }

    /// Rows older than this go: now minus `retention_days`.
    pub fn cutoff(&self, now: OffsetDateTime) -> OffsetDateTime {
        now - Duration::days(i64::from(self.settings.current().retention_days))
    }

    /// Purges now, whatever the day, and records a `retention_run` event.
    ///
    /// # Errors
    /// The store's error (nothing is deleted then: the purge is one transaction).
    #[tracing::instrument(skip_all)]
    pub async fn run(&self) -> Result<Purged, StoreError> {
        let now = self.clock.now();
        let cutoff = self.cutoff(now);
        let purged = self.store.purge(cutoff).await?;
        let deleted: serde_json::Map<String, serde_json::Value> = purged
            .as_pairs()
            .iter()
            .map(|(k, n)| ((*k).to_owned(), serde_json::Value::from(*n)))
            .collect();
        let cutoff_text = cutoff
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let data = serde_json::json!({
            "cutoff": cutoff_text,
            "retentionDays": self.settings.current().retention_days,
            "deleted": deleted,
        });
        if let Err(e) = self
            .events
            .record_event(kinds::RETENTION_RUN.to_owned(), data, now)
            .await
        {
            tracing::error!(error = %e, "could not record the retention run");
        }
        tracing::info!(deleted = purged.total(), %cutoff, "retention purge done");
        Ok(purged)
    }

    /// Runs the purge unless it already ran on the clock's current UTC day.
    ///
    /// # Errors
    /// The store's error.
    pub async fn run_if_due(&self) -> Result<Option<Purged>, StoreError> {
        let today = self.clock.now().to_offset(time::UtcOffset::UTC).date();
        let last = self
            .events
            .last_event_at(kinds::RETENTION_RUN.to_owned())
            .await?;
        if last.is_some_and(|t| t.to_offset(time::UtcOffset::UTC).date() >= today) {
            return Ok(None);
        }
        self.run().await.map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockClock, MockConsoleStore, MockRetentionStore, MockSettingsStore};
    use std::sync::Mutex;
    use time::macros::datetime;

    async fn settings(days: &str) -> Arc<SettingsService> {
        let mut s = MockSettingsStore::new();
        let pairs = vec![("retention_days".to_owned(), days.to_owned())];
        s.expect_all().returning(move || Ok(pairs.clone()));
        Arc::new(SettingsService::load(Arc::new(s), &[]).await.expect("load"))
    }

    #[tokio::test]
    async fn it_runs_once_per_clock_day_with_a_cutoff_that_follows_the_clock() {
        let now = Arc::new(Mutex::new(datetime!(2026-12-31 10:00 UTC)));
        let mut clock = MockClock::new();
        let read = now.clone();
        clock
            .expect_now()
            .returning(move || *read.lock().unwrap_or_else(|p| p.into_inner()));
        let cutoffs: Arc<Mutex<Vec<OffsetDateTime>>> = Arc::default();
        let mut store = MockRetentionStore::new();
        let seen = cutoffs.clone();
        store.expect_purge().returning(move |cutoff| {
            seen.lock().unwrap_or_else(|p| p.into_inner()).push(cutoff);
            Ok(Purged {
                events: 2,
                ..Purged::default()
            })
        });
        let recorded: Arc<Mutex<Vec<OffsetDateTime>>> = Arc::default();
        let mut events = MockConsoleStore::new();
        let rec = recorded.clone();
        events
            .expect_record_event()
            .withf(|kind, data, _| kind == "retention_run" && data["deleted"]["events"] == 2)
            .returning(move |_, _, at| {
                rec.lock().unwrap_or_else(|p| p.into_inner()).push(at);
                Ok(())
            });
        let rec = recorded.clone();
        events.expect_last_event_at().returning(move |_| {
            Ok(rec
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .last()
                .copied())
        });
        let r = Retention::new(
            Arc::new(store),
            Arc::new(events),
            settings("7").await,
            Arc::new(clock),
        );
        assert!(
            r.run_if_due().await.expect("first").is_some(),
            "never ran: due"
        );
        assert!(
            r.run_if_due().await.expect("again").is_none(),
            "same day: not due"
        );
        *now.lock().unwrap_or_else(|p| p.into_inner()) = datetime!(2027-01-01 00:05 UTC);
        assert!(
            r.run_if_due().await.expect("next day").is_some(),
            "a new day: due"
        );
        assert_eq!(
            *cutoffs.lock().unwrap_or_else(|p| p.into_inner()),
            vec![
                datetime!(2026-12-24 10:00 UTC),
                datetime!(2026-12-25 00:05 UTC)
            ]
        );
    }
}
