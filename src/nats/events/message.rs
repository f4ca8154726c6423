//! What one event looks like on `P-events`: its subject, id, headers and body, and the thin form an
//! event takes when it is too large for the stream (an event written before records were bounded,
//! or a stream an operator limited further): its identity and place, without `data` and `metadata`.

use async_nats::HeaderMap;
use bytes::Bytes;
use serde_json::{Value, json};
use uuid::Uuid;

use super::EVENT_ID_NAMESPACE;
use crate::nats::headers::wire_len;
use crate::persistence::feed::EventRow;
use crate::telemetry::sane_correlation_id;

/// Marks a thin message: `Rollcall-Omitted: data, metadata`.
pub const OMITTED: &str = "Rollcall-Omitted";

/// The event's stable id: UUIDv5 of its aggregate type, aggregate id and sequence.
pub fn event_id(aggregate_type: &str, aggregate_id: &str, sequence: i64) -> Uuid {
    Uuid::new_v5(
        &EVENT_ID_NAMESPACE,
        format!("{aggregate_type}/{aggregate_id}/{sequence}").as_bytes(),
    )
}

/// `P.events.<aggregate>.<what happened>`, e.g. `PersonCreated` of a `Person` → `person.created`.
pub fn subject(prefix: &str, aggregate_type: &str, event_type: &str) -> String {
    let what = event_type.strip_prefix(aggregate_type).unwrap_or(event_type);
    format!(
        "{prefix}.events.{}.{}",
        aggregate_type.to_lowercase(),
        what.to_lowercase()
    )
}

/// Removes every `password_hash` field, however deep.
fn scrub(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("password_hash");
            map.values_mut().for_each(scrub);
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        _ => {}
    }
}

/// The identity and place of an event, the part every form of its message carries.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Identity<'r> {
    id: Uuid,
    #[serde(rename = "type")]
    kind: &'r str,
    version: &'r str,
    aggregate_type: &'r str,
    aggregate_id: &'r str,
    sequence: i64,
    position: i64,
}

/// An object's opening: the identity's fields, ready for more (no closing brace).
fn open_with_identity(row: &EventRow, room: usize) -> Vec<u8> {
    let identity = Identity {
        id: event_id(&row.aggregate_type, &row.aggregate_id, row.sequence),
        kind: &row.event_type,
        version: &row.event_version,
        aggregate_type: &row.aggregate_type,
        aggregate_id: &row.aggregate_id,
        sequence: row.sequence,
        position: row.global_position,
    };
    let mut out = Vec::with_capacity(room + 256);
    // Writing a struct of strings and numbers into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut out, &identity);
    out.pop();
    out
}

/// The event's data: its stored text, or, when it mentions a password hash, the payload parsed and
/// scrubbed (`None` if that fails).
fn data(row: &EventRow) -> Option<std::borrow::Cow<'_, str>> {
    if !row.payload.contains("password_hash") {
        return Some(row.payload.as_str().into());
    }
    let mut value: Value = serde_json::from_str(&row.payload).ok()?;
    scrub(&mut value);
    serde_json::to_string(&value).ok().map(Into::into)
}

/// The message body: the event with its identity, place and metadata, the payload and metadata as
/// stored (no JSON values built but for a payload that must be scrubbed); `None` when the payload
/// could not be scrubbed, which then goes out thin.
pub fn body(row: &EventRow) -> Option<Vec<u8>> {
    let data = data(row)?;
    let mut out = open_with_identity(row, data.len() + row.metadata.len());
    out.extend_from_slice(b",\"data\":");
    out.extend_from_slice(data.as_bytes());
    out.extend_from_slice(b",\"metadata\":");
    out.extend_from_slice(row.metadata.as_bytes());
    out.push(b'}');
    Some(out)
}

/// The thin body: identity and place only, and why the rest is missing.
fn thin_body(row: &EventRow, whole: usize) -> Vec<u8> {
    let omitted = json!({"fields": ["data", "metadata"], "reason": "too large for the stream", "bytes": whole});
    let mut out = open_with_identity(row, 128);
    out.extend_from_slice(b",\"omitted\":");
    let _ = serde_json::to_writer(&mut out, &omitted);
    out.push(b'}');
    out
}

/// How an event went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Whole,
    Thin,
}

impl Form {
    pub fn as_str(self) -> &'static str {
        match self {
            Form::Whole => "published",
            Form::Thin => "thin",
        }
    }
}

/// One event's message, ready to publish.
#[derive(Debug)]
pub struct Outgoing {
    pub form: Form,
    pub headers: HeaderMap,
    pub payload: Bytes,
}

