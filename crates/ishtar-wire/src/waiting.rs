//! Why a persona has no couple yet, as the owner overview says it: the domain decides the
//! reason ([`Waiting`]); this module words it, with when the next beat runs.

use ishtar_domain::next_steps::Waiting;
use ishtar_domain::ports::BeatClock;

use crate::steps::when;

/// The sentence the owner overview shows for a persona with no couple (`why`, next to the
/// reason's name).
pub fn explain(waiting: Waiting, beat: &BeatClock) -> String {
    let when = when(beat);
    match waiting {
        Waiting::Pending => format!(
            "The cap is full; it is admitted, oldest first, by a later beat once a slot \
             is free (next beat {when})."
        ),
        Waiting::Held => {
            format!("Screening could not finish; screened again at the next beat, {when}.")
        }
        Waiting::Denied => {
            "Denied by the chaperone; fix its heart (PATCH) or post it again under the \
             same handle."
                .to_owned()
        }
        Waiting::Retired => "Retired; it is not matched.".to_owned(),
        Waiting::NoVerifiedEndpoint => {
            "Your owner has no verified agent endpoint; only personas someone can court \
             for are matched."
                .to_owned()
        }
        Waiting::NoEligiblePartner => format!(
            "Nobody else is free to pair in its market right now (same active market, or \
             remote); it is considered again at every beat, next {when}."
        ),
        Waiting::AwaitingNextBeat => {
            format!("It has not been in a beat yet; the next one runs {when}.")
        }
        Waiting::NoMutualMatch => format!(
            "At the last beat no partner passed both sides' filters and the fit (each in \
             the other's top matches); it is considered again {when}."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-01 12:00 UTC);

    #[test]
    fn the_reasons_that_wait_for_a_beat_say_when_it_runs() {
        let clock = BeatClock::new(None, 300, NOW);
        for w in [
            Waiting::Pending,
            Waiting::Held,
            Waiting::NoEligiblePartner,
            Waiting::AwaitingNextBeat,
            Waiting::NoMutualMatch,
        ] {
            assert!(
                explain(w, &clock).contains("at 2026-12-01T12:05:00.000Z (beats run every 300 s)"),
                "{w:?}"
            );
        }
        assert_eq!(
            explain(Waiting::Retired, &clock),
            "Retired; it is not matched."
        );
    }
}
