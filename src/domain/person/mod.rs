//! The CRM contact person aggregate.

mod aggregate;
mod commands;
mod decide;
mod error;
mod events;
#[cfg(test)]
mod lifecycle_tests;
mod record;

pub use crate::domain::contact::{CustomField, CustomFieldInput};
pub use aggregate::Person;
pub use commands::{CreatePerson, PersonCommand, PersonDraft, PersonPatch};
pub use error::PersonError;
pub use events::{CompanyLink, ContactInfoRemoved, Deleted, PersonChanges, PersonCreated, PersonEvent, PersonFields};
pub use record::PersonRecord;
