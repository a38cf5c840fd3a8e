//! Couples, their turns, the boards, reports, the beat and the guide.

use std::future::Future;
use std::time::Duration as StdDuration;

use ishtar_domain::model::{
    CoupleId, CoupleState, NewReport, NewTurn, OwnerId, PersonaId, PersonaStatus, ReportTarget,
    TurnId, TurnStatus,
};
use ishtar_domain::ports::{BeatRecord, CoupleTurn, NewPost};
use time::Duration;

use crate::Stores;
use crate::fixtures::{
    active_endpoint, admit, admitted, couple, cycle, new_couple, now, owner, together,
};

fn turn(couple: CoupleId, author: PersonaId, body: &str, status: TurnStatus) -> NewTurn {
    NewTurn {
        couple,
        author_persona: Some(author),
        author: format!("persona {}", author.0),
        body: body.into(),
        status,
        reason: if status == TurnStatus::Published {
            "allowed".into()
        } else {
            "guard_unavailable: x".into()
        },
    }
}

/// Reads every turn `viewer` may see, `limit` at a time, with the `since` cursor.
async fn read_all(s: &Stores, id: CoupleId, viewer: PersonaId, limit: u32) -> Vec<CoupleTurn> {
    let mut out: Vec<CoupleTurn> = Vec::new();
    let mut since: Option<TurnId> = None;
    loop {
        let page = s
            .couples
            .couple_turns(id, viewer, since, limit)
            .await
            .expect("a page is read");
        assert!(
            page.len() <= limit as usize,
            "a page holds at most the limit"
        );
        let Some(last) = page.last() else {
            return out;
        };
        since = Some(last.id);
        out.extend(page);
    }
}

/// `CoupleStore` and `BoardStore::courtship_turns`: a couple's turns are listed oldest first
/// with a `since` cursor — the published ones and the viewer's own in any status, never the
/// partner's unpublished ones — and the courtships board pages published turns newest first
/// with a `before` cursor.
pub async fn a_couples_turns_are_listed_in_order_with_a_cursor<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    let (a, b) = (owner(&s, 1).await, owner(&s, 2).await);
    let (pa, pb) = (admitted(&s, "pa", a).await, admitted(&s, "pb", b).await);
    let id = couple(&s, pa, pb).await;
    let view = s.couples.couple(id).await.expect("read").expect("found");
    assert_eq!(view.state, CoupleState::Courting);
    let mut members = [
        (view.a.persona, view.a.owner),
        (view.b.persona, view.b.owner),
    ];
    members.sort();
    let mut expected = [(pa, Some(a)), (pb, Some(b))];
    expected.sort();
    assert_eq!(members, expected, "the couple's two sides");
    let written = [
        (pa, "a1", TurnStatus::Published),
        (pb, "b1", TurnStatus::Published),
        (pb, "b-held", TurnStatus::Held),
        (pa, "a-held", TurnStatus::Held),
        (pa, "a2", TurnStatus::Published),
        (pb, "b-blocked", TurnStatus::Blocked),
    ];
    let mut ids = Vec::new();
    for (author, body, status) in written {
        ids.push(
            s.couples
                .insert_turn(turn(id, author, body, status), now())
                .await
                .expect("a turn is stored"),
        );
    }
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "turn ids grow: {ids:?}"
    );
    let bodies =
        |turns: &[CoupleTurn]| -> Vec<String> { turns.iter().map(|t| t.body.clone()).collect() };
    let seen_by_a = read_all(&s, id, pa, 100).await;
    let gambit = format!("gambit for couple {}", id.0);
    assert_eq!(
        bodies(&seen_by_a),
        vec![gambit.as_str(), "a1", "b1", "a-held", "a2"],
        "a sees the published turns and its own held one, oldest first"
    );
    assert_eq!(
        (seen_by_a[0].author.as_str(), seen_by_a[0].author_persona),
        ("matchmaker", None),
        "the opening turn is the matchmaker's"
    );
    let held = &seen_by_a[3];
    assert_eq!(
        (held.status, held.author_persona),
        (TurnStatus::Held, Some(pa))
    );
    assert_eq!(
        bodies(&read_all(&s, id, pb, 100).await),
        vec![gambit.as_str(), "a1", "b1", "b-held", "a2", "b-blocked"],
        "b sees its own unpublished turns, not a's"
    );
    assert_eq!(
        read_all(&s, id, pa, 2).await,
        seen_by_a,
        "paging two at a time reads the same turns"
    );
    assert!(
        s.couples
            .couple_turns(id, pa, Some(ids[4]), 10)
            .await
            .expect("read")
            .is_empty(),
        "nothing after a's last visible turn"
    );
    // The courtships board: published only, newest first, `before` pages back.
    let board = s
        .boards
        .courtship_turns(Some(id), None, 2)
        .await
        .expect("read");
    let board_bodies: Vec<&str> = board.iter().map(|t| t.body.as_str()).collect();
    assert_eq!(board_bodies, vec!["a2", "b1"]);
    let older = s
        .boards
        .courtship_turns(Some(id), board.last().map(|t| t.id), 10)
        .await
        .expect("read");
    let older_bodies: Vec<&str> = older.iter().map(|t| t.body.as_str()).collect();
    assert_eq!(older_bodies, vec!["a1", gambit.as_str()]);
    assert!(older.iter().all(|t| t.couple == id));
    // Facts read for a member: the newest turn it may see.
    let facts = s
        .couples
        .couple_facts(id, pb, pa)
        .await
        .expect("read")
        .expect("the couple exists");
    assert_eq!(
        facts.last_turn.map(|t| t.body).as_deref(),
        Some("b-blocked")
    );
    assert_eq!(
        s.couples
            .couple_facts(CoupleId(999_999), pa, pb)
            .await
            .expect("read"),
        None
    );
    // Ending: a courting couple ends; an ended one stays ended.
    assert_eq!(
        s.couples.end_couple(id, a, now()).await.expect("answered"),
        CoupleState::Ended
    );
    assert_eq!(
        s.couples.end_couple(id, b, now()).await.expect("answered"),
        CoupleState::Ended
    );
    assert_eq!(
        s.couples.couple(id).await.expect("read").map(|c| c.state),
        Some(CoupleState::Ended)
    );
    assert_eq!(
        s.couples.couple(CoupleId(999_999)).await.expect("read"),
        None
    );
}

