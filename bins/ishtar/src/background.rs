//! Background work: the beat timer (setting `beat_interval_s`, read live) and the
//! notification delivery loop. Both stop with the server.

use std::sync::Arc;
use std::time::Duration;

use ishtar_domain::Venue;
use ishtar_domain::beat::BeatError;

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
pub fn spawn(venue: Arc<Venue>, enabled: bool) -> Workers {
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
    let deliver = tokio::spawn(async move {
        loop {
            match venue.notifier.deliver_due(64).await {
                Ok(n) if n > 0 => tracing::debug!(delivered = n, "notifications delivered"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "notification delivery failed"),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    Workers {
        tasks: vec![beat, deliver, retention],
    }
}
