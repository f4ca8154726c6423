//! An oracle for the projections: every read model must equal a fold of the events table (each stream
//! folded by its aggregate), its rows written here independently of `read_model`, row for row and
//! column for column. The actual rows are read whole
//! (`to_jsonb(row)`), so a column the fold does not know about, or an event it cannot fold, is a
//! difference too: a new column or event type must be taught to the oracle.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use rollcall::domain::company::Company;
use rollcall::domain::group::Group;
use rollcall::domain::person::Person;
use rollcall::domain::user::User;
use serde_json::{Value, json};
use sqlx::PgPool;

/// Rows of one table by id, each a column → value map.
type Table = BTreeMap<String, Value>;

/// The first difference between the read models and the fold of the events, if any.
pub async fn read_model_difference(pool: &PgPool) -> Option<String> {
    let expected = match fold(pool).await {
        Ok(expected) => expected,
        Err(e) => return Some(e),
    };
    for (table, rows) in expected {
        let actual = actual_rows(pool, table).await;
        if actual.len() != rows.len() {
            return Some(format!(
                "{table}: {} rows, the events make {}",
                actual.len(),
                rows.len()
            ));
        }
        for (id, want) in &rows {
            let Some(got) = actual.get(id) else {
                return Some(format!("{table}: no row {id}"));
            };
            if normalize(got) != normalize(want) {
                return Some(format!("{table} {id}:\n  read model {got}\n  events     {want}"));
            }
        }
    }
    None
}

/// Every row of `table`, whole.
async fn actual_rows(pool: &PgPool, table: &str) -> Table {
    let rows: Vec<(String, Value)> = sqlx::query_as(&format!("SELECT t.id::text, to_jsonb(t) FROM {table} t"))
        .fetch_all(pool)
        .await
        .unwrap();
    rows.into_iter().collect()
}

/// The events folded into the rows each read model should hold: each stream folded by its aggregate
/// (the domain's own fold), its row written here from the final state, column by column; a deleted
/// contact or user has no row.
async fn fold(pool: &PgPool) -> Result<BTreeMap<&'static str, Table>, String> {
    let events: Vec<(String, String, i64, Value, i64)> = sqlx::query_as(
        "SELECT aggregate_type, aggregate_id, sequence, payload, global_position FROM events ORDER BY global_position",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut persons: BTreeMap<String, (Person, i64, i64)> = BTreeMap::new();
    let mut companies: BTreeMap<String, (Company, i64, i64)> = BTreeMap::new();
    let mut users: BTreeMap<String, (User, i64, i64)> = BTreeMap::new();
    let mut groups: BTreeMap<String, (Group, i64, i64)> = BTreeMap::new();
    for (aggregate, id, sequence, payload, position) in events {
        let unknown = |e: serde_json::Error| format!("the fold cannot read a {aggregate} event ({e}): {payload}");
        match aggregate.as_str() {
            "Person" => apply(
                &mut persons,
                id,
                serde_json::from_value(payload.clone()).map_err(unknown)?,
                sequence,
                position,
            ),
            "Company" => apply(
                &mut companies,
                id,
                serde_json::from_value(payload.clone()).map_err(unknown)?,
                sequence,
                position,
            ),
            "User" => apply(
                &mut users,
                id,
                serde_json::from_value(payload.clone()).map_err(unknown)?,
                sequence,
                position,
            ),
            "Group" => apply(
                &mut groups,
                id,
                serde_json::from_value(payload.clone()).map_err(unknown)?,
                sequence,
                position,
            ),
            other => return Err(format!("the fold knows no aggregate {other}")),
        }
    }
    let mut tables: BTreeMap<&'static str, Table> = ["persons", "companies", "users", "groups"]
        .map(|t| (t, Table::new()))
        .into();
    for (id, (person, version, position)) in persons {
        let Some(r) = person.record().filter(|r| !r.deleted) else {
            continue;
        };
        let f = &r.fields;
        let title = f.title.clone().unwrap_or_default();
        let row = json!({
            "id": r.id, "first_name": f.first_name, "last_name": f.last_name, "title": f.title,
            "company_id": f.company_id, "about": f.about, "share_type": f.share_type.code(),
            "managers": f.managers, "custom_fields": f.custom_fields, "photo": f.photo,
            "created_by": r.created_by, "created_at": r.created_at.as_utc(),
            "search": format!("{} {} {title}", f.first_name, f.last_name).to_lowercase(),
            "position": position, "version": version, "common_data": r.info,
        });
        tables.get_mut("persons").expect("persons").insert(id, row);
    }
    for (id, (company, version, position)) in companies {
        let Some(r) = company.record().filter(|r| !r.deleted) else {
            continue;
        };
        let f = &r.fields;
        let row = json!({
            "id": r.id, "company_name": f.company_name, "about": f.about,
            "share_type": f.share_type.code(), "managers": f.managers,
            "custom_fields": f.custom_fields, "photo": f.photo, "created_by": r.created_by,
            "created_at": r.created_at.as_utc(), "search": f.company_name.to_lowercase(),
            "position": position, "version": version, "common_data": r.info,
        });
        tables.get_mut("companies").expect("companies").insert(id, row);
    }
    for (id, (user, version, position)) in users {
        let Some(e) = user.record().filter(|r| !r.deleted) else {
            continue;
        };
        let (name, email) = (e.user_name.as_str(), e.email.as_str());
        let row = json!({
            "id": e.id, "user_name": name, "email": email, "first_name": e.first_name,
            "last_name": e.last_name, "is_visitor": e.is_visitor, "is_admin": e.is_admin,
            "is_owner": e.is_owner, "department": e.department, "title": e.title,
            "location": e.location, "sex": e.sex.map(|s| s.as_str()),
            "birthday": e.birthday.map(|b| b.as_utc()), "works_from": e.works_from.as_utc(),
            "notes": e.notes, "contacts": e.contacts, "avatar_url": e.avatar_url, "lead": e.lead,
            "status": e.status as i16, "activation_status": e.activation_status as i16,
            "created_by": e.created_by, "created_at": e.created_at.as_utc(),
            "search": format!("{} {} {name} {email}", e.first_name, e.last_name).to_lowercase(),
            "position": position, "version": version, "terminated": e.terminated.map(|t| t.as_utc()),
        });
        tables.get_mut("users").expect("users").insert(id, row);
    }
    for (id, (group, version, position)) in groups {
        let Some(r) = group.record().filter(|r| !r.deleted) else {
            continue;
        };
        let row = json!({
            "id": r.id, "name": r.name, "manager": r.manager, "members": r.members,
            "created_by": r.created_by, "created_at": r.created_at.as_utc(),
            "position": position, "version": version,
        });
        tables.get_mut("groups").expect("groups").insert(id, row);
    }
    Ok(tables)
}

/// Folds one event into its stream: the aggregate, its version and the position of its last event.
fn apply<A: Aggregate>(
    streams: &mut BTreeMap<String, (A, i64, i64)>,
    id: String,
    event: A::Event,
    sequence: i64,
    position: i64,
) {
    let stream = streams.entry(id).or_default();
    stream.0.apply(event);
    (stream.1, stream.2) = (sequence, position);
}

/// Timestamps as instants (Postgres and serde spell them differently); everything else as it is.
fn normalize(row: &Value) -> Value {
    match row {
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), normalize(v))).collect()),
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        Value::String(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(at) => json!(at.with_timezone(&Utc).timestamp_micros()),
            Err(_) => row.clone(),
        },
        _ => row.clone(),
    }
}

pub async fn count_events(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await
        .unwrap()
}
