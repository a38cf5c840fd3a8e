//! The operator console (`GET /admin`), rendered with maud (every value escaped).
//!
//! No JavaScript: the controls are plain forms that post to `/admin/actions/*` with the
//! anti-forgery token in a hidden field, and come back here with a one-time message.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use time::OffsetDateTime;

use ishtar_domain::console::{ConsoleView, format_usdc, setting_text};

use ishtar_domain::ports::BeatRecord;
use ishtar_domain::ports::{ConsoleQuery, EventRecord, Page, Section};
use ishtar_domain::settings::KEYS;

use crate::console_forms::{CSRF_FIELD, Flash};
use crate::routes::timestamp;

/// The console's `Content-Security-Policy`: no scripts, no foreign anything, forms only
/// to this site.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
                       base-uri 'none'; frame-ancestors 'none'";

const STYLE: &str = "\
body{font-family:system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}\
header{background:#2b1838;color:#fff;padding:.8rem 1.5rem}header h1{margin:0;font-size:1.4rem}\
header p{margin:.2rem 0 0;color:#d9c9e6;font-size:.85rem}\
nav{background:#eee6f3;padding:.4rem 1.5rem;font-size:.85rem;position:sticky;top:0}\
nav a{margin-right:.8rem;color:#4b2a63}main{padding:0 1.5rem 3rem;max-width:90rem}\
section{background:#fff;border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}\
h2{font-size:1.1rem;margin:.3rem 0 .6rem}h3{font-size:.95rem;margin:.8rem 0 .3rem}\
table{border-collapse:collapse;width:100%;font-size:.85rem}\
th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eee;vertical-align:top}\
th{background:#f6f3f8}td.num,th.num{text-align:right}.body{max-width:40rem;white-space:pre-wrap}\
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.6rem}\
.kpi{border:1px solid #eee;border-radius:4px;padding:.4rem .6rem}\
.kpi b{display:block;font-size:1.3rem}.kpi span{color:#666;font-size:.8rem}\
.flash{padding:.6rem 1rem;border-radius:4px;margin:1rem 0}\
.flash.ok{background:#e7f6ea;border:1px solid #8cc79a}.flash.err{background:#fdecea;border:1px solid #e59a92}\
.controls{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:1rem}\
form.inline{display:inline}label{font-size:.85rem}input[type=text],input[type=number],textarea\
{font:inherit;font-size:.85rem;padding:.15rem .3rem}textarea{width:100%;min-height:6rem}\
button{font:inherit;font-size:.85rem;padding:.2rem .7rem;cursor:pointer}\
.pager{font-size:.8rem;margin:.4rem 0;color:#555}.pager a{margin:0 .3rem}\
.muted{color:#777}.contact{font-family:ui-monospace,monospace;background:#fff8e1;padding:0 .2rem}\
.bad{color:#a12a1b}.settings td:first-child{white-space:nowrap}";

fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    }
}

fn when(t: OffsetDateTime) -> String {
    timestamp(t)
}

/// A hidden field with the anti-forgery token.
fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(token); }
}

fn counts_table(rows: &[(String, i64)]) -> Markup {
    html! {
        table {
            tbody { @for (k, n) in rows { tr { th { (k) } td.num { (n) } } } }
        }
    }
}

/// The href of page `page` of `s`, keeping every other list's page.
fn page_href(q: &ConsoleQuery, s: Section, page: u32) -> String {
    let mut next = *q;
    next.set_page(s, page);
    let params: Vec<String> = Section::ALL
        .iter()
        .filter(|x| next.page(**x) > 1)
        .map(|x| format!("{}={}", x.as_str(), next.page(*x)))
        .collect();
    if params.is_empty() {
        format!("/admin#{}", s.as_str())
    } else {
        format!("/admin?{}#{}", params.join("&"), s.as_str())
    }
}

fn pager<T>(q: &ConsoleQuery, s: Section, p: &Page<T>) -> Markup {
    let pages = p.pages();
    html! {
        p.pager {
            (p.total) " in all · page " (p.page) " of " (pages)
            @if p.page > 1 {
                a href=(page_href(q, s, 1)) { "« first" }
                a href=(page_href(q, s, p.page - 1)) rel="prev" { "‹ newer" }
            }
            @if p.page < pages {
                a href=(page_href(q, s, p.page + 1)) rel="next" { "older ›" }
                a href=(page_href(q, s, pages)) { "last »" }
            }
        }
    }
}

