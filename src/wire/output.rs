//! Writing views back in the ONLYOFFICE shapes: the Person of seed 000 (camelCase), the user of seed 003
//! (PascalCase), inside the envelope. Key order follows the seeds; XML is produced from the same JSON.
//! The DTOs also derive `utoipa::ToSchema`, so the OpenAPI document describes exactly these shapes.

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::application::{Actor, CompanyRef, CompanyView, Contact, Creator, GroupRef, PersonView, UserView};
use crate::domain::contact_info::ContactInfo;
use crate::domain::values::ShareType;

pub const AVATAR_SMALL: &str = "/skins/default/images/default_user_photo_size_32-32.png";
const AVATAR_MEDIUM: &str = "/skins/default/images/default_user_photo_size_48-48.png";
const AVATAR: &str = "/skins/default/images/default_user_photo_size_82-82.png";

/// The profile page of a user, relative to the portal.
pub fn profile_url(user_name: &str) -> String {
    format!("/Products/People/Profile.aspx?user={user_name}")
}

/// Where a contact's photo is served.
pub fn photo_url(contact_id: i64) -> String {
    format!("/api/2.0/crm/contact/{contact_id}/photo")
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatorDto {
    pub id: Uuid,
    pub display_name: Option<String>,
    pub title: Option<String>,
    pub avatar_small: &'static str,
    pub profile_url: String,
}

/// ONLYOFFICE's `ContactInfoWrapper`: one entry of a contact's data.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactInfoDto {
    pub info_type: i32,
    pub category: i32,
    pub data: String,
    pub category_name: String,
    pub is_primary: bool,
    pub id: i32,
}

pub fn contact_info(i: &ContactInfo) -> ContactInfoDto {
    ContactInfoDto {
        info_type: i.info_type.code(),
        category: i.category,
        data: i.data.clone(),
        category_name: i.info_type.category_name(i.category).unwrap_or_default().to_string(),
        is_primary: i.is_primary,
        id: i.id,
    }
}

fn common_data(list: &[ContactInfo]) -> Option<Vec<ContactInfoDto>> {
    (!list.is_empty()).then(|| list.iter().map(contact_info).collect())
}

/// A contact of either kind, as the wrapper of its kind.
pub fn contact(c: &Contact, viewer: &Actor) -> Value {
    match c {
        Contact::Person(p) => serde_json::to_value(person(p, viewer)),
        Contact::Company(c) => serde_json::to_value(company(c, viewer)),
    }
    .unwrap_or(Value::Null)
}

/// A manager in an access list (ONLYOFFICE's `EmployeeWraper`).
pub fn employee(c: &Creator) -> CreatorDto {
    creator_dto(c)
}

/// The company a person belongs to (the base contact wrapper of ONLYOFFICE).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompanyDto {
    pub company_name: Option<String>,
    pub about: String,
    pub have_late_tasks: bool,
    pub display_name: Option<String>,
    pub is_company: bool,
    pub is_private: bool,
    pub is_shared: bool,
    pub share_type: i32,
    #[schema(value_type = Option<Object>)]
    pub currency: Option<()>,
    pub can_edit: bool,
    pub can_delete: bool,
    pub id: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonDto {
    pub first_name: String,
    pub last_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<CompanyDto>,
    pub title: Option<String>,
    pub create_by: CreatorDto,
    pub created: String,
    pub about: String,
    /// Present once the contact has contact data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_data: Option<Vec<ContactInfoDto>>,
    pub have_late_tasks: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub small_foto_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medium_foto_url: Option<String>,
    pub display_name: String,
    pub is_company: bool,
    pub is_private: bool,
    pub is_shared: bool,
    pub share_type: i32,
    #[schema(value_type = Option<Object>)]
    pub currency: Option<()>,
    pub can_edit: bool,
    pub can_delete: bool,
    pub id: i64,
}

/// ONLYOFFICE's `canEdit`, as the application decides it.
fn can_edit(share: ShareType, managers: &[Uuid], viewer: &Actor) -> bool {
    viewer.may_edit(share, managers)
}

