//! The admission door: unique handles, the exact cap, withdrawals.

use std::future::Future;

use ishtar_domain::StoreError;
use ishtar_domain::chaperone::Verdict;
use ishtar_domain::model::{CapOutcome, CoupleState, PersonaId, PersonaStatus};
use ishtar_domain::ports::{ChaperoneEntry, Surface};

use crate::Stores;
use crate::checks::today;
use crate::fixtures::{admit, admitted, allowed, couple, now, owner, persona, together};

/// The venue's admitted count, as the console reads it (the cap's counter).
async fn admitted_count(s: &Stores) -> i64 {
    let (day_start, day) = today();
    s.console
        .snapshot(day_start, day, 0, 0)
        .await
        .expect("the snapshot is read")
        .admitted
}

/// `PersonaStore::insert_persona` and `PersonaLifecycleStore::persona_by_handle`: a handle is
/// unique regardless of ASCII case (the Postgres index is on `lower(handle)`), also when the
/// variants arrive at once; a refused write takes no slot; lookups ignore case too.
pub async fn handles_are_unique_whatever_their_case<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    let (wren, status) = admit(&s, "Wren", None, Some(5)).await;
    assert_eq!(status, PersonaStatus::Admitted);
    for taken in ["WREN", "wren", "wReN"] {
        let again = s
            .personas
            .insert_persona(
                persona(taken, None),
                PersonaStatus::Pending,
                allowed(),
                Some(5),
            )
            .await;
        assert!(
            matches!(again, Err(StoreError::Conflict("handle"))),
            "{taken:?} is the handle Wren: {again:?}"
        );
    }
    assert_eq!(admitted_count(&s).await, 1, "a refused write takes no slot");
    // Variants arriving together: exactly one is stored.
    let variants = ["Ada", "ada", "ADA", "aDa", "Ada", "adA"];
    let out = together(variants.len(), |i| {
        let personas = s.personas.clone();
        let handle = variants[i];
        async move {
            personas
                .insert_persona(
                    persona(handle, None),
                    PersonaStatus::Pending,
                    allowed(),
                    Some(5),
                )
                .await
        }
    })
    .await;
    assert_eq!(
        out.iter().filter(|r| r.is_ok()).count(),
        1,
        "one of the concurrent variants of a handle is stored: {out:?}"
    );
    assert!(
        out.iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(StoreError::Conflict("handle")))),
        "the others conflict on the handle: {out:?}"
    );
    assert_eq!(admitted_count(&s).await, 2);
    // Handles that differ in more than case are different handles.
    let (_, status) = admit(&s, "Wren2", None, Some(5)).await;
    assert_eq!(status, PersonaStatus::Admitted);
    // Looked up whatever the case.
    let found = s
        .lifecycle
        .persona_by_handle("wREN".into())
        .await
        .expect("read")
        .expect("Wren is found by any case");
    assert_eq!((found.id, found.handle.as_str()), (wren, "Wren"));
    assert_eq!(
        s.lifecycle.persona(wren).await.expect("read"),
        Some(found),
        "by id and by handle, the same persona"
    );
    assert_eq!(
        s.lifecycle
            .persona_by_handle("nobody".into())
            .await
            .expect("read"),
        None
    );
}

/// `PersonaStore::admit_within_cap`: 40 pending personas asking at once under a cap of 7
/// admit exactly 7, the rest are told `Full`; asking again for an admitted persona takes no
/// second slot; held personas never take one.
pub async fn the_cap_is_exact_under_concurrent_admissions<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    let mut waiting = Vec::new();
    for i in 0..40 {
        let (id, status) = admit(&s, &format!("p{i}"), None, None).await;
        assert_eq!(
            status,
            PersonaStatus::Pending,
            "without a cap, a persona waits"
        );
        waiting.push(id);
    }
    assert_eq!(admitted_count(&s).await, 0);
    let outcomes = together(waiting.len(), |i| {
        let personas = s.personas.clone();
        let id = waiting[i];
        async move { personas.admit_within_cap(id, 7, now()).await }
    })
    .await;
    let outcomes: Vec<CapOutcome> = outcomes
        .into_iter()
        .map(|r| r.expect("an admission is answered"))
        .collect();
    let admitted_ids: Vec<PersonaId> = waiting
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| **o == CapOutcome::Admitted)
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(
        admitted_ids.len(),
        7,
        "exactly 7 of 40 are admitted under cap 7"
    );
    assert_eq!(
        outcomes.iter().filter(|o| **o == CapOutcome::Full).count(),
        33,
        "the other 33 are told the venue is full"
    );
    assert_eq!(admitted_count(&s).await, 7);
    for (id, outcome) in waiting.iter().zip(&outcomes) {
        let record = s
            .lifecycle
            .persona(*id)
            .await
            .expect("read")
            .expect("found");
        let expected = match outcome {
            CapOutcome::Admitted => PersonaStatus::Admitted,
            CapOutcome::Full => PersonaStatus::Pending,
        };
        assert_eq!(
            record.status, expected,
            "persona {id} is stored as answered"
        );
    }
    // Again for an admitted persona, even under a higher cap: no second slot.
    assert_eq!(
        s.personas
            .admit_within_cap(admitted_ids[0], 100, now())
            .await
            .expect("answered"),
        CapOutcome::Admitted
    );
    assert_eq!(
        admitted_count(&s).await,
        7,
        "an admitted persona holds one slot"
    );
    // A held persona never takes a slot.
    let hold = Verdict::Hold("guard_unavailable: x".into());
    let (held, status) = s
        .personas
        .insert_persona(
            persona("held", None),
            PersonaStatus::Held,
            ChaperoneEntry::new(Surface::Heart, "persona", None, &hold, now()),
            Some(100),
        )
        .await
        .expect("stored");
    assert_eq!(
        status,
        PersonaStatus::Held,
        "a slot is for pending personas only"
    );
    assert_eq!(
        s.personas
            .admit_within_cap(held, 100, now())
            .await
            .expect("answered"),
        CapOutcome::Full
    );
    assert_eq!(admitted_count(&s).await, 7);
}

