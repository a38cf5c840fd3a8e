//! The OpenAPI document (issue 13): served at `/openapi.json` and `/docs`, valid 3.1 with
//! every reference resolving, and complete: a route the app serves but the document lacks
//! fails here, and so does a documented method the app does not serve (or an undocumented
//! one it does).

use std::collections::BTreeSet;

use base64::Engine as _;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{OPERATOR, spawn_app};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(app: &crate::helpers::TestApp) -> Value {
    let res = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    res.json().await.expect("the document is JSON")
}

/// `/api/couples/{id}` → `/api/couples/{}`: paths compared without parameter names.
fn shape(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push('{');
            }
            '}' => {
                in_param = false;
                out.push('}');
            }
            _ if in_param => {}
            c => out.push(c),
        }
    }
    out
}

/// Every `$ref` in `v`, with where it was found.
fn refs(v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, item) in m {
                if k == "$ref" {
                    out.push((at.to_owned(), item.as_str().unwrap_or_default().to_owned()));
                } else {
                    refs(item, &format!("{at}/{k}"), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                refs(item, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn openapi_document_is_3_1_and_every_reference_resolves() {
    let app = spawn_app().await;
    let doc = document(&app).await;

    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "Ishtar");
    assert!(
        doc["info"]["version"]
            .as_str()
            .is_some_and(|v| !v.is_empty())
    );
    let schemes = &doc["components"]["securitySchemes"];
    for name in ["ownerToken", "operator"] {
        assert_eq!(schemes[name]["type"], "http", "{name}");
        assert_eq!(schemes[name]["scheme"], "bearer", "{name}");
    }

    let paths = doc["paths"].as_object().expect("paths");
    let mut operation_ids = BTreeSet::new();
    for (path, item) in paths {
        assert!(path.starts_with('/'), "{path}");
        for (method, op) in item.as_object().expect("a path item") {
            assert!(METHODS.contains(&method.as_str()), "{method} {path}");
            let responses = op["responses"].as_object().expect("responses");
            assert!(!responses.is_empty(), "{method} {path}: no response");
            for (status, response) in responses {
                assert!(
                    status.len() == 3 && status.parse::<u16>().is_ok(),
                    "{method} {path}: status {status}"
                );
                // A shared response is a reference; its description is where it points.
                let response = match response["$ref"].as_str() {
                    Some(r) => doc
                        .pointer(r.trim_start_matches('#'))
                        .unwrap_or(&Value::Null),
                    None => response,
                };
                assert!(
                    response["description"].as_str().is_some(),
                    "{method} {path} {status}: no description"
                );
            }
            let id = op["operationId"].as_str().expect("an operationId");
            assert!(
                operation_ids.insert(id.to_owned()),
                "operationId {id} twice"
            );
            // Every path parameter is declared, and every declared one is in the path.
            let declared: BTreeSet<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .map(|p| p["name"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            let in_path: BTreeSet<&str> = path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            assert_eq!(declared, in_path, "{method} {path}: path parameters");
            // Security names only schemes that exist.
            for requirement in op["security"].as_array().into_iter().flatten() {
                for scheme in requirement.as_object().unwrap().keys() {
                    assert!(
                        schemes.get(scheme).is_some(),
                        "{method} {path}: unknown scheme {scheme}"
                    );
                }
            }
        }
    }

    let mut found = Vec::new();
    refs(&doc, "#", &mut found);
    assert!(found.len() > 50, "only {} references", found.len());
    for (at, target) in found {
        let pointer = target
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{at}: external reference {target}"));
        assert!(
            doc.pointer(pointer).is_some(),
            "{at}: {target} does not resolve"
        );
    }
}

#[tokio::test]
async fn the_docs_page_reads_the_document() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/docs"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let headers = res.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let page = res.text().await.expect("body");
    assert!(page.contains("<title>Ishtar API</title>"), "{page}");
    assert!(page.contains("\"openapi\":\"3.1.0\""));
    assert!(page.contains("/api/intake/heart-file"));
}

/// A concrete path for a documented one: ids are junk (the route must still be found), a
/// board is `seeking` (the one board both methods of its path serve).
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{board}" => "seeking",
            s if s.starts_with('{') => "junk42",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// What the venue answers a request it has no route for: `404 no such room`, or a known
/// path's `405` with a JSON `error` (the venue's `method not allowed`, or the MCP
/// transport's own words).
fn is_no_route(status: StatusCode, body: &Value) -> bool {
    (status == StatusCode::NOT_FOUND && body["error"] == "no such room")
        || (status == StatusCode::METHOD_NOT_ALLOWED && body["error"].is_string())
}

#[tokio::test]
async fn every_documented_method_is_served_and_no_other() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let paths = doc["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (path, item) in paths {
        let url = app.url(&concrete(path));
        for method in METHODS {
            let documented = item.get(method).is_some();
            let res = app
                .client
                .request(
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    &url,
                )
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .expect("request");
            let status = res.status();
            let allow = res
                .headers()
                .get("allow")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let text = res.text().await.expect("body");
            let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if documented {
                assert!(
                    !is_no_route(status, &body),
                    "{method} {path} is documented but not served: {status} {text}"
                );
                assert!(
                    !status.is_server_error(),
                    "{method} {path}: {status} {text}"
                );
            } else {
                assert!(
                    is_no_route(status, &body),
                    "{method} {path} is served ({status} {text}) but not documented"
                );
                // RFC 9110 §15.5.6: a 405 names what the path does serve.
                if status == StatusCode::METHOD_NOT_ALLOWED && path != "/mcp" {
                    let served: Vec<String> = METHODS
                        .iter()
                        .filter(|m| item.get(**m).is_some())
                        .map(|m| m.to_uppercase())
                        .collect();
                    assert_eq!(
                        allow.as_deref(),
                        Some(served.join(", ").as_str()),
                        "{method} {path}: Allow"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 150, "only {checked} requests");
}

/// Every resource pattern the running app registered (actix's resource map, read from its
/// `Debug` form: the map has no public iterator), scope prefixes joined.
fn registered_patterns(debug: &str) -> BTreeSet<String> {
    // Pretty-printed: each pattern line is `patterns: Single("…"),` (or a `List([…])`,
    // unused here), followed by its `is_prefix` line; deeper indentation is nesting.
    let mut out = BTreeSet::new();
    let mut scopes: Vec<(usize, String)> = Vec::new();
    let lines: Vec<&str> = debug.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let Some(rest) = trimmed.strip_prefix("patterns: ") else {
            continue;
        };
        // `Single("/x"),` on one line, or (pretty-printed) `Single(` then `"/x",` then `),`.
        let quoted = match rest {
            "Single(" => lines
                .get(i + 1)
                .map_or("", |l| l.trim())
                .trim_end_matches(','),
            _ => rest
                .strip_prefix("Single(")
                .and_then(|r| r.strip_suffix("),"))
                .unwrap_or_else(|| panic!("a pattern this test cannot read: {trimmed}")),
        };
        let pattern = quoted
            .strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .unwrap_or_else(|| panic!("a pattern this test cannot read: {trimmed} {quoted}"));
        let is_prefix = lines[i + 1..]
            .iter()
            .map(|l| l.trim())
            .find_map(|l| l.strip_prefix("is_prefix: "))
            .expect("is_prefix follows patterns")
            .starts_with("true");
        while scopes.last().is_some_and(|(d, _)| *d >= indent) {
            scopes.pop();
        }
        let full: String = scopes
            .iter()
            .map(|(_, p)| p.as_str())
            .chain([pattern])
            .collect();
        if is_prefix {
            scopes.push((indent, pattern.to_owned()));
        } else {
            out.insert(full);
        }
    }
    out
}

#[actix_web::test]
async fn every_route_the_app_serves_is_documented() {
    use actix_web::{HttpRequest, test, web};

    ishtar::telemetry::init_for_test();
    let db = ishtar_test_support::TestDatabase::new().await;
    let config = ishtar::Config {
        database_url: db.url().to_owned(),
        background: false,
        data_dir: std::env::temp_dir().join("ishtar-tests"),
        admin_token: Some(OPERATOR.to_owned().into()),
        encryption_key: Some(
            base64::engine::general_purpose::STANDARD
                .encode([42u8; 32])
                .into(),
        ),
        ..ishtar::Config::default()
    };
    let venue = ishtar::build_venue(&config).await.expect("venue");
    // The app exactly as served, plus one route that reads actix's resource map.
    let app = ishtar_http::app(web::Data::new(venue), ishtar_http::HttpOptions::default()).route(
        "/__resource-map",
        web::get().to(|req: HttpRequest| async move { format!("{:#?}", req.resource_map()) }),
    );
    let app = test::init_service(app).await;
    let res = test::call_service(
        &app,
        test::TestRequest::get().uri("/__resource-map").to_request(),
    )
    .await;
    let debug = String::from_utf8(test::read_body(res).await.to_vec()).expect("text");
    let registered = registered_patterns(&debug);
    // The probe route itself, added outside every table, is seen: so would any other be.
    assert!(registered.contains("/__resource-map"), "{registered:?}");
    let served: BTreeSet<String> = registered
        .into_iter()
        .filter(|p| p != "/__resource-map")
        // A scope's `""` and `"/"` routes are one path (`/mcp`, `/mcp/`).
        .map(|p| match p.strip_suffix('/') {
            Some(s) if !s.is_empty() => s.to_owned(),
            _ => p,
        })
        .map(|p| shape(&p))
        .collect();
    assert!(
        served.contains("/health"),
        "the map was not read: {served:?}"
    );
    // Scopes are read too (the MCP endpoint is one).
    assert!(served.contains("/mcp"), "{served:?}");
    assert!(served.len() >= 30, "only {served:?}");

    let doc: Value =
        serde_json::from_str(ishtar_http::openapi::document_json()).expect("the document");
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(|p| shape(p))
        .collect();
    let missing: Vec<&String> = served.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "served but not in /openapi.json: {missing:?} (add the route to `ishtar_http::rooms`, \
         or describe it in `openapi::registered_elsewhere`)"
    );
    let extra: Vec<&String> = documented.difference(&served).collect();
    assert!(extra.is_empty(), "documented but not served: {extra:?}");
}
