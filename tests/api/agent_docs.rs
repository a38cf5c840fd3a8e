//! The venue's agent docs and A2A card (issue 13): `/skill.md`, `/llms.txt`,
//! `/llms-full.txt` and `/.well-known/agent-card.json`, true to the code. Every
//! `METHOD /path` the texts name is in `/openapi.json`, every link answers, and the skill's
//! examples run against a live server.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use serde_json::{Value, json};

use crate::helpers::{Setup, TestApp, parts, spawn_app, spawn_app_with};
use crate::shell::{block_after, have_shell_tools, run_bash};

/// The public URL the docs are served with in these tests: not the test server's address,
/// so a link that was not built from `ISHTAR_PUBLIC_URL` shows.
const PUBLIC: &str = "https://ishtar.example.test";

async fn app_with_public_url() -> TestApp {
    spawn_app_with(Setup {
        public_url: Some(PUBLIC.to_owned()),
        ..Setup::default()
    })
    .await
}

/// `GET path`: status, headers and body text.
async fn fetch(app: &TestApp, path: &str) -> (StatusCode, HeaderMap, String) {
    let r = app.client.get(app.url(path)).send().await.expect("request");
    let (status, headers) = (r.status(), r.headers().clone());
    (status, headers, r.text().await.expect("body"))
}

/// A served doc's text (asserting `200` and its content type).
async fn doc(app: &TestApp, path: &str, content_type: &str) -> String {
    let (status, headers, body) = fetch(app, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    assert_eq!(headers[header::CONTENT_TYPE], content_type, "{path}");
    body
}

/// `url` (under [`PUBLIC`]) as a path on the test server.
fn local(url: &str) -> &str {
    let path = url
        .strip_prefix(PUBLIC)
        .unwrap_or_else(|| panic!("{url} is not under {PUBLIC}"));
    if path.is_empty() { "/" } else { path }
}

// ---------------------------------------------------------------------------------------
// Served as documents.

#[tokio::test]
async fn the_docs_are_served_as_text_with_the_public_url_filled_in() {
    let app = app_with_public_url().await;
    let skill = doc(&app, "/skill.md", "text/markdown; charset=utf-8").await;
    let llms = doc(&app, "/llms.txt", "text/plain; charset=utf-8").await;
    let full = doc(&app, "/llms-full.txt", "text/plain; charset=utf-8").await;

    assert!(
        skill.starts_with("---\nname: ishtar\n"),
        "skill front matter"
    );
    assert!(skill.contains("# Ishtar — agent skill"));
    for (name, text) in [("skill", &skill), ("llms", &llms), ("full", &full)] {
        assert!(!text.contains("{{"), "{name}: a placeholder is left");
        assert!(
            text.contains(&format!("{PUBLIC}/")),
            "{name}: no absolute link"
        );
        assert!(
            !text.contains("127.0.0.1:8080"),
            "{name}: a link ignores ISHTAR_PUBLIC_URL"
        );
    }
    // Every topic the issue lists is in the skill.
    for topic in [
        "owner token",
        "Intake",
        "prove",
        "Personas",
        "Events",
        "polling",
        "Couples and turns",
        "Consent",
        "invite",
        "identity",
        "x402 v1 and v2",
        "Erasure",
        "Errors",
        "Limits",
        "MCP",
    ] {
        assert!(skill.contains(topic), "the skill does not cover {topic}");
    }
    assert!(skill.lines().count() <= 400, "the skill is too long");
    // The full reference is the skill (without its front matter) and the route reference.
    let skill_body = skill.split_once("\n---\n").expect("front matter").1.trim();
    assert!(
        full.contains(skill_body),
        "llms-full.txt does not embed the skill"
    );
    assert!(full.contains("# Route reference"));
    assert!(
        full.len() > skill.len() + 5_000,
        "the route reference is thin"
    );
}

#[tokio::test]
async fn documents_are_cacheable_and_revalidate_with_their_etag() {
    let app = spawn_app().await;
    for path in [
        "/skill.md",
        "/llms.txt",
        "/llms-full.txt",
        "/.well-known/agent-card.json",
    ] {
        let (status, headers, _) = fetch(&app, path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "public, max-age=300",
            "{path}"
        );
        assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*", "{path}");
        let tag = headers[header::ETAG].to_str().expect("etag").to_owned();
        assert!(tag.starts_with('"') && tag.len() == 34, "{path}: {tag}");

        let again = app
            .client
            .get(app.url(path))
            .header(header::IF_NONE_MATCH, &tag)
            .send()
            .await
            .expect("request");
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()[header::ETAG], tag.as_str());
        assert!(again.text().await.expect("body").is_empty());

        let other = app
            .client
            .get(app.url(path))
            .header(header::IF_NONE_MATCH, "\"something-else\"")
            .send()
            .await
            .expect("request");
        assert_eq!(other.status(), 200, "{path}");

        let (status, body) = parts(
            app.client
                .post(app.url(path))
                .send()
                .await
                .expect("request"),
        )
        .await;
        assert_eq!(status, 405, "{path}");
        assert_eq!(body, json!({"error": "method not allowed"}));
    }
}

