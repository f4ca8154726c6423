//! Why a person command is refused: one variant per rule. Messages never name the field: `field()`
//! does, and each adapter spells it in its own vocabulary.

use crate::domain::field::Field;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonError {
    #[error("this person already exists")]
    AlreadyCreated,
    /// The person does not exist, or was deleted.
    #[error("person not found")]
    NotFound,
    #[error("contact data not found")]
    InfoNotFound,
    #[error("must not be cleared")]
    LastNameRequired,
    #[error("must be a positive contact id")]
    CompanyIdInvalid,
    #[error("is required: Phone, Email, Website, Skype, … by name or number")]
    InfoTypeRequired,
    #[error("addresses are not contact data here")]
    InfoAddressNotSupported,
    #[error("is required and must not be blank")]
    InfoDataRequired,
    #[error("is longer than 255 characters")]
    InfoDataTooLong,
    #[error("is not a valid email address")]
    InfoEmailInvalid,
    #[error("is not a category of this infoType")]
    InfoCategoryInvalid,
    #[error("a contact holds at most 100 entries of contact data")]
    TooManyInfos,
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
    /// The record would weigh more than `size::MAX_RECORD_BYTES`; names its heaviest field.
    #[error("makes the record larger than 512 KiB as JSON, the most one record may hold")]
    TooLarge(Field),
}

impl From<crate::domain::contact::ContactRule> for PersonError {
    fn from(rule: crate::domain::contact::ContactRule) -> Self {
        use crate::domain::contact::ContactRule::*;
        match rule {
            AboutTooLong => PersonError::AboutTooLong,
            TooManyManagers => PersonError::TooManyManagers,
            TooManyCustomFields => PersonError::TooManyCustomFields,
            CustomFieldKeyInvalid => PersonError::CustomFieldKeyInvalid,
            CustomFieldValueTooLong => PersonError::CustomFieldValueTooLong,
        }
    }
}

impl From<crate::domain::contact_info::InfoRule> for PersonError {
    fn from(rule: crate::domain::contact_info::InfoRule) -> Self {
        use crate::domain::contact_info::InfoRule::*;
        match rule {
            TypeRequired => PersonError::InfoTypeRequired,
            AddressNotSupported => PersonError::InfoAddressNotSupported,
            DataRequired => PersonError::InfoDataRequired,
            DataTooLong => PersonError::InfoDataTooLong,
            EmailInvalid => PersonError::InfoEmailInvalid,
            CategoryInvalid => PersonError::InfoCategoryInvalid,
            TooMany => PersonError::TooManyInfos,
            NotFound => PersonError::InfoNotFound,
        }
    }
}

impl PersonError {
    /// The input the error is about, `None` for state errors.
    pub fn field(&self) -> Option<Field> {
        match self {
            PersonError::AlreadyCreated | PersonError::NotFound | PersonError::InfoNotFound => None,
            PersonError::LastNameRequired => Some(Field::LastName),
            PersonError::CompanyIdInvalid => Some(Field::CompanyId),
            PersonError::InfoTypeRequired | PersonError::InfoAddressNotSupported => Some(Field::InfoType),
            PersonError::InfoDataRequired | PersonError::InfoDataTooLong | PersonError::InfoEmailInvalid => {
                Some(Field::Data)
            }
            PersonError::InfoCategoryInvalid => Some(Field::Category),
            PersonError::TooManyInfos => Some(Field::Body),
            PersonError::FirstNameRequired | PersonError::FirstNameTooLong => Some(Field::FirstName),
            PersonError::LastNameTooLong => Some(Field::LastName),
            PersonError::JobTitleTooLong => Some(Field::JobTitle),
            PersonError::AboutTooLong => Some(Field::About),
            PersonError::CompanyIdNotPositive => Some(Field::CompanyId),
            PersonError::TooManyManagers => Some(Field::ManagerList),
            PersonError::TooManyCustomFields
            | PersonError::CustomFieldKeyInvalid
            | PersonError::CustomFieldValueTooLong => Some(Field::CustomFields),
            PersonError::TooLarge(field) => Some(*field),
        }
    }
}
