//! Path and query parameters, read by hand so that every failure is a 400 naming the parameter and
//! query names match in any case, as ONLYOFFICE matches them. Query strings and form bodies are
//! decoded strictly: text that is not UTF-8 once percent-decoded, or that holds a control character
//! (`domain::text`), is refused naming the parameter instead of being stored as `U+FFFD`.

use crate::application::{ListQuery, SortOrder};
use crate::domain::text;

use super::error::ApiError;

/// Refuses (400 naming the parameter) a request whose query string holds text the service refuses,
/// whether or not its route reads the query: no route takes such input silently.
pub async fn checked_query(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    match pairs(req.uri().query()) {
        Ok(_) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// The query string's pairs (not UTF-8, or a control character → 400 naming the parameter).
pub fn pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    urlencoded(raw.unwrap_or_default().as_bytes(), "query")
}

/// `application/x-www-form-urlencoded` pairs (`+` is a space, `%XX` a byte), in order. A name that
/// cannot be read is reported as `whole` (`query`, `body`); a value as its name (before any `[`).
pub fn urlencoded(raw: &[u8], whole: &str) -> Result<Vec<(String, String)>, ApiError> {
    raw.split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &pair[pair.len()..]),
            };
            let name =
                String::from_utf8(unescape(name)).map_err(|_| ApiError::invalid(whole, "a name is not UTF-8"))?;
            text::check(&name).map_err(|e| ApiError::invalid(whole, format!("a name {e}")))?;
            let field = name.split('[').next().unwrap_or_default();
            let value =
                String::from_utf8(unescape(value)).map_err(|_| ApiError::invalid(field, "is not UTF-8 text"))?;
            text::check(&value).map_err(|e| ApiError::invalid(field, e))?;
            Ok((name, value))
        })
        .collect()
}

/// Percent-decoding; a `%` not followed by two hex digits stays as it is.
fn unescape(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let escaped = (raw[i] == b'%')
            .then(|| Some((hex(*raw.get(i + 1)?)?, hex(*raw.get(i + 2)?)?)))
            .flatten();
        match (raw[i], escaped) {
            (_, Some((high, low))) => {
                // Two hex digits make one byte.
                out.push(u8::try_from(high * 16 + low).unwrap_or_default());
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (b, None) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// A user's GUID or user name from the path (a control character → 400 naming `id`).
pub fn user_key(raw: &str) -> Result<&str, ApiError> {
    text::check(raw).map(|()| raw).map_err(|e| ApiError::invalid("id", e))
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
    fn urlencoded_text_is_decoded_strictly_and_names_the_parameter() {
        let got = urlencoded(b"a=1+2%2B3&b&contacts[0][Value]=x%40y&&c=%zz%4", "body").unwrap();
        let want = [("a", "1 2+3"), ("b", ""), ("contacts[0][Value]", "x@y"), ("c", "%zz%4")];
        assert_eq!(got, want.map(|(k, v)| (k.to_string(), v.to_string())));
        assert_eq!(
            urlencoded(b"firstName=%FF%FE", "body").unwrap_err().message,
            "firstName: is not UTF-8 text"
        );
        assert!(
            urlencoded(b"contacts[0][Value]=%00", "body")
                .unwrap_err()
                .message
                .starts_with("contacts: ")
        );
        assert!(
            urlencoded(b"%FF=1", "query")
                .unwrap_err()
                .message
                .starts_with("query: ")
        );
        assert_eq!(
            list_query(Some("filterValue=a%07")).unwrap_err().message,
            "filterValue: must not contain control characters (found U+0007)"
        );
        assert!(user_key("ann\u{0}").is_err() && user_key("ann").is_ok());
    }

    #[test]
    fn contact_ids_are_positive_integers() {
        assert_eq!(contact_id("42").unwrap(), 42);
        for bad in ["abc", "0", "-1", "1.5", "99999999999999999999"] {
            assert!(contact_id(bad).unwrap_err().message.starts_with("id:"), "{bad}");
        }
    }
}
