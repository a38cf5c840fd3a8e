use actix_web::{HttpResponse, web};

use ishtar_domain::Venue;
use ishtar_domain::model::BoardPage;

use crate::dto::{PostItem, TurnItem};
use crate::error::ApiError;
use crate::routes::{ok_json, timestamp};

/// `GET /api/boards/{board}`: published content only; unknown or empty boards are `[]`.
pub async fn read_board(
    venue: web::Data<Venue>,
    board: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(match venue.boards.read(&board).await? {
        BoardPage::Courtships(turns) => ok_json(
            turns
                .into_iter()
                .map(|t| TurnItem {
                    couple: t.couple.0,
                    author: t.author,
                    body: t.body,
                    created_at: timestamp(t.created_at),
                })
                .collect::<Vec<_>>(),
        ),
        BoardPage::Posts(posts) => ok_json(
            posts
                .into_iter()
                .map(|p| PostItem {
                    handle: p.handle,
                    body: p.body,
                    created_at: timestamp(p.created_at),
                })
                .collect::<Vec<_>>(),
        ),
    })
}
