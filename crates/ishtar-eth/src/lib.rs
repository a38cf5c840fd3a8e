//! Ethereum signature checks, behind two small functions so `ethers-core` (deprecated
//! upstream in favour of alloy) lives in this one crate
//! (docs/rules.md#dependency-pitfalls).
//!
//! [`EthProofs`] implements the domain's [`ProofVerifier`] port.

use std::str::FromStr;

use ethers_core::k256::ecdsa::VerifyingKey;
use ethers_core::types::{Address, Signature};
use ethers_core::utils::{public_key_to_address, raw_public_key_to_address};

use ishtar_domain::ports::{ProofError, ProofVerifier};

/// Lower-case `0x` hex of an address (compare values, never checksum case).
fn hex_address(a: &Address) -> String {
    format!("{a:#x}")
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// The address of a registered key: an address (`0x` + 40 hex), or a secp256k1 public
/// key — compressed (33 bytes), uncompressed (65 bytes) or raw (64 bytes).
///
/// # Errors
/// A short reason when the key is none of these.
pub fn key_address(key: &str) -> Result<String, String> {
    let bytes = decode_hex(key.trim()).ok_or_else(|| "must be hex".to_owned())?;
    match bytes.len() {
        20 => Ok(hex_address(&Address::from_slice(&bytes))),
        33 | 65 => VerifyingKey::from_sec1_bytes(&bytes)
            .map(|k| hex_address(&public_key_to_address(&k)))
            .map_err(|_| "not a point on secp256k1".to_owned()),
        // Checked first: `raw_public_key_to_address` panics on any other length.
        64 => {
            let mut sec1 = Vec::with_capacity(65);
            sec1.push(4u8);
            sec1.extend_from_slice(&bytes);
            VerifyingKey::from_sec1_bytes(&sec1)
                .map_err(|_| "not a point on secp256k1".to_owned())?;
            Ok(hex_address(&raw_public_key_to_address(&bytes)))
        }
        _ => Err("must be an address or a secp256k1 public key".to_owned()),
    }
}

/// The address that made an EIP-191 `personal_sign` signature over `message` (the exact
/// UTF-8 bytes, prefixed with their byte length). Accepts `v` as 27/28 or 0/1.
///
/// # Errors
/// A short reason when the signature is not 65 bytes of hex or does not recover.
pub fn recover_personal_sign(message: &str, signature: &str) -> Result<String, String> {
    let bytes = decode_hex(signature.trim()).ok_or_else(|| "signature must be hex".to_owned())?;
    if bytes.len() != 65 {
        return Err(format!(
            "signature must be 65 bytes (r, s, v), got {}; contract wallets and compact signatures are not supported",
            bytes.len()
        ));
    }
    let sig = Signature::try_from(bytes.as_slice()).map_err(|e| e.to_string())?;
    // A &str is hashed with the EIP-191 prefix (a [u8; 32] would not be).
    sig.recover(message)
        .map(|a| hex_address(&a))
        .map_err(|e| e.to_string())
}

/// Parses an address, for callers that hold one as text.
///
/// # Errors
/// When `s` is not an address.
pub fn parse_address(s: &str) -> Result<String, String> {
    Address::from_str(s.trim())
        .map(|a| hex_address(&a))
        .map_err(|_| "not an address".to_owned())
}

/// The [`ProofVerifier`] port over ethers-core.
#[derive(Debug, Clone, Copy, Default)]
pub struct EthProofs;

impl ProofVerifier for EthProofs {
    fn key_address(&self, public_key: &str) -> Result<String, ProofError> {
        key_address(public_key).map_err(ProofError::BadKey)
    }

    fn recover_personal_sign(&self, message: &str, signature: &str) -> Result<String, ProofError> {
        recover_personal_sign(message, signature).map_err(ProofError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// web3.js documentation vector, also ethers-core's `recover_web3_signature` test:
    /// `web3.eth.accounts.sign("Some data", "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")`.
    #[test]
    fn recovers_the_web3js_documentation_vector() {
        let sig = "0xb91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c";
        assert_eq!(
            recover_personal_sign("Some data", sig).expect("recovers"),
            "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23"
        );
    }

    /// Made with eth-account 0.14.0 (Python), the library web3.py signs with:
    /// ```python
    /// from eth_account import Account
    /// from eth_account.messages import encode_defunct
    /// key = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
    /// msg = "ishtar:6f1c2a9e-3d4b-4c8e-9f00-1a2b3c4d5e6f:1763900000000"
    /// Account.sign_message(encode_defunct(text=msg), private_key=key).signature.hex()
    /// ```
    #[test]
    fn recovers_an_ishtar_nonce_signed_by_eth_account() {
        let msg = "ishtar:6f1c2a9e-3d4b-4c8e-9f00-1a2b3c4d5e6f:1763900000000";
        let sig = include_str!("../testdata/eth_account_nonce_signature.txt").trim();
        assert_eq!(
            recover_personal_sign(msg, sig).expect("recovers"),
            "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23"
        );
        assert_ne!(
            recover_personal_sign(&format!("{msg}0"), sig).expect("recovers something"),
            "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23",
            "another message recovers another address"
        );
    }

    #[test]
    fn v_of_0_or_1_is_accepted_like_27_or_28() {
        let mut sig = decode_hex("0xb91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c").expect("hex");
        sig[64] -= 27;
        let hex: String = sig.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            recover_personal_sign("Some data", &hex).expect("recovers"),
            "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23"
        );
    }

    #[test]
    fn every_key_form_gives_the_same_address() {
        let sk = k256::ecdsa::SigningKey::from_slice(
            &hex::decode("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
                .expect("hex"),
        )
        .expect("key");
        let vk = sk.verifying_key();
        let compressed = hex::encode(vk.to_encoded_point(true).as_bytes());
        let uncompressed = hex::encode(vk.to_encoded_point(false).as_bytes());
        let raw = uncompressed[2..].to_owned();
        let want = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23";
        for k in [
            format!("0x{compressed}"),
            format!("0x{uncompressed}"),
            raw,
            "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23".to_owned(),
        ] {
            assert_eq!(key_address(&k).expect("usable"), want, "{k}");
        }
    }

    #[test]
    fn unusable_input_is_an_error_not_a_panic() {
        for k in ["", "0x", "zz", "0x1234", &"ab".repeat(63), &"ab".repeat(64)] {
            assert!(key_address(k).is_err(), "{k}");
        }
        for s in ["", "0x00", "nothex", &"00".repeat(64), &"00".repeat(65)] {
            assert!(recover_personal_sign("m", s).is_err(), "{s}");
        }
    }
}