/// A person's company, as the person seed nests it.
fn nested_company(c: &CompanyRef, viewer: &Actor) -> CompanyDto {
    let editable = can_edit(c.share_type, &c.managers, viewer);
    CompanyDto {
        company_name: c.name.clone(),
        about: c.about.clone(),
        have_late_tasks: false,
        display_name: c.name.clone(),
        is_company: true,
        is_private: c.share_type == ShareType::None,
        is_shared: c.share_type != ShareType::None,
        share_type: c.share_type.code(),
        currency: None,
        can_edit: editable,
        can_delete: editable,
        id: c.id,
    }
}

pub fn person(v: &PersonView, viewer: &Actor) -> PersonDto {
    let editable = can_edit(v.share_type, &v.managers, viewer);
    let creator = &v.created_by;
    PersonDto {
        first_name: v.first_name.clone(),
        last_name: v.last_name.clone(),
        company: v.company.as_ref().map(|c| nested_company(c, viewer)),
        title: v.title.clone(),
        create_by: creator_dto(creator),
        created: v.created_at.to_api_string(),
        about: v.about.clone(),
        common_data: common_data(&v.common_data),
        have_late_tasks: false,
        small_foto_url: v.photo.as_ref().map(|_| format!("{}?size=small", photo_url(v.id))),
        medium_foto_url: v.photo.as_ref().map(|_| format!("{}?size=medium", photo_url(v.id))),
        display_name: v.display_name(),
        is_company: false,
        is_private: v.share_type == ShareType::None,
        is_shared: v.share_type != ShareType::None,
        share_type: v.share_type.code(),
        currency: None,
        can_edit: editable,
        can_delete: editable,
        id: v.id,
    }
}

/// A company (ONLYOFFICE's CompanyWrapper, in the order of the person seed's nested company).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FullCompanyDto {
    pub company_name: String,
    pub persons_count: i64,
    pub create_by: CreatorDto,
    pub created: String,
    pub about: String,
    /// Present once the contact has contact data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_data: Option<Vec<ContactInfoDto>>,
    pub have_late_tasks: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub small_foto_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medium_foto_url: Option<String>,
    pub display_name: String,
    pub is_company: bool,
    pub is_private: bool,
    pub is_shared: bool,
    pub share_type: i32,
    pub currency: Option<()>,
    pub can_edit: bool,
    pub can_delete: bool,
    pub id: i64,
}

fn creator_dto(creator: &Creator) -> CreatorDto {
    CreatorDto {
        id: creator.id,
        display_name: creator.display_name.clone(),
        title: creator.title.clone(),
        avatar_small: AVATAR_SMALL,
        profile_url: creator.user_name.as_deref().map(profile_url).unwrap_or_default(),
    }
}

