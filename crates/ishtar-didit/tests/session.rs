//! Session creation against a Didit on loopback: `ishtar_test_kit::FakeDidit` for the
//! documented exchange and its refusals, `common::RawDidit` for answers the kit does not
//! play (hangs, garbage, a bad session url).

#![expect(clippy::unwrap_used, reason = "tests: failing loudly is the point")]

mod common;

use std::time::Duration;

use ishtar_didit::{DiditClient, DiditConfig};
use ishtar_domain::ProviderError;
use ishtar_domain::ports::{IdentityProvider, IdentitySession};
use ishtar_test_kit::{DiditBehaviour, FakeDidit};
use secrecy::SecretString;
use serde_json::json;

use common::{RawAnswer, RawDidit};

fn session_client(base: &str, callback: Option<&str>) -> DiditClient {
    DiditClient::new(DiditConfig {
        base_url: base.to_owned(),
        api_key: Some("didit-api-key".into()),
        workflow_id: Some("0f0e0d0c-0000-4000-8000-00000000abcd".into()),
        callback_url: callback.map(str::to_owned),
        webhook_secret: None,
        timeout: Duration::from_millis(700),
    })
    .unwrap()
}

#[tokio::test]
async fn create_session_posts_the_documented_request() {
    let didit = FakeDidit::start(DiditBehaviour::Good).await;
    // A trailing slash on the base is tolerated.
    let c = session_client(
        &format!("{}/", didit.base_url()),
        Some("https://venue.example/done"),
    );
    let s = c.create_session("owner:42".into()).await.unwrap();
    let seen = didit.sessions();
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    // The fake creates a session only for a POST to the documented path.
    let id = r.session_id.clone().unwrap();
    assert_eq!(
        s,
        IdentitySession {
            url: format!("https://verify.didit.test/session/{id}"),
            session_id: id,
        }
    );
    assert_eq!(r.path, "/v3/session/");
    assert_eq!(r.api_key.as_deref(), Some("didit-api-key"));
    assert_eq!(
        r.body,
        json!({
            "workflow_id": "0f0e0d0c-0000-4000-8000-00000000abcd",
            "vendor_data": "owner:42",
            "callback": "https://venue.example/done",
        })
    );
}

#[tokio::test]
async fn the_callback_is_omitted_when_unset() {
    let didit = FakeDidit::start(DiditBehaviour::Good).await;
    let c = session_client(didit.base_url(), None);
    c.create_session("owner:1".into()).await.unwrap();
    let body = &didit.sessions()[0].body;
    assert!(body.get("callback").is_none(), "{body}");
    assert_eq!(body["vendor_data"], "owner:1");
}

#[tokio::test]
async fn server_errors_are_unavailable_and_refusals_rejected() {
    for (code, unavailable) in [
        (500, true),
        (503, true),
        (429, true),
        (401, false),
        (400, false),
    ] {
        let didit = FakeDidit::start(DiditBehaviour::Status(code)).await;
        let r = session_client(didit.base_url(), None)
            .create_session("owner:1".into())
            .await;
        match r {
            Err(ProviderError::Unavailable { reason: m, .. }) if unavailable => {
                assert_eq!(m, format!("status {code}"));
            }
            Err(ProviderError::Rejected { reason: m, .. }) if !unavailable => {
                assert_eq!(m, format!("status {code}"));
            }
            other => panic!("{code}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_hanging_provider_times_out_quickly() {
    let didit = RawDidit::start(RawAnswer::Hang);
    let started = std::time::Instant::now();
    let r = session_client(didit.base_url(), None)
        .create_session("owner:1".into())
        .await;
    assert!(
        matches!(&r, Err(ProviderError::Unavailable { reason: m, .. }) if m == "timeout"),
        "{r:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn garbage_answers_are_malformed() {
    for answer in [RawAnswer::Garbage, RawAnswer::BadUrl] {
        let didit = RawDidit::start(answer);
        let r = session_client(didit.base_url(), None)
            .create_session("owner:1".into())
            .await;
        assert!(
            matches!(r, Err(ProviderError::Malformed { .. })),
            "{answer:?}: {r:?}"
        );
        // Whatever came back, what went out was JSON.
        assert_eq!(didit.content_types(), [Some("application/json".to_owned())]);
    }
}

#[tokio::test]
async fn an_unreachable_provider_is_unavailable() {
    // Bind a port, then close it: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = session_client(&format!("http://127.0.0.1:{port}"), None)
        .create_session("owner:1".into())
        .await;
    assert!(matches!(r, Err(ProviderError::Unavailable { .. })), "{r:?}");
}

#[tokio::test]
async fn unconfigured_sessions_fail_without_a_request() {
    let didit = FakeDidit::start(DiditBehaviour::Good).await;
    for (key, workflow) in [
        (None, Some("wf")),
        (Some("k"), None),
        (Some(""), Some("wf")),
        (Some("k"), Some("  ")),
    ] {
        let c = DiditClient::new(DiditConfig {
            base_url: didit.base_url().to_owned(),
            api_key: key.map(SecretString::from),
            workflow_id: workflow.map(str::to_owned),
            ..DiditConfig::default()
        })
        .unwrap();
        assert!(!c.sessions_configured());
        let r = c.create_session("owner:1".into()).await;
        assert!(
            matches!(&r, Err(ProviderError::Unconfigured(m)) if m == "identity provider not configured"),
            "{r:?}"
        );
    }
    assert!(didit.sessions().is_empty());
}
