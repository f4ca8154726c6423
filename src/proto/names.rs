//! The proto spelling of every input a rejection can be about (the request field's name in the
//! `.proto`; inputs that are no field of a message are named as their role there).

use crate::application::Field;

/// `field` as the `rollcall.v1` request messages spell it.
pub fn proto(field: Field) -> &'static str {
    match field {
        Field::Body => "body",
        Field::Id => "id",
        Field::FirstName | Field::UserFirstName => "first_name",
        Field::LastName | Field::UserLastName => "last_name",
        Field::JobTitle => "job_title",
        Field::CompanyId => "company_id",
        Field::CompanyName => "company_name",
        Field::About => "about",
        Field::ShareType => "share_type",
        Field::ManagerList => "manager_list",
        Field::CustomFields => "custom_fields",
        Field::Photo => "photo",
        Field::InfoType => "info_type",
        Field::Data => "data",
        Field::Category => "category",
        Field::IsPrimary => "is_primary",
        Field::ExpectedVersion => "expected_version",
        Field::Email => "email",
        Field::Password => "password",
        Field::IsVisitor => "is_visitor",
        Field::Title => "title",
        Field::Location => "location",
        Field::Sex => "sex",
        Field::Birthday => "birthday",
        Field::WorksFrom => "works_from",
        Field::Comment => "comment",
        Field::Department => "department",
        Field::Contacts => "contacts",
        Field::Files => "files",
        Field::Lead => "lead",
        Field::SortBy => "sort_by",
        Field::SortOrder => "sort_order",
        Field::StartIndex => "start_index",
        Field::Count => "count",
        Field::FilterValue => "filter_value",
        Field::IdempotencyKey => "request_id",
        Field::GroupName => "name",
        Field::GroupManager => "manager",
        Field::Members => "members",
    }
}
