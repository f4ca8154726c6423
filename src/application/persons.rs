//! Creating and reading CRM persons.

use cqrs_es::{AggregateContext, EventStore};
use tracing::instrument;

use super::commands::now;
use super::error::from_store_error;
use super::{Actor, App, AppError, RequestMeta};
use crate::domain::person::{CreatePerson, Person, PersonCommand, PersonCreated, PersonDraft, PersonError};
use crate::persistence::next_contact_id;
use crate::read_model::persons::{self, PersonView};
use crate::read_model::{ListQuery, Page};

pub(super) const COMMAND: &str = "crm.person.create";

impl App {
    /// Creates a person for the caller; with an idempotency key, a retry returns the first result.
    #[instrument(skip_all, fields(correlation_id = %meta.correlation_id, source = meta.source.as_str()))]
    pub async fn create_person(&self, meta: &RequestMeta, draft: PersonDraft) -> Result<PersonView, AppError> {
        self.observed(meta, COMMAND, self.person_created(meta, draft)).await
    }

    async fn person_created(&self, meta: &RequestMeta, draft: PersonDraft) -> Result<PersonView, AppError> {
        // A batch of one: fewer round trips than the framework's load-then-append for a new aggregate.
        let id = self
            .append_persons(vec![(meta.clone(), draft)])
            .await
            .pop()
            .unwrap_or_else(|| Err(AppError::Internal("a create without an outcome".into())))?;
        let fetch = || persons::get(self.pool(), id);
        let from_events = || async { Ok(self.load_person(id).await?.as_ref().map(PersonView::from_created)) };
        self.created_view("Person", &id.to_string(), fetch, from_events).await
    }

    /// Creates a person and returns its id once its event is committed (the read model may lag).
    pub(super) async fn commit_person(&self, meta: &RequestMeta, draft: PersonDraft) -> Result<i64, AppError> {
        if !meta.actor.may_create_contacts() {
            return Err(AppError::Forbidden("visitors cannot create CRM contacts"));
        }
        let fields = draft.validate()?;
        if let Some(company) = fields.company_id {
            self.require_company(company).await?;
        }
        let content = serde_json::to_vec(&draft).map_err(AppError::internal)?;
        let candidate = next_contact_id(self.pool()).await?.to_string();
        let target = self.target(meta, COMMAND, &[&content], candidate).await?;
        let id: i64 = target
            .id
            .parse()
            .map_err(|_| AppError::Internal("corrupt idempotency row".into()))?;
        let cmd = CreatePerson {
            id,
            draft,
            created_by: meta.actor.id,
            created_at: now(),
        };
        let command = || PersonCommand::Create(cmd.clone());
        self.execute_create(&self.inner.persons, meta, &target, command, |e| {
            *e == PersonError::AlreadyCreated
        })
        .await?;
        tracing::info!(person_id = id, keyed = target.keyed, "person created");
        Ok(id)
    }

    /// A person by id.
    pub async fn get_person(&self, _actor: &Actor, id: i64) -> Result<PersonView, AppError> {
        if id <= 0 {
            return Err(AppError::invalid("id", "id must be a positive integer"));
        }
        persons::get(self.pool(), id).await?.ok_or(AppError::NotFound("person"))
    }

    /// Persons filtered, sorted and paged; the default order is newest first.
    pub async fn list_persons(&self, _actor: &Actor, query: &ListQuery) -> Result<Page<PersonView>, AppError> {
        if persons::sort_column(query.sort_by.as_deref()).is_none() {
            return Err(AppError::invalid(
                "sortBy",
                "sortBy must be one of displayName, firstName, lastName, created, id",
            ));
        }
        Ok(persons::list(self.pool(), query).await?)
    }

    /// The person as its events make it (the source of truth, not the read model).
    async fn load_person(&self, id: i64) -> Result<Option<PersonCreated>, AppError> {
        let mut ctx = self
            .inner
            .person_store
            .load_aggregate(&id.to_string())
            .await
            .map_err(from_store_error)?;
        Ok(AggregateContext::<Person>::aggregate(&mut ctx).record().cloned())
    }

    /// The request's idempotency key, checked for length.
    pub(super) fn idempotency_key<'m>(&self, meta: &'m RequestMeta) -> Result<Option<&'m str>, AppError> {
        match meta.idempotency_key.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(k) if k.len() > super::MAX_IDEMPOTENCY_KEY => {
                Err(AppError::invalid("Idempotency-Key", "must be at most 255 characters"))
            }
            Some(k) => Ok(Some(k)),
        }
    }

    /// A keyed hash of the command name, the actor and the content.
    pub(super) fn fingerprint(&self, command: &str, meta: &RequestMeta, content: &[&[u8]]) -> String {
        let actor = meta.actor.id.to_string();
        let mut parts: Vec<&[u8]> = vec![command.as_bytes(), actor.as_bytes()];
        parts.extend_from_slice(content);
        self.inner.tokens.fingerprint(&parts)
    }
}
