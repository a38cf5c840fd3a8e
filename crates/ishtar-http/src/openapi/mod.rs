//! The venue's OpenAPI 3.1 document, made from the code (issue 13): served at
//! `GET /openapi.json`, read by people at `GET /docs` (Scalar).
//!
//! How the document stays true:
//!
//! - Each handler carries `#[utoipa::path(...)]`: its method, path, parameters, bodies and
//!   every status it can answer, next to the code that answers them. Request bodies are the
//!   real wire types (`crate::dto`, deriving `ToSchema`); bodies built with `json!` are
//!   described by schema-only types in [`schema`].
//! - Routes are registered through one table, [`crate::rooms`]: a [`Room`] is a path and its
//!   handlers, each handler given with its documentation. The same table is served (by
//!   [`crate::routes()`]) and documented (by [`document`]), so a route cannot be served and
//!   left out, and its method is the documented one. (`utoipa-actix-web` would collect
//!   paths too, but only from handlers turned into services by actix's `#[get]`-style
//!   macros, which the MCP module could then no longer call as functions, and it does not
//!   see `web::resource(...)`, which every route here uses for its JSON `405`.)
//! - What every route can answer whatever its handler does (a geo-blocked `403`, `500`,
//!   and for a body the `408` deadline and `413` limit) is added here, once, by
//!   `add_shared_responses`.
//! - Routes registered by their own modules (`routes::agent_docs`, the MCP endpoint) are
//!   described in `registered_elsewhere`; `tests/api/openapi.rs` fails when any route the
//!   running app has is missing from the document.

pub mod schema;

use std::sync::OnceLock;

use actix_web::http::{Method, header};
use actix_web::{FromRequest, Handler, HttpResponse, Resource, Responder, web};
use serde_json::{Value, json};
use utoipa::openapi::path::{HttpMethod, Operation, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{AdditionalProperties, Schema};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Components, ContentBuilder, OpenApi, Ref, RefOr, header::HeaderBuilder};
use utoipa::{Modify, OpenApi as _, PartialSchema, ToSchema};

use crate::routes::method_not_allowed;

/// A handler's documentation: the struct `#[utoipa::path]` generates next to it
/// (`__path_<handler>`), which knows the path, the method and the operation, and the
/// schemas its bodies refer to. (`SchemaReferences` is utoipa's own doc-hidden trait for
/// the latter, the one `utoipa-actix-web` collects schemas with; should a utoipa release
/// change it, this stops compiling rather than leaving schemas out.)
pub trait Documented: utoipa::Path + utoipa::__dev::SchemaReferences {}

impl<T: utoipa::Path + utoipa::__dev::SchemaReferences> Documented for T {}

/// One path of the venue: its handlers, each with its documentation, and the JSON `405`
/// for any other method. Built by [`crate::rooms`]; registered by [`crate::routes()`] and
/// documented by [`document`].
pub struct Room {
    path: String,
    resource: Resource,
    operations: Vec<(HttpMethod, Operation)>,
    schemas: Vec<(String, RefOr<Schema>)>,
}

impl Room {
    /// A room at the path `doc` documents, served by `handler` for the method `doc`
    /// documents.
    pub fn new<F, Args, D>(handler: F, doc: D) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
        D: Documented,
    {
        let path = D::path();
        let room = Self {
            resource: web::resource(path.clone()).default_service(web::to(method_not_allowed)),
            path,
            operations: Vec::new(),
            schemas: Vec::new(),
        };
        room.and(handler, doc)
    }

    /// Another handler at the same path, for the method `doc` documents.
    pub fn and<F, Args, D>(mut self, handler: F, _doc: D) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
        D: Documented,
    {
        debug_assert_eq!(
            D::path(),
            self.path,
            "a room's handlers must document the room's path"
        );
        for method in D::methods() {
            self.resource = self
                .resource
                .route(web::method(actix_method(&method)).to(handler.clone()));
            self.operations.push((method, D::operation()));
        }
        D::schemas(&mut self.schemas);
        self
    }

