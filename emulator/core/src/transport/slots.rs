//! Connection slots: at most `max_connections` connections are served at
//! once, and a connection beyond them waits for one instead of failing.
//!
//! A client with many requests in flight opens one HTTP/1 connection per
//! request (the SDKs' pools do), so a burst can exceed the limit while
//! every connection is doing honest work; AWS serves such bursts. A
//! connection beyond the limit therefore:
//!
//! 1. asks the keep-alive connection idle the longest (one that has served
//!    a request and has none in flight; a new connection awaiting its first
//!    head is not idle) to close, as front ends reclaim keep-alive
//!    connections when they run out (a client that reuses it at that moment
//!    sees it closed, as with any keep-alive close, and its SDK retries);
//! 2. waits for a slot for up to `header_read_timeout` (the time its
//!    client is allowed to get a request head read), taking the first one
//!    freed and asking again each time a connection turns idle;
//! 3. if none frees, is answered with the protocol's 503
//!    ([`super::refuse_busy`]).
//!
//! At most [`MAX_WAITING`] connections wait at once; past that the server
//! stops accepting until one of them is placed, so further clients wait in
//! the listening socket's backlog rather than being dropped unanswered.

use super::gate::Activity;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// How many connections beyond the limit wait for a slot at once.
pub const MAX_WAITING: usize = 64;

/// The connections being served, and the slots they hold.
#[derive(Debug)]
pub struct Slots {
    slots: Arc<Semaphore>,
    waiting: Arc<Semaphore>,
    live: parking_lot::Mutex<HashMap<u64, Arc<Activity>>>,
    next_id: AtomicU64,
    turned_idle: Arc<Notify>,
}

/// A connection's hold on a slot; dropping it frees the slot.
#[derive(Debug)]
pub struct Slot {
    id: u64,
    owner: Arc<Slots>,
    activity: Arc<Activity>,
    _permit: OwnedSemaphorePermit,
}

impl Slot {
    /// The connection's activity, for its gate and request handlers.
    pub fn activity(&self) -> &Arc<Activity> {
        &self.activity
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.owner.live.lock().remove(&self.id);
    }
}

/// A connection's place among those waiting for a slot; dropping it frees
/// the place.
#[derive(Debug)]
pub struct Waiting {
    _permit: OwnedSemaphorePermit,
}

impl Slots {
    /// Slots for `max_connections` connections.
    pub fn new(max_connections: usize) -> Arc<Self> {
        Arc::new(Self {
            slots: Arc::new(Semaphore::new(max_connections)),
            waiting: Arc::new(Semaphore::new(MAX_WAITING)),
            live: parking_lot::Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            turned_idle: Arc::new(Notify::new()),
        })
    }

    /// A free slot, if there is one now.
    pub fn try_take(self: &Arc<Self>) -> Option<Slot> {
        let permit = self.slots.clone().try_acquire_owned().ok()?;
        Some(self.register(permit))
    }

    /// Waits until fewer than [`MAX_WAITING`] connections wait, and returns
    /// a place among them.
    pub async fn place(&self) -> Option<Waiting> {
        self.waiting
            .clone()
            .acquire_owned()
            .await
            .ok()
            .map(|permit| Waiting { _permit: permit })
    }

    /// Waits for a slot until `deadline`, reclaiming idle connections (see
    /// the module documentation). `None` when no slot freed in time.
    pub async fn wait(self: &Arc<Self>, _place: &Waiting, deadline: Instant) -> Option<Slot> {
        loop {
            let turned_idle = self.turned_idle.notified();
            tokio::pin!(turned_idle);
            turned_idle.as_mut().enable();
            if let Some(slot) = self.try_take() {
                return Some(slot);
            }
            self.reclaim_one();
            tokio::select! {
                permit = self.slots.clone().acquire_owned() => {
                    return permit.ok().map(|p| self.register(p));
                }
                () = &mut turned_idle => {}
                () = tokio::time::sleep_until(deadline) => return None,
            }
        }
    }

    fn register(self: &Arc<Self>, permit: OwnedSemaphorePermit) -> Slot {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let activity = Activity::notifying(Some(self.turned_idle.clone()));
        self.live.lock().insert(id, activity.clone());
        Slot {
            id,
            owner: self.clone(),
            activity,
            _permit: permit,
        }
    }

    /// Asks the connection idle the longest, not yet asked, to close.
    /// Returns whether there was one.
    fn reclaim_one(&self) -> bool {
        let live = self.live.lock();
        let oldest = live
            .values()
            .filter(|a| a.kept_alive() && !a.reclaimed())
            .min_by_key(|a| a.idle_since());
        match oldest {
            Some(activity) => activity.reclaim(),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn a_waiting_connection_reclaims_the_longest_idle_one() {
        let slots = Slots::new(4);
        let fresh = slots.try_take().unwrap();
        let oldest = slots.try_take().unwrap();
        drop(oldest.activity().begin());
        tokio::time::advance(Duration::from_secs(1)).await;
        let newer = slots.try_take().unwrap();
        drop(newer.activity().begin());
        let busy = slots.try_take().unwrap();
        let in_flight = busy.activity().begin();
        assert!(slots.try_take().is_none());
        let place = slots.place().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let waiter = {
            let slots = slots.clone();
            tokio::spawn(async move { slots.wait(&place, deadline).await.is_some() })
        };
        tokio::task::yield_now().await;
        assert!(
            oldest.activity().reclaimed(),
            "the idle connection was not asked to close"
        );
        for (name, slot) in [("new", &fresh), ("newer idle", &newer), ("busy", &busy)] {
            assert!(
                !slot.activity().reclaimed(),
                "the {name} connection was asked to close"
            );
        }
        drop(oldest);
        assert!(waiter.await.unwrap(), "the freed slot was not taken");
        drop(in_flight);
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_turning_idle_is_reclaimed_for_a_waiter() {
        let slots = Slots::new(1);
        let only = slots.try_take().unwrap();
        drop(only.activity().begin());
        let busy = only.activity().begin();
        let place = slots.place().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let waiter = {
            let slots = slots.clone();
            tokio::spawn(async move { slots.wait(&place, deadline).await.is_some() })
        };
        tokio::task::yield_now().await;
        assert!(!only.activity().reclaimed());
        drop(busy);
        tokio::task::yield_now().await;
        assert!(
            only.activity().reclaimed(),
            "the connection that turned idle was not asked to close"
        );
        drop(only);
        assert!(waiter.await.unwrap());
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_gives_up_at_its_deadline() {
        let slots = Slots::new(1);
        let only = slots.try_take().unwrap();
        let _busy = only.activity().begin();
        let place = slots.place().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        assert!(slots.wait(&place, deadline).await.is_none());
    }
}