/// `PersonaStore::insert_persona` with a cap: 40 personas arriving at once under a cap of 7
/// store exactly 7 `admitted` and 33 `pending`, also while the beat admits waiting ones.
pub async fn the_cap_is_exact_when_personas_arrive_together<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    let mut waiting = Vec::new();
    for i in 0..10 {
        waiting.push(admit(&s, &format!("w{i}"), None, None).await.0);
    }
    // 40 at the door and 10 through the beat, all at once, under a cap of 7.
    let out = together(50, |i| {
        let personas = s.personas.clone();
        let beat = waiting.get(i.wrapping_sub(40)).copied();
        async move {
            match beat {
                Some(id) => match personas.admit_within_cap(id, 7, now()).await {
                    Ok(CapOutcome::Admitted) => Ok(PersonaStatus::Admitted),
                    Ok(CapOutcome::Full) => Ok(PersonaStatus::Pending),
                    Err(e) => Err(e),
                },
                None => personas
                    .insert_persona(
                        persona(&format!("d{i}"), None),
                        PersonaStatus::Pending,
                        allowed(),
                        Some(7),
                    )
                    .await
                    .map(|(_, status)| status),
            }
        }
    })
    .await;
    let statuses: Vec<PersonaStatus> = out
        .into_iter()
        .map(|r| r.expect("every persona is answered"))
        .collect();
    let admitted = statuses
        .iter()
        .filter(|s| **s == PersonaStatus::Admitted)
        .count();
    assert_eq!(
        admitted, 7,
        "exactly 7 of 50 take a slot under cap 7: {statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| matches!(s, PersonaStatus::Admitted | PersonaStatus::Pending)),
        "the others wait pending"
    );
    assert_eq!(admitted_count(&s).await, 7);
    let (day_start, day) = today();
    let by_status = s
        .console
        .snapshot(day_start, day, 0, 0)
        .await
        .expect("read")
        .personas_by_status;
    let count = |k: &str| {
        by_status
            .iter()
            .find(|(status, _)| status == k)
            .map_or(0, |(_, n)| *n)
    };
    assert_eq!((count("admitted"), count("pending")), (7, 43));
}

/// `PersonaLifecycleStore::retire`: withdrawing ends the persona's live couples, frees its
/// place once, and a second withdrawal changes nothing; only its owner may withdraw it.
pub async fn withdrawing_frees_a_place_once_and_ends_live_couples<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    let (a, b) = (owner(&s, 1).await, owner(&s, 2).await);
    let pa = admitted(&s, "pa", a).await;
    let pb = admitted(&s, "pb", b).await;
    let pc = admitted(&s, "pc", b).await;
    let live = couple(&s, pa, pb).await;
    assert_eq!(admitted_count(&s).await, 3);
    assert_eq!(
        s.lifecycle.retire(pa, b, now()).await.expect("answered"),
        None,
        "another owner cannot withdraw the persona"
    );
    let retired = s
        .lifecycle
        .retire(pa, a, now())
        .await
        .expect("answered")
        .expect("the owner withdraws it");
    assert_eq!(retired.was, PersonaStatus::Admitted);
    let ended: Vec<_> = retired
        .ended
        .iter()
        .map(|e| (e.couple, e.partner))
        .collect();
    assert_eq!(
        ended,
        vec![(live, pb)],
        "its live couple ends, partner told"
    );
    assert_eq!(
        s.couples.couple(live).await.expect("read").map(|c| c.state),
        Some(CoupleState::Ended)
    );
    assert_eq!(admitted_count(&s).await, 2, "its place is freed");
    let again = s
        .lifecycle
        .retire(pa, a, now())
        .await
        .expect("answered")
        .expect("still the owner's");
    assert_eq!((again.was, again.ended.len()), (PersonaStatus::Retired, 0));
    assert_eq!(admitted_count(&s).await, 2, "no second place is freed");
    assert_eq!(
        s.lifecycle
            .persona(pa)
            .await
            .expect("read")
            .map(|p| p.status),
        Some(PersonaStatus::Retired)
    );
    assert_eq!(
        s.lifecycle
            .persona(pc)
            .await
            .expect("read")
            .map(|p| p.status),
        Some(PersonaStatus::Admitted),
        "the other personas are untouched"
    );
}