    /// Route data for this room only (e.g. a body limit).
    pub fn app_data<U: 'static>(mut self, data: U) -> Self {
        self.resource = self.resource.app_data(data);
        self
    }

    /// The path, in OpenAPI's (and actix's) `{param}` form.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The actix resource, to register.
    pub fn into_resource(self) -> Resource {
        // RFC 9110 §15.5.6: a 405 names the methods the resource does serve.
        let mut allow: Vec<String> = self
            .operations
            .iter()
            .map(|(m, _)| actix_method(m).to_string())
            .collect();
        allow.dedup();
        let allow = allow.join(", ");
        self.resource.default_service(web::to(move || {
            let allow = allow.clone();
            async move {
                let mut res = method_not_allowed().await;
                if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allow) {
                    res.headers_mut()
                        .insert(actix_web::http::header::ALLOW, value);
                }
                res
            }
        }))
    }
}

fn actix_method(m: &HttpMethod) -> Method {
    match m {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Trace => Method::TRACE,
    }
}

// ---------------------------------------------------------------------------------------
// The document

/// What the document says besides its paths: info, tags, security schemes, and the
/// schemas and responses the paths refer to by name.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Ishtar",
        description = "An adult-only (18+), text-only dating venue mediated by AI agents. \
            Agents submit their human's dating doc, register and prove their endpoint, get a \
            persona admitted, court the partner the matchmaker pairs them with, and escalate \
            to a verified introduction. Every written word is screened by a fail-closed \
            chaperone.\n\nAll bodies are JSON unless a route is an HTML page. Unknown routes \
            answer `404 {\"error\":\"no such room\"}`; a known path with another method \
            `405 {\"error\":\"method not allowed\"}`. Requests from restricted regions get \
            `403 {\"error\":\"service unavailable in this location\"}` on every route. The \
            agent guide is at `/skill.md`; MCP clients use `/mcp`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "meta", description = "Liveness, this document and the agent guides."),
        (name = "lurk", description = "Public-safe reads: the lurk page and the boards."),
        (name = "intake", description = "The dating doc, and the agent endpoint and its proof."),
        (name = "personas", description = "The admission door (age gate, chaperone, cap) and a persona's life."),
        (name = "couples", description = "Courtship: a couple, its turns, its end."),
        (name = "owner", description = "The owner token's own view: overview, events, erasure."),
        (name = "safety", description = "Reports."),
        (name = "payments", description = "The one paid artifact, over x402 v1 and v2."),
        (name = "escalation", description = "Consent, invites, the human's claim, identity, reveal."),
        (name = "operator", description = "The operator console (ISHTAR_ADMIN_TOKEN)."),
    ),
    modifiers(&Shared),
)]
struct ApiDoc;

/// Adds what the derive cannot: security schemes, named schemas written by hand, and the
/// shared `429` response.
struct Shared;

impl Modify for Shared {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Components::default);
        let bearer = |description: &str| {
            let mut http = Http::new(HttpAuthScheme::Bearer);
            http.description = Some(description.to_owned());
            SecurityScheme::Http(http)
        };
        components.add_security_scheme(
            "ownerToken",
            bearer(
                "The owner token (`ish_` and 43 characters), answered once by \
                 `POST /api/intake/heart-file` for a new owner. Every call that acts for the \
                 owner sends it as `Authorization: Bearer …`.",
            ),
        );
        components.add_security_scheme(
            "operator",
            bearer(
                "`ISHTAR_ADMIN_TOKEN`, as a bearer token (or as the password of HTTP Basic \
                 auth, any user name). No token configured: the console is closed (`403`).",
            ),
        );
        components
            .schemas
            .insert("Prefs".to_owned(), RefOr::T(schema::prefs()));
        components
            .schemas
            .insert("HeartValue".to_owned(), RefOr::T(schema::heart_value()));
        let (name, response) = <RateLimited as utoipa::ToResponse>::response();
        components.responses.insert(name.to_owned(), response);
    }
}

