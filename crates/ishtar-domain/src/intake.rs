//! Intake (docs/rules.md#intake): dating docs, agent endpoints and their proofs.

use std::net::IpAddr;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::auth::{self, AuthError};
use crate::error::StoreError;
use crate::model::{
    Endpoint, EndpointCallback, EndpointError, EndpointId, EndpointKey, EndpointStatus,
    HeartFileSaved, NewEndpoint, NewHeartFile, OwnerId, PersonaId, Runtime, challenge_nonce,
};
use crate::ports::{
    AgentStore, CallbackClient, ChaperoneEntry, Clock, Ids, OwnerStore, PersonaStore,
    ProofVerifier, Surface,
};

/// Hex SHA-256 of a JSON value's canonical text (object keys sorted at every level, no
/// whitespace), so the same doc hashes the same whatever order its keys arrived in.
pub fn heart_hash(heart: &serde_json::Value) -> String {
    let digest = Sha256::digest(canonical_json(heart).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A JSON value's text with object keys sorted at every level.
pub fn canonical_json(v: &serde_json::Value) -> String {
    use serde_json::Value;
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut entries: Vec<_> = m.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.clone(), sorted(v)))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(v).to_string()
}

/// A field that failed a rule only the domain can check; reported like a validation issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    /// The request field that failed, as the API names it.
    pub path: &'static str,
    /// What is wrong with it, for the caller.
    pub message: String,
}

/// Why an intake call failed.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The owner token is missing or wrong.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A field failed a domain rule.
    #[error("invalid field {}", .0.path)]
    Invalid(FieldIssue),
    /// The persona named does not exist (or is not this owner's).
    #[error("no such persona")]
    NoSuchPersona,
    /// The owner named does not exist.
    #[error("no such owner")]
    NoSuchOwner,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A heart-file submission.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitHeart {
    /// Names an existing owner to add a version (needs its token).
    pub owner_id: Option<OwnerId>,
    /// The dating doc itself; becomes the owner's newest version.
    pub heart_file: NewHeartFile,
}

/// What a heart-file submission returns.
#[derive(Debug, Clone, PartialEq)]
pub struct HeartReceipt {
    /// The owner and the version stored.
    pub saved: HeartFileSaved,
    /// The chaperone's verdict on the doc's prose: only an allowed version is matched on
    /// (a held one is screened again by the next beat; a denied one is never used).
    pub verdict: crate::chaperone::Verdict,
    /// The owner's secret, only when the owner was created by this call.
    pub owner_token: Option<String>,
}

/// An agent endpoint registration.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterAgent {
    /// The owner the agent speaks for (authenticated by its owner token).
    pub owner_id: Option<OwnerId>,
    /// The persona the endpoint serves, when it serves one.
    pub persona_id: Option<PersonaId>,
    /// The agent runtime registering.
    pub runtime: Runtime,
    /// Where the venue sends signed notifications; proof by echoing a token to it.
    pub callback_url: Option<String>,
    /// The agent's public key; proof by signing the challenge.
    pub public_key: Option<String>,
}

/// A registered endpoint: its id, the challenge to prove, and (with a callback URL) the
/// secret notifications will be signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The new endpoint (status `pending` until verified).
    pub id: EndpointId,
    /// The nonce the agent signs, or that the venue sends to the callback, to prove control.
    pub challenge_nonce: String,
    /// The secret notifications are signed with, when a callback URL was given.
    pub callback_secret: Option<String>,
}

/// The proofs an agent may present.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Proofs {
    /// The challenge signed with the registered public key.
    pub signature: Option<String>,
    /// The token the callback URL echoed back.
    pub echo_token: Option<String>,
}

/// The outcome of a verify call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyOutcome {
    /// Active; `verified:signature` or `verified:callback`.
    Active(String),
    /// No such endpoint, or it has no challenge.
    UnknownEndpoint,
    /// No presented proof satisfied the challenge; the endpoint stays pending.
    NotSatisfied,
}

