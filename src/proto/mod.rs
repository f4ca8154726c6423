//! The protobuf contract (`proto/rollcall/v1/*.proto`), independent of any transport: the generated
//! messages, and their translation to the application's drafts, queries and views. gRPC serves it;
//! NATS accepts its create requests as payloads.

mod companies;
mod convert;
pub mod names;
mod persons;
mod users;

pub use companies::{company, company_draft};
pub use convert::{Invalid, guid, guids, list_query, timestamp_in, timestamp_out, user_key};
pub use persons::{person, person_draft};
pub use users::{user, user_draft};

/// The generated `rollcall.v1` messages, clients and servers.
pub mod pb {
    #![allow(missing_docs)]
    tonic::include_proto!("rollcall.v1");

    /// The encoded descriptors of `rollcall.v1`, served by reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("rollcall_v1_descriptor");
}
