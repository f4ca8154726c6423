//! Read models: typed tables built from the event store by the catch-up projector, and the queries
//! the application answers from them. One file per view owns its projection and its queries.

pub mod companies;
mod copy;
mod fold;
pub mod groups;
pub mod inline;
pub mod persons;
pub mod projector;
pub mod rebuild;
pub mod users;

use std::sync::Arc;

use tokio::sync::{Notify, watch};

/// Default and largest page sizes of the list queries.
pub const DEFAULT_COUNT: i64 = 25;
pub const MAX_COUNT: i64 = 1000;
/// Most words of a `filterValue` that are searched.
const MAX_FILTER_WORDS: usize = 8;

/// Which copy of the tables a projection writes: the live ones, or the shadow ones a rebuild fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tables {
    Live,
    Shadow,
}

impl Tables {
    pub fn persons(self) -> &'static str {
        match self {
            Tables::Live => "persons",
            Tables::Shadow => "persons_rebuild",
        }
    }

    pub fn companies(self) -> &'static str {
        match self {
            Tables::Live => "companies",
            Tables::Shadow => "companies_rebuild",
        }
    }

    pub fn users(self) -> &'static str {
        match self {
            Tables::Live => "users",
            Tables::Shadow => "users_rebuild",
        }
    }

    pub fn groups(self) -> &'static str {
        match self {
            Tables::Live => "groups",
            Tables::Shadow => "groups_rebuild",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Ascending,
    Descending,
}

impl SortOrder {
    /// ONLYOFFICE's `ascending` / `descending`, in any case; anything else is `None` (a caller's typo
    /// must not silently sort the other way).
    pub fn parse(s: &str) -> Option<SortOrder> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("ascending") {
            Some(SortOrder::Ascending)
        } else if s.eq_ignore_ascii_case("descending") {
            Some(SortOrder::Descending)
        } else {
            None
        }
    }

    fn sql(self) -> &'static str {
        match self {
            SortOrder::Ascending => "ASC",
            SortOrder::Descending => "DESC",
        }
    }
}

/// Paging, sorting and search of a list, as ONLYOFFICE's filter endpoints take them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub start_index: i64,
    pub count: Option<i64>,
    pub filter_value: Option<String>,
    pub sort_by: Option<String>,
    pub sort_order: Option<SortOrder>,
}

impl ListQuery {
    pub fn limit(&self) -> i64 {
        self.count.unwrap_or(DEFAULT_COUNT).clamp(0, MAX_COUNT)
    }

    pub fn offset(&self) -> i64 {
        self.start_index.max(0)
    }

    /// `LIKE` patterns, one per word of the filter, lower-cased and escaped.
    fn patterns(&self) -> Vec<String> {
        let words = self.filter_value.as_deref().unwrap_or_default().split_whitespace();
        words
            .take(MAX_FILTER_WORDS)
            .map(|w| {
                let escaped = w
                    .to_lowercase()
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                format!("%{escaped}%")
            })
            .collect()
    }
}

/// Whose list it is: a CRM admin sees every contact; anyone else the shared ones and the private ones
/// they manage. Applied in the list's own SQL, so `total` and paging count only what the viewer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Admin,
    Member(uuid::Uuid),
}

impl Viewer {
    /// The SQL condition on the contact table aliased `alias`: the OR of [`Viewer::parts`].
    fn condition(self, alias: &str) -> String {
        let parts = self.parts(alias);
        if parts.len() == 1 {
            return parts.into_iter().collect();
        }
        let parts: Vec<String> = parts.iter().map(|p| format!("({p})")).collect();
        format!("({})", parts.join(" OR "))
    }

    /// The condition as disjoint parts, each with an index of its own: the shared contacts
    /// (`*_shared`, a partial index an index-only count can read) and the private ones the viewer
    /// manages (`*_private_by_managers`, a partial GIN index). A member's `total` is the sum of one
    /// count per part, which is far cheaper than counting an `OR` over every row. A `Uuid` prints
    /// as hex and dashes only, so it is safe as a literal.
    fn parts(self, alias: &str) -> Vec<String> {
        match self {
            Viewer::Admin => vec!["true".to_string()],
            Viewer::Member(id) => vec![
                format!("{alias}.share_type <> 0"),
                format!("{alias}.share_type = 0 AND {alias}.managers @> ARRAY['{id}']::uuid[]"),
            ],
        }
    }
}

/// One page of a list and how many items match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub start_index: i64,
}

/// A list's SQL as `{head} <rows> {alias} {joins}`: the rows are the table itself for one record, and
/// a subquery that picks the page first for a list, so the joins run for the page's rows only, not
/// for every row an `OFFSET` skips.
struct Listing<'a> {
    head: &'a str,
    table: &'a str,
    alias: &'a str,
    joins: &'a str,
}

/// `AND`s every search word of `q` on `alias.search` to a query whose `WHERE` is open.
/// The projector's write of the rows in `$1` (a JSON array with `table`'s columns) into `table`, which
/// `upsert` resolves by position. Rows the table already holds at their position or a later one
/// (mostly written with their events, `inline`) are left out before the insert: a conflicting insert
/// whose update is refused still locks the row, which writes the tuple and a WAL record, while the
/// probe only reads the primary key.
fn newer_rows_upsert(table: &str, upsert: &str) -> String {
    format!(
        "INSERT INTO {table} AS t
         SELECT r.* FROM json_populate_recordset(NULL::{table}, $1::json) AS r
          WHERE NOT EXISTS (SELECT 1 FROM {table} c WHERE c.id = r.id AND c.position >= r.position)
         {upsert}"
    )
}

