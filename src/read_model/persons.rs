//! The Person view: its projection (`PersonCreated` → `persons` row) and its queries.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{ListQuery, Page, SortOrder, Tables, Viewer};
use crate::domain::contact_info::ContactInfo;
use crate::domain::datetime::ApiDateTime;
use crate::domain::person::{CustomField, PersonRecord};
use crate::domain::values::{PhotoRef, ShareType};

/// A person as the read model holds it, with its creator's summary.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonView {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub title: Option<String>,
    /// The linked company as the companies view knows it (`None` without a company).
    pub company: Option<CompanyRef>,
    pub about: String,
    pub share_type: ShareType,
    pub managers: Vec<Uuid>,
    pub custom_fields: Vec<CustomField>,
    pub photo: Option<PhotoRef>,
    pub created_by: Creator,
    pub created_at: ApiDateTime,
    /// Contact data (`commonData`).
    pub common_data: Vec<ContactInfo>,
    /// How many events the person's stream holds (the ETag).
    pub version: i64,
}

/// A person's company, as much as a person's answer shows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyRef {
    pub id: i64,
    pub name: Option<String>,
    /// Its description (`about`), empty when unknown.
    pub about: String,
    pub share_type: ShareType,
    /// Its managers (who may see it when it is private).
    pub managers: Vec<Uuid>,
}

impl CompanyRef {
    /// A company as persons show it, from its record.
    pub fn of(r: &crate::domain::company::CompanyRecord) -> CompanyRef {
        let f = &r.fields;
        CompanyRef {
            id: r.id,
            name: Some(f.company_name.clone()),
            about: f.about.clone(),
            share_type: f.share_type,
            managers: f.managers.clone(),
        }
    }
}

/// Who created a contact (`createBy`): the user, if the users view knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creator {
    pub id: Uuid,
    pub user_name: Option<String>,
    pub display_name: Option<String>,
    pub title: Option<String>,
}

impl PersonView {
    /// The view of a person as its events make it, at `version` (no creator or company details).
    pub fn from_record(e: &PersonRecord, version: i64) -> PersonView {
        let f = e.fields.clone();
        PersonView {
            id: e.id,
            first_name: f.first_name,
            last_name: f.last_name,
            title: f.title,
            company: f.company_id.map(|id| CompanyRef {
                id,
                name: None,
                about: String::new(),
                share_type: ShareType::None,
                managers: Vec::new(),
            }),
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
            common_data: e.info.clone(),
            version,
        }
    }

    /// ONLYOFFICE's person `displayName`: "First Last", untrimmed.
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    first_name: String,
    last_name: String,
    title: Option<String>,
    company_id: Option<i64>,
    about: String,
    share_type: i16,
    managers: Vec<Uuid>,
    custom_fields: Json<Vec<CustomField>>,
    photo: Option<Json<PhotoRef>>,
    created_by: Uuid,
    created_at: DateTime<Utc>,
    common_data: Json<Vec<ContactInfo>>,
    version: i64,
    creator_user_name: Option<String>,
    creator_first_name: Option<String>,
    creator_last_name: Option<String>,
    creator_title: Option<String>,
    company_name: Option<String>,
    company_about: Option<String>,
    company_share_type: Option<i16>,
    company_managers: Option<Vec<Uuid>>,
}

impl From<Row> for PersonView {
    fn from(r: Row) -> Self {
        let display_name = match (&r.creator_first_name, &r.creator_last_name) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            _ => None,
        };
        PersonView {
            id: r.id,
            first_name: r.first_name,
            last_name: r.last_name,
            title: r.title,
            company: r.company_id.map(|id| CompanyRef {
                id,
                name: r.company_name,
                about: r.company_about.unwrap_or_default(),
                share_type: r
                    .company_share_type
                    .and_then(|c| ShareType::from_code(c.into()))
                    .unwrap_or_default(),
                managers: r.company_managers.unwrap_or_default(),
            }),
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
            common_data: r.common_data.0,
            version: r.version,
        }
    }
}

/// The view's columns, before its rows (`persons`, or a page of it) aliased `p`, and the joins after.
const HEAD: &str = "SELECT p.id, p.first_name, p.last_name, p.title, p.company_id, p.about, p.share_type,
        p.managers, p.custom_fields, p.photo, p.created_by, p.created_at, p.common_data, p.version,
        u.user_name AS creator_user_name, u.first_name AS creator_first_name,
        u.last_name AS creator_last_name, u.title AS creator_title,
        c.company_name, c.about AS company_about, c.share_type AS company_share_type, c.managers AS company_managers
   FROM";
const JOINS: &str = "LEFT JOIN users u ON u.id = p.created_by LEFT JOIN companies c ON c.id = p.company_id";

/// The view of every person, to be narrowed by a `WHERE` on `p`.
fn select() -> String {
    of_rows("persons")
}

/// The view of the `persons` rows named `rows` (a table or a query's name), e.g. rows just written.
pub fn of_rows(rows: &str) -> String {
    format!("{HEAD} {rows} p {JOINS}")
}

/// A person as [`of_rows`] returns it.
pub fn from_row(row: &sqlx::postgres::PgRow) -> Result<PersonView, sqlx::Error> {
    use sqlx::FromRow as _;
    Row::from_row(row).map(PersonView::from)
}

