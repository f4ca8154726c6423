//! `rollcall.v1.UserService`: translates proto ⇄ application types and calls `App`.

use tonic::{Request, Response, Status};

use super::auth::caller;
use super::convert::meta;
use super::observe::correlation;
use crate::application::{App, UserFilter};
use crate::proto::pb::user_service_server::UserService;
use crate::proto::pb::{self, CreateUserRequest, GetUserRequest, ListUsersRequest, ListUsersResponse};
use crate::proto::{guid, list_query, user, user_draft, user_key};

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
}
