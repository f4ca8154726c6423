//! Why a group command is refused: one variant per rule. Messages never name the field: `field()`
//! does.

use uuid::Uuid;

use crate::domain::field::Field;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    #[error("this group already exists")]
    AlreadyCreated,
    /// The group does not exist, or was deleted.
    #[error("group not found")]
    NotFound,
    #[error("is required and must not be blank")]
    NameRequired,
    #[error("is longer than 128 characters")]
    NameTooLong,
    #[error("{0} is not a user")]
    ManagerUnknown(Uuid),
    #[error("{0} is not a user")]
    MemberUnknown(Uuid),
    #[error("a group holds at most 10000 members")]
    TooManyMembers,
}

impl GroupError {
    /// The input the error is about, `None` for state errors.
    pub fn field(&self) -> Option<Field> {
        match self {
            GroupError::AlreadyCreated | GroupError::NotFound => None,
            GroupError::NameRequired | GroupError::NameTooLong => Some(Field::GroupName),
            GroupError::ManagerUnknown(_) => Some(Field::GroupManager),
            GroupError::MemberUnknown(_) | GroupError::TooManyMembers => Some(Field::Members),
        }
    }
}
