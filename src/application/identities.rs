//! The identity cache: who a token's user is (their actor and session generation, or "not an active
//! user"), kept in process so a request's authentication needs no database round trip
//! (docs/DESIGN-NOTES.md §11).
//!
//! The user lifecycle keeps it exact: every append of user events evicts those users here at once
//! (`store.rs`) and, through a NOTIFY delivered at commit, on every other instance
//! (`persistence::identity_channel`). It is trusted only while that channel listens: before the first
//! LISTEN and after a lost connection every lookup bypasses it, and (re)listening starts it empty, as
//! notifications may have been missed. A safety TTL bounds an entry's age should a connection die
//! without anyone noticing.
//!
//! The race a cache like this must not lose: a load reads the old state, the change commits and its
//! eviction runs, and then the load inserts what it read. Every eviction bumps an epoch, and a load
//! inserts only when the epoch is still the one it started in.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::Actor;
use crate::persistence::identity_channel::Evictions;

/// What is known of a user: their actor and session generation, or `None` (not an active user).
pub type Known = Option<(Actor, u32)>;

/// Entries an instance keeps at most.
pub const CAPACITY: usize = 100_000;
/// How long an entry is trusted at most, notifications or not.
pub const TTL: Duration = Duration::from_secs(60);

/// The cache; shared by every request of an instance.
pub struct Identities {
    state: Mutex<State>,
    capacity: usize,
    ttl: Duration,
}

#[derive(Default)]
struct State {
    users: HashMap<Uuid, Entry>,
    /// Bumped by every eviction, clear and change of trust.
    epoch: u64,
    /// Whether the eviction channel listens: the cache is trusted only then.
    listening: bool,
}

struct Entry {
    known: Known,
    /// When the load that found it started.
    fetched: Instant,
}

/// The answer of a lookup.
#[derive(Debug)]
pub enum Lookup {
    /// Known, and young enough to be trusted.
    Hit(Known),
    /// Not known: load the user and `insert` with this ticket.
    Miss(Ticket),
    /// The cache cannot be trusted now: load the user, insert nothing.
    Bypass,
}

/// A load's place in time: the epoch and instant it started at.
#[derive(Debug, Clone, Copy)]
pub struct Ticket {
    epoch: u64,
    started: Instant,
}

impl Default for Identities {
    fn default() -> Self {
        Identities::new(CAPACITY, TTL)
    }
}

