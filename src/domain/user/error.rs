//! Why a user command is refused: one variant per rule. Messages never name the field: `field()`
//! does. `refusal()` says what kind of refusal each rule is (bad input, unknown user, no right, or a
//! state that does not allow the change).

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
    #[error("cannot be cleared")]
    WorksFromRequired,
    #[error("must contain from 8 to 120 characters, ASCII symbols (a-z, 0-9, special characters, no spaces)")]
    PasswordPolicy,
    #[error("only Active and Terminated can be set")]
    StatusNotSettable,
    #[error("the user name does not derive from the email")]
    UserNameMismatch,
    #[error("the password could not be hashed")]
    PasswordHashFailed,
    /// The user does not exist, or was deleted.
    #[error("user not found")]
    NotFound,
    #[error("{}", Self::NOT_YOURS)]
    NotYourProfile,
    #[error("{}", Self::ADMINS_ONLY)]
    AdminsOnly,
    #[error("{}", Self::TITLE_AND_LEAD)]
    TitleAndLeadAdminsOnly,
    #[error("{}", Self::OWNER_GRANTS)]
    OwnerGrantsAdministrators,
    #[error("{}", Self::OWNER_CREDENTIALS)]
    OwnerCredentials,
    #[error("{}", Self::OWNER_STATUS)]
    OwnerStaysActive,
    #[error("{}", Self::OWN_STATUS)]
    OwnStatus,
    #[error("{}", Self::OWNER_TYPE)]
    OwnerCannotBeVisitor,
    #[error("{}", Self::OWNER_ADMIN)]
    OwnerStaysAdministrator,
    #[error("{}", Self::OWNER_DELETE)]
    OwnerCannotBeDeleted,
    #[error("{}", Self::TERMINATED)]
    Terminated,
    #[error("{}", Self::NOT_TERMINATED)]
    NotTerminated,
    #[error("{}", Self::VISITOR_ADMIN)]
    VisitorCannotBeAdministrator,
    #[error("{}", Self::ADMIN_VISITOR)]
    AdministratorCannotBeVisitor,
}

/// What kind of refusal a rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The input breaks a rule.
    Invalid,
    /// The user does not exist (any more).
    NotFound,
    /// The caller lacks the right: the message says which.
    Forbidden(&'static str),
    /// The user's state does not allow it: the message says why.
    Conflict(&'static str),
    /// Not the request's fault (hashing failed, a bug in the caller of the domain).
    Failure,
}

impl UserError {
    const NOT_YOURS: &'static str = "you may change only your own profile";
    const ADMINS_ONLY: &'static str = "only administrators can do this";
    const TITLE_AND_LEAD: &'static str = "only administrators change title and lead";
    const OWNER_GRANTS: &'static str = "only the portal owner grants and revokes administrator rights";
    const OWNER_CREDENTIALS: &'static str = "only the portal owner changes the owner's email and password";
    const OWNER_STATUS: &'static str = "the portal owner cannot be terminated";
    const OWN_STATUS: &'static str = "you cannot terminate or reactivate yourself";
    const OWNER_TYPE: &'static str = "the portal owner cannot be a visitor";
    const OWNER_ADMIN: &'static str = "the portal owner's administrator rights cannot be revoked";
    const OWNER_DELETE: &'static str = "the portal owner cannot be deleted";
    const TERMINATED: &'static str = "the user is terminated: reactivate them first";
    const NOT_TERMINATED: &'static str = "only a terminated user can be deleted";
    const VISITOR_ADMIN: &'static str = "a visitor cannot be an administrator";
    const ADMIN_VISITOR: &'static str = "an administrator cannot be a visitor: revoke the rights first";

    pub fn refusal(&self) -> Refusal {
        use UserError::*;
        match self {
            NotFound => Refusal::NotFound,
            NotYourProfile => Refusal::Forbidden(Self::NOT_YOURS),
            AdminsOnly => Refusal::Forbidden(Self::ADMINS_ONLY),
            TitleAndLeadAdminsOnly => Refusal::Forbidden(Self::TITLE_AND_LEAD),
            OwnerGrantsAdministrators => Refusal::Forbidden(Self::OWNER_GRANTS),
            OwnerCredentials => Refusal::Forbidden(Self::OWNER_CREDENTIALS),
            OwnerStaysActive => Refusal::Forbidden(Self::OWNER_STATUS),
            OwnStatus => Refusal::Forbidden(Self::OWN_STATUS),
            OwnerCannotBeVisitor => Refusal::Forbidden(Self::OWNER_TYPE),
            OwnerStaysAdministrator => Refusal::Forbidden(Self::OWNER_ADMIN),
            OwnerCannotBeDeleted => Refusal::Forbidden(Self::OWNER_DELETE),
            Terminated => Refusal::Conflict(Self::TERMINATED),
            NotTerminated => Refusal::Conflict(Self::NOT_TERMINATED),
            VisitorCannotBeAdministrator => Refusal::Conflict(Self::VISITOR_ADMIN),
            AdministratorCannotBeVisitor => Refusal::Conflict(Self::ADMIN_VISITOR),
            PasswordHashFailed | UserNameMismatch => Refusal::Failure,
            _ => Refusal::Invalid,
        }
    }

    /// The input the error is about, `None` for state errors.
    pub fn field(&self) -> Option<Field> {
        use UserError::*;
        match self {
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
            WorksFromRequired => Some(Field::WorksFrom),
            PasswordPolicy => Some(Field::Password),
            AlreadyCreated
            | StatusNotSettable
            | UserNameMismatch
            | PasswordHashFailed
            | NotFound
            | NotYourProfile
            | AdminsOnly
            | TitleAndLeadAdminsOnly
            | OwnerGrantsAdministrators
            | OwnerCredentials
            | OwnerStaysActive
            | OwnStatus
            | OwnerCannotBeVisitor
            | OwnerStaysAdministrator
            | OwnerCannotBeDeleted
            | Terminated
            | NotTerminated
            | VisitorCannotBeAdministrator
            | AdministratorCannotBeVisitor => None,
        }
    }
}
