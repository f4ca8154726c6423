//! `rollcall.v1.CompanyService`: translates proto ⇄ application types and calls `App`.

use tonic::{Request, Response, Status};

use super::auth::caller;
use super::convert::{guids, list_query, meta, timestamp_out};
use super::observe::correlation;
use super::pb::company_service_server::CompanyService;
use super::pb::{self, CreateCompanyRequest, GetCompanyRequest, ListCompaniesRequest, ListCompaniesResponse};
use super::persons::{creator, custom_field, photo, share_type_in, share_type_out};
use crate::application::App;
use crate::domain::company::CompanyDraft;
use crate::domain::person::CustomFieldInput;
use crate::read_model::companies::CompanyView;

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
        let view = self.app.create_company(&meta, draft(req)?).await?;
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
}

pub(crate) fn draft(req: CreateCompanyRequest) -> Result<CompanyDraft, Status> {
    Ok(CompanyDraft {
        share_type: share_type_in(req.share_type)?,
        manager_list: guids("manager_list", &req.manager_list)?,
        company_name: req.company_name,
        about: req.about,
        custom_field_list: req
            .custom_fields
            .into_iter()
            .map(|f| CustomFieldInput {
                key: f.key,
                value: Some(f.value),
            })
            .collect(),
        photo: None,
    })
}

fn company(v: CompanyView) -> pb::Company {
    pb::Company {
        id: v.id,
        company_name: v.company_name,
        about: v.about,
        share_type: share_type_out(v.share_type).into(),
        manager_list: v.managers.iter().map(ToString::to_string).collect(),
        custom_fields: v.custom_fields.into_iter().map(custom_field).collect(),
        photo: v.photo.map(photo),
        created_by: Some(creator(v.created_by)),
        created: Some(timestamp_out(v.created_at)),
        persons_count: v.persons_count,
    }
}
