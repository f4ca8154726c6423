//! Person creates, one or many at once (docs/DESIGN-NOTES.md §6): each is checked, keyed and bound to an id,
//! then all are decided and appended together by the write path (`store`), which falls back to one by
//! one when the batch loses a race.

use std::collections::{HashMap, HashSet};

use tracing::instrument;

use super::commands::now;
use super::persons::COMMAND;
use super::store::{Decided, KeyClaim, Order};
use super::{App, AppError, Rejection, RequestMeta};
use crate::domain::company::Company;
use crate::domain::person::{CreatePerson, Person, PersonCommand, PersonDraft, PersonError};
use crate::persistence::events::NewPhoto;
use crate::persistence::idempotency;
use crate::read_model::persons::CompanyRef;

/// One person create: who asks, what, and the photo its draft refers to.
pub(super) struct PersonRequest {
    pub meta: RequestMeta,
    pub draft: PersonDraft,
    pub photo: Option<NewPhoto>,
}

/// Rounds of fresh ids tried for a create whose id turns out to be taken.
const ID_ROUNDS: u32 = 3;

/// One result per create, in order: the person's id once its event is committed.
pub type Outcomes = Vec<Result<i64, AppError>>;

/// A create that passed the checks without I/O.
struct Item {
    index: usize,
    request: PersonRequest,
    company: Option<i64>,
}

/// A create bound to a fresh aggregate id, with the idempotency key it records.
struct Bound<'a> {
    item: &'a Item,
    id: i64,
    claim: Option<KeyClaim>,
}

type Slots = Vec<Option<Result<Decided<Person>, AppError>>>;

/// Companies by id, as a person's answer shows its company.
pub(super) type Companies = HashMap<i64, CompanyRef>;

impl App {
    /// Creates many persons (each for its own caller and key), as [`App::create_person`] would one by one,
    /// but without waiting for the read model.
    #[instrument(skip_all, fields(commands = requests.len()))]
    pub async fn create_persons(&self, requests: Vec<(RequestMeta, PersonDraft)>) -> Outcomes {
        let started = std::time::Instant::now();
        let sources: Vec<_> = requests.iter().map(|(meta, _)| meta.source).collect();
        let requests = requests
            .into_iter()
            .map(|(meta, draft)| PersonRequest {
                meta,
                draft,
                photo: None,
            })
            .collect();
        let outcomes: Outcomes = self
            .append_persons(requests)
            .await
            .0
            .into_iter()
            .map(|r| r.and_then(|d| person_id(&d)))
            .collect();
        self.observed_all(COMMAND, &sources, &outcomes, started.elapsed());
        outcomes
    }

    /// [`App::create_persons`] without the metrics (a single create records its own): each person as
    /// its event made it, and the companies they name as persons show them.
    pub(super) async fn append_persons(
        &self,
        requests: Vec<PersonRequest>,
    ) -> (Vec<Result<Decided<Person>, AppError>>, Companies) {
        let mut slots: Slots = requests.iter().map(|_| None).collect();
        let mut items = Vec::with_capacity(requests.len());
        for (index, request) in requests.into_iter().enumerate() {
            match admit(&request) {
                Ok(company) => items.push(Item {
                    index,
                    request,
                    company,
                }),
                Err(e) => slots[index] = Some(Err(e)),
            }
        }
        let companies = match self.decide_batch(&items, &mut slots).await {
            Ok(companies) => companies,
            Err(e) => {
                for item in &items {
                    slots[item.index].get_or_insert_with(|| Err(replicate(&e)));
                }
                Companies::new()
            }
        };
        let outcomes = slots
            .into_iter()
            .map(|s| s.unwrap_or_else(|| Err(AppError::Internal("a batched create was never settled".into()))))
            .collect();
        (outcomes, companies)
    }