/// `CoupleStore::insert_turn` / `couple_turns`: a reader paging with `since` while 30 turns
/// are written at once reads every turn exactly once, in id order.
pub async fn concurrent_turns_are_never_skipped_by_a_cursor<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    let (a, b) = (owner(&s, 1).await, owner(&s, 2).await);
    let (pa, pb) = (admitted(&s, "pa", a).await, admitted(&s, "pb", b).await);
    let id = couple(&s, pa, pb).await;
    let reader = {
        let couples = s.couples.clone();
        tokio::spawn(async move {
            let mut seen: Vec<TurnId> = Vec::new();
            let mut since = None;
            // Reads until it has the gambit and all 30 turns.
            for _ in 0..2_000 {
                let page = couples
                    .couple_turns(id, pa, since, 3)
                    .await
                    .expect("a page is read");
                if let Some(last) = page.last() {
                    since = Some(last.id);
                }
                seen.extend(page.iter().map(|t| t.id));
                if seen.len() >= 31 {
                    break;
                }
                tokio::time::sleep(StdDuration::from_millis(1)).await;
            }
            seen
        })
    };
    let written = together(30, |i| {
        let couples = s.couples.clone();
        let author = if i % 2 == 0 { pa } else { pb };
        async move {
            couples
                .insert_turn(
                    turn(id, author, &format!("t{i}"), TurnStatus::Published),
                    now(),
                )
                .await
        }
    })
    .await;
    let mut written: Vec<TurnId> = written
        .into_iter()
        .map(|r| r.expect("a turn is stored"))
        .collect();
    written.sort();
    let seen = reader.await.expect("the reader does not panic");
    assert_eq!(seen.len(), 31, "the reader saw every turn once: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in id order");
    assert_eq!(seen[1..], written[..], "the very turns written");
}

