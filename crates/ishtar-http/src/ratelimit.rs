//! Rate limits (issue 11; README "Rate limits", `ISHTAR_RATE_LIMITS`): GCRA token buckets from
//! `governor`, by route group, per client address and per owner token (keyed by a SHA-256
//! prefix of the token, never the token itself).
//!
//! A refused request gets 429 `{"error":"rate limited"}` with `Retry-After` and the IETF
//! httpapi fields in their structured-field form (draft-ietf-httpapi-ratelimit-headers-11):
//! `RateLimit-Policy: "intake";q=20;w=300` and `RateLimit: "intake";r=0;t=15`, where `t` is
//! the seconds within which no more than `r` requests are allowed (so on a 429 it equals
//! `Retry-After`). An allowed request in a limited group carries both fields too, with `r`
//! only. A quota `q` per `w` seconds is a bucket of `q` requests that regains one request
//! every `w/q` seconds.
//!
//! Groups (README, "Rate limits"): `intake`, `personas`, `turns`, `reports`, `verify` (per
//! address and per token), `verify-endpoint` (per endpoint id: bounds the callback
//! round-trips one endpoint can cause) and `admin-auth` (failed operator authentications
//! per address; once spent, `/admin*` answers 429 without checking any credential).
//!
//! A request's group is decided on the path actix routes on (percent-decoded except `%`,
//! `/` and `+`, as its router does), so `/%61dmin.json` is limited like `/admin.json`.
//!
//! The client address is the TCP peer's, unless the peer is one of `ISHTAR_TRUSTED_PROXIES`:
//! then it is the right-most hop, not itself a trusted proxy, of the one header the operator
//! chose in `ISHTAR_FORWARDED_HEADER` (`X-Forwarded-For` by default, or `Forwarded`); the
//! other header is ignored, since a proxy that appends to one passes the client's copy of the
//! other through unchanged. IPv6 clients are keyed by their /64.
//!
//! Memory stays bounded: every [`SWEEP_EVERY`], the request that notices drops every key
//! whose bucket is full again (`retain_recent`), so a key lives at most one window after
//! its last request.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use governor::clock::{Clock as _, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use serde_json::json;
use sha2::{Digest, Sha256};

/// How often idle keys are dropped.
pub const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// The longest window a limit may have (one day).
const MAX_WINDOW_S: u64 = 86_400;
/// The largest quota a limit may have.
const MAX_QUOTA: u32 = 1_000_000;

/// A route group: one policy, one bucket per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// `POST /api/intake/heart-file`, `POST /api/intake/agent`.
    Intake,
    /// `POST /api/personas`.
    Personas,
    /// `POST /api/couples/:id/turns`, `POST /api/boards/seeking`, `POST /api/boards/debriefs`.
    Turns,
    /// `POST /api/report`.
    Reports,
    /// `POST /api/intake/agent/verify`, per address (and token).
    Verify,
    /// `POST /api/intake/agent/verify`, per endpoint id.
    VerifyEndpoint,
    /// Failed operator authentications on `/admin*`, per address.
    AdminAuth,
}

impl Group {
    pub const ALL: [Group; 7] = [
        Group::Intake,
        Group::Personas,
        Group::Turns,
        Group::Reports,
        Group::Verify,
        Group::VerifyEndpoint,
        Group::AdminAuth,
    ];