impl Identities {
    pub fn new(capacity: usize, ttl: Duration) -> Identities {
        Identities {
            state: Mutex::new(State::default()),
            capacity: capacity.max(1),
            ttl,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // Nothing here can panic half-way through a change, so a poisoned lock still holds a sound map.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What the cache knows of `user` at `now`.
    pub fn lookup(&self, user: Uuid, now: Instant) -> Lookup {
        let mut state = self.state();
        if !state.listening {
            return Lookup::Bypass;
        }
        match state.users.get(&user) {
            Some(e) if now.saturating_duration_since(e.fetched) < self.ttl => Lookup::Hit(e.known.clone()),
            Some(_) => {
                state.users.remove(&user);
                Lookup::Miss(Ticket {
                    epoch: state.epoch,
                    started: now,
                })
            }
            None => Lookup::Miss(Ticket {
                epoch: state.epoch,
                started: now,
            }),
        }
    }

    /// Keeps what a load that started with `ticket` found, unless anything was evicted (or trust
    /// changed) since it started: what it read may be older than that eviction. Whether it was kept.
    pub fn insert(&self, ticket: Ticket, user: Uuid, known: Known) -> bool {
        let mut state = self.state();
        if !state.listening || state.epoch != ticket.epoch {
            return false;
        }
        if state.users.len() >= self.capacity && !state.users.contains_key(&user) {
            self.make_room(&mut state, ticket.started);
        }
        let entry = Entry {
            known,
            fetched: ticket.started,
        };
        state.users.insert(user, entry);
        true
    }

    /// Drops expired entries and, if that is not enough, an arbitrary eighth of the rest.
    fn make_room(&self, state: &mut State, now: Instant) {
        let ttl = self.ttl;
        state
            .users
            .retain(|_, e| now.saturating_duration_since(e.fetched) < ttl);
        if state.users.len() >= self.capacity {
            let drop: Vec<Uuid> = state.users.keys().take((self.capacity / 8).max(1)).copied().collect();
            for id in drop {
                state.users.remove(&id);
            }
        }
    }

    /// Forgets `users` (their events changed).
    pub fn evict_all(&self, users: impl IntoIterator<Item = Uuid>) {
        let mut state = self.state();
        state.epoch += 1;
        for user in users {
            state.users.remove(&user);
        }
    }

    /// How many users are kept (for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.state().users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the cache is trusted (its eviction channel listens).
    pub fn is_listening(&self) -> bool {
        self.state().listening
    }

    fn trust(&self, listening: bool) {
        let mut state = self.state();
        state.epoch += 1;
        state.users.clear();
        state.listening = listening;
    }
}

impl Evictions for Identities {
    fn listening(&self) {
        self.trust(true);
    }

    fn lost(&self) {
        self.trust(false);
    }

    fn evict(&self, user: Uuid) {
        self.evict_all([user]);
    }

    fn evict_everyone(&self) {
        let mut state = self.state();
        state.epoch += 1;
        state.users.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(id: Uuid) -> Known {
        let mut a = Actor::system();
        a.id = id;
        Some((a, 1))
    }

    fn listening() -> Identities {
        let cache = Identities::new(4, Duration::from_secs(60));
        cache.listening();
        cache
    }

    fn ticket(cache: &Identities, id: Uuid, now: Instant) -> Ticket {
        match cache.lookup(id, now) {
            Lookup::Miss(t) => t,
            other => panic!("a miss expected, got {other:?}"),
        }
    }

    #[test]
    fn a_load_inserts_and_the_next_lookup_hits() {
        let (cache, id, now) = (listening(), Uuid::new_v4(), Instant::now());
        let t = ticket(&cache, id, now);
        assert!(cache.insert(t, id, actor(id)));
        assert!(matches!(cache.lookup(id, now), Lookup::Hit(Some((a, 1))) if a.id == id));
    }

    #[test]
    fn a_load_that_started_before_an_eviction_cannot_insert_what_it_read() {
        let (cache, id, now) = (listening(), Uuid::new_v4(), Instant::now());
        let stale = ticket(&cache, id, now);
        cache.evict(id);
        assert!(!cache.insert(stale, id, actor(id)), "the stale read is dropped");
        assert!(matches!(cache.lookup(id, now), Lookup::Miss(_)));
        let fresh = ticket(&cache, id, now);
        assert!(cache.insert(fresh, id, None));
        assert!(matches!(cache.lookup(id, now), Lookup::Hit(None)));
    }

    #[test]
    fn an_eviction_after_an_insert_removes_the_entry() {
        let (cache, id, now) = (listening(), Uuid::new_v4(), Instant::now());
        let t = ticket(&cache, id, now);
        cache.insert(t, id, actor(id));
        cache.evict(id);
        assert!(matches!(cache.lookup(id, now), Lookup::Miss(_)));
    }

    #[test]
    fn nothing_is_trusted_or_kept_while_not_listening_and_listening_again_starts_empty() {
        let cache = Identities::new(4, Duration::from_secs(60));
        let (id, now) = (Uuid::new_v4(), Instant::now());
        assert!(matches!(cache.lookup(id, now), Lookup::Bypass), "not listening yet");
        cache.listening();
        let t = ticket(&cache, id, now);
        cache.insert(t, id, actor(id));
        let during = ticket(&cache, Uuid::new_v4(), now);
        cache.lost();
        assert!(matches!(cache.lookup(id, now), Lookup::Bypass));
        assert!(
            !cache.insert(during, id, actor(id)),
            "a load across the loss keeps nothing"
        );
        cache.listening();
        assert!(cache.is_empty());
        assert!(!cache.insert(during, id, actor(id)), "nor after listening again");
    }

    #[test]
    fn an_entry_older_than_the_ttl_is_a_miss() {
        let (cache, id, now) = (listening(), Uuid::new_v4(), Instant::now());
        let t = ticket(&cache, id, now);
        cache.insert(t, id, actor(id));
        assert!(matches!(
            cache.lookup(id, now + Duration::from_secs(59)),
            Lookup::Hit(_)
        ));
        assert!(matches!(
            cache.lookup(id, now + Duration::from_secs(60)),
            Lookup::Miss(_)
        ));
        assert!(cache.is_empty());
    }

    #[test]
    fn the_channel_is_notified_for_the_user_aggregate() {
        use cqrs_es::Aggregate;
        assert_eq!(
            crate::persistence::identity_channel::AGGREGATE_TYPE,
            crate::domain::user::User::TYPE
        );
    }

    #[test]
    fn a_full_cache_makes_room_and_stays_bounded() {
        let (cache, now) = (listening(), Instant::now());
        for _ in 0..20 {
            let id = Uuid::new_v4();
            let t = ticket(&cache, id, now);
            assert!(cache.insert(t, id, actor(id)));
            assert!(cache.len() <= 4);
        }
    }
}
