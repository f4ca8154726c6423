//! Request bodies, whatever their form, as the JSON value `wire::input` binds: JSON as is,
//! `application/x-www-form-urlencoded` and multipart text fields through bracket notation
//! (`contacts[0][Type]=GTalk` → `{"contacts":{"0":{"Type":"GTalk"}}}`), `text/xml` through
//! [`xml::parse_body`], plus the one file a multipart body may carry (the person's photo).
//!
//! Limits: 1 MiB for JSON, form and XML bodies, 6 MiB for multipart ones, 5 MiB for the photo;
//! beyond them the answer is 413. Other content types are 415. A body not received within the read
//! timeout of its headers is 408 (see `serve`).

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};
use serde_json::{Map, Value};

use super::error::ApiError;
use super::serve::BodyTimeout;
use super::xml;

/// Largest JSON, form or XML body.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// Largest multipart body (a photo and its text fields).
pub const MULTIPART_LIMIT: usize = 6 * 1024 * 1024;
/// Largest photo.
pub const PHOTO_LIMIT: usize = crate::application::PhotoUpload::MAX_BYTES;
/// Most fields of a form body, and deepest bracket nesting.
const MAX_FORM_FIELDS: usize = 2_000;
const MAX_FORM_DEPTH: usize = 8;

/// An uploaded file, as the client described it.
#[derive(Debug, Clone)]
pub struct Upload {
    pub content_type: String,
    pub bytes: Bytes,
}

/// A request body: its fields, and the file of a multipart body.
#[derive(Debug)]
pub struct Input {
    pub fields: Value,
    pub photo: Option<Upload>,
}

impl<S: Send + Sync> FromRequest<S> for Input {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        // A compressed (or otherwise encoded) body would be read as if it were plain: refused instead.
        let encoded = req
            .headers()
            .get_all(CONTENT_ENCODING)
            .iter()
            .flat_map(|v| v.to_str().unwrap_or("?").split(','))
            .any(|coding| !coding.trim().eq_ignore_ascii_case("identity"));
        if encoded {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported Content-Encoding: send the body unencoded (identity)",
            ));
        }
        let media = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
            .unwrap_or_default();
        let fields = match media.as_str() {
            "multipart/form-data" => return multipart(req, state).await,
            "application/json" => json(&read(req).await?)?,
            m if m.starts_with("application/") && m.ends_with("+json") => json(&read(req).await?)?,
            "application/x-www-form-urlencoded" => form(&read(req).await?)?,
            "text/xml" | "application/xml" => {
                let bytes = read(req).await?;
                let text = std::str::from_utf8(&bytes).map_err(|_| ApiError::body("XML must be UTF-8"))?;
                xml::parse_body(text).map_err(ApiError::body)?
            }
            // No content type and no body: nothing was sent, so required fields are reported missing.
            "" if read(req).await?.is_empty() => Value::Object(Map::new()),
            _ => return Err(unsupported()),
        };
        Ok(Input { fields, photo: None })
    }
}

fn unsupported() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported content type: send application/json, application/x-www-form-urlencoded, \
         multipart/form-data or text/xml",
    )
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body too large: at most {} MiB", limit / (1024 * 1024)),
    )
}

/// The whole body, at most [`BODY_LIMIT`] bytes.
async fn read(req: Request) -> Result<Bytes, ApiError> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return Err(too_large(BODY_LIMIT));
    }
    axum::body::to_bytes(req.into_body(), BODY_LIMIT).await.map_err(|e| {
        if caused_by::<http_body_util::LengthLimitError>(&e) {
            too_large(BODY_LIMIT)
        } else if caused_by::<BodyTimeout>(&e) {
            too_slow()
        } else {
            ApiError::body("could not be read")
        }
    })
}

/// 408: the body did not arrive within the read timeout (the connection is closed after it).
fn too_slow() -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "body: not received within the read timeout",
    )
}

/// Whether `E` is in the chain of `e`.
fn caused_by<E: std::error::Error + 'static>(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(err) = next {
        if err.is::<E>() {
            return true;
        }
        next = err.source();
    }
    false
}

fn json(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::body(format!("malformed JSON: {e}")))
}

fn form(bytes: &[u8]) -> Result<Value, ApiError> {
    tree(super::params::urlencoded(bytes, "body")?)
}

