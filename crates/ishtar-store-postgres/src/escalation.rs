//! Escalation (issue 5): intro consents, one-time invites, sign-in bindings, identity
//! checks and the reveal gate's reads. Each port method is one transaction.
//!
//! - Invites are found by the SHA-256 of their token only. The token is also kept sealed
//!   (AES-256-GCM, the contact key) while unused, so an agent asking again gets the same
//!   link instead of a new one; the sealed copy is wiped when the invite is claimed.
//! - Claiming locks the invite row (`FOR UPDATE … WHERE claimed_at IS NULL`): of two
//!   concurrent claims, the second re-reads the row after the first commits, finds it
//!   claimed, and gets nothing.
//! - Identity results are applied once per (session, type, status, effect); only the
//!   session id, the status and one age bit are stored.
//! - Tiers and couple states move only as the domain's machines say
//!   (`ishtar_domain::states`): each transaction reads the current value under its row
//!   lock, asks the machine for the next one, and writes that outcome.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;

use ishtar_domain::StoreError;
use ishtar_domain::model::{CoupleId, CoupleState, OwnerId, Tier};
use ishtar_domain::ports::{
    ConsentRecorded, EscalationStore, IdentityApplied, IdentityEffect, IdentityUpdate, InviteClaim,
    InviteIssued, RevealSide,
};
use ishtar_domain::states::{CoupleEvent, StateMachine, TierEvent};

use crate::schema::{
    couples, heart_files, identity_checks, identity_webhooks, intro_consents, invites,
    owner_logins, owners,
};
use crate::store::{PgStore, db_err};

fn tier_of(s: &str) -> Tier {
    Tier::parse(s).unwrap_or(Tier::AgentRepresented)
}

fn effect_name(e: IdentityEffect) -> &'static str {
    match e {
        IdentityEffect::Verify => "verify",
        IdentityEffect::Revoke => "revoke",
        IdentityEffect::Record => "record",
    }
}

/// The owner's tier, with the owner row locked for the rest of the transaction.
async fn lock_owner(c: &mut AsyncPgConnection, owner: i64) -> Result<Option<String>, DieselError> {
    owners::table
        .find(owner)
        .select(owners::tier)
        .for_update()
        .first::<String>(c)
        .await
        .optional()
}

async fn set_tier(c: &mut AsyncPgConnection, owner: i64, tier: Tier) -> Result<(), DieselError> {
    diesel::update(owners::table.find(owner))
        .set(owners::tier.eq(tier.as_str()))
        .execute(c)
        .await
        .map(drop)
}

/// What the issue transaction found.
enum Issue {
    Fresh,
    Claimed,
    Existing { id: i64, sealed: Option<Vec<u8>> },
}

#[async_trait]
impl EscalationStore for PgStore {
    async fn owner_tier(&self, owner: OwnerId) -> Result<Option<Tier>, StoreError> {
        let mut conn = self.conn().await?;
        owners::table
            .find(owner.0)
            .select(owners::tier)
            .first::<String>(&mut conn)
            .await
            .optional()
            .map(|t| t.as_deref().map(tier_of))
            .map_err(db_err)
    }

    async fn record_consent(
        &self,
        couple: CoupleId,
        owner: OwnerId,
        partner: Option<OwnerId>,
        at: OffsetDateTime,
    ) -> Result<ConsentRecorded, StoreError> {
        let mut conn = self.conn().await?;
        conn.transaction(async |c| {
            // The couple row lock serialises the two owners' consents: the second one to
            // commit always sees the first, so the couple is committed exactly once.
            let state: String = couples::table
                .find(couple.0)
                .select(couples::state)
                .for_update()
                .get_result(c)
                .await?;
            diesel::insert_into(intro_consents::table)
                .values((
                    intro_consents::couple_id.eq(couple.0),
                    intro_consents::owner_id.eq(owner.0),
                    intro_consents::created_at.eq(at),
                ))
                .on_conflict_do_nothing()
                .execute(c)
                .await?;
            let both = match partner {
                Some(p) => {
                    diesel::select(diesel::dsl::exists(
                        intro_consents::table
                            .filter(intro_consents::couple_id.eq(couple.0))
                            .filter(intro_consents::owner_id.eq(p.0)),
                    ))
                    .get_result::<bool>(c)
                    .await?
                }
                None => false,
            };
            let mut committed_now = false;
            // The domain's couple machine decides; the update is guarded by the state read.
            let commit = CoupleState::parse(&state)
                .and_then(|s| Some((s, s.on(CoupleEvent::BothConsented).ok()?)));
            if let (true, Some((was, next))) = (both, commit) {
                committed_now = diesel::update(
                    couples::table
                        .find(couple.0)
                        .filter(couples::state.eq(was.as_str())),
                )
                .set(couples::state.eq(next.as_str()))
                .execute(c)
                .await?
                    == 1;
                if committed_now {
                    let owners: Vec<i64> = [Some(owner), partner]
                        .into_iter()
                        .flatten()
                        .map(|o| o.0)
                        .collect();
                    crate::console::insert_event(
                        c,
                        "intro_ready",
                        serde_json::json!({ "coupleId": couple.0, "owners": owners }),
                        at,
                    )
                    .await?;
                }
            }
            Ok::<_, DieselError>(ConsentRecorded {
                both,
                committed_now,
            })
        })
        .await
        .map_err(db_err)
    }

