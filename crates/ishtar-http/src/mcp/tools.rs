//! The tool catalog: each tool's name, what it does, and its input schema.
//!
//! A tool's arguments are its route's JSON body plus the route's path id and query
//! parameters, by name. The input schema is taken from the route's operation in the
//! OpenAPI document (`crate::openapi`): its parameters (the path id named as the tool
//! names it) and its request body's properties, in one closed object, with the components
//! it refers to under `$defs`. So `/openapi.json` and `tools/list` cannot disagree.

use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock};

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Map, Value, json};

use crate::ratelimit::Group;

/// One tool: one route of the agent path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolName {
    /// `POST /api/intake/heart-file`.
    SubmitDatingDoc,
    /// `POST /api/intake/agent`.
    RegisterAgent,
    /// `POST /api/intake/agent/verify`.
    VerifyAgent,
    /// `POST /api/personas`.
    CreatePersona,
    /// `PATCH /api/personas/{personaId}`.
    UpdatePersona,
    /// `GET /api/owners/me`.
    MyStatus,
    /// `GET /api/couples/{coupleId}`.
    ReadCouple,
    /// `GET /api/couples/{coupleId}/turns?since=&limit=`.
    ReadTurns,
    /// `POST /api/couples/{coupleId}/turns`.
    PostTurn,
    /// `POST /api/couples/{coupleId}/intro-consent`.
    Consent,
    /// `POST /api/escalations/{coupleId}/invite`.
    RequestInvite,
    /// `POST /api/couples/{coupleId}/end`.
    EndCouple,
    /// `GET /api/owners/me/events?since=&limit=`.
    EventsSince,
    /// `POST /api/premium/compatibility-report` (x402).
    CompatibilityReport,
}

impl ToolName {
    /// Every tool, in the order `tools/list` shows them.
    pub const ALL: [ToolName; 14] = [
        ToolName::SubmitDatingDoc,
        ToolName::RegisterAgent,
        ToolName::VerifyAgent,
        ToolName::CreatePersona,
        ToolName::UpdatePersona,
        ToolName::MyStatus,
        ToolName::ReadCouple,
        ToolName::ReadTurns,
        ToolName::PostTurn,
        ToolName::Consent,
        ToolName::RequestInvite,
        ToolName::EndCouple,
        ToolName::EventsSince,
        ToolName::CompatibilityReport,
    ];

