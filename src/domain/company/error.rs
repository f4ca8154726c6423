//! Why a company command is refused: one variant per rule. Messages never name the field: `field()`
//! does.

use crate::domain::contact::ContactRule;
use crate::domain::field::Field;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompanyError {
    #[error("this company already exists")]
    AlreadyCreated,
    /// The company does not exist, or was deleted.
    #[error("company not found")]
    NotFound,
    #[error("contact data not found")]
    InfoNotFound,
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
            ContactRule::AboutTooLong => CompanyError::AboutTooLong,
            ContactRule::TooManyManagers => CompanyError::TooManyManagers,
            ContactRule::TooManyCustomFields => CompanyError::TooManyCustomFields,
            ContactRule::CustomFieldKeyInvalid => CompanyError::CustomFieldKeyInvalid,
            ContactRule::CustomFieldValueTooLong => CompanyError::CustomFieldValueTooLong,
        }
    }
}

impl From<crate::domain::contact_info::InfoRule> for CompanyError {
    fn from(rule: crate::domain::contact_info::InfoRule) -> Self {
        use crate::domain::contact_info::InfoRule::*;
        match rule {
            TypeRequired => CompanyError::InfoTypeRequired,
            AddressNotSupported => CompanyError::InfoAddressNotSupported,
            DataRequired => CompanyError::InfoDataRequired,
            DataTooLong => CompanyError::InfoDataTooLong,
            EmailInvalid => CompanyError::InfoEmailInvalid,
            CategoryInvalid => CompanyError::InfoCategoryInvalid,
            TooMany => CompanyError::TooManyInfos,
            NotFound => CompanyError::InfoNotFound,
        }
    }
}

impl CompanyError {
    /// The input the error is about, `None` for state errors.
    pub fn field(&self) -> Option<Field> {
        match self {
            CompanyError::AlreadyCreated | CompanyError::NotFound | CompanyError::InfoNotFound => None,
            CompanyError::InfoTypeRequired | CompanyError::InfoAddressNotSupported => Some(Field::InfoType),
            CompanyError::InfoDataRequired | CompanyError::InfoDataTooLong | CompanyError::InfoEmailInvalid => {
                Some(Field::Data)
            }
            CompanyError::InfoCategoryInvalid => Some(Field::Category),
            CompanyError::TooManyInfos => Some(Field::Body),
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