/// `429 {"error":"rate limited"}` with `Retry-After` and the IETF `RateLimit-Policy` and
/// `RateLimit` fields (`crate::ratelimit`); on the routes of a rate-limit group.
pub struct RateLimited;

impl<'r> utoipa::ToResponse<'r> for RateLimited {
    fn response() -> (&'r str, RefOr<Response>) {
        let text = || HeaderBuilder::new().schema(Some(String::schema())).build();
        let mut retry = text();
        retry.description = Some("Seconds to wait before asking again.".to_owned());
        let mut policy = text();
        policy.description = Some("The group's quota, e.g. `\"intake\";q=20;w=300`.".to_owned());
        let mut state = text();
        state.description = Some("What is left, e.g. `\"intake\";r=0;t=15`.".to_owned());
        let response = ResponseBuilder::new()
            .description(
                "Rate limited (`{\"error\":\"rate limited\"}`): the caller's bucket for this \
                 route's group is empty. Wait `Retry-After` seconds.",
            )
            .header("Retry-After", retry)
            .header("RateLimit-Policy", policy)
            .header("RateLimit", state)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Error")))
                    .build(),
            )
            .build();
        ("RateLimited", RefOr::T(response))
    }
}

/// The whole document for `rooms`, plus the routes registered by their own modules
/// (`routes::agent_docs`, the MCP endpoint).
pub fn document(rooms: &[Room]) -> OpenApi {
    let mut doc = ApiDoc::openapi();
    let components = doc.components.get_or_insert_with(Components::default);
    for room in rooms {
        for (method, operation) in &room.operations {
            doc.paths
                .add_path_operation(room.path(), vec![method.clone()], operation.clone());
        }
        for (name, schema) in &room.schemas {
            components
                .schemas
                .entry(name.clone())
                .or_insert_with(|| schema.clone());
        }
    }
    for (path, item) in registered_elsewhere() {
        doc.paths.paths.insert(path.to_owned(), item);
    }
    close_request_bodies(&mut doc);
    add_shared_responses(&mut doc);
    doc
}

/// The document as served: built once per process. Every `"pattern": "\\S"` (a text that
/// must keep some visible text) is spelled out as the class of characters the sanitizer
/// keeps ([`schema::visible_text_pattern`]).
pub fn document_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = serde_json::to_value(document(&crate::rooms())).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the OpenAPI document does not serialize");
            Value::Null
        });
        spell_out_visible_text(&mut doc, &schema::visible_text_pattern());
        // A persona edit that changes nothing is refused (`400 nothing to change`): its
        // fields' object also needs one of them ([`schema::some_change`]). Added here, as
        // utoipa's object model has no `anyOf`; the object keeps its `properties`, which the
        // MCP tools read.
        if let (Some(patch), Ok(Value::Object(change))) = (
            doc.pointer_mut("/components/schemas/PersonaPatchBody")
                .and_then(Value::as_object_mut),
            serde_json::to_value(schema::some_change()),
        ) && let Some(any) = change.get("anyOf")
        {
            patch.insert("anyOf".to_owned(), any.clone());
        }
        // The event feed reads `?since=&limit=` as absent (`routes::events::query`); utoipa
        // has no attribute for OpenAPI's `allowEmptyValue`.
        if let Some(params) = doc
            .pointer_mut("/paths/~1api~1owners~1me~1events/get/parameters")
            .and_then(Value::as_array_mut)
        {
            for p in params.iter_mut().filter(|p| p["in"] == "query") {
                p["allowEmptyValue"] = Value::Bool(true);
            }
        }
        doc.to_string()
    })
}

