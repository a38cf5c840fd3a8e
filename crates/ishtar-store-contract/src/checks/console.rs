//! Settings, logs, the operator console, retention and the health probe.

use std::future::Future;

use ishtar_domain::chaperone::Verdict;
use ishtar_domain::model::PersonaId;
use ishtar_domain::ports::{ChaperoneEntry, Surface};
use ishtar_domain::ports::{ConsoleQuery, PAGE_SIZE, Section};
use serde_json::json;
use time::Duration;

use crate::Stores;
use crate::checks::today;
use crate::fixtures::{admit, now};

/// `SettingsStore`: a value put is read back, a key put again keeps its last value, and
/// `all` lists the keys in order.
pub async fn settings_round_trip<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    assert_eq!(
        s.settings.all().await.expect("read"),
        Vec::new(),
        "a fresh store has none"
    );
    s.settings.put("mode", "open").await.expect("put");
    s.settings.put("cap", "5").await.expect("put");
    s.settings.put("cap", "6").await.expect("put");
    s.settings
        .put("denylist", "sugar daddy|money\nline two")
        .await
        .expect("put");
    assert_eq!(
        s.settings.all().await.expect("read"),
        vec![
            ("cap".to_owned(), "6".to_owned()),
            (
                "denylist".to_owned(),
                "sugar daddy|money\nline two".to_owned()
            ),
            ("mode".to_owned(), "open".to_owned()),
        ],
        "the last value of each key, keys in order, values byte for byte"
    );
    let (day_start, day) = today();
    assert_eq!(
        s.console
            .console(ConsoleQuery::default(), day_start, day)
            .await
            .expect("read")
            .stored_settings,
        s.settings.all().await.expect("read"),
        "the console shows the stored settings"
    );
}

/// `ConsoleStore::console`: the personas list pages newest (highest id) first,
/// [`PAGE_SIZE`] a page, with the whole list's total; a page past the end is empty.
pub async fn the_console_pages_personas_newest_first<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    let mut ids: Vec<PersonaId> = Vec::new();
    for i in 0..30 {
        ids.push(admit(&s, &format!("p{i}"), None, None).await.0);
    }
    ids.reverse();
    let (day_start, day) = today();
    let read = |page: u32| {
        let console = s.console.clone();
        let mut q = ConsoleQuery::default();
        q.set_page(Section::Personas, page);
        async move {
            console
                .console(q, day_start, day)
                .await
                .expect("the console is read")
                .personas
        }
    };
    let first = read(1).await;
    assert_eq!((first.page, first.total), (1, 30));
    let got: Vec<PersonaId> = first.items.iter().map(|p| p.id).collect();
    assert_eq!(
        got,
        ids[..PAGE_SIZE as usize],
        "page 1: the newest {PAGE_SIZE}, newest first"
    );
    let second = read(2).await;
    assert_eq!((second.page, second.total), (2, 30));
    let got: Vec<PersonaId> = second.items.iter().map(|p| p.id).collect();
    assert_eq!(got, ids[PAGE_SIZE as usize..], "page 2: the rest");
    assert_eq!(second.pages(), 2);
    let past = read(3).await;
    assert!(past.items.is_empty(), "past the end, nothing");
    assert_eq!(past.total, 30);
    let row = &first.items[0];
    assert_eq!(
        (row.handle.as_str(), row.status.as_str(), row.model.as_str()),
        ("p29", "pending", "m")
    );
    let data = s
        .console
        .console(ConsoleQuery::default(), day_start, day)
        .await
        .expect("read");
    assert_eq!(data.pending, 30, "30 personas wait for a place");
}

/// `ChaperoneLog`, `GeoLog`, `ConsoleStore::record_event` / `last_event_at` and
/// `RetentionStore::purge`: log lines and daily counts are read back by the console, events
/// newest first; the purge removes what is older than the cutoff and nothing newer.
pub async fn logs_and_events_are_read_back_by_the_console_and_purged_by_age<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    let t = now();
    let old = t - Duration::days(40);
    s.chaperone
        .record(ChaperoneEntry::new(
            Surface::Turn,
            "turn",
            Some(7),
            &Verdict::Deny("pii: email".into()),
            t,
        ))
        .await
        .expect("logged");
    s.chaperone
        .record(ChaperoneEntry::new(
            Surface::Post,
            "post",
            Some(8),
            &Verdict::Allow,
            old,
        ))
        .await
        .expect("logged");
    let (day_start, day) = today();
    for _ in 0..3 {
        s.geo.count_denial(day, "KP".into()).await.expect("counted");
    }
    s.geo.count_denial(day, "IR".into()).await.expect("counted");
    let old_day = old.date();
    s.geo
        .count_denial(old_day, "KP".into())
        .await
        .expect("counted");
    s.console
        .record_event("beat".into(), json!({ "n": 1 }), old)
        .await
        .expect("recorded");
    s.console
        .record_event("beat".into(), json!({ "n": 2 }), t - Duration::seconds(1))
        .await
        .expect("recorded");
    s.console
        .record_event("settings_changed".into(), json!({ "n": 3 }), t)
        .await
        .expect("recorded");

    let data = s
        .console
        .console(ConsoleQuery::default(), day_start, day)
        .await
        .expect("read");
    let chaperone: Vec<(&str, &str, Option<i64>, &str, &str)> = data
        .chaperone
        .items
        .iter()
        .map(|r| {
            (
                r.surface.as_str(),
                r.target_type.as_str(),
                r.target_id,
                r.verdict.as_str(),
                r.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(
        chaperone,
        vec![
            ("turn", "turn", Some(7), "deny", "pii: email"),
            ("post", "post", Some(8), "allow", "allowed"),
        ],
        "verdicts newest first, never text"
    );
    let geo: Vec<(time::Date, &str, i64)> = data
        .geo
        .items
        .iter()
        .map(|g| (g.day, g.country.as_str(), g.count))
        .collect();
    assert_eq!(
        geo,
        vec![(day, "KP", 3), (day, "IR", 1), (old_day, "KP", 1)],
        "counts accumulate per day and country; newest day, biggest count first"
    );
    assert_eq!(data.counts.geo_denials_today, 4);
    let events: Vec<i64> = data
        .events
        .items
        .iter()
        .filter_map(|e| e.data["n"].as_i64())
        .collect();
    assert_eq!(events, vec![3, 2, 1], "events newest first");
    assert_eq!(
        s.console.last_event_at("beat".into()).await.expect("read"),
        Some(t - Duration::seconds(1)),
        "the newest of a kind"
    );
    assert_eq!(
        s.console.last_event_at("never".into()).await.expect("read"),
        None
    );

    let purged = s
        .retention
        .purge(t - Duration::days(30))
        .await
        .expect("purged");
    assert_eq!(
        (purged.events, purged.chaperone_log, purged.geo_denials),
        (1, 1, 1),
        "exactly the rows older than the cutoff"
    );
    let data = s
        .console
        .console(ConsoleQuery::default(), day_start, day)
        .await
        .expect("read");
    assert_eq!(
        (data.events.total, data.chaperone.total, data.geo.total),
        (2, 1, 2),
        "everything newer stays"
    );
    assert_eq!(
        s.console.last_event_at("beat".into()).await.expect("read"),
        Some(t - Duration::seconds(1))
    );
}

/// `HealthProbe::ping`: a working store answers.
pub async fn the_health_probe_answers<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    s.health
        .ping()
        .await
        .expect("a working store answers the probe");
}