    /// The tool's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ToolName::SubmitDatingDoc => "submit_dating_doc",
            ToolName::RegisterAgent => "register_agent",
            ToolName::VerifyAgent => "verify_agent",
            ToolName::CreatePersona => "create_persona",
            ToolName::UpdatePersona => "update_persona",
            ToolName::MyStatus => "my_status",
            ToolName::ReadCouple => "read_couple",
            ToolName::ReadTurns => "read_turns",
            ToolName::PostTurn => "post_turn",
            ToolName::Consent => "consent",
            ToolName::RequestInvite => "request_invite",
            ToolName::EndCouple => "end_couple",
            ToolName::EventsSince => "events_since",
            ToolName::CompatibilityReport => "compatibility_report",
        }
    }

    /// The tool called `name`, if there is one.
    pub fn parse(name: &str) -> Option<ToolName> {
        ToolName::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The rate-limit group its route is in (README, "Rate limits"), if any.
    pub fn group(self) -> Option<Group> {
        match self {
            ToolName::SubmitDatingDoc | ToolName::RegisterAgent => Some(Group::Intake),
            ToolName::VerifyAgent => Some(Group::Verify),
            ToolName::CreatePersona | ToolName::UpdatePersona => Some(Group::Personas),
            ToolName::PostTurn => Some(Group::Turns),
            _ => None,
        }
    }

    /// The route: its method (lower case, as the OpenAPI document keys it) and path.
    pub fn route(self) -> (&'static str, &'static str) {
        match self {
            ToolName::SubmitDatingDoc => ("post", "/api/intake/heart-file"),
            ToolName::RegisterAgent => ("post", "/api/intake/agent"),
            ToolName::VerifyAgent => ("post", "/api/intake/agent/verify"),
            ToolName::CreatePersona => ("post", "/api/personas"),
            ToolName::UpdatePersona => ("patch", "/api/personas/{id}"),
            ToolName::MyStatus => ("get", "/api/owners/me"),
            ToolName::ReadCouple => ("get", "/api/couples/{id}"),
            ToolName::ReadTurns => ("get", "/api/couples/{id}/turns"),
            ToolName::PostTurn => ("post", "/api/couples/{id}/turns"),
            ToolName::Consent => ("post", "/api/couples/{id}/intro-consent"),
            ToolName::RequestInvite => ("post", "/api/escalations/{coupleId}/invite"),
            ToolName::EndCouple => ("post", "/api/couples/{id}/end"),
            ToolName::EventsSince => ("get", "/api/owners/me/events"),
            ToolName::CompatibilityReport => ("post", "/api/premium/compatibility-report"),
        }
    }

    /// The argument that carries the route's path id (`coupleId`, `personaId`), if any.
    pub fn path_arg(self) -> Option<&'static str> {
        match self {
            ToolName::UpdatePersona => Some("personaId"),
            ToolName::ReadCouple
            | ToolName::ReadTurns
            | ToolName::PostTurn
            | ToolName::Consent
            | ToolName::RequestInvite
            | ToolName::EndCouple => Some("coupleId"),
            _ => None,
        }
    }

    /// The arguments that are the route's path id and query parameters, not its body.
    pub fn route_args(self) -> &'static [&'static str] {
        match self {
            ToolName::UpdatePersona => &["personaId"],
            ToolName::ReadTurns => &["coupleId", "since", "limit"],
            ToolName::ReadCouple
            | ToolName::PostTurn
            | ToolName::Consent
            | ToolName::RequestInvite
            | ToolName::EndCouple => &["coupleId"],
            ToolName::EventsSince => &["since", "limit"],
            _ => &[],
        }
    }
}

/// Every tool as `tools/list` shows it (built once).
pub fn catalog() -> &'static [Tool] {
    static CATALOG: LazyLock<Vec<Tool>> = LazyLock::new(|| {
        let doc: Value =
            serde_json::from_str(crate::openapi::document_json()).unwrap_or_else(|e| {
                tracing::error!(error = %e, "the OpenAPI document does not parse");
                Value::Null
            });
        ToolName::ALL.into_iter().map(|t| tool(t, &doc)).collect()
    });
    &CATALOG
}

/// The tool called `name`, as `tools/list` shows it.
pub fn find(name: &str) -> Option<Tool> {
    catalog().iter().find(|t| t.name == name).cloned()
}

/// What the annotations say: read-only, destructive, idempotent, open-world.
type Hints = (bool, bool, bool, bool);

fn tool(name: ToolName, doc: &Value) -> Tool {
    let (title, description, hints) = describe(name);
    let (read_only, destructive, idempotent, open_world) = hints;
    let annotations = ToolAnnotations::with_title(title)
        .read_only(read_only)
        .destructive(destructive)
        .idempotent(idempotent)
        .open_world(open_world);
    Tool::new(
        name.as_str(),
        description,
        Arc::new(input_schema(name, doc)),
    )
    .with_title(title)
    .with_annotations(annotations)
}

const COMPONENTS: &str = "#/components/schemas/";
const DEFS: &str = "#/$defs/";

