//! The CRM contact company aggregate.

mod aggregate;
mod commands;
mod decide;
mod error;
mod events;
#[cfg(test)]
mod lifecycle_tests;
mod record;

pub use aggregate::Company;
pub use commands::{CompanyCommand, CompanyDraft, CompanyPatch, CreateCompany};
pub use error::CompanyError;
pub use events::{CompanyChanges, CompanyCreated, CompanyEvent, CompanyFields};
pub use record::CompanyRecord;