/// Checks a callback URL's shape against docs/rules.md#callback-urls. The adapter checks
/// the resolved addresses again at connect time; this catches literal addresses early.
///
/// # Errors
/// A message naming the broken rule.
pub fn check_callback_url(raw: &str, allow_private: bool) -> Result<String, String> {
    let url = url::Url::parse(raw).map_err(|_| "not a valid URL".to_owned())?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err("must use https".to_owned()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials".to_owned());
    }
    let host = url.host().ok_or_else(|| "must name a host".to_owned())?;
    if !allow_private {
        let blocked = match host {
            url::Host::Ipv4(ip) => !is_public_ip(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => !is_public_ip(IpAddr::V6(ip)),
            url::Host::Domain(d) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                d == "localhost"
                    || d.ends_with(".localhost")
                    || d.ends_with(".local")
                    || d.ends_with(".internal")
                    || d == "metadata.google.internal"
            }
        };
        if blocked {
            return Err("must not point at a loopback, private or link-local address".to_owned());
        }
    }
    Ok(url.to_string())
}

/// True for addresses a callback may reach: not loopback, private, link-local, CGNAT,
/// unspecified, multicast, documentation, benchmarking or metadata ranges; and no IPv6
/// form that carries or reaches an IPv4 address a client could aim anywhere with
/// (IPv4-compatible `::/96`, IPv4-mapped `::ffff:0:0/96`, IPv4-translated
/// `::ffff:0:0:0/96`, 6to4 `2002::/16`, Teredo `2001::/32`, local-use NAT64
/// `64:ff9b:1::/48`), site-local `fec0::/10`, or well-known NAT64 `64:ff9b::/96` unless
/// its embedded IPv4 address is public.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64/10 CGNAT
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0/24
                || (o[0] == 192 && o[1] == 88 && o[2] == 99) // 6to4 relay anycast
                || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18/15 benchmarking
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            let seg = v6.segments();
            let embedded_v4 = || {
                let [.., hi, lo] = seg;
                std::net::Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo))
            };
            // NAT64 (RFC 6052 well-known prefix): as good as the IPv4 address it reaches.
            if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return is_public_ip(IpAddr::V4(embedded_v4()));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || seg[..6] == [0; 6] // IPv4-compatible ::/96 (deprecated; ::1 and :: too)
                || seg[..6] == [0, 0, 0, 0, 0, 0xffff] // IPv4-mapped ::ffff:0:0/96
                || seg[..6] == [0, 0, 0, 0, 0xffff, 0] // IPv4-translated ::ffff:0:0:0/96
                || seg[0] == 0x2002 // 6to4
                || (seg[0] == 0x2001 && seg[1] == 0) // Teredo 2001::/32
                || (seg[0] == 0x2001 && (seg[1] & 0xfff0) == 0x0010) // ORCHID 2001:10::/28
                || (seg[0] == 0x2001 && seg[1] == 0x0002 && seg[2] == 0) // benchmarking
                || (seg[0] == 0x64 && seg[1] == 0xff9b) // local-use NAT64 64:ff9b:1::/48
                || seg[..4] == [0x100, 0, 0, 0] // discard-only 100::/64
                || (seg[0] & 0xfe00) == 0xfc00 // unique local
                || (seg[0] & 0xffc0) == 0xfe80 // link-local
                || (seg[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
        }
    }
}

/// The intake use cases.
pub struct Intake {
    owners: Arc<dyn OwnerStore>,
    agents: Arc<dyn AgentStore>,
    personas: Arc<dyn PersonaStore>,
    proofs: Arc<dyn ProofVerifier>,
    callbacks: Arc<dyn CallbackClient>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn Ids>,
    chaperone: Arc<crate::chaperone::Chaperone>,
    settings: Arc<crate::settings::SettingsService>,
    allow_private_callbacks: bool,
}

/// The ports [`Intake`] needs.
pub struct IntakePorts {
    /// Owners and their dating-doc versions.
    pub owners: Arc<dyn OwnerStore>,
    /// Agent endpoints and their challenges.
    pub agents: Arc<dyn AgentStore>,
    /// Personas.
    pub personas: Arc<dyn PersonaStore>,
    /// Checks public keys and signatures over the challenge.
    pub proofs: Arc<dyn ProofVerifier>,
    /// Calls callback URLs to prove control.
    pub callbacks: Arc<dyn CallbackClient>,
    /// The current time.
    pub clock: Arc<dyn Clock>,
    /// Fresh ids, tokens and secrets.
    pub ids: Arc<dyn Ids>,
    /// Screens each dating-doc version's prose.
    pub chaperone: Arc<crate::chaperone::Chaperone>,
    /// The live denylist.
    pub settings: Arc<crate::settings::SettingsService>,
}

