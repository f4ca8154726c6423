//! `rollcall.v1.PersonService`: translates proto ⇄ application types and calls `App`.

use tonic::{Request, Response, Status};

use super::auth::caller;
use super::convert::{guids, list_query, meta, timestamp_out};
use super::observe::correlation;
use super::pb::person_service_server::PersonService;
use super::pb::{self, CreatePersonRequest, GetPersonRequest, ListPersonsRequest, ListPersonsResponse};
use super::status::invalid;
use crate::application::App;
use crate::domain::person::{CustomField, CustomFieldInput, PersonDraft};
use crate::domain::values::{PhotoRef, ShareType};
use crate::read_model::persons::{Creator, PersonView};

pub struct Persons {
    app: App,
}

impl Persons {
    pub fn new(app: App) -> Self {
        Persons { app }
    }
}

#[tonic::async_trait]
impl PersonService for Persons {
    async fn create_person(&self, request: Request<CreatePersonRequest>) -> Result<Response<pb::Person>, Status> {
        let actor = caller(&self.app, &request).await?;
        let correlation_id = correlation(&request);
        let mut req = request.into_inner();
        let meta = meta(actor, std::mem::take(&mut req.request_id), correlation_id);
        let view = self.app.create_person(&meta, draft(req)?).await?;
        Ok(Response::new(person(view)))
    }

    async fn get_person(&self, request: Request<GetPersonRequest>) -> Result<Response<pb::Person>, Status> {
        let actor = caller(&self.app, &request).await?;
        let view = self.app.get_person(&actor, request.get_ref().id).await?;
        Ok(Response::new(person(view)))
    }

    async fn list_persons(
        &self,
        request: Request<ListPersonsRequest>,
    ) -> Result<Response<ListPersonsResponse>, Status> {
        let actor = caller(&self.app, &request).await?;
        let r = request.into_inner();
        let query = list_query(r.start_index, r.count, r.filter_value, r.sort_by, r.sort_order)?;
        let page = self.app.list_persons(&actor, &query).await?;
        Ok(Response::new(ListPersonsResponse {
            items: page.items.into_iter().map(person).collect(),
            total: page.total,
            start_index: page.start_index,
        }))
    }
}

pub(crate) fn draft(req: CreatePersonRequest) -> Result<PersonDraft, Status> {
    Ok(PersonDraft {
        share_type: share_type_in(req.share_type)?,
        manager_list: guids("manager_list", &req.manager_list)?,
        first_name: req.first_name,
        last_name: req.last_name,
        job_title: req.job_title,
        company_id: req.company_id,
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

pub(super) fn share_type_in(value: i32) -> Result<ShareType, Status> {
    match pb::ShareType::try_from(value) {
        Ok(pb::ShareType::None) => Ok(ShareType::None),
        Ok(pb::ShareType::ReadWrite) => Ok(ShareType::ReadWrite),
        Ok(pb::ShareType::Read) => Ok(ShareType::Read),
        Err(_) => Err(invalid("share_type", format!("{value} is not a ShareType (0, 1 or 2)"))),
    }
}

pub(super) fn share_type_out(value: ShareType) -> pb::ShareType {
    match value {
        ShareType::None => pb::ShareType::None,
        ShareType::ReadWrite => pb::ShareType::ReadWrite,
        ShareType::Read => pb::ShareType::Read,
    }
}

fn person(v: PersonView) -> pb::Person {
    pb::Person {
        id: v.id,
        display_name: v.display_name(),
        first_name: v.first_name,
        last_name: v.last_name,
        title: v.title,
        company_id: v.company.as_ref().map(|c| c.id),
        about: v.about,
        share_type: share_type_out(v.share_type).into(),
        manager_list: v.managers.iter().map(ToString::to_string).collect(),
        custom_fields: v.custom_fields.into_iter().map(custom_field).collect(),
        photo: v.photo.map(photo),
        created_by: Some(creator(v.created_by)),
        created: Some(timestamp_out(v.created_at)),
        company: v.company.map(|c| pb::CompanySummary {
            id: c.id,
            company_name: c.name,
            share_type: share_type_out(c.share_type).into(),
        }),
    }
}

pub(super) fn custom_field(f: CustomField) -> pb::CustomField {
    pb::CustomField {
        key: f.key.into(),
        value: f.value,
    }
}

pub(super) fn photo(p: PhotoRef) -> pb::Photo {
    pb::Photo {
        sha256: p.sha256,
        content_type: p.content_type,
        size: p.size,
    }
}

pub(super) fn creator(c: Creator) -> pb::Creator {
    pb::Creator {
        id: c.id.to_string(),
        display_name: c.display_name,
        title: c.title,
        user_name: c.user_name,
    }
}
