//! The CRM contact company aggregate.

mod aggregate;
mod commands;
mod error;
mod events;

pub use aggregate::Company;
pub use commands::{CompanyCommand, CompanyDraft, CreateCompany};
pub use error::CompanyError;
pub use events::{CompanyCreated, CompanyEvent, CompanyFields};