    async fn reveal_sides(
        &self,
        couple: CoupleId,
        owners: [OwnerId; 2],
    ) -> Result<Vec<RevealSide>, StoreError> {
        let ids = owners.map(|o| o.0);
        let mut conn = self.conn().await?;
        conn.transaction(async |c| {
            let tiers: Vec<(i64, String)> = owners::table
                .filter(owners::id.eq_any(ids))
                .select((owners::id, owners::tier))
                .load(c)
                .await?;
            let consented: Vec<i64> = intro_consents::table
                .filter(intro_consents::couple_id.eq(couple.0))
                .filter(intro_consents::owner_id.eq_any(ids))
                .select(intro_consents::owner_id)
                .load(c)
                .await?;
            Ok::<_, DieselError>(
                tiers
                    .into_iter()
                    .map(|(id, tier)| RevealSide {
                        owner: OwnerId(id),
                        tier: tier_of(&tier),
                        consented: consented.contains(&id),
                    })
                    .collect(),
            )
        })
        .await
        .map_err(db_err)
    }

    async fn issue_invite(
        &self,
        couple: CoupleId,
        owner: OwnerId,
        token: String,
        token_hash: Vec<u8>,
        at: OffsetDateTime,
    ) -> Result<InviteIssued, StoreError> {
        let sealed = self
            .cipher()
            .seal(&token)
            .map_err(StoreError::unavailable)?;
        let mut conn = self.conn().await?;
        let found = conn
            .transaction(async |c| {
                let inserted: Option<i64> = diesel::insert_into(invites::table)
                    .values((
                        invites::couple_id.eq(couple.0),
                        invites::owner_id.eq(owner.0),
                        invites::token_hash.eq(&token_hash),
                        invites::token_enc.eq(&sealed),
                        invites::created_at.eq(at),
                    ))
                    .on_conflict((invites::couple_id, invites::owner_id))
                    .do_nothing()
                    .returning(invites::id)
                    .get_result(c)
                    .await
                    .optional()?;
                if inserted.is_some() {
                    return Ok::<_, DieselError>(Issue::Fresh);
                }
                let (id, enc, claimed): (i64, Option<Vec<u8>>, Option<OffsetDateTime>) =
                    invites::table
                        .filter(invites::couple_id.eq(couple.0))
                        .filter(invites::owner_id.eq(owner.0))
                        .select((invites::id, invites::token_enc, invites::claimed_at))
                        .for_update()
                        .get_result(c)
                        .await?;
                if claimed.is_some() {
                    return Ok(Issue::Claimed);
                }
                Ok(Issue::Existing { id, sealed: enc })
            })
            .await
            .map_err(db_err)?;
        match found {
            Issue::Fresh => Ok(InviteIssued::Usable(token)),
            Issue::Claimed => Ok(InviteIssued::Claimed),
            Issue::Existing { id, sealed: enc } => {
                if let Some(t) = enc.and_then(|e| self.cipher().open(&e).ok()) {
                    return Ok(InviteIssued::Usable(t));
                }
                // Sealed under a key we no longer hold: replace it with the fresh token
                // (the old link stops working; nothing else can be relayed).
                tracing::warn!(invite.id = id, "unused invite unreadable; reissued");
                let updated = diesel::update(
                    invites::table
                        .find(id)
                        .filter(invites::claimed_at.is_null()),
                )
                .set((
                    invites::token_hash.eq(&token_hash),
                    invites::token_enc.eq(&sealed),
                    invites::created_at.eq(at),
                ))
                .execute(&mut conn)
                .await
                .map_err(db_err)?;
                Ok(if updated == 1 {
                    InviteIssued::Usable(token)
                } else {
                    InviteIssued::Claimed
                })
            }
        }
    }

