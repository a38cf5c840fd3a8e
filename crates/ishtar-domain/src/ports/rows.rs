//! What a store writes for a port call, worked out once here so that every adapter (the
//! Postgres store in SQL, the in-memory store in Rust) writes the same rows.

use crate::model::{OwnerId, PersonaId, PersonaStatus};

use super::{NewCouple, NewEvent, Recipient, SnapshotCounts};

impl SnapshotCounts {
    /// How many personas wait `pending` for a place ([`ConsoleData::pending`]): their
    /// entry in [`SnapshotCounts::personas_by_status`], 0 when there is none.
    ///
    /// [`ConsoleData::pending`]: super::ConsoleData::pending
    pub fn pending(&self) -> i64 {
        self.personas_by_status
            .iter()
            .find(|(status, _)| status == PersonaStatus::Pending.as_str())
            .map_or(0, |(_, n)| *n)
    }
}

/// One event to write to an owner's feed (and queue for that owner's active,
/// callback-bearing endpoints), before its owner is resolved: the store finds the owner of
/// [`EventRow::persona`] (dropping the row when there is none) or takes
/// [`EventRow::owner`], numbers the event and adds its id to the body as `id`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventRow<'a> {
    /// For this persona's owner.
    pub persona: Option<PersonaId>,
    /// For this owner.
    pub owner: Option<OwnerId>,
    /// A persona whose owner the body quotes (the beat knows partners by persona).
    pub about_persona: Option<PersonaId>,
    /// The owner the body quotes (docs/erasure.md: erasing that owner deletes the event).
    pub about: Option<OwnerId>,
    /// The event's kind.
    pub kind: &'a str,
    /// The body but its `id`.
    pub body: &'a serde_json::Value,
}

impl<'a> EventRow<'a> {
    /// The same event for each persona's owner ([`Outbox::enqueue`]); the store writes it
    /// once per owner.
    ///
    /// [`Outbox::enqueue`]: super::Outbox::enqueue
    pub fn for_personas(
        personas: &[PersonaId],
        kind: &'a str,
        body: &'a serde_json::Value,
    ) -> Vec<Self> {
        personas
            .iter()
            .map(|p| EventRow {
                persona: Some(*p),
                owner: None,
                about_persona: None,
                about: None,
                kind,
                body,
            })
            .collect()
    }

    /// The events as published ([`Outbox::publish`]), each to its recipient.
    ///
    /// [`Outbox::publish`]: super::Outbox::publish
    pub fn published(events: &'a [NewEvent]) -> Vec<Self> {
        events
            .iter()
            .map(|e| {
                let (persona, owner) = match e.to {
                    Recipient::Persona(p) => (Some(p), None),
                    Recipient::Owner(o) => (None, Some(o)),
                };
                EventRow {
                    persona,
                    owner,
                    about_persona: None,
                    about: e.about,
                    kind: e.kind,
                    body: &e.body,
                }
            })
            .collect()
    }

    /// Each new couple's member events ([`NewCouple::events`], of `kind`), each quoting
    /// the partner's owner (docs/erasure.md).
    pub fn couples_formed(couples: &[&'a NewCouple], kind: &'a str) -> Vec<Self> {
        couples
            .iter()
            .flat_map(|n| {
                n.events.iter().map(move |(member, body)| EventRow {
                    persona: Some(*member),
                    owner: None,
                    about_persona: Some(if *member == n.a { n.b } else { n.a }),
                    about: None,
                    kind,
                    body,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CoupleId;
    use serde_json::json;

    #[test]
    fn pending_is_the_pending_status_count() {
        let mut counts = SnapshotCounts::default();
        assert_eq!(counts.pending(), 0);
        counts.personas_by_status = vec![("admitted".into(), 3), ("pending".into(), 5)];
        assert_eq!(counts.pending(), 5);
    }

    #[test]
    fn rows_name_the_recipient_and_whom_the_body_quotes() {
        let body = json!({"k": 1});
        let rows = EventRow::for_personas(&[PersonaId(1), PersonaId(2)], "x.y", &body);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[1].persona, rows[1].owner, rows[1].about, rows[1].kind),
            (Some(PersonaId(2)), None, None, "x.y")
        );
        let events = [
            NewEvent {
                to: Recipient::Owner(OwnerId(7)),
                kind: "a.b",
                body: json!({}),
                about: Some(OwnerId(8)),
            },
            NewEvent {
                to: Recipient::Persona(PersonaId(3)),
                kind: "c.d",
                body: json!({}),
                about: None,
            },
        ];
        let rows = EventRow::published(&events);
        assert_eq!(
            (rows[0].persona, rows[0].owner, rows[0].about),
            (None, Some(OwnerId(7)), Some(OwnerId(8)))
        );
        assert_eq!((rows[1].persona, rows[1].owner), (Some(PersonaId(3)), None));
        let couple = NewCouple {
            id: CoupleId(1),
            a: PersonaId(4),
            b: PersonaId(5),
            similarity: None,
            gambit: String::new(),
            gambit_log: None,
            board_line: String::new(),
            events: [(PersonaId(4), json!({})), (PersonaId(5), json!({}))],
        };
        let rows = EventRow::couples_formed(&[&couple], "couple.formed");
        assert_eq!(
            rows.iter()
                .map(|r| (r.persona, r.about_persona))
                .collect::<Vec<_>>(),
            vec![
                (Some(PersonaId(4)), Some(PersonaId(5))),
                (Some(PersonaId(5)), Some(PersonaId(4)))
            ]
        );
    }
}
