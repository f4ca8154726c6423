//! Commands on one stream (a contact, a user, a group) run in the order the stream delivered them:
//! each takes a turn on every stream it changes, in delivery order, and starts once the commands
//! before it on those streams have finished. Commands on other streams still run at once.
//!
//! Turns are taken where messages are still in order (the consumer loop, before a chunk is spawned),
//! so chunks in flight together keep the order too. A command that fails for now and is redelivered
//! later runs after the ones behind it: order holds for commands that succeed or are rejected.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use futures::FutureExt;
use futures::future::Shared;
use tokio::sync::oneshot;

type Done = Shared<oneshot::Receiver<()>>;

/// The last turn taken on each stream whose commands are still running or waiting.
#[derive(Default, Clone)]
pub struct Order {
    inner: Arc<Mutex<Tails>>,
}

#[derive(Default)]
struct Tails {
    next_ticket: u64,
    last: HashMap<String, (u64, Done)>,
}

/// One command's turn: [`Turn::wait`] resolves once every earlier command on its streams is done;
/// dropping the turn lets the next ones go (a panic included).
pub struct Turn {
    order: Order,
    ticket: u64,
    keys: Vec<String>,
    before: Vec<Done>,
    _done: oneshot::Sender<()>,
}

impl Order {
    fn tails(&self) -> MutexGuard<'_, Tails> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes the next turn on each of `keys` (the streams a command changes; none for a create).
    pub fn enter(&self, mut keys: Vec<String>) -> Turn {
        keys.sort_unstable();
        keys.dedup();
        let (sender, receiver) = oneshot::channel();
        let done = receiver.shared();
        let mut tails = self.tails();
        let ticket = tails.next_ticket;
        tails.next_ticket += 1;
        let before = keys
            .iter()
            .filter_map(|key| tails.last.insert(key.clone(), (ticket, done.clone())))
            .map(|(_, earlier)| earlier)
            .collect();
        drop(tails);
        Turn {
            order: self.clone(),
            ticket,
            keys,
            before,
            _done: sender,
        }
    }

    /// Streams with a command running or waiting.
    #[cfg(test)]
    fn busy(&self) -> usize {
        self.tails().last.len()
    }
}

impl Turn {
    /// Waits until the commands before this one on its streams are done.
    /// Cancel-safe: what it had waited for stays waited for.
    pub async fn wait(&mut self) {
        while let Some(earlier) = self.before.last() {
            // Done or dropped alike: either way, that command is over.
            let _ = earlier.clone().await;
            self.before.pop();
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut tails = self.order.tails();
        for key in &self.keys {
            if tails.last.get(key).is_some_and(|(ticket, _)| *ticket == self.ticket) {
                tails.last.remove(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    /// Whether `turn` may start now.
    async fn ready(turn: &mut Turn) -> bool {
        tokio::time::timeout(Duration::from_millis(20), turn.wait())
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn a_command_waits_for_the_earlier_ones_on_its_streams_only() {
        let order = Order::default();
        let mut first = order.enter(keys(&["user:a"]));
        let mut second = order.enter(keys(&["user:a", "user:b"]));
        let mut other = order.enter(keys(&["user:c"]));
        let mut create = order.enter(Vec::new());
        assert!(ready(&mut first).await);
        assert!(ready(&mut other).await, "another stream does not wait");
        assert!(ready(&mut create).await, "a create waits for nothing");
        assert!(
            !ready(&mut second).await,
            "the second command on user:a waits for the first"
        );
        let mut third = order.enter(keys(&["user:b"]));
        drop(first);
        assert!(ready(&mut second).await);
        assert!(!ready(&mut third).await, "user:b's earlier command is still running");
        drop(second);
        assert!(ready(&mut third).await);
    }

    #[tokio::test]
    async fn streams_are_forgotten_once_their_last_command_is_done() {
        let order = Order::default();
        let first = order.enter(keys(&["contact:1", "contact:1"]));
        let second = order.enter(keys(&["contact:1"]));
        assert_eq!(order.busy(), 1);
        drop(first);
        assert_eq!(order.busy(), 1, "the second still holds contact:1");
        drop(second);
        assert_eq!(order.busy(), 0);
    }
}
