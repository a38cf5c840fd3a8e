//! Privy access-token verification (docs/wire-formats.md#privy-access-tokens), as the
//! domain's [`AuthVerifier`] port.
//!
//! A Privy access token is an ES256 (ECDSA P-256) JWT. [`PrivyVerifier`] accepts one only
//! when all of these hold:
//!
//! - the header's `alg` is exactly `ES256` (`none`, `HS*`, `RS*`, … are refused before any
//!   key is touched, so the public key can never be used as an HMAC secret), and `typ`, if
//!   present, is `JWT`;
//! - the signature verifies with the app's verification key (an SPKI PEM P-256 public key,
//!   `ISHTAR_PRIVY_VERIFICATION_KEY`);
//! - `iss` is exactly `privy.io` and `aud` is exactly the app id (`ISHTAR_PRIVY_APP_ID`);
//! - `exp`, `iat` (and `nbf`, if present) are sane against the `now` the caller passes —
//!   never the wall clock — within a small leeway (default 60 s);
//! - `sid` is present and `sub` is a `did:privy:…` user id.
//!
//! Without an app id or a key every token is refused (`privy not configured`): fail
//! closed. A key that is set but is not a P-256 SPKI PEM is a start-up error.
//! Failure reasons are short and never contain the token.

use std::fmt;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use p256::pkcs8::DecodePublicKey as _;
use serde::Deserialize;
use time::OffsetDateTime;

use ishtar_domain::ports::{AuthVerifier, LoginError, VerifiedLogin};

/// The exact `iss` of Privy access tokens (a bare string, not a URL).
pub const PRIVY_ISSUER: &str = "privy.io";

/// The default clock leeway for `exp`/`nbf`/`iat`, in seconds.
pub const DEFAULT_LEEWAY_S: u64 = 60;

/// The prefix of Privy user ids (`sub`).
pub const PRIVY_DID_PREFIX: &str = "did:privy:";

/// Tokens longer than this are refused unread (Privy's are well under 2 KiB).
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// The reason every token is refused while no app id or key is set.
const NOT_CONFIGURED: &str = "privy not configured";

/// Privy settings (`ISHTAR_PRIVY_APP_ID`, `ISHTAR_PRIVY_VERIFICATION_KEY`).
#[derive(Debug, Clone)]
pub struct PrivyConfig {
    /// The Privy app id; the token's `aud` must equal it. `None` or blank → unconfigured.
    pub app_id: Option<String>,
    /// The app's verification key from the Privy dashboard: a P-256 public key as SPKI PEM
    /// (`-----BEGIN PUBLIC KEY-----`). Literal `\n` sequences (as pasted into an env var)
    /// are accepted. `None` or blank → unconfigured.
    pub verification_key_pem: Option<String>,
    /// Clock leeway for `exp`/`nbf`/`iat`, in seconds.
    pub leeway_s: u64,
}

impl Default for PrivyConfig {
    fn default() -> Self {
        Self {
            app_id: None,
            verification_key_pem: None,
            leeway_s: DEFAULT_LEEWAY_S,
        }
    }
}

/// The configured part of a verifier.
struct Keyed {
    app_id: String,
    key: DecodingKey,
    validation: Validation,
    leeway_s: f64,
}

/// Verifies Privy access tokens. Cheap to share behind an `Arc`.
pub struct PrivyVerifier {
    keyed: Option<Keyed>,
}

impl fmt::Debug for PrivyVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivyVerifier")
            .field("app_id", &self.keyed.as_ref().map(|k| k.app_id.as_str()))
            .field("configured", &self.is_configured())
            .finish()
    }
}

/// The claims we read. All optional here so that a missing one gets a precise reason;
/// a claim of the wrong type fails as `malformed claims`.
#[derive(Deserialize)]
struct PrivyClaims {
    sid: Option<String>,
    sub: Option<String>,
    iss: Option<String>,
    aud: Option<String>,
    iat: Option<f64>,
    exp: Option<f64>,
    nbf: Option<f64>,
}

