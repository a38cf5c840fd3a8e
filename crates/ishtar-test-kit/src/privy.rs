//! A stand-in for Privy: a P-256 key generated for the test signs ES256 access tokens
//! with Privy's claims (docs/wire-formats.md#privy-access-tokens), and hands out the SPKI PEM
//! the venue is configured with. Real cryptography, no network.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey as _, LineEnding};
use serde_json::{Value, json};

/// A Privy app's signing key, generated fresh.
pub struct PrivyKey {
    key: SigningKey,
}

impl Default for PrivyKey {
    fn default() -> Self {
        Self::generate()
    }
}

impl PrivyKey {
    /// A new random P-256 key.
    pub fn generate() -> Self {
        Self {
            key: SigningKey::random(&mut rand::rngs::OsRng),
        }
    }

    /// The verification key as the Privy dashboard shows it: SPKI PEM.
    pub fn public_pem(&self) -> String {
        self.key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap()
    }

    /// A compact JWT over `header` and `claims`, signed ES256 with this key.
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap()),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
        );
        let sig: Signature = self.key.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    /// A compact ES256 JWT (`{"alg":"ES256","typ":"JWT"}`) over `claims`.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(&json!({"alg": "ES256", "typ": "JWT"}), claims)
    }

    /// A valid access token for `app_id` and user `did:privy:<user>`, issued `now_s`,
    /// expiring an hour later.
    pub fn access_token(&self, app_id: &str, user: &str, now_s: i64) -> String {
        self.sign(&access_claims(app_id, user, now_s))
    }
}

/// Privy's access-token claims: `sid`, `sub`, `iss`, `aud`, `iat`, `exp`.
pub fn access_claims(app_id: &str, user: &str, now_s: i64) -> Value {
    json!({
        "sid": format!("sess-{user}"),
        "sub": format!("did:privy:{user}"),
        "iss": "privy.io",
        "aud": app_id,
        "iat": now_s,
        "exp": now_s + 3600,
    })
}
