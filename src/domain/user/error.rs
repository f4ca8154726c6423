//! Why a user command is refused: one variant per rule.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("this user already exists")]
    AlreadyCreated,
    #[error("email is required")]
    EmailRequired,
    #[error("email is not a valid address")]
    EmailInvalid,
    #[error("firstname is required and must not be blank")]
    FirstNameRequired,
    #[error("firstname is longer than 255 characters")]
    FirstNameTooLong,
    #[error("lastname is required and must not be blank")]
    LastNameRequired,
    #[error("lastname is longer than 255 characters")]
    LastNameTooLong,
    #[error("title is longer than 255 characters")]
    TitleTooLong,
    #[error("location is longer than 255 characters")]
    LocationTooLong,
    #[error("comment is longer than 8000 characters")]
    CommentTooLong,
    #[error("department has more than 100 entries")]
    TooManyDepartments,
    #[error("contacts has more than 100 entries")]
    TooManyContacts,
    #[error("contacts: every contact needs a Type")]
    ContactTypeRequired,
    #[error("contacts: a Type or Value is longer than 255 characters")]
    ContactTooLong,
    #[error("files is longer than 2048 characters")]
    AvatarUrlTooLong,
    #[error("birthday is in the future")]
    BirthdayInFuture,
    #[error("password must contain from 8 to 120 characters, ASCII symbols (a-z, 0-9, special characters, no spaces)")]
    PasswordPolicy,
    #[error("the user name does not derive from the email")]
    UserNameMismatch,
    #[error("the password could not be hashed")]
    PasswordHashFailed,
}

impl UserError {
    /// The request field the error is about (ONLYOFFICE names), `None` for state errors.
    pub fn field(&self) -> Option<&'static str> {
        use UserError::*;
        match self {
            AlreadyCreated | UserNameMismatch | PasswordHashFailed => None,
            EmailRequired | EmailInvalid => Some("email"),
            FirstNameRequired | FirstNameTooLong => Some("firstname"),
            LastNameRequired | LastNameTooLong => Some("lastname"),
            TitleTooLong => Some("title"),
            LocationTooLong => Some("location"),
            CommentTooLong => Some("comment"),
            TooManyDepartments => Some("department"),
            TooManyContacts | ContactTypeRequired | ContactTooLong => Some("contacts"),
            AvatarUrlTooLong => Some("files"),
            BirthdayInFuture => Some("birthday"),
            PasswordPolicy => Some("password"),
        }
    }
}
