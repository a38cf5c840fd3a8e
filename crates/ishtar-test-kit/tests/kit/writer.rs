use ishtar_domain::ProviderError;
use ishtar_domain::ports::{PersonaSketch, Writer};
use ishtar_test_kit::{ScriptedWriter, WriterCall, WriterCallKind};

fn sketch(handle: &str) -> PersonaSketch {
    PersonaSketch {
        handle: handle.into(),
        heart_text: format!("{handle}'s heart"),
    }
}

#[tokio::test]
async fn by_default_the_prose_names_both_handles() {
    let w = ScriptedWriter::default();
    assert_eq!(
        w.gambit(sketch("ana"), sketch("bo")).await.unwrap(),
        "gambit: ana & bo"
    );
    assert_eq!(
        w.report(sketch("bo"), sketch("ana")).await.unwrap(),
        "report: bo & ana"
    );
}

#[tokio::test]
async fn set_texts_are_answered_and_every_call_is_recorded() {
    // Arrange
    let w = ScriptedWriter::new("Hello both.", "A fine match.");
    // Act
    let g = w.gambit(sketch("ana"), sketch("bo")).await.unwrap();
    let r = w.report(sketch("cy"), sketch("di")).await.unwrap();
    // Assert
    assert_eq!((g.as_str(), r.as_str()), ("Hello both.", "A fine match."));
    assert_eq!(
        w.calls(),
        [
            WriterCall {
                kind: WriterCallKind::Gambit,
                a: sketch("ana"),
                b: sketch("bo")
            },
            WriterCall {
                kind: WriterCallKind::Report,
                a: sketch("cy"),
                b: sketch("di")
            },
        ]
    );
}

#[tokio::test]
async fn a_failing_writer_fails_every_call_until_it_recovers() {
    let w = ScriptedWriter::default();
    w.fail();
    assert!(matches!(
        w.gambit(sketch("a"), sketch("b")).await,
        Err(ProviderError::Unavailable { .. })
    ));
    w.fail_with(|| ProviderError::rejected("policy"));
    assert!(matches!(
        w.report(sketch("a"), sketch("b")).await,
        Err(ProviderError::Rejected { reason: m, .. }) if m == "policy"
    ));
    assert!(w.report(sketch("a"), sketch("b")).await.is_err());
    w.recover();
    assert!(w.gambit(sketch("a"), sketch("b")).await.is_ok());
    assert_eq!(w.calls().len(), 4, "failed calls are recorded too");
}
