//! What the checks arrange, through the ports only: owners, personas, endpoints, couples.

use std::future::Future;
use std::sync::Arc;

use ishtar_domain::chaperone::Verdict;
use ishtar_domain::model::{
    ActiveMarket, CoupleId, EndpointCallback, EndpointId, Handle, HomeMarket, NewEndpoint,
    NewHeartFile, NewPersona, OwnerId, PersonaId, PersonaStatus, ResearchOptin, Runtime,
    challenge_nonce,
};
use ishtar_domain::ports::{ChaperoneEntry, NewCouple, Surface};
use serde_json::json;
use time::OffsetDateTime;

use crate::Stores;

/// The time now, to the microsecond (what Postgres keeps), so times read back compare equal.
pub(crate) fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

/// A 32-byte token hash made of `seed`.
pub(crate) fn token(seed: u8) -> Vec<u8> {
    vec![seed; 32]
}

/// A dating doc in the NYC market, remote-friendly.
pub(crate) fn doc(about: &str, contact: Option<&str>) -> NewHeartFile {
    NewHeartFile {
        display_name: Some("Wren".into()),
        home_market: HomeMarket::Nyc,
        active_market: ActiveMarket::Remote,
        available_for: None,
        research_optin: ResearchOptin::None,
        age_attested: true,
        contact_ref: contact.map(str::to_owned),
        heart: json!({ "about": about }),
        heart_hash: format!("doc-{about}"),
    }
}

/// The chaperone's line allowing a dating doc.
pub(crate) fn doc_log() -> ChaperoneEntry {
    ChaperoneEntry::new(Surface::Heart, "heart_file", None, &Verdict::Allow, now())
}

/// The chaperone's line allowing a persona at the door.
pub(crate) fn allowed() -> ChaperoneEntry {
    ChaperoneEntry::new(Surface::Heart, "persona", None, &Verdict::Allow, now())
}

/// A persona named `handle`, of `owner` (its heart hash is computed from its heart).
pub(crate) fn persona(handle: &str, owner: Option<OwnerId>) -> NewPersona {
    NewPersona::new(
        owner,
        Handle::parse(handle).expect("the checks use no reserved handle"),
        "m",
        json!({ "about": format!("heart of {handle}") }),
        false,
        "nyc",
        "remote",
    )
}

/// Creates an owner holding `token(seed)`, with an allowed dating doc.
pub(crate) async fn owner(s: &Stores, seed: u8) -> OwnerId {
    s.owners
        .create_owner(
            token(seed),
            doc(&format!("owner {seed}"), None),
            doc_log(),
            now(),
        )
        .await
        .expect("an owner is created")
        .owner_id
}

/// Stores an allowed persona and asks for a slot under `cap`; returns it and its status.
pub(crate) async fn admit(
    s: &Stores,
    handle: &str,
    owner: Option<OwnerId>,
    cap: Option<u32>,
) -> (PersonaId, PersonaStatus) {
    s.personas
        .insert_persona(
            persona(handle, owner),
            PersonaStatus::Pending,
            allowed(),
            cap,
        )
        .await
        .expect("a persona is stored")
}

/// An admitted persona of `owner` (the cap is generous).
pub(crate) async fn admitted(s: &Stores, handle: &str, owner: OwnerId) -> PersonaId {
    let (id, status) = admit(s, handle, Some(owner), Some(1_000)).await;
    assert_eq!(status, PersonaStatus::Admitted, "{handle} is admitted");
    id
}

/// Registers and activates an endpoint of `owner` with a callback URL and a secret.
pub(crate) async fn active_endpoint(s: &Stores, owner: OwnerId, url: &str) -> EndpointId {
    let id = s
        .agents
        .register_endpoint(
            NewEndpoint::new(
                Some(owner),
                None,
                Runtime::Other,
                Some(EndpointCallback {
                    url: url.into(),
                    secret: "s3cret".into(),
                }),
                None,
                challenge_nonce("00000000-0000-4000-8000-000000000001", now()),
            )
            .expect("a valid registration"),
            now(),
        )
        .await
        .expect("an endpoint is registered");
    s.agents
        .activate_endpoint(id, "callback", now())
        .await
        .expect("an endpoint is activated");
    id
}

/// A fresh beat cycle id (a UUID, as the beat names its cycles).
pub(crate) fn cycle(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// The matchmaker's new couple of `a` and `b` under the reserved `id`.
pub(crate) fn new_couple(id: CoupleId, a: PersonaId, b: PersonaId) -> NewCouple {
    NewCouple {
        id,
        a,
        b,
        similarity: Some(0.9),
        gambit: format!("gambit for couple {}", id.0),
        gambit_log: Some(ChaperoneEntry::new(
            Surface::Gambit,
            "couple",
            Some(id.0),
            &Verdict::Allow,
            now(),
        )),
        board_line: format!("A new couple formed (couple {}).", id.0),
        events: [
            (a, json!({ "coupleId": id.0 })),
            (b, json!({ "coupleId": id.0 })),
        ],
    }
}

/// Forms a couple of two admitted personas, as a beat writes it; returns its id.
pub(crate) async fn couple(s: &Stores, a: PersonaId, b: PersonaId) -> CoupleId {
    let ids = s
        .matches
        .reserve_couple_ids(1)
        .await
        .expect("a couple id is reserved");
    let id = ids[0];
    let written = s
        .matches
        .write_beat(cycle(1), vec![new_couple(id, a, b)], now())
        .await
        .expect("the beat is written");
    assert_eq!(written.created, vec![id], "the couple is created");
    id
}

/// Runs `n` copies of `job(i)` at once on the runtime's workers; their outputs in `i` order.
pub(crate) async fn together<T, F, Fut>(n: usize, job: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let barrier = barrier.clone();
            let fut = job(i);
            tokio::spawn(async move {
                barrier.wait().await;
                fut.await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.expect("a concurrent job does not panic"));
    }
    out
}
