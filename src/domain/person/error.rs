//! Why a person command is refused: one variant per rule. Messages never name the field: `field()`
//! does, and each adapter spells it in its own vocabulary.

use crate::domain::field::Field;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonError {
    #[error("this person already exists")]
    AlreadyCreated,
    #[error("is required and must not be blank")]
    FirstNameRequired,
    #[error("is longer than 255 characters")]
    FirstNameTooLong,
    #[error("is longer than 255 characters")]
    LastNameTooLong,
    #[error("is longer than 255 characters")]
    JobTitleTooLong,
    #[error("is longer than 8000 characters")]
    AboutTooLong,
    #[error("must be a positive integer, the id of an existing company")]
    CompanyIdNotPositive,
    #[error("has more than 100 entries")]
    TooManyManagers,
    #[error("has more than 100 entries")]
    TooManyCustomFields,
    #[error("a Key must be a positive field id")]
    CustomFieldKeyInvalid,
    #[error("a Value is longer than 8000 characters")]
    CustomFieldValueTooLong,
}

impl From<crate::domain::contact::ContactRule> for PersonError {
    fn from(rule: crate::domain::contact::ContactRule) -> Self {
        use crate::domain::contact::ContactRule::*;
        match rule {
            TooManyManagers => PersonError::TooManyManagers,
            TooManyCustomFields => PersonError::TooManyCustomFields,
            CustomFieldKeyInvalid => PersonError::CustomFieldKeyInvalid,
            CustomFieldValueTooLong => PersonError::CustomFieldValueTooLong,
        }
    }
}

impl PersonError {
    /// The input the error is about, `None` for state errors.
    pub fn field(&self) -> Option<Field> {
        match self {
            PersonError::AlreadyCreated => None,
            PersonError::FirstNameRequired | PersonError::FirstNameTooLong => Some(Field::FirstName),
            PersonError::LastNameTooLong => Some(Field::LastName),
            PersonError::JobTitleTooLong => Some(Field::JobTitle),
            PersonError::AboutTooLong => Some(Field::About),
            PersonError::CompanyIdNotPositive => Some(Field::CompanyId),
            PersonError::TooManyManagers => Some(Field::ManagerList),
            PersonError::TooManyCustomFields
            | PersonError::CustomFieldKeyInvalid
            | PersonError::CustomFieldValueTooLong => Some(Field::CustomFields),
        }
    }
}
