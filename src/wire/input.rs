//! Binding a request body to a draft, as ONLYOFFICE does: top-level names are matched
//! case-insensitively, nested ones as `Name`/`name`, scalars may arrive as strings (forms), `null`
//! means absent, and every failure names the field. Every string bound is checked against the
//! control-character rule (`domain::text`), so no transport can carry one into a command or a query.
//!
//! The binders read any [`Node`]: REST's `serde_json::Value` and NATS's borrowed `wire::json::Json`
//! bind by the same rules, with the same errors.

use uuid::Uuid;

use super::node::{self, Node, View};

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
pub struct Fields<'a, N: Node + 'a> {
    entries: N::Entries<'a>,
}

impl<'a, N: Node + 'a> Fields<'a, N> {
    pub fn new(body: &'a N) -> Result<Self, BindError> {
        match body.view() {
            View::Object(entries) => Ok(Fields { entries }),
            _ => Err(err("body", "the request body must be an object")),
        }
    }

    /// The value named `name` in any case, `null` included (an update tells absent from `null`).
    pub(super) fn raw(&self, name: &str) -> Option<&'a N> {
        node::find(self.entries.clone(), name)
    }

    /// The value named `name` in any case; `null` counts as absent.
    fn get(&self, name: &str) -> Option<&'a N> {
        self.raw(name).filter(|v| !v.is_null())
    }

    /// What the value named `name` is, `null` counting as absent.
    pub(super) fn view(&self, name: &str) -> Option<View<'a, N>> {
        self.get(name).map(N::view)
    }

    pub fn string(&self, name: &str) -> Result<Option<String>, BindError> {
        self.get(name).map(|v| string(name, v)).transpose()
    }

    /// An integer; `""` counts as absent.
    pub fn int(&self, name: &str) -> Result<Option<i64>, BindError> {
        match self.view(name) {
            None => Ok(None),
            Some(View::Number(n)) => n.as_i64().map(Some).ok_or_else(|| err(name, "must be an integer")),
            Some(View::Str(s)) if s.trim().is_empty() => Ok(None),
            Some(View::Str(s)) => s.trim().parse().map(Some).map_err(|_| err(name, "must be an integer")),
            Some(_) => Err(err(name, "must be an integer")),
        }
    }

    /// `true`/`false` (any case, also as strings); absent is `false`, as in ONLYOFFICE.
    pub fn bool(&self, name: &str) -> Result<bool, BindError> {
        match self.view(name) {
            None => Ok(false),
            Some(View::Bool(b)) => Ok(b),
            Some(View::Str(s)) if s.trim().eq_ignore_ascii_case("true") => Ok(true),
            Some(View::Str(s)) if s.trim().eq_ignore_ascii_case("false") || s.trim().is_empty() => Ok(false),
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
    pub fn list(&self, name: &str) -> Result<Vec<&'a N>, BindError> {
        let Some(v) = self.get(name) else {
            return Ok(vec![]);
        };
        match v.view() {
            View::Array(items) => Ok(items.iter().filter(|v| !v.is_null()).collect()),
            View::Object(map)
                if map.clone().next().is_some() && map.clone().all(|(k, _)| k.parse::<usize>().is_ok()) =>
            {
                let mut entries: Vec<_> = map.map(|(k, v)| (k.parse::<usize>().unwrap_or(0), v)).collect();
                entries.sort_by_key(|(i, _)| *i);
                Ok(entries.into_iter().map(|(_, v)| v).collect())
            }
            _ => Ok(vec![v]),
        }
    }
}

fn string<N: Node>(field: &str, v: &N) -> Result<String, BindError> {
    match v.view() {
        View::Str(s) => checked(field, s),
        _ => Err(err(field, "must be a string")),
    }
}

/// `s`, when it holds no control character (see `domain::text`).
pub(super) fn checked(field: &str, s: &str) -> Result<String, BindError> {
    text::check(s)
        .map(|()| s.to_string())
        .map_err(|e| err(field, e.to_string()))
}

/// A nested property, matched as `Name` or `name` (ONLYOFFICE's binder), here in any case.
fn nested<'v, N: Node>(item: &'v N, field: &str, name: &str) -> Result<Option<&'v N>, BindError> {
    match item.view() {
        View::Object(entries) => Ok(node::find::<N>(entries, name).filter(|v| !v.is_null())),
        _ => Err(err(field, "each entry must be an object")),
    }
}

pub(super) fn share_type<N: Node>(fields: &Fields<'_, N>) -> Result<ShareType, BindError> {
    let raw = match fields.view("shareType") {
        None => return Ok(ShareType::None),
        Some(View::Number(n)) => n.to_string(),
        Some(View::Str(s)) if s.trim().is_empty() => return Ok(ShareType::None),
        Some(View::Str(s)) => s.to_string(),
        Some(_) => return Err(err("shareType", "must be 0, 1, 2, none, readWrite or read")),
    };
    ShareType::parse(&raw).ok_or_else(|| err("shareType", "must be 0, 1, 2, none, readWrite or read"))
}

pub(super) fn custom_fields<N: Node>(fields: &Fields<'_, N>) -> Result<Vec<CustomFieldInput>, BindError> {
    const F: &str = "customFieldList";
    let mut out = Vec::new();
    for item in fields.list(F)? {
        let key = match nested(item, F, "Key")?.map(N::view) {
            Some(View::Number(n)) => n.as_i64(),
            Some(View::Str(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| err(F, "each entry needs an integer Key"))?;
        let value = match nested(item, F, "Value")?.map(N::view) {
            None => None,
            Some(View::Str(s)) => Some(checked(F, s)?),
            // As `Value`'s `to_string` writes them.
            Some(View::Number(n)) => Some(n.to_string()),
            Some(View::Bool(b)) => Some(b.to_string()),
            Some(_) => return Err(err(F, "a Value must be a string")),
        };
        out.push(CustomFieldInput { key, value });
    }
    Ok(out)
}

/// Binds `POST crm/contact/person` (the photo is bound by the adapter that receives files).
pub fn person_draft<N: Node>(body: &N) -> Result<PersonDraft, BindError> {
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
pub fn company_draft<N: Node>(body: &N) -> Result<CompanyDraft, BindError> {
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

pub(super) fn contacts<N: Node>(fields: &Fields<'_, N>) -> Result<Vec<ContactInput>, BindError> {
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
pub fn user_draft<N: Node>(body: &N) -> Result<UserDraft, BindError> {
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

// The seed tests bind `Value`s, as REST does.
#[cfg(test)]
use serde_json::Value;

#[cfg(test)]
mod tests;
