//! The Company view: its projection (`CompanyCreated` → `companies` row) and its queries.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::Tables;
use super::persons::Creator;
use crate::domain::company::CompanyRecord;
use crate::domain::contact::CustomField;
use crate::domain::contact_info::ContactInfo;
use crate::domain::datetime::ApiDateTime;
use crate::domain::values::{PhotoRef, ShareType};

/// A company as the read model holds it, with its creator and how many persons it has.
#[derive(Debug, Clone, PartialEq)]
pub struct CompanyView {
    pub id: i64,
    pub company_name: String,
    pub about: String,
    pub share_type: ShareType,
    pub managers: Vec<Uuid>,
    pub custom_fields: Vec<CustomField>,
    pub photo: Option<PhotoRef>,
    pub created_by: Creator,
    pub created_at: ApiDateTime,
    pub persons_count: i64,
    /// Contact data (`commonData`).
    pub common_data: Vec<ContactInfo>,
    /// How many events the company's stream holds (the ETag).
    pub version: i64,
}

impl CompanyView {
    /// The view of a company as its events make it, at `version` (no creator details, no persons).
    pub fn from_record(e: &CompanyRecord, version: i64) -> CompanyView {
        let f = e.fields.clone();
        CompanyView {
            id: e.id,
            company_name: f.company_name,
            about: f.about,
            share_type: f.share_type,
            managers: f.managers,
            custom_fields: f.custom_fields,
            photo: f.photo,
            created_by: Creator {
                id: e.created_by,
                user_name: None,
                display_name: None,
                title: None,
            },
            created_at: e.created_at,
            persons_count: 0,
            common_data: e.info.clone(),
            version,
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    company_name: String,
    about: String,
    share_type: i16,
    managers: Vec<Uuid>,
    custom_fields: Json<Vec<CustomField>>,
    photo: Option<Json<PhotoRef>>,
    created_by: Uuid,
    created_at: DateTime<Utc>,
    persons_count: i64,
    common_data: Json<Vec<ContactInfo>>,
    version: i64,
    creator_user_name: Option<String>,
    creator_first_name: Option<String>,
    creator_last_name: Option<String>,
    creator_title: Option<String>,
}

impl From<Row> for CompanyView {
    fn from(r: Row) -> Self {
        let display_name = r
            .creator_first_name
            .zip(r.creator_last_name)
            .map(|(f, l)| format!("{f} {l}"));
        CompanyView {
            id: r.id,
            company_name: r.company_name,
            about: r.about,
            share_type: ShareType::from_code(r.share_type.into()).unwrap_or_default(),
            managers: r.managers,
            custom_fields: r.custom_fields.0,
            photo: r.photo.map(|p| p.0),
            created_by: Creator {
                id: r.created_by,
                user_name: r.creator_user_name,
                display_name,
                title: r.creator_title,
            },
            created_at: ApiDateTime::from_utc(r.created_at),
            persons_count: r.persons_count,
            common_data: r.common_data.0,
            version: r.version,
        }
    }
}

/// The view's columns as `viewer` sees them (`personsCount` counts the persons they may see), before
/// its rows (`companies`, or a page of it) aliased `c`; the joins come after.
fn head(viewer: super::Viewer) -> String {
    format!(
        "SELECT c.id, c.company_name, c.about, c.share_type, c.managers, c.custom_fields, c.photo,
        c.created_by, c.created_at,
        (SELECT count(*) FROM persons p WHERE p.company_id = c.id AND {}) AS persons_count,
        c.common_data, c.version,
        u.user_name AS creator_user_name, u.first_name AS creator_first_name,
        u.last_name AS creator_last_name, u.title AS creator_title
   FROM",
        viewer.condition("p")
    )
}
const JOINS: &str = "LEFT JOIN users u ON u.id = c.created_by";

/// The view of every company as `viewer` sees it, to be narrowed by a `WHERE` on `c`.
fn select(viewer: super::Viewer) -> String {
    format!("{} companies c {JOINS}", head(viewer))
}

/// A `companies` row as the projection writes it (field names are the column names).
#[derive(Debug, Serialize)]
pub struct ProjectedRow<'e> {
    pub id: i64,
    company_name: &'e str,
    about: &'e str,
    share_type: i16,
    managers: &'e [Uuid],
    custom_fields: &'e [CustomField],
    photo: Option<&'e PhotoRef>,
    created_by: Uuid,
    created_at: DateTime<Utc>,
    search: String,
    pub position: i64,
    version: i64,
    common_data: &'e [ContactInfo],
}

impl<'e> ProjectedRow<'e> {
    /// The row of a company as its events made it at `position`, the stream's `version`.
    pub fn of(e: &'e CompanyRecord, position: i64, version: i64) -> Self {
        let f = &e.fields;
        ProjectedRow {
            id: e.id,
            company_name: &f.company_name,
            about: &f.about,
            share_type: f.share_type.code() as i16,
            managers: &f.managers,
            custom_fields: &f.custom_fields,
            photo: f.photo.as_ref(),
            created_by: e.created_by,
            created_at: e.created_at.as_utc(),
            search: f.company_name.to_lowercase(),
            position,
            version,
            common_data: &e.info,
        }
    }
}

/// What writing a row does where its id exists (the table aliased `t`): the newer position wins, so
/// the projector and a write made with the events (`read_model::inline`) may come in any order.
pub(super) const UPSERT: &str =
    "ON CONFLICT (id) DO UPDATE SET company_name = EXCLUDED.company_name, about = EXCLUDED.about,
                share_type = EXCLUDED.share_type, managers = EXCLUDED.managers, custom_fields = EXCLUDED.custom_fields,
                photo = EXCLUDED.photo, created_by = EXCLUDED.created_by, created_at = EXCLUDED.created_at,
                search = EXCLUDED.search, position = EXCLUDED.position, version = EXCLUDED.version,
                common_data = EXCLUDED.common_data
          WHERE t.position < EXCLUDED.position";

/// Writes the rows in one statement; a row is skipped where the table already reflects its position
/// or a later one. `rows` holds each id at most once.
pub async fn project(conn: &mut PgConnection, tables: Tables, rows: &[ProjectedRow<'_>]) -> Result<(), sqlx::Error> {
    let sql = super::newer_rows_upsert(tables.companies(), UPSERT);
    // As text: `json` parses faster than `jsonb`, and the rows are only read once.
    let rows = serde_json::to_string(rows).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(&sql).bind(rows).execute(conn).await?;
    Ok(())
}

/// Removes the rows of deleted companys (`gone` holds each id with the position of its deletion),
/// unless the table already reflects a later position.
pub async fn remove(conn: &mut PgConnection, tables: Tables, gone: &[(i64, i64)]) -> Result<(), sqlx::Error> {
    if gone.is_empty() {
        return Ok(());
    }
    let (ids, positions): (Vec<i64>, Vec<i64>) = gone.iter().copied().unzip();
    let sql = format!(
        "DELETE FROM {t} t USING UNNEST($1::bigint[], $2::bigint[]) AS g(id, position)
          WHERE t.id = g.id AND t.position < g.position",
        t = tables.companies()
    );
    sqlx::query(&sql).bind(ids).bind(positions).execute(conn).await?;
    Ok(())
}

/// The companies `viewer` may see whose contact data contains `probe` (a JSON array of partial
/// entries), by id.
pub async fn with_info(
    pool: &PgPool,
    probe: &serde_json::Value,
    viewer: super::Viewer,
) -> Result<Vec<CompanyView>, sqlx::Error> {
    let sql = format!(
        "{} WHERE c.common_data @> $1::jsonb AND {} ORDER BY c.id LIMIT 1000",
        select(viewer),
        viewer.condition("c")
    );
    let rows: Vec<Row> = sqlx::query_as(&sql).bind(probe).fetch_all(pool).await?;
    Ok(rows.into_iter().map(CompanyView::from).collect())
}

/// The company `id`, with the persons count `viewer` may see.
pub async fn get(pool: &PgPool, id: i64, viewer: super::Viewer) -> Result<Option<CompanyView>, sqlx::Error> {
    let sql = format!("{} WHERE c.id = $1", select(viewer));
    let row: Option<Row> = sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?;
    Ok(row.map(CompanyView::from))
}

/// Whether `sort_by` names a sortable company field.
pub fn sort_column(sort_by: Option<&str>) -> Option<Option<&'static str>> {
    match sort_by.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") => Some(None),
        Some("displayname") | Some("companyname") => Some(Some("lower(c.company_name)")),
        Some("created") => Some(Some("c.created_at")),
        Some("id") => Some(Some("c.id")),
        _ => None,
    }
}

/// A page of companies. `sort_by` must have passed [`sort_column`]; without it, newest first.
pub async fn list(
    pool: &PgPool,
    q: &super::ListQuery,
    viewer: super::Viewer,
) -> Result<super::Page<CompanyView>, sqlx::Error> {
    let order = match sort_column(q.sort_by.as_deref()).flatten() {
        Some(c) => (c, q.sort_order.unwrap_or_default()),
        None => ("c.created_at", q.sort_order.unwrap_or(super::SortOrder::Descending)),
    };
    let head = head(viewer);
    let listing = super::Listing {
        head: &head,
        table: "companies",
        alias: "c",
        joins: JOINS,
    };
    let (rows, total): (Vec<Row>, i64) = super::visible_page(pool, listing, viewer, order, q).await?;
    Ok(super::Page {
        items: rows.into_iter().map(CompanyView::from).collect(),
        total,
        start_index: q.offset(),
    })
}
