//! Reading a webhook's `decision` into what the domain's [`IdentityEvent`] keeps: one bit
//! (`age_over_18`) and the owner reference. The document data itself (names, numbers,
//! dates) is never kept (docs/identity.md).
//!
//! [`IdentityEvent`]: ishtar_domain::ports::IdentityEvent

use serde_json::Value;
use time::Date;

/// What the venue keeps from a decision.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct DecisionFacts {
    /// Over 18 by the documents (see [`age_over_18`]); `None` when no document says.
    pub(crate) age_over_18: Option<bool>,
    /// The decision's own `vendor_data`, for bodies that carry it only there.
    pub(crate) vendor_data: Option<String>,
}

/// The facts of a decision, judged on `today` (UTC). No decision, no facts.
pub(crate) fn read(decision: Option<&Value>, today: Date) -> DecisionFacts {
    decision.map_or_else(DecisionFacts::default, |d| DecisionFacts {
        age_over_18: age_over_18(d, today),
        vendor_data: d
            .get("vendor_data")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// The document entries of a decision: `id_verification` (v2), `id_verifications` (v3,
/// a list) and `kyc` (v1). Wire-formats.md does not pin these down; see docs/identity.md.
fn documents(decision: &Value) -> Vec<&Value> {
    let mut docs = Vec::new();
    for key in ["id_verification", "kyc"] {
        if let Some(d) = decision.get(key).filter(|d| d.is_object()) {
            docs.push(d);
        }
    }
    if let Some(list) = decision.get("id_verifications").and_then(Value::as_array) {
        docs.extend(list.iter().filter(|d| d.is_object()));
    }
    docs
}

/// Whether someone born on `dob` is 18 or older on `today`.
fn adult_on(dob: Date, today: Date) -> bool {
    let mut years = today.year() - dob.year();
    if (u8::from(today.month()), today.day()) < (u8::from(dob.month()), dob.day()) {
        years -= 1;
    }
    years >= 18
}

fn parse_dob(s: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.get(..10)?, format).ok()
}

/// One bit from the decision: over 18 by the document's date of birth (else its `age`).
/// Several documents must all agree; a document showing a minor wins. `None` when no
/// document carries either field.
fn age_over_18(decision: &Value, today: Date) -> Option<bool> {
    let verdicts: Vec<bool> = documents(decision)
        .into_iter()
        .filter_map(|doc| {
            let by_dob = doc
                .get("date_of_birth")
                .and_then(Value::as_str)
                .and_then(parse_dob)
                .map(|dob| adult_on(dob, today));
            by_dob.or_else(|| {
                doc.get("age")
                    .and_then(Value::as_f64)
                    .map(|age| age >= 18.0)
            })
        })
        .collect();
    if verdicts.is_empty() {
        None
    } else {
        Some(verdicts.iter().all(|&adult| adult))
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests: failing loudly is the point")]

    use super::*;
    use serde_json::json;
    use time::OffsetDateTime;

    /// 2027-01-15, as the webhook tests' `now`.
    const NOW: i64 = 1_800_000_000;

    #[test]
    fn the_age_bit_reads_every_known_decision_shape() {
        let today = OffsetDateTime::from_unix_timestamp(NOW).unwrap().date();
        for (decision, want) in [
            (
                json!({"id_verification": {"date_of_birth": "2000-02-29"}}),
                Some(true),
            ),
            (json!({"kyc": {"date_of_birth": "2010-05-05"}}), Some(false)),
            (json!({"id_verifications": [{"age": 34}]}), Some(true)),
            (json!({"id_verifications": [{"age": 17}]}), Some(false)),
            (
                json!({"id_verifications": [{"date_of_birth": "1990-01-01"}, {"age": 16}]}),
                Some(false),
            ),
            (
                json!({"id_verification": {"date_of_birth": "1990-01-01T00:00:00Z"}}),
                Some(true),
            ),
            (
                json!({"id_verification": {"date_of_birth": "garbage", "age": 20}}),
                Some(true),
            ),
            (json!({"id_verification": null}), None),
            (json!({"id_verification": "x", "kyc": 3}), None),
            (json!({}), None),
        ] {
            assert_eq!(age_over_18(&decision, today), want, "{decision}");
        }
        // Born 29 Feb: adult on 1 Mar of the 18th year, not on 28 Feb.
        let dob = parse_dob("2008-02-29").unwrap();
        assert!(!adult_on(dob, parse_dob("2026-02-28").unwrap()));
        assert!(adult_on(dob, parse_dob("2026-03-01").unwrap()));
    }
}
