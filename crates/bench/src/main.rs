//! `migportal-bench`: benchmarks that print their figures (SPEC §10,
//! docs/PERFORMANCE.md). Each makes its own fresh database, fills it and
//! measures the use case itself (the `app` crate's code, as a request runs
//! it), then drops the database.
//!
//! ```text
//! migportal-bench availability [--bookings N] [--offices N] [--rounds N]
//! migportal-bench load [--seconds N] [--clients N] [--postgres] [--worker-apart] [--instances N] [--standby URL] [--only me,status,…]
//! migportal-bench side-by-side [--seconds N] [--clients N] [--worker-apart]
//! migportal-bench crash [--seconds N] [--clients N] [--kills N] [--postgres] [--restart-postgres]
//! migportal-bench scale [--accounts N] [--applications N] [--offices N] [--rounds N] [--keep] [--database URL] [--http-seconds N] [--clients N]
//! ```
//! PostgreSQL is reached through `MIGPORTAL_TEST_POSTGRES_URL` (an admin URL;
//! a database is created and dropped).

mod availability;
mod balancer;
mod crash;
mod crash_visits;
mod load;
mod people;
mod process;
mod scale;
mod scale_http;
mod side_by_side;

use std::time::Duration;

fn usage() -> anyhow::Error {
    anyhow::anyhow!(
        "usage: migportal-bench availability [--bookings N] [--offices N] [--rounds N]\n       \
         migportal-bench load [--seconds N] [--clients N] [--postgres] [--worker-apart] [--instances N] [--standby URL] [--only me,catalogue,status,list,queue,availability,submit,send,mixed]\n       \
         migportal-bench crash [--seconds N] [--clients N] [--kills N] [--postgres] [--restart-postgres]\n       \
         migportal-bench side-by-side [--seconds N] [--clients N] [--worker-apart]\n       \
         migportal-bench scale [--accounts N] [--applications N] [--offices N] [--rounds N] [--keep] [--database URL] [--http-seconds N] [--clients N]"
    )
}

/// `--name value` from the arguments, or the default.
fn number(args: &[String], name: &str, default: usize) -> anyhow::Result<usize> {
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(usage),
        None => Ok(default),
    }
}

/// The use cases' context over a store, as a request sees it (default
/// settings, the system clock, the built-in catalogue unless given).
pub fn portal(
    store: std::sync::Arc<dyn store::Store>,
    vault: store::vault::Vault,
    catalogue: app::catalogue::Catalogue,
) -> app::Portal {
    app::Portal::new(
        store,
        vault,
        app::config::Settings::default(),
        app::system_clock,
        None,
        catalogue,
    )
}

/// p50, p95, p99 and the maximum of some durations, in milliseconds.
pub fn summary(mut took: Vec<Duration>) -> String {
    took.sort();
    let at = |q: f64| {
        let i = ((took.len() as f64 - 1.0) * q).round() as usize;
        took.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    format!(
        "p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} runs)",
        at(0.50),
        at(0.95),
        at(0.99),
        at(1.0),
        took.len()
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("availability") => {
            availability::run(
                number(&args, "--bookings", 100_000)?,
                number(&args, "--offices", 50)?,
                number(&args, "--rounds", 200)?,
            )
            .await
        }
        Some("load") => {
            load::run(load::Options {
                seconds: u64::try_from(number(&args, "--seconds", 10)?)?,
                clients: number(&args, "--clients", 16)?,
                postgres: args.iter().any(|a| a == "--postgres"),
                only: args
                    .iter()
                    .position(|a| a == "--only")
                    .map(|i| args.get(i + 1).cloned().ok_or_else(usage))
                    .transpose()?,
                worker_apart: args.iter().any(|a| a == "--worker-apart"),
                instances: number(&args, "--instances", 1)?,
                standby: args
                    .iter()
                    .position(|a| a == "--standby")
                    .map(|i| args.get(i + 1).cloned().ok_or_else(usage))
                    .transpose()?,
            })
            .await
        }
        Some("scale") => {
            scale::run(scale::Args {
                accounts: number(&args, "--accounts", 5_000_000)?,
                applications: number(&args, "--applications", 10_000_000)?,
                offices: number(&args, "--offices", 85)?,
                rounds: number(&args, "--rounds", 200)?,
                keep: args.iter().any(|a| a == "--keep"),
                database: args
                    .iter()
                    .position(|a| a == "--database")
                    .map(|i| args.get(i + 1).cloned().ok_or_else(usage))
                    .transpose()?,
                http: scale_http::Run {
                    seconds: u64::try_from(number(&args, "--http-seconds", 10)?)?,
                    clients: number(&args, "--clients", 8)?,
                },
            })
            .await
        }
        Some("side-by-side") => {
            side_by_side::run(side_by_side::Args {
                seconds: u64::try_from(number(&args, "--seconds", 10)?)?,
                clients: number(&args, "--clients", 8)?,
                worker_apart: args.iter().any(|a| a == "--worker-apart"),
            })
            .await
        }
        Some("crash") => {
            crash::run(crash::Args {
                seconds: u64::try_from(number(&args, "--seconds", 20)?)?,
                clients: number(&args, "--clients", 4)?,
                kills: number(&args, "--kills", 3)?,
                postgres: args
                    .iter()
                    .any(|a| a == "--postgres" || a == "--restart-postgres"),
                fault: if args.iter().any(|a| a == "--restart-postgres") {
                    crash::Fault::Postgres
                } else {
                    crash::Fault::Portal
                },
            })
            .await
        }
        // A load run's portal, started by the run itself (process.rs).
        Some("portal") => process::child().await,
        _ => Err(usage()),
    }
}
