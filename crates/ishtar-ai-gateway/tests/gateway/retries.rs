use std::time::{Duration, Instant};

use ishtar_ai_gateway::{GatewayConfig, GatewayGuard};
use ishtar_domain::ProviderError;
use ishtar_domain::ports::{Guard, GuardVerdict};

use crate::fake::{ConfigFor as _, FakeGateway, Reply, chat};

fn guard(cfg: GatewayConfig) -> GatewayGuard {
    GatewayGuard::new(cfg).unwrap()
}

#[tokio::test]
async fn a_429_is_retried_after_the_capped_retry_after() {
    // Arrange: Retry-After asks for 5 s; the config caps waits at 200 ms.
    let fake = FakeGateway::start(vec![
        Reply::Raw(429, "{}".into(), vec![("retry-after", "5")]),
        chat("safe"),
    ])
    .await;
    let started = Instant::now();
    // Act
    let r = guard(fake.config()).classify("hi").await;
    // Assert
    let elapsed = started.elapsed();
    assert_eq!(r.unwrap(), GuardVerdict::Safe);
    assert_eq!(fake.hits(), 2);
    assert!(
        elapsed >= Duration::from_millis(200),
        "{elapsed:?}: Retry-After honoured"
    );
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}: and capped");
}

#[tokio::test]
async fn a_500_forever_gives_up_after_max_retries() {
    let fake = FakeGateway::start(vec![Reply::Json(500, serde_json::json!({}))]).await;
    let r = guard(fake.config()).classify("hi").await;
    assert!(matches!(r, Err(ProviderError::Unavailable { .. })), "{r:?}");
    assert_eq!(fake.hits(), 3, "one try and max_retries = 2 retries");
}

#[tokio::test]
async fn zero_retries_means_one_attempt() {
    let fake = FakeGateway::start(vec![Reply::Json(503, serde_json::json!({}))]).await;
    let r = guard(GatewayConfig {
        max_retries: 0,
        ..fake.config()
    })
    .classify("hi")
    .await;
    assert!(matches!(r, Err(ProviderError::Unavailable { .. })), "{r:?}");
    assert_eq!(fake.hits(), 1);
}

#[tokio::test]
async fn other_4xx_are_rejected_without_retry() {
    for status in [400, 401, 404, 422] {
        let fake = FakeGateway::start(vec![
            Reply::Json(status, serde_json::json!({})),
            chat("safe"),
        ])
        .await;
        let r = guard(fake.config()).classify("hi").await;
        assert!(
            matches!(r, Err(ProviderError::Rejected { .. })),
            "{status}: {r:?}"
        );
        assert_eq!(fake.hits(), 1, "{status}");
    }
}

#[tokio::test]
async fn a_hung_gateway_times_out_quickly_without_retry() {
    let fake = FakeGateway::start(vec![Reply::Hang]).await;
    let started = Instant::now();
    let r = guard(GatewayConfig {
        timeout: Duration::from_millis(200),
        ..fake.config()
    })
    .classify("hi")
    .await;
    let elapsed = started.elapsed();
    assert!(matches!(r, Err(ProviderError::Unavailable { .. })), "{r:?}");
    assert!(elapsed < Duration::from_secs(1), "{elapsed:?}");
    assert_eq!(fake.hits(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_unavailable() {
    // A port we hold bound but never listen on: connections are refused, and no other
    // test can take the port meanwhile.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    let started = Instant::now();
    let r = guard(GatewayConfig {
        base_url: format!("http://127.0.0.1:{port}/v1"),
        timeout: Duration::from_millis(500),
        max_retries: 2,
        backoff_base: Duration::from_millis(50),
        ..GatewayConfig::default()
    })
    .classify("hi")
    .await;
    let elapsed = started.elapsed();
    assert!(matches!(r, Err(ProviderError::Unavailable { .. })), "{r:?}");
    // Two backoffs (50 ms + 100 ms) show the retries happened.
    assert!(elapsed >= Duration::from_millis(150), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    drop(socket);
}
