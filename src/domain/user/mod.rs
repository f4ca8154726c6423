//! The portal user aggregate.

mod aggregate;
mod commands;
mod error;
mod events;
mod password;

pub use aggregate::User;
pub use commands::{ContactInput, CreateUser, UserCommand, UserDraft, UserRole, ValidUser};
pub use error::UserError;
pub use events::{ActivationStatus, UserContact, UserCreated, UserEvent, UserStatus};
pub use password::{HashError, PasswordHash, PasswordHasher, check_password_policy};
