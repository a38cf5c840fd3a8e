//! Intro consents, one-time invites, sign-in bindings, identity checks and the reveal
//! gate's reads (the Postgres store's `escalation.rs`). Each method runs under the store's
//! lock: of concurrent claims of one invite exactly one wins, a couple is committed once,
//! and an identity result is applied once per (session, type, status, effect).

use async_trait::async_trait;
use serde_json::json;
use time::OffsetDateTime;

use ishtar_domain::StoreError;
use ishtar_domain::model::{CoupleId, OwnerId, Tier};
use ishtar_domain::ports::{
    ConsentRecorded, EscalationStore, IdentityApplied, IdentityEffect, IdentityUpdate, InviteClaim,
    InviteIssued, RevealSide,
};
use ishtar_domain::states::{CoupleEvent, StateMachine, TierEvent};

use crate::MemoryStore;
use crate::state::{IdentityCheck, Invite, State, missing};

fn effect_name(e: IdentityEffect) -> &'static str {
    match e {
        IdentityEffect::Verify => "verify",
        IdentityEffect::Revoke => "revoke",
        IdentityEffect::Record => "record",
    }
}

impl State {
    fn set_tier(&mut self, owner: i64, tier: Tier) {
        if let Some(o) = self.owners.get_mut(owner) {
            o.tier = tier;
        }
    }

    fn apply_identity(&mut self, u: IdentityUpdate, at: OffsetDateTime) -> IdentityApplied {
        let known = self.checks.get(&u.session_id).map(|c| c.owner);
        let owner = match (known, u.vendor_owner) {
            // `vendor_data` is a cross-check: it must not name someone else.
            (Some(owner), Some(v)) if v.0 != owner => return IdentityApplied::NoMatch,
            (Some(owner), _) => owner,
            // A session we did not record: accept it for an owner who claimed a profile.
            (None, Some(v)) => {
                let claimed = self
                    .owners
                    .get(v.0)
                    .is_some_and(|o| o.tier.has_claimed_profile());
                if !claimed {
                    return IdentityApplied::NoMatch;
                }
                self.checks.insert(
                    u.session_id.clone(),
                    IdentityCheck {
                        owner: v.0,
                        status: u.status.clone(),
                        verified: false,
                        age_over_18: None,
                        updated_at: at,
                    },
                );
                v.0
            }
            (None, None) => return IdentityApplied::NoMatch,
        };
        let key = (
            u.session_id.clone(),
            u.webhook_type.clone(),
            u.status.clone(),
            effect_name(u.effect),
        );
        if self.webhooks.contains_key(&key) {
            return IdentityApplied::Duplicate;
        }
        self.webhooks.insert(key, at);
        let Some(mut tier) = self.owners.get(owner).map(|o| o.tier) else {
            return IdentityApplied::NoMatch;
        };
        match u.effect {
            IdentityEffect::Verify => {
                if let Some(c) = self.checks.get_mut(&u.session_id) {
                    c.status = u.status;
                    c.verified = true;
                    c.age_over_18 = Some(true);
                    c.updated_at = at;
                }
                // An unclaimed profile is not verified: the tier machine refuses it.
                let next = tier.on(TierEvent::IdentityApproved).unwrap_or(tier);
                if next != tier {
                    tier = next;
                    self.set_tier(owner, tier);
                    self.record_event("identity_verified", json!({ "ownerId": owner }), at);
                }
            }
            IdentityEffect::Revoke => {
                if let Some(c) = self.checks.get_mut(&u.session_id) {
                    c.status = u.status;
                    c.verified = false;
                    c.age_over_18 = u.age_over_18;
                    c.updated_at = at;
                }
                let still_verified = self.checks.values().any(|c| c.owner == owner && c.verified);
                let next = tier
                    .on(TierEvent::IdentityRevoked {
                        other_check_verified: still_verified,
                    })
                    .unwrap_or(tier);
                if next != tier {
                    tier = next;
                    self.set_tier(owner, tier);
                    self.record_event("identity_revoked", json!({ "ownerId": owner }), at);
                }
            }
            IdentityEffect::Record => {
                // A verified check keeps its result; a late intermediate status does not
                // undo it.
                if let Some(c) = self.checks.get_mut(&u.session_id).filter(|c| !c.verified) {
                    c.status = u.status;
                    c.age_over_18 = u.age_over_18;
                    c.updated_at = at;
                }
            }
        }
        IdentityApplied::Applied {
            owner: OwnerId(owner),
            tier,
        }
    }
}

#[async_trait]
impl EscalationStore for MemoryStore {
    async fn owner_tier(&self, owner: OwnerId) -> Result<Option<Tier>, StoreError> {
        Ok(self.lock().owners.get(owner.0).map(|o| o.tier))
    }

