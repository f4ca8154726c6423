//! Rules every CRM contact (person or company) shares: managers, custom fields and access.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::values::{MAX_LIST, MAX_TEXT, ShareType, char_len};

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
