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
    writers: Mutex<HashMap<Uuid, Mark>>,
    max_lag_ms: i64,
    /// Reads the standby served, and reads sent to the primary instead.
    pub served: AtomicU64,
    pub declined: AtomicU64,
}

/// A person's writes: how many of their requests that may change something
/// are running now, and when the last one ended.
#[derive(Clone, Copy, Default)]
struct Mark {
    running: u32,
    last: i64,
}

/// A request that may change something may still commit after it was cut
/// short (its COMMIT already sent): its end counts this much later.
const CUT_SHORT_MARGIN_MS: i64 = 2_000;

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

    /// A request of `account` that may change something has begun: until it
    /// ends, their reads (those of that very request too) go to the primary.
    pub fn began(&self, account: Uuid) {
        if let Ok(mut w) = self.writers.lock() {
            w.entry(account).or_default().running += 1;
        }
    }

    /// That request has ended at `at` (answered, or cut short).
    pub fn ended(&self, account: Uuid, at: i64, cut_short: bool) {
        let at = if cut_short {
            at.saturating_add(CUT_SHORT_MARGIN_MS)
        } else {
            at
        };
        if let Ok(mut w) = self.writers.lock() {
            let mark = w.entry(account).or_default();
            mark.running = mark.running.saturating_sub(1);
            mark.last = mark.last.max(at);
            if w.len() > 10_000 {
                // Marks older than the bound decide nothing: a standby that
                // far behind serves nobody, a fresher one is past them.
                let old = at.saturating_sub(self.max_lag_ms + CUT_SHORT_MARGIN_MS);
                w.retain(|_, m| m.running > 0 || m.last >= old);
            }
        }
    }

    /// `account` changed something just now outside such a request (a read
    /// that marks messages read).
    pub fn wrote(&self, account: Uuid, at: i64) {
        self.began(account);
        self.ended(account, at, false);
    }

    /// Whether `account` may read from the standby at `now`.
    pub fn serves(&self, account: Uuid, now: i64) -> bool {
        let fresh = self.fresh_as_of.load(Ordering::Acquire);
        let ok = now.saturating_sub(fresh) <= self.max_lag_ms
            && self
                .writers
                .lock()
                .map(|w| {
                    w.get(&account)
                        .is_none_or(|m| m.running == 0 && m.last < fresh)
                })
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
            w.retain(|_, m| m.running > 0 || m.last >= moment);
        }
    }

    /// The standby cannot be followed (down, not a standby of this primary):
    /// nobody reads there until it is fresh again.
    pub fn lost(&self) {
        self.fresh_as_of.store(i64::MIN, Ordering::Release);
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

/// Follows the standby every `every` until `stop` says so. A standby that
/// cannot be read, or is not a standby of this very primary (another
/// cluster, or promoted), serves nobody.
pub async fn follow(
    primary: Arc<dyn Store>,
    replica: Arc<Replica>,
    clock: fn() -> i64,
    every: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut follower = Follower::default();
    let mut said = false;
    loop {
        let at = clock();
        let positions = (
            primary.wal_position().await,
            replica.store.wal_position().await,
        );
        let problem = match &positions {
            (Ok(Some(p)), Ok(Some(s))) if !p.standby && s.standby && p.system == s.system => {
                if let Some(moment) = follower.step(at, p.bytes, s.bytes) {
                    replica.rule.caught_up(moment);
                }
                None
            }
            (Ok(Some(_)), Ok(Some(_))) => {
                Some("database_read_url is not a standby of database_url".to_owned())
            }
            (Ok(_), Ok(_)) => Some("no write-ahead log to follow".to_owned()),
            (Err(e), _) | (_, Err(e)) => Some(e.to_string()),
        };
        match problem {
            Some(p) => {
                replica.rule.lost();
                if !said {
                    tracing::error!(problem = %p, "the standby serves no reads");
                    said = true;
                }
            }
            None if said => {
                tracing::info!("the standby serves reads again");
                said = false;
            }
            None => {}
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
        // While my request that writes runs, my reads (its own too) go to the primary.
        r.began(me);
        r.caught_up(180);
        assert!(!r.serves(me, 190));
        // It ended at 200: the standby (fresh as of 180) lacks it; others' reads are fine.
        r.ended(me, 200, false);
        assert!(!r.serves(me, 250));
        assert!(r.serves(other, 250));
        // Fresh as of my write's moment is not enough: it must be after it.
        r.caught_up(200);
        assert!(!r.serves(me, 260));
        r.caught_up(201);
        assert!(r.serves(me, 260));
        // A standby too far behind serves nobody.
        assert!(!r.serves(other, 201 + 1_001));
        // One that cannot be followed, nobody at all.
        r.lost();
        assert!(!r.serves(other, 300));
    }

    #[test]
    fn a_request_cut_short_counts_as_ending_later() {
        let r = ReadYourWrites::new(10_000);
        let me = Uuid::now_v7();
        r.began(me);
        r.ended(me, 1_000, true);
        r.caught_up(2_500);
        assert!(!r.serves(me, 2_600), "its COMMIT may land after the cut");
        r.caught_up(1_000 + CUT_SHORT_MARGIN_MS + 1);
        assert!(r.serves(me, 3_100));
    }
}
