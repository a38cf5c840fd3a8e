//! The `embedded` example's walk, run as a test so the example cannot rot.

#[expect(dead_code, reason = "the example's `main` is not called here")]
#[path = "../examples/embedded.rs"]
mod embedded;

use ishtar_domain::model::TurnStatus;

#[tokio::test]
async fn the_example_walks_intake_admission_beat_and_turn_in_memory() {
    let mut lines = Vec::new();
    let walked = embedded::walk(|line| lines.push(line))
        .await
        .unwrap_or_else(|e| panic!("the walk failed: {e}"));
    assert_eq!(walked.pairs, 1, "{lines:#?}");
    assert!(walked.couple.0 > 0);
    assert_eq!(walked.turn, TurnStatus::Published, "{lines:#?}");
    for step in ["venue:", "intake:", "admission:", "beat:", "turn:"] {
        assert!(
            lines.iter().any(|l| l.starts_with(step)),
            "{step} missing: {lines:#?}"
        );
    }
}
