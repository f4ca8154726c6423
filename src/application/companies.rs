//! Creating and reading CRM companies, and the persons linked to them.

use cqrs_es::{AggregateContext, EventStore};
use tracing::instrument;

use super::commands::now;
use super::error::from_store_error;
use super::{Actor, App, AppError, RequestMeta};
use crate::domain::company::{Company, CompanyCommand, CompanyCreated, CompanyDraft, CompanyError, CreateCompany};
use crate::persistence::next_contact_id;
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

impl App {
    /// Creates a company for the caller; with an idempotency key, a retry returns the first result.
    #[instrument(skip_all, fields(correlation_id = %meta.correlation_id, source = meta.source.as_str()))]
    pub async fn create_company(&self, meta: &RequestMeta, draft: CompanyDraft) -> Result<CompanyView, AppError> {
        self.observed(meta, COMMAND, self.company_created(meta, draft)).await
    }

    async fn company_created(&self, meta: &RequestMeta, draft: CompanyDraft) -> Result<CompanyView, AppError> {
        if !meta.actor.may_create_contacts() {
            return Err(AppError::Forbidden("visitors cannot create CRM contacts"));
        }
        draft.validate()?;
        let content = serde_json::to_vec(&draft).map_err(AppError::internal)?;
        let candidate = next_contact_id(self.pool()).await?.to_string();
        let target = self.target(meta, COMMAND, &[&content], candidate).await?;
        let id: i64 = target
            .id
            .parse()
            .map_err(|_| AppError::Internal("corrupt idempotency row".into()))?;
        let cmd = CreateCompany {
            id,
            draft,
            created_by: meta.actor.id,
            created_at: now(),
        };
        let command = || CompanyCommand::Create(cmd.clone());
        self.execute_create(&self.inner.companies, meta, &target, command, |e| {
            *e == CompanyError::AlreadyCreated
        })
        .await?;
        tracing::info!(company_id = id, keyed = target.keyed, "company created");
        let fetch = || companies::get(self.pool(), id);
        let from_events = || async { Ok(self.load_company(id).await?.as_ref().map(CompanyView::from_created)) };
        self.created_view("Company", &target.id, fetch, from_events).await
    }

    /// A company by id.
    pub async fn get_company(&self, _actor: &Actor, id: i64) -> Result<CompanyView, AppError> {
        companies::get(self.pool(), id)
            .await?
            .ok_or(AppError::NotFound("company"))
    }

    /// Companies filtered, sorted and paged; the default order is newest first.
    pub async fn list_companies(&self, _actor: &Actor, query: &ListQuery) -> Result<Page<CompanyView>, AppError> {
        if companies::sort_column(query.sort_by.as_deref()).is_none() {
            return Err(AppError::invalid(
                "sortBy",
                "sortBy must be one of displayName, companyName, created, id",
            ));
        }
        Ok(companies::list(self.pool(), query).await?)
    }

    /// A contact by id, whichever kind it is.
    pub async fn get_contact(&self, actor: &Actor, id: i64) -> Result<Contact, AppError> {
        match self.get_person(actor, id).await {
            Ok(person) => Ok(Contact::Person(person)),
            Err(AppError::NotFound(_)) => match companies::get(self.pool(), id).await? {
                Some(company) => Ok(Contact::Company(company)),
                None => Err(AppError::NotFound("contact")),
            },
            Err(e) => Err(e),
        }
    }

    /// The persons linked to a company (404 if there is no such company).
    pub async fn company_persons(&self, actor: &Actor, id: i64) -> Result<Vec<PersonView>, AppError> {
        self.get_company(actor, id).await?;
        Ok(persons::of_company(self.pool(), id).await?)
    }

    /// Fails with NotFound unless the company exists in the event store (not just in a lagging view).
    pub(super) async fn require_company(&self, id: i64) -> Result<(), AppError> {
        match self.load_company(id).await? {
            Some(_) => Ok(()),
            None => Err(AppError::NotFound("company")),
        }
    }

    async fn load_company(&self, id: i64) -> Result<Option<CompanyCreated>, AppError> {
        let mut ctx = self
            .inner
            .company_store
            .load_aggregate(&id.to_string())
            .await
            .map_err(from_store_error)?;
        Ok(AggregateContext::<Company>::aggregate(&mut ctx).record().cloned())
    }
}
