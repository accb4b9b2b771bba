//! Per-address limits on the entrance (SPEC §8): registration, sign-in, the
//! second factor, codes and password resets, on the pages and the API. The
//! per-account counters in the database stop guessing at one account; this
//! stops one address from trying many accounts, or flooding the registry
//! and the SMS gateway. The limiter is the `governor` crate's (GCRA), kept in
//! memory per instance: a cache that may only be stricter, never looser.

use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

/// Writes to these paths are the entrance.
const ENTRANCE: &[&str] = &[
    "/api/v1/accounts",
    "/api/v1/sessions",
    "/api/v1/staff/sessions",
    "/api/v1/password-resets",
    "/register",
    "/login",
    "/staff/login",
    "/password-reset",
    "/confirm",
];

fn is_entrance(method: &Method, path: &str) -> bool {
    *method == Method::POST
        && ENTRANCE.iter().any(|p| {
            path == *p
                || path
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
}

/// Requests per minute from one address, with a burst.
#[derive(Clone)]
pub struct EntranceLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// Checks since the last sweep of idle addresses.
    checks: Arc<std::sync::atomic::AtomicU32>,
}

/// One IPv6 subscriber gets a whole /64: limited as one address.
fn subscriber(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

impl EntranceLimiter {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: Arc::new(governor::RateLimiter::keyed(
                Quota::per_minute(per_minute).allow_burst(burst),
            )),
            checks: Arc::new(std::sync::atomic::AtomicU32::new(0)),
        }
    }

    /// `Err(ms)` to wait when `ip` has used its allowance.
    fn check(&self, ip: IpAddr) -> Result<(), i64> {
        // Now and then forget the addresses whose allowance is whole again,
        // so the table cannot grow without bound.
        let n = self
            .checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n % 4096 == 4095 || self.limiter.len() > 100_000 {
            self.forget_idle();
        }
        self.limiter
            .check_key(&subscriber(ip))
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)
            })
    }

    /// Forgets addresses that have their whole allowance back.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
    }
}

pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let (Some(ip), true) = (peer, is_entrance(req.method(), req.uri().path()))
        && let Err(wait) = state.entrance().check(ip)
    {
        let err = AppError::throttled("rate_limited", wait);
        let lang = crate::pages::request_lang(req.headers());
        return if req.uri().path().starts_with("/api/") {
            crate::api::problem::problem(lang, &err)
        } else {
            crate::pages::error_page(lang, &err)
        };
    }
    next.run(req).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_entrance_writes_are_limited() {
        assert!(is_entrance(&Method::POST, "/api/v1/sessions"));
        assert!(is_entrance(
            &Method::POST,
            "/api/v1/sessions/second-factor/x"
        ));
        assert!(is_entrance(&Method::POST, "/login/second-factor/x"));
        assert!(!is_entrance(&Method::GET, "/login"));
        assert!(!is_entrance(&Method::POST, "/loginx"));
        assert!(!is_entrance(&Method::POST, "/api/v1/me/identity"));
    }

    #[test]
    fn an_address_gets_its_burst_then_waits() {
        let l = EntranceLimiter::new(6, 3);
        let ip: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..3 {
            assert!(l.check(ip).is_ok());
        }
        assert!(l.check(ip).is_err());
        assert!(
            l.check([10, 0, 0, 2].into()).is_ok(),
            "another address is not affected"
        );
    }

    #[test]
    fn an_ipv6_subscriber_is_one_address_and_idle_ones_are_forgotten() {
        let l = EntranceLimiter::new(60_000, 1);
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert!(l.check(a).is_ok());
        assert!(l.check(b).is_err(), "the same /64");
        std::thread::sleep(std::time::Duration::from_millis(5));
        for i in 0..5000u32 {
            let _ = l.check(IpAddr::V4(std::net::Ipv4Addr::from(0x0b00_0000 + i)));
        }
        // Swept at least once (a burst of one refills in a millisecond).
        assert!(l.limiter.len() < 5000, "{}", l.limiter.len());
    }
}