// ---------------------------------------------------------------------------------------
// llms.txt: the llmstxt.org shape.

/// A `- [title](url)` or `- [title](url): note` line's URL.
fn link_url(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("- [")?;
    let (title, rest) = rest.split_once("](")?;
    let (url, note) = rest.split_once(')')?;
    (!title.is_empty() && (note.is_empty() || note.starts_with(": "))).then_some(url)
}

#[tokio::test]
async fn llms_txt_follows_the_llmstxt_format_and_every_link_answers() {
    let app = app_with_public_url().await;
    let text = doc(&app, "/llms.txt", "text/plain; charset=utf-8").await;
    let lines: Vec<&str> = text.lines().collect();

    // An H1 title, then a blockquote summary.
    assert_eq!(lines[0], "# Ishtar");
    let summary = lines[1..]
        .iter()
        .find(|l| !l.trim().is_empty())
        .expect("a summary");
    assert!(summary.starts_with("> ") && summary.len() > 80, "{summary}");

    // Free text with no headings, then H2 sections whose lists are links.
    let first_h2 = lines
        .iter()
        .position(|l| l.starts_with("## "))
        .expect("an H2 section");
    assert!(
        lines[1..first_h2].iter().all(|l| !l.starts_with('#')),
        "a heading before the first section"
    );
    let mut sections = Vec::new();
    let mut urls = Vec::new();
    for line in &lines[first_h2..] {
        if let Some(name) = line.strip_prefix("## ") {
            sections.push(name.to_owned());
        } else if line.starts_with("- ") {
            urls.push(link_url(line).unwrap_or_else(|| panic!("not a link line: {line}")));
        } else {
            assert!(
                line.trim().is_empty(),
                "unexpected line in a section: {line}"
            );
            assert!(!line.starts_with('#'), "only H2 sections: {line}");
        }
    }
    assert!(sections.contains(&"Docs".to_owned()), "{sections:?}");
    assert_eq!(sections.last().map(String::as_str), Some("Optional"));
    for needed in [
        "/skill.md",
        "/llms-full.txt",
        "/openapi.json",
        "/.well-known/agent-card.json",
    ] {
        assert!(
            urls.contains(&format!("{PUBLIC}{needed}").as_str()),
            "llms.txt does not link {needed}"
        );
    }
    // Every link is absolute, on this deployment, and answers.
    for url in urls {
        let (status, _, body) = fetch(&app, local(url)).await;
        assert_eq!(status, 200, "{url}: {body}");
    }
}

// ---------------------------------------------------------------------------------------
// The A2A card.

fn string(v: &Value, what: &str) -> String {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {v}"));
    assert!(!s.trim().is_empty(), "{what} is empty");
    s.to_owned()
}

fn strings(v: &Value, what: &str) -> Vec<String> {
    let items = v
        .as_array()
        .unwrap_or_else(|| panic!("{what} is not a list: {v}"));
    assert!(!items.is_empty(), "{what} is empty");
    items
        .iter()
        .map(|s| string(s, &format!("{what}[]")))
        .collect()
}

/// Every string in `v` that looks like an absolute URL.
fn urls_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.extend(
            s.split_whitespace()
                .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
                .map(|w| w.trim_end_matches(['.', ',', ')', ';']).to_owned()),
        ),
        Value::Array(items) => items.iter().for_each(|i| urls_in(i, out)),
        Value::Object(map) => map.values().for_each(|i| urls_in(i, out)),
        _ => {}
    }
}

/// An MCP `initialize` over Streamable HTTP: the answer's status.
async fn mcp_initialize(app: &TestApp, path: &str) -> StatusCode {
    let r = app
        .client
        .post(app.url(path))
        .header(header::ACCEPT, "application/json, text/event-stream")
        .json(&json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "agent-docs-test", "version": "0"}}
        }))
        .send()
        .await
        .expect("request");
    r.status()
}

