//! The geo gate (docs/rules.md#geo-gate): the first check on every request.
//!
//! The country comes from a header set by a trusted proxy (e.g. Cloudflare's
//! `cf-ipcountry`); without such a proxy in front, a client can set it, so the gate is only
//! as strong as the deployment. Denials are counted per day and country, nothing more.

use std::sync::Arc;

use crate::ports::{Clock, GeoLog};
use crate::settings::SettingsService;

/// The geo gate.
pub struct GeoGate {
    settings: Arc<SettingsService>,
    log: Arc<dyn GeoLog>,
    clock: Arc<dyn Clock>,
}

impl GeoGate {
    /// A gate reading the denied countries from the live `geo_denied` setting and counting
    /// each denial in `log`, per day of `clock` (UTC) and country.
    pub fn new(
        settings: Arc<SettingsService>,
        log: Arc<dyn GeoLog>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            settings,
            log,
            clock,
        }
    }

    /// True when a request from `country` may proceed. A denial is counted.
    pub async fn allows(&self, country: Option<&str>) -> bool {
        let Some(country) = country.map(str::trim).filter(|c| !c.is_empty()) else {
            return true;
        };
        let code = country.to_ascii_uppercase();
        if !self.settings.current().geo_denied.contains(&code) {
            return true;
        }
        let day = self.clock.now().date();
        if let Err(e) = self.log.count_denial(day, code).await {
            tracing::error!(error = %e, "could not count a geo denial");
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockClock, MockGeoLog, MockSettingsStore};
    use time::macros::{date, datetime};

    #[tokio::test]
    async fn denied_countries_are_refused_and_counted_case_insensitively() {
        let mut store = MockSettingsStore::new();
        store
            .expect_all()
            .returning(|| Ok(vec![("geo_denied".into(), "KP,IR".into())]));
        let settings = Arc::new(
            SettingsService::load(Arc::new(store), &[])
                .await
                .expect("load"),
        );
        let mut log = MockGeoLog::new();
        log.expect_count_denial()
            .withf(|day, c| *day == date!(2026 - 11 - 23) && c == "KP")
            .times(1)
            .returning(|_, _| Ok(()));
        let mut clock = MockClock::new();
        clock
            .expect_now()
            .returning(|| datetime!(2026-11-23 23:59 UTC));
        let gate = GeoGate::new(settings, Arc::new(log), Arc::new(clock));
        assert!(!gate.allows(Some("kp")).await);
        assert!(gate.allows(Some("TR")).await);
        assert!(gate.allows(None).await);
    }
}
