//! The audit log's hash chain. Each entry's hash is SHA-256 over its fields
//! (length-prefixed, so no two different entries serialise alike) and the
//! previous entry's hash; editing, deleting or reordering any entry breaks
//! every hash after it.

use crate::AuditEvent;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The hash the chain starts from.
pub const GENESIS: &str = "genesis";

fn field(h: &mut Sha256, v: &str) {
    h.update(v.len().to_string().as_bytes());
    h.update(b":");
    h.update(v.as_bytes());
    h.update(b";");
}

fn opt(v: Option<Uuid>) -> String {
    v.map(|u| u.to_string()).unwrap_or_default()
}

pub fn entry_hash(prev_hash: &str, e: &AuditEvent) -> String {
    let mut h = Sha256::new();
    field(&mut h, prev_hash);
    field(&mut h, &e.id.to_string());
    field(&mut h, &e.seq.to_string());
    field(&mut h, &e.at.to_string());
    field(&mut h, &opt(e.actor_id));
    field(&mut h, e.actor_role.as_deref().unwrap_or(""));
    field(&mut h, &opt(e.office_id));
    field(&mut h, &e.action);
    field(&mut h, &opt(e.subject_id));
    field(&mut h, &e.details);
    hex::encode(h.finalize())
}

/// Where the chain is broken, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub seq: i64,
    pub id: Option<Uuid>,
    pub reason: &'static str,
}

/// Checks entries in `seq` order, continuing from (`seq`, `hash`) of the
/// entry before them. Returns the new tip, or the first broken entry.
pub fn verify_run(mut tip: (i64, String), entries: &[AuditEvent]) -> Result<(i64, String), Broken> {
    for e in entries {
        if e.seq != tip.0 + 1 {
            return Err(Broken {
                seq: tip.0 + 1,
                id: None,
                reason: "missing entry (gap in sequence)",
            });
        }
        if e.prev_hash != tip.1 {
            return Err(Broken {
                seq: e.seq,
                id: Some(e.id),
                reason: "does not link to the previous entry",
            });
        }
        if entry_hash(&e.prev_hash, e) != e.hash {
            return Err(Broken {
                seq: e.seq,
                id: Some(e.id),
                reason: "content altered (hash mismatch)",
            });
        }
        tip = (e.seq, e.hash.clone());
    }
    Ok(tip)
}

/// Walks the whole log in pages and checks it against the stored tip.
/// `Ok(Ok(n))`: n entries, all intact; `Ok(Err(b))`: the first break.
pub async fn verify_all<S: crate::AuditStore + ?Sized>(
    store: &S,
) -> crate::Result<Result<i64, Broken>> {
    let (head_seq, head_hash) = store.audit_head().await?;
    let mut tip = (0, GENESIS.to_owned());
    loop {
        let page = store.audit_page(tip.0, 1000).await?;
        if page.is_empty() {
            break;
        }
        match verify_run(tip, &page) {
            Ok(t) => tip = t,
            Err(b) => return Ok(Err(b)),
        }
    }
    if tip.0 != head_seq || tip.1 != head_hash {
        return Ok(Err(Broken {
            seq: tip.0 + 1,
            id: None,
            reason: "entries after this point were removed",
        }));
    }
    Ok(Ok(tip.0))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEvent> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEvent {
                    id: Uuid::now_v7(),
                    seq,
                    at: seq * 10,
                    actor_id: None,
                    actor_role: Some("officer".into()),
                    office_id: None,
                    action: "a".into(),
                    subject_id: None,
                    details: format!("d{seq}"),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = entry_hash(&prev, &e);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies_and_edits_are_found() {
        let c = chain(5);
        assert_eq!(verify_run((0, GENESIS.into()), &c).unwrap().0, 5);
        let mut edited = c.clone();
        edited[2].details = "d3 changed".into();
        assert_eq!(verify_run((0, GENESIS.into()), &edited).unwrap_err().seq, 3);
        let mut gap = c.clone();
        gap.remove(1);
        assert_eq!(verify_run((0, GENESIS.into()), &gap).unwrap_err().seq, 2);
        let mut relinked = c;
        relinked[3].prev_hash = "x".into();
        assert_eq!(
            verify_run((0, GENESIS.into()), &relinked)
                .unwrap_err()
                .reason,
            "does not link to the previous entry"
        );
    }

    #[test]
    fn fields_cannot_shift_into_each_other() {
        let mut a = chain(1).remove(0);
        let mut b = a.clone();
        a.action = "ab".into();
        a.details = "c".into();
        b.action = "a".into();
        b.details = "bc".into();
        assert_ne!(entry_hash(GENESIS, &a), entry_hash(GENESIS, &b));
    }
}
