//! Rules every CRM contact (person or company) shares: managers and custom fields.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::values::{MAX_LIST, MAX_TEXT, char_len};

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