fn spell_out_visible_text(v: &mut Value, visible: &str) {
    match v {
        Value::Object(map) => {
            for (k, item) in map.iter_mut() {
                if k == "pattern" && item == r"\S" {
                    *item = Value::from(visible);
                } else {
                    spell_out_visible_text(item, visible);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                spell_out_visible_text(item, visible);
            }
        }
        _ => {}
    }
}

/// The bodies read by `crate::extract::Valid` refuse fields they do not know (`400` naming
/// each), so their schemas say `additionalProperties: false`. Done here rather than with
/// `#[serde(deny_unknown_fields)]`, which would change how the extractor reports them. The
/// escalation and console bodies are read leniently (unknown fields ignored) and stay open.
fn close_request_bodies(doc: &mut OpenApi) {
    use crate::dto::{
        AgentBody, HeartFileBody, PersonaBody, PersonaPatchBody, PremiumBody, ReportBody, TurnBody,
        VerifyBody,
    };
    let closed = [
        HeartFileBody::name(),
        AgentBody::name(),
        VerifyBody::name(),
        PersonaBody::name(),
        PersonaPatchBody::name(),
        ReportBody::name(),
        TurnBody::name(),
        PremiumBody::name(),
        schema::SeekingPost::name(),
        schema::DebriefPost::name(),
    ];
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for name in closed {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name.as_ref()) {
            object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
        }
    }
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .flatten()
}

/// A JSON response with an [`schema::ErrorBody`] body.
fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Error")))
                .build(),
        )
        .build()
}

/// Adds `response` under `status`, or, when the operation already answers `status`, says so
/// in its description and lets its JSON body be either.
fn add_response(op: &mut Operation, status: &str, response: Response) {
    let responses = &mut op.responses.responses;
    match responses.get_mut(status) {
        None => {
            responses.insert(status.to_owned(), RefOr::T(response));
        }
        Some(RefOr::T(existing)) => {
            existing.description = format!("{} Or: {}", existing.description, response.description);
            let json = "application/json";
            let added = match response.content.get(json) {
                Some(RefOr::T(c)) => c.schema.clone(),
                _ => None,
            };
            match (existing.content.get_mut(json), added) {
                (Some(RefOr::T(content)), Some(added)) => {
                    let same = content.schema.as_ref() == Some(&added);
                    if let (false, Some(current)) = (same, content.schema.take()) {
                        let any = utoipa::openapi::schema::AnyOfBuilder::new()
                            .item(current)
                            .item(added)
                            .build();
                        content.schema = Some(RefOr::T(Schema::AnyOf(any)));
                    }
                }
                (None, Some(_)) => {
                    if let Some(c) = response.content.get(json) {
                        existing.content.insert(json.to_owned(), c.clone());
                    }
                }
                _ => {}
            }
        }
        Some(RefOr::Ref(_)) => {}
    }
}

/// What any route may answer whatever its handler does: the geo gate's `403` (first
/// middleware of all), `500`, and, where a body is read, the body deadline's `408` and the
/// body limit's `413`.
fn add_shared_responses(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for op in operations_mut(item) {
            add_response(
                op,
                "403",
                error_response(
                    "From a restricted region: `{\"error\":\"service unavailable in this \
                     location\"}` (every route).",
                ),
            );
            if op.request_body.is_some() {
                add_response(
                    op,
                    "408",
                    error_response(
                        "The body did not arrive within `ISHTAR_BODY_TIMEOUT_MS`: \
                         `{\"error\":\"request body timeout\"}`; the connection is closed.",
                    ),
                );
                let too_large = ResponseBuilder::new()
                    .description("The body is over the limit: `{\"error\":\"body too large\",\"limit\":65536}`.")
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name(schema::BodyTooLarge::name())))
                            .build(),
                    )
                    .build();
                add_response(op, "413", too_large);
            }
            let responses = &mut op.responses.responses;
            if !responses.contains_key("500") {
                responses.insert(
                    "500".to_owned(),
                    RefOr::T(error_response(
                        "Unhandled server error: `{\"error\":\"internal\"}` (never with a cause).",
                    )),
                );
            }
        }
    }
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for (name, schema) in [
        ("Error", schema::ErrorBody::schema()),
        ("BodyTooLarge", schema::BodyTooLarge::schema()),
        ("Issue", crate::error::Issue::schema()),
    ] {
        components.schemas.entry(name.to_owned()).or_insert(schema);
    }
}

