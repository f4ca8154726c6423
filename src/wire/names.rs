//! The REST (ONLYOFFICE) spelling of every input a rejection can be about.

use crate::application::Field;

/// `field` as the REST facade and JSON NATS payloads spell it.
pub fn rest(field: Field) -> &'static str {
    match field {
        Field::Body => "body",
        Field::Id => "id",
        Field::FirstName => "firstName",
        Field::LastName => "lastName",
        Field::JobTitle => "jobTitle",
        Field::CompanyId => "companyId",
        Field::CompanyName => "companyName",
        Field::About => "about",
        Field::ShareType => "shareType",
        Field::ManagerList => "managerList",
        Field::CustomFields => "customFieldList",
        Field::Photo => "photo",
        Field::InfoType => "infoType",
        Field::Data => "data",
        Field::Category => "category",
        Field::IsPrimary => "isPrimary",
        Field::ExpectedVersion => "If-Match",
        Field::UserFirstName => "firstname",
        Field::UserLastName => "lastname",
        Field::Email => "email",
        Field::Password => "password",
        Field::IsVisitor => "isVisitor",
        Field::Title => "title",
        Field::Location => "location",
        Field::Sex => "sex",
        Field::Birthday => "birthday",
        Field::WorksFrom => "worksfrom",
        Field::Comment => "comment",
        Field::Department => "department",
        Field::Contacts => "contacts",
        Field::Files => "files",
        Field::Lead => "lead",
        Field::SortBy => "sortBy",
        Field::SortOrder => "sortOrder",
        Field::StartIndex => "startIndex",
        Field::Count => "count",
        Field::FilterValue => "filterValue",
        Field::IdempotencyKey => "Idempotency-Key",
    }
}
