//! The User view: its projection (a user's folded record → `users` row, never the password hash; a
//! deleted user's row is removed) and its queries.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::groups::{GroupRef, SUMMARY};
use super::persons::Creator;
use super::{ListQuery, Page, SortOrder, Tables};
use crate::domain::datetime::ApiDateTime;
use crate::domain::user::{ActivationStatus, UserContact, UserRecord, UserStatus};
use crate::domain::values::Sex;

/// A user as the read model holds it (no credentials).
#[derive(Debug, Clone, PartialEq)]
pub struct UserView {
    pub id: Uuid,
    pub user_name: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub is_visitor: bool,
    pub is_admin: bool,
    pub is_owner: bool,
    /// The groups the user is in (from the groups view), by name.
    pub groups: Vec<GroupRef>,
    pub title: Option<String>,
    pub location: Option<String>,
    pub sex: Option<Sex>,
    pub birthday: Option<ApiDateTime>,
    pub works_from: ApiDateTime,
    pub notes: Option<String>,
    pub contacts: Vec<UserContact>,
    pub avatar_url: Option<String>,
    pub lead: Option<Uuid>,
    pub status: UserStatus,
    pub activation_status: ActivationStatus,
    pub created_by: Option<Uuid>,
    pub created_at: ApiDateTime,
    /// When the user was terminated; `None` while active.
    pub terminated: Option<ApiDateTime>,
    /// How many events the user's stream holds (the ETag).
    pub version: i64,
}

impl UserView {
    /// The view of a user's record at `version`, before (or instead of) the projector's row (no groups:
    /// they are other streams).
    pub fn from_record(e: &UserRecord, version: i64) -> UserView {
        UserView {
            id: e.id,
            user_name: e.user_name.as_str().to_string(),
            email: e.email.as_str().to_string(),
            first_name: e.first_name.clone(),
            last_name: e.last_name.clone(),
            is_visitor: e.is_visitor,
            is_admin: e.is_admin,
            is_owner: e.is_owner,
            groups: Vec::new(),
            title: e.title.clone(),
            location: e.location.clone(),
            sex: e.sex,
            birthday: e.birthday,
            works_from: e.works_from,
            notes: e.notes.clone(),
            contacts: e.contacts.clone(),
            avatar_url: e.avatar_url.clone(),
            lead: e.lead,
            status: e.status,
            activation_status: e.activation_status,
            created_by: e.created_by,
            created_at: e.created_at,
            terminated: e.terminated,
            version,
        }
    }

    /// ONLYOFFICE's user `displayName`: "First Last".
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    user_name: String,
    email: String,
    first_name: String,
    last_name: String,
    is_visitor: bool,
    is_admin: bool,
    is_owner: bool,
    groups: Json<Vec<GroupRef>>,
    title: Option<String>,
    location: Option<String>,
    sex: Option<String>,
    birthday: Option<DateTime<Utc>>,
    works_from: DateTime<Utc>,
    notes: Option<String>,
    contacts: Json<Vec<UserContact>>,
    avatar_url: Option<String>,
    lead: Option<Uuid>,
    status: i16,
    activation_status: i16,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    terminated: Option<DateTime<Utc>>,
    version: i64,
}

fn status(code: i16) -> UserStatus {
    match code {
        2 => UserStatus::Terminated,
        4 => UserStatus::LeaveOfAbsence,
        _ => UserStatus::Active,
    }
}

fn activation(code: i16) -> ActivationStatus {
    match code {
        0 => ActivationStatus::NotActivated,
        1 => ActivationStatus::Activated,
        _ => ActivationStatus::Pending,
    }
}

impl From<Row> for UserView {
    fn from(r: Row) -> Self {
        UserView {
            id: r.id,
            user_name: r.user_name,
            email: r.email,
            first_name: r.first_name,
            last_name: r.last_name,
            is_visitor: r.is_visitor,
            is_admin: r.is_admin,
            is_owner: r.is_owner,
            groups: r.groups.0,
            title: r.title,
            location: r.location,
            sex: r.sex.as_deref().and_then(Sex::parse_lenient),
            birthday: r.birthday.map(ApiDateTime::from_utc),
            works_from: ApiDateTime::from_utc(r.works_from),
            notes: r.notes,
            contacts: r.contacts.0,
            avatar_url: r.avatar_url,
            lead: r.lead,
            status: status(r.status),
            activation_status: activation(r.activation_status),
            created_by: r.created_by,
            created_at: ApiDateTime::from_utc(r.created_at),
            terminated: r.terminated.map(ApiDateTime::from_utc),
            version: r.version,
        }
    }
}

