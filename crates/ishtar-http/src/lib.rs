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
mod middleware;
pub mod pages;
pub mod ratelimit;
pub mod routes;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, middleware::DefaultHeaders, web};

use ishtar_domain::Venue;

pub use error::ApiError;

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
        }
    }
}

/// Every route of the venue.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use routes::*;
    let post = |path: &str, route: actix_web::Route| {
        web::resource(path.to_owned())
            .route(route)
            .default_service(web::to(method_not_allowed))
    };
    cfg.service(
        web::resource("/health")
            .route(web::get().to(health::health))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/")
            .route(web::get().to(lurk::lurk_page))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/api/boards/{board}")
            .route(web::get().to(boards::read_board))
            .route(web::post().to(boards::post_board))
            .default_service(web::to(method_not_allowed)),
    )
    .service(post(
        "/api/intake/heart-file",
        web::post().to(intake::submit_heart_file),
    ))
    .service(post(
        "/api/intake/agent",
        web::post().to(intake::register_agent),
    ))
    .service(post(
        "/api/intake/agent/verify",
        web::post().to(intake::verify_agent),
    ))
    .service(post(
        "/api/personas",
        web::post().to(personas::create_persona),
    ))
    .service(
        web::resource("/api/personas/{id}")
            .route(web::patch().to(personas::edit_persona))
            .route(web::delete().to(personas::withdraw_persona))
            .default_service(web::to(method_not_allowed)),
    )
    .service(post("/api/report", web::post().to(report::file_report)))
    .service(
        web::resource("/api/couples/{id}/turns")
            .route(web::get().to(couples::list_turns))
            .route(web::post().to(couples::post_turn))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/api/couples/{id}")
            .route(web::get().to(couples::get_couple))
            .default_service(web::to(method_not_allowed)),
    )
    .service(post(
        "/api/couples/{id}/end",
        web::post().to(couples::end_couple),
    ))
    .service(
        web::resource("/api/owners/me/events")
            .route(web::get().to(events::owner_events))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/api/owners/me")
            .route(web::get().to(couples::owner_me))
            .route(web::delete().to(erasure::erase_me))
            .default_service(web::to(method_not_allowed)),
    )
    .service(post(
        "/api/premium/compatibility-report",
        web::post().to(payments::compatibility_report),
    ))
    .service(post("/admin/actions/beat", web::post().to(admin::run_beat)))
    .service(post(
        "/admin/actions/settings",
        web::post().to(admin::set_setting),
    ))
    .service(post("/admin/actions/broker", web::post().to(admin::broker)))
    .service(
        web::resource("/admin")
            .route(web::get().to(admin::console_page))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/admin.json")
            .route(web::get().to(admin::admin_json))
            .default_service(web::to(method_not_allowed)),
    )
    .configure(escalation::configure);
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