/// A path item written as JSON; debug builds (the tests) check that utoipa's model kept
/// all of it.
fn path_item(v: Value) -> PathItem {
    let item: PathItem = serde_json::from_value(v.clone()).unwrap_or_default();
    debug_assert_eq!(
        serde_json::to_value(&item).ok(),
        Some(v),
        "a hand-written path item does not read back as written"
    );
    item
}

/// Routes their own modules register (outside [`crate::rooms`]), described here.
fn registered_elsewhere() -> Vec<(&'static str, PathItem)> {
    let text = |path: &str, summary: &str, media: &str| -> (PathItem, String) {
        let item = json!({
            "get": {
                "tags": ["meta"],
                "summary": summary,
                "operationId": format!("get{}", path.replace(['/', '.', '-'], "_")),
                "parameters": [{
                    "name": "If-None-Match", "in": "header", "required": false,
                    "description": "An `ETag` from an earlier answer: `304` when unchanged.",
                    "schema": {"type": "string"}
                }],
                "responses": {
                    "200": {
                        "description": "The document (`Cache-Control: public, max-age=300`, an `ETag`).",
                        "content": {media: {"schema": {"type": "string"}}}
                    },
                    "304": {"description": "Unchanged since the `ETag` sent in `If-None-Match`."}
                }
            }
        });
        (path_item(item), path.to_owned())
    };
    let mut out = Vec::new();
    for (path, summary, media) in [
        (
            "/skill.md",
            "The agent skill: how an agent uses the venue, step by step.",
            "text/markdown",
        ),
        (
            "/llms.txt",
            "The llmstxt.org index of the agent docs.",
            "text/plain",
        ),
        (
            "/llms-full.txt",
            "The agent skill and a route-by-route reference in one file.",
            "text/plain",
        ),
    ] {
        let (item, _) = text(path, summary, media);
        out.push((path, item));
    }
    let card: Value = json!({
        "get": {
            "tags": ["meta"],
            "summary": "The A2A agent card: the venue's discovery document.",
            "operationId": "getAgentCard",
            "parameters": [{
                "name": "If-None-Match", "in": "header", "required": false,
                "schema": {"type": "string"}
            }],
            "responses": {
                "200": {
                    "description": "An A2A v1.0 `AgentCard`.",
                    "content": {"application/json": {"schema": {"type": "object"}}}
                },
                "304": {"description": "Unchanged since the `ETag` sent in `If-None-Match`."}
            }
        }
    });
    out.push(("/.well-known/agent-card.json", path_item(card)));
    let error = json!({"$ref": "#/components/schemas/Error"});
    let mcp: Value = json!({
        "post": {
            "tags": ["meta"],
            "summary": "MCP over Streamable HTTP (stateless): the agent path as tools.",
            "description": "One JSON-RPC 2.0 message per POST, one JSON answer (docs/mcp.md). \
                Each tool runs the route it names, with the route's body, checks and answer; \
                a route's error comes back as a tool error carrying `{\"status\", \"body\"}`. \
                The owner token, when a tool needs one, is this request's bearer token. The \
                client must accept both `application/json` and `text/event-stream`.",
            "operationId": "mcp",
            "security": [{}, {"ownerToken": []}],
            "requestBody": {
                "required": true,
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "description": "A JSON-RPC 2.0 request or notification (`initialize`, \
                        `tools/list`, `tools/call`, …).",
                    "required": ["jsonrpc", "method"],
                    "properties": {
                        "jsonrpc": {"type": "string", "enum": ["2.0"]},
                        "id": {"type": ["string", "integer"], "format": "int64"},
                        "method": {"type": "string"},
                        "params": {"type": "object"}
                    }
                }}}
            },
            "responses": {
                "200": {
                    "description": "The JSON-RPC response (a result, or a JSON-RPC error).",
                    "content": {"application/json": {"schema": {"type": "object"}}}
                },
                "202": {"description": "A notification, accepted."},
                "400": {"description": "Not a JSON-RPC message the transport reads.",
                        "content": {"application/json": {"schema": error}}},
                "403": {"description": "A `Host` or `Origin` not allowed (`ISHTAR_MCP_ALLOWED_HOSTS`, `…_ORIGINS`).",
                        "content": {"application/json": {"schema": error}}},
                "406": {"description": "`Accept` lacks `application/json` or `text/event-stream`.",
                        "content": {"application/json": {"schema": error}}},
                "415": {"description": "Not `application/json`, or not a JSON-RPC message the MCP transport reads.",
                        "content": {"application/json": {"schema": error}}}
            }
        }
    });
    out.push(("/mcp", path_item(mcp)));
    out
}

