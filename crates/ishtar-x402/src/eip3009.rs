//! EIP-712 over the EIP-3009 `TransferWithAuthorization` of USDC on Base
//! (docs/wire-formats.md#eip-3009-authorization), with ethers-core's `Eip712` machinery kept
//! inside this module (docs/rules.md#dependency-pitfalls).

use ethers_core::abi::{Token, encode};
use ethers_core::k256::ecdsa::SigningKey;
use ethers_core::types::transaction::eip712::{EIP712Domain, Eip712, Eip712Error};
use ethers_core::types::{Address, H256, Signature, U256};
use ethers_core::utils::keccak256;

use crate::chain::{BASE_CHAIN_ID, USDC_BASE, USDC_EIP712_NAME, USDC_EIP712_VERSION};

/// The EIP-3009 type string (the typehash is its keccak-256).
pub const TRANSFER_WITH_AUTHORIZATION_TYPE: &str = "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)";

/// Half the secp256k1 group order: EIP-2 (and USDC's `ECRecover`) reject a larger `s`.
const SECP256K1_HALF_N: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// A parsed `TransferWithAuthorization` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferWithAuthorization {
    pub from: Address,
    pub to: Address,
    pub value: U256,
    pub valid_after: U256,
    pub valid_before: U256,
    pub nonce: [u8; 32],
}

/// USDC on Base's EIP-712 domain: `USD Coin`, `2`, chain 8453, the USDC contract.
#[must_use]
pub fn usdc_base_domain() -> EIP712Domain {
    EIP712Domain {
        name: Some(USDC_EIP712_NAME.to_owned()),
        version: Some(USDC_EIP712_VERSION.to_owned()),
        chain_id: Some(U256::from(BASE_CHAIN_ID)),
        verifying_contract: USDC_BASE.parse().ok(),
        salt: None,
    }
}

impl Eip712 for TransferWithAuthorization {
    type Error = Eip712Error;

    fn domain(&self) -> Result<EIP712Domain, Self::Error> {
        Ok(usdc_base_domain())
    }

    fn type_hash() -> Result<[u8; 32], Self::Error> {
        Ok(keccak256(TRANSFER_WITH_AUTHORIZATION_TYPE))
    }

    fn struct_hash(&self) -> Result<[u8; 32], Self::Error> {
        Ok(keccak256(encode(&[
            Token::FixedBytes(Self::type_hash()?.to_vec()),
            Token::Address(self.from),
            Token::Address(self.to),
            Token::Uint(self.value),
            Token::Uint(self.valid_after),
            Token::Uint(self.valid_before),
            Token::FixedBytes(self.nonce.to_vec()),
        ])))
    }
}

impl TransferWithAuthorization {
    /// The digest a wallet signs: `keccak256(0x1901 ‖ domainSeparator ‖ structHash)`.
    ///
    /// # Errors
    /// Never in practice (ethers-core's signature allows it).
    pub fn digest(&self) -> Result<[u8; 32], String> {
        self.encode_eip712().map_err(|e| e.to_string())
    }
}

/// The address that signed `auth` with `signature` (65 bytes r‖s‖v, `v` 27/28 or 0/1).
///
/// Mirrors what USDC's contract accepts: `s` must be in the lower half of the curve order.
///
/// # Errors
/// A short reason when the signature is unusable.
pub fn recover_signer(
    auth: &TransferWithAuthorization,
    signature: &[u8],
) -> Result<Address, String> {
    if signature.len() != 65 {
        return Err(format!(
            "signature must be 65 bytes (r, s, v), got {}; smart-contract wallet (EIP-1271/EIP-6492) signatures are not accepted",
            signature.len()
        ));
    }
    let v = signature[64];
    if !matches!(v, 0 | 1 | 27 | 28) {
        return Err(format!("signature v must be 27 or 28 (or 0/1), got {v}"));
    }
    if signature[32..64] > SECP256K1_HALF_N[..] {
        return Err("signature s is in the upper half of the curve order (EIP-2); re-sign with a canonical (low-s) signature".to_owned());
    }
    let sig = Signature::try_from(signature).map_err(|e| format!("signature unusable: {e}"))?;
    let digest = auth.digest()?;
    sig.recover(H256::from(digest))
        .map_err(|e| format!("signature does not recover: {e}"))
}

/// Signs `auth` with a secp256k1 key the way a wallet's `eth_signTypedData_v4` would, and
/// returns the `0x` hex signature (r‖s‖v, v = 27/28). For tests and tools.
///
/// # Errors
/// When the key bytes are not a valid secp256k1 scalar.
pub fn sign_authorization(
    secret_key: &[u8; 32],
    auth: &TransferWithAuthorization,
) -> Result<String, String> {
    let key = SigningKey::from_slice(secret_key).map_err(|e| e.to_string())?;
    let digest = auth.digest()?;
    let (sig, recid) = key
        .sign_prehash_recoverable(&digest)
        .map_err(|e| e.to_string())?;
    let mut bytes = sig.to_bytes().to_vec();
    bytes.push(27 + recid.to_byte());
    Ok(format!("0x{}", hex::encode(bytes)))
}

/// The lower-case `0x` address of a secp256k1 secret key (for tests and tools).
///
/// # Errors
/// When the key bytes are not a valid secp256k1 scalar.
pub fn address_of_key(secret_key: &[u8; 32]) -> Result<String, String> {
    let key = SigningKey::from_slice(secret_key).map_err(|e| e.to_string())?;
    Ok(format!(
        "{:#x}",
        ethers_core::utils::public_key_to_address(key.verifying_key())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/wire-formats.md#base-mainnet-constants, computed locally and by eth-account in
    /// `tests/precheck.rs`' vector.
    #[test]
    fn pinned_constants() {
        assert_eq!(
            hex::encode(TransferWithAuthorization::type_hash().expect("hash")),
            "7c7c6cdb67a18743f49ec6fa9b35f50d52ed05cbed4cc592e13b44501c1a2267"
        );
        assert_eq!(
            hex::encode(usdc_base_domain().separator()),
            "02fa7265e7c5d81118673727957699e4d68f74cd74b7db77da710fe8a2c7834f"
        );
    }

    #[test]
    fn sign_then_recover_round_trips() {
        let key = [7u8; 32];
        let auth = TransferWithAuthorization {
            from: address_of_key(&key).expect("key").parse().expect("address"),
            to: Address::repeat_byte(0x22),
            value: U256::from(5_000_000u64),
            valid_after: U256::from(1u64),
            valid_before: U256::from(2u64),
            nonce: [9u8; 32],
        };
        let sig = sign_authorization(&key, &auth).expect("signs");
        let bytes = hex::decode(sig.trim_start_matches("0x")).expect("hex");
        assert_eq!(recover_signer(&auth, &bytes).expect("recovers"), auth.from);
        let mut other = auth.clone();
        other.value = U256::from(5_000_001u64);
        assert_ne!(recover_signer(&other, &bytes).expect("recovers"), auth.from);
    }
}
