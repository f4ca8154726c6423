//! Many person creates at once (DESIGN-NOTES §6): each is checked, keyed and decided by the same rules
//! and the same aggregate code as one create, their events are appended in one multi-row insert, and
//! when that fails the creates still pending are done one by one.

use std::collections::{HashMap, HashSet};

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use futures::StreamExt;
use tracing::instrument;

use super::commands::now;
use super::persons::COMMAND;
use super::{App, AppError, RequestMeta};
use crate::domain::person::{CreatePerson, Person, PersonCommand, PersonDraft, PersonError, PersonEvent};
use crate::persistence::events::{self, NewEvent};
use crate::persistence::idempotency::{self, KeyOutcome, KeyRequest};
use crate::persistence::next_contact_ids;

/// Creates run at once when a batch falls back to one by one.
const FALLBACK_CONCURRENCY: usize = 8;

/// One result per create, in order: the person's id once its event is committed.
pub type Outcomes = Vec<Result<i64, AppError>>;

/// A create that passed the checks without I/O.
struct Item {
    index: usize,
    meta: RequestMeta,
    draft: PersonDraft,
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

type Slots = Vec<Option<Result<i64, AppError>>>;

impl App {
    /// Creates many persons (each for its own caller and key), as [`App::create_person`] would one by one,
    /// but without waiting for the read model.
    #[instrument(skip_all, fields(commands = requests.len()))]
    pub async fn create_persons(&self, requests: Vec<(RequestMeta, PersonDraft)>) -> Outcomes {
        let started = std::time::Instant::now();
        let sources: Vec<_> = requests.iter().map(|(meta, _)| meta.source).collect();
        let outcomes = self.append_persons(requests).await;
        self.observed_all(COMMAND, &sources, &outcomes, started.elapsed());
        outcomes
    }

    /// [`App::create_persons`] without the metrics (a single create records its own).
    pub(super) async fn append_persons(&self, requests: Vec<(RequestMeta, PersonDraft)>) -> Outcomes {
        let mut slots: Slots = requests.iter().map(|_| None).collect();
        let mut items = Vec::with_capacity(requests.len());
        for (index, (meta, draft)) in requests.into_iter().enumerate() {
            match admit(&meta, &draft) {
                Ok(company) => items.push(Item {
                    index,
                    meta,
                    draft,
                    company,
                }),
                Err(e) => slots[index] = Some(Err(e)),
            }
        }
        let followers = match self.append_batch(&items, &mut slots).await {
            Ok(followers) => followers,
            Err(AppError::Unavailable(reason)) => {
                for item in &items {
                    slots[item.index].get_or_insert_with(|| Err(AppError::Unavailable(reason.clone())));
                }
                Vec::new()
            }
            Err(e) => {
                tracing::warn!(error = %e, "the batch could not be appended; creating its persons one by one");
                items.iter().filter(|i| slots[i.index].is_none()).collect()
            }
        };
        // Futures collected first: a stream of closures here defeats the `Send` proof of the caller.
        let creates: Vec<_> = followers
            .into_iter()
            .map(|item| async move { (item.index, self.commit_person(&item.meta, item.draft.clone()).await) })
            .collect();
        let one_by_one: Vec<(usize, Result<i64, AppError>)> = futures::stream::iter(creates)
            .buffer_unordered(FALLBACK_CONCURRENCY)
            .collect()
            .await;
        for (index, result) in one_by_one {
            slots[index] = Some(result);
        }
        slots
            .into_iter()
            .map(|s| s.unwrap_or_else(|| Err(AppError::Internal("a batched create was never settled".into()))))
            .collect()
    }

