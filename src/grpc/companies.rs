//! `rollcall.v1.CompanyService`: translates proto ⇄ application types and calls `App`.

use tonic::{Request, Response, Status};

use super::auth::caller;
use super::convert::{command, meta};
use super::observe::correlation;
use crate::application::App;
use crate::proto::pb::company_service_server::CompanyService;
use crate::proto::pb::{
    self, CreateCompanyRequest, DeleteCompanyRequest, GetCompanyRequest, ListCompaniesRequest, ListCompaniesResponse,
    UpdateCompanyRequest,
};
use crate::proto::{company, company_draft, company_patch, expect, list_query};

pub struct Companies {
    app: App,
}

impl Companies {
    pub fn new(app: App) -> Self {
        Companies { app }
    }
}

#[tonic::async_trait]
impl CompanyService for Companies {
    async fn create_company(&self, request: Request<CreateCompanyRequest>) -> Result<Response<pb::Company>, Status> {
        let actor = caller(&self.app, &request).await?;
        let correlation_id = correlation(&request);
        let mut req = request.into_inner();
        let meta = meta(actor, std::mem::take(&mut req.request_id), correlation_id);
        let view = self.app.create_company(&meta, company_draft(req)?, None).await?;
        Ok(Response::new(company(view)))
    }

    async fn get_company(&self, request: Request<GetCompanyRequest>) -> Result<Response<pb::Company>, Status> {
        let actor = caller(&self.app, &request).await?;
        let view = self.app.get_company(&actor, request.get_ref().id).await?;
        Ok(Response::new(company(view)))
    }

    async fn list_companies(
        &self,
        request: Request<ListCompaniesRequest>,
    ) -> Result<Response<ListCompaniesResponse>, Status> {
        let actor = caller(&self.app, &request).await?;
        let r = request.into_inner();
        let query = list_query(r.start_index, r.count, r.filter_value, r.sort_by, r.sort_order)?;
        let page = self.app.list_companies(&actor, &query).await?;
        Ok(Response::new(ListCompaniesResponse {
            items: page.items.into_iter().map(company).collect(),
            total: page.total,
            start_index: page.start_index,
        }))
    }

    async fn update_company(&self, request: Request<UpdateCompanyRequest>) -> Result<Response<pb::Company>, Status> {
        let (meta, req) = command(&self.app, request, |r| &mut r.request_id).await?;
        let (id, expected) = (req.id, expect(req.expected_version)?);
        let view = self
            .app
            .update_company(&meta, id, company_patch(req)?, None, expected)
            .await?;
        Ok(Response::new(company(view)))
    }

    async fn delete_company(&self, request: Request<DeleteCompanyRequest>) -> Result<Response<pb::Company>, Status> {
        let (meta, req) = command(&self.app, request, |r| &mut r.request_id).await?;
        let view = self
            .app
            .delete_company(&meta, req.id, expect(req.expected_version)?)
            .await?;
        Ok(Response::new(company(view)))
    }
}