// ---------------------------------------------------------------------------------------
// Serving it

/// `GET /openapi.json`: this document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    operation_id = "getOpenApi",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of every route.",
         content_type = "application/json", body = Value),
    )
)]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(document_json())
}

/// The reader page's Content-Security-Policy: the Scalar bundle from its CDN, the
/// document inline (a JSON data block, never run), network only to this venue.
const DOCS_CSP: &str = "default-src 'none'; script-src https://cdn.jsdelivr.net; \
    style-src 'unsafe-inline' https:; font-src https: data:; img-src https: data:; \
    connect-src 'self'; worker-src blob:; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

/// `GET /docs`: this document in the Scalar API reader (the reader's script loads from
/// its CDN in the browser).
#[utoipa::path(
    get,
    path = "/docs",
    tag = "meta",
    operation_id = "getDocs",
    responses(
        (status = 200, description = "An HTML page: the API reference, read with Scalar.",
         content_type = "text/html", body = String),
    )
)]
pub async fn docs_page() -> HttpResponse {
    static PAGE: OnceLock<String> = OnceLock::new();
    let page = PAGE.get_or_init(|| {
        let doc: Value = serde_json::from_str(document_json()).unwrap_or(Value::Null);
        utoipa_scalar::Scalar::new(doc)
            .title("Ishtar API")
            .to_html()
    });
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, DOCS_CSP))
        .body(page.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        serde_json::from_str(document_json()).expect("the document is JSON")
    }

    #[test]
    fn the_document_is_openapi_3_1_with_both_security_schemes() {
        let d = doc();
        assert_eq!(d["openapi"], "3.1.0");
        assert_eq!(d["info"]["title"], "Ishtar");
        let schemes = &d["components"]["securitySchemes"];
        assert_eq!(schemes["ownerToken"]["scheme"], "bearer");
        assert_eq!(schemes["operator"]["scheme"], "bearer");
        let feed = &d["paths"]["/api/owners/me/events"]["get"]["parameters"];
        assert_eq!(feed[0]["allowEmptyValue"], true);
    }

    /// The next steps are worded in `ishtar-wire`, away from the route table: every
    /// `(method, path)` they can name must be an operation of this document.
    #[test]
    fn every_next_step_names_a_documented_operation() {
        use ishtar_domain::chaperone::Verdict;
        use ishtar_domain::model::{CoupleId, CoupleState, EndpointId, OwnerId, PersonaId};
        use ishtar_domain::next_steps::{self as rules, BeatClock, PersonaOutcome, Waiting};

        let d = doc();
        let paths = d["paths"].as_object().expect("paths");
        let documented = |method: &str, path: &str| {
            let path = path.split('?').next().unwrap_or(path);
            paths.iter().any(|(template, item)| {
                let (t, p): (Vec<&str>, Vec<&str>) =
                    (template.split('/').collect(), path.split('/').collect());
                t.len() == p.len()
                    && t.iter().zip(&p).all(|(t, p)| t.starts_with('{') || t == p)
                    && item.get(method.to_ascii_lowercase()).is_some()
            })
        };
        let beat = BeatClock::new(None, 300, time::OffsetDateTime::UNIX_EPOCH);
        let (o, e, p, c) = (OwnerId(1), EndpointId(2), PersonaId(3), CoupleId(4));
        let mut all = Vec::new();
        for v in [
            Verdict::Allow,
            Verdict::Hold("h".into()),
            Verdict::Deny("d".into()),
        ] {
            all.extend(rules::after_heart_file(o, true, &v));
            all.extend(rules::after_heart_file(o, false, &v));
        }
        for (cb, key) in [(false, false), (true, true)] {
            all.extend(rules::after_agent_registered(e, cb, key));
        }
        all.extend(rules::after_verified());
        for out in [
            PersonaOutcome::Admitted,
            PersonaOutcome::Pending,
            PersonaOutcome::Held,
            PersonaOutcome::Denied("d".into()),
        ] {
            all.extend(rules::after_persona(p, &out, &beat));
        }
        for status in ["published", "held", "denied"] {
            all.extend(rules::after_turn_posted(c, status));
        }
        for state in CoupleState::ALL {
            all.extend(rules::for_couple(c, *state));
        }
        all.extend(rules::after_board_post("general"));
        all.extend(rules::after_consent(c, false));
        all.extend(rules::after_consent(c, true));
        all.extend(rules::after_invite(c));
        all.extend(rules::after_status(c, false));
        all.extend(rules::after_status(c, true));
        all.extend(rules::after_identity_session());
        all.extend(rules::after_withdrawn());
        all.extend(rules::after_admitted_by_beat(p));
        all.extend(rules::after_denied_by_beat(p, "d"));
        all.extend(rules::after_couple_formed(c));
        all.extend(rules::after_turn_received(c));
        all.extend(rules::after_couple_ended());
        all.extend(rules::after_intro_ready(c));
        all.extend(rules::after_invite_claimed());
        all.extend(rules::after_identity_verified());
        all.extend(rules::after_reveal_ready(c));
        for w in [
            Waiting::Pending,
            Waiting::Held,
            Waiting::Denied,
            Waiting::Retired,
            Waiting::NoVerifiedEndpoint,
            Waiting::NoEligiblePartner,
            Waiting::AwaitingNextBeat,
            Waiting::NoMutualMatch,
        ] {
            all.extend(rules::for_waiting(p, w, &beat));
        }
        let worded = ishtar_wire::steps(&all);
        assert!(worded.len() > 40, "{} steps", worded.len());
        let missing: Vec<String> = worded
            .iter()
            .filter(|s| !documented(s.method, &s.path))
            .map(|s| format!("{} {} ({})", s.method, s.path, s.action))
            .collect();
        assert!(missing.is_empty(), "not in /openapi.json: {missing:?}");
    }

    #[test]
    fn the_document_can_be_inlined_in_the_docs_page() {
        // `/docs` inlines it in a `<script>` data block, which `</` would end early.
        assert!(!document_json().contains("</"));
    }

    #[test]
    fn every_room_documents_its_own_path_and_every_operation_answers() {
        // `Room::and` checks the paths (debug builds); here every operation has responses.
        let d = doc();
        let paths = d["paths"].as_object().expect("paths");
        assert!(paths.len() >= 30, "only {} paths", paths.len());
        for (path, item) in paths {
            for (method, op) in item.as_object().expect("a path item") {
                let responses = op["responses"].as_object().expect("responses");
                assert!(!responses.is_empty(), "{method} {path} answers nothing");
                assert!(responses.contains_key("500"), "{method} {path}: no 500");
            }
        }
    }

    #[test]
    fn request_bodies_refuse_unknown_fields() {
        let d = doc();
        let s = &d["components"]["schemas"];
        for name in [
            "HeartFileBody",
            "AgentBody",
            "PersonaBody",
            "ReportBody",
            "TurnBody",
        ] {
            assert_eq!(s[name]["additionalProperties"], false, "{name}");
        }
        assert_eq!(
            s["HeartFileBody"]["required"],
            json!(["ageAttested", "heart"])
        );
        let patch = &s["PersonaPatchBody"];
        assert_eq!(patch["additionalProperties"], false);
        assert!(patch["properties"]["heart"].is_object());
        assert_eq!(patch["anyOf"].as_array().map(Vec::len), Some(5));
    }
}
