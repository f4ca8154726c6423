//! `Field`: which input a rejection is about, independent of any transport's spelling. Each adapter
//! names it in its own vocabulary (REST wire names in `wire::names`, proto field names in
//! `proto::names`), so no field name ever travels inside a message string.

/// An input of a command or query. CRM persons and portal users have distinct name fields because
/// their REST APIs spell them differently (`firstName` vs `firstname`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The request body as a whole (not an object, not decodable).
    Body,
    /// The id of the record addressed.
    Id,
    FirstName,
    LastName,
    JobTitle,
    CompanyId,
    CompanyName,
    About,
    ShareType,
    ManagerList,
    CustomFields,
    Photo,
    /// Contact data: `infoType`, `data`, `category`, `isPrimary`.
    InfoType,
    Data,
    Category,
    IsPrimary,
    /// The version a change expects (`If-Match`, `expected_version`, `Rollcall-Expected-Version`).
    ExpectedVersion,
    UserFirstName,
    UserLastName,
    Email,
    Password,
    IsVisitor,
    Title,
    Location,
    Sex,
    Birthday,
    WorksFrom,
    Comment,
    Department,
    Contacts,
    Files,
    Lead,
    SortBy,
    SortOrder,
    StartIndex,
    Count,
    FilterValue,
    IdempotencyKey,
    /// Groups: `groupName`, `groupManager` (or `userid` of `PUT group/{id}/manager`), `members`.
    GroupName,
    GroupManager,
    Members,
}