/// Every column of the view `u`, and the user's groups (`groups_by_member`).
fn select() -> String {
    format!(
        "SELECT id, user_name, email, first_name, last_name, is_visitor, is_admin, is_owner,
                COALESCE((SELECT json_agg({SUMMARY} ORDER BY lower(g.name), g.id) FROM groups g
                           WHERE g.members @> ARRAY[u.id]), '[]') AS groups,
                title, location, sex, birthday, works_from, notes, contacts, avatar_url, lead, status,
                activation_status, created_by, created_at, terminated, version FROM users u"
    )
}

/// A `users` row as the projection writes it (field names are the column names).
#[derive(Debug, Serialize)]
pub struct ProjectedRow<'e> {
    pub id: Uuid,
    user_name: &'e str,
    email: &'e str,
    first_name: &'e str,
    last_name: &'e str,
    is_visitor: bool,
    is_admin: bool,
    is_owner: bool,
    department: &'e [Uuid],
    title: Option<&'e str>,
    location: Option<&'e str>,
    sex: Option<&'static str>,
    birthday: Option<DateTime<Utc>>,
    works_from: DateTime<Utc>,
    notes: Option<&'e str>,
    contacts: &'e [UserContact],
    avatar_url: Option<&'e str>,
    lead: Option<Uuid>,
    status: i16,
    activation_status: i16,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    search: String,
    pub position: i64,
    version: i64,
    terminated: Option<DateTime<Utc>>,
}

impl<'e> ProjectedRow<'e> {
    /// The row a live user's record makes at `position` (never the password hash).
    pub fn of(e: &'e UserRecord, position: i64, version: i64) -> Self {
        let search = format!(
            "{} {} {} {}",
            e.first_name,
            e.last_name,
            e.user_name.as_str(),
            e.email.as_str()
        )
        .to_lowercase();
        ProjectedRow {
            id: e.id,
            user_name: e.user_name.as_str(),
            email: e.email.as_str(),
            first_name: &e.first_name,
            last_name: &e.last_name,
            is_visitor: e.is_visitor,
            is_admin: e.is_admin,
            is_owner: e.is_owner,
            department: &e.department,
            title: e.title.as_deref(),
            location: e.location.as_deref(),
            sex: e.sex.map(Sex::as_str),
            birthday: e.birthday.map(|b| b.as_utc()),
            works_from: e.works_from.as_utc(),
            notes: e.notes.as_deref(),
            contacts: &e.contacts,
            avatar_url: e.avatar_url.as_deref(),
            lead: e.lead,
            status: e.status as i16,
            activation_status: e.activation_status as i16,
            created_by: e.created_by,
            created_at: e.created_at.as_utc(),
            search,
            position,
            version,
            terminated: e.terminated.map(|t| t.as_utc()),
        }
    }
}

/// Writes the rows in one statement; a row is skipped where the table already reflects its position
/// or a later one. `rows` holds each id at most once.
pub async fn project(conn: &mut PgConnection, tables: Tables, rows: &[ProjectedRow<'_>]) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO {t} AS t SELECT * FROM json_populate_recordset(NULL::{t}, $1::json)
         ON CONFLICT (id) DO UPDATE SET user_name = EXCLUDED.user_name, email = EXCLUDED.email,
                first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, is_visitor = EXCLUDED.is_visitor,
                is_admin = EXCLUDED.is_admin, is_owner = EXCLUDED.is_owner, department = EXCLUDED.department,
                title = EXCLUDED.title, location = EXCLUDED.location, sex = EXCLUDED.sex,
                birthday = EXCLUDED.birthday, works_from = EXCLUDED.works_from, notes = EXCLUDED.notes,
                contacts = EXCLUDED.contacts, avatar_url = EXCLUDED.avatar_url, lead = EXCLUDED.lead,
                status = EXCLUDED.status, activation_status = EXCLUDED.activation_status,
                created_by = EXCLUDED.created_by, created_at = EXCLUDED.created_at, search = EXCLUDED.search,
                position = EXCLUDED.position, version = EXCLUDED.version, terminated = EXCLUDED.terminated
          WHERE t.position < EXCLUDED.position",
        t = tables.users()
    );
    // As text: `json` parses faster than `jsonb`, and the rows are only read once.
    let rows = serde_json::to_string(rows).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(&sql).bind(rows).execute(conn).await?;
    Ok(())
}

