use std::sync::Arc;

use ishtar_test_kit::{FakeGateway, GatewayReply, gateway_chat};
use serde_json::{Value, json};

#[tokio::test]
async fn replies_follow_the_script_then_repeat_the_last_and_requests_are_recorded() {
    // Arrange
    let fake = FakeGateway::start(vec![
        GatewayReply::Json(503, json!({"error": "busy"})),
        GatewayReply::With(Arc::new(|body: &Value| json!({"echo": body["input"]}))),
    ])
    .await;
    let client = reqwest::Client::new();
    let url = format!("{}/embeddings", fake.base_url());
    // Act
    let mut statuses = Vec::new();
    let mut bodies = Vec::new();
    for i in 0..3 {
        let r = client
            .post(&url)
            .bearer_auth("sk-x")
            .json(&json!({"input": [format!("t{i}")]}))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        bodies.push(r.json::<Value>().await.unwrap());
    }
    // Assert
    assert!(fake.base_url().ends_with("/v1"));
    assert_eq!(statuses, [503, 200, 200]);
    assert_eq!(bodies[2], json!({"echo": ["t2"]}));
    assert_eq!(fake.hits(), 3);
    let seen = fake.seen();
    assert_eq!(seen[1].path, "/v1/embeddings");
    assert_eq!(seen[1].authorization.as_deref(), Some("Bearer sk-x"));
    assert_eq!(seen[1].body, json!({"input": ["t1"]}));
}

#[tokio::test]
async fn chat_answers_in_the_openai_shape() {
    let fake = FakeGateway::start(vec![gateway_chat("safe")]).await;
    let body: Value = reqwest::Client::new()
        .post(format!("{}/chat/completions", fake.base_url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "safe");
    assert_eq!(body["choices"][0]["message"]["role"], "assistant");
}
