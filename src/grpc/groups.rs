//! `rollcall.v1.GroupService`: translates proto ⇄ application types and calls `App`.

use tonic::{Request, Response, Status};

use super::auth::caller;
use super::convert::{command, meta};
use super::observe::correlation;
use crate::application::App;
use crate::proto::pb::group_service_server::GroupService;
use crate::proto::pb::{
    self, CreateGroupRequest, DeleteGroupRequest, GetGroupRequest, GroupMembersRequest, ListGroupsRequest,
    ListGroupsResponse, UpdateGroupRequest,
};
use crate::proto::{expect, group, group_draft, group_id, group_patch, group_summary, guid, members};

pub struct Groups {
    app: App,
}

impl Groups {
    pub fn new(app: App) -> Self {
        Groups { app }
    }
}

#[tonic::async_trait]
impl GroupService for Groups {
    async fn create_group(&self, request: Request<CreateGroupRequest>) -> Result<Response<pb::Group>, Status> {
        let actor = caller(&self.app, &request).await?;
        let correlation_id = correlation(&request);
        let mut req = request.into_inner();
        let meta = meta(actor, std::mem::take(&mut req.request_id), correlation_id);
        let view = self.app.create_group(&meta, group_draft(req)?).await?;
        Ok(Response::new(group(view)))
    }

    async fn get_group(&self, request: Request<GetGroupRequest>) -> Result<Response<pb::Group>, Status> {
        let actor = caller(&self.app, &request).await?;
        let view = self.app.get_group(&actor, group_id(&request.get_ref().id)?).await?;
        Ok(Response::new(group(view)))
    }

    async fn list_groups(&self, request: Request<ListGroupsRequest>) -> Result<Response<ListGroupsResponse>, Status> {
        let actor = caller(&self.app, &request).await?;
        let groups = match request.get_ref().user_id.as_deref() {
            Some(user) => self.app.user_groups(&actor, guid("user_id", user.trim())?).await?,
            None => self.app.list_groups(&actor).await?,
        };
        Ok(Response::new(ListGroupsResponse {
            items: groups.into_iter().map(group_summary).collect(),
        }))
    }

    async fn update_group(&self, request: Request<UpdateGroupRequest>) -> Result<Response<pb::Group>, Status> {
        let (meta, req) = command(&self.app, request, |r| &mut r.request_id).await?;
        let (id, expected) = (group_id(&req.id)?, expect(req.expected_version)?);
        let view = self.app.update_group(&meta, id, group_patch(&req)?, expected).await?;
        Ok(Response::new(group(view)))
    }

    async fn add_group_members(&self, request: Request<GroupMembersRequest>) -> Result<Response<pb::Group>, Status> {
        let (meta, req) = command(&self.app, request, |r| &mut r.request_id).await?;
        let (id, expected) = (group_id(&req.id)?, expect(req.expected_version)?);
        let view = self
            .app
            .add_group_members(&meta, id, members(&req.members)?, expected)
            .await?;
        Ok(Response::new(group(view)))
    }

    async fn remove_group_members(&self, request: Request<GroupMembersRequest>) -> Result<Response<pb::Group>, Status> {
        let (meta, req) = command(&self.app, request, |r| &mut r.request_id).await?;
        let (id, expected) = (group_id(&req.id)?, expect(req.expected_version)?);
        let view = self
            .app
            .remove_group_members(&meta, id, members(&req.members)?, expected)
            .await?;
        Ok(Response::new(group(view)))
    }

    async fn delete_group(&self, request: Request<DeleteGroupRequest>) -> Result<Response<pb::Group>, Status> {
        let (meta, req) = command(&self.app, request, |r| &mut r.request_id).await?;
        let (id, expected) = (group_id(&req.id)?, expect(req.expected_version)?);
        let view = self.app.delete_group(&meta, id, expected).await?;
        Ok(Response::new(group(view)))
    }
}
