use ishtar_domain::ProviderError;
use ishtar_domain::ports::Embedder;
use ishtar_test_kit::ScriptedEmbedder;
use ishtar_test_kit::doubles::LOCAL_DIMENSIONS;

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn texts(t: &[&str]) -> Vec<String> {
    t.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn vectors_are_unit_length_deterministic_and_differ_by_text() {
    // Arrange
    let e = ScriptedEmbedder::default();
    let other = ScriptedEmbedder::default();
    // Act
    let v = e.embed(texts(&["tea", "coffee", "tea"])).await.unwrap();
    let again = other.embed(texts(&["tea"])).await.unwrap();
    // Assert
    assert_eq!(e.dimensions(), LOCAL_DIMENSIONS);
    assert_eq!(e.model(), ScriptedEmbedder::MODEL);
    assert_eq!(v.len(), 3);
    for x in &v {
        assert_eq!(x.len(), 384);
        assert!((norm(x) - 1.0).abs() < 1e-5, "{}", norm(x));
    }
    assert_eq!(v[0], v[2]);
    assert_eq!(v[0], again[0], "a pure function of the text");
    assert_eq!(v[0], e.vector_for("tea"));
    assert!(dot(&v[0], &v[1]) < 0.5, "different texts point elsewhere");
}

#[tokio::test]
async fn dimensions_and_model_can_be_chosen() {
    let e = ScriptedEmbedder::with_dimensions(5).named("m-5");
    let v = e.embed(texts(&["x"])).await.unwrap();
    assert_eq!((e.dimensions(), e.model().as_str()), (5, "m-5"));
    assert_eq!(v[0].len(), 5);
    assert!((norm(&v[0]) - 1.0).abs() < 1e-5);
}

#[tokio::test]
async fn a_pinned_vector_is_normalised_and_wins_over_the_hash() {
    let e = ScriptedEmbedder::with_dimensions(3);
    e.set_vector("north", vec![0.0, 4.0, 0.0]);
    let v = e.embed(texts(&["north", "south"])).await.unwrap();
    assert_eq!(v[0], [0.0, 1.0, 0.0]);
    assert_eq!(v[1], e.vector_for("south"));
}

#[tokio::test]
async fn calls_are_recorded_and_a_failing_embedder_fails_closed() {
    // Arrange
    let e = ScriptedEmbedder::default();
    e.embed(texts(&["a", "b"])).await.unwrap();
    e.fail();
    // Act
    let down = e.embed(texts(&["c"])).await;
    e.fail_with(|| ProviderError::malformed("bad"));
    let malformed = e.embed(texts(&["d"])).await;
    e.recover();
    let back = e.embed(texts(&["e"])).await;
    // Assert
    assert!(matches!(down, Err(ProviderError::Unavailable { .. })));
    assert!(matches!(malformed, Err(ProviderError::Malformed { reason: m, .. }) if m == "bad"));
    assert!(back.is_ok());
    assert_eq!(
        e.calls(),
        [
            texts(&["a", "b"]),
            texts(&["c"]),
            texts(&["d"]),
            texts(&["e"])
        ]
    );
}
