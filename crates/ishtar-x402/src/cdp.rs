//! CDP API-key authentication (docs/wire-formats.md#cdp-api-key-jwt): a fresh, short-lived
//! JWT per request, sent as `Authorization: Bearer <jwt>`.
//!
//! The JWT is signed here with `p256` (ES256, for EC PEM secrets, SEC1 or PKCS#8) or
//! `ed25519-dalek` (EdDSA, for base64 64-byte Ed25519 secrets) rather than with
//! `jsonwebtoken`: two algorithms, no verification, and the key is parsed once at start-up.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::pkcs8::DecodePrivateKey as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::json;
use time::OffsetDateTime;

/// How long a CDP JWT lives (the CDP SDKs' default).
pub const JWT_LIFETIME_SECS: i64 = 120;

enum CdpKey {
    Es256(p256::ecdsa::SigningKey),
    EdDsa(ed25519_dalek::SigningKey),
}

/// A CDP API key, parsed once, that mints request JWTs.
pub struct CdpAuth {
    key_id: String,
    key: CdpKey,
}

impl fmt::Debug for CdpAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CdpAuth")
            .field("key_id", &self.key_id)
            .field("alg", &self.alg())
            .finish_non_exhaustive()
    }
}

impl CdpAuth {
    /// Parses a CDP API key: `secret` is an EC private key in PEM (`EC PRIVATE KEY` or
    /// `PRIVATE KEY`; literal `\n` escapes, as in CDP's JSON key file, are accepted) or the
    /// base64 of a 64-byte Ed25519 secret (seed ‖ public key).
    ///
    /// # Errors
    /// A reason that never contains the secret.
    pub fn new(key_id: &str, secret: &SecretString) -> Result<Self, String> {
        let key_id = key_id.trim();
        if key_id.is_empty() {
            return Err("CDP API key id is empty".to_owned());
        }
        let secret = secret.expose_secret().trim();
        let key = if secret.contains("-----BEGIN") {
            let pem = secret.replace("\\n", "\n");
            let sk = if pem.contains("BEGIN EC PRIVATE KEY") {
                p256::SecretKey::from_sec1_pem(&pem)
                    .map_err(|_| "CDP API key secret: not a P-256 EC private key (SEC1 PEM)")?
            } else if pem.contains("BEGIN PRIVATE KEY") {
                p256::SecretKey::from_pkcs8_pem(&pem)
                    .map_err(|_| "CDP API key secret: not a P-256 private key (PKCS#8 PEM)")?
            } else {
                return Err(
                    "CDP API key secret: PEM is neither EC PRIVATE KEY nor PRIVATE KEY".to_owned(),
                );
            };
            CdpKey::Es256(p256::ecdsa::SigningKey::from(sk))
        } else {
            let bytes = STANDARD.decode(secret).map_err(
                |_| "CDP API key secret: neither an EC PEM key nor base64 of an Ed25519 key",
            )?;
            let (seed, public) = match <&[u8; 64]>::try_from(bytes.as_slice()) {
                Ok(b) => (&b[..32], &b[32..]),
                Err(_) => {
                    return Err(format!(
                        "CDP API key secret: an Ed25519 secret is 64 bytes (seed and public key), got {}",
                        bytes.len()
                    ));
                }
            };
            let seed: [u8; 32] = seed
                .try_into()
                .map_err(|_| "CDP API key secret: bad Ed25519 seed")?;
            let sk = ed25519_dalek::SigningKey::from_bytes(&seed);
            if sk.verifying_key().as_bytes()[..] != public[..] {
                return Err(
                    "CDP API key secret: the Ed25519 public half does not match its seed"
                        .to_owned(),
                );
            }
            CdpKey::EdDsa(sk)
        };
        Ok(Self {
            key_id: key_id.to_owned(),
            key,
        })
    }

    /// The JWS algorithm: `ES256` or `EdDSA`.
    #[must_use]
    pub fn alg(&self) -> &'static str {
        match self.key {
            CdpKey::Es256(_) => "ES256",
            CdpKey::EdDsa(_) => "EdDSA",
        }
    }

    /// A JWT for one request: `uris` = `["<METHOD> <host><path>"]` (host without scheme,
    /// with the port only when the URL names one), `iss` `cdp`, `sub` the key id,
    /// `aud` `["cdp_service"]`, `iat` = `nbf` = now, `exp` = now + 120 s; header `kid`,
    /// `typ` `JWT` and a random `nonce`, as the CDP TypeScript SDK sends.
    ///
    /// # Errors
    /// When the URL has no host.
    pub fn jwt(&self, method: &str, url: &url::Url, now: OffsetDateTime) -> Result<String, String> {
        let host = url.host_str().ok_or("facilitator URL has no host")?;
        let host = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let now = now.unix_timestamp();
        let header = json!({
            "alg": self.alg(),
            "kid": self.key_id,
            "typ": "JWT",
            "nonce": hex::encode(rand::random::<[u8; 16]>()),
        });
        let claims = json!({
            "sub": self.key_id,
            "iss": "cdp",
            "aud": ["cdp_service"],
            "nbf": now,
            "iat": now,
            "exp": now + JWT_LIFETIME_SECS,
            "uris": [format!("{} {host}{}", method.to_ascii_uppercase(), url.path())],
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = match &self.key {
            CdpKey::Es256(k) => {
                let sig: p256::ecdsa::Signature =
                    p256::ecdsa::signature::Signer::sign(k, signing_input.as_bytes());
                sig.to_bytes().to_vec()
            }
            CdpKey::EdDsa(k) => ed25519_dalek::Signer::sign(k, signing_input.as_bytes())
                .to_bytes()
                .to_vec(),
        };
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusable_secrets_are_refused_without_echoing_them() {
        for secret in [
            "not a key",
            "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----",
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
            &STANDARD.encode([1u8; 32]),
            &STANDARD.encode([1u8; 64]),
        ] {
            let err = CdpAuth::new("id", &SecretString::from(secret)).expect_err(secret);
            assert!(!err.contains(secret), "{err}");
        }
        let ok = STANDARD.encode({
            let sk = ed25519_dalek::SigningKey::from_bytes(&[5u8; 32]);
            let mut b = [5u8; 32].to_vec();
            b.extend_from_slice(sk.verifying_key().as_bytes());
            b
        });
        assert!(CdpAuth::new("", &SecretString::from(ok.as_str())).is_err());
        assert_eq!(
            CdpAuth::new("id", &SecretString::from(ok.as_str()))
                .expect("usable")
                .alg(),
            "EdDSA"
        );
    }
}
