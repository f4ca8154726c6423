//! Group commit of changes (updates, links, access, contact data, deletes) of CRM persons and
//! companies, as `gather` does for creates: changes that arrive while others are being appended wait
//! and go together as one batch (one load, one statement, one commit). A change that finds a slot free
//! goes at once, alone.
//!
//! A stream is in at most one batch at a time: a change of a stream that a running batch holds waits
//! for the next one, so this instance's changes of one stream never race each other (as the stream
//! locks of `store` ensure for changes run alone). Each caller gets its own outcome, as if it had been
//! alone: the write path decides a batch that loses a race one change at a time.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tokio::sync::{Semaphore, oneshot};
use tracing::Instrument;

use super::store::{Order, Outcome, Stream};
use super::{App, AppError};
use crate::domain::company::Company;
use crate::domain::person::Person;

/// Batches appended at once: one can be decided and sent while another commits.
const SLOTS: usize = 2;
/// Most changes in one batch.
const MOST: usize = 128;

type Waiting<A> = (Order<A>, oneshot::Sender<Outcome<A>>);

/// The changes waiting, and the streams the running batches hold.
struct Queue<A: Stream> {
    waiting: Vec<Waiting<A>>,
    held: HashSet<String>,
}

/// The changes of one aggregate type waiting for a batch slot, and the slots.
pub(super) struct Changes<A: Stream> {
    queue: Mutex<Queue<A>>,
    slots: Arc<Semaphore>,
}

impl<A: Stream> Default for Changes<A> {
    fn default() -> Changes<A> {
        Changes {
            queue: Mutex::new(Queue {
                waiting: Vec::new(),
                held: HashSet::new(),
            }),
            slots: Arc::new(Semaphore::new(SLOTS)),
        }
    }
}

impl<A: Stream> Changes<A> {
    /// The queue (a panic elsewhere cannot leave it unreachable).
    fn queue(&self) -> std::sync::MutexGuard<'_, Queue<A>> {
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Up to [`MOST`] waiting changes, oldest first, each of a stream no batch holds (one change per
    /// stream): their streams are held until [`Changes::release`].
    fn take(&self) -> Vec<Waiting<A>> {
        let mut queue = self.queue();
        let Queue { waiting, held } = &mut *queue;
        let mut taken = Vec::new();
        let mut left = Vec::new();
        for change in waiting.drain(..) {
            if taken.len() < MOST && held.insert(change.0.id.clone()) {
                taken.push(change);
            } else {
                left.push(change);
            }
        }
        *waiting = left;
        taken
    }

    fn release(&self, ids: &[String]) {
        let mut queue = self.queue();
        for id in ids {
            queue.held.remove(id);
        }
    }
}

/// The streams of a running batch, released when it ends however it ends (a panic included), so a
/// change waiting for one of them is never stranded.
struct Held<'a, A: Stream> {
    changes: &'a Changes<A>,
    ids: Vec<String>,
}

impl<A: Stream> Drop for Held<'_, A> {
    fn drop(&mut self) {
        self.changes.release(&self.ids);
    }
}

/// An aggregate whose changes are committed in groups.
pub(super) trait Gathered: Stream<Services = ()> {
    fn changes(app: &App) -> &Changes<Self>;
}

impl Gathered for Person {
    fn changes(app: &App) -> &Changes<Person> {
        &app.inner.person_changes
    }
}

impl Gathered for Company {
    fn changes(app: &App) -> &Changes<Company> {
        &app.inner.company_changes
    }
}

impl App {
    /// Decides and appends `order` with whatever other changes of its aggregate type wait at the same
    /// time; its own outcome.
    pub(super) async fn execute_gathered<A>(&self, order: Order<A>) -> Outcome<A>
    where
        A: Gathered,
        AppError: From<A::Error>,
        A::Command: Clone + Send + Sync,
        A::Error: Send,
    {
        let (answer, outcome) = oneshot::channel();
        A::changes(self).queue().waiting.push((order, answer));
        self.start_change_batches::<A>();
        outcome
            .await
            .unwrap_or_else(|_| Err(AppError::Internal("a gathered change lost its batch".into())))
    }

