//! Binding a request body to a draft, as ONLYOFFICE does: top-level names are matched
//! case-insensitively, nested ones as `Name`/`name`, scalars may arrive as strings (forms), `null`
//! means absent, and every failure names the field. Every string bound is checked against the
//! control-character rule (`domain::text`), so no transport can carry one into a command or a query.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::company::CompanyDraft;
use crate::domain::datetime::ApiDateTime;
use crate::domain::person::{CustomFieldInput, PersonDraft};
use crate::domain::text;
use crate::domain::user::{ContactInput, UserDraft};
use crate::domain::values::{Sex, ShareType, parse_guid};

/// A field that could not be read; `message` is safe to show to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct BindError {
    pub field: String,
    pub message: String,
}

pub(super) fn err(field: &str, message: impl Into<String>) -> BindError {
    BindError {
        field: field.to_string(),
        message: message.into(),
    }
}

/// A body's fields, looked up case-insensitively.
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    pub fn new(body: &'a Value) -> Result<Self, BindError> {
        match body {
            Value::Object(map) => Ok(Fields { map }),
            _ => Err(err("body", "the request body must be an object")),
        }
    }

    /// The value named `name` in any case, `null` included (an update tells absent from `null`).
    pub(super) fn raw(&self, name: &str) -> Option<&'a Value> {
        self.map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The value named `name` in any case; `null` counts as absent.
    fn get(&self, name: &str) -> Option<&'a Value> {
        self.map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    pub fn string(&self, name: &str) -> Result<Option<String>, BindError> {
        self.get(name).map(|v| string(name, v)).transpose()
    }

    /// An integer; `""` counts as absent.
    pub fn int(&self, name: &str) -> Result<Option<i64>, BindError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| err(name, "must be an integer")),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| err(name, "must be an integer")),
            Some(_) => Err(err(name, "must be an integer")),
        }
    }

    /// `true`/`false` (any case, also as strings); absent is `false`, as in ONLYOFFICE.
    pub fn bool(&self, name: &str) -> Result<bool, BindError> {
        match self.get(name) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("true") => Ok(true),
            Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("false") || s.trim().is_empty() => Ok(false),
            Some(_) => Err(err(name, "must be true or false")),
        }
    }

    pub fn guid(&self, name: &str) -> Result<Option<Uuid>, BindError> {
        match self.string(name)? {
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Ok(None),
            Some(s) => parse_guid(&s).map(Some).ok_or_else(|| err(name, "must be a GUID")),
        }
    }

    pub fn guids(&self, name: &str) -> Result<Vec<Uuid>, BindError> {
        self.list(name)?
            .into_iter()
            .map(|v| string(name, v))
            .filter(|s| !matches!(s, Ok(s) if s.trim().is_empty()))
            .map(|s| s.and_then(|s| parse_guid(&s).ok_or_else(|| err(name, format!("{s:?} is not a GUID")))))
            .collect()
    }

    pub fn date(&self, name: &str) -> Result<Option<ApiDateTime>, BindError> {
        match self.string(name)? {
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Ok(None),
            Some(s) => ApiDateTime::parse(&s).map(Some).map_err(|e| err(name, e.to_string())),
        }
    }

    /// A list: a JSON array, a single value (one-element list), or a form-style object `{"0":…,"1":…}`.
    pub fn list(&self, name: &str) -> Result<Vec<&'a Value>, BindError> {
        match self.get(name) {
            None => Ok(vec![]),
            Some(Value::Array(items)) => Ok(items.iter().filter(|v| !v.is_null()).collect()),
            Some(Value::Object(map)) if !map.is_empty() && map.keys().all(|k| k.parse::<usize>().is_ok()) => {
                let mut entries: Vec<_> = map.iter().map(|(k, v)| (k.parse::<usize>().unwrap_or(0), v)).collect();
                entries.sort_by_key(|(i, _)| *i);
                Ok(entries.into_iter().map(|(_, v)| v).collect())
            }
            Some(v @ Value::Object(_)) => Ok(vec![v]),
            Some(v) => Ok(vec![v]),
        }
    }
}

fn string(field: &str, v: &Value) -> Result<String, BindError> {
    match v {
        Value::String(s) => checked(field, s),
        _ => Err(err(field, "must be a string")),
    }
}

