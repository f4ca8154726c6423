//! Person creates, one or many at once (docs/DESIGN-NOTES.md §6): each is checked, keyed and bound to an id,
//! then all are decided and appended together by the write path (`store`), which falls back to one by
//! one when the batch loses a race.

use std::collections::HashSet;

use tracing::instrument;

use super::commands::now;
use super::persons::COMMAND;
use super::store::{Decided, Order};
use super::{App, AppError, Rejection, RequestMeta};
use crate::domain::company::Company;
use crate::domain::person::{CreatePerson, Person, PersonCommand, PersonDraft, PersonError};
use crate::persistence::events::NewPhoto;
use crate::persistence::idempotency::{self, KeyOutcome, KeyRequest};
use crate::persistence::next_contact_ids;

/// One person create: who asks, what, and the photo its draft refers to.
pub(super) struct PersonRequest {
    pub meta: RequestMeta,
    pub draft: PersonDraft,
    pub photo: Option<NewPhoto>,
}

/// Rounds of fresh ids tried for an unkeyed create whose id turns out to be taken.
const ID_ROUNDS: u32 = 3;

/// One result per create, in order: the person's id once its event is committed.
pub type Outcomes = Vec<Result<i64, AppError>>;

/// A create that passed the checks without I/O.
struct Item {
    index: usize,
    request: PersonRequest,
    company: Option<i64>,
}

/// A create bound to its aggregate id.
struct Bound<'a> {
    item: &'a Item,
    id: i64,
    keyed: bool,
    /// An earlier request with the key may have created the person already.
    replay: bool,
}

type Slots = Vec<Option<Result<Decided<Person>, AppError>>>;

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
            .into_iter()
            .map(|r| r.and_then(|d| person_id(&d)))
            .collect();
        self.observed_all(COMMAND, &sources, &outcomes, started.elapsed());
        outcomes
    }

    /// [`App::create_persons`] without the metrics (a single create records its own): each person as
    /// its event made it.
    pub(super) async fn append_persons(&self, requests: Vec<PersonRequest>) -> Vec<Result<Decided<Person>, AppError>> {
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
        if let Err(e) = self.decide_batch(&items, &mut slots).await {
            for item in &items {
                slots[item.index].get_or_insert_with(|| Err(replicate(&e)));
            }
        }
        slots
            .into_iter()
            .map(|s| s.unwrap_or_else(|| Err(AppError::Internal("a batched create was never settled".into()))))
            .collect()
    }

    /// Checks companies and keys, then decides and appends every create still pending.
    async fn decide_batch(&self, items: &[Item], slots: &mut Slots) -> Result<(), AppError> {
        self.check_companies(items, slots).await?;
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
            keyed: b.keyed,
            fresh: !b.replay,
            photo: b.item.request.photo.clone(),
            expected: None,
            authorize: false,
            key: None,
        };
        for round in 1..=ID_ROUNDS {
            let outcomes = self.execute_all(&(), bound.iter().map(order).collect()).await;
            let mut squatted = Vec::new();
            for (b, outcome) in bound.into_iter().zip(outcomes) {
                match outcome {
                    // An unkeyed id someone else wrote first (the sequence was reset): take another.
                    Err(AppError::Invalid(Rejection::Person(PersonError::AlreadyCreated)))
                        if !b.keyed && round < ID_ROUNDS =>
                    {
                        squatted.push(b);
                    }
                    outcome => {
                        tracing::debug!(person_id = b.id, keyed = b.keyed, ok = outcome.is_ok(),
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
            let fresh = next_contact_ids(self.pool(), squatted.len()).await?;
            bound = squatted
                .into_iter()
                .zip(fresh)
                .map(|(b, id)| Bound { id, ..b })
                .collect();
        }
        Ok(())
    }

    /// Refuses the creates whose company does not exist in the event store, was deleted, or is
    /// invisible to the create's caller (one query for all).
    async fn check_companies(&self, items: &[Item], slots: &mut Slots) -> Result<(), AppError> {
        let wanted: Vec<String> = items
            .iter()
            .filter_map(|i| i.company)
            .collect::<HashSet<_>>()
            .into_iter()
            .map(|c| c.to_string())
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let found = self.load_all::<Company>(&wanted).await?;
        for item in items {
            let Some(company) = item.company else { continue };
            let actor = &item.request.meta.actor;
            let visible = found
                .get(&company.to_string())
                .and_then(|c| c.aggregate.live())
                .is_some_and(|r| actor.may_see(r.fields.share_type, &r.fields.managers));
            if !visible {
                slots[item.index] = Some(Err(AppError::NotFound("company")));
            }
        }
        Ok(())
    }

    /// The id of every create still pending: a fresh one, or what its idempotency key recorded
    /// (the same semantics as [`App::target`], with one statement for all keys).
    async fn bind_ids<'a>(&self, items: &'a [Item], slots: &mut Slots) -> Result<Vec<Bound<'a>>, AppError> {
        let mut keyed: Vec<(&Item, &str, String)> = Vec::new();
        let mut unkeyed: Vec<&Item> = Vec::new();
        for item in items {
            if slots[item.index].is_some() {
                continue;
            }
            match self.idempotency_key(&item.request.meta) {
                Err(e) => slots[item.index] = Some(Err(e)),
                Ok(None) => unkeyed.push(item),
                Ok(Some(key)) => {
                    let content = serde_json::to_vec(&item.request.draft).map_err(AppError::internal)?;
                    keyed.push((item, key, self.fingerprint(COMMAND, &item.request.meta, &[&content])));
                }
            }
        }
        let mut candidates = next_contact_ids(self.pool(), keyed.len() + unkeyed.len())
            .await?
            .into_iter();
        let mut next = || {
            candidates
                .next()
                .ok_or_else(|| AppError::Internal("too few ids allocated".into()))
        };
        let mut bound = Vec::with_capacity(keyed.len() + unkeyed.len());
        for item in unkeyed {
            bound.push(Bound {
                item,
                id: next()?,
                keyed: false,
                replay: false,
            });
        }
        let candidate_ids: Vec<String> = keyed
            .iter()
            .map(|_| next().map(|id| id.to_string()))
            .collect::<Result<_, _>>()?;
        let requests: Vec<KeyRequest<'_>> = keyed
            .iter()
            .zip(&candidate_ids)
            .map(|((item, key, fingerprint), candidate_id)| KeyRequest {
                actor: item.request.meta.actor.id,
                key,
                command: COMMAND,
                fingerprint,
                candidate_id,
            })
            .collect();
        let outcomes = idempotency::begin_many(self.pool(), &requests).await?;
        for ((item, _, _), outcome) in keyed.iter().zip(outcomes) {
            let (id, replay) = match outcome {
                KeyOutcome::Fresh(id) => (id, false),
                KeyOutcome::Replay(id) => (id, true),
                KeyOutcome::Mismatch => {
                    slots[item.index] = Some(Err(AppError::KeyReused));
                    continue;
                }
            };
            let id = id
                .parse()
                .map_err(|_| AppError::Internal("corrupt idempotency row".into()))?;
            bound.push(Bound {
                item,
                id,
                keyed: true,
                replay,
            });
        }
        bound.sort_by_key(|b| b.item.index);
        Ok(bound)
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
