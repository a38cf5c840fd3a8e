//! The embed builder: its defaults build a working venue, and a replaced port or store is
//! the one the venue uses.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;

use ishtar_domain::ProviderError;
use ishtar_domain::chaperone::Verdict;
use ishtar_domain::intake::{self, SubmitHeart};
use ishtar_domain::model::{ActiveMarket, HomeMarket, NewHeartFile, ResearchOptin};
use ishtar_domain::ports::{Guard, GuardVerdict};
use ishtar_embed::{BuildError, MemoryStore, SystemClock};

/// Holds every text for review.
struct HoldEverything;

#[async_trait]
impl Guard for HoldEverything {
    async fn classify(&self, _text: &str) -> Result<GuardVerdict, ProviderError> {
        Ok(GuardVerdict::Unsure(vec!["S0".into()]))
    }
}

fn doc() -> SubmitHeart {
    let heart = json!({"about": "Quiet mornings, loud opinions about bread."});
    SubmitHeart {
        owner_id: None,
        heart_file: NewHeartFile {
            display_name: None,
            home_market: HomeMarket::BayArea,
            active_market: ActiveMarket::Remote,
            available_for: None,
            research_optin: ResearchOptin::None,
            age_attested: true,
            contact_ref: None,
            heart_hash: intake::heart_hash(&heart),
            heart,
        },
    }
}

#[tokio::test]
async fn the_defaults_allow_a_kind_doc() {
    let venue = ishtar_embed::builder().build().await.expect("builds");
    let receipt = venue
        .intake
        .submit_heart(doc(), None)
        .await
        .expect("stored");
    assert_eq!(receipt.verdict, Verdict::Allow);
    assert!(receipt.owner_token.is_some());
    assert!(venue.health.ping().await.is_ok());
}

#[tokio::test]
async fn a_replaced_guard_is_the_one_the_chaperone_asks() {
    let venue = ishtar_embed::builder()
        .guard(Arc::new(HoldEverything))
        .build()
        .await
        .expect("builds");
    let receipt = venue
        .intake
        .submit_heart(doc(), None)
        .await
        .expect("stored");
    assert!(
        matches!(receipt.verdict, Verdict::Hold(_)),
        "{:?}",
        receipt.verdict
    );
}

#[tokio::test]
async fn a_single_port_wins_over_the_stores_whatever_the_order() {
    let venue = ishtar_embed::builder()
        .guard(Arc::new(HoldEverything))
        .stores(Arc::new(MemoryStore::default()))
        .build()
        .await
        .expect("builds");
    let receipt = venue
        .intake
        .submit_heart(doc(), None)
        .await
        .expect("stored");
    assert!(matches!(receipt.verdict, Verdict::Hold(_)));
}

#[tokio::test]
async fn venues_given_one_store_share_it() {
    // Arrange
    let store = Arc::new(MemoryStore::new(Arc::new(SystemClock)));
    let one = ishtar_embed::builder()
        .stores(store.clone())
        .build()
        .await
        .expect("one");
    let two = ishtar_embed::builder()
        .stores(store)
        .build()
        .await
        .expect("two");
    let other = ishtar_embed::builder().build().await.expect("other");

    // Act
    let token = one
        .intake
        .submit_heart(doc(), None)
        .await
        .expect("stored")
        .owner_token;
    let token = token.expect("a new owner's token");

    // Assert: the second venue reads the owner the first wrote; a default venue does not.
    assert!(two.courtship.me(Some(&token)).await.is_ok());
    assert!(other.courtship.me(Some(&token)).await.is_err());
}

#[tokio::test]
async fn initial_settings_are_loaded_and_checked() {
    let venue = ishtar_embed::builder()
        .initial_settings(vec![("cap", "3".into())])
        .build()
        .await
        .expect("builds");
    assert_eq!(venue.settings.current().cap, 3);

    let refused = ishtar_embed::builder()
        .initial_settings(vec![("cap", "not a number".into())])
        .build()
        .await;
    assert!(matches!(refused, Err(BuildError::Settings(_))));
}

#[test]
fn outside_tokio_the_builder_asks_for_an_offload() {
    let built = futures_executor_block_on(ishtar_embed::builder().build());
    assert!(matches!(built, Err(BuildError::NoRuntime)));
}

/// Polls a future to completion on this thread, with no runtime at all.
fn futures_executor_block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}
