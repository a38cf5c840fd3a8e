//! Paging a console table. Every console table is one [`ConsoleTable`]: its row shape, its
//! two statements and the domain row it becomes (the tables: `tables.rs`). [`page`] reads
//! any of them the same way: the total, then one page of `PAGE_SIZE` rows at the offset the
//! query asks for that table's section.

use diesel::QueryableByName;
use diesel::pg::Pg;
use diesel::result::Error as DieselError;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use ishtar_domain::ports::{ConsoleQuery, PAGE_SIZE, Page, Section};

use super::counts::Count;

/// One table of the operator console.
pub(super) trait ConsoleTable: QueryableByName<Pg> + Send + 'static {
    /// The domain row one database row becomes.
    type Item: Send;
    /// The section whose page number the query carries.
    const SECTION: Section;
    /// `SELECT … ORDER BY …`: every row, in a total order (so pages neither overlap nor
    /// skip); [`page`] appends `LIMIT $1 OFFSET $2`.
    const ROWS: &'static str;
    /// `SELECT count(*) AS n …` over the same rows.
    const COUNT: &'static str;

    /// The domain row.
    fn into_item(self) -> Self::Item;
}

/// Reads the page of `T` that `q` asks for, with the table's total.
pub(super) async fn page<T: ConsoleTable>(
    c: &mut AsyncPgConnection,
    q: &ConsoleQuery,
) -> Result<Page<T::Item>, DieselError> {
    let total: Count = diesel::sql_query(T::COUNT).get_result(c).await?;
    let rows: Vec<T> = diesel::sql_query(format!("{} LIMIT $1 OFFSET $2", T::ROWS))
        .bind::<BigInt, _>(i64::from(PAGE_SIZE))
        .bind::<BigInt, _>(q.offset(T::SECTION))
        .load(c)
        .await?;
    Ok(Page {
        items: rows.into_iter().map(T::into_item).collect(),
        page: q.page(T::SECTION),
        total: total.n,
    })
}
