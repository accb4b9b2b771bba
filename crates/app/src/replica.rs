//! A read-only standby (a PostgreSQL streaming replica) that serves people's
//! lists and status reads, with read-your-writes: a person who has changed
//! something reads from the primary until the standby holds that change.
//!
//! The rule is kept by two facts, both in this instance's memory:
//! - `fresh_as_of`: a moment such that the standby has replayed everything
//!   the primary had committed by then (the follower samples the primary's
//!   WAL position at a moment, and once the standby's replay reaches it, the
//!   standby is fresh as of that moment);
//! - each person's last write, marked when the writing request has answered
//!   (so after its commit).
//!
//! A read goes to the standby only if the person's last write is older than
//! `fresh_as_of` and the standby is not more than `max_lag_ms` behind. Several
//! instances keep their own marks, so a person must stay on one instance for
//! the guarantee (HAProxy `balance hdr(Authorization)` / a cookie): see README.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use store::Store;
use uuid::Uuid;

/// The standby and the rule of who may read there.
pub struct Replica {
    pub store: Arc<dyn Store>,
    pub rule: ReadYourWrites,
}

impl Replica {
    pub fn new(store: Arc<dyn Store>, max_lag_ms: i64) -> Self {
        Self {
            store,
            rule: ReadYourWrites::new(max_lag_ms),
        }
    }
}

/// Who may read from the standby now (see the module's text).
pub struct ReadYourWrites {
    fresh_as_of: AtomicI64,
    writers: Mutex<HashMap<Uuid, i64>>,
    max_lag_ms: i64,
    /// Reads the standby served, and reads sent to the primary instead.
    pub served: AtomicU64,
    pub declined: AtomicU64,
}

impl ReadYourWrites {
    pub fn new(max_lag_ms: i64) -> Self {
        Self {
            fresh_as_of: AtomicI64::new(i64::MIN),
            writers: Mutex::new(HashMap::new()),
            max_lag_ms,
            served: AtomicU64::new(0),
            declined: AtomicU64::new(0),
        }
    }

    /// Records that `account`'s request that changed something answered at `at`.
    pub fn wrote(&self, account: Uuid, at: i64) {
        if let Ok(mut w) = self.writers.lock() {
            let last = w.entry(account).or_insert(at);
            *last = (*last).max(at);
        }
    }

    /// Whether `account` may read from the standby at `now`.
    pub fn serves(&self, account: Uuid, now: i64) -> bool {
        let fresh = self.fresh_as_of.load(Ordering::Acquire);
        let ok = now.saturating_sub(fresh) <= self.max_lag_ms
            && self
                .writers
                .lock()
                .map(|w| w.get(&account).is_none_or(|last| *last < fresh))
                .unwrap_or(false);
        let counter = if ok { &self.served } else { &self.declined };
        counter.fetch_add(1, Ordering::Relaxed);
        ok
    }

    /// The standby is fresh as of `moment`; marks older than it no longer
    /// matter and are forgotten.
    pub fn caught_up(&self, moment: i64) {
        let before = self.fresh_as_of.fetch_max(moment, Ordering::AcqRel);
        if moment > before
            && let Ok(mut w) = self.writers.lock()
        {
            w.retain(|_, last| *last >= moment);
        }
    }

    /// How far behind the standby is at `now`, in milliseconds.
    pub fn lag_ms(&self, now: i64) -> i64 {
        now.saturating_sub(self.fresh_as_of.load(Ordering::Acquire))
    }
}

/// Samples of the primary's WAL position, and what the standby's replay
/// position makes of them.
#[derive(Default)]
pub struct Follower {
    samples: VecDeque<(i64, i64)>,
}

impl Follower {
    /// Takes one sample (`at`, the primary's position read at or after
    /// `at`) and the standby's replay position; returns the newest moment
    /// the standby is fresh as of, if any.
    pub fn step(&mut self, at: i64, primary: i64, standby: i64) -> Option<i64> {
        self.samples.push_back((at, primary));
        let mut fresh = None;
        while let Some(&(t, p)) = self.samples.front() {
            if p > standby {
                break;
            }
            fresh = Some(t);
            self.samples.pop_front();
        }
        // A standby that never catches up must not grow this without end.
        while self.samples.len() > 10_000 {
            self.samples.pop_front();
        }
        fresh
    }
}

/// Follows the standby every `every` until `stop` says so.
pub async fn follow(
    primary: Arc<dyn Store>,
    replica: Arc<Replica>,
    clock: fn() -> i64,
    every: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut follower = Follower::default();
    loop {
        let at = clock();
        match (
            primary.wal_position().await,
            replica.store.wal_position().await,
        ) {
            (Ok(Some(p)), Ok(Some(s))) => {
                if let Some(moment) = follower.step(at, p, s) {
                    replica.rule.caught_up(moment);
                }
            }
            (Ok(_), Ok(_)) => {}
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "cannot read the standby's position");
            }
        }
        if *stop.borrow() {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stop.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standby_is_fresh_as_of_the_last_sample_it_has_replayed() {
        let mut f = Follower::default();
        assert_eq!(f.step(10, 100, 50), None);
        assert_eq!(f.step(20, 150, 120), Some(10));
        assert_eq!(f.step(30, 150, 150), Some(30));
        assert_eq!(f.step(40, 200, 150), None);
    }

    #[test]
    fn a_person_reads_their_own_writes() {
        let r = ReadYourWrites::new(1_000);
        let me = Uuid::now_v7();
        let other = Uuid::now_v7();
        // Not known to be fresh yet: nobody reads there.
        assert!(!r.serves(me, 100));
        r.caught_up(100);
        assert!(r.serves(me, 150));
        // My write at 200: the standby (fresh as of 100) lacks it; others' reads are fine.
        r.wrote(me, 200);
        assert!(!r.serves(me, 250));
        assert!(r.serves(other, 250));
        // Fresh as of my write's moment is not enough: it must be after it.
        r.caught_up(200);
        assert!(!r.serves(me, 260));
        r.caught_up(201);
        assert!(r.serves(me, 260));
        // A standby too far behind serves nobody.
        assert!(!r.serves(other, 201 + 1_001));
    }
}
