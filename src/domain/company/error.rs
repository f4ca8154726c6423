//! Why a company command is refused: one variant per rule. Messages never name the field: `field()`
//! does.

use crate::domain::contact::ContactRule;
use crate::domain::field::Field;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompanyError {
    #[error("this company already exists")]
    AlreadyCreated,
    #[error("is required and must not be blank")]
    CompanyNameRequired,
    #[error("is longer than 255 characters")]
    CompanyNameTooLong,
    #[error("is longer than 8000 characters")]
    AboutTooLong,
    #[error("has more than 100 entries")]
    TooManyManagers,
    #[error("has more than 100 entries")]
    TooManyCustomFields,
    #[error("a Key must be a positive field id")]
    CustomFieldKeyInvalid,
    #[error("a Value is longer than 8000 characters")]
    CustomFieldValueTooLong,
    /// The record would weigh more than `size::MAX_RECORD_BYTES`; names its heaviest field.
    #[error("makes the record larger than 512 KiB as JSON, the most one record may hold")]
    TooLarge(Field),
}

impl From<ContactRule> for CompanyError {
    fn from(rule: ContactRule) -> Self {
        match rule {
            ContactRule::TooManyManagers => CompanyError::TooManyManagers,
            ContactRule::TooManyCustomFields => CompanyError::TooManyCustomFields,
            ContactRule::CustomFieldKeyInvalid => CompanyError::CustomFieldKeyInvalid,
            ContactRule::CustomFieldValueTooLong => CompanyError::CustomFieldValueTooLong,
        }
    }
}

impl CompanyError {
    /// The input the error is about, `None` for state errors.
    pub fn field(&self) -> Option<Field> {
        match self {
            CompanyError::AlreadyCreated => None,
            CompanyError::CompanyNameRequired | CompanyError::CompanyNameTooLong => Some(Field::CompanyName),
            CompanyError::AboutTooLong => Some(Field::About),
            CompanyError::TooManyManagers => Some(Field::ManagerList),
            CompanyError::TooManyCustomFields
            | CompanyError::CustomFieldKeyInvalid
            | CompanyError::CustomFieldValueTooLong => Some(Field::CustomFields),
            CompanyError::TooLarge(field) => Some(*field),
        }
    }
}
