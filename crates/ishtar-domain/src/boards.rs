//! The lurk surface: published board content, and safety reports.

use std::sync::Arc;

use crate::error::StoreError;
use crate::model::{BoardPage, NewReport};
use crate::ports::{BoardStore, Clock, ReportStore};
use crate::sanitize;

/// The boards the lurk page lists.
pub const BOARDS: &[&str] = &["seeking", "courtships", "debriefs", "notifications"];

/// How many items a board read returns.
pub const BOARD_LIMIT: u32 = 50;

/// Reads boards and files reports.
pub struct Boards {
    boards: Arc<dyn BoardStore>,
    reports: Arc<dyn ReportStore>,
    clock: Arc<dyn Clock>,
}

impl Boards {
    pub fn new(
        boards: Arc<dyn BoardStore>,
        reports: Arc<dyn ReportStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            boards,
            reports,
            clock,
        }
    }

    /// The newest published items of a board. Unknown boards are simply empty.
    ///
    /// # Errors
    /// Store errors.
    pub async fn read(&self, board: &str) -> Result<BoardPage, StoreError> {
        if board == "courtships" {
            return Ok(BoardPage::Courtships(
                self.boards.courtship_turns(BOARD_LIMIT).await?,
            ));
        }
        // A name no board could have is not worth a query.
        if board.is_empty()
            || board.len() > 64
            || !board
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Ok(BoardPage::Posts(Vec::new()));
        }
        Ok(BoardPage::Posts(
            self.boards
                .board_posts(board.to_owned(), BOARD_LIMIT)
                .await?,
        ))
    }

    /// Opens a report for review, about a persona, post, turn or couple that exists.
    ///
    /// # Errors
    /// [`ReportError::NoSuchTarget`] (nothing stored); store errors.
    pub async fn report(&self, mut report: NewReport) -> Result<(), ReportError> {
        report.reason = report.reason.map(|r| sanitize::clean(&r));
        if self.reports.file_report(report, self.clock.now()).await? {
            Ok(())
        } else {
            Err(ReportError::NoSuchTarget)
        }
    }
}

/// Why a report was not filed.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No persona, post, turn or couple with that id.
    #[error("no such target")]
    NoSuchTarget,
    #[error(transparent)]
    Store(#[from] StoreError),
}