    async fn record_consent(
        &self,
        couple: CoupleId,
        owner: OwnerId,
        partner: Option<OwnerId>,
        at: OffsetDateTime,
    ) -> Result<ConsentRecorded, StoreError> {
        let mut s = self.lock();
        let state = s.couples.get(couple.0).ok_or(StoreError::NotFound)?.state;
        if !s.owners.contains(owner.0) {
            return Err(missing("owner"));
        }
        s.consents.entry((couple.0, owner.0)).or_insert(at);
        let both = partner.is_some_and(|p| s.consents.contains_key(&(couple.0, p.0)));
        // The domain's couple machine decides whether both consents commit the couple.
        let next = state.on(CoupleEvent::BothConsented).ok().filter(|_| both);
        let committed_now = next.is_some();
        if let Some(next) = next {
            if let Some(c) = s.couples.get_mut(couple.0) {
                c.state = next;
            }
            let owners: Vec<i64> = [Some(owner), partner]
                .into_iter()
                .flatten()
                .map(|o| o.0)
                .collect();
            s.record_event(
                "intro_ready",
                json!({ "coupleId": couple.0, "owners": owners }),
                at,
            );
        }
        Ok(ConsentRecorded {
            both,
            committed_now,
        })
    }

    async fn reveal_sides(
        &self,
        couple: CoupleId,
        owners: [OwnerId; 2],
    ) -> Result<Vec<RevealSide>, StoreError> {
        let s = self.lock();
        let mut ids: Vec<i64> = owners.iter().map(|o| o.0).collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids
            .into_iter()
            .filter_map(|id| {
                Some(RevealSide {
                    owner: OwnerId(id),
                    tier: s.owners.get(id)?.tier,
                    consented: s.consents.contains_key(&(couple.0, id)),
                })
            })
            .collect())
    }

    async fn issue_invite(
        &self,
        couple: CoupleId,
        owner: OwnerId,
        token: String,
        token_hash: Vec<u8>,
        at: OffsetDateTime,
    ) -> Result<InviteIssued, StoreError> {
        let mut s = self.lock();
        if let Some(i) = s
            .invites
            .rows
            .values()
            .find(|i| i.couple == couple.0 && i.owner == owner.0)
        {
            return Ok(match (&i.claimed_at, &i.token) {
                (None, Some(t)) => InviteIssued::Usable(t.clone()),
                _ => InviteIssued::Claimed,
            });
        }
        if s.invites.rows.values().any(|i| i.token_hash == token_hash) {
            return Err(StoreError::Conflict("unique"));
        }
        if !s.couples.contains(couple.0) {
            return Err(missing("couple"));
        }
        if !s.owners.contains(owner.0) {
            return Err(missing("owner"));
        }
        s.invites.insert(Invite {
            couple: couple.0,
            owner: owner.0,
            token_hash,
            token: Some(token.clone()),
            created_at: at,
            claimed_at: None,
        });
        Ok(InviteIssued::Usable(token))
    }

    async fn claim_invite(
        &self,
        token_hash: Vec<u8>,
        login_user: String,
        at: OffsetDateTime,
    ) -> Result<InviteClaim, StoreError> {
        let mut s = self.lock();
        let Some((id, owner, couple)) = s
            .invites
            .rows
            .iter()
            .find(|(_, i)| i.token_hash == token_hash && i.claimed_at.is_none())
            .map(|(id, i)| (*id, i.owner, i.couple))
        else {
            return Ok(InviteClaim::Unknown);
        };
        let Some(mut tier) = s.owners.get(owner).map(|o| o.tier) else {
            return Ok(InviteClaim::Unknown);
        };
        match s.logins.get(&owner) {
            Some(u) if *u != login_user => return Ok(InviteClaim::OtherAccount),
            Some(_) => {}
            None => {
                s.logins.insert(owner, login_user);
            }
        }
        if let Some(i) = s.invites.get_mut(id) {
            i.claimed_at = Some(at);
            i.token = None;
        }
        let next = tier.on(TierEvent::InviteClaimed).unwrap_or(tier);
        if next != tier {
            tier = next;
            s.set_tier(owner, tier);
        }
        s.record_event(
            "invite_claimed",
            json!({ "ownerId": owner, "coupleId": couple }),
            at,
        );
        Ok(InviteClaim::Claimed {
            owner: OwnerId(owner),
            tier,
        })
    }

    async fn record_identity_session(
        &self,
        owner: OwnerId,
        session_id: String,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut s = self.lock();
        if s.checks.contains_key(&session_id) {
            return Ok(());
        }
        if !s.owners.contains(owner.0) {
            return Err(missing("owner"));
        }
        s.checks.insert(
            session_id,
            IdentityCheck {
                owner: owner.0,
                status: "Not Started".into(),
                verified: false,
                age_over_18: None,
                updated_at: at,
            },
        );
        Ok(())
    }

    async fn apply_identity_event(
        &self,
        update: IdentityUpdate,
        at: OffsetDateTime,
    ) -> Result<IdentityApplied, StoreError> {
        Ok(self.lock().apply_identity(update, at))
    }

    async fn contact_ref(&self, owner: OwnerId) -> Result<Option<String>, StoreError> {
        let s = self.lock();
        Ok(s.latest_heart(owner.0)
            .and_then(|(_, h)| h.contact_ref.clone()))
    }
}