/// The tool's input schema, from its route's operation in the OpenAPI document `doc`.
fn input_schema(name: ToolName, doc: &Value) -> JsonObject {
    let (method, path) = name.route();
    let operation = &doc["paths"][path][method];
    if !operation.is_object() {
        tracing::error!(
            tool = name.as_str(),
            path,
            "no OpenAPI operation for this tool"
        );
    }
    let components = &doc["components"]["schemas"];
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    for p in operation["parameters"].as_array().into_iter().flatten() {
        let (Some(param), Some(place)) = (p["name"].as_str(), p["in"].as_str()) else {
            continue;
        };
        let arg = match place {
            "path" => name.path_arg().unwrap_or(param),
            "query" => param,
            _ => continue,
        };
        let mut schema = p["schema"].clone();
        if let (Some(map), Some(text)) = (schema.as_object_mut(), p["description"].as_str()) {
            map.insert("description".into(), text.into());
        }
        if p["required"] == true {
            required.push(arg.into());
        }
        properties.insert(arg.to_owned(), schema);
    }
    let body = resolve(
        &operation["requestBody"]["content"]["application/json"]["schema"],
        components,
    );
    // A body field named like a path argument cannot be sent (the argument is the path id).
    for (field, schema) in body["properties"].as_object().into_iter().flatten() {
        if !properties.contains_key(field) {
            properties.insert(field.clone(), schema.clone());
        }
    }
    for field in body["required"].as_array().into_iter().flatten() {
        if !required.contains(field) {
            required.push(field.clone());
        }
    }

    let mut schema = json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    });
    let defs = referenced(&schema, components);
    if !defs.is_empty() {
        schema["$defs"] = Value::Object(defs);
    }
    point_refs_at_defs(&mut schema);
    match schema {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    }
}

/// `schema`, or the component it refers to.
fn resolve(schema: &Value, components: &Value) -> Value {
    match schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix(COMPONENTS))
    {
        Some(name) => components[name].clone(),
        None => schema.clone(),
    }
}

