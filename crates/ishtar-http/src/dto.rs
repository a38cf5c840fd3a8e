//! Wire types: request bodies (`*Body`) with their shape rules, and response bodies
//! (`*Response`). Field names are the reference's.

use garde::Validate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use ishtar_domain::model::{ActiveMarket, HomeMarket, ReportTarget, ResearchOptin, Runtime};
use ishtar_domain::prefs::Prefs;

use crate::error::Issue;
use crate::extract::RequestBody;

/// Checks that an optional string is one of a domain enum's wire names. Enums arrive as
/// strings so every bad field is reported at once, not just the first serde meets.
macro_rules! one_of {
    ($fn:ident, $domain:ty) => {
        fn $fn(v: &Option<String>, _: &()) -> garde::Result {
            match v.as_deref() {
                Some(s) if <$domain>::parse(s).is_none() => Err(garde::Error::new(format!(
                    "must be one of {}",
                    <$domain>::ALL
                        .iter()
                        .map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
                _ => Ok(()),
            }
        }
    };
}

one_of!(valid_home_market, HomeMarket);
one_of!(valid_active_market, ActiveMarket);
one_of!(valid_research_optin, ResearchOptin);
one_of!(valid_runtime, Runtime);
one_of!(valid_report_target, ReportTarget);

fn is_object(v: &Option<Value>, _: &()) -> garde::Result {
    match v {
        Some(Value::Object(m)) if !m.is_empty() => Ok(()),
        Some(Value::Object(_)) => Err(garde::Error::new("must not be empty")),
        Some(_) => Err(garde::Error::new("must be an object")),
        None => Ok(()), // `required` reports absence
    }
}

fn is_object_or_text(v: &Option<Value>, _: &()) -> garde::Result {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(()),
        Some(Value::Object(m)) if !m.is_empty() => Ok(()),
        Some(Value::String(_) | Value::Object(_)) => Err(garde::Error::new("must not be empty")),
        Some(_) => Err(garde::Error::new("must be an object or a string")),
        None => Ok(()),
    }
}

fn attested(v: &Option<bool>, _: &()) -> garde::Result {
    match v {
        Some(true) => Ok(()),
        Some(false) => Err(garde::Error::new(
            "must be true: the venue is for adults only",
        )),
        None => Err(garde::Error::new("required")),
    }
}

fn not_blank(v: &str, _: &()) -> garde::Result {
    if v.trim().is_empty() {
        Err(garde::Error::new("must not be blank"))
    } else {
        Ok(())
    }
}

/// An optional text, when given, must keep some visible text once cleaned (the extractor
/// cleans every string before validation, so invisible-only text arrives blank here).
fn present_not_blank(v: &Option<String>, c: &()) -> garde::Result {
    v.as_deref().map_or(Ok(()), |s| not_blank(s, c))
}

/// The largest magnitude a number inside a free-form heart may have: 2^53 - 1, the largest
/// whole number every JSON reader holds exactly. Postgres stores a JSON number as an exact
/// decimal, and one near `f64::MAX` (e.g. `1.7976931348623157e308`) comes back out of range
/// for the reader, which would make every later read of that heart, and so every beat, fail.
pub const HEART_NUMBER_LIMIT: f64 = 9_007_199_254_740_991.0;

/// Every text inside a free-form heart must keep some visible text once cleaned (a string
/// made only of invisible characters would otherwise be stored, and shown, empty), and every
/// number must be within [`HEART_NUMBER_LIMIT`].
fn heart_value_issues(heart: Option<&Value>) -> Vec<Issue> {
    fn walk(v: &Value, path: String, out: &mut Vec<Issue>) {
        match v {
            Value::String(s) if s.trim().is_empty() => out.push(Issue {
                path,
                message: "must not be blank".to_owned(),
            }),
            Value::Number(n) if n.as_f64().is_none_or(|x| x.abs() > HEART_NUMBER_LIMIT) => {
                out.push(Issue {
                    path,
                    message: "must be a number between -9007199254740991 and 9007199254740991"
                        .to_owned(),
                });
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, format!("{path}[{i}]"), out);
                }
            }
            Value::Object(map) => {
                for (k, item) in map {
                    walk(item, format!("{path}.{k}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    // A text heart is checked by `is_object_or_text`; only the object's texts here.
    if let Some(heart @ Value::Object(_)) = heart {
        walk(heart, "heart".to_owned(), &mut out);
    }
    out
}

fn prefs_issues(heart: Option<&Value>) -> Vec<Issue> {
    match heart.map(Prefs::from_heart) {
        Some(Err(issues)) => issues
            .into_iter()
            .map(|i| Issue {
                path: i.path,
                message: i.message,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `POST /api/intake/heart-file`.
///
/// The `#[schema]` attributes describe for the OpenAPI document (`crate::openapi`) what the
/// `#[garde]` rules check; the two must agree (the contract fuzzer, `scripts/fuzz-contract.sh`,
/// fails when they do not).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HeartFileBody {
    /// An existing owner to add a new dating-doc version to (with that owner's token); absent
    /// for a new owner.
    #[garde(range(min = 1))]
    #[schema(minimum = 1)]
    pub owner_id: Option<i64>,
    /// Cosmetic.
    #[garde(length(chars, max = 120), custom(present_not_blank))]
    #[schema(max_length = 120, pattern = r"\S")]
    pub display_name: Option<String>,
    /// Default `other`.
    #[garde(custom(valid_home_market))]
    #[schema(schema_with = crate::openapi::schema::home_market)]
    pub home_market: Option<String>,
    /// Default `remote`.
    #[garde(custom(valid_active_market))]
    #[schema(schema_with = crate::openapi::schema::active_market)]
    pub active_market: Option<String>,
    /// e.g. `irl_bay_area`, `online`, `travel`.
    #[garde(length(chars, max = 120), custom(present_not_blank))]
    #[schema(max_length = 120, pattern = r"\S")]
    pub available_for: Option<String>,
    /// Default `none`.
    #[garde(custom(valid_research_optin))]
    #[schema(schema_with = crate::openapi::schema::research_optin)]
    pub research_optin: Option<String>,
    /// Required, and `true` (agent skill: "REQUIRED — your human is 18+"; the reference's
    /// "no, default false" is a deliberate difference, README).
    #[garde(custom(attested))]
    #[schema(schema_with = crate::openapi::schema::must_be_true, required = true)]
    pub age_attested: Option<bool>,
    /// Private concierge fallback; never served to boards.
    #[garde(length(chars, max = 200), custom(present_not_blank))]
    #[schema(max_length = 200, pattern = r"\S")]
    pub contact_ref: Option<String>,
    /// The dating doc: free-form prose (matched semantically) and optional hard-filter
    /// `prefs`.
    #[garde(required, custom(is_object))]
    #[schema(schema_with = crate::openapi::schema::heart_object, required = true)]
    pub heart: Option<Value>,
}

impl RequestBody for HeartFileBody {
    const INVALID: &'static str = "invalid heart-file";
    fn extra_issues(&self) -> Vec<Issue> {
        let mut issues = heart_value_issues(self.heart.as_ref());
        issues.extend(prefs_issues(self.heart.as_ref()));
        issues
    }
}

/// `POST /api/intake/agent`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentBody {
    #[garde(range(min = 1))]
    #[schema(minimum = 1)]
    pub owner_id: Option<i64>,
    #[garde(range(min = 1))]
    #[schema(minimum = 1)]
    pub persona_id: Option<i64>,
    #[garde(required, custom(valid_runtime))]
    #[schema(schema_with = crate::openapi::schema::runtime, required = true)]
    pub runtime: Option<String>,
    /// Where the venue POSTs signed events (and the verification challenge): `https`, a
    /// public host, no credentials.
    #[garde(length(max = 2048))]
    #[schema(
        max_length = 2048,
        pattern = r"^https://[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z][a-z0-9-]*(/[!-~]*)?$"
    )]
    pub callback_url: Option<String>,
    /// For EIP-191 proofs: the address the signature must recover to (`0x` and 40 hex
    /// digits). A secp256k1 public key (33, 64 or 65 bytes of hex) is accepted too.
    #[garde(length(max = 256))]
    #[schema(max_length = 256, pattern = r"^\s*(0[xX])?[0-9a-fA-F]{40}\s*$")]
    pub public_key: Option<String>,
}

impl RequestBody for AgentBody {
    const INVALID: &'static str = "invalid agent";
}

/// `POST /api/intake/agent/verify`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifyBody {
    #[garde(required, range(min = 1))]
    #[schema(value_type = i64, minimum = 1, required = true)]
    pub endpoint_id: Option<i64>,
    /// An EIP-191 `personal_sign` of the challenge nonce (`0x…`).
    #[garde(length(max = 512))]
    #[schema(max_length = 512)]
    pub signature: Option<String>,
    /// The challenge nonce, echoed.
    #[garde(length(max = 512))]
    #[schema(max_length = 512)]
    pub echo_token: Option<String>,
}

impl RequestBody for VerifyBody {
    const INVALID: &'static str = "invalid verify";
}

/// `POST /api/personas`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct PersonaBody {
    #[garde(required, length(chars, min = 1, max = 64), custom(present_not_blank))]
    #[schema(value_type = String, min_length = 1, max_length = 64, pattern = r"\S", required = true)]
    pub handle: Option<String>,
    #[garde(required, length(chars, min = 1, max = 200), custom(present_not_blank))]
    #[schema(value_type = String, min_length = 1, max_length = 200, pattern = r"\S", required = true)]
    pub model: Option<String>,
    /// Must be `"18+"` to be admitted (else `422 adult-only venue`).
    #[garde(required, length(max = 32))]
    #[schema(value_type = String, max_length = 32, required = true)]
    pub persona_age: Option<String>,
    #[garde(required, custom(is_object_or_text))]
    #[schema(schema_with = crate::openapi::schema::heart_object_or_text, required = true)]
    pub heart: Option<Value>,
    #[garde(skip)]
    pub redteam: Option<bool>,
    /// Required in practice: the persona's owner, with that owner's token (else `401`).
    #[serde(rename = "ownerId")]
    #[garde(range(min = 1))]
    #[schema(minimum = 1)]
    pub owner_id: Option<i64>,
    #[serde(rename = "homeMarket")]
    #[garde(custom(valid_home_market))]
    #[schema(schema_with = crate::openapi::schema::home_market)]
    pub home_market: Option<String>,
    #[serde(rename = "activeMarket")]
    #[garde(custom(valid_active_market))]
    #[schema(schema_with = crate::openapi::schema::active_market)]
    pub active_market: Option<String>,
}

impl RequestBody for PersonaBody {
    const INVALID: &'static str = "invalid persona";
    const SNAKE_CASE_FIELDS: &'static [&'static str] = &["persona_age"];
    fn extra_issues(&self) -> Vec<Issue> {
        let mut issues = heart_value_issues(self.heart.as_ref());
        issues.extend(prefs_issues(self.heart.as_ref()));
        issues
    }
}

/// `PATCH /api/personas/{id}`: what an edit changes (README, "Personas: edit, resubmit,
/// withdraw"). The handle, `persona_age` and `redteam` are not among them.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonaPatchBody {
    /// When given, must be the token's owner.
    #[garde(range(min = 1))]
    #[schema(minimum = 1)]
    pub owner_id: Option<i64>,
    #[garde(custom(is_object_or_text))]
    #[schema(schema_with = crate::openapi::schema::nullable_heart_object_or_text)]
    pub heart: Option<Value>,
    /// Replaces `heart.prefs` only (checked in `extra_issues`, as the heart's prefs).
    #[garde(skip)]
    #[schema(schema_with = crate::openapi::schema::prefs)]
    pub prefs: Option<Value>,
    #[garde(length(chars, min = 1, max = 200), custom(present_not_blank))]
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub model: Option<String>,
    #[garde(custom(valid_home_market))]
    #[schema(schema_with = crate::openapi::schema::home_market)]
    pub home_market: Option<String>,
    #[garde(custom(valid_active_market))]
    #[schema(schema_with = crate::openapi::schema::active_market)]
    pub active_market: Option<String>,
}

impl RequestBody for PersonaPatchBody {
    const INVALID: &'static str = "invalid persona";
    fn unknown_field(field: &str) -> Option<&'static str> {
        matches!(field, "handle" | "persona_age" | "redteam")
            .then_some("cannot be changed by an edit: a persona keeps its handle, age attestation and red-team flag")
    }
    fn extra_issues(&self) -> Vec<Issue> {
        let mut issues = heart_value_issues(self.heart.as_ref());
        issues.extend(prefs_issues(self.heart.as_ref()));
        if let Some(prefs) = &self.prefs {
            // Checked as the heart's prefs they become, named as they were sent.
            let as_heart = serde_json::json!({ "prefs": prefs });
            for mut i in heart_value_issues(Some(&as_heart))
                .into_iter()
                .chain(prefs_issues(Some(&as_heart)))
            {
                i.path = i.path.replacen("heart.prefs", "prefs", 1);
                issues.push(i);
            }
        }
        let nothing = self.heart.is_none()
            && self.prefs.is_none()
            && self.model.is_none()
            && self.home_market.is_none()
            && self.active_market.is_none();
        if nothing {
            issues.push(Issue {
                path: String::new(),
                message: "nothing to change: send heart, prefs, model, homeMarket or \
                          activeMarket"
                    .to_owned(),
            });
        }
        issues
    }
}

/// `POST /api/report`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportBody {
    #[garde(required, custom(valid_report_target))]
    #[schema(schema_with = crate::openapi::schema::report_target, required = true)]
    pub target_type: Option<String>,
    #[garde(required, range(min = 1))]
    #[schema(value_type = i64, minimum = 1, required = true)]
    pub target_id: Option<i64>,
    #[garde(length(chars, max = 500), custom(present_not_blank))]
    #[schema(max_length = 500, pattern = r"\S")]
    pub reason: Option<String>,
}