/// Form pairs in bracket notation as a JSON tree: `a[0][b]=v` → `{"a":{"0":{"b":"v"}}}`, `a[]=v` and
/// repeated `a=v` → arrays. Names merge case-insensitively, as ONLYOFFICE matches them.
pub fn tree(pairs: Vec<(String, String)>) -> Result<Value, ApiError> {
    if pairs.len() > MAX_FORM_FIELDS {
        return Err(ApiError::body(format!("more than {MAX_FORM_FIELDS} fields")));
    }
    let mut root = Map::new();
    for (key, value) in pairs {
        let path = segments(&key);
        if path.len() > MAX_FORM_DEPTH {
            return Err(ApiError::invalid(&path[0], "nested too deeply"));
        }
        insert(&mut root, &path, value)?;
    }
    Ok(Value::Object(root))
}

/// `a[0][b]` → `["a","0","b"]`, `a[]` → `["a",""]`; a name with unbalanced brackets is taken as is.
fn segments(key: &str) -> Vec<String> {
    let Some(open) = key.find('[').filter(|&i| i > 0 && key.ends_with(']')) else {
        return vec![key.to_string()];
    };
    let mut out = vec![key[..open].to_string()];
    let mut rest = &key[open..];
    while let Some(inner) = rest.strip_prefix('[') {
        let Some(close) = inner.find(']') else {
            return vec![key.to_string()];
        };
        out.push(inner[..close].to_string());
        rest = &inner[close + 1..];
    }
    if rest.is_empty() { out } else { vec![key.to_string()] }
}

fn insert(map: &mut Map<String, Value>, path: &[String], value: String) -> Result<(), ApiError> {
    let Some((name, rest)) = path.split_first() else {
        return Ok(());
    };
    let key = map
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.clone());
    let slot = map.entry(key).or_insert(Value::Null);
    match rest {
        // `a=v` (or `a[]=v`): a value, or one more of a repeated name.
        [] => push(slot, name, value, false),
        [last] if last.is_empty() => push(slot, name, value, true),
        _ => {
            if slot.is_null() {
                *slot = Value::Object(Map::new());
            }
            match slot {
                Value::Object(inner) => insert(inner, rest, value),
                _ => Err(ApiError::invalid(
                    name,
                    "is sent both as a value and as a list of fields",
                )),
            }
        }
    }
}

/// Sets or appends a value; `list` (`a[]=v`) makes even a single value a list.
fn push(slot: &mut Value, name: &str, value: String, list: bool) -> Result<(), ApiError> {
    match slot {
        Value::Null if list => *slot = Value::Array(vec![Value::String(value)]),
        Value::Null => *slot = Value::String(value),
        Value::String(_) => *slot = Value::Array(vec![slot.take(), Value::String(value)]),
        Value::Array(items) => items.push(Value::String(value)),
        _ => {
            return Err(ApiError::invalid(
                name,
                "is sent both as a value and as a list of fields",
            ));
        }
    }
    Ok(())
}

/// Text fields through bracket notation, plus at most one file (ONLYOFFICE takes the files whatever
/// their field name; so do we).
async fn multipart<S: Send + Sync>(req: Request, state: &S) -> Result<Input, ApiError> {
    let mut parts = Multipart::from_request(req, state)
        .await
        .map_err(|e| ApiError::body(format!("malformed multipart: {}", e.body_text())))?;
    let (mut pairs, mut photo) = (Vec::new(), None);
    while let Some(mut field) = parts.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        let Some(file_name) = field.file_name().map(str::to_string) else {
            // Strict UTF-8: a text part that is not text is refused, never stored as U+FFFD.
            let bytes = field.bytes().await.map_err(multipart_error)?;
            let field_name = name.split('[').next().unwrap_or_default();
            let text =
                String::from_utf8(bytes.to_vec()).map_err(|_| ApiError::invalid(field_name, "is not UTF-8 text"))?;
            pairs.push((name, text));
            continue;
        };
        let content_type = field.content_type().unwrap_or("application/octet-stream").to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if bytes.len() + chunk.len() > PHOTO_LIMIT {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("photo: larger than {} MiB", PHOTO_LIMIT / (1024 * 1024)),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        // Browsers send an empty, unnamed file part when no file was chosen.
        if bytes.is_empty() && file_name.is_empty() {
            continue;
        }
        if photo.is_some() {
            return Err(ApiError::invalid("photo", "only one file can be uploaded"));
        }
        photo = Some(Upload {
            content_type,
            bytes: bytes.into(),
        });
    }
    Ok(Input {
        fields: tree(pairs)?,
        photo,
    })
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(MULTIPART_LIMIT)
    } else if caused_by::<BodyTimeout>(&e) {
        too_slow()
    } else {
        ApiError::body(format!("malformed multipart: {}", e.body_text()))
    }
}

#[cfg(test)]
mod tests;