/// Removes the rows of deleted users (`(id, position of the delete)`), unless a later position is there.
pub async fn remove(conn: &mut PgConnection, tables: Tables, gone: &[(Uuid, i64)]) -> Result<(), sqlx::Error> {
    if gone.is_empty() {
        return Ok(());
    }
    let (ids, positions): (Vec<Uuid>, Vec<i64>) = gone.iter().copied().unzip();
    let sql = format!(
        "DELETE FROM {t} t USING UNNEST($1::uuid[], $2::bigint[]) AS g(id, position)
          WHERE t.id = g.id AND t.position < g.position",
        t = tables.users()
    );
    sqlx::query(&sql).bind(ids).bind(positions).execute(conn).await?;
    Ok(())
}

/// The users `ids` as a contact names them (`createBy`, access lists), in the order given; an id that is
/// no user has only its id.
pub async fn creators(pool: &PgPool, ids: &[Uuid]) -> Result<Vec<Creator>, sqlx::Error> {
    let rows: Vec<(Uuid, String, String, String, Option<String>)> =
        sqlx::query_as("SELECT id, user_name, first_name, last_name, title FROM users WHERE id = ANY($1)")
            .bind(ids)
            .fetch_all(pool)
            .await?;
    Ok(ids
        .iter()
        .map(|id| match rows.iter().find(|r| r.0 == *id) {
            Some((_, name, first, last, title)) => Creator {
                id: *id,
                user_name: Some(name.clone()),
                display_name: Some(format!("{first} {last}")),
                title: title.clone(),
            },
            None => Creator {
                id: *id,
                user_name: None,
                display_name: None,
                title: None,
            },
        })
        .collect())
}

/// The user `id`.
pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<UserView>, sqlx::Error> {
    let sql = format!("{} WHERE id = $1", select());
    let row: Option<Row> = sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?;
    Ok(row.map(UserView::from))
}

/// The user with this user name or email (case-insensitive).
pub async fn find(pool: &PgPool, by: UserKey<'_>) -> Result<Option<UserView>, sqlx::Error> {
    let (sql, key) = match by {
        UserKey::UserName(n) => (format!("{} WHERE lower(user_name) = lower($1)", select()), n),
        UserKey::Email(e) => (format!("{} WHERE lower(email) = lower($1)", select()), e),
    };
    let row: Option<Row> = sqlx::query_as(&sql).bind(key.trim()).fetch_optional(pool).await?;
    Ok(row.map(UserView::from))
}

#[derive(Debug, Clone, Copy)]
pub enum UserKey<'a> {
    UserName(&'a str),
    Email(&'a str),
}

/// Whether `sort_by` names a sortable user field.
pub fn sort_column(sort_by: Option<&str>) -> Option<&'static str> {
    match sort_by.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("firstname") => Some("lower(first_name)"),
        Some("lastname") => Some("lower(last_name)"),
        Some("displayname") => Some("lower(first_name || ' ' || last_name)"),
        Some("username") => Some("lower(user_name)"),
        Some("email") => Some("lower(email)"),
        Some("created") => Some("created_at"),
        _ => None,
    }
}

/// Which users a list holds, beyond its search words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Only the members of this group (`people/filter?groupId=`); none when there is no such group.
    pub group: Option<Uuid>,
}

impl UserFilter {
    /// The SQL condition on the view `u` (a `Uuid` prints as hex and dashes only: safe as a literal).
    fn condition(&self) -> String {
        let mut condition = "u.status = 1".to_string();
        if let Some(group) = self.group {
            condition.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM groups g WHERE g.id = '{group}' AND g.members @> ARRAY[u.id])"
            ));
        }
        condition
    }
}

/// A page of active users. `sort_by` must have passed [`sort_column`]; default: first name.
pub async fn list(pool: &PgPool, q: &ListQuery, filter: &UserFilter) -> Result<Page<UserView>, sqlx::Error> {
    let column = sort_column(q.sort_by.as_deref()).unwrap_or("lower(u.first_name)");
    let order = (column, q.sort_order.unwrap_or(SortOrder::Ascending));
    let select = select();
    let condition = filter.condition();
    let (rows, total): (Vec<Row>, i64) = super::page(pool, (&select, "users", "u"), &condition, order, q).await?;
    Ok(Page {
        items: rows.into_iter().map(UserView::from).collect(),
        total,
        start_index: q.offset(),
    })
}