/// `BoardStore`: concurrent posts by one persona leave exactly one live post on the board;
/// only admitted personas post; boards page newest first with `before`; the poster reads
/// back.
pub async fn a_persona_keeps_one_live_post_per_board_and_boards_page_newest_first<F, Fut>(
    factory: F,
) where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    let a = owner(&s, 1).await;
    let pa = admitted(&s, "pa", a).await;
    let pb = admitted(&s, "pb", a).await;
    let post = |persona: PersonaId, handle: &str, body: String| NewPost {
        board: "seeking",
        persona,
        handle: handle.into(),
        body,
    };
    let out = together(10, |i| {
        let boards = s.boards.clone();
        let p = post(pa, "pa", format!("take {i}"));
        async move { boards.replace_post(p, now()).await }
    })
    .await;
    let out: Vec<(i64, u64)> = out
        .into_iter()
        .map(|r| r.expect("answered").expect("an admitted persona posts"))
        .collect();
    assert_eq!(
        out.iter().map(|(_, replaced)| replaced).sum::<u64>(),
        9,
        "each post but the first replaced exactly one earlier post"
    );
    let live = s
        .boards
        .board_posts("seeking".into(), None, 100)
        .await
        .expect("read");
    assert_eq!(
        live.len(),
        1,
        "one live post per persona per board: {live:?}"
    );
    assert!(out.iter().any(|(id, _)| *id == live[0].id));
    let (pending, _) = admit(&s, "waiting", Some(a), None).await;
    assert_eq!(
        s.boards
            .replace_post(post(pending, "waiting", "hi".into()), now())
            .await
            .expect("answered"),
        None,
        "a persona that is not admitted does not post"
    );
    s.boards
        .replace_post(post(pb, "pb", "pb's".into()), now())
        .await
        .expect("answered")
        .expect("posted");
    for i in 0..5 {
        s.outbox
            .post_board(
                "notifications".into(),
                "matchmaker".into(),
                format!("line {i}"),
                None,
                now(),
            )
            .await
            .expect("a venue line is posted");
    }
    let first = s
        .boards
        .board_posts("notifications".into(), None, 3)
        .await
        .expect("read");
    let bodies: Vec<&str> = first.iter().map(|p| p.body.as_str()).collect();
    assert_eq!(bodies, vec!["line 4", "line 3", "line 2"], "newest first");
    let rest = s
        .boards
        .board_posts("notifications".into(), first.last().map(|p| p.id), 3)
        .await
        .expect("read");
    let bodies: Vec<&str> = rest.iter().map(|p| p.body.as_str()).collect();
    assert_eq!(bodies, vec!["line 1", "line 0"], "`before` pages back");
    assert_eq!(
        s.boards
            .board_posts("seeking".into(), None, 100)
            .await
            .expect("read")
            .len(),
        2,
        "boards do not mix"
    );
    let poster = s.boards.poster(pa).await.expect("read").expect("found");
    assert_eq!(
        (poster.owner, poster.handle.as_str(), poster.status),
        (Some(a), "pa", PersonaStatus::Admitted)
    );
    assert_eq!(
        s.boards.poster(PersonaId(999_999)).await.expect("read"),
        None
    );
}