fn events_table(events: &[EventRecord]) -> Markup {
    html! {
        @if events.is_empty() {
            p.muted { "No events yet." }
        } @else {
            table {
                thead { tr { th { "#" } th { "kind" } th { "data" } th { "at" } } }
                tbody { @for e in events {
                    tr { td.num { (e.id) } td { (e.kind) } td.body { (e.data.to_string()) } td { (when(e.at)) } }
                } }
            }
        }
    }
}

/// The last beats: what each did and how long each stage took (docs/matcher.md).
fn beats_section(beats: &[BeatRecord]) -> Markup {
    html! {
        section id="beats" {
            h2 { "Beats" }
            @if beats.is_empty() {
                p.muted { "No beat has run yet." }
            } @else {
                table {
                    thead { tr {
                        th { "started" } th { "trigger" } th { "semantic" } th.num { "eligible" }
                        th.num { "embedded" } th.num { "embed failed" } th.num { "skipped" }
                        th.num { "pairs" } th.num { "created" } th.num { "total ms" } th { "stages (ms)" }
                    } }
                    tbody { @for b in beats {
                        tr {
                            td { (when(b.started)) }
                            td { (b.trigger) }
                            td { @if b.semantic { "semantic" } @else { "adjacency (embedder down)" } }
                            td.num { (b.eligible) }
                            td.num { (b.embedded) }
                            td.num { (b.embed_failed) }
                            td.num { (b.skipped) }
                            td.num { (b.pairs) }
                            td.num { (b.created) }
                            td.num { ((b.finished - b.started).whole_milliseconds()) }
                            td.body { @for (i, (stage, ms)) in b.stages.iter().enumerate() {
                                @if i > 0 { " · " } (stage) " " (ms)
                            } }
                        }
                    } }
                }
            }
        }
    }
}

