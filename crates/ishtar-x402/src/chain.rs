//! Pinned constants for USDC on Base mainnet, and the two names of the network.
//!
//! Sources: docs/wire-formats.md#base-mainnet-constants (x402 `evm/config.ts`, x402-rs). The
//! EIP-712 domain is pinned, never taken from a payload or a requirement's `extra`: a wrong
//! `name` still yields a well-formed signature that recovers to someone else.

/// The x402 v1 name of Base mainnet, what v1 facilitators and SDKs match on.
pub const BASE_V1: &str = "base";
/// The CAIP-2 id of Base mainnet (x402 v2, and our configuration's default).
pub const BASE_CAIP2: &str = "eip155:8453";
/// Base mainnet's EIP-155 chain id.
pub const BASE_CHAIN_ID: u64 = 8453;
/// USDC on Base (the `asset`, and the EIP-712 `verifyingContract`), checksummed.
pub const USDC_BASE: &str = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
/// USDC on Base's EIP-712 domain `name`. Base Sepolia's USDC says `USDC`: do not mix them.
pub const USDC_EIP712_NAME: &str = "USD Coin";
/// USDC on Base's EIP-712 domain `version`.
pub const USDC_EIP712_VERSION: &str = "2";
/// USDC has 6 decimals: `5000000` is 5.00 USDC.
pub const USDC_DECIMALS: u32 = 6;

/// The x402 v1 name (`base`) for a network given by either of its names, or `None` when the
/// network is not Base mainnet (the only one this adapter can check signatures for).
#[must_use]
pub fn v1_network_name(network: &str) -> Option<&'static str> {
    match network {
        BASE_V1 | BASE_CAIP2 => Some(BASE_V1),
        _ => None,
    }
}

/// The CAIP-2 id (`eip155:8453`) for a network given by either of its names.
#[must_use]
pub fn caip2_network_name(network: &str) -> Option<&'static str> {
    v1_network_name(network).map(|_| BASE_CAIP2)
}

/// Whether `asset` is USDC on Base (addresses compare case-insensitively).
#[must_use]
pub fn is_usdc_base(asset: &str) -> bool {
    asset.trim().eq_ignore_ascii_case(USDC_BASE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_names_map_both_ways() {
        assert_eq!(v1_network_name("eip155:8453"), Some("base"));
        assert_eq!(v1_network_name("base"), Some("base"));
        assert_eq!(caip2_network_name("base"), Some("eip155:8453"));
        for other in ["base-sepolia", "eip155:84532", "Base", "eip155:1", ""] {
            assert_eq!(v1_network_name(other), None, "{other}");
        }
    }

    #[test]
    fn asset_compare_ignores_case() {
        assert!(is_usdc_base("0x833589fcd6edb6e08f4c7c32d4f71b54bda02913"));
        assert!(is_usdc_base(USDC_BASE));
        assert!(!is_usdc_base("0x036CbD53842c5426634e7929541eC2318f3dCF7e"));
    }
}