/// `ReportStore::file_report`: a report is stored when its target exists and refused
/// (`false`) when it does not.
pub async fn reports_are_stored_only_for_existing_targets<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    let (a, b) = (owner(&s, 1).await, owner(&s, 2).await);
    let (pa, pb) = (admitted(&s, "pa", a).await, admitted(&s, "pb", b).await);
    let id = couple(&s, pa, pb).await;
    let turn_id = s
        .couples
        .insert_turn(turn(id, pa, "hello", TurnStatus::Published), now())
        .await
        .expect("stored");
    let (post, _) = s
        .boards
        .replace_post(
            NewPost {
                board: "seeking",
                persona: pa,
                handle: "pa".into(),
                body: "hi".into(),
            },
            now(),
        )
        .await
        .expect("answered")
        .expect("posted");
    let report = |target, target_id| NewReport {
        target,
        target_id,
        reason: Some("spam".into()),
    };
    for (target, target_id) in [
        (ReportTarget::Persona, pa.0),
        (ReportTarget::Couple, id.0),
        (ReportTarget::Turn, turn_id.0),
        (ReportTarget::Post, post),
    ] {
        assert!(
            s.reports
                .file_report(report(target, target_id), now())
                .await
                .expect("answered"),
            "a report about an existing {target:?} is stored"
        );
    }
    for target in [
        ReportTarget::Persona,
        ReportTarget::Couple,
        ReportTarget::Turn,
        ReportTarget::Post,
    ] {
        assert!(
            !s.reports
                .file_report(report(target, 999_999), now())
                .await
                .expect("answered"),
            "a report about a missing {target:?} is refused"
        );
    }
}

