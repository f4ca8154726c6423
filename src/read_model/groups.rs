//! The Group view: its projection (the folded group → one `groups` row with its members; a deleted
//! group's row is removed) and its queries, which resolve managers and members through the users view
//! when read, so a rename or a user's new name shows everywhere at once and a user who is gone is no
//! member.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::Tables;
use super::persons::Creator;
use crate::domain::datetime::ApiDateTime;
use crate::domain::group::GroupRecord;

/// A group as a user wrapper's `Groups` and `GET group` name it (ONLYOFFICE's `GroupWrapperSummary`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRef {
    pub id: Uuid,
    pub name: String,
    /// The manager's user name, when the group has a manager who is a user.
    pub manager: Option<String>,
}

/// A group with its manager and members (ONLYOFFICE's `GroupWrapperFull`).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupView {
    pub id: Uuid,
    pub name: String,
    pub manager: Option<Creator>,
    /// The members who are users, in the order they joined.
    pub members: Vec<Creator>,
    pub created_by: Uuid,
    pub created_at: ApiDateTime,
    /// How many events the group's stream holds (the ETag).
    pub version: i64,
}

impl GroupView {
    /// The view of a group as its events make it, at `version`, with its people as `people` resolves
    /// them (a member `people` does not know is left out).
    pub fn from_record(r: &GroupRecord, version: i64, people: &[Creator]) -> GroupView {
        let find = |id: &Uuid| people.iter().find(|c| c.id == *id && c.user_name.is_some()).cloned();
        GroupView {
            id: r.id,
            name: r.name.clone(),
            manager: r.manager.as_ref().and_then(find),
            members: r.members.iter().filter_map(find).collect(),
            created_by: r.created_by,
            created_at: r.created_at,
            version,
        }
    }

    pub fn summary(&self) -> GroupRef {
        GroupRef {
            id: self.id,
            name: self.name.clone(),
            manager: self.manager.as_ref().and_then(|m| m.user_name.clone()),
        }
    }
}

/// A user as a group's JSON columns carry them.
#[derive(Debug, Deserialize)]
struct Person {
    id: Uuid,
    user_name: String,
    first_name: String,
    last_name: String,
    title: Option<String>,
}

impl From<Person> for Creator {
    fn from(p: Person) -> Creator {
        Creator {
            id: p.id,
            user_name: Some(p.user_name),
            display_name: Some(format!("{} {}", p.first_name, p.last_name)),
            title: p.title,
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    manager: Option<Json<Person>>,
    members: Json<Vec<Person>>,
    created_by: Uuid,
    created_at: DateTime<Utc>,
    version: i64,
}

impl From<Row> for GroupView {
    fn from(r: Row) -> Self {
        GroupView {
            id: r.id,
            name: r.name,
            manager: r.manager.map(|m| m.0.into()),
            members: r.members.0.into_iter().map(Creator::from).collect(),
            created_by: r.created_by,
            created_at: ApiDateTime::from_utc(r.created_at),
            version: r.version,
        }
    }
}

/// The JSON of a user of the view `u`, as [`Person`] reads it.
const PERSON: &str = "json_build_object('id', u.id, 'user_name', u.user_name, 'first_name', u.first_name, 'last_name', u.last_name, 'title', u.title)";

/// `{id, name, manager}` of the group `g`, the manager as their user name (what [`GroupRef`] reads).
pub(super) const SUMMARY: &str = "json_build_object('id', g.id, 'name', g.name, 'manager', (SELECT m.user_name FROM users m WHERE m.id = g.manager))";

/// A `groups` row as the projection writes it (field names are the column names).
#[derive(Debug, Serialize)]
pub struct ProjectedRow<'r> {
    pub id: Uuid,
    name: &'r str,
    manager: Option<Uuid>,
    members: &'r [Uuid],
    created_by: Uuid,
    created_at: DateTime<Utc>,
    pub position: i64,
    version: i64,
}

impl<'r> ProjectedRow<'r> {
    /// The row a live group makes at `position`.
    pub fn of(r: &'r GroupRecord, position: i64, version: i64) -> Self {
        ProjectedRow {
            id: r.id,
            name: &r.name,
            manager: r.manager,
            members: &r.members,
            created_by: r.created_by,
            created_at: r.created_at.as_utc(),
            position,
            version,
        }
    }
}

/// Writes the rows in one statement; a row is skipped where the table already reflects its position
/// or a later one. `rows` holds each id at most once.
pub async fn project(conn: &mut PgConnection, tables: Tables, rows: &[ProjectedRow<'_>]) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO {t} AS t SELECT * FROM json_populate_recordset(NULL::{t}, $1::json)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, manager = EXCLUDED.manager,
                members = EXCLUDED.members, created_by = EXCLUDED.created_by, created_at = EXCLUDED.created_at,
                position = EXCLUDED.position, version = EXCLUDED.version
          WHERE t.position < EXCLUDED.position",
        t = tables.groups()
    );
    let rows = serde_json::to_string(rows).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(&sql).bind(rows).execute(conn).await?;
    Ok(())
}

/// Removes the rows of deleted groups (each an id and the position of its delete).
pub async fn remove(conn: &mut PgConnection, tables: Tables, gone: &[(Uuid, i64)]) -> Result<(), sqlx::Error> {
    if gone.is_empty() {
        return Ok(());
    }
    let (ids, positions): (Vec<Uuid>, Vec<i64>) = gone.iter().copied().unzip();
    let sql = format!(
        "DELETE FROM {t} t USING UNNEST($1::uuid[], $2::bigint[]) AS g(id, position)
          WHERE t.id = g.id AND t.position < g.position",
        t = tables.groups()
    );
    sqlx::query(&sql).bind(ids).bind(positions).execute(conn).await?;
    Ok(())
}

/// The group `id`, with its manager and its members who are users.
pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<GroupView>, sqlx::Error> {
    let sql = format!(
        "SELECT g.id, g.name, g.created_by, g.created_at, g.version,
                (SELECT {PERSON} FROM users u WHERE u.id = g.manager) AS manager,
                COALESCE((SELECT json_agg({PERSON} ORDER BY m.n)
                            FROM unnest(g.members) WITH ORDINALITY AS m(id, n) JOIN users u ON u.id = m.id),
                         '[]') AS members
           FROM groups g WHERE g.id = $1"
    );
    let row: Option<Row> = sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?;
    Ok(row.map(GroupView::from))
}

/// Every group (`GET group`), by name; or only those `member` is in.
pub async fn list(pool: &PgPool, member: Option<Uuid>) -> Result<Vec<GroupRef>, sqlx::Error> {
    let order = "ORDER BY lower(g.name), g.id";
    let rows: Vec<Json<GroupRef>> = match member {
        None => {
            sqlx::query_scalar(&format!("SELECT {SUMMARY} FROM groups g {order}"))
                .fetch_all(pool)
                .await?
        }
        Some(id) => {
            sqlx::query_scalar(&format!(
                "SELECT {SUMMARY} FROM groups g WHERE g.members @> ARRAY[$1] {order}"
            ))
            .bind(id)
            .fetch_all(pool)
            .await?
        }
    };
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The version of the group `id` the view shows, `None` when it shows no such group.
pub async fn version(pool: &PgPool, id: Uuid) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT version FROM groups WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
}
