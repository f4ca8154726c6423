//! Why a person command is refused: one variant per rule.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonError {
    #[error("this person already exists")]
    AlreadyCreated,
    #[error("firstName is required and must not be blank")]
    FirstNameRequired,
    #[error("firstName is longer than 255 characters")]
    FirstNameTooLong,
    #[error("lastName is longer than 255 characters")]
    LastNameTooLong,
    #[error("jobTitle is longer than 255 characters")]
    JobTitleTooLong,
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
    /// The request field the error is about (ONLYOFFICE names), `None` for state errors.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            PersonError::AlreadyCreated => None,
            PersonError::FirstNameRequired | PersonError::FirstNameTooLong => Some("firstName"),
            PersonError::LastNameTooLong => Some("lastName"),
            PersonError::JobTitleTooLong => Some("jobTitle"),
            PersonError::AboutTooLong => Some("about"),
            PersonError::TooManyManagers => Some("managerList"),
            PersonError::TooManyCustomFields
            | PersonError::CustomFieldKeyInvalid
            | PersonError::CustomFieldValueTooLong => Some("customFieldList"),
        }
    }
}