impl Intake {
    /// Builds intake over its ports; `allow_private_callbacks` admits loopback/private
    /// callback URLs (tests and local runs only).
    pub fn new(p: IntakePorts, allow_private_callbacks: bool) -> Self {
        Self {
            owners: p.owners,
            agents: p.agents,
            personas: p.personas,
            proofs: p.proofs,
            callbacks: p.callbacks,
            clock: p.clock,
            ids: p.ids,
            chaperone: p.chaperone,
            settings: p.settings,
            allow_private_callbacks,
        }
    }

    /// Stores a dating doc: a new owner with its token, or (with the owner's token) the
    /// next version for an existing owner.
    ///
    /// # Errors
    /// Auth errors for a named owner; store errors.
    #[tracing::instrument(skip_all, fields(owner.id = ?cmd.owner_id))]
    pub async fn submit_heart(
        &self,
        cmd: SubmitHeart,
        bearer: Option<&str>,
    ) -> Result<HeartReceipt, IntakeError> {
        let now = self.clock.now();
        if let Some(owner) = cmd.owner_id {
            auth::authorize(&*self.owners, owner, bearer).await?;
        }
        // The doc's prose is screened like a persona's heart before it is embedded or
        // shown to anyone (docs/matcher.md).
        let denylist = self.settings.current().denylist.clone();
        let verdict = self
            .chaperone
            .screen(
                Surface::Heart,
                &crate::profile::screened(&cmd.heart_file.heart),
                &denylist,
            )
            .await;
        let log = ChaperoneEntry::new(Surface::Heart, "heart_file", None, &verdict, now);
        match cmd.owner_id {
            Some(owner) => {
                let saved = self
                    .owners
                    .add_heart_version(owner, cmd.heart_file, log, now)
                    .await
                    .map_err(|e| match e {
                        StoreError::NotFound => IntakeError::NoSuchOwner,
                        e => e.into(),
                    })?;
                Ok(HeartReceipt {
                    saved,
                    verdict,
                    owner_token: None,
                })
            }
            None => {
                let token = auth::token_from_bytes(&self.ids.secret_bytes());
                let saved = self
                    .owners
                    .create_owner(auth::token_hash(&token), cmd.heart_file, log, now)
                    .await?;
                Ok(HeartReceipt {
                    saved,
                    verdict,
                    owner_token: Some(token),
                })
            }
        }
    }

    /// Registers a pending endpoint and returns its id and challenge nonce.
    ///
    /// # Errors
    /// Auth errors when an owner is named (directly or through its persona);
    /// [`IntakeError::Invalid`] for an unusable callback URL or public key.
    #[tracing::instrument(skip_all, fields(owner.id = ?cmd.owner_id))]
    pub async fn register_agent(
        &self,
        cmd: RegisterAgent,
        bearer: Option<&str>,
    ) -> Result<Registered, IntakeError> {
        let mut owner_id = cmd.owner_id;
        if let Some(owner) = owner_id {
            auth::authorize(&*self.owners, owner, bearer).await?;
        }
        if let Some(persona) = cmd.persona_id {
            let persona_owner = self
                .personas
                .persona_owner(persona)
                .await?
                .ok_or(IntakeError::NoSuchPersona)?;
            match (owner_id, persona_owner) {
                (Some(named), Some(actual)) if named != actual => {
                    return Err(AuthError::NotYourOwner.into());
                }
                (None, Some(actual)) => {
                    auth::authorize(&*self.owners, actual, bearer).await?;
                    owner_id = Some(actual);
                }
                _ => {}
            }
        }
        let callback_url = cmd
            .callback_url
            .map(|u| check_callback_url(&u, self.allow_private_callbacks))
            .transpose()
            .map_err(|message| {
                IntakeError::Invalid(FieldIssue {
                    path: "callbackUrl",
                    message,
                })
            })?;
        let key_address = cmd
            .public_key
            .as_deref()
            .map(|k| self.proofs.key_address(k))
            .transpose()
            .map_err(|e| {
                IntakeError::Invalid(FieldIssue {
                    path: "publicKey",
                    message: e.to_string(),
                })
            })?;
        // Notifications to the callback are signed with a per-endpoint secret, shown once.
        let callback = callback_url.map(|url| EndpointCallback {
            url,
            secret: auth::secret_token("", &self.ids.secret_bytes()),
        });
        let callback_secret = callback.as_ref().map(|c| c.secret.clone());
        let key = cmd
            .public_key
            .zip(key_address)
            .map(|(public_key, address)| EndpointKey {
                public_key,
                address,
            });
        let now = self.clock.now();
        let nonce = challenge_nonce(&self.ids.uuid(), now);
        let endpoint = NewEndpoint::new(
            owner_id,
            cmd.persona_id,
            cmd.runtime,
            callback,
            key,
            nonce.clone(),
        )
        .map_err(|e| {
            IntakeError::Invalid(FieldIssue {
                path: match e {
                    EndpointError::CallbackUrl(_) => "callbackUrl",
                    EndpointError::KeyAddress => "publicKey",
                    EndpointError::Nonce => "challengeNonce",
                },
                message: e.to_string(),
            })
        })?;
        let id = self.agents.register_endpoint(endpoint, now).await?;
        Ok(Registered {
            id,
            challenge_nonce: nonce,
            callback_secret,
        })
    }

