use ishtar_ai_gateway::GatewayGuard;
use ishtar_domain::ProviderError;
use ishtar_domain::ports::{Guard, GuardVerdict};

use crate::fake::{ConfigFor as _, FakeGateway, chat};

async fn classify(answer: &str) -> (Result<GuardVerdict, ProviderError>, FakeGateway) {
    let fake = FakeGateway::start(vec![chat(answer)]).await;
    let r = GatewayGuard::new(fake.config())
        .unwrap()
        .classify("hello there")
        .await;
    (r, fake)
}

#[tokio::test]
async fn safe_is_safe_and_the_text_goes_to_the_guard_model() {
    let (r, fake) = classify("safe").await;
    assert_eq!(r.unwrap(), GuardVerdict::Safe);
    let s = &fake.seen()[0];
    assert_eq!(s.path, "/v1/chat/completions");
    assert_eq!(s.authorization.as_deref(), Some("Bearer sk-test"));
    assert_eq!(s.body["model"], "guard-m");
    assert_eq!(
        s.body["messages"],
        serde_json::json!([{"role": "user", "content": "hello there"}])
    );
}

#[tokio::test]
async fn unsafe_answers_carry_their_categories() {
    let (r, _fake) = classify("unsafe\nS1,S10").await;
    assert_eq!(
        r.unwrap(),
        GuardVerdict::Unsafe(vec!["S1".into(), "S10".into()])
    );
}

#[tokio::test]
async fn unsafe_without_categories_is_still_unsafe() {
    let (r, _fake) = classify("unsafe").await;
    assert_eq!(r.unwrap(), GuardVerdict::Unsafe(vec![]));
}

#[tokio::test]
async fn anything_else_fails_closed_as_malformed() {
    for answer in ["maybe", "I think this is safe", ""] {
        let (r, _fake) = classify(answer).await;
        assert!(
            matches!(r, Err(ProviderError::Malformed { .. })),
            "{answer:?}: {r:?}"
        );
    }
}