fn headers(row: &EventRow) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "Nats-Msg-Id",
        event_id(&row.aggregate_type, &row.aggregate_id, row.sequence)
            .to_string()
            .as_str(),
    );
    h.insert("Content-Type", "application/json");
    h.insert("Rollcall-Event-Type", row.event_type.as_str());
    // Only a sane id: one stored before correlation ids were bounded may be any size.
    if let Some(id) = row.correlation_id.as_deref().and_then(sane_correlation_id) {
        h.insert("Rollcall-Correlation-Id", id);
    }
    h
}

/// The message for `row` within `limit` bytes (headers included): whole unless `thin` is asked for or
/// it does not fit, else thin; `None` when not even the thin form fits.
pub fn outgoing(row: &EventRow, limit: usize, thin: bool) -> Option<Outgoing> {
    let headers = headers(row);
    let fits = |payload: &[u8]| wire_len(&headers) + payload.len() <= limit;
    let whole = body(row);
    let whole_len = match whole {
        Some(whole) if !thin && fits(&whole) => {
            return Some(Outgoing {
                form: Form::Whole,
                headers,
                payload: Bytes::from(whole),
            });
        }
        Some(whole) => whole.len(),
        None => {
            tracing::error!(
                position = row.global_position,
                "an event's payload could not be scrubbed; it goes out thin"
            );
            0
        }
    };
    let payload = thin_body(row, whole_len);
    if !fits(&payload) {
        return None;
    }
    let mut headers = headers;
    headers.insert(OMITTED, "data, metadata");
    Some(Outgoing {
        form: Form::Thin,
        headers,
        payload: Bytes::from(payload),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::MAX_IDEMPOTENCY_KEY;
    use crate::domain::contact::CustomFieldInput;
    use crate::domain::datetime::ApiDateTime;
    use crate::domain::person::{PersonCreated, PersonDraft, PersonError, PersonEvent};
    use crate::domain::size::MAX_RECORD_BYTES;
    use crate::telemetry::MAX_CORRELATION_ID;

    /// NATS's default `max_payload`.
    const ONE_MIB: usize = 1024 * 1024;

    /// A row as the feed reads it: payload and metadata as text, the correlation id taken out.
    fn row(payload: Value, metadata: Value) -> EventRow {
        EventRow {
            aggregate_type: "Person".into(),
            aggregate_id: "7".into(),
            sequence: 1,
            event_type: "PersonCreated".into(),
            event_version: "1".into(),
            payload: payload.to_string(),
            metadata: metadata.to_string(),
            correlation_id: metadata["correlation_id"].as_str().map(str::to_string),
            global_position: 9,
            tx: 3,
        }
    }

    fn parsed(out: &Outgoing) -> Value {
        serde_json::from_slice(&out.payload).expect("the body is JSON")
    }

    #[test]
    fn the_body_carries_identity_place_data_and_metadata_as_stored() {
        // As PostgreSQL prints jsonb: spaces after separators, keys by length.
        let mut r = row(json!({}), json!({}));
        r.payload = r#"{"PersonCreated": {"id": 7, "about": "say \"hi\"\n", "last_name": "Lee"}}"#.into();
        r.metadata = r#"{"source": "nats", "correlation_id": "c-1"}"#.into();
        r.correlation_id = Some("c-1".into());
        let out = outgoing(&r, ONE_MIB, false).unwrap();
        assert_eq!(out.form, Form::Whole);
        assert_eq!(
            parsed(&out),
            json!({
                "id": event_id("Person", "7", 1), "type": "PersonCreated", "version": "1",
                "aggregateType": "Person", "aggregateId": "7", "sequence": 1, "position": 9,
                "data": {"PersonCreated": {"id": 7, "about": "say \"hi\"\n", "last_name": "Lee"}},
                "metadata": {"source": "nats", "correlation_id": "c-1"},
            })
        );
        assert_eq!(
            out.headers.get("Rollcall-Correlation-Id").map(|v| v.as_str()),
            Some("c-1")
        );
        assert_eq!(
            out.headers.get("Nats-Msg-Id").map(|v| v.to_string()),
            Some(event_id("Person", "7", 1).to_string())
        );
    }

    #[test]
    fn a_password_hash_never_goes_out_however_deep() {
        let mut r = row(
            json!({"UserCreated": {"email": "a@b.io", "password_hash": "$argon2id$secret", "n": [{"password_hash": 1}]}}),
            json!({}),
        );
        r.aggregate_type = "User".into();
        r.event_type = "UserCreated".into();
        let out = outgoing(&r, ONE_MIB, false).unwrap();
        assert!(!String::from_utf8_lossy(&out.payload).contains("argon2id"));
        assert_eq!(
            parsed(&out)["data"],
            json!({"UserCreated": {"email": "a@b.io", "n": [{}]}})
        );
    }

    #[test]
    fn subjects_follow_the_interface() {
        assert_eq!(subject("rc", "Person", "PersonCreated"), "rc.events.person.created");
        assert_eq!(subject("rc", "User", "UserCreated"), "rc.events.user.created");
    }

    #[test]
    fn event_ids_are_deterministic_and_distinct() {
        assert_eq!(event_id("Person", "1", 1), event_id("Person", "1", 1));
        assert_ne!(event_id("Person", "1", 1), event_id("Person", "1", 2));
        assert_ne!(event_id("Person", "1", 1), event_id("User", "1", 1));
    }

    #[test]
    fn the_password_hash_is_scrubbed_at_any_depth() {
        let mut v =
            json!({"UserCreated": {"email": "a@b.io", "password_hash": "$argon2id$x", "n": [{"password_hash": 1}]}});
        scrub(&mut v);
        assert_eq!(v, json!({"UserCreated": {"email": "a@b.io", "n": [{}]}}));
    }

    /// The heaviest person the rules accept: control characters (six bytes of JSON each) until one
    /// more would be refused.
    fn heaviest_person() -> PersonEvent {
        let draft = |n: usize| PersonDraft {
            first_name: Some("\u{1}".repeat(255)),
            about: Some("\u{1}".repeat(8_000)),
            custom_field_list: (1..=100)
                .map(|key| CustomFieldInput {
                    key,
                    value: Some("\u{1}".repeat(n)),
                })
                .collect(),
            ..PersonDraft::default()
        };
        // The longest value that still fits, by bisection (`lo` fits, `hi` does not).
        let (mut lo, mut hi) = (1, 8_001);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if draft(mid).validate().is_ok() {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let n = lo;
        assert!(matches!(draft(n + 1).validate(), Err(PersonError::TooLarge(_))));
        PersonEvent::PersonCreated(PersonCreated {
            id: i64::MAX,
            fields: draft(n).validate().unwrap(),
            created_by: Uuid::nil(),
            created_at: ApiDateTime::parse("2025-01-10T10:15:42Z").unwrap(),
        })
    }

    #[test]
    fn the_heaviest_person_accepted_goes_out_whole_in_one_default_nats_message() {
        let event = heaviest_person();
        let metadata = json!({
            "correlation_id": "c".repeat(MAX_CORRELATION_ID),
            "idempotency_key": "\u{1}".repeat(MAX_IDEMPOTENCY_KEY),
            "source": "nats",
            "actor_id": Uuid::nil(),
        });
        let row = row(serde_json::to_value(&event).unwrap(), metadata);
        let out = outgoing(&row, ONE_MIB, false).expect("it fits");
        assert_eq!(out.form, Form::Whole);
        let size = wire_len(&out.headers) + out.payload.len();
        assert!(size > MAX_RECORD_BYTES, "as heavy as allowed: {size}");
        assert!(size < ONE_MIB - 64 * 1024, "with headroom to spare: {size}");
    }

    #[test]
    fn an_event_too_large_for_the_limit_goes_out_thin_and_one_too_large_even_so_not_at_all() {
        let row = row(
            json!({"PersonCreated": {"about": "x".repeat(5_000)}}),
            json!({"correlation_id": "y".repeat(60_000)}),
        );
        let whole = outgoing(&row, ONE_MIB, false).unwrap();
        assert_eq!(whole.form, Form::Whole);
        assert!(whole.headers.get("Rollcall-Correlation-Id").is_none(), "not a sane id");
        let thin = outgoing(&row, 2_000, false).unwrap();
        assert_eq!(thin.form, Form::Thin);
        assert_eq!(thin.headers.get(OMITTED).map(|v| v.as_str()), Some("data, metadata"));
        let body = parsed(&thin);
        assert_eq!(body["aggregateId"], "7");
        assert!(body.get("data").is_none() && body.get("metadata").is_none());
        assert_eq!(body["omitted"]["bytes"].as_u64(), Some(whole.payload.len() as u64));
        assert_eq!(
            outgoing(&row, ONE_MIB, true).unwrap().form,
            Form::Thin,
            "thin when asked"
        );
        assert!(outgoing(&row, 100, false).is_none());
    }
}
