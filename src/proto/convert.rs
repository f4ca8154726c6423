//! Translations shared by every message: text, GUIDs, timestamps and list queries. Input that cannot
//! be translated is an `Invalid` naming the proto field. Text is checked against the
//! control-character rule (`domain::text`) here, so gRPC and protobuf NATS payloads share it.

use chrono::{DateTime, Datelike};
use prost_types::Timestamp;
use uuid::Uuid;

use super::pb;
use crate::application::{ListQuery, SortOrder};
use crate::domain::datetime::ApiDateTime;
use crate::domain::text;
use crate::domain::values::parse_guid;

/// A proto field that cannot be translated; `field` is its name in the `.proto`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct Invalid {
    pub field: &'static str,
    pub problem: String,
}

pub fn invalid(field: &'static str, problem: impl Into<String>) -> Invalid {
    Invalid {
        field,
        problem: problem.into(),
    }
}

/// `value`, when it holds no control character.
pub fn checked(field: &'static str, value: String) -> Result<String, Invalid> {
    match text::check(&value) {
        Ok(()) => Ok(value),
        Err(e) => Err(invalid(field, e.to_string())),
    }
}

/// An optional text field, when it holds no control character.
pub fn text(field: &'static str, value: Option<String>) -> Result<Option<String>, Invalid> {
    value.map(|v| checked(field, v)).transpose()
}

/// The `id` of `GetUserRequest` (a GUID or a user name), when it holds no control character.
pub fn user_key(id: &str) -> Result<&str, Invalid> {
    text::check(id).map(|()| id).map_err(|e| invalid("id", e.to_string()))
}

/// A GUID in any .NET form.
pub fn guid(field: &'static str, value: &str) -> Result<Uuid, Invalid> {
    parse_guid(value).ok_or_else(|| invalid(field, "must be a GUID (such as 9924256a-739c-462b-af15-e652a3b1b6eb)"))
}

/// Every entry of a repeated GUID field.
pub fn guids(field: &'static str, values: &[String]) -> Result<Vec<Uuid>, Invalid> {
    values.iter().map(|v| guid(field, v)).collect()
}

/// A timestamp within the API's range (years 1 to 9999, nanos below one second).
pub fn timestamp_in(field: &'static str, value: Option<Timestamp>) -> Result<Option<ApiDateTime>, Invalid> {
    let Some(ts) = value else { return Ok(None) };
    let nanos = u32::try_from(ts.nanos).ok().filter(|n| *n < 1_000_000_000);
    nanos
        .and_then(|n| DateTime::from_timestamp(ts.seconds, n))
        .filter(|t| (1..=9999).contains(&t.year()))
        .map(|t| Some(ApiDateTime::from_utc(t)))
        .ok_or_else(|| invalid(field, "the timestamp is outside 0001-01-01 to 9999-12-31"))
}

pub fn timestamp_out(value: ApiDateTime) -> Timestamp {
    let t = value.as_utc();
    Timestamp {
        seconds: t.timestamp(),
        // Below 1e9 by construction, so it fits an i32.
        nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// The list query of a `List*` request; sort keys lose their underscores (`first_name` = `firstName`).
pub fn list_query(
    start_index: i64,
    count: Option<i64>,
    filter_value: Option<String>,
    sort_by: Option<String>,
    sort_order: i32,
) -> Result<ListQuery, Invalid> {
    let sort_order = match pb::SortOrder::try_from(sort_order) {
        Ok(pb::SortOrder::Unspecified) => None,
        Ok(pb::SortOrder::Ascending) => Some(SortOrder::Ascending),
        Ok(pb::SortOrder::Descending) => Some(SortOrder::Descending),
        Err(_) => return Err(invalid("sort_order", format!("{sort_order} is not a SortOrder"))),
    };
    Ok(ListQuery {
        start_index,
        count,
        filter_value: text("filter_value", filter_value)?,
        sort_by: text("sort_by", sort_by)?.map(|s| s.replace('_', "")),
        sort_order,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_and_out_of_range_ones_name_the_field() {
        let ts = Timestamp {
            seconds: 1_207_809_000,
            nanos: 123_000,
        };
        let t = timestamp_in("birthday", Some(ts)).unwrap().unwrap();
        assert_eq!(timestamp_out(t), ts);
        for bad in [
            Timestamp { seconds: 0, nanos: -1 },
            Timestamp {
                seconds: 0,
                nanos: 1_000_000_000,
            },
            Timestamp {
                seconds: 253_402_300_800, // 10000-01-01
                nanos: 0,
            },
            Timestamp {
                seconds: i64::MIN,
                nanos: 0,
            },
        ] {
            let e = timestamp_in("birthday", Some(bad)).unwrap_err();
            assert_eq!(e.field, "birthday", "{e}");
        }
    }

    #[test]
    fn control_characters_name_the_field() {
        assert_eq!(text("about", Some("a\u{0}".into())).unwrap_err().field, "about");
        assert_eq!(text("about", Some("a\r\n\tb".into())).unwrap(), Some("a\r\n\tb".into()));
        let e = list_query(0, None, Some("\u{1b}".into()), None, 0).unwrap_err();
        assert_eq!(e.field, "filter_value");
    }

    #[test]
    fn guids_name_the_field_when_malformed() {
        assert!(guids("lead", &["{9924256a739c462baf15e652a3b1b6eb}".into()]).is_ok());
        let e = guids("manager_list", &["nope".into()]).unwrap_err();
        assert_eq!(e.field, "manager_list");
    }
}
