//! The CRM contact person aggregate.

mod aggregate;
mod commands;
mod error;
mod events;

pub use aggregate::Person;
pub use commands::{CreatePerson, CustomFieldInput, PersonCommand, PersonDraft};
pub use error::PersonError;
pub use events::{CustomField, PersonCreated, PersonEvent, PersonFields};
