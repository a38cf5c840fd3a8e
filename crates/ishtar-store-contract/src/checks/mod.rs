//! One `pub async fn` per guarantee of the store ports. Each takes the factory, builds one
//! fresh store from it, arranges what it needs through the ports, and panics (with the
//! guarantee in its message) when the adapter breaks it.
//!
//! Grouped by area; [`crate::contract_tests!`] runs them all.

mod admission;
mod console;
mod couples;
mod erasure;
mod escalation;
mod outbox;
mod owners;
mod payments;

pub use admission::{
    handles_are_unique_whatever_their_case, the_cap_is_exact_under_concurrent_admissions,
    the_cap_is_exact_when_personas_arrive_together,
    withdrawing_frees_a_place_once_and_ends_live_couples,
};
pub use console::{
    logs_and_events_are_read_back_by_the_console_and_purged_by_age, settings_round_trip,
    the_console_pages_personas_newest_first, the_health_probe_answers,
};
pub use couples::{
    a_beat_never_duplicates_a_pair_and_the_beat_lock_is_exclusive,
    a_couples_turns_are_listed_in_order_with_a_cursor,
    a_persona_keeps_one_live_post_per_board_and_boards_page_newest_first,
    concurrent_turns_are_never_skipped_by_a_cursor, reports_are_stored_only_for_existing_targets,
    the_guide_reads_each_personas_standing,
};
pub use erasure::erasing_one_owner_leaves_every_other_owner_intact;
pub use escalation::{
    consent_commits_a_couple_once_and_the_operator_brokers_it, identity_webhook_events_apply_once,
};
pub use outbox::{
    an_owners_feed_is_read_in_order_with_a_cursor,
    outbox_claims_are_leased_once_under_concurrent_claimers,
};
pub use owners::{
    agent_endpoints_register_pending_and_activate,
    doc_versions_are_numbered_without_gaps_under_concurrency,
    owners_are_created_and_found_by_token_hash,
};
pub use payments::one_settlement_per_payment_order_under_concurrency;

/// The time the console is read "today" with: 00:00 UTC of today, and today.
pub(crate) fn today() -> (time::OffsetDateTime, time::Date) {
    let day = time::OffsetDateTime::now_utc().date();
    (day.midnight().assume_utc(), day)
}
