//! The Company view: its projection (`CompanyCreated` → `companies` row) and its queries.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::Tables;
use super::persons::Creator;
use crate::domain::company::CompanyCreated;
use crate::domain::contact::CustomField;
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
}

impl CompanyView {
    /// The view an event makes, before the projector has written it.
    pub fn from_created(e: &CompanyCreated) -> CompanyView {
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
        }
    }
}

const SELECT: &str = "SELECT c.id, c.company_name, c.about, c.share_type, c.managers, c.custom_fields, c.photo,
        c.created_by, c.created_at, (SELECT count(*) FROM persons p WHERE p.company_id = c.id) AS persons_count,
        u.user_name AS creator_user_name, u.first_name AS creator_first_name,
        u.last_name AS creator_last_name, u.title AS creator_title
   FROM companies c LEFT JOIN users u ON u.id = c.created_by";

/// Writes created companies (each with the position of its event) in one statement; a row that already
/// reflects its event's position or a later one is left alone. Of two events for one id, the later wins.
pub async fn project_created(
    conn: &mut PgConnection,
    tables: Tables,
    created: &[(&CompanyCreated, i64)],
) -> Result<(), sqlx::Error> {
    let created = super::latest_per_id(created, |e| e.id);
    if created.is_empty() {
        return Ok(());
    }
    let mut c = Columns::default();
    for (e, position) in created {
        c.push(e, position);
    }
    let sql = format!(
        "INSERT INTO {t} AS t (id, company_name, about, share_type, managers, custom_fields, photo, created_by,
                created_at, search, position)
         SELECT id, company_name, about, share_type, managers::uuid[], custom_fields, photo, created_by,
                created_at, search, position
           FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::jsonb[],
                       $7::jsonb[], $8::uuid[], $9::timestamptz[], $10::text[], $11::bigint[])
                AS u(id, company_name, about, share_type, managers, custom_fields, photo, created_by, created_at,
                     search, position)
         ON CONFLICT (id) DO UPDATE SET company_name = EXCLUDED.company_name, about = EXCLUDED.about,
                share_type = EXCLUDED.share_type, managers = EXCLUDED.managers, custom_fields = EXCLUDED.custom_fields,
                photo = EXCLUDED.photo, created_by = EXCLUDED.created_by, created_at = EXCLUDED.created_at,
                search = EXCLUDED.search, position = EXCLUDED.position
          WHERE t.position < EXCLUDED.position",
        t = tables.companies()
    );
    sqlx::query(&sql)
        .bind(c.id)
        .bind(c.company_name)
        .bind(c.about)
        .bind(c.share_type)
        .bind(c.managers)
        .bind(c.custom_fields)
        .bind(c.photo)
        .bind(c.created_by)
        .bind(c.created_at)
        .bind(c.search)
        .bind(c.position)
        .execute(conn)
        .await?;
    Ok(())
}

/// The `companies` columns of many events, one array per column.
#[derive(Default)]
struct Columns<'a> {
    id: Vec<i64>,
    company_name: Vec<&'a str>,
    about: Vec<&'a str>,
    share_type: Vec<i16>,
    managers: Vec<String>,
    custom_fields: Vec<Json<&'a Vec<CustomField>>>,
    photo: Vec<Option<Json<&'a PhotoRef>>>,
    created_by: Vec<Uuid>,
    created_at: Vec<DateTime<Utc>>,
    search: Vec<String>,
    position: Vec<i64>,
}

impl<'a> Columns<'a> {
    fn push(&mut self, e: &'a CompanyCreated, position: i64) {
        let f = &e.fields;
        self.id.push(e.id);
        self.company_name.push(&f.company_name);
        self.about.push(&f.about);
        self.share_type.push(f.share_type.code() as i16);
        self.managers.push(super::uuid_array_literal(&f.managers));
        self.custom_fields.push(Json(&f.custom_fields));
        self.photo.push(f.photo.as_ref().map(Json));
        self.created_by.push(e.created_by);
        self.created_at.push(e.created_at.as_utc());
        self.search.push(f.company_name.to_lowercase());
        self.position.push(position);
    }
}

/// The company `id`, once the view has applied at least `min_position`.
pub async fn get(pool: &PgPool, id: i64, min_position: i64) -> Result<Option<CompanyView>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE c.id = $1 AND c.position >= $2");
    let row: Option<Row> = sqlx::query_as(&sql)
        .bind(id)
        .bind(min_position)
        .fetch_optional(pool)
        .await?;
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
pub async fn list(pool: &PgPool, q: &super::ListQuery) -> Result<super::Page<CompanyView>, sqlx::Error> {
    let order = match sort_column(q.sort_by.as_deref()).flatten() {
        Some(c) => (c, q.sort_order.unwrap_or_default()),
        None => ("c.created_at", q.sort_order.unwrap_or(super::SortOrder::Descending)),
    };
    let (rows, total): (Vec<Row>, i64) = super::page(pool, (SELECT, "companies", "c"), "true", order, q).await?;
    Ok(super::Page {
        items: rows.into_iter().map(CompanyView::from).collect(),
        total,
        start_index: q.offset(),
    })
}
