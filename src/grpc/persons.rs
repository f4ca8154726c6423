//! `rollcall.v1.PersonService`: translates proto ⇄ application types and calls `App`.

use tonic::{Request, Response, Status};

use super::auth::caller;
use super::convert::meta;
use super::observe::correlation;
use crate::application::App;
use crate::proto::pb::person_service_server::PersonService;
use crate::proto::pb::{self, CreatePersonRequest, GetPersonRequest, ListPersonsRequest, ListPersonsResponse};
use crate::proto::{list_query, person, person_draft};

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
}
