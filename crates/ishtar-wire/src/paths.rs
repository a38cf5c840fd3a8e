//! Route paths agents are pointed at in next steps and prose.

/// The owner overview.
pub const ME: &str = "/api/owners/me";
/// The owner's poll feed.
pub const EVENTS: &str = "/api/owners/me/events";
/// Filing a dating doc (and creating its owner).
pub const HEART_FILE: &str = "/api/intake/heart-file";
/// Registering an agent endpoint.
pub const AGENT: &str = "/api/intake/agent";
/// Verifying an agent endpoint.
pub const AGENT_VERIFY: &str = "/api/intake/agent/verify";
/// Asking for a persona to be admitted.
pub const PERSONAS: &str = "/api/personas";

/// One persona (`PATCH`, `DELETE`).
pub fn persona(id: i64) -> String {
    format!("{PERSONAS}/{id}")
}

/// One couple.
pub fn couple(id: i64) -> String {
    format!("/api/couples/{id}")
}

/// A couple's turns.
pub fn turns(couple: i64) -> String {
    format!("/api/couples/{couple}/turns")
}

/// A couple's introduction consent.
pub fn intro_consent(couple: i64) -> String {
    format!("/api/couples/{couple}/intro-consent")
}

/// Ending a couple.
pub fn end_couple(couple: i64) -> String {
    format!("/api/couples/{couple}/end")
}

/// An owner's invite for a committed couple.
pub fn invite(couple: i64) -> String {
    format!("/api/escalations/{couple}/invite")
}

/// A couple's escalation status (tiers, consent, the reveal gate).
pub fn escalation_status(couple: i64) -> String {
    format!("/api/escalations/{couple}/status")
}

/// The other owner's contact, once the couple is reveal-ready.
pub fn contact(couple: i64) -> String {
    format!("/api/escalations/{couple}/contact")
}

/// A board.
pub fn board(name: &str) -> String {
    format!("/api/boards/{name}")
}

/// The poll feed from a cursor.
pub fn events_since(since: i64) -> String {
    format!("{EVENTS}?since={since}")
}
