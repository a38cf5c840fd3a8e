//! Erasure: everything of one owner goes, nothing of anybody else's.

use std::future::Future;

use ishtar_domain::model::{CoupleState, NewTurn, OwnerId, PersonaId, TurnStatus};
use ishtar_domain::ports::{NewEvent, NewOrder, NewPost, Recipient, Settlement};
use ishtar_domain::states::OrderStep;
use serde_json::json;

use crate::Stores;
use crate::checks::today;
use crate::fixtures::{active_endpoint, admitted, couple, now, owner, token};

async fn post(s: &Stores, persona: PersonaId, handle: &str) -> i64 {
    s.boards
        .replace_post(
            NewPost {
                board: "seeking",
                persona,
                handle: handle.into(),
                body: format!("{handle} seeks"),
            },
            now(),
        )
        .await
        .expect("answered")
        .expect("posted")
        .0
}

async fn say(s: &Stores, couple: ishtar_domain::model::CoupleId, by: PersonaId, body: &str) {
    s.couples
        .insert_turn(
            NewTurn {
                couple,
                author_persona: Some(by),
                author: format!("persona {}", by.0),
                body: body.into(),
                status: TurnStatus::Published,
                reason: "allowed".into(),
            },
            now(),
        )
        .await
        .expect("a turn is stored");
}

async fn order(s: &Stores, id: &str, owner: OwnerId, paid: bool) {
    let o = NewOrder {
        id: id.into(),
        owner,
        couple: None,
        amount: 5_000_000,
    };
    s.payments
        .move_order(o.clone(), OrderStep::challenge(), now())
        .await
        .expect("challenged");
    if paid {
        assert!(
            s.payments
                .move_order(o, OrderStep::claim(), now())
                .await
                .expect("claimed")
        );
        s.payments
            .record_payment(
                id.into(),
                Settlement {
                    payer: "0xpayer".into(),
                    transaction: format!("0xtx-{id}"),
                    network: "eip155:8453".into(),
                },
                format!("0xnonce-{id}"),
                5_000_000,
                500_000,
                now(),
            )
            .await
            .expect("paid");
    }
}

async fn admitted_count(s: &Stores) -> i64 {
    let (day_start, day) = today();
    s.console
        .snapshot(day_start, day, 0, 0)
        .await
        .expect("read")
        .admitted
}

/// `ErasureStore::erase_owner`: erasing owner A (courting B's persona) removes A and A's
/// rows, ends the couple and names B's persona as the partner to tell, frees A's place —
/// and leaves every other owner's rows as they were: B's persona, turn, post, paid order,
/// tier and own feed events; C's whole overview, persona and post.
pub async fn erasing_one_owner_leaves_every_other_owner_intact<F, Fut>(factory: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Stores>,
{
    let s = factory().await;
    let (a, b, c) = (owner(&s, 1).await, owner(&s, 2).await, owner(&s, 3).await);
    for o in [a, b, c] {
        active_endpoint(&s, o, &format!("http://127.0.0.1:9/{}", o.0)).await;
    }
    let (pa, pb, pc) = (
        admitted(&s, "pa", a).await,
        admitted(&s, "pb", b).await,
        admitted(&s, "pc", c).await,
    );
    let id = couple(&s, pa, pb).await;
    say(&s, id, pa, "from a").await;
    say(&s, id, pb, "from b").await;
    let b_post = post(&s, pb, "pb").await;
    let c_post = post(&s, pc, "pc").await;
    post(&s, pa, "pa").await;
    order(&s, "cr:a", a, false).await;
    order(&s, "cr:b", b, true).await;
    s.outbox
        .publish(
            vec![NewEvent::new(
                Recipient::Owner(b),
                "test.event",
                json!({ "n": "b's own" }),
                now(),
            )],
            now(),
        )
        .await
        .expect("published");

    let b_persona = s.lifecycle.persona(pb).await.expect("read");
    let c_persona = s.lifecycle.persona(pc).await.expect("read");
    let c_overview = s.couples.owner_overview(c).await.expect("read");
    let b_order = s.payments.order("cr:b".into()).await.expect("read");
    let b_tier = s.escalation.owner_tier(b).await.expect("read");
    assert_eq!(admitted_count(&s).await, 3);

    let erased = s
        .erasure
        .erase_owner(a, "t0mb".into(), now())
        .await
        .expect("answered")
        .expect("the owner existed");
    let ended: Vec<_> = erased.ended.iter().map(|e| (e.couple, e.partner)).collect();
    assert_eq!(
        ended,
        vec![(id, pb)],
        "the live couple ends; B's persona is told"
    );

    // A is gone.
    assert_eq!(s.owners.owner_by_token(token(1)).await.expect("read"), None);
    assert_eq!(s.lifecycle.persona(pa).await.expect("read"), None);
    assert_eq!(s.couples.owner_overview(a).await.expect("read"), None);
    assert_eq!(s.payments.order("cr:a".into()).await.expect("read"), None);
    assert_eq!(admitted_count(&s).await, 2, "A's place is freed");
    assert_eq!(
        s.erasure
            .erase_owner(a, "again".into(), now())
            .await
            .expect("answered"),
        None,
        "an erased owner does not exist"
    );

    // B's side stays, untouched.
    assert_eq!(
        s.owners.owner_by_token(token(2)).await.expect("read"),
        Some(b)
    );
    assert_eq!(s.lifecycle.persona(pb).await.expect("read"), b_persona);
    assert_eq!(s.escalation.owner_tier(b).await.expect("read"), b_tier);
    assert_eq!(
        s.payments.order("cr:b".into()).await.expect("read"),
        b_order,
        "B's paid order is as it was"
    );
    let view = s
        .couples
        .couple(id)
        .await
        .expect("read")
        .expect("the couple stays as B's history");
    assert_eq!(view.state, CoupleState::Ended);
    let (mine, other) = if view.a.persona == pb {
        (&view.a, &view.b)
    } else {
        (&view.b, &view.a)
    };
    assert_eq!((mine.persona, mine.owner), (pb, Some(b)));
    assert_eq!(other.owner, None, "A's side is a tombstone with no owner");
    assert_ne!(other.persona, pa);
    assert_ne!(
        other.handle, "pa",
        "the tombstone does not carry A's handle"
    );
    let turns: Vec<String> = s
        .couples
        .couple_turns(id, pb, None, 100)
        .await
        .expect("read")
        .into_iter()
        .map(|t| t.body)
        .collect();
    assert_eq!(
        turns,
        vec!["from b"],
        "B's turn stays; A's and the venue's go"
    );
    let posts: Vec<i64> = s
        .boards
        .board_posts("seeking".into(), None, 100)
        .await
        .expect("read")
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(
        posts,
        vec![c_post, b_post],
        "B's and C's posts stay; A's goes"
    );
    let b_feed: Vec<serde_json::Value> = s
        .outbox
        .owner_events(b, 0, 100)
        .await
        .expect("read")
        .into_iter()
        .filter(|e| e["type"] == "test.event")
        .collect();
    assert_eq!(b_feed.len(), 1, "B's own events stay");

    // C, who never met A, is exactly as before.
    assert_eq!(s.lifecycle.persona(pc).await.expect("read"), c_persona);
    assert_eq!(
        s.couples.owner_overview(c).await.expect("read"),
        c_overview,
        "C's overview is unchanged"
    );
    assert_eq!(
        s.owners.owner_by_token(token(3)).await.expect("read"),
        Some(c)
    );
}
