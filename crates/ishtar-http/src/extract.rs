//! Extractors: JSON bodies that always answer in the reference's JSON (never actix's
//! default text), and the owner's bearer token.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt as _;
use serde::de::DeserializeOwned;
use serde_json::Value;

use ishtar_domain::sanitize;

use crate::error::{ApiError, Issue};

/// The largest JSON body any route accepts (64 KiB).
pub const BODY_LIMIT: usize = 64 * 1024;

/// A request body type: how it is named in errors, and checks beyond its derive.
pub trait RequestBody: DeserializeOwned + garde::Validate<Context = ()> + 'static {
    /// The route's 400 `error` (`invalid heart-file`, …).
    const INVALID: &'static str;
    /// Whether the route's 400 carries `issues` (the report route's does not).
    const ISSUES: bool = true;
    /// Wire fields spelled in snake_case (the rest are camelCase).
    const SNAKE_CASE_FIELDS: &'static [&'static str] = &[];
    /// The 400's `error` when a field is unknown on a route whose 400 otherwise carries no
    /// `issues` (the unknown fields are named all the same).
    const UNKNOWN_FIELD_ERROR: &'static str = Self::INVALID;
    /// A message for a field this body does not take that says more than "unknown" (a
    /// field another route takes, say).
    fn unknown_field(_field: &str) -> Option<&'static str> {
        None
    }
    /// Checks garde cannot express (nested free-form parts).
    fn extra_issues(&self) -> Vec<Issue> {
        Vec::new()
    }
}

/// The wire names of a body's fields, as its `Deserialize` derive declares them (renames
/// applied): serde hands them to `deserialize_struct`, and this deserializer keeps them and
/// stops there, so nothing is parsed and no list is kept by hand.
pub(crate) fn wire_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{Error as _, Visitor};
    struct Names<'a>(&'a mut &'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for Names<'_> {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(Self::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(Self::Error::custom("names taken"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Names(&mut fields));
    fields
}

/// Every key of a body that is not one of its fields (issue 12: typos never pass
/// silently), named with the field it most likely meant.
fn unknown_fields<T: RequestBody>(body: &serde_json::Map<String, Value>) -> Vec<Issue> {
    let known = wire_fields::<T>();
    body.keys()
        .filter(|k| !known.contains(&k.as_str()))
        .map(|k| {
            let message = T::unknown_field(k)
                .map_or_else(|| ishtar_domain::fields::unknown(k, known), str::to_owned);
            issue(k.clone(), message)
        })
        .collect()
}

/// A parsed and validated JSON body.
#[derive(Debug)]
pub struct Valid<T>(pub T);

impl<T> Valid<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

fn invalid<T: RequestBody>(issues: Vec<Issue>) -> ApiError {
    if T::ISSUES {
        ApiError::invalid(T::INVALID, issues)
    } else {
        ApiError::message(StatusCode::BAD_REQUEST, T::INVALID)
    }
}

/// A `{path, message}` issue.
fn issue(path: impl Into<String>, message: impl Into<String>) -> Issue {
    Issue {
        path: path.into(),
        message: message.into(),
    }
}

/// Marks the errors [`CleanValue`] raises itself (never shown as they are).
const NUL_ERROR: &str = "\u{1}nul";
const DUPLICATE_ERROR: &str = "\u{1}duplicate:";

/// A JSON value read by the venue's input rules (docs/rules.md#input): every string,
/// keys included, is cleaned ([`sanitize::clean`]) before anything validates it; a NUL
/// character anywhere is refused (Postgres cannot store it, and no text needs it); a key
/// given twice in one object is refused (parsers disagree on which one wins).
struct CleanValue(Value);

impl<'de> serde::Deserialize<'de> for CleanValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CleanVisitor).map(CleanValue)
    }
}

struct CleanVisitor;

impl CleanVisitor {
    fn text<E: serde::de::Error>(s: String) -> Result<Value, E> {
        if s.contains('\0') {
            return Err(E::custom(NUL_ERROR));
        }
        Ok(Value::String(sanitize::clean_owned(s)))
    }
}

