//! Ethereum signature checks, for endpoint registration proofs. Adapter: `ishtar-eth`.

/// Why a key or a signature is not usable. The text is the short message the agent is
/// shown (a key's) or that is logged (a signature's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The registered key is not hex, not an address, or not a secp256k1 public key.
    #[error("{0}")]
    BadKey(String),
    /// The signature is not hex, has the wrong length, or does not recover an address.
    #[error("{0}")]
    BadSignature(String),
}

/// Ethereum signature checks (EIP-191 `personal_sign`).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait ProofVerifier: Send + Sync {
    /// The address (lower-case `0x` hex) of a registered key: an address, or a secp256k1
    /// public key (compressed, uncompressed, or raw 64 bytes).
    /// # Errors
    /// [`ProofError::BadKey`], saying why the key is not usable.
    fn key_address(&self, public_key: &str) -> Result<String, ProofError>;

    /// The address (lower-case `0x` hex) that signed `message` with `personal_sign`.
    /// # Errors
    /// [`ProofError::BadSignature`], saying why the signature is not usable.
    fn recover_personal_sign(&self, message: &str, signature: &str) -> Result<String, ProofError>;
}
