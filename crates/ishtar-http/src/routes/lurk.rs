use actix_web::{HttpResponse, http::header, web};

use ishtar_domain::Venue;
use ishtar_domain::boards::BOARDS;

use crate::error::ApiError;
use crate::pages;

/// `GET /`: the lurk page.
#[utoipa::path(
    get,
    path = "/",
    tag = "lurk",
    operation_id = "lurkPage",
    responses(
        (status = 200, description = "The lurk page (HTML): the boards and the house policy.",
         content_type = "text/html", body = String),
    )
)]
pub async fn lurk_page(venue: web::Data<Venue>) -> Result<HttpResponse, ApiError> {
    let mut boards = Vec::with_capacity(BOARDS.len());
    for name in BOARDS {
        boards.push((*name, venue.boards.read(name).await?));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ))
        .body(pages::lurk(&boards).into_string()))
}