/// A `persons` row as the projection writes it (field names are the column names).
#[derive(Debug, Serialize)]
pub struct ProjectedRow<'e> {
    pub id: i64,
    first_name: &'e str,
    last_name: &'e str,
    title: Option<&'e str>,
    company_id: Option<i64>,
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
    /// The row of a person as its events made it at `position`, the stream's `version`.
    pub fn of(e: &'e PersonRecord, position: i64, version: i64) -> Self {
        let f = &e.fields;
        let search = format!(
            "{} {} {}",
            f.first_name,
            f.last_name,
            f.title.as_deref().unwrap_or_default()
        )
        .to_lowercase();
        ProjectedRow {
            id: e.id,
            first_name: &f.first_name,
            last_name: &f.last_name,
            title: f.title.as_deref(),
            company_id: f.company_id,
            about: &f.about,
            share_type: f.share_type.code() as i16,
            managers: &f.managers,
            custom_fields: &f.custom_fields,
            photo: f.photo.as_ref(),
            created_by: e.created_by,
            created_at: e.created_at.as_utc(),
            search,
            position,
            version,
            common_data: &e.info,
        }
    }
}

/// What writing a row does where its id exists (the table aliased `t`): the newer position wins, so
/// the projector and a write made with the events (`read_model::inline`) may come in any order.
pub(super) const UPSERT: &str =
    "ON CONFLICT (id) DO UPDATE SET first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
                title = EXCLUDED.title, company_id = EXCLUDED.company_id, about = EXCLUDED.about,
                share_type = EXCLUDED.share_type, managers = EXCLUDED.managers,
                custom_fields = EXCLUDED.custom_fields, photo = EXCLUDED.photo, created_by = EXCLUDED.created_by,
                created_at = EXCLUDED.created_at, search = EXCLUDED.search, position = EXCLUDED.position,
                version = EXCLUDED.version, common_data = EXCLUDED.common_data
          WHERE t.position < EXCLUDED.position";

/// Writes the rows in one statement; a row is skipped where the table already reflects its position
/// or a later one. `rows` holds each id at most once.
pub async fn project(conn: &mut PgConnection, tables: Tables, rows: &[ProjectedRow<'_>]) -> Result<(), sqlx::Error> {
    let sql = super::newer_rows_upsert(tables.persons(), UPSERT);
    // As text: `json` parses faster than `jsonb`, and the rows are only read once.
    let rows = serde_json::to_string(rows).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(&sql).bind(rows).execute(conn).await?;
    Ok(())
}

/// Removes the rows of deleted persons (`gone` holds each id with the position of its deletion),
/// unless the table already reflects a later position.
pub async fn remove(conn: &mut PgConnection, tables: Tables, gone: &[(i64, i64)]) -> Result<(), sqlx::Error> {
    if gone.is_empty() {
        return Ok(());
    }
    let (ids, positions): (Vec<i64>, Vec<i64>) = gone.iter().copied().unzip();
    let sql = format!(
        "DELETE FROM {t} t USING UNNEST($1::bigint[], $2::bigint[]) AS g(id, position)
          WHERE t.id = g.id AND t.position < g.position",
        t = tables.persons()
    );
    sqlx::query(&sql).bind(ids).bind(positions).execute(conn).await?;
    Ok(())
}

/// The person `id`.
pub async fn get(pool: &PgPool, id: i64) -> Result<Option<PersonView>, sqlx::Error> {
    let sql = format!("{} WHERE p.id = $1", select());
    let row: Option<Row> = sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?;
    Ok(row.map(PersonView::from))
}

/// The persons `viewer` may see whose contact data contains `probe` (a JSON array of partial
/// entries), by id.
pub async fn with_info(
    pool: &PgPool,
    probe: &serde_json::Value,
    viewer: Viewer,
) -> Result<Vec<PersonView>, sqlx::Error> {
    let sql = format!(
        "{} WHERE p.common_data @> $1::jsonb AND {} ORDER BY p.id LIMIT 1000",
        select(),
        viewer.condition("p")
    );
    let rows: Vec<Row> = sqlx::query_as(&sql).bind(probe).fetch_all(pool).await?;
    Ok(rows.into_iter().map(PersonView::from).collect())
}

/// Whether `sort_by` names a sortable person field.
pub fn sort_column(sort_by: Option<&str>) -> Option<Option<&'static str>> {
    match sort_by.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") => Some(None),
        Some("displayname") => Some(Some("lower(p.first_name || ' ' || p.last_name)")),
        Some("firstname") => Some(Some("lower(p.first_name)")),
        Some("lastname") => Some(Some("lower(p.last_name)")),
        Some("created") => Some(Some("p.created_at")),
        Some("id") => Some(Some("p.id")),
        _ => None,
    }
}

/// The persons linked to a company, by display name.
pub async fn of_company(pool: &PgPool, company_id: i64, viewer: Viewer) -> Result<Vec<PersonView>, sqlx::Error> {
    let sql = format!(
        "{} WHERE p.company_id = $1 AND {} ORDER BY lower(p.first_name || ' ' || p.last_name), p.id",
        select(),
        viewer.condition("p")
    );
    let rows: Vec<Row> = sqlx::query_as(&sql).bind(company_id).fetch_all(pool).await?;
    Ok(rows.into_iter().map(PersonView::from).collect())
}

/// A page of persons. `sort_by` must have passed [`sort_column`]; without it, newest first.
pub async fn list(pool: &PgPool, q: &ListQuery, viewer: Viewer) -> Result<Page<PersonView>, sqlx::Error> {
    let order = match sort_column(q.sort_by.as_deref()).flatten() {
        Some(c) => (c, q.sort_order.unwrap_or_default()),
        None => ("p.created_at", q.sort_order.unwrap_or(SortOrder::Descending)),
    };
    let listing = super::Listing {
        head: HEAD,
        table: "persons",
        alias: "p",
        joins: JOINS,
    };
    let (rows, total): (Vec<Row>, i64) = super::visible_page(pool, listing, viewer, order, q).await?;
    Ok(Page {
        items: rows.into_iter().map(PersonView::from).collect(),
        total,
        start_index: q.offset(),
    })
}
