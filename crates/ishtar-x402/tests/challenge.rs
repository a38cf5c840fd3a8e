//! The 402 challenge: the v1 body and the v2 `PAYMENT-REQUIRED` header, byte for byte.

#![expect(clippy::unwrap_used, reason = "tests")]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use ishtar_domain::ports::Facilitator as _;
use ishtar_x402::wire::decode_payment_required;
use ishtar_x402::{FacilitatorConfig, X402Facilitator, challenge_body, payment_required_header};

#[test]
fn the_reference_entry_comes_first_then_the_v1_name() {
    let body = challenge_body(&common::requirement(), "cr:7:0:2025-11-23");
    let entry = |network: &str| {
        format!(
            concat!(
                r#"{{"scheme":"exact","network":"{}","maxAmountRequired":"5000000","#,
                r#""resource":"/api/premium/compatibility-report","#,
                r#""description":"Ishtar compatibility_report","#,
                r#""payTo":"0x209693Bc6afc0C5328bA36FaF03C514EF312287C","#,
                r#""asset":"0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913","#,
                r#""mimeType":"application/json","#,
                r#""outputSchema":{{"orderId":"cr:7:0:2025-11-23"}},"#,
                r#""extra":{{"name":"USD Coin","version":"2"}},"#,
                r#""maxTimeoutSeconds":300}}"#
            ),
            network
        )
    };
    let want = format!(
        r#"{{"x402Version":1,"error":"payment required","accepts":[{},{}]}}"#,
        entry("eip155:8453"),
        entry("base")
    );
    assert_eq!(serde_json::to_string(&body).unwrap(), want);
}

#[test]
fn configured_as_base_the_other_entry_is_the_caip2_name() {
    let mut req = common::requirement();
    req.network = "base".to_owned();
    let body = challenge_body(&req, "cr:1:2:2025-11-23");
    let networks: Vec<&str> = body["accepts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["network"].as_str().unwrap())
        .collect();
    assert_eq!(networks, ["base", "eip155:8453"]);
}

#[test]
fn an_unknown_network_gets_one_entry_and_no_borrowed_domain() {
    let mut req = common::requirement();
    req.network = "eip155:84532".to_owned();
    let body = challenge_body(&req, "o");
    let accepts = body["accepts"].as_array().unwrap();
    assert_eq!(accepts.len(), 1);
    assert!(accepts[0].get("extra").is_none());
}

#[test]
fn the_v2_header_is_base64_of_the_payment_required_with_the_full_url() {
    let header = payment_required_header(&common::requirement());
    let json = String::from_utf8(STANDARD.decode(&header).unwrap()).unwrap();
    assert_eq!(
        json,
        concat!(
            r#"{"x402Version":2,"error":"payment required","#,
            r#""resource":{"url":"https://ishtar.example/api/premium/compatibility-report","#,
            r#""description":"Ishtar compatibility_report","mimeType":"application/json"},"#,
            r#""accepts":[{"scheme":"exact","network":"eip155:8453","amount":"5000000","#,
            r#""asset":"0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913","#,
            r#""payTo":"0x209693Bc6afc0C5328bA36FaF03C514EF312287C","maxTimeoutSeconds":300,"#,
            r#""extra":{"name":"USD Coin","version":"2"}}]}"#
        )
    );
    let back = decode_payment_required(&header).unwrap();
    assert_eq!(
        serde_json::to_value(&back.accepts[0]).unwrap(),
        common::accepted_v2()
    );
}

#[test]
fn configured_as_base_v2_still_says_caip2() {
    let mut req = common::requirement();
    req.network = "base".to_owned();
    let back = decode_payment_required(&payment_required_header(&req)).unwrap();
    assert_eq!(back.accepts[0].network, "eip155:8453");
}

#[test]
fn the_port_gives_both_forms() {
    let f = X402Facilitator::new(FacilitatorConfig::default()).unwrap();
    let c = f.challenge(&common::requirement(), "cr:7:0:2025-11-23");
    let body: serde_json::Value = serde_json::from_slice(&c.body).unwrap();
    assert_eq!(
        body,
        challenge_body(&common::requirement(), "cr:7:0:2025-11-23")
    );
    assert_eq!(c.header, payment_required_header(&common::requirement()));
}