fn blank_to_none(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Parses an SPKI PEM P-256 public key into the SEC1 point jsonwebtoken verifies with.
fn parse_key(pem: &str) -> Result<DecodingKey, String> {
    let pem = pem.replace("\\n", "\n");
    let pem = pem.trim();
    if pem.contains("PRIVATE KEY") {
        return Err("privy verification key must be the public key, not a private key".into());
    }
    let key = p256::PublicKey::from_public_key_pem(pem)
        .map_err(|_| "privy verification key is not a P-256 SPKI PEM public key".to_owned())?;
    Ok(DecodingKey::from_ec_der(
        key.to_encoded_point(false).as_bytes(),
    ))
}

/// Checks the header before anything else: only ES256 (and `typ` JWT, if given).
fn precheck_header(token: &str) -> Result<(), String> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("malformed token".into());
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| "malformed token".to_owned())?;
    let header: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| "malformed token".to_owned())?;
    if header.get("alg").and_then(serde_json::Value::as_str) != Some("ES256") {
        return Err("algorithm not allowed".into());
    }
    match header.get("typ") {
        None => Ok(()),
        Some(t) if t.as_str().is_some_and(|t| t.eq_ignore_ascii_case("JWT")) => Ok(()),
        Some(_) => Err("wrong token type".into()),
    }
}

fn reason(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::InvalidSignature => "bad signature".into(),
        ErrorKind::InvalidAlgorithm
        | ErrorKind::InvalidAlgorithmName
        | ErrorKind::MissingAlgorithm
        | ErrorKind::UnsupportedAlgorithm => "algorithm not allowed".into(),
        ErrorKind::InvalidAudience => "wrong audience".into(),
        ErrorKind::InvalidIssuer => "wrong issuer".into(),
        ErrorKind::ExpiredSignature => "token expired".into(),
        ErrorKind::ImmatureSignature => "token not yet valid".into(),
        // Only the fixed names we asked for (exp, iss, aud, sub) can appear here.
        ErrorKind::MissingRequiredClaim(c) => format!("missing {c}"),
        ErrorKind::InvalidClaimFormat(_) | ErrorKind::Json(_) => "malformed claims".into(),
        _ => "malformed token".into(),
    }
}

impl PrivyVerifier {
    /// Builds a verifier. Unconfigured (no app id or no key) is allowed: every token is
    /// then refused.
    ///
    /// # Errors
    /// A start-up error when a key is given but is not a P-256 SPKI PEM public key.
    pub fn new(cfg: PrivyConfig) -> Result<Self, String> {
        let key = blank_to_none(cfg.verification_key_pem)
            .map(|pem| parse_key(&pem))
            .transpose()?;
        let app_id = blank_to_none(cfg.app_id);
        let keyed = match (app_id, key) {
            (Some(app_id), Some(key)) => {
                let mut validation = Validation::new(Algorithm::ES256);
                validation.set_issuer(&[PRIVY_ISSUER]);
                validation.set_audience(&[app_id.as_str()]);
                validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
                // Times are checked below against the caller's `now`, not the wall clock.
                validation.validate_exp = false;
                validation.validate_nbf = false;
                validation.leeway = cfg.leeway_s;
                #[expect(
                    clippy::cast_precision_loss,
                    reason = "a leeway of seconds is far below 2^53"
                )]
                let leeway_s = cfg.leeway_s as f64;
                Some(Keyed {
                    app_id,
                    key,
                    validation,
                    leeway_s,
                })
            }
            _ => None,
        };
        Ok(Self { keyed })
    }

    /// Whether both an app id and a key are set.
    pub fn is_configured(&self) -> bool {
        self.keyed.is_some()
    }

    /// The whole check, synchronously (the port's `verify` calls this).
    ///
    /// # Errors
    /// A short reason; never the token.
    pub fn verify_at(&self, token: &str, now: OffsetDateTime) -> Result<VerifiedLogin, String> {
        let keyed = self
            .keyed
            .as_ref()
            .ok_or_else(|| NOT_CONFIGURED.to_owned())?;
        let token = token.trim();
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err("malformed token".into());
        }
        precheck_header(token)?;
        let data = jsonwebtoken::decode::<PrivyClaims>(token, &keyed.key, &keyed.validation)
            .map_err(|e| reason(e.kind()))?;
        let c = data.claims;

        // jsonwebtoken checked these too; the exact comparisons are repeated here so the
        // rule does not rest on its option semantics (docs/wire-formats.md#privy-access-tokens).
        if c.iss.as_deref() != Some(PRIVY_ISSUER) {
            return Err("wrong issuer".into());
        }
        if c.aud.as_deref() != Some(keyed.app_id.as_str()) {
            return Err("wrong audience".into());
        }

        #[expect(
            clippy::cast_precision_loss,
            reason = "unix seconds are far below 2^53"
        )]
        let now_s = now.unix_timestamp() as f64;
        let leeway = keyed.leeway_s;
        let exp = c.exp.ok_or_else(|| "missing exp".to_owned())?;
        if now_s > exp + leeway {
            return Err("token expired".into());
        }
        if c.nbf.is_some_and(|nbf| nbf > now_s + leeway) {
            return Err("token not yet valid".into());
        }
        let iat = c.iat.ok_or_else(|| "missing iat".to_owned())?;
        if iat > now_s + leeway {
            return Err("token not yet valid".into());
        }

        if c.sid.as_deref().is_none_or(str::is_empty) {
            return Err("missing sid".into());
        }
        let sub = c.sub.unwrap_or_default();
        if sub.len() <= PRIVY_DID_PREFIX.len() || !sub.starts_with(PRIVY_DID_PREFIX) {
            return Err("bad subject".into());
        }
        Ok(VerifiedLogin { user_id: sub })
    }
}

