//! The portal user aggregate.

#[cfg(test)]
mod access_tests;
mod aggregate;
mod commands;
mod decide;
mod error;
mod events;
#[cfg(test)]
mod lifecycle_tests;
mod password;
mod record;

pub use aggregate::User;
pub use commands::{
    ContactInput, CreateUser, Editor, UpdateUser, UserCommand, UserDraft, UserPatch, UserRole, ValidUser,
};
pub use error::{Refusal, UserError};
pub use events::{
    ActivationStatus, AdministratorChanged, EmailChanged, PasswordChanged, Reactivated, Terminated, TypeChanged,
    UserChanges, UserContact, UserCreated, UserEvent, UserRemoved, UserStatus, UserType,
};
pub use password::{HashError, PasswordHash, PasswordHasher, check_password_policy};
pub use record::UserRecord;