    async fn claim_invite(
        &self,
        token_hash: Vec<u8>,
        login_user: String,
        at: OffsetDateTime,
    ) -> Result<InviteClaim, StoreError> {
        let mut conn = self.conn().await?;
        conn.transaction(async |c| {
            // A concurrent claimer waits on this row lock, then re-checks `claimed_at`
            // against the committed row and finds nothing.
            let Some((id, owner, couple)) = invites::table
                .filter(invites::token_hash.eq(&token_hash))
                .filter(invites::claimed_at.is_null())
                .select((invites::id, invites::owner_id, invites::couple_id))
                .for_update()
                .first::<(i64, i64, i64)>(c)
                .await
                .optional()?
            else {
                return Ok::<_, DieselError>(InviteClaim::Unknown);
            };
            let Some(tier) = lock_owner(c, owner).await? else {
                return Ok(InviteClaim::Unknown);
            };
            let bound: Option<String> = owner_logins::table
                .find(owner)
                .select(owner_logins::login_user)
                .first(c)
                .await
                .optional()?;
            match bound {
                Some(u) if u != login_user => return Ok(InviteClaim::OtherAccount),
                Some(_) => {}
                None => {
                    diesel::insert_into(owner_logins::table)
                        .values((
                            owner_logins::owner_id.eq(owner),
                            owner_logins::login_user.eq(&login_user),
                            owner_logins::claimed_at.eq(at),
                        ))
                        .execute(c)
                        .await?;
                }
            }
            diesel::update(invites::table.find(id))
                .set((
                    invites::claimed_at.eq(at),
                    invites::token_enc.eq(None::<Vec<u8>>),
                ))
                .execute(c)
                .await?;
            let was = tier_of(&tier);
            // Claiming never fails on the tier: the machine allows the event from every tier.
            let tier = was.on(TierEvent::InviteClaimed).unwrap_or(was);
            if tier != was {
                set_tier(c, owner, tier).await?;
            }
            crate::console::insert_event(
                c,
                "invite_claimed",
                serde_json::json!({ "ownerId": owner, "coupleId": couple }),
                at,
            )
            .await?;
            Ok(InviteClaim::Claimed {
                owner: OwnerId(owner),
                tier,
            })
        })
        .await
        .map_err(db_err)
    }

    async fn record_identity_session(
        &self,
        owner: OwnerId,
        session_id: String,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::insert_into(identity_checks::table)
            .values((
                identity_checks::session_id.eq(session_id),
                identity_checks::owner_id.eq(owner.0),
                identity_checks::status.eq("Not Started"),
                identity_checks::created_at.eq(at),
                identity_checks::updated_at.eq(at),
            ))
            .on_conflict_do_nothing()
            .execute(&mut conn)
            .await
            .map(drop)
            .map_err(db_err)
    }