impl<'de> serde::de::Visitor<'de> for CleanVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Value, E> {
        Self::text(s.to_owned())
    }

    fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Value, E> {
        Self::text(s)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        serde::Deserialize::deserialize(d).map(|CleanValue(v)| v)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(CleanValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        use serde::de::Error as _;
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key.contains('\0') {
                return Err(A::Error::custom(NUL_ERROR));
            }
            let key = sanitize::clean_owned(key);
            let CleanValue(value) = map.next_value()?;
            if out.contains_key(&key) {
                return Err(A::Error::custom(format!("{DUPLICATE_ERROR}{key}")));
            }
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// `a.b` + `c` → `a.b.c`.
fn join_path(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// serde_path_to_error's root is `.`, ours the empty path; a key it could not read is `?`
/// (dropped: the issue is then reported where the reading stopped).
fn root_is_empty(path: String) -> String {
    if path == "." {
        return String::new();
    }
    if !path.split('.').any(|seg| seg == "?") {
        return path;
    }
    path.split('.')
        .filter(|seg| *seg != "?")
        .collect::<Vec<_>>()
        .join(".")
}

/// What serde says a value was (`string "x"`, `integer `5``, …), in the API's words.
fn plain_kind(serde_kind: &str) -> &'static str {
    let k = serde_kind.trim();
    if k.starts_with("string") || k.starts_with("char") {
        "a string"
    } else if k.starts_with("integer") || k.starts_with("floating point") {
        "a number"
    } else if k.starts_with("boolean") {
        "a boolean"
    } else if k.starts_with("sequence") {
        "an array"
    } else if k.starts_with("map") || k.starts_with("struct") {
        "an object"
    } else if k.starts_with("null") || k.starts_with("unit") || k.starts_with("Option") {
        "null"
    } else {
        "a value of another type"
    }
}

/// What serde says was expected (`i64`, `a boolean`, `struct HeartFileBody`, …), in the
/// API's words. Never a Rust type name.
fn plain_expected(serde_expected: &str) -> &'static str {
    let e = serde_expected.trim();
    let integer = [
        "i8", "i16", "i32", "i64", "i128", "u8", "u16", "u32", "u64", "u128",
    ];
    if integer.contains(&e) || e.contains("integer") {
        "a whole number"
    } else if e == "f32" || e == "f64" || e.contains("number") || e.contains("float") {
        "a number"
    } else if e.contains("bool") {
        "true or false"
    } else if e.contains("string") || e.contains("char") {
        "a string"
    } else if e.contains("sequence") || e.contains("array") || e.contains("tuple") {
        "an array"
    } else if e.contains("struct") || e.contains("map") || e.contains("object") {
        "an object"
    } else {
        "a different value"
    }
}

/// A serde data error as `(path, message)` in the API's words: the path in the wire's
/// field names, the message without Rust types (issue 11).
fn plain_data_error(path: String, message: &str) -> (String, String) {
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.split('`').next())
    {
        return (join_path(&path, field), "required".to_owned());
    }
    if message == NUL_ERROR {
        return (path, "must not contain NUL characters".to_owned());
    }
    if let Some(key) = message.strip_prefix(DUPLICATE_ERROR) {
        return (join_path(&path, key), "appears more than once".to_owned());
    }
    if let Some(field) = message
        .strip_prefix("duplicate field `")
        .and_then(|m| m.split('`').next())
    {
        return (join_path(&path, field), "appears more than once".to_owned());
    }
    for (prefix, out_of_range) in [("invalid type: ", false), ("invalid value: ", true)] {
        if let Some((got, expected)) = message
            .strip_prefix(prefix)
            .and_then(|m| m.split_once(", expected "))
        {
            let expected = plain_expected(expected);
            let message = if out_of_range && expected == "a whole number" {
                "expected a whole number in range".to_owned()
            } else if out_of_range {
                format!("expected {expected}")
            } else {
                format!("expected {expected}, got {}", plain_kind(got))
            };
            return (path, message);
        }
    }
    if message.starts_with("invalid length") {
        return (path, "has the wrong number of items".to_owned());
    }
    (path, "has an unexpected value".to_owned())
}

/// A JSON reading error as an issue.
fn read_issue(e: serde_path_to_error::Error<serde_json::Error>) -> Issue {
    use serde_json::error::Category;
    let path = root_is_empty(e.path().to_string());
    let inner = e.into_inner();
    match inner.classify() {
        Category::Eof => issue(path, "not valid JSON: the body ends too early"),
        // serde_json's own words name the slip (`key must be a string`, `trailing
        // comma`); the path says where, so the position is dropped.
        Category::Syntax => issue(
            path,
            format!("not valid JSON: {}", strip_position(&inner.to_string())),
        ),
        Category::Io => issue(path, "not valid JSON"),
        Category::Data => {
            let (path, message) = plain_data_error(path, &strip_position(&inner.to_string()));
            issue(path, message)
        }
    }
}

