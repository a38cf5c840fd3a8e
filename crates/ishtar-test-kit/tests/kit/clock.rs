use std::sync::Arc;

use ishtar_domain::ports::Clock;
use ishtar_test_kit::FixedClock;
use time::Duration;
use time::macros::datetime;

#[test]
fn the_clock_stands_still_until_moved() {
    let clock = FixedClock::at(datetime!(2025-06-01 12:00 UTC));
    assert_eq!(clock.now(), datetime!(2025-06-01 12:00 UTC));
    assert_eq!(clock.now(), clock.now());
}

#[test]
fn advance_moves_forward_and_back_and_set_jumps() {
    let clock = FixedClock::default();
    assert_eq!(clock.now(), FixedClock::DEFAULT_START);
    clock.advance(Duration::days(2));
    assert_eq!(clock.now(), datetime!(2025-01-03 0:00 UTC));
    clock.advance(Duration::hours(-1));
    assert_eq!(clock.now(), datetime!(2025-01-02 23:00 UTC));
    clock.set(datetime!(2020-02-29 6:30 UTC));
    assert_eq!(clock.now(), datetime!(2020-02-29 6:30 UTC));
}

#[test]
fn a_shared_clock_moves_for_the_code_under_test_too() {
    let clock = Arc::new(FixedClock::default());
    let port: Arc<dyn Clock> = clock.clone();
    clock.advance(Duration::seconds(30));
    assert_eq!(
        port.now(),
        FixedClock::DEFAULT_START + Duration::seconds(30)
    );
}
