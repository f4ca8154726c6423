//! An oracle for the projections: every read model must equal a fold of the events table, written here
//! independently of `read_model`, row for row and column for column. The actual rows are read whole
//! (`to_jsonb(row)`), so a column the fold does not know about, or an event it cannot fold, is a
//! difference too: a new column or event type must be taught to the oracle.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rollcall::domain::company::CompanyEvent;
use rollcall::domain::person::PersonEvent;
use rollcall::domain::user::UserEvent;
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

/// The events folded into the rows each read model should hold.
async fn fold(pool: &PgPool) -> Result<BTreeMap<&'static str, Table>, String> {
    let events: Vec<(String, Value, i64)> =
        sqlx::query_as("SELECT aggregate_type, payload, global_position FROM events ORDER BY global_position")
            .fetch_all(pool)
            .await
            .unwrap();
    let mut tables: BTreeMap<&'static str, Table> = ["persons", "companies", "users"].map(|t| (t, Table::new())).into();
    for (aggregate, payload, position) in events {
        let unknown = |e: serde_json::Error| format!("the fold cannot read a {aggregate} event ({e}): {payload}");
        let (table, id, row) = match aggregate.as_str() {
            "Person" => match serde_json::from_value(payload.clone()).map_err(unknown)? {
                PersonEvent::PersonCreated(e) => {
                    let f = &e.fields;
                    let title = f.title.clone().unwrap_or_default();
                    let row = json!({
                        "id": e.id, "first_name": f.first_name, "last_name": f.last_name, "title": f.title,
                        "company_id": f.company_id, "about": f.about, "share_type": f.share_type.code(),
                        "managers": f.managers, "custom_fields": f.custom_fields, "photo": f.photo,
                        "created_by": e.created_by, "created_at": e.created_at.as_utc(),
                        "search": format!("{} {} {title}", f.first_name, f.last_name).to_lowercase(),
                        "position": position,
                    });
                    ("persons", e.id.to_string(), row)
                }
            },
            "Company" => match serde_json::from_value(payload.clone()).map_err(unknown)? {
                CompanyEvent::CompanyCreated(e) => {
                    let f = &e.fields;
                    let row = json!({
                        "id": e.id, "company_name": f.company_name, "about": f.about,
                        "share_type": f.share_type.code(), "managers": f.managers,
                        "custom_fields": f.custom_fields, "photo": f.photo, "created_by": e.created_by,
                        "created_at": e.created_at.as_utc(), "search": f.company_name.to_lowercase(),
                        "position": position,
                    });
                    ("companies", e.id.to_string(), row)
                }
            },
            "User" => match serde_json::from_value(payload.clone()).map_err(unknown)? {
                UserEvent::UserCreated(e) => {
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
                        "position": position,
                    });
                    ("users", e.id.to_string(), row)
                }
            },
            other => return Err(format!("the fold knows no aggregate {other}")),
        };
        tables.get_mut(table).expect("a known table").insert(id, row);
    }
    Ok(tables)
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
