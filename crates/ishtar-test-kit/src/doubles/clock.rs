//! A clock that stands still.

use std::sync::Mutex;

use ishtar_domain::ports::Clock;
use time::{Duration, OffsetDateTime};

/// A [`Clock`] that returns the same instant until the test [`set`](Self::set)s or
/// [`advance`](Self::advance)s it.
///
/// ```
/// use ishtar_domain::ports::Clock;
/// use ishtar_test_kit::FixedClock;
/// use time::{Duration, macros::datetime};
///
/// let clock = FixedClock::at(datetime!(2025-06-01 12:00 UTC));
/// assert_eq!(clock.now(), datetime!(2025-06-01 12:00 UTC));
/// clock.advance(Duration::minutes(90));
/// assert_eq!(clock.now(), datetime!(2025-06-01 13:30 UTC));
/// clock.set(datetime!(2030-01-01 0:00 UTC));
/// assert_eq!(clock.now(), datetime!(2030-01-01 0:00 UTC));
/// ```
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<OffsetDateTime>,
}

impl FixedClock {
    /// The instant [`FixedClock::default`] starts at: 2025-01-01 00:00:00 UTC.
    pub const DEFAULT_START: OffsetDateTime = time::macros::datetime!(2025-01-01 0:00 UTC);

    /// A clock standing at `at`.
    pub fn at(at: OffsetDateTime) -> Self {
        Self {
            now: Mutex::new(at),
        }
    }

    /// Moves the clock to `at` (backwards too).
    pub fn set(&self, at: OffsetDateTime) {
        *self.now.lock().unwrap() = at;
    }

    /// Moves the clock by `by` (negative moves it back).
    pub fn advance(&self, by: Duration) {
        *self.now.lock().unwrap() += by;
    }
}

impl Default for FixedClock {
    fn default() -> Self {
        Self::at(Self::DEFAULT_START)
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap()
    }
}
