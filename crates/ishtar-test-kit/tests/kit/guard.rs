use ishtar_domain::ProviderError;
use ishtar_domain::ports::{Guard, GuardVerdict};
use ishtar_test_kit::{GuardRule, ScriptedGuard};

#[tokio::test]
async fn the_fixed_rules_answer_everything_alike() {
    assert_eq!(
        ScriptedGuard::allow_all().classify("x").await.unwrap(),
        GuardVerdict::Safe
    );
    assert!(matches!(
        ScriptedGuard::hold_all().classify("x").await,
        Ok(GuardVerdict::Unsure(c)) if !c.is_empty()
    ));
    assert!(matches!(
        ScriptedGuard::deny_all().classify("x").await,
        Ok(GuardVerdict::Unsafe(c)) if !c.is_empty()
    ));
    assert!(matches!(
        ScriptedGuard::failing().classify("x").await,
        Err(ProviderError::Unavailable { .. })
    ));
}

#[tokio::test]
async fn queued_answers_come_first_in_order_then_the_rule() {
    // Arrange
    let guard = ScriptedGuard::allow_all();
    guard
        .then(Ok(GuardVerdict::Unsafe(vec!["S1".into()])))
        .then(Err(ProviderError::malformed("junk")));
    // Act
    let first = guard.classify("a").await;
    let second = guard.classify("b").await;
    let third = guard.classify("c").await;
    // Assert
    assert_eq!(first.unwrap(), GuardVerdict::Unsafe(vec!["S1".into()]));
    assert!(matches!(second, Err(ProviderError::Malformed { reason: m, .. }) if m == "junk"));
    assert_eq!(third.unwrap(), GuardVerdict::Safe);
    assert_eq!(guard.seen(), ["a", "b", "c"]);
    assert_eq!(guard.calls(), 3);
}

#[tokio::test]
async fn a_per_text_rule_sees_the_text_and_the_rule_can_change() {
    let guard = ScriptedGuard::by_text(|t| {
        Ok(if t.contains("bad") {
            GuardVerdict::Unsafe(vec!["S9".into()])
        } else {
            GuardVerdict::Safe
        })
    });
    assert_eq!(guard.classify("good").await.unwrap(), GuardVerdict::Safe);
    assert_eq!(
        guard.classify("so bad").await.unwrap(),
        GuardVerdict::Unsafe(vec!["S9".into()])
    );
    guard.set_rule(GuardRule::HoldAll);
    assert!(matches!(
        guard.classify("good").await,
        Ok(GuardVerdict::Unsure(_))
    ));
}