    /// Checks the presented proofs: a signature, else an echo token, else (when neither
    /// was presented) a callback round-trip. Fail-closed: anything short of a match
    /// leaves the endpoint pending.
    ///
    /// # Errors
    /// Store errors only; every proof failure is a [`VerifyOutcome`].
    #[tracing::instrument(skip_all, fields(endpoint.id = %id))]
    pub async fn verify_agent(
        &self,
        id: EndpointId,
        proofs: Proofs,
    ) -> Result<VerifyOutcome, IntakeError> {
        let Some(endpoint) = self.agents.endpoint(id).await? else {
            return Ok(VerifyOutcome::UnknownEndpoint);
        };
        let Some(nonce) = endpoint.challenge_nonce.clone() else {
            return Ok(VerifyOutcome::UnknownEndpoint);
        };
        if endpoint.status == EndpointStatus::Active {
            let via = endpoint.verified_via.as_deref().unwrap_or("callback");
            return Ok(VerifyOutcome::Active(format!("verified:{via}")));
        }
        let via = self.check_proofs(&endpoint, &nonce, &proofs).await;
        match via {
            Some(via) => {
                self.agents
                    .activate_endpoint(id, via, self.clock.now())
                    .await?;
                Ok(VerifyOutcome::Active(format!("verified:{via}")))
            }
            None => Ok(VerifyOutcome::NotSatisfied),
        }
    }

