//! The store ports' contract, as one suite of checks every store adapter must pass.
//!
//! The domain states what its store ports guarantee (`ishtar_domain::ports`, the payments
//! and persona-lifecycle stores): an exact cap under concurrency, one settlement per order,
//! handles unique whatever their case, identity webhooks applied once, outbox claims leased
//! once, an erasure that harms no one else, and the rest. Each guarantee is one
//! `pub async fn` in [`checks`], written against the ports alone, so the same check runs
//! against Postgres and against memory and fails if the adapter breaks the guarantee.
//!
//! An adapter's test file is three lines (docs/architecture.md "Port contract tests"):
//!
//! ```ignore
//! async fn stores() -> ishtar_store_contract::Stores { /* a fresh, empty store */ }
//! ishtar_store_contract::contract_tests!(stores);
//! ```
//!
//! Every check builds its own fresh store from the factory. Depends on the domain only:
//! no adapter, no database driver.

pub mod checks;
mod fixtures;
mod stores;

pub use stores::Stores;

/// The names of every check in [`checks`], in the order [`contract_tests!`] declares them.
#[macro_export]
#[doc(hidden)]
macro_rules! __contract_check_names {
    ($callback:ident ! ($($args:tt)*)) => {
        $crate::$callback!($($args)*;
            owners_are_created_and_found_by_token_hash,
            doc_versions_are_numbered_without_gaps_under_concurrency,
            agent_endpoints_register_pending_and_activate,
            handles_are_unique_whatever_their_case,
            the_cap_is_exact_under_concurrent_admissions,
            the_cap_is_exact_when_personas_arrive_together,
            withdrawing_frees_a_place_once_and_ends_live_couples,
            one_settlement_per_payment_order_under_concurrency,
            identity_webhook_events_apply_once,
            outbox_claims_are_leased_once_under_concurrent_claimers,
            an_owners_feed_is_read_in_order_with_a_cursor,
            settings_round_trip,
            a_couples_turns_are_listed_in_order_with_a_cursor,
            concurrent_turns_are_never_skipped_by_a_cursor,
            a_persona_keeps_one_live_post_per_board_and_boards_page_newest_first,
            reports_are_stored_only_for_existing_targets,
            consent_commits_a_couple_once_and_the_operator_brokers_it,
            a_beat_never_duplicates_a_pair_and_the_beat_lock_is_exclusive,
            the_guide_reads_each_personas_standing,
            erasing_one_owner_leaves_every_other_owner_intact,
            the_console_pages_personas_newest_first,
            logs_and_events_are_read_back_by_the_console_and_purged_by_age,
            the_health_probe_answers,
        );
    };
}

/// Declares one `#[tokio::test]` per contract check, each running the check against fresh
/// stores built by `$factory`: an `async fn() -> Stores` (or a closure returning such a
/// future). The calling crate needs `tokio` (features `macros`, `rt-multi-thread`) among its
/// dev-dependencies.
///
/// ```ignore
/// async fn stores() -> ishtar_store_contract::Stores {
///     ishtar_store_contract::Stores::of(std::sync::Arc::new(MemoryStore::new()))
/// }
/// ishtar_store_contract::contract_tests!(stores);
/// ```
#[macro_export]
macro_rules! contract_tests {
    ($factory:expr) => {
        $crate::__contract_check_names!(__contract_tests_each!($factory));
    };
}

/// Expands one test per check name (the second half of [`contract_tests!`]).
#[macro_export]
#[doc(hidden)]
macro_rules! __contract_tests_each {
    ($factory:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $check() {
                $crate::checks::$check($factory).await;
            }
        )*
    };
}