    /// Checks companies and keys, decides every create and appends all their events in one insert.
    /// Settles what it can in `slots`; returns the creates that share an id with an earlier one of the
    /// batch (to be run one by one once it committed). On `Err`, nothing of the batch was appended.
    async fn append_batch<'a>(&self, items: &'a [Item], slots: &mut Slots) -> Result<Vec<&'a Item>, AppError> {
        self.check_companies(items, slots).await?;
        let bound = self.bind_ids(items, slots).await?;
        let (creators, followers) = split_followers(bound);
        let replayed: Vec<String> = creators.iter().filter(|b| b.replay).map(|b| b.id.to_string()).collect();
        let mut histories = fold_histories(events::load_many(self.pool(), Person::TYPE, &replayed).await?)?;
        let mut rows = Vec::with_capacity(creators.len());
        let mut decided = Vec::with_capacity(creators.len());
        for b in &creators {
            let (mut person, last) = histories.remove(&b.id.to_string()).unwrap_or_default();
            let command = PersonCommand::Create(CreatePerson {
                id: b.id,
                draft: b.item.draft.clone(),
                created_by: b.item.meta.actor.id,
                created_at: now(),
            });
            let sink = EventSink::default();
            match person.handle(command, &(), &sink).await {
                Ok(()) => {
                    let metadata = serde_json::to_value(b.item.meta.event_metadata()).map_err(AppError::internal)?;
                    for (n, event) in sink.collect().await.into_iter().enumerate() {
                        rows.push(new_event(b.id, last + 1 + n as i64, &event, metadata.clone())?);
                    }
                    decided.push(b);
                }
                Err(PersonError::AlreadyCreated) if b.keyed => slots[b.item.index] = Some(Ok(b.id)),
                Err(e) => slots[b.item.index] = Some(Err(e.into())),
            }
        }
        events::append_all(self.pool(), &rows).await?;
        if !rows.is_empty() {
            self.inner.signals.wake.notify_one();
        }
        tracing::info!(created = decided.len(), events = rows.len(), "persons created");
        for b in decided {
            tracing::debug!(person_id = b.id, keyed = b.keyed, correlation_id = %b.item.meta.correlation_id,
                "person created");
            slots[b.item.index] = Some(Ok(b.id));
        }
        Ok(followers.into_iter().map(|b| b.item).collect())
    }

    /// Refuses the creates whose company does not exist in the event store (one query for all).
    async fn check_companies(&self, items: &[Item], slots: &mut Slots) -> Result<(), AppError> {
        let wanted: Vec<String> = items
            .iter()
            .filter_map(|i| i.company)
            .collect::<HashSet<_>>()
            .into_iter()
            .map(|c| c.to_string())
            .collect();
        let found = events::existing(self.pool(), "Company", &wanted).await?;
        for item in items {
            if item.company.is_some_and(|c| !found.contains(&c.to_string())) {
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
            match self.idempotency_key(&item.meta) {
                Err(e) => slots[item.index] = Some(Err(e)),
                Ok(None) => unkeyed.push(item),
                Ok(Some(key)) => {
                    let content = serde_json::to_vec(&item.draft).map_err(AppError::internal)?;
                    keyed.push((item, key, self.fingerprint(COMMAND, &item.meta, &[&content])));
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
            .map(|((_, key, fingerprint), candidate_id)| KeyRequest {
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

/// The checks of one create that need no I/O, in [`App::create_person`]'s order; the company to check.
fn admit(meta: &RequestMeta, draft: &PersonDraft) -> Result<Option<i64>, AppError> {
    if !meta.actor.may_create_contacts() {
        return Err(AppError::Forbidden("visitors cannot create CRM contacts"));
    }
    Ok(draft.validate()?.company_id)
}

/// The first create of each id decides it; later ones with the same id (the same key again) follow.
fn split_followers(bound: Vec<Bound<'_>>) -> (Vec<Bound<'_>>, Vec<Bound<'_>>) {
    let mut seen = HashSet::new();
    bound.into_iter().partition(|b| seen.insert(b.id))
}

/// Each aggregate folded from its stored events, with its last sequence.
fn fold_histories(stored: Vec<events::StoredEvent>) -> Result<HashMap<String, (Person, i64)>, AppError> {
    let mut histories: HashMap<String, (Person, i64)> = HashMap::new();
    for e in stored {
        let event: PersonEvent = serde_json::from_value(e.payload).map_err(AppError::internal)?;
        let (person, last) = histories.entry(e.aggregate_id).or_default();
        person.apply(event);
        *last = e.sequence;
    }
    Ok(histories)
}

/// A person event as postgres-es stores it.
fn new_event(id: i64, sequence: i64, event: &PersonEvent, metadata: serde_json::Value) -> Result<NewEvent, AppError> {
    Ok(NewEvent {
        aggregate_type: Person::TYPE,
        aggregate_id: id.to_string(),
        sequence,
        event_type: event.event_type(),
        event_version: event.event_version(),
        payload: serde_json::to_value(event).map_err(AppError::internal)?,
        metadata,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::{Actor, Source};

    fn draft(first: &str) -> PersonDraft {
        PersonDraft {
            first_name: Some(first.into()),
            ..PersonDraft::default()
        }
    }

    #[test]
    fn visitors_and_invalid_drafts_are_refused_before_any_io() {
        let member = RequestMeta::new(Actor::system(), Source::Test);
        let visitor = RequestMeta::new(
            Actor {
                is_visitor: true,
                ..Actor::system()
            },
            Source::Test,
        );
        assert!(matches!(admit(&visitor, &draft("Ann")), Err(AppError::Forbidden(_))));
        assert!(matches!(admit(&member, &draft(" ")), Err(AppError::Invalid { .. })));
        let linked = PersonDraft {
            company_id: Some(7),
            ..draft("Ann")
        };
        assert_eq!(admit(&member, &linked).unwrap(), Some(7));
    }

    #[test]
    fn the_first_create_of_an_id_decides_and_later_ones_follow() {
        let items: Vec<Item> = (0..3)
            .map(|index| Item {
                index,
                meta: RequestMeta::new(Actor::system(), Source::Test),
                draft: draft("Ann"),
                company: None,
            })
            .collect();
        let bound = [5, 6, 5]
            .iter()
            .zip(&items)
            .map(|(&id, item)| Bound {
                item,
                id,
                keyed: true,
                replay: false,
            })
            .collect();
        let (creators, followers) = split_followers(bound);
        let index = |b: &[Bound<'_>]| b.iter().map(|b| b.item.index).collect::<Vec<_>>();
        assert_eq!((index(&creators), index(&followers)), (vec![0, 1], vec![2]));
    }

    #[test]
    fn a_batched_event_is_serialized_as_postgres_es_does() {
        let fields = draft("Ann").validate().unwrap();
        let event = PersonEvent::PersonCreated(crate::domain::person::PersonCreated {
            id: 9,
            fields,
            created_by: uuid::Uuid::nil(),
            created_at: now(),
        });
        let row = new_event(9, 1, &event, serde_json::json!({"source": "test"})).unwrap();
        assert_eq!(
            (row.aggregate_type, row.aggregate_id.as_str(), row.sequence),
            ("Person", "9", 1)
        );
        assert_eq!(
            (row.event_type.as_str(), row.event_version.as_str()),
            ("PersonCreated", "1")
        );
        assert_eq!(row.payload["PersonCreated"]["id"], 9);
        let (person, last) = fold_histories(vec![events::StoredEvent {
            aggregate_id: "9".into(),
            sequence: 1,
            payload: row.payload,
        }])
        .unwrap()
        .remove("9")
        .unwrap();
        assert_eq!((person.record().map(|r| r.id), last), (Some(9), 1));
    }
}