    /// The name in `ISHTAR_RATE_LIMITS` and in the `RateLimit*` fields.
    pub fn name(self) -> &'static str {
        match self {
            Group::Intake => "intake",
            Group::Personas => "personas",
            Group::Turns => "turns",
            Group::Reports => "reports",
            Group::Verify => "verify",
            Group::VerifyEndpoint => "verify-endpoint",
            Group::AdminAuth => "admin-auth",
        }
    }

    /// The default limit (README, "Rate limits").
    pub fn default_limit(self) -> Limit {
        let (quota, window_s) = match self {
            Group::Intake => (20, 300),
            Group::Personas => (10, 300),
            Group::Turns => (30, 60),
            Group::Reports => (10, 300),
            Group::Verify => (20, 60),
            Group::VerifyEndpoint => (3, 60),
            Group::AdminAuth => (5, 60),
        };
        Limit { quota, window_s }
    }

    fn from_name(name: &str) -> Option<Group> {
        Group::ALL
            .into_iter()
            .find(|g| g.name().eq_ignore_ascii_case(name) || g.name().replace('-', "_") == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// `quota` requests per `window_s` seconds: a bucket of `quota` that regains one request
/// every `window_s / quota` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub quota: u32,
    pub window_s: u64,
}

impl Limit {
    fn governor_quota(self) -> Option<Quota> {
        let burst = NonZeroU32::new(self.quota)?;
        Some(
            Quota::with_period(Duration::from_secs(self.window_s) / self.quota)?.allow_burst(burst),
        )
    }

    /// `N/W`: `W` is a number of seconds with an optional unit (`s`, `m`, `h`, `d`), or a
    /// unit alone (`30/m` is 30 per minute).
    fn parse(s: &str) -> Result<Limit, String> {
        let bad = || format!("`{s}` is not N/WINDOW (e.g. 30/60s, 10/5m, 100/1h)");
        let (n, w) = s.split_once('/').ok_or_else(bad)?;
        let quota: u32 = n.trim().parse().map_err(|_| bad())?;
        let w = w.trim();
        let digits_end = w.find(|c: char| !c.is_ascii_digit()).unwrap_or(w.len());
        let (num, unit) = w.split_at(digits_end);
        let num: u64 = if num.is_empty() {
            1
        } else {
            num.parse().map_err(|_| bad())?
        };
        let unit_s = match unit.trim() {
            "" | "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        let window_s = num.checked_mul(unit_s).ok_or_else(bad)?;
        if quota == 0 || quota > MAX_QUOTA {
            return Err(format!("`{s}`: the quota must be 1..={MAX_QUOTA}"));
        }
        if window_s == 0 || window_s > MAX_WINDOW_S {
            return Err(format!("`{s}`: the window must be 1s..=1d"));
        }
        Ok(Limit { quota, window_s })
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}s", self.quota, self.window_s)
    }
}

/// `ISHTAR_RATE_LIMITS`: `on` (every group at its default), `off` (every limit off), or a
/// comma-separated list of `group=N/W` or `group=off` overriding the defaults
/// (`on,` may lead the list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitConfig {
    limits: [Option<Limit>; 7],
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            limits: Group::ALL.map(|g| Some(g.default_limit())),
        }
    }
}

impl RateLimitConfig {
    /// Every limit off (tests, benchmarks).
    pub fn off() -> Self {
        Self { limits: [None; 7] }
    }

    /// The group's limit; `None` when it is off.
    pub fn limit(&self, group: Group) -> Option<Limit> {
        self.limits[group.index()]
    }

    pub fn is_off(&self) -> bool {
        self.limits.iter().all(Option::is_none)
    }
}

impl FromStr for RateLimitConfig {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        match s.to_ascii_lowercase().as_str() {
            "off" | "false" | "0" | "none" => return Ok(Self::off()),
            "" | "on" | "true" | "1" | "default" => return Ok(Self::default()),
            _ => {}
        }
        let mut config = Self::default();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            if item.eq_ignore_ascii_case("on") {
                continue;
            }
            let (name, value) = item.split_once('=').ok_or_else(|| {
                format!("`{item}`: expected `group=N/WINDOW`, `group=off`, `on` or `off`")
            })?;
            let group = Group::from_name(name.trim()).ok_or_else(|| {
                let names: Vec<&str> = Group::ALL.iter().map(|g| g.name()).collect();
                format!(
                    "unknown rate-limit group `{}` (groups: {})",
                    name.trim(),
                    names.join(", ")
                )
            })?;
            let value = value.trim();
            config.limits[group.index()] = if value.eq_ignore_ascii_case("off") {
                None
            } else {
                Some(Limit::parse(value)?)
            };
        }
        Ok(config)
    }
}

impl fmt::Display for RateLimitConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_off() {
            return f.write_str("off");
        }
        let items: Vec<String> = Group::ALL
            .iter()
            .map(|g| match self.limit(*g) {
                Some(l) => format!("{}={l}", g.name()),
                None => format!("{}=off", g.name()),
            })
            .collect();
        f.write_str(&items.join(","))
    }
}

/// `ISHTAR_TRUSTED_PROXIES`: addresses or CIDR ranges, comma-separated, whose forwarding
/// headers are believed. Empty (the default): forwarding headers are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|(net, len)| in_net(ip, *net, *len))
    }
}

impl FromStr for TrustedProxies {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let bad = || format!("`{item}` is not an IP address or CIDR range");
            let (addr, len) = match item.split_once('/') {
                Some((a, l)) => (a, Some(l.parse::<u8>().map_err(|_| bad())?)),
                None => (item, None),
            };
            let ip = canonical(addr.parse::<IpAddr>().map_err(|_| bad())?);
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let len = len.unwrap_or(max);
            if len > max {
                return Err(bad());
            }
            nets.push((ip, len));
        }
        Ok(Self(nets))
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_canonical(),
        v4 => v4,
    }
}

