//! Creating and reading CRM companies, and the persons linked to them.

use tracing::instrument;

use super::commands::{creator, now};
use super::store::Order;
use super::visibility::{company_for, crm_viewer, person_for};
use super::{Actor, App, AppError, PhotoUpload, RequestError, RequestMeta};
use crate::domain::company::{Company, CompanyCommand, CompanyDraft, CreateCompany};
use crate::read_model::companies::{self, CompanyView};
use crate::read_model::persons::{self, PersonView};
use crate::read_model::{ListQuery, Page};

const COMMAND: &str = "crm.company.create";

/// A CRM contact: persons and companies share one id space.
#[derive(Debug, Clone, PartialEq)]
pub enum Contact {
    Person(PersonView),
    Company(CompanyView),
}

impl Contact {
    /// How many events the contact's stream holds (its ETag).
    pub fn version(&self) -> i64 {
        match self {
            Contact::Person(p) => p.version,
            Contact::Company(c) => c.version,
        }
    }
}

impl App {
    /// Creates a company for the caller; with an idempotency key, a retry returns the first result.
    #[instrument(skip_all, fields(correlation_id = %meta.correlation_id, source = meta.source.as_str()))]
    pub async fn create_company(
        &self,
        meta: &RequestMeta,
        draft: CompanyDraft,
        photo: Option<PhotoUpload>,
    ) -> Result<CompanyView, AppError> {
        self.observed(meta, COMMAND, self.company_created(meta, draft, photo))
            .await
    }

    async fn company_created(
        &self,
        meta: &RequestMeta,
        mut draft: CompanyDraft,
        photo: Option<PhotoUpload>,
    ) -> Result<CompanyView, AppError> {
        if !meta.actor.may_create_contacts() {
            return Err(AppError::Forbidden("visitors cannot create CRM contacts"));
        }
        let photo = PhotoUpload::attach(photo, &mut draft.photo)?;
        draft.validate()?;
        let candidate = self.contact_id().await?;
        let claim = self.key_claim(meta, COMMAND, || serde_json::to_vec(&draft).map_err(AppError::internal))?;
        let command = CompanyCommand::Create(CreateCompany {
            id: candidate,
            draft,
            created_by: meta.actor.id,
            created_at: now(),
        });
        let order: Order<Company> = Order {
            id: candidate.to_string(),
            command,
            meta: meta.clone(),
            keyed: false,
            fresh: true,
            photo,
            expected: None,
            authorize: false,
            key: None,
            claim,
        };
        let decided = self.execute(&(), order).await?;
        let record = decided
            .aggregate
            .record()
            .ok_or_else(|| AppError::Internal("a created company without its record".into()))?;
        let id = record.id;
        tracing::info!(
            company_id = id,
            keyed = meta.idempotency_key.is_some(),
            "company created"
        );
        if id == candidate {
            // Created now, its row written with its event: the event is the whole answer.
            let mut view = CompanyView::from_record(record, decided.version);
            view.created_by = creator(&meta.actor);
            return Ok(view);
        }
        // An earlier request's company (a keyed retry): the first result, the company as its create
        // made it, even if it changed or was deleted since.
        let first = match decided.version {
            1 => decided,
            _ => self
                .load_first::<Company>(&id.to_string())
                .await?
                .ok_or(AppError::NotFound("company"))?,
        };
        let record = first
            .aggregate
            .record()
            .ok_or_else(|| AppError::Internal("a created company without its record".into()))?;
        let mut view = CompanyView::from_record(record, first.version);
        view.created_by = creator(&meta.actor);
        Ok(view)
    }

    /// A company by id, as the caller may see it (404 when invisible to them).
    pub async fn get_company(&self, actor: &Actor, id: i64) -> Result<CompanyView, AppError> {
        let viewer = crm_viewer(actor)?;
        companies::get(self.pool(), id, viewer)
            .await?
            .and_then(|view| company_for(actor, view))
            .ok_or(AppError::NotFound("company"))
    }

    /// Companies the caller may see, filtered, sorted and paged; the default order is newest first.
    pub async fn list_companies(&self, actor: &Actor, query: &ListQuery) -> Result<Page<CompanyView>, AppError> {
        let viewer = crm_viewer(actor)?;
        if companies::sort_column(query.sort_by.as_deref()).is_none() {
            return Err(RequestError::SortByUnknown("displayName, companyName, created, id").into());
        }
        Ok(companies::list(self.pool(), query, viewer).await?)
    }

    /// A contact by id, whichever kind it is, as the caller may see it.
    pub async fn get_contact(&self, actor: &Actor, id: i64) -> Result<Contact, AppError> {
        match self.get_person(actor, id).await {
            Ok(person) => Ok(Contact::Person(person)),
            Err(AppError::NotFound(_)) => match self.get_company(actor, id).await {
                Ok(company) => Ok(Contact::Company(company)),
                Err(AppError::NotFound(_)) => Err(AppError::NotFound("contact")),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// The persons of a company the caller may see (404 if there is no such company for them).
    pub async fn company_persons(&self, actor: &Actor, id: i64) -> Result<Vec<PersonView>, AppError> {
        self.get_company(actor, id).await?;
        let viewer = crm_viewer(actor)?;
        let persons = persons::of_company(self.pool(), id, viewer).await?;
        Ok(persons.into_iter().filter_map(|v| person_for(actor, v)).collect())
    }
}