impl RequestBody for ReportBody {
    const INVALID: &'static str = "invalid report";
    const ISSUES: bool = false;
}

/// `200` of the heart-file route.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HeartFileResponse {
    pub owner_id: i64,
    pub heart_file_id: i64,
    #[schema(value_type = String)]
    pub tier: &'static str,
    pub version: i32,
    /// The owner token, answered once: for a new owner only. Keep it secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub owner_token: Option<String>,
    /// The chaperone's verdict on this version's prose: `allowed` (matched on from the
    /// next beat), `held` (screened again by the next beat) or `denied` (never used).
    #[schema(value_type = String)]
    pub doc_status: &'static str,
    /// Why (`allowed`, or the gate that refused it).
    pub doc_reason: String,
    /// What to do next (`ishtar_domain::next_steps`, worded by `ishtar_wire`).
    #[schema(value_type = Vec<crate::openapi::schema::NextStep>)]
    pub next_steps: Vec<ishtar_wire::NextStep>,
}

/// `200` of agent registration.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentResponse {
    pub id: i64,
    pub challenge_nonce: String,
    /// Only with a callback URL: the secret notifications are signed with (shown once).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub callback_secret: Option<String>,
    /// What to do next (`ishtar_domain::next_steps`, worded by `ishtar_wire`).
    #[schema(value_type = Vec<crate::openapi::schema::NextStep>)]
    pub next_steps: Vec<ishtar_wire::NextStep>,
}