/// Reads a JSON body the way every route reads one: every string, keys included, cleaned
/// ([`sanitize::clean`]), with a NUL character or a repeated key refused. Errors are issues in the API's words.
pub fn read_json(bytes: &[u8]) -> Result<Value, Issue> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let CleanValue(value) = serde_path_to_error::deserialize(&mut *de).map_err(read_issue)?;
    de.end()
        .map_err(|_| issue("", "not valid JSON: unexpected characters after the value"))?;
    Ok(value)
}

/// Parses bytes as `T`: the JSON is read and cleaned first ([`read_json`]), then typed,
/// then validated, so every rule sees the text as it will be stored.
pub fn parse<T: RequestBody>(bytes: &[u8]) -> Result<T, ApiError> {
    let value = read_json(bytes).map_err(|i| invalid::<T>(vec![i]))?;
    // Every body is an object (serde would also read a struct from an array).
    let got = match &value {
        Value::Object(_) => None,
        Value::Array(_) => Some("an array"),
        Value::String(_) => Some("a string"),
        Value::Number(_) => Some("a number"),
        Value::Bool(_) => Some("a boolean"),
        Value::Null => Some("null"),
    };
    if let Some(got) = got {
        return Err(invalid::<T>(vec![issue(
            "",
            format!("expected an object, got {got}"),
        )]));
    }
    let unknown = match &value {
        Value::Object(body) => unknown_fields::<T>(body),
        _ => Vec::new(),
    };
    let mut issues = Vec::new();
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(value) => {
            if let Err(report) = value.validate() {
                issues.extend(report.iter().map(|(path, err)| Issue {
                    path: wire_path::<T>(&path.to_string()),
                    // garde's `required` says "not set"; serde's missing field is "required".
                    message: match err.message() {
                        "not set" => "required".to_owned(),
                        m => m.to_owned(),
                    },
                }));
            }
            issues.extend(value.extra_issues());
            if issues.is_empty() && unknown.is_empty() {
                return Ok(value);
            }
        }
        Err(e) => {
            let path = root_is_empty(e.path().to_string());
            let (path, message) = plain_data_error(path, &e.into_inner().to_string());
            issues.push(issue(path, message));
        }
    }
    Err(refuse::<T>(unknown, issues))
}

/// The 400 for a body with `unknown` fields and other `issues`: every one of them named,
/// unknown fields first; on a route whose 400 carries no `issues`, its fixed body unless a
/// field is unknown (then the unknown fields are named).
fn refuse<T: RequestBody>(unknown: Vec<Issue>, issues: Vec<Issue>) -> ApiError {
    match (T::ISSUES, unknown.is_empty()) {
        (false, true) => invalid::<T>(issues),
        (false, false) => ApiError::invalid(T::UNKNOWN_FIELD_ERROR, unknown),
        (true, _) => invalid::<T>(unknown.into_iter().chain(issues).collect()),
    }
}

/// garde names fields as Rust spells them; the wire spells them in camelCase, except the
/// names a body keeps in snake_case (`persona_age`).
fn wire_path<T: RequestBody>(path: &str) -> String {
    path.split('.')
        .map(|seg| {
            if T::SNAKE_CASE_FIELDS.contains(&seg) {
                return seg.to_owned();
            }
            let mut out = String::with_capacity(seg.len());
            let mut upper = false;
            for c in seg.chars() {
                if c == '_' {
                    upper = true;
                } else if upper {
                    out.extend(c.to_uppercase());
                    upper = false;
                } else {
                    out.push(c);
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// serde_json appends " at line 1 column 9"; the path already says where.
fn strip_position(m: &str) -> String {
    match m.rfind(" at line ") {
        Some(i) => m[..i].to_owned(),
        None => m.to_owned(),
    }
}

impl<T: RequestBody> FromRequest for Valid<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim();
                m.eq_ignore_ascii_case("application/json")
                    || (m.len() > 5 && m[m.len() - 5..].eq_ignore_ascii_case("+json"))
            });
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::message(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "content-type must be application/json",
                ));
            }
            let too_large = || {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    serde_json::json!({"error": "body too large", "limit": BODY_LIMIT}),
                )
            };
            if declared.is_some_and(|n| n > BODY_LIMIT) {
                return Err(too_large());
            }
            let mut body = Vec::with_capacity(declared.unwrap_or(1024).min(BODY_LIMIT));
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| {
                    ApiError::message(StatusCode::BAD_REQUEST, "could not read the request body")
                })?;
                if body.len() + chunk.len() > BODY_LIMIT {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            parse::<T>(&body).map(Valid)
        })
    }
}