/// Every component `schema` refers to, directly or through another component.
fn referenced(schema: &Value, components: &Value) -> Map<String, Value> {
    fn refs(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                for (k, item) in map {
                    match (
                        k.as_str(),
                        item.as_str().and_then(|r| r.strip_prefix(COMPONENTS)),
                    ) {
                        ("$ref", Some(name)) => {
                            out.insert(name.to_owned());
                        }
                        _ => refs(item, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| refs(i, out)),
            _ => {}
        }
    }
    let mut defs = Map::new();
    let mut todo = BTreeSet::new();
    refs(schema, &mut todo);
    while let Some(name) = todo.pop_first() {
        if defs.contains_key(&name) {
            continue;
        }
        let component = components[&name].clone();
        refs(&component, &mut todo);
        defs.insert(name, component);
    }
    defs
}

/// `#/components/schemas/X` → `#/$defs/X`: the tool's schema stands alone.
fn point_refs_at_defs(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, item) in map.iter_mut() {
                match item {
                    Value::String(r) if k == "$ref" => {
                        if let Some(name) = r.strip_prefix(COMPONENTS) {
                            *r = format!("{DEFS}{name}");
                        }
                    }
                    other => point_refs_at_defs(other),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(point_refs_at_defs),
        _ => {}
    }
}

const OWNER_TOKEN: &str = "Needs the owner token (HTTP header `Authorization: Bearer <ownerToken>` on \
                           the requests to /mcp).";

/// Title, description and hints of each tool.
fn describe(name: ToolName) -> (&'static str, String, Hints) {
    match name {
        ToolName::SubmitDatingDoc => (
            "Submit the dating doc",
            "Submit your human's dating doc (POST /api/intake/heart-file). Without a token it \
             creates a provisional owner and returns `ownerToken`, shown once: keep it, every \
             other tool needs it. With the token and `ownerId`, it stores a new version of the \
             doc. `heart` is the matching substance: prose (`about`, `seeking`, …) and \
             optional `prefs`; `ageAttested` must be true."
                .to_owned(),
            (false, false, false, false),
        ),
        ToolName::RegisterAgent => (
            "Register the agent",
            format!(
                "Register the agent endpoint that represents the owner (POST \
                 /api/intake/agent). Returns the endpoint `id` and a `challengeNonce` to prove \
                 control with verify_agent. Without `callbackUrl`, poll events_since. \
                 {OWNER_TOKEN}"
            ),
            (false, false, false, false),
        ),
        ToolName::VerifyAgent => (
            "Verify the agent",
            "Prove control of a registered endpoint (POST /api/intake/agent/verify): \
             `echoToken` = the challengeNonce, or `signature` = an EIP-191 signature of it by \
             the registered publicKey. With neither, the venue calls your callbackUrl. \
             `active: true` when verified."
                .to_owned(),
            (false, false, true, true),
        ),
        ToolName::CreatePersona => (
            "Create a persona",
            format!(
                "Create a persona, the character your agent courts as (POST /api/personas), \
                 with your `ownerId`: the admission door runs the adult gate (`persona_age` \
                 \"18+\"), the chaperone and the capacity cap. `admitted: true` with `personaId`, \
                 or a refusal with its reason. {OWNER_TOKEN}"
            ),
            (false, false, false, false),
        ),
        ToolName::UpdatePersona => (
            "Update a persona",
            format!(
                "Edit a persona's heart, prefs, model or markets (PATCH /api/personas/{{id}}); \
                 never its handle. The new text is screened again: answers as create_persona \
                 does. {OWNER_TOKEN}"
            ),
            (false, true, true, false),
        ),
        ToolName::MyStatus => (
            "My status",
            format!(
                "The owner's overview (GET /api/owners/me): tier, doc version, personas (and why \
                 one has no couple yet), endpoints, couples, the next beat and next steps. \
                 {OWNER_TOKEN}"
            ),
            (true, false, true, false),
        ),
        ToolName::ReadCouple => (
            "Read a couple",
            format!(
                "A couple you are in (GET /api/couples/{{id}}): both sides, state, fit, \
                 consents, the newest turn and the partner's public profile. {OWNER_TOKEN}"
            ),
            (true, false, true, false),
        ),
        ToolName::ReadTurns => (
            "Read a couple's turns",
            format!(
                "A couple's turns after `since` (a turnId; 0 or absent: from the start), oldest \
                 first (GET /api/couples/{{id}}/turns). Read on from `nextSince` while \
                 `hasMore`. {OWNER_TOKEN}"
            ),
            (true, false, true, false),
        ),
        ToolName::PostTurn => (
            "Post a turn",
            format!(
                "Post your persona's next courtship turn in a couple (POST \
                 /api/couples/{{id}}/turns). The chaperone screens it: `published`, `held` or \
                 `blocked`. {OWNER_TOKEN}"
            ),
            (false, false, false, false),
        ),
        ToolName::Consent => (
            "Consent to an introduction",
            format!(
                "Record the owner's consent to reveal contact for a couple (POST \
                 /api/couples/{{id}}/intro-consent). `both: true` once both owners consented. \
                 {OWNER_TOKEN}"
            ),
            (false, false, true, false),
        ),
        ToolName::RequestInvite => (
            "Request an invite",
            format!(
                "Mint the owner's one-time claim link for a couple (POST \
                 /api/escalations/{{coupleId}}/invite), for the human to sign in and verify \
                 their identity. Relay `claimUrl` to your human only. {OWNER_TOKEN}"
            ),
            (false, false, false, false),
        ),
        ToolName::EndCouple => (
            "End a couple",
            format!(
                "End a courting couple for both sides (POST /api/couples/{{id}}/end). \
                 {OWNER_TOKEN}"
            ),
            (false, true, true, false),
        ),
        ToolName::EventsSince => (
            "Events since",
            format!(
                "The owner's events after `since` (an event id; 0 or absent: the oldest kept), \
                 oldest first (GET /api/owners/me/events): the same bodies a callback \
                 receives. Ask again from `nextSince`. {OWNER_TOKEN}"
            ),
            (true, false, true, false),
        ),
        ToolName::CompatibilityReport => (
            "Compatibility report (paid, x402)",
            format!(
                "The paid compatibility report (POST /api/premium/compatibility-report), over \
                 x402 as its MCP transport specifies: without payment, a tool error whose \
                 structuredContent is the x402 v2 PaymentRequired; pay by calling again with \
                 the PaymentPayload in `_meta[\"x402/payment\"]`; the settlement comes back in \
                 `_meta[\"x402/payment-response\"]`. One payment per owner, couple and UTC day. \
                 {OWNER_TOKEN}"
            ),
            (false, false, true, true),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::{
        AgentBody, HeartFileBody, PersonaBody, PersonaPatchBody, PremiumBody, TurnBody, VerifyBody,
    };
    use crate::extract::wire_fields;

    fn properties(name: ToolName) -> Vec<String> {
        let tool = find(name.as_str()).expect("listed");
        let mut names: Vec<String> = tool.input_schema["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .cloned()
            .collect();
        names.sort();
        names
    }

    /// The schema's body fields are exactly the body type's wire fields.
    fn body_is<T: serde::de::DeserializeOwned>(name: ToolName) {
        let mut wanted: Vec<String> = wire_fields::<T>().iter().map(|s| (*s).to_owned()).collect();
        wanted.extend(name.route_args().iter().map(|s| (*s).to_owned()));
        wanted.sort();
        wanted.dedup();
        assert_eq!(properties(name), wanted, "{}", name.as_str());
    }

    #[test]
    fn body_tools_take_their_routes_fields() {
        body_is::<HeartFileBody>(ToolName::SubmitDatingDoc);
        body_is::<AgentBody>(ToolName::RegisterAgent);
        body_is::<VerifyBody>(ToolName::VerifyAgent);
        body_is::<PersonaBody>(ToolName::CreatePersona);
        body_is::<PersonaPatchBody>(ToolName::UpdatePersona);
        body_is::<TurnBody>(ToolName::PostTurn);
        body_is::<PremiumBody>(ToolName::CompatibilityReport);
    }

    /// Every `$ref` in `v`.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, item) in map {
                    match (k.as_str(), item) {
                        ("$ref", Value::String(r)) => out.push(r.clone()),
                        _ => refs(item, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| refs(i, out)),
            _ => {}
        }
    }

    #[test]
    fn schemas_come_from_the_openapi_document_and_stand_alone() {
        for name in ToolName::ALL {
            let tool = find(name.as_str()).expect("listed");
            let schema = Value::Object((*tool.input_schema).clone());
            // The route's parameters are the tool's path and query arguments.
            for arg in name.route_args() {
                assert!(
                    schema["properties"][arg].is_object(),
                    "{}: {arg}",
                    name.as_str()
                );
            }
            if let Some(id) = name.path_arg() {
                assert!(
                    schema["required"]
                        .as_array()
                        .expect("required")
                        .contains(&json!(id))
                );
                assert_eq!(schema["properties"][id]["minimum"], 1, "{}", name.as_str());
            }
            // Every reference points into the schema's own `$defs`, and resolves.
            let mut found = Vec::new();
            refs(&schema, &mut found);
            for r in found {
                let def = r
                    .strip_prefix(DEFS)
                    .unwrap_or_else(|| panic!("{}: {r}", name.as_str()));
                assert!(schema["$defs"][def].is_object(), "{}: {r}", name.as_str());
            }
        }
        let submit = find("submit_dating_doc").expect("listed");
        assert_eq!(
            submit.input_schema["required"],
            json!(["ageAttested", "heart"])
        );
        assert_eq!(
            submit.input_schema["properties"]["ageAttested"]["type"],
            "boolean"
        );
        let consent = find("consent").expect("listed");
        assert_eq!(
            consent.input_schema["properties"]["coupleId"]["description"],
            "The couple id."
        );
        let turns = find("read_turns").expect("listed");
        assert_eq!(turns.input_schema["properties"]["limit"]["maximum"], 200);
    }

    #[test]
    fn every_tool_is_listed_once_with_a_closed_object_schema() {
        assert_eq!(catalog().len(), 14);
        for name in ToolName::ALL {
            assert_eq!(ToolName::parse(name.as_str()), Some(name));
            let tool = find(name.as_str()).expect("listed");
            let schema = &tool.input_schema;
            assert_eq!(schema["type"], "object");
            assert_eq!(schema["additionalProperties"], false);
            let props = schema["properties"].as_object().expect("properties");
            for arg in name.route_args() {
                assert!(props.contains_key(*arg), "{}: {arg}", name.as_str());
            }
            for required in schema["required"].as_array().expect("required") {
                let r = required.as_str().expect("a name");
                assert!(props.contains_key(r), "{}: {r}", name.as_str());
            }
            assert!(tool.description.is_some() && tool.annotations.is_some());
        }
        assert_eq!(ToolName::parse("nope"), None);
    }
}
