//! `rollcall.v1.PersonService`: translates proto ⇄ application types and calls `App`. Access and
//! contact data are served here for every CRM contact, persons and companies alike.

use tonic::{Request, Response, Status};

use super::auth::caller;
use super::convert::{command, meta};
use super::observe::correlation;
use crate::application::App;
use crate::proto::pb::person_service_server::PersonService;
use crate::proto::pb::{
    self, AddContactDataRequest, ContactData, CreatePersonRequest, DeleteContactDataRequest, DeletePersonRequest,
    GetPersonRequest, LinkPersonToCompanyRequest, ListContactDataRequest, ListContactDataResponse, ListPersonsRequest,
    ListPersonsResponse, SetContactAccessRequest, UnlinkPersonFromCompanyRequest, UpdateContactDataRequest,
    UpdatePersonRequest,
};
use crate::proto::{
    access, contact_access, contact_data, contact_data_draft, expect, list_query, person, person_draft, person_patch,
    positive,
};

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
        let view = self.app.create_person(&meta, person_draft(req)?, None).await?;
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

    async fn update_person(&self, request: Request<UpdatePersonRequest>) -> Result<Response<pb::Person>, Status> {
        let (meta, req) = command(&self.app, request, |r| &mut r.request_id).await?;
        let (id, expected) = (req.id, expect(req.expected_version)?);
        let view = self
            .app
            .update_person(&meta, id, person_patch(req)?, None, expected)
            .await?;
        Ok(Response::new(person(view)))
    }

    async fn delete_person(&self, request: Request<DeletePersonRequest>) -> Result<Response<pb::Person>, Status> {
        let (meta, req) = command(&self.app, request, |r| &mut r.request_id).await?;
        let view = self
            .app
            .delete_person(&meta, req.id, expect(req.expected_version)?)
            .await?;
        Ok(Response::new(person(view)))
    }

    async fn link_person_to_company(
        &self,
        request: Request<LinkPersonToCompanyRequest>,
    ) -> Result<Response<pb::Person>, Status> {
        let (meta, req) = command(&self.app, request, |r| &mut r.request_id).await?;
        let (person_id, company_id) = (
            positive("person_id", req.person_id)?,
            positive("company_id", req.company_id)?,
        );
        let view = self
            .app
            .link_person(&meta, company_id, person_id, expect(req.expected_version)?)
            .await?;
        Ok(Response::new(person(view)))
    }

    async fn unlink_person_from_company(
        &self,
        request: Request<UnlinkPersonFromCompanyRequest>,
    ) -> Result<Response<pb::Person>, Status> {
        let (meta, req) = command(&self.app, request, |r| &mut r.request_id).await?;
        let (person_id, company_id) = (
            positive("person_id", req.person_id)?,
            positive("company_id", req.company_id)?,
        );
        let view = self
            .app
            .unlink_person(&meta, company_id, person_id, expect(req.expected_version)?)
            .await?;
        Ok(Response::new(person(view)))
    }

    async fn set_contact_access(
        &self,
        request: Request<SetContactAccessRequest>,
    ) -> Result<Response<pb::ContactAccess>, Status> {
        let (meta, req) = command(&self.app, request, |r| &mut r.request_id).await?;
        let (share_type, managers) = access(&req)?;
        let contact = self
            .app
            .set_contact_access(&meta, req.id, share_type, managers, expect(req.expected_version)?)
            .await?;
        Ok(Response::new(contact_access(&contact)))
    }

    async fn list_contact_data(
        &self,
        request: Request<ListContactDataRequest>,
    ) -> Result<Response<ListContactDataResponse>, Status> {
        let actor = caller(&self.app, &request).await?;
        let data = self.app.contact_data(&actor, request.get_ref().id).await?;
        Ok(Response::new(ListContactDataResponse {
            items: data.into_iter().map(contact_data).collect(),
        }))
    }

    async fn add_contact_data(&self, request: Request<AddContactDataRequest>) -> Result<Response<ContactData>, Status> {
        let (meta, req) = command(&self.app, request, |r| &mut r.request_id).await?;
        let draft = contact_data_draft(req.info_type, req.category, req.data, req.is_primary)?;
        let (info, _) = self
            .app
            .add_contact_data(&meta, req.id, draft, expect(req.expected_version)?)
            .await?;
        Ok(Response::new(contact_data(info)))
    }

    async fn update_contact_data(
        &self,
        request: Request<UpdateContactDataRequest>,
    ) -> Result<Response<ContactData>, Status> {
        let (meta, req) = command(&self.app, request, |r| &mut r.request_id).await?;
        let data_id = positive("data_id", req.data_id)?;
        let draft = contact_data_draft(req.info_type, req.category, req.data, req.is_primary)?;
        let (info, _) = self
            .app
            .change_contact_data(&meta, req.id, data_id, draft, expect(req.expected_version)?)
            .await?;
        Ok(Response::new(contact_data(info)))
    }

    async fn delete_contact_data(
        &self,
        request: Request<DeleteContactDataRequest>,
    ) -> Result<Response<ContactData>, Status> {
        let (meta, req) = command(&self.app, request, |r| &mut r.request_id).await?;
        let data_id = positive("data_id", req.data_id)?;
        let (info, _) = self
            .app
            .remove_contact_data(&meta, req.id, data_id, expect(req.expected_version)?)
            .await?;
        Ok(Response::new(contact_data(info)))
    }
}