fn in_net(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// `ISHTAR_FORWARDED_HEADER`: the one header a trusted proxy names the client in. Only that
/// header is read; a client's copy of the other one would pass through the proxy unchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For` (nginx's `$proxy_add_x_forwarded_for`, most load balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded` (its `for=` parameters).
    Forwarded,
}

impl ForwardedHeader {
    /// The header's name, lower-case.
    pub fn name(self) -> &'static str {
        match self {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
        }
    }
}

impl FromStr for ForwardedHeader {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(ForwardedHeader::XForwardedFor),
            "forwarded" => Ok(ForwardedHeader::Forwarded),
            _ => Err(format!(
                "`{}`: expected `x-forwarded-for` or `forwarded`",
                s.trim()
            )),
        }
    }
}

impl fmt::Display for ForwardedHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The client's address: the TCP peer, or behind a trusted proxy the right-most hop of
/// `header` that is not itself trusted.
pub fn client_addr(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
    header: ForwardedHeader,
) -> Option<IpAddr> {
    let peer = canonical(peer?);
    if trusted.is_empty() || !trusted.contains(peer) {
        return Some(peer);
    }
    let hops = forwarded_hops(headers, header);
    for hop in hops.iter().rev() {
        match hop {
            Some(ip) if trusted.contains(*ip) => continue,
            Some(ip) => return Some(*ip),
            // `unknown` or an obfuscated name where the client should be: the proxy's own
            // address stands for it.
            None => return Some(peer),
        }
    }
    // Every hop is a trusted proxy (or none was named).
    Some(hops.first().copied().flatten().unwrap_or(peer))
}

