//! Ids that count.

use std::sync::atomic::{AtomicU64, Ordering};

use ishtar_domain::ports::Ids;

/// [`Ids`] that count instead of drawing randomness: the n-th [`uuid`](Ids::uuid) is
/// `Uuid::from_u128(n)` hyphenated, and the n-th [`secret_bytes`](Ids::secret_bytes) is
/// `n` as 8 big-endian bytes repeated four times. Both counters start at 1 and are
/// independent, so every value is distinct and a test can predict it.
///
/// ```
/// use ishtar_domain::ports::Ids;
/// use ishtar_test_kit::SequentialIds;
///
/// let ids = SequentialIds::default();
/// assert_eq!(ids.uuid(), "00000000-0000-0000-0000-000000000001");
/// assert_eq!(ids.uuid(), "00000000-0000-0000-0000-000000000002");
/// assert_eq!(ids.secret_bytes(), SequentialIds::secret(1));
/// assert_ne!(ids.secret_bytes(), SequentialIds::secret(1));
/// assert_eq!(ids.uuids_issued(), 2);
/// ```
#[derive(Debug, Default)]
pub struct SequentialIds {
    uuids: AtomicU64,
    secrets: AtomicU64,
}

impl SequentialIds {
    /// The `n`-th uuid this double hands out (1-based).
    pub fn uuid_n(n: u64) -> String {
        uuid::Uuid::from_u128(u128::from(n))
            .hyphenated()
            .to_string()
    }

    /// The `n`-th secret this double hands out (1-based).
    pub fn secret(n: u64) -> [u8; 32] {
        let mut out = [0_u8; 32];
        for chunk in out.chunks_exact_mut(8) {
            chunk.copy_from_slice(&n.to_be_bytes());
        }
        out
    }

    /// How many uuids were handed out so far.
    pub fn uuids_issued(&self) -> u64 {
        self.uuids.load(Ordering::SeqCst)
    }

    /// How many secrets were handed out so far.
    pub fn secrets_issued(&self) -> u64 {
        self.secrets.load(Ordering::SeqCst)
    }
}

impl Ids for SequentialIds {
    fn secret_bytes(&self) -> [u8; 32] {
        Self::secret(self.secrets.fetch_add(1, Ordering::SeqCst) + 1)
    }

    fn uuid(&self) -> String {
        Self::uuid_n(self.uuids.fetch_add(1, Ordering::SeqCst) + 1)
    }
}
