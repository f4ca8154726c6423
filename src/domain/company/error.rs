//! Why a company command is refused: one variant per rule.

use crate::domain::contact::ContactRule;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompanyError {
    #[error("this company already exists")]
    AlreadyCreated,
    #[error("companyName is required and must not be blank")]
    CompanyNameRequired,
    #[error("companyName is longer than 255 characters")]
    CompanyNameTooLong,
    #[error("about is longer than 8000 characters")]
    AboutTooLong,
    #[error("managerList has more than 100 entries")]
    TooManyManagers,
    #[error("customFieldList has more than 100 entries")]
    TooManyCustomFields,
    #[error("customFieldList: a Key must be a positive field id")]
    CustomFieldKeyInvalid,
    #[error("customFieldList: a Value is longer than 8000 characters")]
    CustomFieldValueTooLong,
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
    /// The request field the error is about (ONLYOFFICE names), `None` for state errors.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            CompanyError::AlreadyCreated => None,
            CompanyError::CompanyNameRequired | CompanyError::CompanyNameTooLong => Some("companyName"),
            CompanyError::AboutTooLong => Some("about"),
            CompanyError::TooManyManagers => Some("managerList"),
            CompanyError::TooManyCustomFields
            | CompanyError::CustomFieldKeyInvalid
            | CompanyError::CustomFieldValueTooLong => Some("customFieldList"),
        }
    }
}
