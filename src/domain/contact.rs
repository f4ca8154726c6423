//! Rules every CRM contact (person or company) shares: managers, custom fields and access.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::values::{MAX_LIST, MAX_TEXT, Patch, PhotoRef, ShareType, char_len};

/// One `customFieldList` entry as sent: `{Key: int, Value: string|null}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldInput {
    pub key: i64,
    pub value: Option<String>,
}

/// A stored custom field value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomField {
    pub key: i32,
    pub value: String,
}

/// A shared contact rule that was broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactRule {
    AboutTooLong,
    TooManyManagers,
    TooManyCustomFields,
    CustomFieldKeyInvalid,
    CustomFieldValueTooLong,
}

/// The managers, deduplicated, at most [`MAX_LIST`].
pub fn managers(list: &[Uuid]) -> Result<Vec<Uuid>, ContactRule> {
    if list.len() > MAX_LIST {
        return Err(ContactRule::TooManyManagers);
    }
    let mut out = Vec::with_capacity(list.len());
    for m in list {
        if !out.contains(m) {
            out.push(*m);
        }
    }
    Ok(out)
}

/// The custom fields worth storing: as in ONLYOFFICE, only entries with a value; keys positive.
pub fn custom_fields(list: &[CustomFieldInput]) -> Result<Vec<CustomField>, ContactRule> {
    if list.len() > MAX_LIST {
        return Err(ContactRule::TooManyCustomFields);
    }
    let mut out = Vec::new();
    for field in list {
        let Some(value) = field.value.as_deref().filter(|v| !v.is_empty()) else {
            continue;
        };
        let key = i32::try_from(field.key)
            .ok()
            .filter(|k| *k > 0)
            .ok_or(ContactRule::CustomFieldKeyInvalid)?;
        if char_len(value) > MAX_TEXT {
            return Err(ContactRule::CustomFieldValueTooLong);
        }
        out.push(CustomField {
            key,
            value: value.to_string(),
        });
    }
    Ok(out)
}

/// What an update changes of the content persons and companies share (`about`, custom fields, photo):
/// each `Some` only when it differs from the current value.
#[derive(Debug, Default)]
pub struct ContentChanges {
    pub about: Option<String>,
    pub custom_fields: Option<Vec<CustomField>>,
    pub photo: Option<PhotoRef>,
}

/// Decides the shared content of an update: `about` is trimmed (cleared to `""`) and bounded, custom
/// fields follow [`custom_fields`], a photo replaces the current one.
pub fn content_changes(
    (about_now, fields_now, photo_now): (&str, &[CustomField], Option<&PhotoRef>),
    about: &Patch<String>,
    fields: Option<&[CustomFieldInput]>,
    photo: Option<&PhotoRef>,
) -> Result<ContentChanges, ContactRule> {
    let about = match about {
        Patch::Keep => None,
        Patch::Clear => Some(String::new()),
        Patch::Set(v) if char_len(v.trim()) > MAX_TEXT => return Err(ContactRule::AboutTooLong),
        Patch::Set(v) => Some(v.trim().to_string()),
    };
    let custom_fields = fields.map(custom_fields).transpose()?.filter(|f| f != fields_now);
    Ok(ContentChanges {
        about: about.filter(|a| a != about_now),
        custom_fields,
        photo: photo.filter(|p| photo_now != Some(*p)).cloned(),
    })
}

/// Who may see and change a contact: its share type and, for a private one, its managers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    pub share_type: ShareType,
    pub managers: Vec<Uuid>,
}

/// The access `share_type` and `managers` (each `None` = keep) make from `current`; `None` when
/// nothing changes.
pub fn access_change(
    current: &Access,
    share_type: Option<ShareType>,
    managers: Option<&[Uuid]>,
) -> Result<Option<Access>, ContactRule> {
    if share_type.is_none() && managers.is_none() {
        return Ok(None);
    }
    let next = Access {
        share_type: share_type.unwrap_or(current.share_type),
        managers: match managers {
            Some(list) => self::managers(list)?,
            None => current.managers.clone(),
        },
    };
    Ok((next != *current).then_some(next))
}
