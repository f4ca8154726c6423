//! `rollcall.v1.UserService`: translates proto ⇄ application types and calls `App`.

use secrecy::SecretString;
use tonic::{Request, Response, Status};

use super::auth::caller;
use super::convert::{guid, guids, list_query, meta, timestamp_in, timestamp_out};
use super::observe::correlation;
use super::pb::user_service_server::UserService;
use super::pb::{self, CreateUserRequest, GetUserRequest, ListUsersRequest, ListUsersResponse};
use super::status::invalid;
use crate::application::App;
use crate::domain::user::{ActivationStatus, ContactInput, UserContact, UserDraft, UserStatus};
use crate::domain::values::{Sex, parse_guid};
use crate::read_model::users::UserView;

pub struct Users {
    app: App,
}

impl Users {
    pub fn new(app: App) -> Self {
        Users { app }
    }
}

#[tonic::async_trait]
impl UserService for Users {
    async fn create_user(&self, request: Request<CreateUserRequest>) -> Result<Response<pb::User>, Status> {
        let actor = caller(&self.app, &request).await?;
        let correlation_id = correlation(&request);
        let mut req = request.into_inner();
        let meta = meta(actor, std::mem::take(&mut req.request_id), correlation_id);
        let view = self.app.create_user(&meta, draft(req)?).await?;
        Ok(Response::new(user(view)))
    }

    /// By GUID when `id` parses as one, else by user name.
    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<pb::User>, Status> {
        let actor = caller(&self.app, &request).await?;
        let id = request.get_ref().id.trim();
        let view = match parse_guid(id) {
            Some(guid) => self.app.get_user(&actor, guid).await?,
            None if id.is_empty() => return Err(invalid("id", "a GUID or user name is required")),
            None => self.app.get_user_by_name(&actor, id).await?,
        };
        Ok(Response::new(user(view)))
    }

    async fn list_users(&self, request: Request<ListUsersRequest>) -> Result<Response<ListUsersResponse>, Status> {
        let actor = caller(&self.app, &request).await?;
        let r = request.into_inner();
        let query = list_query(r.start_index, r.count, r.filter_value, r.sort_by, r.sort_order)?;
        let page = self.app.list_users(&actor, &query).await?;
        Ok(Response::new(ListUsersResponse {
            items: page.items.into_iter().map(user).collect(),
            total: page.total,
            start_index: page.start_index,
        }))
    }
}

pub(crate) fn draft(req: CreateUserRequest) -> Result<UserDraft, Status> {
    let lead = match req.lead.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(lead) => Some(guid("lead", lead)?),
    };
    Ok(UserDraft {
        is_visitor: req.is_visitor,
        department: guids("department", &req.department)?,
        sex: sex_in(req.sex)?,
        birthday: timestamp_in("birthday", req.birthday)?,
        works_from: timestamp_in("works_from", req.works_from)?,
        lead,
        email: req.email,
        first_name: req.first_name,
        last_name: req.last_name,
        title: req.title,
        location: req.location,
        comment: req.comment,
        contacts: req
            .contacts
            .into_iter()
            .map(|c| ContactInput {
                kind: c.r#type,
                value: c.value,
            })
            .collect(),
        files: req.files,
        password: req.password.map(SecretString::from),
    })
}

fn sex_in(value: i32) -> Result<Option<Sex>, Status> {
    match pb::Sex::try_from(value) {
        Ok(pb::Sex::Unspecified) => Ok(None),
        Ok(pb::Sex::Male) => Ok(Some(Sex::Male)),
        Ok(pb::Sex::Female) => Ok(Some(Sex::Female)),
        Err(_) => Err(invalid("sex", format!("{value} is not a Sex (0, 1 or 2)"))),
    }
}

fn sex_out(value: Option<Sex>) -> pb::Sex {
    match value {
        None => pb::Sex::Unspecified,
        Some(Sex::Male) => pb::Sex::Male,
        Some(Sex::Female) => pb::Sex::Female,
    }
}

fn status_out(value: UserStatus) -> pb::UserStatus {
    match value {
        UserStatus::Active => pb::UserStatus::Active,
        UserStatus::Terminated => pb::UserStatus::Terminated,
        UserStatus::LeaveOfAbsence => pb::UserStatus::LeaveOfAbsence,
    }
}

fn activation_out(value: ActivationStatus) -> pb::ActivationStatus {
    match value {
        ActivationStatus::NotActivated => pb::ActivationStatus::NotActivated,
        ActivationStatus::Activated => pb::ActivationStatus::Activated,
        ActivationStatus::Pending => pb::ActivationStatus::Pending,
    }
}

fn user(v: UserView) -> pb::User {
    pb::User {
        id: v.id.to_string(),
        display_name: v.display_name(),
        user_name: v.user_name,
        email: v.email,
        first_name: v.first_name,
        last_name: v.last_name,
        is_visitor: v.is_visitor,
        is_admin: v.is_admin,
        is_owner: v.is_owner,
        department: v.department.iter().map(ToString::to_string).collect(),
        title: v.title,
        location: v.location,
        sex: sex_out(v.sex).into(),
        birthday: v.birthday.map(timestamp_out),
        works_from: Some(timestamp_out(v.works_from)),
        notes: v.notes,
        contacts: v.contacts.into_iter().map(contact).collect(),
        avatar_url: v.avatar_url,
        lead: v.lead.map(|l| l.to_string()),
        status: status_out(v.status).into(),
        activation_status: activation_out(v.activation_status).into(),
        created_by: v.created_by.map(|c| c.to_string()),
        created: Some(timestamp_out(v.created_at)),
    }
}

fn contact(c: UserContact) -> pb::Contact {
    pb::Contact {
        r#type: c.kind,
        value: c.value,
    }
}
