//! The CRM contact person aggregate.

mod aggregate;
mod commands;
mod error;
mod events;

pub use crate::domain::contact::{CustomField, CustomFieldInput};
pub use aggregate::Person;
pub use commands::{CreatePerson, PersonCommand, PersonDraft};
pub use error::PersonError;
pub use events::{PersonCreated, PersonEvent, PersonFields};
