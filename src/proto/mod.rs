//! The protobuf contract (`proto/rollcall/v1/*.proto`), independent of any transport: the generated
//! messages, and their translation to the application's drafts, patches, queries and views. gRPC
//! serves it; NATS accepts its create and change requests as payloads.

mod companies;
mod contacts;
mod convert;
mod groups;
pub mod names;
mod persons;
mod users;

pub use companies::{company, company_draft};
pub use contacts::{
    Access, access, company_patch, contact_access, contact_data, contact_data_draft, expect, person_patch, positive,
    version,
};
pub use convert::{Invalid, guid, guids, list_query, timestamp_in, timestamp_out, user_key};
pub use groups::{group, group_draft, group_id, group_patch, group_summary, members};
pub use persons::{person, person_draft};
pub use users::{MAX_USER_IDS, administrator, user, user_draft, user_ids, user_patch, user_status_in, user_type_in};

/// The generated `rollcall.v1` messages, clients and servers.
pub mod pb {
    #![allow(missing_docs)]
    tonic::include_proto!("rollcall.v1");

    /// The encoded descriptors of `rollcall.v1`, served by reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("rollcall_v1_descriptor");
}