    /// Checks companies and keys, then decides and appends every create still pending; the companies
    /// the persons name.
    async fn decide_batch(&self, items: &[Item], slots: &mut Slots) -> Result<Companies, AppError> {
        let companies = self.check_companies(items, slots).await?;
        let mut bound = self.bind_ids(items, slots).await?;
        let created_at = now();
        let order = |b: &Bound<'_>| Order {
            id: b.id.to_string(),
            command: PersonCommand::Create(CreatePerson {
                id: b.id,
                draft: b.item.request.draft.clone(),
                created_by: b.item.request.meta.actor.id,
                created_at,
            }),
            meta: b.item.request.meta.clone(),
            // A fresh id that turns out to be taken is someone else's (the sequence was reset), never
            // this request's: only an id its key recorded before is (`App::claimed`).
            keyed: false,
            fresh: true,
            photo: b.item.request.photo.clone(),
            expected: None,
            authorize: false,
            key: None,
            claim: b.claim.clone(),
        };
        for round in 1..=ID_ROUNDS {
            let outcomes = self.execute_all(&(), bound.iter().map(order).collect()).await;
            let mut squatted = Vec::new();
            for (b, outcome) in bound.into_iter().zip(outcomes) {
                match outcome {
                    // A fresh id someone else wrote first (the sequence was reset): take another.
                    Err(AppError::Invalid(Rejection::Person(PersonError::AlreadyCreated))) if round < ID_ROUNDS => {
                        squatted.push(b);
                    }
                    outcome => {
                        tracing::debug!(person_id = b.id, keyed = b.claim.is_some(), ok = outcome.is_ok(),
                            correlation_id = %b.item.request.meta.correlation_id, "person create decided");
                        slots[b.item.index] = Some(outcome);
                    }
                }
            }
            if squatted.is_empty() {
                let created = slots.iter().flatten().filter(|o| o.is_ok()).count();
                tracing::info!(created, commands = items.len(), "persons created");
                break;
            }
            tracing::warn!(
                ids = squatted.len(),
                "fresh contact ids were taken already; allocating others"
            );
            let fresh = self.contact_ids(squatted.len()).await?;
            bound = squatted
                .into_iter()
                .zip(fresh)
                .map(|(b, id)| Bound { id, ..b })
                .collect();
        }
        Ok(companies)
    }

    /// Refuses the creates whose company does not exist in the event store, was deleted, or is
    /// invisible to the create's caller (one query for all); the companies found, as persons show them.
    /// A keyed create whose key is recorded already is a retry of a create that passed this check: it
    /// is answered with its first result whatever became of the company since.
    async fn check_companies(&self, items: &[Item], slots: &mut Slots) -> Result<Companies, AppError> {
        let wanted: Vec<String> = items
            .iter()
            .filter_map(|i| i.company)
            .collect::<HashSet<_>>()
            .into_iter()
            .map(|c| c.to_string())
            .collect();
        if wanted.is_empty() {
            return Ok(Companies::new());
        }
        let found = self.load_all::<Company>(&wanted).await?;
        let companies: Companies = found
            .values()
            .filter_map(|c| c.aggregate.live())
            .map(|r| (r.id, CompanyRef::of(r)))
            .collect();
        for item in items {
            let Some(company) = item.company else { continue };
            let actor = &item.request.meta.actor;
            let visible = companies
                .get(&company)
                .is_some_and(|c| actor.may_see(c.share_type, &c.managers));
            if !visible && !self.key_recorded(&item.request.meta).await? {
                slots[item.index] = Some(Err(AppError::NotFound("company")));
            }
        }
        Ok(companies)
    }

    /// Whether the request's idempotency key is recorded already (by an earlier request of its actor).
    async fn key_recorded(&self, meta: &RequestMeta) -> Result<bool, AppError> {
        match &meta.idempotency_key {
            None => Ok(false),
            Some(key) => Ok(idempotency::stored(self.pool(), meta.actor.id, key).await?.is_some()),
        }
    }

    /// A fresh id for every create still pending, and the idempotency key each records with its event
    /// (the write path does again, for the id an earlier request recorded, a create whose key turns out
    /// to be recorded: the semantics of [`App::target`], without a round trip before the append).
    async fn bind_ids<'a>(&self, items: &'a [Item], slots: &mut Slots) -> Result<Vec<Bound<'a>>, AppError> {
        let mut pending = Vec::with_capacity(items.len());
        for item in items {
            if slots[item.index].is_some() {
                continue;
            }
            let meta = &item.request.meta;
            let claim = self.key_claim(meta, COMMAND, || {
                serde_json::to_vec(&item.request.draft).map_err(AppError::internal)
            });
            match claim {
                Ok(claim) => pending.push((item, claim)),
                Err(e) => slots[item.index] = Some(Err(e)),
            }
        }
        let ids = self.contact_ids(pending.len()).await?;
        Ok(pending
            .into_iter()
            .zip(ids)
            .map(|((item, claim), id)| Bound { item, id, claim })
            .collect())
    }
}

/// The checks of one create that need no I/O; the company to check.
fn admit(request: &PersonRequest) -> Result<Option<i64>, AppError> {
    if !request.meta.actor.may_create_contacts() {
        return Err(AppError::Forbidden("visitors cannot create CRM contacts"));
    }
    Ok(request.draft.validate()?.company_id)
}

/// The id of a person its event created.
pub(super) fn person_id(decided: &Decided<Person>) -> Result<i64, AppError> {
    decided
        .aggregate
        .record()
        .map(|r| r.id)
        .ok_or_else(|| AppError::Internal("a created person without its record".into()))
}

/// The same failure for every create of a batch that failed as a whole.
fn replicate(e: &AppError) -> AppError {
    match e {
        AppError::Unavailable(why) => AppError::Unavailable(why),
        e => AppError::Internal(e.to_string().into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::{Actor, Source};

    fn request(actor: Actor, first: &str, company_id: Option<i64>) -> PersonRequest {
        PersonRequest {
            meta: RequestMeta::new(actor, Source::Test),
            draft: PersonDraft {
                first_name: Some(first.into()),
                company_id,
                ..PersonDraft::default()
            },
            photo: None,
        }
    }

    #[test]
    fn visitors_and_invalid_drafts_are_refused_before_any_io() {
        let visitor = Actor {
            is_visitor: true,
            ..Actor::system()
        };
        assert!(matches!(
            admit(&request(visitor, "Ann", None)),
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            admit(&request(Actor::system(), " ", None)),
            Err(AppError::Invalid(_))
        ));
        assert_eq!(admit(&request(Actor::system(), "Ann", Some(7))).unwrap(), Some(7));
    }
}
