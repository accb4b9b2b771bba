//! The officer's queue and the applicant's list at a country's size over
//! HTTP (SPEC §10: "answer in under 50 ms at p99"): the portal started as a
//! process of its own on the filled database, clients at once for a bounded
//! time, each request timed from its sending to the last byte of its answer.
//! `scale` runs it after the use cases' own timings, which leave HTTP,
//! the session look-up, JSON and the clients at once out.

use crate::process::{Meter, Process, Spec};
use anyhow::Context;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Who reads what: the busiest office's officer, two applicants.
pub struct Readers {
    pub officer: Uuid,
    /// The person with the most applications, and one with two.
    pub busy_person: Uuid,
    pub typical_person: Uuid,
}

pub struct Run {
    pub seconds: u64,
    pub clients: usize,
}

/// One kind of request: its name, whose token, and its address (a queue
/// leafs on by the answer's cursor every other request, as an officer does).
struct Read {
    name: &'static str,
    token: String,
    path: String,
    leafs: bool,
}

pub async fn measure(
    url: &str,
    store: &Arc<dyn store::Store>,
    vault: (&str, &str),
    readers: &Readers,
    run: &Run,
) -> anyhow::Result<()> {
    if run.seconds == 0 {
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("migportal-scale-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let spec = Spec {
        database_url: url.to_owned(),
        // No worker runs and no request here asks a registry.
        registry_url: "http://127.0.0.1:9".into(),
        registry_token: "-".into(),
        vault_key: vault.1.to_owned(),
        dir: dir.display().to_string(),
        run_worker: false,
        database_read_url: None,
        job_lease_seconds: None,
        vault_key_id: Some(vault.0.to_owned()),
        // The filled database as it is: no demo people or offices added.
        plain: true,
    };
    let portal = Process::spawn(&spec).await?;
    let result = drive(&portal, store, readers, run).await;
    portal.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn drive(
    portal: &Process,
    store: &Arc<dyn store::Store>,
    readers: &Readers,
    run: &Run,
) -> anyhow::Result<()> {
    let officer = crate::people::bearer_session(store, readers.officer).await?;
    let busy = crate::people::bearer_session(store, readers.busy_person).await?;
    let typical = crate::people::bearer_session(store, readers.typical_person).await?;
    let queue = |name, query: &str, leafs| Read {
        name,
        token: officer.clone(),
        path: format!("/api/v1/office/applications?limit=50{query}"),
        leafs,
    };
    let reads = [
        queue("officer's queue «all open», 50 a page", "", true),
        queue("officer's queue «new»", "&queue=new", true),
        queue("officer's queue «overdue»", "&queue=overdue", true),
        // The prefix of the middle: the slowest of the three the use case timed.
        queue("officer's search «Николаев…»", "&q=Николаев", false),
        Read {
            name: "an applicant's list, the person with the most",
            token: busy,
            path: "/api/v1/applications".into(),
            leafs: false,
        },
        Read {
            name: "an applicant's list, a person with two",
            token: typical,
            path: "/api/v1/applications".into(),
            leafs: false,
        },
    ];
    println!(
        "over HTTP: the portal on this database, {} clients, {} s each",
        run.clients, run.seconds
    );
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(run.clients.max(1))
        .build()?;
    let mut failing = Vec::new();
    for read in reads {
        let read = Arc::new(read);
        // Warm: the first answers fill caches and prepare statements.
        for _ in 0..5 {
            get(&http, &portal.url, &read, None)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", read.name))?;
        }
        let mut meter = Meter::new(&[(portal.pid, "portal")]);
        meter.begin();
        let started = Instant::now();
        let until = started + Duration::from_secs(run.seconds);
        let mut clients = Vec::new();
        for _ in 0..run.clients.max(1) {
            let (http, base, read) = (http.clone(), portal.url.clone(), read.clone());
            clients.push(tokio::spawn(async move {
                let mut took = Vec::new();
                let mut failed: BTreeMap<String, usize> = BTreeMap::new();
                let mut cursor: Option<String> = None;
                while Instant::now() < until {
                    let at = Instant::now();
                    match get(&http, &base, &read, cursor.take()).await {
                        Ok(body) => {
                            // Timed to the last byte; the cursor read after.
                            took.push(at.elapsed());
                            // Every other request the next page (pages one
                            // and two in turn, as the use cases' timings do).
                            if read.leafs && took.len() % 2 == 1 {
                                cursor = next_page(&body);
                            }
                        }
                        Err(why) => *failed.entry(why).or_default() += 1,
                    }
                }
                (took, failed)
            }));
        }
        let mut took = Vec::new();
        let mut failed: BTreeMap<String, usize> = BTreeMap::new();
        for c in clients {
            let (t, f) = c.await.context("a client panicked")?;
            took.extend(t);
            for (why, n) in f {
                *failed.entry(why).or_default() += n;
            }
        }
        let secs = started.elapsed().as_secs_f64();
        meter.end();
        let done = took.len();
        println!(
            "{}: {done} in {secs:.1} s, {:.0}/s, {}{}\n    {}",
            read.name,
            done as f64 / secs.max(f64::EPSILON),
            crate::summary(took),
            if failed.is_empty() {
                String::new()
            } else {
                format!("; failed: {failed:?}")
            },
            meter.line(done)
        );
        if !failed.is_empty() || done == 0 {
            failing.push(read.name);
        }
    }
    anyhow::ensure!(failing.is_empty(), "requests failed: {failing:?}");
    Ok(())
}

/// One request, its answer read in full.
async fn get(
    http: &reqwest::Client,
    base: &str,
    read: &Read,
    after: Option<String>,
) -> Result<Vec<u8>, String> {
    let mut req = http.get(format!("{base}{}", read.path));
    if let Some(after) = after {
        req = req.query(&[("after", after)]);
    }
    let res = req
        .bearer_auth(&read.token)
        .send()
        .await
        .map_err(|e| format!("send: {e}"))?;
    let status = res.status();
    let body = res.bytes().await.map_err(|e| format!("read: {e}"))?;
    if status.as_u16() != 200 {
        return Err(status.to_string());
    }
    Ok(body.to_vec())
}

/// The next page's cursor of a queue page, if any.
fn next_page(body: &[u8]) -> Option<String> {
    let page: serde_json::Value = serde_json::from_slice(body).ok()?;
    page["next"].as_str().map(str::to_owned)
}