#[async_trait]
impl AuthVerifier for PrivyVerifier {
    async fn verify(&self, token: &str, now: OffsetDateTime) -> Result<VerifiedLogin, LoginError> {
        if !self.is_configured() {
            return Err(LoginError::Unconfigured(NOT_CONFIGURED));
        }
        self.verify_at(token, now).map_err(LoginError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests: failing loudly is the point")]

    use super::*;
    use jsonwebtoken::{EncodingKey, Header};
    use p256::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
    use serde_json::json;

    const APP: &str = "cm-test-app-id";
    const NOW: i64 = 1_800_000_000;

    struct Keys {
        signing_der: Vec<u8>,
        public_pem: String,
    }

    fn keys() -> Keys {
        let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
        Keys {
            signing_der: secret.to_pkcs8_der().unwrap().as_bytes().to_vec(),
            public_pem: secret
                .public_key()
                .to_public_key_pem(LineEnding::LF)
                .unwrap(),
        }
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(NOW).unwrap()
    }

    fn verifier(k: &Keys) -> PrivyVerifier {
        PrivyVerifier::new(PrivyConfig {
            app_id: Some(APP.into()),
            verification_key_pem: Some(k.public_pem.clone()),
            ..PrivyConfig::default()
        })
        .unwrap()
    }

    /// Claims shaped like a real Privy access token (docs/wire-formats.md#privy-access-tokens).
    fn claims() -> serde_json::Value {
        json!({
            "sid": "cm-session-1",
            "sub": "did:privy:cm0123456789abcdef",
            "iss": "privy.io",
            "aud": APP,
            "iat": NOW - 10,
            "exp": NOW + 3600,
        })
    }

    fn sign(k: &Keys, claims: &serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ec_der(&k.signing_der)).unwrap()
    }

    fn with(field: &str, value: serde_json::Value) -> serde_json::Value {
        let mut c = claims();
        c[field] = value;
        c
    }

    fn b64(v: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    }

    #[tokio::test]
    async fn a_valid_token_yields_the_privy_did() {
        let k = keys();
        let login = verifier(&k).verify(&sign(&k, &claims()), now()).await;
        assert_eq!(
            login,
            Ok(VerifiedLogin {
                user_id: "did:privy:cm0123456789abcdef".into()
            })
        );
    }

    #[test]
    fn expiry_is_checked_against_the_given_now_with_leeway() {
        let k = keys();
        let v = verifier(&k);
        let t = sign(&k, &with("exp", json!(NOW - 61)));
        assert_eq!(v.verify_at(&t, now()), Err("token expired".into()));
        // Inside the 60 s leeway: still accepted.
        let t = sign(&k, &with("exp", json!(NOW - 30)));
        assert!(v.verify_at(&t, now()).is_ok());
        // The same valid token fails once the caller's clock passes exp + leeway.
        let t = sign(&k, &claims());
        let later = OffsetDateTime::from_unix_timestamp(NOW + 3600 + 61).unwrap();
        assert_eq!(v.verify_at(&t, later), Err("token expired".into()));
    }

    #[test]
    fn tokens_not_yet_valid_are_refused() {
        let k = keys();
        let v = verifier(&k);
        let t = sign(&k, &with("nbf", json!(NOW + 120)));
        assert_eq!(v.verify_at(&t, now()), Err("token not yet valid".into()));
        let t = sign(&k, &with("iat", json!(NOW + 120)));
        assert_eq!(v.verify_at(&t, now()), Err("token not yet valid".into()));
        let t = sign(&k, &with("nbf", json!(NOW + 30)));
        assert!(v.verify_at(&t, now()).is_ok(), "inside the leeway");
    }

    #[test]
    fn wrong_audience_and_issuer_are_refused() {
        let k = keys();
        let v = verifier(&k);
        let t = sign(&k, &with("aud", json!("some-other-app")));
        assert_eq!(v.verify_at(&t, now()), Err("wrong audience".into()));
        let t = sign(&k, &with("aud", json!(["some-other-app", "x"])));
        assert!(v.verify_at(&t, now()).is_err());
        for iss in ["https://auth.privy.io", "privy.io.evil", "", "Privy.io"] {
            let t = sign(&k, &with("iss", json!(iss)));
            assert_eq!(v.verify_at(&t, now()), Err("wrong issuer".into()), "{iss}");
        }
    }

    #[test]
    fn missing_claims_are_named() {
        let k = keys();
        let v = verifier(&k);
        for (claim, why) in [
            ("iss", "missing iss"),
            ("aud", "missing aud"),
            ("exp", "missing exp"),
            ("sub", "missing sub"),
            ("iat", "missing iat"),
            ("sid", "missing sid"),
        ] {
            let mut c = claims();
            c.as_object_mut().unwrap().remove(claim);
            assert_eq!(
                v.verify_at(&sign(&k, &c), now()),
                Err(why.into()),
                "{claim}"
            );
        }
        let t = sign(&k, &with("sub", json!("user-1")));
        assert_eq!(v.verify_at(&t, now()), Err("bad subject".into()));
        let t = sign(&k, &with("sub", json!("did:privy:")));
        assert_eq!(v.verify_at(&t, now()), Err("bad subject".into()));
        let t = sign(&k, &with("exp", json!("tomorrow")));
        assert_eq!(v.verify_at(&t, now()), Err("malformed claims".into()));
    }

    #[test]
    fn a_token_signed_by_another_key_is_refused() {
        let k = keys();
        let other = keys();
        let t = sign(&other, &claims());
        assert_eq!(
            verifier(&k).verify_at(&t, now()),
            Err("bad signature".into())
        );
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let k = keys();
        let t = sign(&k, &claims());
        let parts: Vec<&str> = t.split('.').collect();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            b64(&with("sub", json!("did:privy:someone-else"))),
            parts[2]
        );
        assert_eq!(
            verifier(&k).verify_at(&forged, now()),
            Err("bad signature".into())
        );
    }

