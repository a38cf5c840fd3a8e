//! Embed the Ishtar venue in a few lines.
//!
//! [`builder()`] is the domain's venue builder with every port filled in by default, so an
//! integrator overrides only what it brings:
//!
//! | port | default |
//! |---|---|
//! | every store, and the live settings | one [`MemoryStore`] (**not durable**) |
//! | clock, ids | [`SystemClock`], [`OsIds`] |
//! | where beats run | [`TokioOffload`] (the runtime `build` is awaited on) |
//! | guard, embedder, writer | `LocalGuard`, `LocalEmbedder`, `TemplateWriter` (no network) |
//! | event wording | `ishtar_wire::JsonEvents` (event bodies exactly as the HTTP venue delivers them) |
//! | matcher search | `ishtar_matcher::Search` |
//! | agent proofs, callbacks | `EthProofs`, `HttpCallbackClient` (public https only) |
//! | payments, sign-in, identity | fail closed: [`PaymentsNotConfigured`], [`SignInNotConfigured`], [`IdentityNotConfigured`] |
//!
//! Swap every store at once with [`Builder::stores`] (the binary passes its Postgres store),
//! or one port with its setter ([`Builder::guard`], [`Builder::clock`], …). The result is a
//! plain [`Venue`]: call its use cases directly, or serve it with `ishtar-http`.
//!
//! The main use cases, intake → admission → beat → turn, in memory:
//!
//! ```
//! use ishtar_domain::admission::AdmitPersona;
//! use ishtar_domain::intake::{self, Proofs, RegisterAgent, SubmitHeart};
//! use ishtar_domain::model::{ActiveMarket, HomeMarket, NewHeartFile, ResearchOptin, Runtime, TurnStatus};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let venue = ishtar_embed::builder().build().await?;
//!
//! let mut tokens = Vec::new();
//! for (handle, gender, seeks) in [("ada", "woman", "man"), ("bo", "man", "woman")] {
//!     // Intake: a dating doc makes an owner (its token is shown once)…
//!     let heart = json!({"about": "Espresso, old bicycles and Sunday markets by the river.",
//!         "prefs": {"self": {"gender": gender, "age": 33},
//!                   "seek": {"genders": [seeks], "ageMin": 28, "ageMax": 40}}});
//!     let doc = NewHeartFile {
//!         display_name: None, home_market: HomeMarket::BayArea,
//!         active_market: ActiveMarket::BayArea, available_for: None,
//!         research_optin: ResearchOptin::None, age_attested: true, contact_ref: None,
//!         heart_hash: intake::heart_hash(&heart), heart,
//!     };
//!     let receipt = venue.intake.submit_heart(SubmitHeart { owner_id: None, heart_file: doc }, None).await?;
//!     let (owner, token) = (receipt.saved.owner_id, receipt.owner_token.expect("new owner"));
//!     // …and its agent proves it holds the challenge.
//!     let agent = RegisterAgent { owner_id: Some(owner), persona_id: None,
//!         runtime: Runtime::Claude, callback_url: None, public_key: None };
//!     let reg = venue.intake.register_agent(agent, Some(&token)).await?;
//!     let proofs = Proofs { signature: None, echo_token: Some(reg.challenge_nonce) };
//!     venue.intake.verify_agent(reg.id, proofs).await?;
//!     // Admission: the door (adult gate, chaperone, cap).
//!     let persona = AdmitPersona { owner_id: Some(owner), handle: handle.into(),
//!         model: "m".into(), persona_age: "18+".into(),
//!         heart: json!({"about": "Espresso, old bicycles and Sunday markets."}),
//!         redteam: false, home_market: None, active_market: None };
//!     venue.admission.admit(persona, Some(&token)).await?;
//!     tokens.push(token);
//! }
//!
//! // Beat: the matchmaker pairs the two and opens a courtship.
//! let beat = venue.matchmaker.beat("doc").await?;
//! assert_eq!(beat.created, 1);
//! let couple = venue.courtship.me(Some(&tokens[0])).await?.couples[0].id;
//!
//! // Turn: the chaperone lets a kind question through.
//! let turn = venue.courtship.post_turn(couple, "Which market do you never miss?", Some(&tokens[0])).await?;
//! assert_eq!(turn.status, TurnStatus::Published);
//! # Ok(())
//! # }
//! ```
//!
//! `examples/embedded.rs` walks the same steps, printing each (`cargo run -p ishtar-embed
//! --example embedded`); docs/embedding.md has the rest.
//!
//! This crate depends on no web framework and no database driver.

mod builder;
mod system;
mod unconfigured;

pub use builder::{BuildError, Builder, Stores};
pub use ishtar_domain::Venue;
pub use ishtar_store_memory::MemoryStore;
pub use system::{OsIds, SystemClock, TokioOffload};
pub use unconfigured::{
    IdentityNotConfigured, NO_FACILITATOR, NO_SIGN_IN, NO_WEBHOOK_SECRET, PaymentsNotConfigured,
    SignInNotConfigured,
};

/// A venue builder with every default in place (see the [crate docs](crate) for the list);
/// override what you bring, then `build().await`.
///
/// ```
/// use std::sync::Arc;
/// use ishtar_domain::ports::{Guard, GuardVerdict};
/// use ishtar_domain::ProviderError;
///
/// /// A guard that holds every text for a human to review.
/// struct HoldEverything;
///
/// #[async_trait::async_trait]
/// impl Guard for HoldEverything {
///     async fn classify(&self, _text: &str) -> Result<GuardVerdict, ProviderError> {
///         Ok(GuardVerdict::Unsure(vec!["S0".into()]))
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), ishtar_embed::BuildError> {
/// let venue = ishtar_embed::builder()
///     .guard(Arc::new(HoldEverything))
///     .initial_settings(vec![("cap", "2".into())])
///     .build()
///     .await?;
/// assert_eq!(venue.settings.current().cap, 2);
/// # Ok(())
/// # }
/// ```
pub fn builder() -> Builder {
    Builder::default()
}
