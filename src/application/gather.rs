//! Group commit of single person creates (docs/DESIGN-NOTES.md §6): creates that arrive while others
//! are being appended wait in a queue and go together as one batch (one id block, one statement, one
//! commit), the way NATS creates do. A create that finds a batch slot free goes at once, alone, so a
//! lone caller waits for nothing; under load the batches fill by themselves, and each commit carries
//! as many creates as arrived during the one before.
//!
//! Batches run on tasks of their own: a caller that goes away (a dropped connection) cannot cancel
//! the append of the others' creates. Each caller gets its own outcome, as if it had been alone
//! (the write path decides a batch that fails one by one).

use std::sync::{Arc, Mutex};

use tokio::sync::{Semaphore, oneshot};
use tracing::Instrument;

use super::batch::{Companies, PersonRequest};
use super::store::Decided;
use super::{App, AppError};
use crate::domain::person::Person;

/// Batches appended at once: one can be decided and sent while another commits.
const SLOTS: usize = 2;
/// Most creates in one batch (a burst beyond it goes in several).
const MOST: usize = 128;

/// A create's outcome, and the companies its batch checked (as a person's answer shows its company).
pub(super) type Gathered = (Result<Decided<Person>, AppError>, Arc<Companies>);

type Waiting = (PersonRequest, oneshot::Sender<Gathered>);

/// The creates waiting for a batch slot, and the slots.
pub(super) struct Gather {
    queue: Mutex<Vec<Waiting>>,
    slots: Arc<Semaphore>,
}

impl Default for Gather {
    fn default() -> Gather {
        Gather {
            queue: Mutex::new(Vec::new()),
            slots: Arc::new(Semaphore::new(SLOTS)),
        }
    }
}

impl Gather {
    /// The waiting creates (a panic elsewhere cannot leave them unreachable).
    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<Waiting>> {
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Up to [`MOST`] waiting creates, oldest first.
    fn take(&self) -> Vec<Waiting> {
        let mut queue = self.queue();
        let n = queue.len().min(MOST);
        queue.drain(..n).collect()
    }
}

impl App {
    /// Appends `request` with whatever other creates wait at the same time; its own outcome.
    pub(super) async fn append_gathered(&self, request: PersonRequest) -> Gathered {
        let (answer, outcome) = oneshot::channel();
        self.inner.gather.queue().push((request, answer));
        self.start_batches();
        outcome.await.unwrap_or_else(|_| {
            let lost = AppError::Internal("a gathered create lost its batch".into());
            (Err(lost), Arc::default())
        })
    }

    /// Starts a batch on every free slot while creates wait. A batch that ends takes the next waiting
    /// creates itself, and calls this again once it has freed its slot, so a create queued while every
    /// slot was taken is always picked up.
    fn start_batches(&self) {
        loop {
            let Ok(slot) = self.inner.gather.slots.clone().try_acquire_owned() else {
                return;
            };
            let first = self.inner.gather.take();
            if first.is_empty() {
                return;
            }
            let app = self.clone();
            tokio::spawn(async move {
                let mut batch = first;
                while !batch.is_empty() {
                    app.append_waiting(batch).await;
                    batch = app.inner.gather.take();
                }
                drop(slot);
                app.start_batches();
            });
        }
    }

    /// Appends one batch of waiting creates and answers each.
    async fn append_waiting(&self, batch: Vec<Waiting>) {
        let (requests, answers): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let span = tracing::debug_span!("gathered person creates", commands = requests.len());
        let (outcomes, companies) = self.append_persons(requests).instrument(span).await;
        self.inner.metrics.gathered_creates.observe(answers.len() as f64);
        let companies = Arc::new(companies);
        for (answer, outcome) in answers.into_iter().zip(outcomes) {
            // A caller that went away no longer waits; its create stands.
            let _ = answer.send((outcome, companies.clone()));
        }
    }
}
