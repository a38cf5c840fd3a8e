//! Owner tokens (docs/rules.md#owner-tokens): random, shown once, stored only as a SHA-256 hash.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::error::StoreError;
use crate::model::OwnerId;
use crate::ports::OwnerStore;

/// Every owner token starts with this, so a leaked one is easy to recognise and revoke.
pub const TOKEN_PREFIX: &str = "ish_";

/// Makes a token from 32 secret random bytes: `ish_` + unpadded base64url (43 chars).
pub fn token_from_bytes(bytes: &[u8; 32]) -> String {
    secret_token(TOKEN_PREFIX, bytes)
}

/// `prefix` + unpadded base64url of 32 secret random bytes: the shape of every bearer
/// secret the venue mints (owner tokens, invites), so a leaked one names its kind.
pub fn secret_token(prefix: &str, bytes: &[u8; 32]) -> String {
    let mut t = String::from(prefix);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(bytes, &mut t);
    t
}

/// What the store keeps of a token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Why a caller may not act for an owner.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No bearer token, or one that matches no owner → 401.
    #[error("owner token required")]
    TokenRequired,
    /// A valid token of another owner → 403.
    #[error("token does not belong to this owner")]
    NotYourOwner,
    /// The token could not be looked up: the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The owner a bearer token belongs to, or [`AuthError::TokenRequired`].
///
/// # Errors
/// [`AuthError::TokenRequired`] for a missing or unknown token.
pub async fn token_owner(
    owners: &dyn OwnerStore,
    bearer: Option<&str>,
) -> Result<OwnerId, AuthError> {
    owners
        .owner_by_token(bearer_hash(bearer)?)
        .await?
        .ok_or(AuthError::TokenRequired)
}

/// The stored hash of a bearer token shaped like an owner token.
///
/// # Errors
/// [`AuthError::TokenRequired`] for a missing or malformed token (nothing is looked up).
pub fn bearer_hash(bearer: Option<&str>) -> Result<Vec<u8>, AuthError> {
    bearer
        .filter(|t| t.starts_with(TOKEN_PREFIX) && t.len() <= 128)
        .map(token_hash)
        .ok_or(AuthError::TokenRequired)
}

/// Checks that `bearer` is the token of `owner`.
///
/// # Errors
/// 401-style [`AuthError::TokenRequired`], 403-style [`AuthError::NotYourOwner`].
pub async fn authorize(
    owners: &dyn OwnerStore,
    owner: OwnerId,
    bearer: Option<&str>,
) -> Result<(), AuthError> {
    same_owner(token_owner(owners, bearer).await?, owner)
}

/// Checks that the owner a token was found to belong to is the owner the caller named.
///
/// # Errors
/// 403-style [`AuthError::NotYourOwner`].
pub fn same_owner(found: OwnerId, named: OwnerId) -> Result<(), AuthError> {
    if found == named {
        Ok(())
    } else {
        Err(AuthError::NotYourOwner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::MockOwnerStore;

    #[test]
    fn tokens_carry_32_bytes_and_hash_to_32_bytes() {
        let t = token_from_bytes(&[7u8; 32]);
        assert!(t.starts_with("ish_"));
        assert_eq!(t.len(), 4 + 43);
        assert_eq!(token_hash(&t).len(), 32);
        assert_ne!(token_hash(&t), token_hash(&token_from_bytes(&[8u8; 32])));
    }

    #[tokio::test]
    async fn a_missing_or_foreign_looking_token_never_reaches_the_store() {
        let mut owners = MockOwnerStore::new();
        owners.expect_owner_by_token().never();
        for bearer in [None, Some("Bearer x"), Some("abc")] {
            assert!(matches!(
                authorize(&owners, OwnerId(1), bearer).await,
                Err(AuthError::TokenRequired)
            ));
        }
    }

    #[tokio::test]
    async fn another_owners_token_is_forbidden() {
        let mut owners = MockOwnerStore::new();
        owners
            .expect_owner_by_token()
            .returning(|_| Ok(Some(OwnerId(2))));
        assert!(matches!(
            authorize(&owners, OwnerId(1), Some("ish_x")).await,
            Err(AuthError::NotYourOwner)
        ));
        assert!(authorize(&owners, OwnerId(2), Some("ish_x")).await.is_ok());
    }

    #[tokio::test]
    async fn an_unknown_token_is_401() {
        let mut owners = MockOwnerStore::new();
        owners.expect_owner_by_token().returning(|_| Ok(None));
        assert!(matches!(
            authorize(&owners, OwnerId(1), Some("ish_nope")).await,
            Err(AuthError::TokenRequired)
        ));
    }
}
