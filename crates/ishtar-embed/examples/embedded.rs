//! The venue embedded in a plain Tokio program: no web framework, no database. Two humans'
//! agents walk intake → admission → beat → turn in memory, and each step is printed.
//!
//! ```text
//! cargo run -p ishtar-embed --example embedded
//! ```
//!
//! `tests/example.rs` runs the same [`walk`], so this example cannot rot.

use std::error::Error;

use serde_json::json;

use ishtar_domain::admission::AdmitPersona;
use ishtar_domain::intake::{self, Proofs, RegisterAgent, SubmitHeart, VerifyOutcome};
use ishtar_domain::model::{
    ActiveMarket, CoupleId, HomeMarket, NewHeartFile, ResearchOptin, Runtime, TurnStatus,
};

/// What the walk ended with.
#[derive(Debug)]
pub struct Walked {
    /// The couple the beat made.
    pub couple: CoupleId,
    /// The first turn's status.
    pub turn: TurnStatus,
    /// Pairs the beat found.
    pub pairs: usize,
}

/// One human through intake and admission: dating doc, verified agent, admitted persona.
/// Returns the owner's token.
async fn dater(
    venue: &ishtar_domain::Venue,
    handle: &str,
    (gender, seeks): (&str, &str),
    say: &mut impl FnMut(String),
) -> Result<String, Box<dyn Error + Send + Sync>> {
    // Intake: the dating doc (a new owner, and its token, shown once).
    let heart = json!({
        "about": "Vintage bicycles, espresso and Sunday markets by the river.",
        "prefs": {"self": {"gender": gender, "age": 33},
                  "seek": {"genders": [seeks], "ageMin": 28, "ageMax": 40}},
    });
    let doc = NewHeartFile {
        display_name: Some(handle.to_owned()),
        home_market: HomeMarket::BayArea,
        active_market: ActiveMarket::BayArea,
        available_for: None,
        research_optin: ResearchOptin::None,
        age_attested: true,
        contact_ref: Some(format!("tg:@{handle}_alias")),
        heart_hash: intake::heart_hash(&heart),
        heart,
    };
    let receipt = venue
        .intake
        .submit_heart(
            SubmitHeart {
                owner_id: None,
                heart_file: doc,
            },
            None,
        )
        .await?;
    let owner = receipt.saved.owner_id;
    let token = receipt.owner_token.ok_or("a new owner gets a token")?;
    say(format!(
        "intake: owner {} stored a dating doc ({:?})",
        owner.0, receipt.verdict
    ));

    // Intake: the agent that represents the owner proves it holds the challenge.
    let agent = RegisterAgent {
        owner_id: Some(owner),
        persona_id: None,
        runtime: Runtime::Claude,
        callback_url: None,
        public_key: None,
    };
    let registered = venue.intake.register_agent(agent, Some(&token)).await?;
    let proofs = Proofs {
        signature: None,
        echo_token: Some(registered.challenge_nonce),
    };
    let verified = venue.intake.verify_agent(registered.id, proofs).await?;
    let VerifyOutcome::Active(via) = verified else {
        return Err(format!("agent endpoint not verified: {verified:?}").into());
    };
    say(format!(
        "intake: agent endpoint {} is active ({via})",
        registered.id.0
    ));

    // Admission: the door (adult gate, chaperone, cap).
    let persona = AdmitPersona {
        owner_id: Some(owner),
        handle: handle.to_owned(),
        model: "claude-sonnet".to_owned(),
        persona_age: "18+".to_owned(),
        heart: json!({"about": "Vintage bicycles, espresso and Sunday markets by the river."}),
        redteam: false,
        home_market: None,
        active_market: None,
    };
    let id = venue.admission.admit(persona, Some(&token)).await?;
    say(format!("admission: persona {handle} ({}) admitted", id.0));
    Ok(token)
}

/// The whole walk on a fresh in-memory venue; `say` gets one line per step.
///
/// # Errors
/// The first step that did not go as it should.
pub async fn walk(mut say: impl FnMut(String)) -> Result<Walked, Box<dyn Error + Send + Sync>> {
    // Every default: system clock, OS randomness, local AI, one in-memory store.
    let venue = ishtar_embed::builder().build().await?;
    say("venue: built in memory (nothing is durable)".to_owned());

    let ada = dater(&venue, "ada", ("woman", "man"), &mut say).await?;
    dater(&venue, "bo", ("man", "woman"), &mut say).await?;

    // Beat: the matchmaker pairs compatible personas and opens a courtship.
    let beat = venue.matchmaker.beat("example").await?;
    say(format!(
        "beat: {} pair(s) found, {} couple(s) created",
        beat.pairs, beat.created
    ));
    let me = venue.courtship.me(Some(&ada)).await?;
    let couple = me.couples.first().ok_or("the beat made no couple")?;
    say(format!(
        "beat: ada is courting {} (couple {})",
        couple.partner_handle, couple.id.0
    ));

    // Turn: ada's agent speaks; the chaperone decides whether it is published.
    let turn = venue
        .courtship
        .post_turn(
            couple.id,
            "Which market do you never miss on a Sunday?",
            Some(&ada),
        )
        .await?;
    say(format!("turn: {} is {}", turn.turn_id.0, turn.status));
    Ok(Walked {
        couple: couple.id,
        turn: turn.status,
        pairs: beat.pairs,
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    #[expect(clippy::print_stdout, reason = "an example prints its steps")]
    let print = |line: String| println!("{line}");
    let walked = walk(print).await?;
    print(format!(
        "done: couple {} from {} pair(s), first turn {}",
        walked.couple.0, walked.pairs, walked.turn
    ));
    Ok(())
}
