//! Background work: the beat timer (setting `beat_interval_s`, read live) and the
//! notification delivery loop. Both stop with the server.

use std::sync::Arc;
use std::time::Duration;

use ishtar_domain::Venue;
use ishtar_domain::beat::BeatError;
use ishtar_domain::notify::{DeliveryLimits, Notifier};

/// How often the delivery loop looks for due notifications when nothing has ended.
const DELIVERY_POLL: Duration = Duration::from_millis(500);

/// The notification delivery loop (docs/notifications.md): up to `limits.concurrency`
/// deliveries in flight, more claimed whenever one ends and every `DELIVERY_POLL` (500 ms). Runs
/// until aborted; several instances may run it over one database.
pub async fn deliver_forever(notifier: Arc<Notifier>, limits: DeliveryLimits) {
    notifier
        .run(limits, || tokio::time::sleep(DELIVERY_POLL))
        .await;
}

/// Handles of the background tasks.
pub struct Workers {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Workers {
    /// Stops every task.
    pub fn stop(self) {
        for t in self.tasks {
            t.abort();
        }
    }
}

/// Starts the background tasks (none when `enabled` is false).
pub fn spawn(venue: Arc<Venue>, enabled: bool, delivery: DeliveryLimits) -> Workers {
    if !enabled {
        return Workers { tasks: Vec::new() };
    }
    let beat_venue = venue.clone();
    let beat = tokio::spawn(async move {
        loop {
            let interval = beat_venue.settings.current().beat_interval_s;
            tokio::time::sleep(Duration::from_secs(u64::from(interval.max(5)))).await;
            // Other instances' setting changes are picked up here too.
            if let Err(e) = beat_venue.settings.reload().await {
                tracing::warn!(error = %e, "could not reload settings");
            }
            match beat_venue.matchmaker.beat("timer").await {
                Ok(r) => {
                    tracing::info!(cycle = %r.cycle_id, pairs = r.pairs, created = r.created, "timed beat")
                }
                Err(BeatError::Busy) => tracing::debug!("beat skipped: another is running"),
                Err(e) => tracing::error!(error = %e, "timed beat failed"),
            }
        }
    });
    // Retention (issue 6): checked hourly, runs once per UTC day of the venue's clock.
    let retention_venue = venue.clone();
    let retention = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        loop {
            match retention_venue.retention.run_if_due().await {
                Ok(Some(p)) => tracing::info!(deleted = p.total(), "daily retention purge"),
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "retention purge failed"),
            }
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
    let deliver = tokio::spawn(deliver_forever(venue.notifier.clone(), delivery));
    Workers {
        tasks: vec![beat, deliver, retention],
    }
}