/// `MatchStore`: the beat lock is held by one beat at a time; re-writing a beat's pairs
/// (either way round) creates nothing; reserved couple ids are never reused; eligibility,
/// embeddings (first write wins) and beat records read back.
pub async fn a_beat_never_duplicates_a_pair_and_the_beat_lock_is_exclusive<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    // The lock: one holder; free again once dropped (the release may take a moment).
    let lease = s
        .matches
        .try_lock_beat()
        .await
        .expect("answered")
        .expect("the first beat takes the lock");
    assert!(
        s.matches.try_lock_beat().await.expect("answered").is_none(),
        "a second beat does not"
    );
    drop(lease);
    let mut relocked = None;
    for _ in 0..100 {
        relocked = s.matches.try_lock_beat().await.expect("answered");
        if relocked.is_some() {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    assert!(relocked.is_some(), "a dropped lease frees the lock");
    drop(relocked);

    let owners = [
        owner(&s, 1).await,
        owner(&s, 2).await,
        owner(&s, 3).await,
        owner(&s, 4).await,
    ];
    let mut ps = Vec::new();
    for (i, o) in owners.iter().enumerate() {
        ps.push(admitted(&s, &format!("p{i}"), *o).await);
    }
    // Eligible: admitted, with an owner who has a verified endpoint, not in a couple.
    active_endpoint(&s, owners[0], "http://127.0.0.1:9/0").await;
    active_endpoint(&s, owners[1], "http://127.0.0.1:9/1").await;
    let eligible: Vec<PersonaId> = s
        .matches
        .eligible_personas()
        .await
        .expect("read")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(eligible, vec![ps[0], ps[1]], "in persona-id order");

    let first = s.matches.reserve_couple_ids(2).await.expect("reserved");
    let written = s
        .matches
        .write_beat(
            cycle(1),
            vec![
                new_couple(first[0], ps[0], ps[1]),
                new_couple(first[1], ps[2], ps[3]),
            ],
            now(),
        )
        .await
        .expect("written");
    assert_eq!(written.created, first);
    assert!(
        s.matches
            .eligible_personas()
            .await
            .expect("read")
            .is_empty(),
        "personas in a courting couple are not eligible"
    );
    let again = s.matches.reserve_couple_ids(2).await.expect("reserved");
    assert!(
        again.iter().all(|id| !first.contains(id)),
        "couple ids are never reused: {first:?} then {again:?}"
    );
    let rewritten = s
        .matches
        .write_beat(
            cycle(2),
            vec![
                new_couple(again[0], ps[1], ps[0]),
                new_couple(again[1], ps[2], ps[3]),
            ],
            now(),
        )
        .await
        .expect("written");
    assert!(
        rewritten.created.is_empty(),
        "a pair written again, either way round, is skipped"
    );
    let mut pairs = s.matches.past_pairs().await.expect("read");
    pairs.sort();
    assert_eq!(
        pairs,
        vec![
            (ps[0].min(ps[1]), ps[0].max(ps[1])),
            (ps[2].min(ps[3]), ps[2].max(ps[3]))
        ],
        "two couples, each once, a < b"
    );
    for (id, (a, _)) in first.iter().zip([(ps[0], ps[1]), (ps[2], ps[3])]) {
        let turns = s
            .couples
            .couple_turns(*id, a, None, 10)
            .await
            .expect("read");
        assert_eq!(turns.len(), 1, "one opening turn per couple, never two");
    }

    // Embeddings: keyed by (key, model); a key stored before is left as it is.
    let model = "m-1".to_owned();
    s.matches
        .save_embeddings(model.clone(), vec![("k".into(), vec![1.0, 0.0])], now())
        .await
        .expect("saved");
    s.matches
        .save_embeddings(
            model.clone(),
            vec![("k".into(), vec![0.0, 1.0]), ("k2".into(), vec![0.5, 0.5])],
            now(),
        )
        .await
        .expect("saved");
    let mut stored = s
        .matches
        .embeddings(model, vec!["k".into(), "k2".into(), "missing".into()])
        .await
        .expect("read");
    stored.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(
        stored,
        vec![
            ("k".to_owned(), vec![1.0, 0.0]),
            ("k2".to_owned(), vec![0.5, 0.5])
        ]
    );
    assert!(
        s.matches
            .embeddings("m-2".into(), vec!["k".into()])
            .await
            .expect("read")
            .is_empty(),
        "another model has its own vectors"
    );

    // Beat records, newest first.
    let base = now();
    for (i, trigger) in ["timer", "console", "cli"].into_iter().enumerate() {
        let started = base + Duration::seconds(i as i64);
        s.matches
            .record_beat(BeatRecord {
                cycle: cycle(10 + i as u32),
                trigger: trigger.into(),
                pairs: 2,
                created: 1,
                started,
                finished: started + Duration::milliseconds(5),
                semantic: true,
                eligible: 4,
                embedded: 3,
                embed_failed: 0,
                skipped: 1,
                stages: vec![("read".into(), 1), ("pair".into(), 2)],
            })
            .await
            .expect("recorded");
    }
    let recent = s.matches.recent_beats(2).await.expect("read");
    let triggers: Vec<&str> = recent.iter().map(|r| r.trigger.as_str()).collect();
    assert_eq!(
        triggers,
        vec!["cli", "console"],
        "the newest two, newest first"
    );
    assert_eq!(recent[0].cycle, cycle(12));
    assert_eq!(
        recent[0].stages,
        vec![("read".to_owned(), 1), ("pair".to_owned(), 2)]
    );
}

/// `GuideStore::persona_standing`: each of the owner's personas in id order, with when it
/// was admitted, whether it is in a couple, and whether someone in its market could be
/// paired with it.
pub async fn the_guide_reads_each_personas_standing<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    let (a, b, c) = (owner(&s, 1).await, owner(&s, 2).await, owner(&s, 3).await);
    let pa = admitted(&s, "pa", a).await;
    let (waiting, _) = admit(&s, "waiting", Some(a), None).await;
    // Someone of another owner, in the same (remote) market.
    let _pb = admitted(&s, "pb", b).await;
    let pc = admitted(&s, "pc", c).await;
    let standing = s.guide.persona_standing(a).await.expect("read");
    let ids: Vec<PersonaId> = standing.iter().map(|p| p.persona).collect();
    assert_eq!(ids, vec![pa, waiting], "the owner's personas, in id order");
    assert!(standing[0].admitted_at.is_some(), "admitted");
    assert_eq!(standing[1].admitted_at, None, "pending holds no place");
    assert!(!standing[0].in_couple);
    assert!(
        !standing[0].others_in_market,
        "no one else has a verified endpoint yet"
    );
    active_endpoint(&s, b, "http://127.0.0.1:9/b").await;
    let standing = s.guide.persona_standing(a).await.expect("read");
    assert!(standing[0].others_in_market, "pb could be paired with pa");
    couple(&s, pa, pc).await;
    let standing = s.guide.persona_standing(a).await.expect("read");
    assert!(standing[0].in_couple, "pa courts pc");
    assert_eq!(
        s.guide
            .persona_standing(OwnerId(999_999))
            .await
            .expect("read"),
        Vec::new()
    );
}
