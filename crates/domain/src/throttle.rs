//! Slowdown and lockout after failed logins (SPEC §2). The counters live in the
//! database so the limit holds across server instances; this module only decides.

/// Limits for one login key (an identifier typed at the login form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginThrottlePolicy {
    /// Failures allowed without any wait.
    pub free_failures: u32,
    /// Failures after which the key is locked for `lockout_ms`.
    pub lockout_after: u32,
    pub lockout_ms: i64,
    /// Wait after the first counted failure; doubles with each next one.
    pub base_delay_ms: i64,
    pub max_delay_ms: i64,
    /// A quiet period after which old failures are forgotten.
    pub forget_after_ms: i64,
}

impl Default for LoginThrottlePolicy {
    fn default() -> Self {
        Self {
            free_failures: 3,
            lockout_after: 10,
            lockout_ms: 15 * 60 * 1000,
            base_delay_ms: 2_000,
            max_delay_ms: 60_000,
            forget_after_ms: 15 * 60 * 1000,
        }
    }
}

impl LoginThrottlePolicy {
    /// Limits on codes sent to one phone or e-mail, whatever asks for them
    /// (registration, resend, reset, new contact, login): a few at once, then
    /// a growing wait, so nobody can flood a stranger's phone with SMS.
    pub const fn code_sends() -> Self {
        Self {
            // Counted before each send: three go at once, the fourth waits.
            free_failures: 2,
            lockout_after: 10,
            lockout_ms: 60 * 60 * 1000,
            base_delay_ms: 60_000,
            max_delay_ms: 15 * 60 * 1000,
            forget_after_ms: 60 * 60 * 1000,
        }
    }
}

impl LoginThrottlePolicy {
    /// Wrong second-factor codes of one account, counted across challenges: a
    /// new password login makes a new challenge but does not reset this. After
    /// ten the second factor is locked for an hour and the person is told.
    pub const fn second_factor() -> Self {
        Self {
            free_failures: 5,
            lockout_after: 10,
            lockout_ms: 60 * 60 * 1000,
            base_delay_ms: 30_000,
            max_delay_ms: 10 * 60 * 1000,
            forget_after_ms: 24 * 60 * 60 * 1000,
        }
    }

    /// Whether the failure that produced `after` is the one that first makes
    /// the key wait, or the one that locks it (to tell the person once each,
    /// not at every refused try).
    pub fn just_locked(&self, after: &FailureRecord) -> bool {
        after.failures == self.free_failures + 1 || after.failures == self.lockout_after
    }
}

/// The stored failure record of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FailureRecord {
    pub failures: u32,
    pub last_failure_ms: i64,
}

impl LoginThrottlePolicy {
    /// The failures that still count at `now_ms`.
    pub fn effective_failures(&self, record: &FailureRecord, now_ms: i64) -> u32 {
        if now_ms - record.last_failure_ms > self.forget_after_ms {
            0
        } else {
            record.failures
        }
    }

    /// `Ok` when a login attempt may be made now, else the milliseconds to wait.
    pub fn check(&self, record: &FailureRecord, now_ms: i64) -> Result<(), i64> {
        let failures = self.effective_failures(record, now_ms);
        let wait = if failures >= self.lockout_after {
            self.lockout_ms
        } else if failures > self.free_failures {
            let exp = (failures - self.free_failures - 1).min(20);
            (self.base_delay_ms << exp).min(self.max_delay_ms)
        } else {
            0
        };
        // Clocks of two instances may disagree: never wait longer than the rule says.
        let remaining = (record.last_failure_ms + wait - now_ms).min(wait);
        if wait > 0 && remaining > 0 {
            Err(remaining)
        } else {
            Ok(())
        }
    }

    /// The record after one more failure at `now_ms`.
    pub fn record_failure(&self, record: &FailureRecord, now_ms: i64) -> FailureRecord {
        FailureRecord {
            failures: self.effective_failures(record, now_ms).saturating_add(1),
            last_failure_ms: now_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn first_failures_are_free() {
        let p = LoginThrottlePolicy::default();
        let mut r = FailureRecord::default();
        for _ in 0..p.free_failures {
            r = p.record_failure(&r, 1_000_000);
            assert_eq!(p.check(&r, 1_000_000), Ok(()));
        }
        r = p.record_failure(&r, 1_000_000);
        assert_eq!(p.check(&r, 1_000_000), Err(p.base_delay_ms));
        assert_eq!(p.check(&r, 1_000_000 + p.base_delay_ms), Ok(()));
    }

    #[test]
    fn locks_after_many_failures_and_forgets_later() {
        let p = LoginThrottlePolicy::default();
        let r = FailureRecord {
            failures: p.lockout_after,
            last_failure_ms: 0,
        };
        assert_eq!(p.check(&r, 1), Err(p.lockout_ms - 1));
        assert_eq!(p.check(&r, p.lockout_ms), Ok(()));
        assert_eq!(p.effective_failures(&r, p.forget_after_ms + 1), 0);
    }

    proptest! {
        #[test]
        fn wait_never_exceeds_lockout(failures in 0u32..1000, last in 0i64..1_000_000, now in 0i64..2_000_000) {
            let p = LoginThrottlePolicy::default();
            let r = FailureRecord { failures, last_failure_ms: last };
            if let Err(wait) = p.check(&r, now) {
                prop_assert!(wait > 0 && wait <= p.lockout_ms);
            }
        }

        #[test]
        fn more_failures_never_wait_less(failures in 0u32..30) {
            let p = LoginThrottlePolicy::default();
            let a = FailureRecord { failures, last_failure_ms: 0 };
            let b = FailureRecord { failures: failures + 1, last_failure_ms: 0 };
            let wait = |r: &FailureRecord| p.check(r, 0).err().unwrap_or(0);
            prop_assert!(wait(&b) >= wait(&a));
        }
    }
}