#[tokio::test]
async fn the_agent_card_is_an_a2a_v1_card_whose_links_answer() {
    let app = app_with_public_url().await;
    let (status, headers, body) = fetch(&app, "/.well-known/agent-card.json").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let card: Value = serde_json::from_str(&body).expect("the card is JSON");

    // Required AgentCard fields (a2aproject/A2A specification/a2a.proto, v1.0).
    assert_eq!(string(&card["name"], "name"), "Ishtar");
    assert!(string(&card["description"], "description").len() > 80);
    let version = string(&card["version"], "version");
    assert!(
        version.split('.').count() == 3 && version.split('.').all(|p| p.parse::<u32>().is_ok()),
        "version {version}"
    );
    assert!(card["capabilities"].is_object(), "capabilities");
    assert_eq!(
        strings(&card["defaultInputModes"], "defaultInputModes"),
        ["application/json"]
    );
    assert_eq!(
        strings(&card["defaultOutputModes"], "defaultOutputModes"),
        ["application/json"]
    );
    // v1.0 moved these into supportedInterfaces.
    for gone in ["url", "preferredTransport", "protocolVersion"] {
        assert!(card.get(gone).is_none(), "a v0.3 field: {gone}");
    }
    let interfaces = card["supportedInterfaces"]
        .as_array()
        .expect("supportedInterfaces");
    assert_eq!(interfaces.len(), 2, "the HTTP API and MCP");
    for i in interfaces {
        string(&i["url"], "interface url");
        string(&i["protocolBinding"], "protocolBinding");
        assert_eq!(i["protocolVersion"], "1.0");
        // Custom bindings are named by URI (A2A §5.8), never as A2A's own HTTP+JSON.
        assert!(string(&i["protocolBinding"], "binding").starts_with("https://"));
    }
    assert_eq!(interfaces[0]["url"], PUBLIC);
    assert_eq!(
        interfaces[0]["protocolBinding"],
        format!("{PUBLIC}/openapi.json")
    );
    assert_eq!(interfaces[1]["url"], format!("{PUBLIC}/mcp"));
    assert_eq!(card["documentationUrl"], format!("{PUBLIC}/llms.txt"));
    assert_eq!(
        card["securitySchemes"]["ownerToken"]["httpAuthSecurityScheme"]["scheme"],
        "Bearer"
    );

    let skills = card["skills"].as_array().expect("skills");
    assert!(skills.len() >= 8, "{} skills", skills.len());
    let mut ids = BTreeSet::new();
    for s in skills {
        let id = string(&s["id"], "skill id");
        string(&s["name"], "skill name");
        string(&s["description"], "skill description");
        strings(&s["tags"], "skill tags");
        assert!(ids.insert(id.clone()), "skill id {id} twice");
        if let Some(reqs) = s.get("securityRequirements") {
            assert_eq!(reqs[0]["schemes"]["ownerToken"]["list"], json!([]), "{id}");
        }
    }

    // Every URL on this deployment answers: documents by GET, /mcp by an MCP initialize.
    let mut urls = Vec::new();
    urls_in(&card, &mut urls);
    let ours: Vec<&String> = urls.iter().filter(|u| u.starts_with(PUBLIC)).collect();
    assert!(ours.len() >= 4, "{urls:?}");
    for url in ours {
        let path = local(url);
        if path == "/mcp" {
            assert_eq!(mcp_initialize(&app, path).await, 200, "{url}");
        } else {
            let (status, _, body) = fetch(&app, path).await;
            assert_eq!(status, 200, "{url}: {body}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Every METHOD /path in the docs is a documented route.

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Marks where the base URL (or `$BASE`) stood, so a path after it is known to be ours.
const BASE_MARK: char = '\u{1}';

/// A path as written, without its query string and trailing punctuation; `None` unless it
/// is a path.
fn clean_path(token: &str) -> Option<String> {
    let t = token.trim_start_matches(BASE_MARK);
    let t = t.split('?').next().unwrap_or(t);
    let t = t.trim_end_matches(['.', ':', ';', ',']);
    (t.starts_with('/') && t.len() > 1).then(|| t.to_owned())
}

/// Every `(METHOD, path)` a text names: `METHOD /path` anywhere (prose, tables, code), and
/// each curl command's URL with its method (`-X`, else `POST` with a body, else `GET`).
fn routes_named(text: &str, base: &str) -> BTreeSet<(String, String)> {
    let text = text
        .replace(base, &BASE_MARK.to_string())
        .replace("$BASE", &BASE_MARK.to_string());
    let split = |s: &str| -> Vec<String> {
        s.split(|c: char| c.is_whitespace() || "`'\"()[],|".contains(c))
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mut out = BTreeSet::new();
    let tokens = split(&text);
    for pair in tokens.windows(2) {
        if METHODS.contains(&pair[0].as_str())
            && let Some(path) = clean_path(&pair[1])
        {
            out.insert((pair[0].clone(), path));
        }
    }
    // curl commands, continuation lines joined.
    let joined = text.replace("\\\n", " ");
    for line in joined.lines().filter(|l| l.contains("curl ")) {
        let tokens = split(line);
        let Some(url) = tokens.iter().find(|t| t.starts_with(BASE_MARK)) else {
            continue;
        };
        let Some(path) = clean_path(url) else {
            continue;
        };
        let method = match tokens.iter().position(|t| t == "-X") {
            Some(i) => tokens[i + 1].clone(),
            None if tokens
                .iter()
                .any(|t| ["-d", "--data", "--data-raw", "--json"].contains(&t.as_str())) =>
            {
                "POST".to_owned()
            }
            None => "GET".to_owned(),
        };
        out.insert((method, path));
    }
    out
}

/// Whether a path segment stands for an id (`{id}`, `:id`, `<id>`, `$ID`, `12`).
fn is_param(seg: &str) -> bool {
    seg.starts_with(['{', ':', '<', '$'])
        || (!seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether the path a doc names is the OpenAPI path `template`.
fn matches(named: &str, template: &str) -> bool {
    let (a, b): (Vec<&str>, Vec<&str>) =
        (named.split('/').collect(), template.split('/').collect());
    a.len() == b.len()
        && a.iter().zip(&b).all(|(n, t)| {
            if t.starts_with('{') {
                true
            } else {
                !is_param(n) && n == t
            }
        })
}

/// The `(METHOD, path)` pairs of an OpenAPI document.
fn documented(openapi: &Value) -> Vec<(String, String)> {
    let paths = openapi["paths"].as_object().expect("openapi paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("a path item")
                .keys()
                .filter(|m| METHODS.contains(&m.to_uppercase().as_str()))
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}

#[test]
fn the_route_extractor_reads_prose_tables_and_curl() {
    let text = "Call `POST /api/couples/{id}/turns` `{\"body\"}`; then GET /api/owners/me/events?since=0.\n\
                | `PATCH /api/personas/:id` |\n\
                POST https://x.test/api/intake/heart-file\n\
                curl -s $BASE/api/personas -H 'content-type: application/json' \\\n  -d '{}'\n\
                curl -s \"$BASE/api/couples/12/turns?since=0\" -H \"$AUTH\"\n\
                curl -s -X DELETE $BASE/api/owners/me\n\
                {\"method\": \"GET\", \"path\": \"/not/this\"}";
    let got = routes_named(text, "https://x.test");
    let want: BTreeSet<(String, String)> = [
        ("POST", "/api/couples/{id}/turns"),
        ("GET", "/api/owners/me/events"),
        ("PATCH", "/api/personas/:id"),
        ("POST", "/api/intake/heart-file"),
        ("POST", "/api/personas"),
        ("GET", "/api/couples/12/turns"),
        ("DELETE", "/api/owners/me"),
    ]
    .iter()
    .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
    .collect();
    assert_eq!(got, want);
    assert!(matches("/api/couples/12/turns", "/api/couples/{id}/turns"));
    assert!(matches(
        "/api/escalations/<coupleId>/status",
        "/api/escalations/{coupleId}/status"
    ));
    assert!(matches("/api/boards/seeking", "/api/boards/{board}"));
    assert!(!matches("/api/couples/{id}", "/api/couples/{id}/turns"));
    assert!(!matches("/api/owners/{id}", "/api/owners/me"));
}

#[tokio::test]
async fn every_route_the_docs_name_is_in_the_openapi_document() {
    let app = app_with_public_url().await;
    let (status, _, openapi) = fetch(&app, "/openapi.json").await;
    assert_eq!(status, 200, "GET /openapi.json: {openapi}");
    let openapi: Value = serde_json::from_str(&openapi).expect("openapi is JSON");
    let known = documented(&openapi);

    let mut card_text = String::new();
    let (_, _, card) = fetch(&app, "/.well-known/agent-card.json").await;
    let card: Value = serde_json::from_str(&card).expect("card");
    for s in card["skills"].as_array().expect("skills") {
        card_text.push_str(s["description"].as_str().unwrap_or_default());
        card_text.push('\n');
        for e in s["examples"].as_array().into_iter().flatten() {
            card_text.push_str(e.as_str().unwrap_or_default());
            card_text.push('\n');
        }
    }
    let mut all = BTreeSet::new();
    for (name, text) in [
        (
            "/skill.md",
            doc(&app, "/skill.md", "text/markdown; charset=utf-8").await,
        ),
        (
            "/llms-full.txt",
            doc(&app, "/llms-full.txt", "text/plain; charset=utf-8").await,
        ),
        (
            "/llms.txt",
            doc(&app, "/llms.txt", "text/plain; charset=utf-8").await,
        ),
        ("the agent card", card_text),
    ] {
        let named = routes_named(&text, PUBLIC);
        assert!(!named.is_empty(), "{name} names no route");
        for (method, path) in named {
            let route = known
                .iter()
                .find(|(m, p)| *m == method && matches(&path, p))
                .unwrap_or_else(|| {
                    panic!("{name} names {method} {path}, which /openapi.json does not have")
                });
            all.insert(route.clone());
        }
    }
    // The extractor really found the agent path (a broken one would pass vacuously): the
    // texts name at least 25 distinct documented routes.
    assert!(all.len() >= 25, "only {} routes named: {all:?}", all.len());

    // And the other way: every /api route of the document is in the full reference.
    let full = doc(&app, "/llms-full.txt", "text/plain; charset=utf-8").await;
    let in_full = routes_named(&full, PUBLIC);
    for (method, path) in known.iter().filter(|(_, p)| p.starts_with("/api/")) {
        assert!(
            in_full.iter().any(|(m, p)| m == method && matches(p, path)),
            "llms-full.txt does not document {method} {path}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// The skill's examples run as written.

#[tokio::test]
async fn the_skill_quick_start_runs_as_written() {
    if !have_shell_tools() {
        eprintln!("skipped: the quick start needs bash, curl and jq");
        return;
    }
    let app = app_with_public_url().await;
    let skill = doc(&app, "/skill.md", "text/markdown; charset=utf-8").await;
    let block = block_after(&skill, "## Quick start", "sh");
    let served_base = format!("BASE={PUBLIC}\n");
    assert!(block.starts_with(&served_base), "{block}");
    let script = block.replacen(&served_base, &format!("BASE={}\n", app.address), 1);
    let stdout = run_bash(script).await;
    for expected in [
        r#""ownerToken":"ish_"#,
        r#""docStatus":"allowed""#,
        r#""challengeNonce":"ishtar:"#,
        r#""active":true,"reason":"verified:callback""#,
        r#""admitted":true"#,
        r#""personas":[{"#,
        r#""events":["#,
        r#""nextSteps":["#,
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected} in:\n{stdout}"
        );
    }
    assert!(!stdout.contains(r#""error""#), "an error in:\n{stdout}");
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM personas WHERE handle = 'wren' AND status = 'admitted'")
            .await,
        1
    );
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM agent_endpoints WHERE status = 'active'")
            .await,
        1
    );
}

#[tokio::test]
async fn the_skill_dating_doc_and_persona_examples_are_accepted_as_written() {
    let app = app_with_public_url().await;
    let skill = doc(&app, "/skill.md", "text/markdown; charset=utf-8").await;

    let dating_doc: Value =
        serde_json::from_str(&block_after(&skill, "## 2. Intake", "json")).expect("doc JSON");
    let (status, owner) = app.post("/api/intake/heart-file", &dating_doc, None).await;
    assert_eq!(status, 200, "{owner}");
    assert_eq!(owner["docStatus"], "allowed", "{owner}");
    let token = owner["ownerToken"].as_str().expect("ownerToken");
    assert!(token.starts_with("ish_") && token.len() == 47, "{token}");

    // Its prefs are stored as the doc's hard filters, both sides.
    let prefs = &dating_doc["heart"]["prefs"];
    assert!(prefs["self"].is_object() && prefs["seek"].is_object());

    let mut persona: Value =
        serde_json::from_str(&block_after(&skill, "## 4. Personas", "json")).expect("persona");
    // The example names owner 1; this test's owner is whatever the database gave.
    assert_eq!(persona["ownerId"], 1);
    persona["ownerId"] = owner["ownerId"].clone();
    let (status, admitted) = app.post("/api/personas", &persona, Some(token)).await;
    assert_eq!(status, 200, "{admitted}");
    assert_eq!(admitted["admitted"], true);
    assert!(admitted["nextSteps"].is_array());
}
