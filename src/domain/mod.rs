//! The domain: aggregates, commands, events and validated values. No I/O lives here: what a decision
//! needs from outside (ids, the actor, the clock, a free user name) arrives inside the command.

pub mod company;
pub mod contact;
pub mod contact_info;
pub mod datetime;
pub mod field;
pub mod group;
pub mod person;
pub mod size;
pub mod text;
pub mod user;
pub mod values;
