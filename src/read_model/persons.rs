//! The Person view: its projection (`PersonCreated` → `persons` row) and its queries.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{ListQuery, Page, SortOrder, Tables};
use crate::domain::datetime::ApiDateTime;
use crate::domain::person::{CustomField, PersonCreated};
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
}

/// A person's company, as much as a person's answer shows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyRef {
    pub id: i64,
    pub name: Option<String>,
    pub share_type: ShareType,
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
    /// The view an event makes, before the projector has written it (no creator details).
    pub fn from_created(e: &PersonCreated) -> PersonView {
        let f = e.fields.clone();
        PersonView {
            id: e.id,
            first_name: f.first_name,
            last_name: f.last_name,
            title: f.title,
            company: f.company_id.map(|id| CompanyRef {
                id,
                name: None,
                share_type: ShareType::None,
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
    creator_user_name: Option<String>,
    creator_first_name: Option<String>,
    creator_last_name: Option<String>,
    creator_title: Option<String>,
    company_name: Option<String>,
    company_share_type: Option<i16>,
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
                share_type: r
                    .company_share_type
                    .and_then(|c| ShareType::from_code(c.into()))
                    .unwrap_or_default(),
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
        }
    }
}

const SELECT: &str = "SELECT p.id, p.first_name, p.last_name, p.title, p.company_id, p.about, p.share_type,
        p.managers, p.custom_fields, p.photo, p.created_by, p.created_at,
        u.user_name AS creator_user_name, u.first_name AS creator_first_name,
        u.last_name AS creator_last_name, u.title AS creator_title,
        c.company_name, c.share_type AS company_share_type
   FROM persons p LEFT JOIN users u ON u.id = p.created_by LEFT JOIN companies c ON c.id = p.company_id";

/// Writes created persons (each with the position of its event) in one statement; a row that already
/// reflects its event's position or a later one is left alone. Of two events for one id, the later wins.
pub async fn project_created(
    conn: &mut PgConnection,
    tables: Tables,
    created: &[(&PersonCreated, i64)],
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
        "INSERT INTO {t} AS t (id, first_name, last_name, title, company_id, about, share_type, managers,
                custom_fields, photo, created_by, created_at, search, position)
         SELECT id, first_name, last_name, title, company_id, about, share_type, managers::uuid[],
                custom_fields, photo, created_by, created_at, search, position
           FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[],
                       $7::smallint[], $8::text[], $9::jsonb[], $10::jsonb[], $11::uuid[], $12::timestamptz[],
                       $13::text[], $14::bigint[])
                AS u(id, first_name, last_name, title, company_id, about, share_type, managers, custom_fields,
                     photo, created_by, created_at, search, position)
         ON CONFLICT (id) DO UPDATE SET first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
                title = EXCLUDED.title, company_id = EXCLUDED.company_id, about = EXCLUDED.about,
                share_type = EXCLUDED.share_type, managers = EXCLUDED.managers,
                custom_fields = EXCLUDED.custom_fields, photo = EXCLUDED.photo, created_by = EXCLUDED.created_by,
                created_at = EXCLUDED.created_at, search = EXCLUDED.search, position = EXCLUDED.position
          WHERE t.position < EXCLUDED.position",
        t = tables.persons()
    );
    sqlx::query(&sql)
        .bind(c.id)
        .bind(c.first_name)
        .bind(c.last_name)
        .bind(c.title)
        .bind(c.company_id)
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

/// The `persons` columns of many events, one array per column.
#[derive(Default)]
struct Columns<'a> {
    id: Vec<i64>,
    first_name: Vec<&'a str>,
    last_name: Vec<&'a str>,
    title: Vec<Option<&'a str>>,
    company_id: Vec<Option<i64>>,
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
    fn push(&mut self, e: &'a PersonCreated, position: i64) {
        let f = &e.fields;
        self.id.push(e.id);
        self.first_name.push(&f.first_name);
        self.last_name.push(&f.last_name);
        self.title.push(f.title.as_deref());
        self.company_id.push(f.company_id);
        self.about.push(&f.about);
        self.share_type.push(f.share_type.code() as i16);
        self.managers.push(super::uuid_array_literal(&f.managers));
        self.custom_fields.push(Json(&f.custom_fields));
        self.photo.push(f.photo.as_ref().map(Json));
        self.created_by.push(e.created_by);
        self.created_at.push(e.created_at.as_utc());
        let title = f.title.as_deref().unwrap_or_default();
        self.search
            .push(format!("{} {} {title}", f.first_name, f.last_name).to_lowercase());
        self.position.push(position);
    }
}

/// The person `id`, once the view has applied at least `min_position`.
pub async fn get(pool: &PgPool, id: i64, min_position: i64) -> Result<Option<PersonView>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE p.id = $1 AND p.position >= $2");
    let row: Option<Row> = sqlx::query_as(&sql)
        .bind(id)
        .bind(min_position)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(PersonView::from))
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
pub async fn of_company(pool: &PgPool, company_id: i64) -> Result<Vec<PersonView>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE p.company_id = $1 ORDER BY lower(p.first_name || ' ' || p.last_name), p.id");
    let rows: Vec<Row> = sqlx::query_as(&sql).bind(company_id).fetch_all(pool).await?;
    Ok(rows.into_iter().map(PersonView::from).collect())
}

/// A page of persons. `sort_by` must have passed [`sort_column`]; without it, newest first.
pub async fn list(pool: &PgPool, q: &ListQuery) -> Result<Page<PersonView>, sqlx::Error> {
    let order = match sort_column(q.sort_by.as_deref()).flatten() {
        Some(c) => (c, q.sort_order.unwrap_or_default()),
        None => ("p.created_at", q.sort_order.unwrap_or(SortOrder::Descending)),
    };
    let (rows, total): (Vec<Row>, i64) = super::page(pool, (SELECT, "persons", "p"), "true", order, q).await?;
    Ok(Page {
        items: rows.into_iter().map(PersonView::from).collect(),
        total,
        start_index: q.offset(),
    })
}
