//! Signed checkpoints of the audit chain, appended to a file outside the
//! database (one JSON line each) for an operator to ship elsewhere (syslog,
//! another host). `migportal audit verify` checks the log against them, which
//! catches a log cut short even when the head row was rewritten too.

use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use store::audit::{AuditKey, Checkpoint};
use tokio::sync::watch;

/// The tips last written, per lane.
pub type Written = std::collections::HashMap<i64, (i64, String)>;

/// Appends a checkpoint of each lane's tip now, unless it is the one
/// written last for that lane.
pub async fn write(
    store: &dyn Store,
    key: &AuditKey,
    path: &Path,
    last: &mut Written,
    now: i64,
) -> anyhow::Result<()> {
    let heads: Vec<_> = store
        .audit_heads()
        .await?
        .into_iter()
        .filter(|h| last.get(&h.lane) != Some(&(h.seq, h.hash.clone())))
        .collect();
    if heads.is_empty() {
        return Ok(());
    }
    let mut lines = String::new();
    for h in &heads {
        lines.push_str(&serde_json::to_string(&Checkpoint::sign(key, h, now))?);
        lines.push('\n');
    }
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("audit checkpoint file {}", path.display()))?;
    file.write_all(lines.as_bytes())?;
    file.sync_data()?;
    for h in heads {
        last.insert(h.lane, (h.seq, h.hash));
    }
    Ok(())
}

/// Every checkpoint in the file (none if it does not exist); a line that is
/// not a checkpoint is an error, never skipped.
pub fn read(path: &Path) -> anyhow::Result<Vec<Checkpoint>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("{}", path.display())),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{} line {}: not a checkpoint", path.display(), i + 1))
        })
        .collect()
}

/// Writes a checkpoint at start, every `every`, and at shutdown.
pub fn spawn(
    store: Arc<dyn Store>,
    key: AuditKey,
    path: PathBuf,
    every: Duration,
    clock: fn() -> i64,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last = Written::new();
        loop {
            if let Err(e) = write(store.as_ref(), &key, &path, &mut last, clock()).await {
                tracing::error!(error = %e, "cannot write an audit checkpoint");
            }
            if *stop.borrow() {
                break;
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                _ = stop.changed() => {}
            }
        }
    })
}