    #[test]
    fn alg_none_and_algorithm_confusion_are_refused() {
        let k = keys();
        let v = verifier(&k);
        // alg: none, with and without an empty signature part.
        let none = b64(&json!({"alg": "none", "typ": "JWT"}));
        for t in [
            format!("{none}.{}.", b64(&claims())),
            format!("{none}.{}", b64(&claims())),
        ] {
            let r = v.verify_at(&t, now());
            assert!(r.is_err(), "{r:?}");
        }
        assert_eq!(
            v.verify_at(&format!("{none}.{}.", b64(&claims())), now()),
            Err("algorithm not allowed".into())
        );
        // HS256 with the public key (PEM text) as the HMAC secret.
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let t = jsonwebtoken::encode(
                &Header::new(alg),
                &claims(),
                &EncodingKey::from_secret(k.public_pem.as_bytes()),
            )
            .unwrap();
            assert_eq!(
                v.verify_at(&t, now()),
                Err("algorithm not allowed".into()),
                "{alg:?}"
            );
        }
        // RS256 / ES384 headers over an otherwise valid ES256 signature.
        let good = sign(&k, &claims());
        let rest = good.split_once('.').unwrap().1;
        for alg in ["RS256", "ES384", "PS256", "EdDSA", "es256"] {
            let t = format!("{}.{rest}", b64(&json!({"alg": alg, "typ": "JWT"})));
            assert_eq!(
                v.verify_at(&t, now()),
                Err("algorithm not allowed".into()),
                "{alg}"
            );
        }
        let t = format!("{}.{rest}", b64(&json!({"alg": "ES256", "typ": "at+jwt"})));
        assert_eq!(v.verify_at(&t, now()), Err("wrong token type".into()));
    }

    #[test]
    fn garbage_is_refused_without_echoing_it() {
        let k = keys();
        let v = verifier(&k);
        let long = "a".repeat(10_000);
        for t in [
            "",
            "   ",
            "not-a-jwt",
            "a.b.c",
            "a.b.c.d",
            "eyJhbGciOiJFUzI1NiJ9.%%%.@@@",
            "....",
            long.as_str(),
        ] {
            let r = v.verify_at(t, now());
            let Err(why) = r else {
                panic!("accepted {t:?}");
            };
            assert!(why.len() < 40, "{why}");
            if t.len() > 3 {
                assert!(!why.contains(t.trim()), "echoed the token: {why}");
            }
        }
        // A real token's reason never echoes it either.
        let t = sign(&keys(), &claims());
        let why = v.verify_at(&t, now()).unwrap_err();
        assert!(!why.contains(&t[..20]));
    }

    #[tokio::test]
    async fn unconfigured_refuses_everything() {
        let k = keys();
        let t = sign(&k, &claims());
        for cfg in [
            PrivyConfig::default(),
            PrivyConfig {
                app_id: Some(APP.into()),
                ..PrivyConfig::default()
            },
            PrivyConfig {
                verification_key_pem: Some(k.public_pem.clone()),
                ..PrivyConfig::default()
            },
            PrivyConfig {
                app_id: Some("  ".into()),
                verification_key_pem: Some(k.public_pem.clone()),
                ..PrivyConfig::default()
            },
        ] {
            let v = PrivyVerifier::new(cfg).unwrap();
            assert!(!v.is_configured());
            assert_eq!(
                v.verify(&t, now()).await,
                Err(LoginError::Unconfigured("privy not configured"))
            );
        }
    }

    #[test]
    fn a_malformed_key_is_a_start_up_error() {
        let k = keys();
        for pem in [
            "not a pem".to_owned(),
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".to_owned(),
            p256::SecretKey::random(&mut rand::rngs::OsRng)
                .to_pkcs8_pem(LineEnding::LF)
                .unwrap()
                .to_string(),
        ] {
            let r = PrivyVerifier::new(PrivyConfig {
                app_id: Some(APP.into()),
                verification_key_pem: Some(pem),
                ..PrivyConfig::default()
            });
            assert!(r.is_err());
        }
        // An env-var style PEM with literal `\n` works.
        let escaped = k.public_pem.trim().replace('\n', "\\n");
        let v = PrivyVerifier::new(PrivyConfig {
            app_id: Some(APP.into()),
            verification_key_pem: Some(escaped),
            ..PrivyConfig::default()
        })
        .unwrap();
        assert!(v.verify_at(&sign(&k, &claims()), now()).is_ok());
    }

    #[test]
    fn the_leeway_is_configurable() {
        let k = keys();
        let v = PrivyVerifier::new(PrivyConfig {
            app_id: Some(APP.into()),
            verification_key_pem: Some(k.public_pem.clone()),
            leeway_s: 0,
        })
        .unwrap();
        let t = sign(&k, &with("exp", json!(NOW - 1)));
        assert_eq!(v.verify_at(&t, now()), Err("token expired".into()));
    }
}
