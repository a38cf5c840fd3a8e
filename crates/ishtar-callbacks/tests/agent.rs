//! The callback client against the test kit's fake agent on loopback (private callbacks
//! allowed, as in development): each way an agent can answer, one test.

#![expect(clippy::unwrap_used, reason = "tests: failing loudly is the point")]

use std::time::Duration;

use ishtar_callbacks::{CallbackConfig, HttpCallbackClient};
use ishtar_domain::ProviderError;
use ishtar_domain::ports::CallbackClient;
use ishtar_test_kit::{AgentBehaviour, FakeAgent, closed_port_url};

fn client() -> HttpCallbackClient {
    HttpCallbackClient::new(CallbackConfig {
        allow_private: true,
        timeout: Duration::from_millis(500),
        ..CallbackConfig::default()
    })
}

#[tokio::test]
async fn a_good_agent_echoes_the_challenge_it_was_sent() {
    // Arrange
    let agent = FakeAgent::start(AgentBehaviour::Echo).await;
    // Act
    let echo = client().challenge(agent.url(), "nonce-1").await;
    // Assert
    assert_eq!(echo.unwrap(), "nonce-1");
    assert_eq!(agent.hits(), 1);
    let sent: serde_json::Value = serde_json::from_slice(&agent.received()[0].body).unwrap();
    assert_eq!(sent, serde_json::json!({"challenge": "nonce-1"}));
    assert_eq!(agent.received()[0].signature, None);
}

#[tokio::test]
async fn a_wrong_echo_is_returned_for_the_domain_to_judge() {
    let agent = FakeAgent::start(AgentBehaviour::WrongEcho).await;
    assert_eq!(client().challenge(agent.url(), "n").await.unwrap(), "nope");
}

#[tokio::test]
async fn a_non_2xx_status_and_a_redirect_are_refusals() {
    let agent = FakeAgent::start(AgentBehaviour::Status(503)).await;
    let r = client().challenge(agent.url(), "n").await;
    assert!(
        matches!(&r, Err(ProviderError::Rejected { reason, .. }) if reason == "status 503"),
        "{r:?}"
    );
    let elsewhere = FakeAgent::start(AgentBehaviour::Echo).await;
    let redirecting = FakeAgent::start(AgentBehaviour::Redirect(elsewhere.url().to_owned())).await;
    let r = client().challenge(redirecting.url(), "n").await;
    assert!(
        matches!(&r, Err(ProviderError::Rejected { reason, .. }) if reason == "status 307"),
        "{r:?}"
    );
    assert_eq!(elsewhere.hits(), 0, "redirects are not followed");
}

#[tokio::test]
async fn garbage_and_oversized_answers_are_malformed() {
    let garbage = FakeAgent::start(AgentBehaviour::Garbage).await;
    let r = client().challenge(garbage.url(), "n").await;
    assert!(matches!(r, Err(ProviderError::Malformed { .. })), "{r:?}");
    let huge = FakeAgent::start(AgentBehaviour::Huge).await;
    let r = client().challenge(huge.url(), "n").await;
    assert!(
        matches!(&r, Err(ProviderError::Malformed { reason, .. }) if reason == "response too large"),
        "{r:?}"
    );
}

#[tokio::test]
async fn a_hung_agent_and_a_closed_port_are_unavailable() {
    let hung = FakeAgent::start(AgentBehaviour::Hang).await;
    let r = client().challenge(hung.url(), "n").await;
    assert!(matches!(r, Err(ProviderError::Unavailable { .. })), "{r:?}");
    let r = client()
        .challenge(&format!("{}/cb", closed_port_url()), "n")
        .await;
    assert!(matches!(r, Err(ProviderError::Unavailable { .. })), "{r:?}");
}

#[tokio::test]
async fn a_delivery_carries_the_body_and_the_signature_header() {
    // Arrange
    let agent = FakeAgent::start(AgentBehaviour::Echo).await;
    // Act
    let r = client()
        .deliver(agent.url(), b"{\"kind\":\"x\"}".to_vec(), "sig-1".into())
        .await;
    // Assert
    assert!(r.is_ok(), "{r:?}");
    let got = agent.received();
    assert_eq!(got[0].body, b"{\"kind\":\"x\"}");
    assert_eq!(got[0].signature.as_deref(), Some("sig-1"));
}