/// The `Authorization: Bearer …` token, if any. Never logged.
#[derive(Debug, Clone, Default)]
pub struct Bearer(pub Option<String>);

impl Bearer {
    pub fn token(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl FromRequest for Bearer {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| rest.trim().to_owned())
            })
            .filter(|t| !t.is_empty());
        std::future::ready(Ok(Bearer(token)))
    }
}

/// The operator (docs/rules.md#operator): `ISHTAR_ADMIN_TOKEN` as a bearer token or as the password
/// of HTTP Basic auth (any user name), compared in constant time. No token configured: the
/// console is closed (403). A wrong or missing credential: 401 with a Basic challenge.
#[derive(Debug, Clone, Copy)]
pub struct Operator;

/// The configured operator secret, as app data.
#[derive(Clone, Default)]
pub struct OperatorToken(pub Option<String>);

impl std::fmt::Debug for OperatorToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "OperatorToken(set)"
        } else {
            "OperatorToken(unset)"
        })
    }
}

fn presented_secret(req: &HttpRequest) -> Option<String> {
    use base64::Engine as _;
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.trim().to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        return text.split_once(':').map(|(_, pw)| pw.to_owned());
    }
    None
}

/// Whether `presented` is the operator secret. Both are hashed (SHA-256) and the digests
/// compared in constant time, so neither the comparison nor an early length check tells
/// an attacker how long the secret is or how much of it matched.
pub fn secret_matches(presented: &str, configured: &str) -> bool {
    use sha2::{Digest as _, Sha256};
    let a: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
    let b: [u8; 32] = Sha256::digest(configured.as_bytes()).into();
    constant_time_eq::constant_time_eq_32(&a, &b)
}

impl FromRequest for Operator {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let configured = req
            .app_data::<actix_web::web::Data<OperatorToken>>()
            .and_then(|t| t.0.clone())
            .filter(|t| !t.is_empty());
        let Some(secret) = configured else {
            return std::future::ready(Err(ApiError::message(
                StatusCode::FORBIDDEN,
                "console closed",
            )));
        };
        let ok = presented_secret(req).is_some_and(|p| secret_matches(&p, &secret));
        if ok {
            std::future::ready(Ok(Operator))
        } else {
            tracing::warn!(path = %req.path(), "operator authentication failed");
            std::future::ready(Err(ApiError::message(
                StatusCode::UNAUTHORIZED,
                "operator token required",
            )
            .with_header("www-authenticate", "Basic realm=\"ishtar operator\"")))
        }
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests: failing loudly is the point")]

    use super::*;
    use serde_json::json;

