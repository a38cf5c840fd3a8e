use std::collections::HashSet;

use ishtar_domain::ports::Ids;
use ishtar_test_kit::SequentialIds;

#[test]
fn uuids_count_from_one_and_parse() {
    let ids = SequentialIds::default();
    let a = ids.uuid();
    let b = ids.uuid();
    assert_eq!(a, "00000000-0000-0000-0000-000000000001");
    assert_eq!(b, "00000000-0000-0000-0000-000000000002");
    assert_eq!(b, SequentialIds::uuid_n(2));
    assert_eq!(uuid::Uuid::parse_str(&b).unwrap().as_u128(), 2);
    assert_eq!(ids.uuids_issued(), 2);
}

#[test]
fn secrets_are_distinct_predictable_and_counted_apart_from_uuids() {
    let ids = SequentialIds::default();
    ids.uuid();
    let secrets: Vec<[u8; 32]> = (0..100).map(|_| ids.secret_bytes()).collect();
    assert_eq!(
        secrets[0],
        SequentialIds::secret(1),
        "uuids do not advance secrets"
    );
    assert_eq!(secrets[0][7], 1);
    assert_eq!(secrets[0][31], 1);
    assert_eq!(secrets.iter().collect::<HashSet<_>>().len(), 100);
    assert_eq!(ids.secrets_issued(), 100);
    assert_eq!(ids.uuids_issued(), 1);
}

#[test]
fn two_doubles_hand_out_the_same_sequence() {
    let (a, b) = (SequentialIds::default(), SequentialIds::default());
    for _ in 0..5 {
        assert_eq!(a.uuid(), b.uuid());
        assert_eq!(a.secret_bytes(), b.secret_bytes());
    }
}