/// `s`, when it holds no control character (see `domain::text`).
fn checked(field: &str, s: &str) -> Result<String, BindError> {
    text::check(s)
        .map(|()| s.to_string())
        .map_err(|e| err(field, e.to_string()))
}

/// A nested property, matched as `Name` or `name` (ONLYOFFICE's binder), here in any case.
fn nested<'v>(item: &'v Value, field: &str, name: &str) -> Result<Option<&'v Value>, BindError> {
    match item {
        Value::Object(map) => Ok(map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())),
        _ => Err(err(field, "each entry must be an object")),
    }
}

pub(super) fn share_type(fields: &Fields<'_>) -> Result<ShareType, BindError> {
    let raw = match fields.get("shareType") {
        None => return Ok(ShareType::None),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(ShareType::None),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(err("shareType", "must be 0, 1, 2, none, readWrite or read")),
    };
    ShareType::parse(&raw).ok_or_else(|| err("shareType", "must be 0, 1, 2, none, readWrite or read"))
}

pub(super) fn custom_fields(fields: &Fields<'_>) -> Result<Vec<CustomFieldInput>, BindError> {
    const F: &str = "customFieldList";
    let mut out = Vec::new();
    for item in fields.list(F)? {
        let key = match nested(item, F, "Key")? {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| err(F, "each entry needs an integer Key"))?;
        let value = match nested(item, F, "Value")? {
            None => None,
            Some(Value::String(s)) => Some(checked(F, s)?),
            Some(v @ (Value::Number(_) | Value::Bool(_))) => Some(v.to_string()),
            Some(_) => return Err(err(F, "a Value must be a string")),
        };
        out.push(CustomFieldInput { key, value });
    }
    Ok(out)
}

/// Binds `POST crm/contact/person` (the photo is bound by the adapter that receives files).
pub fn person_draft(body: &Value) -> Result<PersonDraft, BindError> {
    let f = Fields::new(body)?;
    Ok(PersonDraft {
        first_name: f.string("firstName")?,
        last_name: f.string("lastName")?,
        job_title: f.string("jobTitle")?,
        company_id: f.int("companyId")?,
        about: f.string("about")?,
        share_type: share_type(&f)?,
        manager_list: f.guids("managerList")?,
        custom_field_list: custom_fields(&f)?,
        photo: None,
    })
}

/// Binds `POST crm/contact/company` (the photo is bound by the adapter that receives files).
pub fn company_draft(body: &Value) -> Result<CompanyDraft, BindError> {
    let f = Fields::new(body)?;
    Ok(CompanyDraft {
        company_name: f.string("companyName")?,
        about: f.string("about")?,
        share_type: share_type(&f)?,
        manager_list: f.guids("managerList")?,
        custom_field_list: custom_fields(&f)?,
        photo: None,
    })
}

pub(super) fn contacts(fields: &Fields<'_>) -> Result<Vec<ContactInput>, BindError> {
    const F: &str = "contacts";
    fields
        .list(F)?
        .into_iter()
        .map(|item| {
            let text = |name| -> Result<String, BindError> {
                nested(item, F, name)?
                    .map(|v| string(F, v))
                    .transpose()
                    .map(Option::unwrap_or_default)
            };
            Ok(ContactInput {
                kind: text("Type")?,
                value: text("Value")?,
            })
        })
        .collect()
}

/// Binds `POST people`.
pub fn user_draft(body: &Value) -> Result<UserDraft, BindError> {
    let f = Fields::new(body)?;
    Ok(UserDraft {
        is_visitor: f.bool("isVisitor")?,
        email: f.string("email")?,
        first_name: f.string("firstname")?,
        last_name: f.string("lastname")?,
        department: f.guids("department")?,
        title: f.string("title")?,
        location: f.string("location")?,
        sex: f.string("sex")?.as_deref().and_then(Sex::parse_lenient),
        birthday: f.date("birthday")?,
        works_from: f.date("worksfrom")?,
        comment: f.string("comment")?,
        contacts: contacts(&f)?,
        files: f.string("files")?,
        password: f.string("password")?.map(secrecy::SecretString::from),
        lead: f.guid("lead")?,
    })
}

#[cfg(test)]
mod tests;
