//! Why a user command is refused: one variant per rule. Messages never name the field: `field()`
//! does.

use crate::domain::field::Field;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("this user already exists")]
    AlreadyCreated,
    #[error("is required")]
    EmailRequired,
    #[error("is not a valid address")]
    EmailInvalid,
    #[error("is required and must not be blank")]
    FirstNameRequired,
    #[error("is longer than 255 characters")]
    FirstNameTooLong,
    #[error("is required and must not be blank")]
    LastNameRequired,
    #[error("is longer than 255 characters")]
    LastNameTooLong,
    #[error("is longer than 255 characters")]
    TitleTooLong,
    #[error("is longer than 255 characters")]
    LocationTooLong,
    #[error("is longer than 8000 characters")]
    CommentTooLong,
    #[error("has more than 100 entries")]
    TooManyDepartments,
    #[error("has more than 100 entries")]
    TooManyContacts,
    #[error("every contact needs a Type")]
    ContactTypeRequired,
    #[error("a Type or Value is longer than 255 characters")]
    ContactTooLong,
    #[error("is longer than 2048 characters")]
    AvatarUrlTooLong,
    #[error("is in the future")]
    BirthdayInFuture,
    #[error("must contain from 8 to 120 characters, ASCII symbols (a-z, 0-9, special characters, no spaces)")]
    PasswordPolicy,
    #[error("the user name does not derive from the email")]
    UserNameMismatch,
    #[error("the password could not be hashed")]
    PasswordHashFailed,
}

impl UserError {
    /// The input the error is about, `None` for state errors.
    pub fn field(&self) -> Option<Field> {
        use UserError::*;
        match self {
            AlreadyCreated | UserNameMismatch | PasswordHashFailed => None,
            EmailRequired | EmailInvalid => Some(Field::Email),
            FirstNameRequired | FirstNameTooLong => Some(Field::UserFirstName),
            LastNameRequired | LastNameTooLong => Some(Field::UserLastName),
            TitleTooLong => Some(Field::Title),
            LocationTooLong => Some(Field::Location),
            CommentTooLong => Some(Field::Comment),
            TooManyDepartments => Some(Field::Department),
            TooManyContacts | ContactTypeRequired | ContactTooLong => Some(Field::Contacts),
            AvatarUrlTooLong => Some(Field::Files),
            BirthdayInFuture => Some(Field::Birthday),
            PasswordPolicy => Some(Field::Password),
        }
    }
}
