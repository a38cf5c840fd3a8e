//! Local pre-checks of `X-PAYMENT` (v1) and `PAYMENT-SIGNATURE` (v2): one passing payment,
//! one failing test per check, and a payment signed by an independent implementation
//! (Python eth-account).

#![expect(clippy::unwrap_used, reason = "tests")]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use ethers_core::k256::ecdsa::SigningKey;
use ethers_core::types::U256;
use ethers_core::types::transaction::eip712::{EIP712Domain, Eip712};
use ethers_core::utils::keccak256;
use serde_json::{Value, json};
use time::OffsetDateTime;

use ishtar_domain::ports::{PaymentError, PaymentHeader, PaymentRequirement, PaymentVersion};
use ishtar_x402::chain::USDC_BASE;
use ishtar_x402::eip3009::TransferWithAuthorization;
use ishtar_x402::{precheck, precheck_payment, precheck_v2};

use common::{NOW, PAY_TO, Pay, header, now, payer, requirement};

/// The reason of an `Invalid`, or a panic naming what came back instead.
fn invalid(header: &str, req: &PaymentRequirement, at: OffsetDateTime) -> String {
    match precheck(header, req, at) {
        Err(PaymentError::Invalid(reason)) => reason,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn rejects(pay: &Pay, needle: &str) {
    let reason = invalid(&pay.header(), &requirement(), now());
    assert!(reason.contains(needle), "{needle:?} not in {reason:?}");
}

/// Signs `pay`'s message over another EIP-712 domain (as a client with the wrong table would).
fn signed_over(pay: &Pay, domain: &EIP712Domain) -> String {
    let msg = pay.message();
    let digest = keccak256(
        [
            &[0x19, 0x01][..],
            &domain.separator()[..],
            &msg.struct_hash().unwrap()[..],
        ]
        .concat(),
    );
    let key = SigningKey::from_slice(&pay.key).unwrap();
    let (sig, recid) = key.sign_prehash_recoverable(&digest).unwrap();
    let mut bytes = sig.to_bytes().to_vec();
    bytes.push(27 + recid.to_byte());
    format!("0x{}", hex::encode(bytes))
}

fn signature_bytes(v: &Value) -> Vec<u8> {
    hex::decode(
        v["payload"]["signature"]
            .as_str()
            .unwrap()
            .trim_start_matches("0x"),
    )
    .unwrap()
}

// --- passing ------------------------------------------------------------------------------

#[test]
fn a_good_payment_passes_under_either_network_name() {
    for network in ["base", "eip155:8453"] {
        let pay = Pay {
            network: network.to_owned(),
            ..Pay::default()
        };
        let json = pay.signed();
        let checked = precheck(&header(&json), &requirement(), now()).unwrap();
        assert_eq!(checked.payer, payer());
        assert_eq!(checked.payer, checked.payer.to_ascii_lowercase());
        assert_eq!(checked.nonce, format!("0x{}", "ab".repeat(32)));
        assert_eq!(
            serde_json::from_slice::<Value>(&checked.payload).unwrap(),
            json,
            "the payload is passed on as decoded"
        );
    }
}

#[test]
fn addresses_compare_without_case_and_nonce_is_normalised() {
    let pay = Pay {
        from: payer().to_ascii_uppercase().replacen("0X", "0x", 1),
        to: PAY_TO.to_ascii_lowercase(),
        nonce: format!("0x{}", "AB".repeat(32)),
        ..Pay::default()
    };
    let mut req = requirement();
    req.pay_to = PAY_TO.to_ascii_uppercase().replacen("0X", "0x", 1);
    req.asset = USDC_BASE.to_ascii_lowercase();
    let checked = precheck(&pay.header(), &req, now()).unwrap();
    assert_eq!(checked.payer, payer());
    assert_eq!(checked.nonce, format!("0x{}", "ab".repeat(32)));
}

#[test]
fn unpadded_base64_and_surrounding_whitespace_are_accepted() {
    let json = Pay::default().signed();
    let unpadded = STANDARD_NO_PAD.encode(serde_json::to_vec(&json).unwrap());
    assert!(precheck(&format!("  {unpadded} "), &requirement(), now()).is_ok());
}

#[test]
fn v_of_0_or_1_is_accepted_like_27_or_28() {
    let pay = Pay::default();
    let mut sig = signature_bytes(&pay.signed());
    sig[64] -= 27;
    let h = header(&pay.with_signature(&format!("0x{}", hex::encode(&sig))));
    assert!(precheck(&h, &requirement(), now()).is_ok());
}

#[test]
fn window_edges() {
    // validAfter == now and validBefore == now + 6 s are the inclusive edges.
    let edge = Pay {
        valid_after: NOW.to_string(),
        valid_before: (NOW + 6).to_string(),
        ..Pay::default()
    };
    assert!(precheck(&edge.header(), &requirement(), now()).is_ok());
    // validAfter 0 (some SDKs) is fine; the longest window is maxTimeoutSeconds + 1 h.
    let longest = Pay {
        valid_after: "0".to_owned(),
        valid_before: (NOW + 300 + 3600).to_string(),
        ..Pay::default()
    };
    assert!(precheck(&longest.header(), &requirement(), now()).is_ok());
}

// --- the independent vector ---------------------------------------------------------------

/// `testdata/eth_account_vector.json` was made with Python eth-account 0.14.0 (web3.py's
/// signer), independently of ethers-core, by this script (run once, output saved as is):
///
/// ```python
/// import base64, json
/// from eth_account import Account
/// from eth_account.messages import encode_typed_data
/// from eth_utils import keccak
///
/// KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
/// USDC = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
/// PAY_TO = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C"
/// acct = Account.from_key(KEY)
/// auth = {
///     "from": acct.address, "to": PAY_TO, "value": "5000000",
///     "validAfter": "1763899400", "validBefore": "1763900300",
///     "nonce": "0x" + keccak(text="ishtar x402 test vector nonce").hex(),
/// }
/// typed = {
///     "types": {
///         "EIP712Domain": [
///             {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
///             {"name": "chainId", "type": "uint256"},
///             {"name": "verifyingContract", "type": "address"},
///         ],
///         "TransferWithAuthorization": [
///             {"name": "from", "type": "address"}, {"name": "to", "type": "address"},
///             {"name": "value", "type": "uint256"}, {"name": "validAfter", "type": "uint256"},
///             {"name": "validBefore", "type": "uint256"}, {"name": "nonce", "type": "bytes32"},
///         ],
///     },
///     "primaryType": "TransferWithAuthorization",
///     "domain": {"name": "USD Coin", "version": "2", "chainId": 8453, "verifyingContract": USDC},
///     "message": {
///         "from": auth["from"], "to": auth["to"], "value": int(auth["value"]),
///         "validAfter": int(auth["validAfter"]), "validBefore": int(auth["validBefore"]),
///         "nonce": bytes.fromhex(auth["nonce"][2:]),
///     },
/// }
/// signable = encode_typed_data(full_message=typed)
/// signed = Account.sign_message(signable, KEY)
/// payload = {"x402Version": 1, "scheme": "exact", "network": "base",
///            "payload": {"signature": "0x" + signed.signature.hex(), "authorization": auth}}
/// header = base64.b64encode(json.dumps(payload).encode()).decode()
/// out = {
///     "generator": "eth-account 0.14.0 (Python), Account.sign_message(encode_typed_data(full_message=...))",
///     "from": acct.address, "payTo": PAY_TO, "now": 1763900000,
///     "domainSeparator": "0x" + signable.header.hex(),
///     "structHash": "0x" + signable.body.hex(),
///     "digest": "0x" + keccak(b"\x19\x01" + signable.header + signable.body).hex(),
///     "xPayment": header,
/// }
/// print(json.dumps(out, indent=2))
/// ```
#[test]
fn a_payment_signed_by_eth_account_passes() {
    let v: Value =
        serde_json::from_str(include_str!("../testdata/eth_account_vector.json")).unwrap();
    let at = OffsetDateTime::from_unix_timestamp(v["now"].as_i64().unwrap()).unwrap();
    let mut req = requirement();
    req.pay_to = v["payTo"].as_str().unwrap().to_owned();
    let xpayment = v["xPayment"].as_str().unwrap();

    let checked = precheck(xpayment, &req, at).unwrap();
    assert_eq!(
        checked.payer,
        v["from"].as_str().unwrap().to_ascii_lowercase()
    );
    assert_eq!(checked.payer, "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23");

    // Our EIP-712 pieces equal eth-account's, byte for byte.
    let payload: Value = serde_json::from_slice(&checked.payload).unwrap();
    let a = &payload["payload"]["authorization"];
    let msg = TransferWithAuthorization {
        from: a["from"].as_str().unwrap().parse().unwrap(),
        to: a["to"].as_str().unwrap().parse().unwrap(),
        value: U256::from_dec_str(a["value"].as_str().unwrap()).unwrap(),
        valid_after: U256::from_dec_str(a["validAfter"].as_str().unwrap()).unwrap(),
        valid_before: U256::from_dec_str(a["validBefore"].as_str().unwrap()).unwrap(),
        nonce: hex::decode(a["nonce"].as_str().unwrap().trim_start_matches("0x"))
            .unwrap()
            .try_into()
            .unwrap(),
    };
    let hex0x = |b: [u8; 32]| format!("0x{}", hex::encode(b));
    assert_eq!(
        hex0x(msg.domain_separator().unwrap()),
        v["domainSeparator"].as_str().unwrap()
    );
    assert_eq!(
        v["domainSeparator"].as_str().unwrap(),
        "0x02fa7265e7c5d81118673727957699e4d68f74cd74b7db77da710fe8a2c7834f",
        "docs/wire-formats.md#base-mainnet-constants"
    );
    assert_eq!(
        hex0x(msg.struct_hash().unwrap()),
        v["structHash"].as_str().unwrap()
    );
    assert_eq!(hex0x(msg.digest().unwrap()), v["digest"].as_str().unwrap());

    // And the same vector fails the moment anything signed changes.
    let mut tampered: Value = serde_json::from_slice(&checked.payload).unwrap();
    tampered["payload"]["authorization"]["validBefore"] = json!("1763900299");
    let reason = invalid(&header(&tampered), &req, at);
    assert!(
        reason.contains("does not recover to authorization.from"),
        "{reason}"
    );
}

// --- decoding -----------------------------------------------------------------------------

#[test]
fn each_kind_of_malformed_header_says_what_is_wrong() {
    let req = requirement();
    let enc = |s: &str| STANDARD.encode(s);
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "X-PAYMENT is empty"),
        ("A".repeat(9000), "longer than"),
        ("not base64!".to_owned(), "not standard base64"),
        (enc("{not json"), "not base64 of JSON"),
        (enc("[1,2]"), "must hold a JSON object"),
        (enc(r#"{"scheme":"exact"}"#), "x402Version is missing"),
        (
            enc(r#"{"x402Version":2,"accepted":{}}"#),
            "x402Version must be 1, got 2",
        ),
        (enc(r#"{"x402Version":"1"}"#), "x402Version must be 1"),
    ];
    for (h, needle) in cases {
        let reason = invalid(&h, &req, now());
        assert!(reason.contains(needle), "{needle:?} not in {reason:?}");
    }
}

#[test]
fn a_missing_or_mistyped_field_is_named_by_its_path() {
    let mut v = Pay::default().signed();
    v["payload"]["authorization"]
        .as_object_mut()
        .unwrap()
        .remove("nonce");
    let reason = invalid(&header(&v), &requirement(), now());
    assert!(
        reason.contains("payload.authorization") && reason.contains("nonce"),
        "{reason}"
    );

    let mut v = Pay::default().signed();
    v["payload"]["authorization"]["validBefore"] = json!(NOW + 300);
    let reason = invalid(&header(&v), &requirement(), now());
    assert!(
        reason.contains("payload.authorization.validBefore"),
        "{reason}"
    );
}

#[test]
fn bad_hex_and_number_formats_are_named() {
    let cases = [
        (
            Pay {
                from: "0x1234".to_owned(),
                ..Pay::default()
            },
            "authorization.from must be 0x + 40 hex",
        ),
        (
            Pay {
                to: PAY_TO.trim_start_matches("0x").to_owned(),
                ..Pay::default()
            },
            "authorization.to must be 0x + 40 hex",
        ),
        (
            Pay {
                nonce: "0x1234".to_owned(),
                ..Pay::default()
            },
            "authorization.nonce must be 32 bytes",
        ),
        (
            Pay {
                nonce: format!("0x{}", "zz".repeat(32)),
                ..Pay::default()
            },
            "authorization.nonce is not valid hex",
        ),
        (
            Pay {
                value: "5e6".to_owned(),
                ..Pay::default()
            },
            "authorization.value must be a decimal integer string",
        ),
        (
            Pay {
                valid_before: "0x1a2b".to_owned(),
                ..Pay::default()
            },
            "authorization.validBefore must be a decimal integer string",
        ),
    ];
    for (pay, needle) in cases {
        // Signed over placeholder values: the format check comes first.
        let h = header(&pay.with_signature(&format!("0x{}", "11".repeat(65))));
        let reason = invalid(&h, &requirement(), now());
        assert!(reason.contains(needle), "{needle:?} not in {reason:?}");
    }
    let h = header(&Pay::default().with_signature("0xnothex"));
    assert!(invalid(&h, &requirement(), now()).contains("payload.signature is not valid hex"));
    let h = header(&Pay::default().with_signature(&"11".repeat(65)));
    assert!(invalid(&h, &requirement(), now()).contains("payload.signature must be 0x-prefixed"));
}

// --- one test per pre-check ---------------------------------------------------------------

#[test]
fn scheme_must_be_exact() {
    rejects(
        &Pay {
            scheme: "upto".to_owned(),
            ..Pay::default()
        },
        "scheme must be \"exact\"",
    );
}

#[test]
fn network_must_be_base_by_either_name() {
    for network in ["base-sepolia", "eip155:84532", "ethereum", "Base"] {
        rejects(
            &Pay {
                network: network.to_owned(),
                ..Pay::default()
            },
            "network must be \"eip155:8453\" or \"base\"",
        );
    }
}

#[test]
fn asset_must_be_usdc_on_base() {
    let mut req = requirement();
    req.asset = "0x036CbD53842c5426634e7929541eC2318f3dCF7e".to_owned(); // USDC on Base Sepolia
    let reason = invalid(&Pay::default().header(), &req, now());
    assert!(reason.contains("only takes USDC on Base"), "{reason}");
}

#[test]
fn to_must_be_pay_to() {
    rejects(
        &Pay {
            to: "0x1111111111111111111111111111111111111111".to_owned(),
            ..Pay::default()
        },
        "authorization.to must be payTo",
    );
}

#[test]
fn value_must_equal_the_amount_exactly() {
    for value in ["4999999", "5000001", "50000000", "0"] {
        rejects(
            &Pay {
                value: value.to_owned(),
                ..Pay::default()
            },
            "authorization.value must be exactly 5000000",
        );
    }
}

#[test]
fn valid_after_must_not_be_in_the_future() {
    rejects(
        &Pay {
            valid_after: (NOW + 1).to_string(),
            ..Pay::default()
        },
        "not valid yet",
    );
    // Milliseconds instead of seconds.
    rejects(
        &Pay {
            valid_after: ((NOW - 600) * 1000).to_string(),
            ..Pay::default()
        },
        "not valid yet",
    );
}

#[test]
fn valid_before_must_be_at_least_six_seconds_ahead() {
    for before in [NOW - 1, NOW, NOW + 5] {
        rejects(
            &Pay {
                valid_before: before.to_string(),
                ..Pay::default()
            },
            "expired or expires within 6 s",
        );
    }
}

#[test]
fn the_window_must_not_be_absurdly_long() {
    for before in [NOW + 300 + 3601, (NOW + 300) * 1000, i64::MAX] {
        rejects(
            &Pay {
                valid_before: before.to_string(),
                ..Pay::default()
            },
            "window is too long",
        );
    }
    rejects(
        &Pay {
            valid_before: "9".repeat(77),
            ..Pay::default()
        },
        "window is too long",
    );
}

#[test]
fn signature_over_another_domain_is_refused() {
    let pay = Pay::default();
    // Base Sepolia's USDC name on Base's contract, the classic mistake (wire-formats §5.1);
    // then the right name with another chain id, and another contract.
    let base = |name: &str, chain: u64, contract: &str| EIP712Domain {
        name: Some(name.to_owned()),
        version: Some("2".to_owned()),
        chain_id: Some(U256::from(chain)),
        verifying_contract: Some(contract.parse().unwrap()),
        salt: None,
    };
    for domain in [
        base("USDC", 8453, USDC_BASE),
        base("USD Coin", 84532, USDC_BASE),
        base(
            "USD Coin",
            8453,
            "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
        ),
    ] {
        let h = header(&pay.with_signature(&signed_over(&pay, &domain)));
        let reason = invalid(&h, &requirement(), now());
        assert!(
            reason.contains("does not recover to authorization.from"),
            "{reason}"
        );
    }
}

#[test]
fn signature_by_someone_else_or_over_other_values_is_refused() {
    // Another key signs, claiming to be the payer.
    let forged = Pay {
        key: [0x43; 32],
        ..Pay::default()
    };
    rejects(&forged, "does not recover to authorization.from");
    // A signed nonce swapped afterwards.
    let pay = Pay::default();
    let mut v = pay.signed();
    v["payload"]["authorization"]["nonce"] = json!(format!("0x{}", "cd".repeat(32)));
    let reason = invalid(&header(&v), &requirement(), now());
    assert!(
        reason.contains("does not recover to authorization.from"),
        "{reason}"
    );
}

#[test]
fn only_canonical_65_byte_signatures_are_accepted() {
    let pay = Pay::default();
    let sig = signature_bytes(&pay.signed());

    let long = format!("0x{}{}", hex::encode(&sig), "00".repeat(32));
    let reason = invalid(&header(&pay.with_signature(&long)), &requirement(), now());
    assert!(reason.contains("must be 65 bytes"), "{reason}");

    let mut bad_v = sig.clone();
    bad_v[64] = 37;
    let h = header(&pay.with_signature(&format!("0x{}", hex::encode(&bad_v))));
    assert!(invalid(&h, &requirement(), now()).contains("signature v must be"));

    // The same signature with s' = n − s (and v flipped) recovers the same key, but USDC's
    // ECRecover refuses it, so we do too.
    let n = U256::from_big_endian(
        &hex::decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141").unwrap(),
    );
    let s = U256::from_big_endian(&sig[32..64]);
    let mut high = sig.clone();
    (n - s).to_big_endian(&mut high[32..64]);
    high[64] = if sig[64] == 27 { 28 } else { 27 };
    let h = header(&pay.with_signature(&format!("0x{}", hex::encode(&high))));
    let reason = invalid(&h, &requirement(), now());
    assert!(reason.contains("upper half"), "{reason}");
}

// --- x402 v2 (`PAYMENT-SIGNATURE`) ----------------------------------------------------------

fn invalid_v2(header: &str) -> String {
    match precheck_v2(header, &requirement(), now()) {
        Err(PaymentError::Invalid(reason)) => reason,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn a_good_v2_payment_passes_and_is_the_same_authorization_as_v1() {
    let pay = Pay::default();
    let v2 = precheck_v2(&pay.header_v2(), &requirement(), now()).unwrap();
    assert_eq!(v2.version, PaymentVersion::V2);
    assert_eq!(
        serde_json::from_slice::<Value>(&v2.payload).unwrap(),
        pay.signed_v2(),
        "passed on as sent"
    );
    let v1 = precheck(&pay.header(), &requirement(), now()).unwrap();
    assert_eq!(v1.version, PaymentVersion::V1);
    assert_eq!((&v1.payer, &v1.nonce), (&v2.payer, &v2.nonce));
    assert_eq!(v2.payer, payer().to_ascii_lowercase());

    // The port's entry point dispatches on the header's version.
    let by_header = precheck_payment(
        &PaymentHeader {
            version: PaymentVersion::V2,
            value: pay.header_v2(),
        },
        &requirement(),
        now(),
    )
    .unwrap();
    assert_eq!(by_header, v2);
    // `resource` and `extensions` are optional; unknown `extra` keys are the client's.
    let mut v = pay.signed_v2();
    v.as_object_mut().unwrap().remove("resource");
    v["extensions"] = json!({});
    assert!(precheck_v2(&header(&v), &requirement(), now()).is_ok());
}

#[test]
fn each_header_takes_only_its_own_version() {
    let pay = Pay::default();
    let reason = invalid_v2(&pay.header());
    assert!(
        reason.contains("x402Version must be 2, got 1")
            && reason.contains("version-1 payload in X-PAYMENT"),
        "{reason}"
    );
    let reason = invalid(&pay.header_v2(), &requirement(), now());
    assert!(
        reason.contains("x402Version must be 1, got 2")
            && reason.contains("version-2 payload in PAYMENT-SIGNATURE"),
        "{reason}"
    );
    assert!(invalid_v2("").contains("PAYMENT-SIGNATURE is empty"));
    assert!(invalid_v2("not base64!").contains("PAYMENT-SIGNATURE is not standard base64"));
}

#[test]
fn accepted_must_be_the_offered_requirement() {
    let cases: [(&str, Value, &str); 6] = [
        ("scheme", json!("upto"), "accepted.scheme must be \"exact\""),
        (
            "network",
            json!("base"),
            "accepted.network must be \"eip155:8453\"",
        ),
        ("network", json!("eip155:84532"), "accepted.network"),
        (
            "amount",
            json!("4999999"),
            "accepted.amount must be 5000000",
        ),
        (
            "payTo",
            json!("0x000000000000000000000000000000000000dEaD"),
            "accepted.payTo must be",
        ),
        (
            "asset",
            json!("0x036CbD53842c5426634e7929541eC2318f3dCF7e"),
            "accepted.asset must be",
        ),
    ];
    for (field, value, needle) in cases {
        let mut v = Pay::default().signed_v2();
        v["accepted"][field] = value;
        let reason = invalid_v2(&header(&v));
        assert!(
            reason.contains(needle),
            "{field}: {needle:?} not in {reason:?}"
        );
    }
    // payTo compares as an address, not as a string.
    let mut v = Pay::default().signed_v2();
    v["accepted"]["payTo"] = json!(PAY_TO.to_ascii_lowercase());
    assert!(precheck_v2(&header(&v), &requirement(), now()).is_ok());
    // A missing `accepted` is named by its path.
    let mut v = Pay::default().signed_v2();
    v.as_object_mut().unwrap().remove("accepted");
    assert!(invalid_v2(&header(&v)).contains("accepted"));
}

#[test]
fn the_authorization_checks_hold_in_v2_too() {
    let cases = [
        (
            Pay {
                value: "4999999".to_owned(),
                ..Pay::default()
            },
            "authorization.value must be exactly 5000000 (accepted.amount)",
        ),
        (
            Pay {
                to: "0x000000000000000000000000000000000000dEaD".to_owned(),
                ..Pay::default()
            },
            "authorization.to must be payTo",
        ),
        (
            Pay {
                valid_before: (NOW - 1).to_string(),
                ..Pay::default()
            },
            "expired",
        ),
    ];
    for (pay, needle) in cases {
        let reason = invalid_v2(&pay.header_v2());
        assert!(reason.contains(needle), "{needle:?} not in {reason:?}");
    }
    // Signed values changed after signing.
    let mut v = Pay::default().signed_v2();
    v["payload"]["authorization"]["validBefore"] = json!((NOW + 299).to_string());
    assert!(invalid_v2(&header(&v)).contains("does not recover to authorization.from"));
}

#[test]
fn the_eth_account_vector_passes_as_v2() {
    let v: Value =
        serde_json::from_str(include_str!("../testdata/eth_account_vector.json")).unwrap();
    let at = OffsetDateTime::from_unix_timestamp(v["now"].as_i64().unwrap()).unwrap();
    let mut req = requirement();
    req.pay_to = v["payTo"].as_str().unwrap().to_owned();
    let v1: Value =
        serde_json::from_slice(&STANDARD.decode(v["xPayment"].as_str().unwrap()).unwrap()).unwrap();
    let mut accepted = common::accepted_v2();
    accepted["payTo"] = v["payTo"].clone();
    let v2 = json!({"x402Version": 2, "accepted": accepted, "payload": v1["payload"]});
    let checked = precheck_v2(&header(&v2), &req, at).unwrap();
    assert_eq!(checked.payer, "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23");
}
