//! Owners, their versioned dating docs, and agent endpoints.

use std::future::Future;

use ishtar_domain::StoreError;
use ishtar_domain::model::{ActiveMarket, EndpointStatus, OwnerId, Tier};

use crate::Stores;
use crate::fixtures::{active_endpoint, doc, doc_log, now, owner, together, token};

/// `OwnerStore`: an owner is created at version 1 and tier `agent_represented`, found by its
/// token hash and by nothing else, with its latest doc; no two owners share a token hash.
pub async fn owners_are_created_and_found_by_token_hash<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    let saved = s
        .owners
        .create_owner(token(1), doc("one", None), doc_log(), now())
        .await
        .expect("an owner is created");
    assert_eq!(
        (saved.version, saved.tier),
        (1, Tier::AgentRepresented),
        "a new owner starts at version 1, agent-represented"
    );
    let other = owner(&s, 2).await;
    assert_ne!(other, saved.owner_id, "two owners, two ids");
    assert_eq!(
        s.owners.owner_by_token(token(1)).await.expect("read"),
        Some(saved.owner_id),
        "an owner is found by its token hash"
    );
    assert_eq!(
        s.owners.owner_by_token(token(2)).await.expect("read"),
        Some(other)
    );
    assert_eq!(
        s.owners.owner_by_token(token(9)).await.expect("read"),
        None,
        "an unknown token hash finds no one"
    );
    let (found, latest) = s
        .owners
        .owner_with_latest_heart(token(1))
        .await
        .expect("read")
        .expect("the owner is found with its doc");
    let latest = latest.expect("the owner has a doc");
    assert_eq!(found, saved.owner_id);
    assert_eq!(
        (latest.heart_file_id, latest.version, latest.active_market),
        (saved.heart_file_id, 1, ActiveMarket::Remote),
        "the latest doc is the one just saved"
    );
    assert_eq!(
        s.owners
            .owner_with_latest_heart(token(9))
            .await
            .expect("read"),
        None
    );
    assert!(
        matches!(
            s.owners
                .create_owner(token(1), doc("dup", None), doc_log(), now())
                .await,
            Err(StoreError::Conflict(_))
        ),
        "two owners can never hold the same token hash"
    );
    assert_eq!(
        s.escalation.owner_tier(saved.owner_id).await.expect("read"),
        Some(Tier::AgentRepresented)
    );
}

/// `OwnerStore::add_heart_version`: concurrent versions are numbered without gaps or
/// duplicates; the latest is the highest; a missing owner is `NotFound`.
pub async fn doc_versions_are_numbered_without_gaps_under_concurrency<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    let who = owner(&s, 1).await;
    let saved = together(20, |i| {
        let owners = s.owners.clone();
        async move {
            owners
                .add_heart_version(who, doc(&format!("v{i}"), None), doc_log(), now())
                .await
        }
    })
    .await;
    let mut versions: Vec<i32> = saved
        .into_iter()
        .map(|r| r.expect("a version is added").version)
        .collect();
    versions.sort_unstable();
    assert_eq!(
        versions,
        (2..=21).collect::<Vec<_>>(),
        "20 concurrent versions after version 1 are numbered 2..=21"
    );
    let (_, latest) = s
        .owners
        .owner_with_latest_heart(token(1))
        .await
        .expect("read")
        .expect("the owner is found");
    assert_eq!(latest.map(|l| l.version), Some(21), "the latest is 21");
    assert!(
        matches!(
            s.owners
                .add_heart_version(OwnerId(999_999), doc("x", None), doc_log(), now())
                .await,
            Err(StoreError::NotFound)
        ),
        "a version for a missing owner is NotFound"
    );
}

/// `AgentStore`: an endpoint is registered `pending` with its nonce and activated with how
/// it was verified; an owner has an active endpoint only once one is activated.
pub async fn agent_endpoints_register_pending_and_activate<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    use ishtar_domain::model::{EndpointId, EndpointKey, NewEndpoint, Runtime};
    const ADDRESS: &str = "0x00000000000000000000000000000000000000ab";
    const NONCE: &str = "ishtar:00000000-0000-4000-8000-000000000001:1";
    let s = factory().await;
    let who = owner(&s, 1).await;
    assert!(
        !s.couples.has_active_endpoint(who).await.expect("read"),
        "no endpoint yet"
    );
    let id = s
        .agents
        .register_endpoint(
            NewEndpoint::new(
                Some(who),
                None,
                Runtime::Codex,
                None,
                Some(EndpointKey {
                    public_key: "key".into(),
                    address: ADDRESS.into(),
                }),
                NONCE.into(),
            )
            .expect("a valid registration"),
            now(),
        )
        .await
        .expect("registered");
    let pending = s.agents.endpoint(id).await.expect("read").expect("found");
    assert_eq!(
        (
            pending.owner_id,
            pending.status,
            pending.key_address.as_deref(),
            pending.challenge_nonce.as_deref(),
            pending.verified_via.as_deref(),
        ),
        (
            Some(who),
            EndpointStatus::Pending,
            Some(ADDRESS),
            Some(NONCE),
            None
        ),
        "a new endpoint waits pending with its challenge"
    );
    assert!(
        !s.couples.has_active_endpoint(who).await.expect("read"),
        "a pending endpoint is not active"
    );
    s.agents
        .activate_endpoint(id, "signature", now())
        .await
        .expect("activated");
    let active = s.agents.endpoint(id).await.expect("read").expect("found");
    assert_eq!(
        (active.status, active.verified_via.as_deref()),
        (EndpointStatus::Active, Some("signature"))
    );
    assert!(s.couples.has_active_endpoint(who).await.expect("read"));
    let second = active_endpoint(&s, who, "http://127.0.0.1:9/cb").await;
    assert_ne!(second, id, "each endpoint has its own id");
    assert_eq!(
        s.agents.endpoint(EndpointId(999_999)).await.expect("read"),
        None
    );
}
