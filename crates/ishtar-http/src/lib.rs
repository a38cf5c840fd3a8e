//! actix-web inbound adapter: routes, extractors, error mapping, maud pages.
//!
//! Depends on the domain only: handlers parse, call a use case on [`Venue`], and map the
//! result. The binary builds the [`Venue`] and calls [`app`].

pub mod console_forms;
pub mod console_page;
pub mod deadline;
pub mod dto;
pub mod error;
pub mod extract;
pub mod mcp;
mod middleware;
pub mod openapi;
pub mod pages;
pub mod ratelimit;
pub mod routes;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, middleware::DefaultHeaders, web};

use ishtar_domain::Venue;

pub use error::ApiError;
pub use openapi::Room;

/// HTTP-level options (not live settings).
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// The header a trusted proxy sets to the client's ISO country (`ISHTAR_GEO_HEADER`).
    pub geo_header: String,
    /// `ISHTAR_ADMIN_TOKEN`; `None` closes the console.
    pub admin_token: Option<String>,
    /// The Privy app id the claim page signs in with (public); `None`: sign-in unavailable.
    pub privy_app_id: Option<String>,
    /// `ISHTAR_PUBLIC_URL`: where humans reach the venue (absolute claim links).
    pub public_url: String,
    /// `ISHTAR_BODY_TIMEOUT_MS`: the time a whole request body may take to arrive (408).
    pub body_timeout: std::time::Duration,
    /// `ISHTAR_RATE_LIMITS` and `ISHTAR_TRUSTED_PROXIES`, with their buckets: build it once
    /// per server (clones share the buckets across workers).
    pub rate_limits: ratelimit::RateLimits,
    /// `ISHTAR_MCP_ALLOWED_HOSTS` and `ISHTAR_MCP_ALLOWED_ORIGINS`: what `/mcp` answers.
    pub mcp: mcp::McpOptions,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            geo_header: "cf-ipcountry".to_owned(),
            admin_token: None,
            privy_app_id: None,
            public_url: "http://127.0.0.1:8080".to_owned(),
            body_timeout: deadline::DEFAULT_BODY_TIMEOUT,
            rate_limits: ratelimit::RateLimits::defaults(),
            mcp: mcp::McpOptions::default(),
        }
    }
}

/// The venue's route table: every path, each with its handlers and their documentation
/// (`#[utoipa::path]` on the handler, whose generated `__path_<handler>` struct is given
/// beside it). [`routes()`] serves it and [`openapi::document`] documents it, so a route in
/// this table is always in `/openapi.json` (see [`openapi`]). Any other method on a path
/// answers the JSON `405`.
pub fn rooms() -> Vec<Room> {
    use routes::*;
    vec![
        Room::new(health::health, health::__path_health),
        Room::new(lurk::lurk_page, lurk::__path_lurk_page),
        Room::new(boards::read_board, boards::__path_read_board)
            .and(boards::post_board, boards::__path_post_board),
        Room::new(intake::submit_heart_file, intake::__path_submit_heart_file),
        Room::new(intake::register_agent, intake::__path_register_agent),
        Room::new(intake::verify_agent, intake::__path_verify_agent),
        Room::new(personas::create_persona, personas::__path_create_persona),
        Room::new(personas::edit_persona, personas::__path_edit_persona).and(
            personas::withdraw_persona,
            personas::__path_withdraw_persona,
        ),
        Room::new(report::file_report, report::__path_file_report),
        Room::new(couples::list_turns, couples::__path_list_turns)
            .and(couples::post_turn, couples::__path_post_turn),
        Room::new(couples::get_couple, couples::__path_get_couple),
        Room::new(couples::end_couple, couples::__path_end_couple),
        Room::new(events::owner_events, events::__path_owner_events),
        Room::new(couples::owner_me, couples::__path_owner_me)
            .and(erasure::erase_me, erasure::__path_erase_me),
        Room::new(
            payments::compatibility_report,
            payments::__path_compatibility_report,
        ),
        Room::new(admin::run_beat, admin::__path_run_beat),
        Room::new(admin::set_setting, admin::__path_set_setting),
        Room::new(admin::broker, admin::__path_broker),
        Room::new(admin::console_page, admin::__path_console_page),
        Room::new(admin::admin_json, admin::__path_admin_json),
        // Escalation: JSON bodies read as bytes, with their own limits.
        Room::new(escalation::intro_consent, escalation::__path_intro_consent)
            .app_data(escalation::json_limit()),
        Room::new(escalation::claim, escalation::__path_claim).app_data(escalation::json_limit()),
        Room::new(escalation::invite, escalation::__path_invite).app_data(escalation::json_limit()),
        Room::new(escalation::status, escalation::__path_status).app_data(escalation::json_limit()),
        Room::new(escalation::contact, escalation::__path_contact)
            .app_data(escalation::json_limit()),
        Room::new(
            escalation::identity_session,
            escalation::__path_identity_session,
        )
        .app_data(escalation::json_limit()),
        Room::new(escalation::didit_webhook, escalation::__path_didit_webhook)
            .app_data(escalation::webhook_limit()),
        Room::new(escalation::claim_page, escalation::__path_claim_page)
            .app_data(escalation::json_limit()),
        Room::new(escalation::claim_done, escalation::__path_claim_done)
            .app_data(escalation::json_limit()),
        // This document and its reader.
        Room::new(openapi::openapi_json, openapi::__path_openapi_json),
        Room::new(openapi::docs_page, openapi::__path_docs_page),
    ]
}

/// Every route of the venue: the [`rooms`] table, then the routes modules register
/// themselves (documented in `openapi::registered_elsewhere`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    use routes::*;
    for room in rooms() {
        cfg.service(room.into_resource());
    }
    cfg.configure(agent_docs::configure);
}

/// The whole application: routes and middleware, geo gate outermost.
pub fn app(
    venue: web::Data<Venue>,
    opts: HttpOptions,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let geo_header = opts.geo_header.clone();
    let body_timeout = opts.body_timeout;
    App::new()
        .app_data(venue)
        .app_data(web::Data::new(extract::OperatorToken(
            opts.admin_token.clone(),
        )))
        .app_data(web::Data::new(opts.rate_limits.clone()))
        .app_data(web::Data::new(routes::escalation::ClaimConfig {
            privy_app_id: opts.privy_app_id.clone(),
            public_url: opts.public_url.trim_end_matches('/').to_owned(),
        }))
        // Any extractor actix runs itself still answers in JSON.
        .app_data(web::PathConfig::default().error_handler(|_, _| {
            ApiError::message(actix_web::http::StatusCode::NOT_FOUND, "no such room").into()
        }))
        .configure(routes)
        .service(mcp::scope(opts.mcp.clone()))
        .default_service(web::to(routes::no_such_room))
        // Inside the headers and the JSON net, so a 429 gets both like any response.
        .wrap(actix_web::middleware::from_fn(ratelimit::limit))
        .wrap(actix_web::middleware::from_fn(move |req, next| {
            deadline::body_deadline(body_timeout, req, next)
        }))
        .wrap(
            DefaultHeaders::new()
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("Referrer-Policy", "no-referrer")),
        )
        .wrap(actix_web::middleware::from_fn(middleware::json_errors))
        .wrap(tracing_actix_web::TracingLogger::default())
        .wrap(actix_web::middleware::from_fn(move |req, next| {
            middleware::geo_gate(geo_header.clone(), req, next)
        }))
}