/// The hops a proxy chain reported in `header`, left (client side) to right (`for=` of each
/// `Forwarded` element). The other header is never looked at.
fn forwarded_hops(headers: &HeaderMap, header: ForwardedHeader) -> Vec<Option<IpAddr>> {
    let values = |name: HeaderName| -> Vec<String> {
        headers
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    match header {
        ForwardedHeader::Forwarded => values(header::FORWARDED)
            .iter()
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    k.trim().eq_ignore_ascii_case("for").then(|| parse_node(v))
                })
            })
            .collect(),
        ForwardedHeader::XForwardedFor => values(HeaderName::from_static("x-forwarded-for"))
            .iter()
            .map(|h| parse_node(h))
            .collect(),
    }
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]:4711`, quoted or not.
fn parse_node(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_matches('"');
    if let Some(rest) = s.strip_prefix('[') {
        return rest
            .split(']')
            .next()
            .and_then(|a| a.parse::<Ipv6Addr>().ok())
            .map(|a| canonical(IpAddr::V6(a)));
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    let (host, port) = s.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// What a bucket is kept for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    /// An IPv4 address, or an IPv6 /64.
    Addr(IpAddr),
    /// The first 16 bytes of SHA-256 of an owner token.
    Owner([u8; 16]),
    /// An agent endpoint id.
    Endpoint(i64),
}

fn addr_key(ip: IpAddr) -> Key {
    Key::Addr(match canonical(ip) {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
        v4 => v4,
    })
}

/// A bearer token shaped like an owner token, as a key (hashed: the raw token is never kept).
fn owner_key(headers: &HeaderMap) -> Option<Key> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer")
        || !token.starts_with(ishtar_domain::auth::TOKEN_PREFIX)
        || token.len() > 128
    {
        return None;
    }
    let digest = Sha256::digest(token.as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    Some(Key::Owner(key))
}

type Limiter = RateLimiter<Key, DashMapStateStore<Key>, DefaultClock, StateInformationMiddleware>;

struct Bucket {
    limit: Limit,
    limiter: Limiter,
}

/// A refusal: which policy, and how long until a request is allowed again.
#[derive(Debug, Clone, Copy)]
pub struct Limited {
    group: Group,
    limit: Limit,
    wait: Duration,
}

impl Limited {
    /// Whole seconds until a request is allowed again (at least 1).
    pub fn retry_after(&self) -> u64 {
        let secs = self.wait.as_secs() + u64::from(self.wait.subsec_nanos() > 0);
        secs.max(1)
    }

    /// 429 `{"error":"rate limited"}` with `Retry-After`, `RateLimit-Policy`, `RateLimit`.
    pub fn response(&self) -> HttpResponse {
        let secs = self.retry_after();
        HttpResponse::TooManyRequests()
            .insert_header((header::RETRY_AFTER, secs.to_string()))
            .insert_header((POLICY, policy(self.group, self.limit)))
            .insert_header((RATELIMIT, format!("\"{}\";r=0;t={secs}", self.group.name())))
            .json(json!({"error": "rate limited"}))
    }
}

/// An allowed request in a limited group: what is left of its tightest bucket.
#[derive(Debug, Clone, Copy)]
pub struct Allowed {
    group: Group,
    limit: Limit,
    remaining: u32,
}

impl Allowed {
    /// Adds this policy's `RateLimit-Policy` and `RateLimit` items (appended: a response can
    /// carry several policies).
    pub fn annotate(&self, headers: &mut HeaderMap) {
        let items = [
            (POLICY, policy(self.group, self.limit)),
            (
                RATELIMIT,
                format!("\"{}\";r={}", self.group.name(), self.remaining),
            ),
        ];
        for (name, value) in items {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.append(name, v);
            }
        }
    }
}

const POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

fn policy(group: Group, limit: Limit) -> String {
    format!(
        "\"{}\";q={};w={}",
        group.name(),
        limit.quota,
        limit.window_s
    )
}

struct Inner {
    buckets: [Option<Bucket>; 7],
    proxies: TrustedProxies,
    forwarded: ForwardedHeader,
    /// Addresses whose operator-auth failures are spent, until when. Only such addresses
    /// are here, and each leaves at the next sweep after its time.
    admin_blocked: Mutex<HashMap<Key, Instant>>,
    next_sweep: Mutex<Instant>,
    clock: DefaultClock,
}

/// The limits and their buckets: one per server, shared by every worker (cloning shares).
#[derive(Clone)]
pub struct RateLimits(Option<Arc<Inner>>);

impl fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            None => f.write_str("RateLimits(off)"),
            Some(inner) => {
                let items: Vec<String> = Group::ALL
                    .iter()
                    .filter_map(|g| Some(format!("{}={}", g.name(), inner.bucket(*g)?.limit)))
                    .collect();
                write!(f, "RateLimits({})", items.join(","))
            }
        }
    }
}

impl RateLimits {
    pub fn new(
        config: &RateLimitConfig,
        proxies: TrustedProxies,
        forwarded: ForwardedHeader,
    ) -> Self {
        if config.is_off() {
            return Self(None);
        }
        let buckets = Group::ALL.map(|g| {
            let limit = config.limit(g)?;
            let limiter = RateLimiter::dashmap(limit.governor_quota()?)
                .with_middleware::<StateInformationMiddleware>();
            Some(Bucket { limit, limiter })
        });
        Self(Some(Arc::new(Inner {
            buckets,
            proxies,
            forwarded,
            admin_blocked: Mutex::new(HashMap::new()),
            next_sweep: Mutex::new(Instant::now() + SWEEP_EVERY),
            clock: DefaultClock::default(),
        })))
    }

    /// Every limit off.
    pub fn off() -> Self {
        Self(None)
    }

    /// The defaults, with no trusted proxy.
    pub fn defaults() -> Self {
        Self::new(
            &RateLimitConfig::default(),
            TrustedProxies::default(),
            ForwardedHeader::default(),
        )
    }

    /// Takes one request from the endpoint's `verify-endpoint` bucket.
    ///
    /// # Errors
    /// [`Limited`] when the bucket is empty.
    pub fn check_endpoint(&self, endpoint_id: i64) -> Result<Option<Allowed>, Limited> {
        match &self.0 {
            None => Ok(None),
            Some(inner) => inner.check(Group::VerifyEndpoint, &[Key::Endpoint(endpoint_id)]),
        }
    }

    /// The buckets a request from `peer` with `headers` counts in (its client address and,
    /// when it presents one, its owner token), for calls the route middleware cannot group
    /// by path: MCP tool calls all arrive on `/mcp`, so each is counted by its tool
    /// ([`RateLimits::check_caller`]).
    pub fn caller(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Caller {
        match &self.0 {
            None => Caller::default(),
            Some(inner) => Caller(inner.keys(peer, headers)),
        }
    }

    /// Takes one request from `group`'s buckets for `caller`, as the middleware does for a
    /// request to one of the group's routes.
    ///
    /// # Errors
    /// [`Limited`] when a bucket is empty.
    pub fn check_caller(&self, group: Group, caller: &Caller) -> Result<Option<Allowed>, Limited> {
        match &self.0 {
            None => Ok(None),
            Some(inner) => {
                inner.sweep_if_due();
                inner.check(group, &caller.0)
            }
        }
    }
}

/// A caller's bucket keys ([`RateLimits::caller`]); the token itself is never kept.
#[derive(Debug, Clone, Default)]
pub struct Caller(Vec<Key>);

impl Inner {
    fn bucket(&self, group: Group) -> Option<&Bucket> {
        self.buckets[group.index()].as_ref()
    }

    /// A request's keys: its client address, then its owner token when it presents one.
    fn keys(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Vec<Key> {
        client_addr(peer, headers, &self.proxies, self.forwarded)
            .map(addr_key)
            .into_iter()
            .chain(owner_key(headers))
            .collect()
    }

    /// Takes one request from each key's bucket, in order, stopping at the first refusal.
    fn check(&self, group: Group, keys: &[Key]) -> Result<Option<Allowed>, Limited> {
        let Some(bucket) = self.bucket(group) else {
            return Ok(None);
        };
        let mut remaining = bucket.limit.quota;
        for key in keys {
            match bucket.limiter.check_key(key) {
                Ok(state) => remaining = remaining.min(state.remaining_burst_capacity()),
                Err(not_until) => {
                    return Err(Limited {
                        group,
                        limit: bucket.limit,
                        wait: not_until.wait_time_from(self.clock.now()),
                    });
                }
            }
        }
        Ok(Some(Allowed {
            group,
            limit: bucket.limit,
            remaining,
        }))
    }

    /// The address's operator-auth failures are spent: refuse before any credential check.
    fn admin_blocked(&self, key: Key) -> Option<Limited> {
        let bucket = self.bucket(Group::AdminAuth)?;
        let until = *self.admin_blocked.lock().ok()?.get(&key)?;
        let now = self.clock.now();
        (until > now).then(|| Limited {
            group: Group::AdminAuth,
            limit: bucket.limit,
            wait: until - now,
        })
    }

    /// Records a failed operator authentication; once the bucket is empty the address is
    /// blocked until it regains one.
    fn admin_failed(&self, key: Key) -> Option<Limited> {
        let bucket = self.bucket(Group::AdminAuth)?;
        let not_until = bucket.limiter.check_key(&key).err()?;
        let now = self.clock.now();
        let until = not_until.earliest_possible();
        if let Ok(mut blocked) = self.admin_blocked.lock() {
            blocked.insert(key, until);
        }
        Some(Limited {
            group: Group::AdminAuth,
            limit: bucket.limit,
            wait: until.saturating_duration_since(now),
        })
    }

    /// Drops idle keys, at most once per [`SWEEP_EVERY`] (by whichever request notices).
    fn sweep_if_due(&self) {
        let now = Instant::now();
        {
            let Ok(mut next) = self.next_sweep.try_lock() else {
                return;
            };
            if now < *next {
                return;
            }
            *next = now + SWEEP_EVERY;
        }
        for bucket in self.buckets.iter().flatten() {
            bucket.limiter.retain_recent();
            bucket.limiter.shrink_to_fit();
        }
        if let Ok(mut blocked) = self.admin_blocked.lock() {
            blocked.retain(|_, until| *until > now);
            blocked.shrink_to_fit();
        }
    }
}

/// The path actix's router matches: percent-decoded except `%`, `/` and `+` (actix-router's
/// `Url`), so `/%61dmin.json` is `/admin.json` here as it is to the router. The raw
/// `req.path()` must never decide a group: an encoded variant would reach the same handler
/// without being limited.
fn routed_path(req: &ServiceRequest) -> &str {
    req.match_info().as_str()
}

/// Which group a request belongs to, if any, by the path the router sees ([`routed_path`]).
/// Routing is case-sensitive and strict about trailing slashes (no `NormalizePath`), so the
/// exact paths here are the only ones that reach these handlers.
fn route_group(method: &Method, path: &str) -> Option<Group> {
    if path == "/admin" || path == "/admin.json" || path.starts_with("/admin/") {
        return Some(Group::AdminAuth);
    }
    // A persona edit is screened by the chaperone like a new persona: the same bucket.
    if method == Method::PATCH
        && path
            .strip_prefix("/api/personas/")
            .is_some_and(|id| !id.is_empty() && !id.contains('/'))
    {
        return Some(Group::Personas);
    }
    if method != Method::POST {
        return None;
    }
    match path {
        "/api/intake/heart-file" | "/api/intake/agent" => Some(Group::Intake),
        "/api/intake/agent/verify" => Some(Group::Verify),
        "/api/personas" => Some(Group::Personas),
        "/api/report" => Some(Group::Reports),
        // Board posts are chaperoned writes like turns, and share their bucket.
        "/api/boards/seeking" | "/api/boards/debriefs" => Some(Group::Turns),
        _ => path
            .strip_prefix("/api/couples/")
            .and_then(|rest| rest.strip_suffix("/turns"))
            .filter(|id| !id.is_empty() && !id.contains('/'))
            .map(|_| Group::Turns),
    }
}

/// The middleware: takes one request from the client address's bucket (and the owner
/// token's, when one is presented) of the route's group; for `/admin*`, refuses an address
/// whose failed authentications are spent and counts each new failure (a 401 to a request
/// that presented a credential).
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let inner = req
        .app_data::<web::Data<RateLimits>>()
        .and_then(|l| l.0.clone());
    let (Some(inner), Some(group)) = (inner, route_group(req.method(), routed_path(&req))) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    inner.sweep_if_due();
    let addr = client_addr(
        req.peer_addr().map(|a| a.ip()),
        req.headers(),
        &inner.proxies,
        inner.forwarded,
    )
    .map(addr_key);

    if group == Group::AdminAuth {
        if let Some(limited) = addr.and_then(|a| inner.admin_blocked(a)) {
            tracing::warn!(path = %req.path(), "operator authentication rate limited");
            return Ok(req.into_response(limited.response()));
        }
        // A failure is a wrong credential: a request that carries none (a browser's first
        // visit, before its Basic prompt) guesses nothing.
        let presented = req.headers().contains_key(header::AUTHORIZATION);
        let res = next.call(req).await?;
        if presented
            && res.status() == StatusCode::UNAUTHORIZED
            && let Some(limited) = addr.and_then(|a| inner.admin_failed(a))
        {
            let (req, _) = res.into_parts();
            return Ok(ServiceResponse::new(req, limited.response()));
        }
        return Ok(res.map_into_boxed_body());
    }

    let keys: Vec<Key> = addr.into_iter().chain(owner_key(req.headers())).collect();
    match inner.check(group, &keys) {
        Err(limited) => {
            tracing::info!(group = group.name(), path = %req.path(), "rate limited");
            Ok(req.into_response(limited.response()))
        }
        Ok(allowed) => {
            let mut res = next.call(req).await?;
            if let Some(a) = allowed {
                a.annotate(res.headers_mut());
            }
            Ok(res.map_into_boxed_body())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(s: &str) -> RateLimitConfig {
        s.parse().expect("config")
    }

    #[test]
    fn the_config_syntax() {
        assert_eq!(cfg("on"), RateLimitConfig::default());
        assert_eq!(cfg(""), RateLimitConfig::default());
        assert!(cfg("off").is_off());
        assert!(cfg(" OFF ").is_off());
        let c = cfg("intake=30/60s, personas=10/5m,turns=off,admin_auth=3/m,verify-endpoint=1/1h");
        assert_eq!(
            c.limit(Group::Intake),
            Some(Limit {
                quota: 30,
                window_s: 60
            })
        );
        assert_eq!(
            c.limit(Group::Personas),
            Some(Limit {
                quota: 10,
                window_s: 300
            })
        );
        assert_eq!(c.limit(Group::Turns), None);
        assert_eq!(
            c.limit(Group::AdminAuth),
            Some(Limit {
                quota: 3,
                window_s: 60
            })
        );
        assert_eq!(
            c.limit(Group::VerifyEndpoint),
            Some(Limit {
                quota: 1,
                window_s: 3600
            })
        );
        // Unnamed groups keep their defaults.
        assert_eq!(
            c.limit(Group::Reports),
            Some(Group::Reports.default_limit())
        );
        assert_eq!(
            cfg("on,reports=5/60")
                .limit(Group::Reports)
                .map(|l| l.quota),
            Some(5)
        );
        // Round trip.
        assert_eq!(cfg(&c.to_string()), c);
        assert_eq!(RateLimitConfig::off().to_string(), "off");
        for bad in [
            "intake",
            "nope=1/60s",
            "intake=0/60s",
            "intake=5/0s",
            "intake=5/60x",
            "intake=5",
            "intake=five/60s",
            "intake=5/2d",
        ] {
            assert!(bad.parse::<RateLimitConfig>().is_err(), "{bad}");
        }
    }

    #[test]
    fn trusted_proxies_parse_addresses_and_ranges() {
        let p: TrustedProxies = "10.0.0.0/8, 192.0.2.7,::1, 2001:db8::/32"
            .parse()
            .expect("ok");
        for ip in [
            "10.1.2.3",
            "192.0.2.7",
            "::1",
            "2001:db8:1::9",
            "::ffff:10.0.0.1",
        ] {
            assert!(p.contains(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["11.0.0.1", "192.0.2.8", "::2", "2001:db9::1"] {
            assert!(!p.contains(ip.parse().expect("ip")), "{ip}");
        }
        assert!("".parse::<TrustedProxies>().expect("empty").is_empty());
        for bad in ["10.0.0.0/33", "host.example", "::1/129"] {
            assert!(bad.parse::<TrustedProxies>().is_err(), "{bad}");
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_static(k),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_hop_behind_a_trusted_proxy() {
        let xff_only = ForwardedHeader::XForwardedFor;
        let trusted: TrustedProxies = "127.0.0.1,10.0.0.0/8".parse().expect("ok");
        let peer = Some(ip("127.0.0.1"));
        let addr = |h: &HeaderMap, which| client_addr(peer, h, &trusted, which);
        let xff = headers(&[("x-forwarded-for", "198.51.100.9, 203.0.113.5, 10.0.0.2")]);
        // The left-most entry is whatever the client wrote; the right-most untrusted is real.
        assert_eq!(addr(&xff, xff_only), Some(ip("203.0.113.5")));
        // Only the chosen header is read; ports, quotes and brackets are understood.
        let both = headers(&[
            ("x-forwarded-for", "198.51.100.1"),
            (
                "forwarded",
                "for=198.51.100.9;proto=https, for=\"[2001:db8::7]:4711\"",
            ),
            ("forwarded", "for=10.0.0.3:80"),
        ]);
        assert_eq!(addr(&both, xff_only), Some(ip("198.51.100.1")));
        assert_eq!(
            addr(&both, ForwardedHeader::Forwarded),
            Some(ip("2001:db8::7"))
        );
        // A client's own `Forwarded` passed through a proxy that appends to XFF (nginx's
        // default) names nothing; nor does a client's XFF when `Forwarded` is the one.
        let spoof = headers(&[
            ("forwarded", "for=192.0.2.99"),
            ("x-forwarded-for", "203.0.113.5"),
        ]);
        assert_eq!(addr(&spoof, xff_only), Some(ip("203.0.113.5")));
        let spoof = headers(&[("x-forwarded-for", "192.0.2.99")]);
        assert_eq!(addr(&spoof, ForwardedHeader::Forwarded), peer);
        // A peer that is not a trusted proxy: its headers mean nothing.
        assert_eq!(
            client_addr(Some(ip("192.0.2.1")), &xff, &trusted, xff_only),
            Some(ip("192.0.2.1"))
        );
        // No trusted proxy configured: headers ignored.
        assert_eq!(
            client_addr(peer, &xff, &TrustedProxies::default(), xff_only),
            peer
        );
        // `unknown` where the client should be: the proxy stands for it.
        let unknown = headers(&[("x-forwarded-for", "203.0.113.5, unknown")]);
        assert_eq!(addr(&unknown, xff_only), peer);
        // Only trusted hops: the left-most.
        let inside = headers(&[("x-forwarded-for", "10.0.0.9, 10.0.0.2")]);
        assert_eq!(addr(&inside, xff_only), Some(ip("10.0.0.9")));
        assert_eq!(addr(&HeaderMap::new(), xff_only), peer);
    }

    #[test]
    fn the_forwarded_header_setting() {
        assert_eq!(ForwardedHeader::default(), ForwardedHeader::XForwardedFor);
        for (s, h) in [
            ("x-forwarded-for", ForwardedHeader::XForwardedFor),
            (" X-Forwarded-For ", ForwardedHeader::XForwardedFor),
            ("forwarded", ForwardedHeader::Forwarded),
            ("Forwarded", ForwardedHeader::Forwarded),
        ] {
            assert_eq!(s.parse::<ForwardedHeader>(), Ok(h), "{s}");
            assert_eq!(h.to_string().parse::<ForwardedHeader>(), Ok(h));
        }
        for bad in ["", "both", "x-real-ip", "xff"] {
            assert!(bad.parse::<ForwardedHeader>().is_err(), "{bad}");
        }
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        assert_eq!(
            addr_key(ip("2001:db8:1:2::1")),
            addr_key(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            addr_key(ip("2001:db8:1:2::1")),
            addr_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(addr_key(ip("::ffff:192.0.2.1")), addr_key(ip("192.0.2.1")));
    }

    #[test]
    fn route_groups() {
        let post = Method::POST;
        assert_eq!(
            route_group(&post, "/api/intake/heart-file"),
            Some(Group::Intake)
        );
        assert_eq!(route_group(&post, "/api/intake/agent"), Some(Group::Intake));
        assert_eq!(
            route_group(&post, "/api/intake/agent/verify"),
            Some(Group::Verify)
        );
        assert_eq!(route_group(&post, "/api/personas"), Some(Group::Personas));
        assert_eq!(route_group(&post, "/api/report"), Some(Group::Reports));
        assert_eq!(
            route_group(&post, "/api/couples/12/turns"),
            Some(Group::Turns)
        );
        assert_eq!(route_group(&post, "/api/couples/12/end"), None);
        assert_eq!(route_group(&post, "/api/couples//turns"), None);
        assert_eq!(route_group(&Method::GET, "/api/personas"), None);
        assert_eq!(
            route_group(&Method::PATCH, "/api/personas/7"),
            Some(Group::Personas)
        );
        assert_eq!(route_group(&Method::DELETE, "/api/personas/7"), None);
        assert_eq!(route_group(&Method::GET, "/admin"), Some(Group::AdminAuth));
        assert_eq!(
            route_group(&post, "/admin/actions/beat"),
            Some(Group::AdminAuth)
        );
        assert_eq!(route_group(&Method::GET, "/administer"), None);
    }

    /// The group of a request as the middleware sees it (the router's path).
    fn group_of(method: Method, uri: &str) -> Option<Group> {
        let req = actix_web::test::TestRequest::default()
            .method(method.clone())
            .uri(uri)
            .to_srv_request();
        route_group(&method, routed_path(&req))
    }

    #[test]
    fn percent_encoded_paths_are_grouped_like_the_path_the_router_matches() {
        let post = Method::POST;
        for (method, uri, group) in [
            (Method::GET, "/%61dmin.json", Some(Group::AdminAuth)),
            (Method::GET, "/%61%64%6D%69%6E", Some(Group::AdminAuth)),
            (
                post.clone(),
                "/%61dmin/actions/beat?x=1",
                Some(Group::AdminAuth),
            ),
            (
                post.clone(),
                "/api/intake/heart%2Dfile",
                Some(Group::Intake),
            ),
            (post.clone(), "/api/intake/%61gent", Some(Group::Intake)),
            (
                post.clone(),
                "/api/intake/agent/v%65rify",
                Some(Group::Verify),
            ),
            (post.clone(), "/api/person%61s", Some(Group::Personas)),
            (Method::PATCH, "/api/person%61s/1", Some(Group::Personas)),
            (post.clone(), "/api/boards/%73eeking", Some(Group::Turns)),
            (post.clone(), "/api/boards/debrief%73", Some(Group::Turns)),
            (post.clone(), "/api/couples/1/turn%73", Some(Group::Turns)),
            (post.clone(), "/api/%72eport", Some(Group::Reports)),
            // `%2F`, `%25`, `%2B` stay encoded for the router too: `/admin%2Fx` routes nowhere.
            (Method::GET, "/admin%2Fx", None),
            (post.clone(), "/api/couples/1%2Fturns", None),
            (post.clone(), "/api/boards/%2573eeking", None),
            // Case and trailing-slash variants route nowhere (and are not grouped).
            (Method::GET, "/Admin.json", None),
            (post.clone(), "/api/intake/heart-file/", None),
            (post, "/api/intake/heart-file", Some(Group::Intake)),
        ] {
            assert_eq!(group_of(method.clone(), uri), group, "{method} {uri}");
        }
    }

    #[test]
    fn a_bucket_allows_its_quota_then_says_when() {
        let limits = RateLimits::new(
            &cfg("verify-endpoint=3/60s"),
            TrustedProxies::default(),
            ForwardedHeader::default(),
        );
        let remaining: Vec<u32> = (0..3)
            .map(|_| {
                limits
                    .check_endpoint(9)
                    .expect("allowed")
                    .expect("on")
                    .remaining
            })
            .collect();
        assert_eq!(remaining, [2, 1, 0]);
        let limited = limits.check_endpoint(9).expect_err("limited");
        // One request comes back every 20 s.
        assert!((19..=20).contains(&limited.retry_after()), "{limited:?}");
        let res = limited.response();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let h = |n: &str| {
            res.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(
            h("ratelimit-policy").as_deref(),
            Some("\"verify-endpoint\";q=3;w=60")
        );
        assert_eq!(
            h("ratelimit"),
            Some(format!(
                "\"verify-endpoint\";r=0;t={}",
                limited.retry_after()
            ))
        );
        assert_eq!(h("retry-after"), Some(limited.retry_after().to_string()));
        // Another endpoint has its own bucket; `off` limits nothing.
        assert!(limits.check_endpoint(10).is_ok());
        assert!(RateLimits::off().check_endpoint(9).expect("off").is_none());
    }

    #[test]
    fn owner_tokens_are_keyed_by_hash_only() {
        let token = ishtar_domain::auth::token_from_bytes(&[3u8; 32]);
        let h = headers(&[("authorization", &format!("Bearer {token}"))]);
        let Some(Key::Owner(k)) = owner_key(&h) else {
            panic!("an owner token is keyed");
        };
        assert_ne!(&k[..], &token.as_bytes()[..16]);
        assert!(owner_key(&headers(&[("authorization", "Bearer not-an-owner-token")])).is_none());
        assert!(owner_key(&headers(&[("authorization", "Basic b3A6cHc=")])).is_none());
    }
}
