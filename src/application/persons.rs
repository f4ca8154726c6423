//! Creating and reading CRM persons.

use tracing::instrument;

use super::batch::{PersonRequest, person_id};
use super::commands::creator;
use super::visibility::{crm_viewer, person_for};
use super::{Actor, App, AppError, PhotoUpload, RequestError, RequestMeta};
use crate::domain::company::Company;
use crate::domain::person::PersonDraft;
use crate::read_model::persons::{self, CompanyRef, PersonView};
use crate::read_model::{ListQuery, Page};

pub(super) const COMMAND: &str = "crm.person.create";

impl App {
    /// Creates a person for the caller, with the photo its draft should show (stored only if the person
    /// is created); with an idempotency key, a retry returns the first result.
    #[instrument(skip_all, fields(correlation_id = %meta.correlation_id, source = meta.source.as_str()))]
    pub async fn create_person(
        &self,
        meta: &RequestMeta,
        draft: PersonDraft,
        photo: Option<PhotoUpload>,
    ) -> Result<PersonView, AppError> {
        self.observed(meta, COMMAND, self.person_created(meta, draft, photo))
            .await
    }

    async fn person_created(
        &self,
        meta: &RequestMeta,
        mut draft: PersonDraft,
        photo: Option<PhotoUpload>,
    ) -> Result<PersonView, AppError> {
        if !meta.actor.may_create_contacts() {
            return Err(AppError::Forbidden("visitors cannot create CRM contacts"));
        }
        let photo = PhotoUpload::attach(photo, &mut draft.photo)?;
        let request = PersonRequest {
            meta: meta.clone(),
            draft,
            photo,
        };
        // Committed with the creates of other callers that arrive meanwhile (`gather`).
        let (decided, companies) = self.append_gathered(request).await;
        let mut decided = decided?;
        let id = person_id(&decided)?;
        tracing::info!(person_id = id, "person created");
        if decided.version > 1 {
            // A keyed retry of a create whose person changed (or was deleted) since: the answer is the
            // first result, the person as its create made it.
            decided = self
                .load_first(&id.to_string())
                .await?
                .ok_or(AppError::NotFound("person"))?;
        }
        let record = decided
            .aggregate
            .record()
            .ok_or_else(|| AppError::Internal("a created person without its record".into()))?;
        if decided.version == 1 && record.created_by == meta.actor.id {
            // Only its create in its stream (or the first result of a retry): the event is the answer.
            // Its company as the check the create passed found it; for a retry whose company was not
            // checked again (deleted or hidden since), as the caller may see it now, or none.
            let company = match record.fields.company_id {
                None => None,
                Some(c) => match companies.get(&c) {
                    Some(company) => Some(company.clone()),
                    None => self.company_shown(&meta.actor, c).await?,
                },
            };
            let mut view = PersonView::from_record(record, decided.version);
            view.company = company;
            view.created_by = creator(&meta.actor);
            return Ok(view);
        }
        let from_event = || Some(PersonView::from_record(record, decided.version));
        self.created_view(|| persons::get(self.pool(), id), from_event).await
    }

    /// Company `id` as a person shows it, when it exists and `actor` may see it.
    async fn company_shown(&self, actor: &Actor, id: i64) -> Result<Option<CompanyRef>, AppError> {
        let company = self.load::<Company>(&id.to_string()).await?;
        Ok(company
            .as_ref()
            .and_then(|c| c.aggregate.live())
            .filter(|r| actor.may_see(r.fields.share_type, &r.fields.managers))
            .map(CompanyRef::of))
    }

    /// A person by id, as the caller may see it (404 when invisible to them).
    pub async fn get_person(&self, actor: &Actor, id: i64) -> Result<PersonView, AppError> {
        crm_viewer(actor)?;
        if id <= 0 {
            return Err(RequestError::IdNotPositive.into());
        }
        persons::get(self.pool(), id)
            .await?
            .and_then(|view| person_for(actor, view))
            .ok_or(AppError::NotFound("person"))
    }

    /// Persons filtered, sorted and paged; the default order is newest first.
    pub async fn list_persons(&self, actor: &Actor, query: &ListQuery) -> Result<Page<PersonView>, AppError> {
        let viewer = crm_viewer(actor)?;
        if persons::sort_column(query.sort_by.as_deref()).is_none() {
            return Err(RequestError::SortByUnknown("displayName, firstName, lastName, created, id").into());
        }
        let mut page = persons::list(self.pool(), query, viewer).await?;
        page.items = page.items.into_iter().filter_map(|v| person_for(actor, v)).collect();
        Ok(page)
    }
}