/// The console page.
pub fn console(
    view: &ConsoleView,
    beats: &[BeatRecord],
    q: &ConsoleQuery,
    token: &str,
    flash: Option<&Flash>,
) -> Markup {
    let s = &view.snapshot;
    let d = &view.data;
    let settings = &view.settings;
    layout(
        "Ishtar — operator console",
        html! {
            header {
                h1 { "Ishtar — operator console" }
                p { "health " strong { (s.health) } " · mode " strong { (s.sim_mode) }
                    " · read at " (when(view.now)) }
            }
            nav {
                a href="#capacity" { "Capacity & economics" }
                a href="#controls" { "Controls" }
                a href="#beats" { "Beats" }
                a href="#intros" { "Intros to broker" }
                a href="#personas" { "Personas" }
                a href="#couples" { "Couples & courtship" }
                a href="#posts" { "Boards" }
                a href="#orders" { "Payments" }
                a href="#identity" { "Identity" }
                a href="#chaperone" { "Chaperone log" }
                a href="#geo" { "Regional denials" }
                a href="#events" { "Events" }
            }
            main {
                @if let Some(f) = flash {
                    div.flash.ok[f.ok].err[!f.ok] role="status" { (f.message) }
                }
                @if !s.unreadable.is_empty() {
                    div.flash.err role="alert" { "Some figures could not be read: " (s.unreadable.join(", ")) }
                }

                section id="capacity" {
                    h2 { "Capacity & economics" }
                    div.kpis {
                        div.kpi { b { (s.admitted) " / " (s.cap) } span { "admitted / cap (" (s.cap_used_pct) "% used)" } }
                        div.kpi { b { (d.pending) } span { "pending a cap slot" } }
                        div.kpi { b { (s.intros_to_broker.len()) } span { "intros to broker" } }
                        div.kpi { b { (format_usdc(s.revenue)) } span { "revenue, USDC" } }
                        div.kpi { b { (format_usdc(s.buyback_reserve)) } span { "buyback reserve, USDC (" (settings.buyback_bps) " bps)" } }
                        div.kpi { b { (s.geo_denials_today) } span { "regional denials today" } }
                    }
                    div.controls {
                        div { h3 { "Personas by status" } (counts_table(&d.counts.personas_by_status)) }
                        div { h3 { "Couples by state" } (counts_table(&s.couples_by_state)) }
                        div { h3 { "Turns by status" } (counts_table(&s.turns_by_status)) }
                        div { h3 { "Chaperone today" } (counts_table(&s.chaperone_today)) }
                        div { h3 { "Orders by status" } (counts_table(&s.orders_by_status)) }
                    }
                }

                section id="controls" {
                    h2 { "Controls" }
                    div.controls {
                        div {
                            h3 { "Match beat" }
                            p.muted { "Runs every " (settings.beat_interval_s) " s on its own; run one now:" }
                            form method="post" action="/admin/actions/beat" {
                                (csrf(token))
                                button type="submit" { "Run a beat" }
                            }
                        }
                        div {
                            h3 { "Broker an intro" }
                            p.muted { "Marks a committed couple brokered once you have introduced them." }
                            form method="post" action="/admin/actions/broker" {
                                (csrf(token))
                                label for="broker-couple" { "Couple id " }
                                input id="broker-couple" type="number" name="coupleId" min="1" required;
                                " "
                                button type="submit" { "Mark brokered" }
                            }
                        }
                    }
                    h3 { "Live settings" }
                    p.muted { "Validated, applied at once, recorded as events." }
                    table.settings {
                        thead { tr { th { "key" } th { "value" } } }
                        tbody { @for key in KEYS {
                            tr {
                                td { label for={ "setting-" (key) } { (key) } }
                                td {
                                    form method="post" action="/admin/actions/settings" {
                                        (csrf(token))
                                        input type="hidden" name="key" value=(key);
                                        @if *key == "denylist" {
                                            textarea id={ "setting-" (key) } name="value" { (setting_text(&d.stored_settings, key)) }
                                        } @else {
                                            input id={ "setting-" (key) } type="text" name="value" size="24"
                                                value=(setting_text(&d.stored_settings, key));
                                        }
                                        " "
                                        button type="submit" { "Save" }
                                    }
                                }
                            }
                        } }
                    }
                }

                (beats_section(beats))

                section id="intros" {
                    h2 { "Intros to broker" }
                    p.muted { "Committed couples: both owners consented. The concierge pointers are private — use them to introduce the two humans, then mark the couple brokered." }
                    @if s.intros_to_broker.is_empty() {
                        p.muted { "No committed couples." }
                    } @else {
                        table {
                            thead { tr { th { "couple" } th { "side A" } th { "side B" } th { "committed" } th {} } }
                            tbody { @for i in &d.counts.intros {
                                tr {
                                    td.num { (i.couple.0) }
                                    @for side in [&i.a, &i.b] {
                                        td {
                                            (side.handle)
                                            @if let Some(o) = side.owner { span.muted { " (owner " (o.0) ")" } }
                                            br;
                                            @match &side.contact {
                                                Some(c) => { span.contact { (c) } }
                                                None => { span.muted { "no contact pointer" } }
                                            }
                                        }
                                    }
                                    td { (when(i.since)) }
                                    td {
                                        form.inline method="post" action="/admin/actions/broker" {
                                            (csrf(token))
                                            input type="hidden" name="coupleId" value=(i.couple.0);
                                            button type="submit" { "Mark brokered" }
                                        }
                                    }
                                }
                            } }
                        }
                    }
                }

                section id="personas" {
                    h2 { "Personas" }
                    (pager(q, Section::Personas, &d.personas))
                    table {
                        thead { tr { th { "#" } th { "handle" } th { "owner" } th { "status" } th { "reason" } th { "market" } th { "model" } th { "since" } } }
                        tbody { @for p in &d.personas.items {
                            tr {
                                td.num { (p.id.0) }
                                td { (p.handle) @if p.redteam { " " span.bad { "red team" } } }
                                td.num { @if let Some(o) = p.owner { (o.0) } }
                                td { (p.status) }
                                td { (p.reason) }
                                td { (p.active_market) }
                                td { (p.model) }
                                td { (when(p.created_at)) }
                            }
                        } }
                    }
                }

                section id="couples" {
                    h2 { "Couples & courtship" }
                    (pager(q, Section::Couples, &d.couples))
                    table {
                        thead { tr { th { "#" } th { "pair" } th { "state" } th.num { "fit" } th.num { "turns" } th { "formed" } } }
                        tbody { @for c in &d.couples.items {
                            tr {
                                td.num { (c.id.0) }
                                td { (c.a) " & " (c.b) }
                                td { (c.state) }
                                td.num { @if let Some(f) = c.similarity { (format!("{f:.3}")) } }
                                td.num { (c.turns) }
                                td { (when(c.created_at)) }
                            }
                        } }
                    }
                    h3 id="turns" { "Courtship turns (every status)" }
                    (pager(q, Section::Turns, &d.turns))
                    table {
                        thead { tr { th { "#" } th { "couple" } th { "author" } th { "status" } th { "body" } th { "at" } } }
                        tbody { @for t in &d.turns.items {
                            tr {
                                td.num { (t.id) }
                                td.num { (t.couple.0) }
                                td { (t.author) }
                                td { (t.status) @if t.status != "published" { br; span.muted { (t.reason) } } }
                                td.body { (t.body) }
                                td { (when(t.created_at)) }
                            }
                        } }
                    }
                }

                section id="posts" {
                    h2 { "Boards" }
                    (pager(q, Section::Posts, &d.posts))
                    table {
                        thead { tr { th { "#" } th { "board" } th { "by" } th { "status" } th { "body" } th { "at" } } }
                        tbody { @for p in &d.posts.items {
                            tr {
                                td.num { (p.id) } td { (p.board) } td { (p.handle) } td { (p.status) }
                                td.body { (p.body) } td { (when(p.created_at)) }
                            }
                        } }
                    }
                }

                section id="orders" {
                    h2 { "Payments" }
                    p { "Revenue " strong { (format_usdc(s.revenue)) " USDC" }
                        " · buyback reserve " strong { (format_usdc(s.buyback_reserve)) " USDC" }
                        " · receipts are kept for accounting." }
                    (pager(q, Section::Orders, &d.orders))
                    table {
                        thead { tr { th { "order" } th { "owner" } th { "couple" } th.num { "amount" } th { "status" } th { "receipt" } th { "at" } } }
                        tbody { @for o in &d.orders.items {
                            tr {
                                td { (o.id) }
                                td.num { @if let Some(x) = o.owner { (x.0) } }
                                td.num { @if let Some(x) = o.couple { (x.0) } }
                                td.num { (format_usdc(o.amount)) }
                                td { (o.status) @if let Some(r) = &o.reason { br; span.muted { (r) } } }
                                td { @if let Some(r) = &o.receipt {
                                    "#" (r.id) " · " (format_usdc(r.amount)) " from " (r.payer)
                                    br; span.muted { (r.network) " " (r.transaction) " · buyback " (format_usdc(r.buyback)) }
                                } }
                                td { (when(o.created_at)) }
                            }
                        } }
                    }
                }

                section id="identity" {
                    h2 { "Identity" }
                    p.muted { "Owners past the agent tier, or with invites, consents or identity checks. No identity documents are kept." }
                    (pager(q, Section::Identity, &d.identity))
                    table {
                        thead { tr { th { "owner" } th { "tier" } th.num { "invites (claimed)" } th.num { "consents" } th { "identity check" } th { "since" } } }
                        tbody { @for r in &d.identity.items {
                            tr {
                                td.num { (r.owner.0) }
                                td { (r.tier) }
                                td.num { (r.invites) " (" (r.invites_claimed) ")" }
                                td.num { (r.consents) }
                                td {
                                    @match &r.identity_status { Some(st) => { (st) } None => { span.muted { "none" } } }
                                    @match r.age_over_18 { Some(true) => { " · 18+" } Some(false) => { " · under 18" } None => {} }
                                }
                                td { (when(r.created_at)) }
                            }
                        } }
                    }
                }

                section id="chaperone" {
                    h2 { "Chaperone log" }
                    p.muted { "Verdicts only — the screened text is never logged." }
                    (pager(q, Section::Chaperone, &d.chaperone))
                    table {
                        thead { tr { th { "#" } th { "surface" } th { "target" } th { "verdict" } th { "reason" } th { "at" } } }
                        tbody { @for c in &d.chaperone.items {
                            tr {
                                td.num { (c.id) } td { (c.surface) }
                                td { (c.target_type) @if let Some(t) = c.target_id { " " (t) } }
                                td { (c.verdict) } td { (c.reason) } td { (when(c.created_at)) }
                            }
                        } }
                    }
                }

                section id="geo" {
                    h2 { "Regional denials" }
                    p.muted { "Daily counts per country; denied now: "
                        @if settings.geo_denied.is_empty() { "none" } @else { (settings.geo_denied.join(", ")) } "." }
                    (pager(q, Section::Geo, &d.geo))
                    table {
                        thead { tr { th { "day" } th { "country" } th.num { "denials" } } }
                        tbody { @for g in &d.geo.items {
                            tr { td { (g.day.to_string()) } td { (g.country) } td.num { (g.count) } }
                        } }
                    }
                }

                section id="events" {
                    h2 { "Recent events" }
                    (pager(q, Section::Events, &d.events))
                    (events_table(&d.events.items))
                }
            }
        },
    )
}

/// The page served (with status 500) when the console's data cannot be read.
pub fn degraded(mode: &str, now: OffsetDateTime) -> Markup {
    layout(
        "Ishtar — operator console (degraded)",
        html! {
            header {
                h1 { "Ishtar — operator console" }
                p { "health " strong { "degraded" } " · mode " strong { (mode) } " · " (when(now)) }
            }
            main {
                div.flash.err role="alert" {
                    strong { "The console could not read the venue's data." }
                    " The database did not answer; the cause is in the server log. "
                    "Agents' requests may be failing too — check " a href="/health" { "/health" } "."
                }
                p { a href="/admin" { "Try again" } }
            }
        },
    )
}
