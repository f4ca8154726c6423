//! Path and query parameters, read by hand so that every failure is a 400 naming the parameter and
//! query names match in any case, as ONLYOFFICE matches them.

use crate::application::{ListQuery, SortOrder};

use super::error::ApiError;

/// The query string's pairs (undecodable → 400).
pub fn pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_str(raw.unwrap_or_default()).map_err(|e| ApiError::invalid("query", e))
}

/// The first value of `name`, in any case; empty counts as absent.
pub fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn integer(pairs: &[(String, String)], name: &str) -> Result<Option<i64>, ApiError> {
    value(pairs, name)
        .map(|v| match v.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(n),
            _ => Err(ApiError::invalid(name, "must be a non-negative integer")),
        })
        .transpose()
}

/// `startIndex`, `count`, `filterValue`, `sortBy`, `sortOrder`.
pub fn list_query(raw: Option<&str>) -> Result<ListQuery, ApiError> {
    let pairs = pairs(raw)?;
    Ok(ListQuery {
        start_index: integer(&pairs, "startIndex")?.unwrap_or(0),
        count: integer(&pairs, "count")?,
        filter_value: value(&pairs, "filterValue").map(str::to_string),
        sort_by: value(&pairs, "sortBy").map(str::to_string),
        sort_order: value(&pairs, "sortOrder")
            .map(|v| {
                SortOrder::parse(v).ok_or_else(|| ApiError::invalid("sortOrder", "must be ascending or descending"))
            })
            .transpose()?,
    })
}

/// A positive integer path parameter named `name`.
pub fn positive(name: &str, raw: &str) -> Result<i64, ApiError> {
    match raw.trim().parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(ApiError::invalid(name, "must be a positive integer")),
    }
}

/// A CRM contact id from the path.
pub fn contact_id(raw: &str) -> Result<i64, ApiError> {
    match raw.trim().parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(ApiError::invalid("id", "must be a positive integer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_parameters_match_in_any_case_and_bad_numbers_name_the_parameter() {
        let q = list_query(Some(
            "STARTINDEX=5&count=2&filtervalue=ann&sortBy=lastName&sortOrder=descending",
        ))
        .unwrap();
        assert_eq!((q.start_index, q.count), (5, Some(2)));
        assert_eq!(q.filter_value.as_deref(), Some("ann"));
        assert_eq!(q.sort_order, Some(SortOrder::Descending));
        assert!(list_query(Some("count=x")).unwrap_err().message.starts_with("count:"));
        let bogus = list_query(Some("sortOrder=bogus")).unwrap_err();
        assert_eq!(bogus.message, "sortOrder: must be ascending or descending");
        assert!(
            list_query(Some("startIndex=-1"))
                .unwrap_err()
                .message
                .starts_with("startIndex:")
        );
        assert_eq!(list_query(None).unwrap(), ListQuery::default());
    }

    #[test]
    fn contact_ids_are_positive_integers() {
        assert_eq!(contact_id("42").unwrap(), 42);
        for bad in ["abc", "0", "-1", "1.5", "99999999999999999999"] {
            assert!(contact_id(bad).unwrap_err().message.starts_with("id:"), "{bad}");
        }
    }
}
