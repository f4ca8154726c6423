//! Creating and reading CRM persons.

use chrono::{SubsecRound, Utc};
use cqrs_es::{AggregateContext, AggregateError, EventStore};
use tracing::instrument;

use super::error::from_store_error;
use super::{Actor, App, AppError, RequestMeta, retry};
use crate::domain::datetime::ApiDateTime;
use crate::domain::person::{CreatePerson, Person, PersonCommand, PersonCreated, PersonDraft, PersonError};
use crate::persistence::idempotency::{self, KeyOutcome};
use crate::persistence::next_contact_id;
use crate::read_model::persons::{self, PersonView};
use crate::read_model::{ListQuery, Page};

const COMMAND: &str = "crm.person.create";

impl App {
    /// Creates a person for the caller; with an idempotency key, a retry returns the first result.
    #[instrument(skip_all, fields(correlation_id = %meta.correlation_id, source = meta.source.as_str()))]
    pub async fn create_person(&self, meta: &RequestMeta, draft: PersonDraft) -> Result<PersonView, AppError> {
        if !meta.actor.may_create_contacts() {
            return Err(AppError::Forbidden("visitors cannot create CRM contacts"));
        }
        draft.validate()?;
        // `keyed`: the id is bound to an idempotency key, so whoever created it did so for this request.
        let (id, keyed) = self.person_id(meta, &draft).await?;
        let cmd = CreatePerson {
            id,
            draft,
            created_by: meta.actor.id,
            created_at: now(),
        };
        let aggregate_id = id.to_string();
        let result = retry::on_conflict(|| {
            let cmd = PersonCommand::Create(cmd.clone());
            self.inner
                .persons
                .execute_with_metadata(&aggregate_id, cmd, meta.event_metadata())
        })
        .await;
        match result {
            Ok(()) => {}
            Err(AggregateError::UserError(PersonError::AlreadyCreated)) if keyed => {}
            Err(AggregateError::UserError(e)) => return Err(e.into()),
            Err(e) => return Err(from_store_error(e)),
        }
        self.inner.signals.wake.notify_one();
        tracing::info!(person_id = id, keyed, "person created");
        self.created_person(id).await
    }

    /// The id to create (a fresh one, or the one an earlier request with the same key recorded), and
    /// whether it is bound to an idempotency key.
    async fn person_id(&self, meta: &RequestMeta, draft: &PersonDraft) -> Result<(i64, bool), AppError> {
        let candidate = next_contact_id(self.pool()).await?;
        let Some(key) = self.idempotency_key(meta)? else {
            return Ok((candidate, false));
        };
        let content = serde_json::to_vec(draft).map_err(AppError::internal)?;
        let fingerprint = self.fingerprint(COMMAND, meta, &[&content]);
        match idempotency::begin(self.pool(), key, COMMAND, &fingerprint, &candidate.to_string()).await? {
            KeyOutcome::Fresh(_) => Ok((candidate, true)),
            KeyOutcome::Replay(id) => id
                .parse()
                .map(|id| (id, true))
                .map_err(|_| AppError::Internal("corrupt idempotency row".into())),
            KeyOutcome::Mismatch => Err(key_reused()),
        }
    }

    /// The view of a person just created, once the projector has applied its event.
    async fn created_person(&self, id: i64) -> Result<PersonView, AppError> {
        let position = self.last_position("Person", &id.to_string()).await?;
        if let Some(view) = self.projected(|| persons::get(self.pool(), id, position)).await? {
            return Ok(view);
        }
        let created = self.load_person(id).await?;
        created
            .as_ref()
            .map(PersonView::from_created)
            .ok_or_else(|| AppError::Internal("created person not found".into()))
    }

    /// A person by id.
    pub async fn get_person(&self, _actor: &Actor, id: i64) -> Result<PersonView, AppError> {
        if id <= 0 {
            return Err(AppError::invalid("id", "id must be a positive integer"));
        }
        persons::get(self.pool(), id, 0)
            .await?
            .ok_or(AppError::NotFound("person"))
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

/// "Now", at the precision the read models keep (microseconds), so events and views agree.
pub(super) fn now() -> ApiDateTime {
    ApiDateTime::from_utc(Utc::now().trunc_subsecs(6))
}

pub(super) fn key_reused() -> AppError {
    AppError::key_reused()
}