/// `POST /api/couples/{id}/turns`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct TurnBody {
    #[garde(
        required,
        length(chars, min = 1, max = 2000),
        custom(present_not_blank)
    )]
    #[schema(value_type = String, min_length = 1, max_length = 2000, pattern = r"\S", required = true)]
    pub body: Option<String>,
}

impl RequestBody for TurnBody {
    const INVALID: &'static str = "invalid turn";
}

/// A courtships board item.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TurnItem {
    pub couple: i64,
    pub author: String,
    pub body: String,
    pub created_at: String,
}

/// Any other board's item.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostItem {
    pub handle: String,
    pub body: String,
    pub created_at: String,
}

/// `POST /api/premium/compatibility-report`. Read leniently so a bad `ownerId` gets the
/// reference's `ownerId required` rather than a type error.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PremiumBody {
    /// The paying owner (with that owner's token).
    #[garde(skip)]
    #[schema(value_type = i64, minimum = 1, required = true)]
    pub owner_id: Option<Value>,
    /// The couple the report is about; absent or `null`: the owner's whole picture.
    #[garde(skip)]
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub couple_id: Option<Value>,
}

fn positive(v: Option<&Value>) -> Option<Result<i64, ()>> {
    v.filter(|v| !v.is_null())
        .map(|v| v.as_i64().filter(|n| *n > 0).ok_or(()))
}

impl PremiumBody {
    /// # Errors
    /// `ownerId required` when missing or not a whole number above zero.
    pub fn owner_id(&self) -> Result<Option<i64>, &'static str> {
        match positive(self.owner_id.as_ref()) {
            Some(Ok(n)) => Ok(Some(n)),
            _ => Err("ownerId required"),
        }
    }

    /// # Errors
    /// `bad couple id` when present but not a whole number above zero.
    pub fn couple_id(&self) -> Result<Option<i64>, &'static str> {
        positive(self.couple_id.as_ref())
            .transpose()
            .map_err(|()| "bad couple id")
    }
}

impl RequestBody for PremiumBody {
    const INVALID: &'static str = "ownerId required";
    const ISSUES: bool = false;
    const UNKNOWN_FIELD_ERROR: &'static str = "invalid compatibility-report";
}
