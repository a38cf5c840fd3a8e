//! `contactRef` at rest (docs/rules.md#secrets-at-rest): AES-256-GCM, a fresh random 96-bit
//! nonce per value, stored as `nonce ‖ ciphertext ‖ tag`.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};

const NONCE_LEN: usize = 12;

/// Why a sealed value could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("sealed value too short")]
    TooShort,
    #[error("sealed value does not authenticate under this key")]
    Forged,
    #[error("could not encrypt")]
    Seal,
}

/// Seals and opens private pointers with the venue's key.
#[derive(Clone)]
pub struct ContactCipher {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for ContactCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContactCipher(..)")
    }
}

impl ContactCipher {
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)),
        }
    }

    /// Encrypts `plaintext` under a fresh random nonce.
    ///
    /// # Errors
    /// [`CryptoError::Seal`] if the cipher refuses (it does not for these sizes).
    pub fn seal(&self, plaintext: &str) -> Result<Vec<u8>, CryptoError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ct = self
            .cipher
            .encrypt(&nonce, plaintext.as_bytes())
            .map_err(|_| CryptoError::Seal)?;
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypts a value made by [`seal`](Self::seal).
    ///
    /// # Errors
    /// [`CryptoError`] when the value is short, tampered with, or sealed under another key.
    pub fn open(&self, sealed: &[u8]) -> Result<String, CryptoError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(CryptoError::TooShort);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let pt = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| CryptoError::Forged)?;
        String::from_utf8(pt).map_err(|_| CryptoError::Forged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_a_fresh_nonce_each_time() {
        let c = ContactCipher::new(&[1u8; 32]);
        let a = c.seal("tg:@alias").expect("seal");
        let b = c.seal("tg:@alias").expect("seal");
        assert_ne!(a, b, "same plaintext, different ciphertexts");
        assert!(!a.windows(5).any(|w| w == b"alias"));
        assert_eq!(c.open(&a).expect("open"), "tg:@alias");
    }

    #[test]
    fn tampering_or_another_key_fails() {
        let c = ContactCipher::new(&[1u8; 32]);
        let mut sealed = c.seal("x").expect("seal");
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(matches!(c.open(&sealed), Err(CryptoError::Forged)));
        let other = ContactCipher::new(&[2u8; 32]);
        assert!(other.open(&c.seal("x").expect("seal")).is_err());
        assert!(matches!(c.open(&[0u8; 5]), Err(CryptoError::TooShort)));
    }
}