fn push_search(qb: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>, alias: &str, patterns: &[String]) {
    for p in patterns {
        qb.push(format!(" AND {alias}.search LIKE ")).push_bind(p.clone());
    }
}

/// How many rows of `table` match `parts` (disjoint conditions) and every search word.
async fn count(
    pool: &sqlx::PgPool,
    (table, alias): (&str, &str),
    parts: &[String],
    patterns: &[String],
) -> Result<i64, sqlx::Error> {
    let mut qb = sqlx::QueryBuilder::new("SELECT 0::bigint");
    for part in parts {
        qb.push(format!(" + (SELECT count(*) FROM {table} {alias} WHERE {part}"));
        push_search(&mut qb, alias, patterns);
        qb.push(")");
    }
    qb.build_query_scalar().fetch_one(pool).await
}

/// One page of a table query: `select` (whose table has the `alias`) filtered by `condition` and by
/// every search word on `alias.search`, ordered by `order_by` then `alias.id`, plus the total count.
async fn page<R>(
    pool: &sqlx::PgPool,
    (select, table, alias): (&str, &str, &str),
    condition: &str,
    order_by: (&str, SortOrder),
    q: &ListQuery,
) -> Result<(Vec<R>, i64), sqlx::Error>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    let patterns = q.patterns();
    let mut qb = sqlx::QueryBuilder::new(select);
    qb.push(format!(" WHERE {condition}"));
    push_search(&mut qb, alias, &patterns);
    let (column, order) = (order_by.0, order_by.1.sql());
    qb.push(format!(" ORDER BY {column} {order}, {alias}.id {order} LIMIT "));
    qb.push_bind(q.limit()).push(" OFFSET ").push_bind(q.offset());
    let rows = qb.build_query_as().fetch_all(pool).await?;
    let total = count(pool, (table, alias), &[condition.to_string()], &patterns).await?;
    Ok((rows, total))
}

/// One page of the contacts `viewer` may see, as [`page`] does it, with the joins run for the page's
/// rows only and the total counted per part of the viewer's condition.
async fn visible_page<R>(
    pool: &sqlx::PgPool,
    listing: Listing<'_>,
    viewer: Viewer,
    order_by: (&str, SortOrder),
    q: &ListQuery,
) -> Result<(Vec<R>, i64), sqlx::Error>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    let Listing {
        head,
        table,
        alias,
        joins,
    } = listing;
    let patterns = q.patterns();
    let (column, order) = (order_by.0, order_by.1.sql());
    let order_by = format!(" ORDER BY {column} {order}, {alias}.id {order}");
    let mut qb = sqlx::QueryBuilder::new(format!("{head} (SELECT * FROM {table} {alias} WHERE "));
    qb.push(viewer.condition(alias));
    push_search(&mut qb, alias, &patterns);
    qb.push(&order_by).push(" LIMIT ").push_bind(q.limit());
    qb.push(" OFFSET ").push_bind(q.offset());
    qb.push(format!(") {alias} {joins}{order_by}"));
    let rows = qb.build_query_as().fetch_all(pool).await?;
    let total = count(pool, (table, alias), &viewer.parts(alias), &patterns).await?;
    Ok((rows, total))
}

/// How the application and the projector signal each other inside one process.
#[derive(Clone)]
pub struct Signals {
    /// Rung after a command commits, so the projector looks for new events at once.
    pub wake: Arc<Notify>,
    /// Rung after a command whose read-model rows were written with its events: the projector comes
    /// within `projector::GATHER`, applying whatever else committed meanwhile in the same batch.
    pub nudge: Arc<Notify>,
    /// Bumped after each projector batch commits.
    pub progress: watch::Receiver<u64>,
}

/// The projector's ends of the signals.
pub struct SignalSources {
    pub wake: Arc<Notify>,
    pub nudge: Arc<Notify>,
    pub progress: watch::Sender<u64>,
}

pub fn signals() -> (Signals, SignalSources) {
    let (wake, nudge) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let (tx, rx) = watch::channel(0);
    (
        Signals {
            wake: wake.clone(),
            nudge: nudge.clone(),
            progress: rx,
        },
        SignalSources {
            wake,
            nudge,
            progress: tx,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_words_become_escaped_lowercase_patterns() {
        let q = ListQuery {
            filter_value: Some("  Ann 50%_off ".into()),
            ..ListQuery::default()
        };
        assert_eq!(q.patterns(), ["%ann%", "%50\\%\\_off%"]);
    }

    #[test]
    fn page_size_defaults_to_25_and_is_clamped() {
        assert_eq!(ListQuery::default().limit(), 25);
        assert_eq!(
            ListQuery {
                count: Some(5000),
                ..ListQuery::default()
            }
            .limit(),
            1000
        );
        assert_eq!(
            ListQuery {
                count: Some(-3),
                ..ListQuery::default()
            }
            .limit(),
            0
        );
        assert_eq!(
            ListQuery {
                start_index: -1,
                ..ListQuery::default()
            }
            .offset(),
            0
        );
    }

    #[test]
    fn sort_orders_are_ascending_or_descending_in_any_case() {
        assert_eq!(SortOrder::parse("Descending"), Some(SortOrder::Descending));
        assert_eq!(SortOrder::parse(" ASCENDING "), Some(SortOrder::Ascending));
        assert_eq!(SortOrder::parse("desc"), None);
    }
}