    async fn apply_identity_event(
        &self,
        u: IdentityUpdate,
        at: OffsetDateTime,
    ) -> Result<IdentityApplied, StoreError> {
        let mut conn = self.conn().await?;
        conn.transaction(async |c| {
            let known: Option<i64> = identity_checks::table
                .find(&u.session_id)
                .select(identity_checks::owner_id)
                .for_update()
                .first(c)
                .await
                .optional()?;
            let owner = match (known, u.vendor_owner) {
                // `vendor_data` is a cross-check: it must not name someone else.
                (Some(owner), Some(v)) if v.0 != owner => {
                    return Ok::<_, DieselError>(IdentityApplied::NoMatch);
                }
                (Some(owner), _) => owner,
                // A session we did not record (its creation answer was lost): accept it
                // for an owner of ours who has claimed a profile.
                (None, Some(v)) => {
                    let claimed = lock_owner(c, v.0)
                        .await?
                        .is_some_and(|t| tier_of(&t).has_claimed_profile());
                    if !claimed {
                        return Ok(IdentityApplied::NoMatch);
                    }
                    diesel::insert_into(identity_checks::table)
                        .values((
                            identity_checks::session_id.eq(&u.session_id),
                            identity_checks::owner_id.eq(v.0),
                            identity_checks::status.eq(&u.status),
                            identity_checks::created_at.eq(at),
                            identity_checks::updated_at.eq(at),
                        ))
                        .execute(c)
                        .await?;
                    v.0
                }
                (None, None) => return Ok(IdentityApplied::NoMatch),
            };
            let fresh = diesel::insert_into(identity_webhooks::table)
                .values((
                    identity_webhooks::session_id.eq(&u.session_id),
                    identity_webhooks::webhook_type.eq(&u.webhook_type),
                    identity_webhooks::status.eq(&u.status),
                    identity_webhooks::effect.eq(effect_name(u.effect)),
                    identity_webhooks::received_at.eq(at),
                ))
                .on_conflict_do_nothing()
                .execute(c)
                .await?;
            if fresh == 0 {
                return Ok(IdentityApplied::Duplicate);
            }
            let Some(tier) = lock_owner(c, owner).await? else {
                return Ok(IdentityApplied::NoMatch);
            };
            let mut tier = tier_of(&tier);
            let check = identity_checks::table.find(&u.session_id);
            match u.effect {
                IdentityEffect::Verify => {
                    diesel::update(check)
                        .set((
                            identity_checks::status.eq(&u.status),
                            identity_checks::verified.eq(true),
                            identity_checks::age_over_18.eq(Some(true)),
                            identity_checks::updated_at.eq(at),
                            identity_checks::verified_at.eq(Some(at)),
                        ))
                        .execute(c)
                        .await?;
                    let next = match tier.on(TierEvent::IdentityApproved) {
                        Ok(next) => next,
                        Err(illegal) => {
                            tracing::warn!(owner.id = owner, %illegal, "identity approval not applied to the tier");
                            tier
                        }
                    };
                    if next != tier {
                        tier = next;
                        set_tier(c, owner, tier).await?;
                        crate::console::insert_event(
                            c,
                            "identity_verified",
                            serde_json::json!({ "ownerId": owner }),
                            at,
                        )
                        .await?;
                    }
                }
                IdentityEffect::Revoke => {
                    diesel::update(check)
                        .set((
                            identity_checks::status.eq(&u.status),
                            identity_checks::verified.eq(false),
                            identity_checks::age_over_18.eq(u.age_over_18),
                            identity_checks::updated_at.eq(at),
                        ))
                        .execute(c)
                        .await?;
                    let still_verified: bool = diesel::select(diesel::dsl::exists(
                        identity_checks::table
                            .filter(identity_checks::owner_id.eq(owner))
                            .filter(identity_checks::verified.eq(true)),
                    ))
                    .get_result(c)
                    .await?;
                    let next = tier
                        .on(TierEvent::IdentityRevoked {
                            other_check_verified: still_verified,
                        })
                        .unwrap_or(tier);
                    if next != tier {
                        tier = next;
                        set_tier(c, owner, tier).await?;
                        crate::console::insert_event(
                            c,
                            "identity_revoked",
                            serde_json::json!({ "ownerId": owner }),
                            at,
                        )
                        .await?;
                    }
                }
                IdentityEffect::Record => {
                    // A verified check keeps its result; a late or retried intermediate
                    // status does not undo it.
                    diesel::update(check.filter(identity_checks::verified.eq(false)))
                        .set((
                            identity_checks::status.eq(&u.status),
                            identity_checks::age_over_18.eq(u.age_over_18),
                            identity_checks::updated_at.eq(at),
                        ))
                        .execute(c)
                        .await?;
                }
            }
            Ok(IdentityApplied::Applied {
                owner: OwnerId(owner),
                tier,
            })
        })
        .await
        .map_err(db_err)
    }

    async fn contact_ref(&self, owner: OwnerId) -> Result<Option<String>, StoreError> {
        let mut conn = self.conn().await?;
        let sealed: Option<Option<Vec<u8>>> = heart_files::table
            .filter(heart_files::owner_id.eq(owner.0))
            .order(heart_files::version.desc())
            .select(heart_files::contact_ref_enc)
            .first(&mut conn)
            .await
            .optional()
            .map_err(db_err)?;
        sealed
            .flatten()
            .map(|s| self.cipher().open(&s).map_err(StoreError::unavailable))
            .transpose()
    }
}
