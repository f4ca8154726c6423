//! `rollcall.v1.UserService`: translates proto ⇄ application types and calls `App`. A user a change
//! names by `id` is a GUID or a user name, as for `GetUser`.

use secrecy::SecretString;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::auth::caller;
use super::convert::{command, meta};
use super::observe::correlation;
use crate::application::{App, RequestMeta, UserFilter};
use crate::proto::pb::user_service_server::UserService;
use crate::proto::pb::{
    self, ChangeUserEmailRequest, ChangeUserPasswordRequest, CreateUserRequest, DeleteUserRequest, GetUserRequest,
    ListUsersRequest, ListUsersResponse, SetAdministratorRequest, SetUserStatusRequest, SetUserStatusResponse,
    SetUserTypeRequest, SetUserTypeResponse, UpdateUserRequest,
};
use crate::proto::{
    administrator, expect, guid, list_query, user, user_draft, user_ids, user_key, user_patch, user_status_in,
    user_type_in,
};

pub struct Users {
    app: App,
}

impl Users {
    pub fn new(app: App) -> Self {
        Users { app }
    }

    /// A change of many users: its metadata (no idempotency key: repeating one sets what is set) and
    /// its message.
    async fn unkeyed<T>(&self, request: Request<T>) -> Result<(RequestMeta, T), Status> {
        let actor = caller(&self.app, &request).await?;
        let correlation_id = correlation(&request);
        Ok((meta(actor, String::new(), correlation_id), request.into_inner()))
    }

    /// The user a change's `id` names (a GUID, or a user name looked up for the caller).
    async fn target(&self, meta: &RequestMeta, id: &str) -> Result<Uuid, Status> {
        Ok(self.app.user_id(&meta.actor, user_key(id)?).await?)
    }
}

#[tonic::async_trait]
impl UserService for Users {
    async fn create_user(&self, request: Request<CreateUserRequest>) -> Result<Response<pb::User>, Status> {
        let actor = caller(&self.app, &request).await?;
        let correlation_id = correlation(&request);
        let mut req = request.into_inner();
        let meta = meta(actor, std::mem::take(&mut req.request_id), correlation_id);
        let view = self.app.create_user(&meta, user_draft(req)?).await?;
        Ok(Response::new(user(view)))
    }

    /// By GUID when `id` parses as one, else by user name.
    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<pb::User>, Status> {
        let actor = caller(&self.app, &request).await?;
        let view = self.app.find_user(&actor, user_key(&request.get_ref().id)?).await?;
        Ok(Response::new(user(view)))
    }

    async fn list_users(&self, request: Request<ListUsersRequest>) -> Result<Response<ListUsersResponse>, Status> {
        let actor = caller(&self.app, &request).await?;
        let r = request.into_inner();
        let filter = UserFilter {
            group: r.group_id.as_deref().map(|g| guid("group_id", g.trim())).transpose()?,
        };
        let query = list_query(r.start_index, r.count, r.filter_value, r.sort_by, r.sort_order)?;
        let page = self.app.list_users(&actor, &query, &filter).await?;
        Ok(Response::new(ListUsersResponse {
            items: page.items.into_iter().map(user).collect(),
            total: page.total,
            start_index: page.start_index,
        }))
    }

    async fn update_user(&self, request: Request<UpdateUserRequest>) -> Result<Response<pb::User>, Status> {
        let (meta, mut req) = command(&self.app, request, |r| &mut r.request_id).await?;
        let (id, expected) = (std::mem::take(&mut req.id), expect(req.expected_version)?);
        let patch = user_patch(req)?;
        let id = self.target(&meta, &id).await?;
        let view = self.app.update_user(&meta, id, patch, expected).await?;
        Ok(Response::new(user(view)))
    }

    async fn set_user_status(
        &self,
        request: Request<SetUserStatusRequest>,
    ) -> Result<Response<SetUserStatusResponse>, Status> {
        let (meta, req) = self.unkeyed(request).await?;
        let (ids, status) = (user_ids(&req.user_ids)?, user_status_in(req.status)?);
        let views = self.app.set_user_status(&meta, &ids, status).await?;
        Ok(Response::new(SetUserStatusResponse {
            items: views.into_iter().map(user).collect(),
        }))
    }

    async fn set_user_type(
        &self,
        request: Request<SetUserTypeRequest>,
    ) -> Result<Response<SetUserTypeResponse>, Status> {
        let (meta, req) = self.unkeyed(request).await?;
        let (ids, user_type) = (user_ids(&req.user_ids)?, user_type_in(req.r#type)?);
        let views = self.app.set_user_type(&meta, &ids, user_type).await?;
        Ok(Response::new(SetUserTypeResponse {
            items: views.into_iter().map(user).collect(),
        }))
    }

    async fn change_user_email(&self, request: Request<ChangeUserEmailRequest>) -> Result<Response<pb::User>, Status> {
        let (meta, req) = command(&self.app, request, |r| &mut r.request_id).await?;
        let expected = expect(req.expected_version)?;
        let id = self.target(&meta, &req.id).await?;
        let view = self.app.change_user_email(&meta, id, &req.email, expected).await?;
        Ok(Response::new(user(view)))
    }

    /// The password goes straight into a `SecretString`: it is never logged nor answered.
    async fn change_user_password(
        &self,
        request: Request<ChangeUserPasswordRequest>,
    ) -> Result<Response<pb::User>, Status> {
        let (meta, mut req) = command(&self.app, request, |r| &mut r.request_id).await?;
        let password = SecretString::from(std::mem::take(&mut req.password));
        let expected = expect(req.expected_version)?;
        let id = self.target(&meta, &req.id).await?;
        let view = self.app.change_user_password(&meta, id, password, expected).await?;
        Ok(Response::new(user(view)))
    }

    async fn delete_user(&self, request: Request<DeleteUserRequest>) -> Result<Response<pb::User>, Status> {
        let (meta, req) = command(&self.app, request, |r| &mut r.request_id).await?;
        let expected = expect(req.expected_version)?;
        let id = self.target(&meta, &req.id).await?;
        let view = self.app.delete_user(&meta, id, expected).await?;
        Ok(Response::new(user(view)))
    }

    async fn set_administrator(&self, request: Request<SetAdministratorRequest>) -> Result<Response<pb::User>, Status> {
        let (meta, req) = command(&self.app, request, |r| &mut r.request_id).await?;
        let ((id, grant), expected) = (administrator(&req)?, expect(req.expected_version)?);
        let view = self.app.set_administrator(&meta, id, grant, expected).await?;
        Ok(Response::new(user(view)))
    }
}
