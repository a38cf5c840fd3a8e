use std::sync::Arc;

use serde_json::{Value, json};

use ishtar_ai_gateway::GatewayEmbedder;
use ishtar_domain::ProviderError;
use ishtar_domain::ports::Embedder;

use crate::fake::{ConfigFor as _, FakeGateway, Reply};

/// Answers each input `tK` with a 4-d vector pointing along axis `K % 4` (length 3, so
/// normalising shows), listed in reverse order so only `index` can put them right.
fn axis_vectors() -> Reply {
    Reply::With(Arc::new(|body: &Value| {
        let inputs = body["input"].as_array().unwrap();
        let mut data: Vec<Value> = inputs
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let k: usize = t.as_str().unwrap()[1..].parse().unwrap();
                let mut v = [0.0_f32; 4];
                v[k % 4] = 3.0;
                json!({"object": "embedding", "index": i, "embedding": v})
            })
            .collect();
        data.reverse();
        json!({"object": "list", "data": data, "model": "embed-m"})
    }))
}

fn texts(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("t{i}")).collect()
}

#[tokio::test]
async fn embeddings_are_batched_ordered_by_index_and_normalised() {
    // Arrange
    let fake = FakeGateway::start(vec![axis_vectors()]).await;
    let e = GatewayEmbedder::new(fake.config()).unwrap();
    // Act
    let out = e.embed(texts(5)).await.unwrap();
    // Assert
    assert_eq!(e.model(), "embed-m");
    assert_eq!(e.dimensions(), 4);
    assert_eq!(out.len(), 5);
    for (i, v) in out.iter().enumerate() {
        let mut want = [0.0_f32; 4];
        want[i % 4] = 1.0;
        assert_eq!(v.as_slice(), want.as_slice(), "text {i}");
    }
    let seen = fake.seen();
    let inputs: Vec<Value> = seen.iter().map(|s| s.body["input"].clone()).collect();
    assert_eq!(
        inputs,
        [json!(["t0", "t1"]), json!(["t2", "t3"]), json!(["t4"])]
    );
    for s in &seen {
        assert_eq!(s.path, "/v1/embeddings");
        assert_eq!(s.authorization.as_deref(), Some("Bearer sk-test"));
        assert_eq!(s.body["model"], "embed-m");
    }
}

#[tokio::test]
async fn no_key_means_no_authorization_header_and_no_texts_means_no_call() {
    let fake = FakeGateway::start(vec![axis_vectors()]).await;
    let e = GatewayEmbedder::new(ishtar_ai_gateway::GatewayConfig {
        api_key: None,
        ..fake.config()
    })
    .unwrap();
    assert!(e.embed(Vec::new()).await.unwrap().is_empty());
    assert_eq!(fake.hits(), 0);
    e.embed(texts(1)).await.unwrap();
    assert_eq!(fake.seen()[0].authorization, None);
}

#[tokio::test]
async fn a_wrong_number_of_vectors_is_malformed() {
    let fake = FakeGateway::start(vec![Reply::Json(
        200,
        json!({"data": [{"index": 0, "embedding": [1.0, 0.0, 0.0, 0.0]}]}),
    )])
    .await;
    let r = GatewayEmbedder::new(fake.config())
        .unwrap()
        .embed(texts(2))
        .await;
    assert!(matches!(r, Err(ProviderError::Malformed { .. })), "{r:?}");
    assert_eq!(fake.hits(), 1, "a malformed answer is not retried");
}

#[tokio::test]
async fn duplicate_indices_and_inconsistent_dimensions_are_malformed() {
    for data in [
        json!([{"index": 0, "embedding": [1.0, 0.0, 0.0, 0.0]},
               {"index": 0, "embedding": [0.0, 1.0, 0.0, 0.0]}]),
        json!([{"index": 0, "embedding": [1.0, 0.0, 0.0, 0.0]},
               {"index": 1, "embedding": [0.0, 1.0, 0.0]}]),
    ] {
        let fake = FakeGateway::start(vec![Reply::Json(200, json!({ "data": data }))]).await;
        let r = GatewayEmbedder::new(fake.config())
            .unwrap()
            .embed(texts(2))
            .await;
        assert!(matches!(r, Err(ProviderError::Malformed { .. })), "{r:?}");
    }
}

#[tokio::test]
async fn garbage_json_is_malformed() {
    let fake = FakeGateway::start(vec![Reply::Raw(200, "{\"data\": [oops".into(), vec![])]).await;
    let r = GatewayEmbedder::new(fake.config())
        .unwrap()
        .embed(texts(1))
        .await;
    assert!(matches!(r, Err(ProviderError::Malformed { .. })), "{r:?}");
}