    async fn check_proofs(
        &self,
        endpoint: &Endpoint,
        nonce: &str,
        proofs: &Proofs,
    ) -> Option<&'static str> {
        if let (Some(sig), Some(expected)) = (&proofs.signature, &endpoint.key_address) {
            match self.proofs.recover_personal_sign(nonce, sig) {
                Ok(addr) if addr.eq_ignore_ascii_case(expected) => return Some("signature"),
                Ok(_) => tracing::info!("signature recovered to another address"),
                Err(e) => tracing::info!(reason = %e, "signature unusable"),
            }
        }
        if let Some(echo) = &proofs.echo_token
            && constant_time_eq::constant_time_eq(echo.as_bytes(), nonce.as_bytes())
        {
            return Some("callback");
        }
        if proofs.signature.is_none()
            && proofs.echo_token.is_none()
            && let Some(url) = &endpoint.callback_url
        {
            match self.callbacks.challenge(url, nonce).await {
                Ok(echo)
                    if constant_time_eq::constant_time_eq(echo.as_bytes(), nonce.as_bytes()) =>
                {
                    return Some("callback");
                }
                Ok(_) => tracing::info!("callback echoed something else"),
                Err(e) => tracing::info!(error = %e, "callback round-trip failed"),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProviderError;
    use crate::ports::{
        MockAgentStore, MockCallbackClient, MockClock, MockIds, MockOwnerStore, MockPersonaStore,
        MockProofVerifier,
    };
    use time::macros::datetime;

    struct Mocks {
        owners: MockOwnerStore,
        agents: MockAgentStore,
        personas: MockPersonaStore,
        proofs: MockProofVerifier,
        callbacks: MockCallbackClient,
    }

    impl Mocks {
        fn new() -> Self {
            Self {
                owners: MockOwnerStore::new(),
                agents: MockAgentStore::new(),
                personas: MockPersonaStore::new(),
                proofs: MockProofVerifier::new(),
                callbacks: MockCallbackClient::new(),
            }
        }

        async fn intake(self) -> Intake {
            let mut settings = crate::ports::MockSettingsStore::new();
            settings.expect_all().returning(|| Ok(Vec::new()));
            let settings = crate::settings::SettingsService::load(Arc::new(settings), &[])
                .await
                .expect("settings");
            let mut guard = crate::ports::MockGuard::new();
            guard
                .expect_classify()
                .returning(|_| Ok(crate::ports::GuardVerdict::Safe));
            let mut log = crate::ports::MockChaperoneLog::new();
            log.expect_record().returning(|_| Ok(()));
            let chaperone = crate::chaperone::Chaperone::new(Arc::new(guard), Arc::new(log));
            let mut clock = MockClock::new();
            clock
                .expect_now()
                .returning(|| datetime!(2026-11-23 12:00 UTC));
            let mut ids = MockIds::new();
            ids.expect_secret_bytes().returning(|| [9u8; 32]);
            ids.expect_uuid()
                .returning(|| "00000000-0000-4000-8000-000000000000".into());
            Intake::new(
                IntakePorts {
                    owners: Arc::new(self.owners),
                    agents: Arc::new(self.agents),
                    personas: Arc::new(self.personas),
                    proofs: Arc::new(self.proofs),
                    callbacks: Arc::new(self.callbacks),
                    clock: Arc::new(clock),
                    ids: Arc::new(ids),
                    chaperone: Arc::new(chaperone),
                    settings: Arc::new(settings),
                },
                false,
            )
        }
    }

    fn pending(callback: Option<&str>, key: Option<&str>) -> Endpoint {
        Endpoint {
            id: EndpointId(1),
            owner_id: None,
            status: EndpointStatus::Pending,
            callback_url: callback.map(str::to_owned),
            key_address: key.map(str::to_owned),
            challenge_nonce: Some("ishtar:n:1".into()),
            verified_via: None,
        }
    }

    #[test]
    fn the_heart_hash_ignores_key_order() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{"b":1,"a":{"y":2,"x":3}}"#).expect("json");
        let b: serde_json::Value =
            serde_json::from_str(r#"{"a":{"x":3,"y":2},"b":1}"#).expect("json");
        assert_eq!(heart_hash(&a), heart_hash(&b));
        assert_ne!(heart_hash(&a), heart_hash(&serde_json::json!({"b": 2})));
    }

    #[test]
    fn callback_urls_follow_the_rules() {
        assert!(check_callback_url("https://agent.example.com/cb", false).is_ok());
        for bad in [
            "http://agent.example.com/cb",
            "https://127.0.0.1/cb",
            "https://10.0.0.8/cb",
            "https://169.254.169.254/latest",
            "https://[::1]/cb",
            "https://[::ffff:127.0.0.1]/cb",
            "https://localhost/cb",
            "https://user:pw@agent.example.com/",
            "ftp://agent.example.com/",
            "javascript:alert(1)",
            "not a url",
        ] {
            assert!(check_callback_url(bad, false).is_err(), "{bad}");
        }
        assert!(check_callback_url("http://127.0.0.1:9/cb", true).is_ok());
    }

    #[test]
    fn ip_classification() {
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "64:ff9b::808:808"] {
            assert!(is_public_ip(ip.parse().expect("ip")), "{ip}");
        }
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            // issue 11: IPv6 forms that carry a loopback IPv4 address, and site-local
            "::7f00:1",
            "::ffff:0:7f00:1",
            "::ffff:127.0.0.1",
            "::ffff:8.8.8.8",
            "2002:7f00:1::",
            "2002:808:808::1",
            "64:ff9b::7f00:1",
            "64:ff9b:1::808:808",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "fec0::1",
            "feff::1",
        ] {
            assert!(!is_public_ip(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[tokio::test]
    async fn a_new_heart_creates_an_owner_and_returns_its_token_once() {
        let mut m = Mocks::new();
        m.owners
            .expect_create_owner()
            .times(1)
            .returning(|hash, _, _, _| {
                assert_eq!(hash, auth::token_hash(&auth::token_from_bytes(&[9u8; 32])));
                Ok(HeartFileSaved {
                    owner_id: OwnerId(4),
                    heart_file_id: crate::model::HeartFileId(5),
                    version: 1,
                    tier: crate::model::Tier::AgentRepresented,
                })
            });
        let heart = NewHeartFile {
            display_name: None,
            home_market: crate::model::HomeMarket::Other,
            active_market: crate::model::ActiveMarket::Remote,
            available_for: None,
            research_optin: crate::model::ResearchOptin::None,
            age_attested: true,
            contact_ref: None,
            heart: serde_json::json!({"about": "x"}),
            heart_hash: String::new(),
        };
        let r = m
            .intake()
            .await
            .submit_heart(
                SubmitHeart {
                    owner_id: None,
                    heart_file: heart,
                },
                None,
            )
            .await
            .expect("stored");
        assert_eq!(r.saved.owner_id, OwnerId(4));
        assert!(r.owner_token.is_some_and(|t| t.starts_with("ish_")));
    }

    #[tokio::test]
    async fn a_wrong_signature_leaves_the_endpoint_pending_and_skips_the_callback() {
        let mut m = Mocks::new();
        m.agents
            .expect_endpoint()
            .returning(|_| Ok(Some(pending(Some("https://a.example/cb"), Some("0xaa")))));
        m.proofs
            .expect_recover_personal_sign()
            .returning(|_, _| Ok("0xbb".into()));
        m.callbacks.expect_challenge().never();
        m.agents.expect_activate_endpoint().never();
        let out = m
            .intake()
            .await
            .verify_agent(
                EndpointId(1),
                Proofs {
                    signature: Some("0x00".into()),
                    echo_token: None,
                },
            )
            .await
            .expect("no store error");
        assert_eq!(out, VerifyOutcome::NotSatisfied);
    }

    #[tokio::test]
    async fn a_matching_signature_activates() {
        let mut m = Mocks::new();
        m.agents
            .expect_endpoint()
            .returning(|_| Ok(Some(pending(None, Some("0xAbC")))));
        m.proofs
            .expect_recover_personal_sign()
            .withf(|msg, _| msg == "ishtar:n:1")
            .returning(|_, _| Ok("0xabc".into()));
        m.agents
            .expect_activate_endpoint()
            .withf(|_, via, _| via == "signature")
            .times(1)
            .returning(|_, _, _| Ok(()));
        let out = m
            .intake()
            .await
            .verify_agent(
                EndpointId(1),
                Proofs {
                    signature: Some("0x1".into()),
                    echo_token: None,
                },
            )
            .await
            .expect("ok");
        assert_eq!(out, VerifyOutcome::Active("verified:signature".into()));
    }

    #[tokio::test]
    async fn a_failing_callback_is_fail_closed() {
        let mut m = Mocks::new();
        m.agents
            .expect_endpoint()
            .returning(|_| Ok(Some(pending(Some("https://a.example/cb"), None))));
        m.callbacks
            .expect_challenge()
            .times(1)
            .returning(|_, _| Err(ProviderError::unavailable("timeout")));
        m.agents.expect_activate_endpoint().never();
        let out = m
            .intake()
            .await
            .verify_agent(EndpointId(1), Proofs::default())
            .await
            .expect("ok");
        assert_eq!(out, VerifyOutcome::NotSatisfied);
    }

    #[tokio::test]
    async fn an_endpoint_without_a_challenge_is_unknown() {
        let mut m = Mocks::new();
        m.agents.expect_endpoint().returning(|_| {
            let mut e = pending(None, None);
            e.challenge_nonce = None;
            Ok(Some(e))
        });
        let out = m
            .intake()
            .await
            .verify_agent(EndpointId(1), Proofs::default())
            .await
            .expect("ok");
        assert_eq!(out, VerifyOutcome::UnknownEndpoint);
    }

    #[tokio::test]
    async fn a_persona_of_another_owner_cannot_be_claimed_by_naming_it() {
        let mut m = Mocks::new();
        m.owners
            .expect_owner_by_token()
            .returning(|_| Ok(Some(OwnerId(1))));
        m.personas
            .expect_persona_owner()
            .returning(|_| Ok(Some(Some(OwnerId(2)))));
        m.agents.expect_register_endpoint().never();
        let r = m
            .intake()
            .await
            .register_agent(
                RegisterAgent {
                    owner_id: Some(OwnerId(1)),
                    persona_id: Some(PersonaId(9)),
                    runtime: Runtime::Claude,
                    callback_url: None,
                    public_key: None,
                },
                Some("ish_mine"),
            )
            .await;
        assert!(matches!(r, Err(IntakeError::Auth(AuthError::NotYourOwner))));
    }
}