    /// Starts a batch on every free slot while changes wait that it can take. A batch that ends
    /// releases its streams and takes the next waiting changes itself, so a change that waited for
    /// its stream is taken at the latest by the batch that held it; once it finds none, it frees its
    /// slot and calls this again.
    fn start_change_batches<A>(&self)
    where
        A: Gathered,
        AppError: From<A::Error>,
        A::Command: Clone + Send + Sync,
        A::Error: Send,
    {
        let changes = A::changes(self);
        loop {
            let Ok(slot) = changes.slots.clone().try_acquire_owned() else {
                return;
            };
            let first = changes.take();
            if first.is_empty() {
                return;
            }
            let app = self.clone();
            tokio::spawn(async move {
                let mut batch = first;
                while !batch.is_empty() {
                    app.append_changes(batch).await;
                    batch = A::changes(&app).take();
                }
                drop(slot);
                app.start_change_batches::<A>();
            });
        }
    }

    /// Appends one batch of waiting changes and answers each.
    async fn append_changes<A>(&self, batch: Vec<Waiting<A>>)
    where
        A: Gathered,
        AppError: From<A::Error>,
        A::Command: Clone + Send + Sync,
        A::Error: Send,
    {
        let _held = Held {
            changes: A::changes(self),
            ids: batch.iter().map(|(order, _)| order.id.clone()).collect(),
        };
        let (orders, answers): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let span = tracing::debug_span!("gathered changes", aggregate = A::TYPE, commands = orders.len());
        self.inner
            .metrics
            .gathered_changes
            .with_label_values(&[A::TYPE])
            .observe(orders.len() as f64);
        let outcomes = self.execute_all(&(), orders).instrument(span).await;
        for (answer, outcome) in answers.into_iter().zip(outcomes) {
            // A caller that went away no longer waits; its change stands.
            let _ = answer.send(outcome);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::metadata::{Actor, RequestMeta, Source};
    use crate::domain::person::PersonCommand;

    fn waiting(id: &str) -> (Waiting<Person>, oneshot::Receiver<Outcome<Person>>) {
        let (answer, outcome) = oneshot::channel();
        let meta = RequestMeta::new(Actor::system(), Source::Rest);
        let order = Order::change(id, PersonCommand::Delete, &meta);
        ((order, answer), outcome)
    }

    fn ids(batch: &[Waiting<Person>]) -> Vec<&str> {
        batch.iter().map(|(order, _)| order.id.as_str()).collect()
    }

    #[test]
    fn a_batch_takes_one_change_per_stream_and_none_of_a_stream_another_batch_holds() {
        let changes = Changes::<Person>::default();
        let mut receivers = Vec::new();
        for id in ["1", "2", "1", "3", "2"] {
            let (w, r) = waiting(id);
            changes.queue().waiting.push(w);
            receivers.push(r);
        }
        let first = changes.take();
        assert_eq!(ids(&first), ["1", "2", "3"], "oldest first, one per stream");
        let (w, _r) = waiting("3");
        changes.queue().waiting.push(w);
        assert!(changes.take().is_empty(), "1, 2 and 3 are held by the first batch");
        {
            let _held = Held {
                changes: &changes,
                ids: vec!["1".into(), "3".into()],
            };
        }
        assert_eq!(ids(&changes.take()), ["1", "3"], "released streams are taken, in order");
        assert_eq!(ids(&changes.queue().waiting), ["2"], "2 is still held");
        changes.release(&["2".to_string()]);
        assert_eq!(ids(&changes.take()), ["2"]);
    }

    #[test]
    fn a_batch_takes_at_most_most_changes() {
        let changes = Changes::<Person>::default();
        for n in 0..MOST + 5 {
            changes.queue().waiting.push(waiting(&n.to_string()).0);
        }
        assert_eq!(changes.take().len(), MOST);
        assert_eq!(changes.queue().waiting.len(), 5);
    }
}