pub fn company(v: &CompanyView, viewer: &Actor) -> FullCompanyDto {
    let editable = can_edit(v.share_type, &v.managers, viewer);
    FullCompanyDto {
        company_name: v.company_name.clone(),
        persons_count: v.persons_count,
        create_by: creator_dto(&v.created_by),
        created: v.created_at.to_api_string(),
        about: v.about.clone(),
        common_data: common_data(&v.common_data),
        have_late_tasks: false,
        small_foto_url: v.photo.as_ref().map(|_| format!("{}?size=small", photo_url(v.id))),
        medium_foto_url: v.photo.as_ref().map(|_| format!("{}?size=medium", photo_url(v.id))),
        display_name: v.company_name.clone(),
        is_company: true,
        is_private: v.share_type == ShareType::None,
        is_shared: v.share_type != ShareType::None,
        share_type: v.share_type.code(),
        currency: None,
        can_edit: editable,
        can_delete: editable,
        id: v.id,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ContactDto {
    #[serde(rename = "Type")]
    pub kind: String,
    pub value: String,
}

/// ONLYOFFICE's `GroupWrapperSummary`: a group in a user's `Groups` and in `GET group`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GroupDto {
    pub id: Uuid,
    pub name: String,
    /// The manager's user name; `null` when the group has none.
    pub manager: Option<String>,
}

pub fn group_summary(g: &GroupRef) -> GroupDto {
    GroupDto {
        id: g.id,
        name: g.name.clone(),
        manager: g.manager.clone(),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct UserDto {
    pub id: Uuid,
    pub user_name: String,
    pub is_visitor: bool,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub birthday: Option<String>,
    pub sex: Option<&'static str>,
    pub status: i32,
    pub activation_status: i32,
    pub terminated: Option<String>,
    pub department: String,
    pub work_from: String,
    pub location: Option<String>,
    pub notes: Option<String>,
    pub display_name: String,
    pub mobile_phone: Option<String>,
    pub mobile_phone_activation_status: String,
    pub title: Option<String>,
    pub contacts: Vec<ContactDto>,
    pub groups: Vec<GroupDto>,
    pub lead: Option<Uuid>,
    pub avatar_medium: String,
    pub avatar: String,
    pub is_admin: bool,
    #[serde(rename = "IsLDAP")]
    pub is_ldap: bool,
    pub list_admin_modules: Vec<&'static str>,
    pub is_owner: bool,
    pub culture_name: &'static str,
    #[serde(rename = "IsSSO")]
    pub is_sso: bool,
    pub avatar_small: String,
    pub profile_url: String,
}

pub fn user(v: &UserView) -> UserDto {
    let avatar = |default: &str| v.avatar_url.clone().unwrap_or_else(|| default.to_string());
    UserDto {
        id: v.id,
        user_name: v.user_name.clone(),
        is_visitor: v.is_visitor,
        first_name: v.first_name.clone(),
        last_name: v.last_name.clone(),
        email: v.email.clone(),
        birthday: v.birthday.map(|d| d.to_api_string()),
        sex: v.sex.map(|s| s.as_str()),
        status: v.status as i32,
        activation_status: v.activation_status as i32,
        terminated: v.terminated.map(|t| t.to_api_string()),
        // ONLYOFFICE joins the names with ", " ("" in no group); like every name here, not HTML-encoded.
        department: v.groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>().join(", "),
        work_from: v.works_from.to_api_string(),
        location: v.location.clone(),
        notes: v.notes.clone(),
        display_name: v.display_name(),
        mobile_phone: None,
        mobile_phone_activation_status: "0".to_string(),
        title: v.title.clone(),
        contacts: v
            .contacts
            .iter()
            .map(|c| ContactDto {
                kind: c.kind.clone(),
                value: c.value.clone(),
            })
            .collect(),
        groups: v.groups.iter().map(group_summary).collect(),
        lead: v.lead,
        avatar_medium: avatar(AVATAR_MEDIUM),
        avatar: avatar(AVATAR),
        is_admin: v.is_admin,
        is_ldap: false,
        list_admin_modules: if v.is_admin || v.is_owner {
            vec!["crm", "people"]
        } else {
            vec![]
        },
        is_owner: v.is_owner,
        culture_name: "en-US",
        is_sso: false,
        avatar_small: avatar(AVATAR_SMALL),
        profile_url: profile_url(&v.user_name),
    }
}

/// The success envelope: `{count, startIndex, nextIndex, total, status, statusCode, response}`, where
/// `count`/`startIndex` are left out when 0 and `nextIndex`/`total` when unknown.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    #[serde(skip_serializing_if = "is_zero")]
    pub count: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub start_index: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_index: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    pub status: i32,
    pub status_code: u16,
    pub response: Value,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl Envelope {
    /// One object.
    pub fn single(status_code: u16, response: impl Serialize) -> Envelope {
        let response = serde_json::to_value(response).unwrap_or(Value::Null);
        Envelope {
            count: 1,
            start_index: 0,
            next_index: None,
            total: None,
            status: 0,
            status_code,
            response,
        }
    }

    /// A page of a list. `nextIndex`, when more items follow, is ONLYOFFICE's `startIndex + count + 1`
    /// (one past where the next page starts: its off-by-one, kept because its clients read it).
    pub fn list(status_code: u16, items: Vec<Value>, start_index: i64, total: i64) -> Envelope {
        let count = items.len() as i64;
        let next = start_index + count;
        Envelope {
            count,
            start_index,
            next_index: (count > 0 && next < total).then_some(next + 1),
            total: Some(total),
            status: 0,
            status_code,
            response: Value::Array(items),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub message: String,
}

/// The error envelope: `{"status":1,"statusCode":N,"error":{"message":…}}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorEnvelope {
    pub status: i32,
    pub status_code: u16,
    pub error: ErrorBody,
}

impl ErrorEnvelope {
    pub fn new(status_code: u16, message: impl Into<String>) -> ErrorEnvelope {
        ErrorEnvelope {
            status: 1,
            status_code,
            error: ErrorBody {
                message: message.into(),
            },
        }
    }
}

#[cfg(test)]
mod tests;