    #[test]
    fn json_is_cleaned_and_nul_and_repeated_keys_are_refused() {
        assert_eq!(
            read_json("{\"a\\u200b\":[\"x\\u202ey\",{\"b\":\"\\ufe0f\"}],\"n\":1.5}".as_bytes())
                .unwrap(),
            json!({"a": ["xy", {"b": ""}], "n": 1.5})
        );
        assert_eq!(
            read_json(br#"{"a":{"b":["ok","x\u0000"]}}"#).unwrap_err(),
            issue("a.b[1]", "must not contain NUL characters")
        );
        assert_eq!(
            read_json(br#"{"a":{"k\u0000":1}}"#).unwrap_err(),
            issue("a", "must not contain NUL characters")
        );
        assert_eq!(
            read_json(br#"{"a":{"b":1,"b":2}}"#).unwrap_err(),
            issue("a.b", "appears more than once")
        );
        // Keys equal once cleaned are the same key.
        assert_eq!(
            read_json("{\"b\":1,\"b\\u200b\":2}".as_bytes()).unwrap_err(),
            issue("b", "appears more than once")
        );
        assert_eq!(
            read_json(b"{} x").unwrap_err(),
            issue("", "not valid JSON: unexpected characters after the value")
        );
        assert_eq!(
            read_json(b"").unwrap_err(),
            issue("", "not valid JSON: the body ends too early")
        );
    }

    #[test]
    fn serde_messages_are_rewritten_without_rust_types() {
        let cases = [
            (
                "invalid type: sequence, expected struct HeartFileBody",
                "expected an object, got an array",
            ),
            (
                "invalid type: string \"x\", expected i64",
                "expected a whole number, got a string",
            ),
            (
                "invalid type: floating point `1.5`, expected i64",
                "expected a whole number, got a number",
            ),
            (
                "invalid value: integer `99999999999999999999`, expected i64",
                "expected a whole number in range",
            ),
            (
                "invalid type: string \"yes\", expected a boolean",
                "expected true or false, got a string",
            ),
            (
                "invalid type: integer `5`, expected a string",
                "expected a string, got a number",
            ),
            (
                "invalid type: null, expected struct PersonaBody",
                "expected an object, got null",
            ),
            ("something serde never said", "has an unexpected value"),
        ];
        for (serde, ours) in cases {
            assert_eq!(
                plain_data_error("x".into(), serde),
                ("x".to_owned(), ours.to_owned()),
                "{serde}"
            );
        }
        assert_eq!(
            plain_data_error("heart".into(), "missing field `about`"),
            ("heart.about".to_owned(), "required".to_owned())
        );
        assert_eq!(
            plain_data_error(String::new(), "duplicate field `handle`"),
            ("handle".to_owned(), "appears more than once".to_owned())
        );
    }

    #[test]
    fn syntax_errors_say_what_and_where_without_a_position() {
        assert_eq!(
            read_json(br#"{"a":{1:2}}"#).unwrap_err(),
            issue("a", "not valid JSON: key must be a string")
        );
        assert_eq!(
            read_json(br#"{"a":[1,]}"#).unwrap_err(),
            issue("a", "not valid JSON: trailing comma")
        );
        assert_eq!(
            read_json(br#"{"a":{"b" 1}}"#).unwrap_err(),
            issue("a", "not valid JSON: expected `:`")
        );
    }

    fn issues_of<T: RequestBody + std::fmt::Debug>(body: Value) -> Value {
        let err = parse::<T>(body.to_string().as_bytes()).unwrap_err();
        err.body().clone()
    }

    #[test]
    fn a_body_knows_its_wire_fields() {
        assert_eq!(
            wire_fields::<crate::dto::PersonaBody>(),
            [
                "handle",
                "model",
                "persona_age",
                "heart",
                "redteam",
                "ownerId",
                "homeMarket",
                "activeMarket"
            ]
        );
        assert!(wire_fields::<crate::dto::HeartFileBody>().contains(&"ageAttested"));
    }

    #[test]
    fn unknown_fields_are_named_with_what_they_likely_meant() {
        let body = issues_of::<crate::dto::PersonaBody>(json!({
            "handle": "wren", "model": "m", "personaAge": "18+", "heart": {"about": "x"},
            "owner_id": 1, "mood": "sunny"
        }));
        assert_eq!(
            body,
            json!({"error": "invalid persona", "issues": [
                {"path": "personaAge", "message": "unknown field; did you mean persona_age?"},
                {"path": "owner_id", "message": "unknown field; did you mean ownerId?"},
                {"path": "mood", "message": "unknown field"},
                {"path": "persona_age", "message": "required"},
            ]})
        );
        // With a type error too, both are named.
        let body = issues_of::<crate::dto::HeartFileBody>(json!({
            "heart": {"a": "b"}, "ageAttested": "yes", "ownerID": 1
        }));
        assert_eq!(
            body["issues"],
            json!([
                {"path": "ownerID", "message": "unknown field; did you mean ownerId?"},
                {"path": "ageAttested", "message": "expected true or false, got a string"},
            ])
        );
    }

    #[test]
    fn a_route_without_issues_names_unknown_fields_only() {
        assert_eq!(
            issues_of::<crate::dto::ReportBody>(json!({"targetType": "persona"})),
            json!({"error": "invalid report"})
        );
        assert_eq!(
            issues_of::<crate::dto::ReportBody>(
                json!({"targetType": "persona", "targetId": 1, "reasons": "spam"})
            ),
            json!({"error": "invalid report", "issues": [
                {"path": "reasons", "message": "unknown field; did you mean reason?"}
            ]})
        );
    }

    #[test]
    fn the_operator_secret_is_compared_by_digest() {
        let secret = "s".repeat(40);
        assert!(secret_matches(&secret, &secret));
        assert!(!secret_matches(&secret[..39], &secret));
        assert!(!secret_matches(&format!("{secret}s"), &secret));
        assert!(!secret_matches("", &secret));
        assert!(!secret_matches(&"t".repeat(40), &secret));
    }
}
