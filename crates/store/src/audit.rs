//! The audit log's hash chain. Each entry's hash is an HMAC-SHA-256, keyed
//! with a secret that is not in the database (derived from the vault key),
//! over its fields (length-prefixed, so no two different entries serialise
//! alike) and the previous entry's hash: editing, deleting or reordering any
//! entry breaks every hash after it, and someone who can only write the
//! database cannot compute a new one. Signed checkpoints (`Checkpoint`),
//! written to a file outside the database, catch a log cut short.
//!
//! The log is several such chains, "lanes" (eight on PostgreSQL, one on
//! SQLite): a transaction appends to one lane, so appends of different
//! transactions need not wait for each other's COMMIT. Each lane has its own
//! head, sequence and checkpoints; events after lane 1 hash their lane too,
//! so none can be passed off as another lane's. Across lanes, events are
//! ordered in time by their UUIDv7 ids.

use crate::AuditEvent;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The secret that keys the chain and signs checkpoints.
#[derive(Clone)]
pub struct AuditKey([u8; 32]);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(…)")
    }
}

impl AuditKey {
    /// Derives the key from a secret kept outside the database.
    pub fn derive(secret: &[u8]) -> Self {
        Self(
            Sha256::new()
                .chain_update(b"migportal audit chain v1")
                .chain_update(secret)
                .finalize()
                .into(),
        )
    }

    /// HMAC takes keys of any length, so this is always `Some`; were it not,
    /// the empty hash would make every check fail, never pass.
    fn mac(&self) -> Option<Hmac<Sha256>> {
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0).ok()
    }
}

/// The hash the chain starts from.
pub const GENESIS: &str = "genesis";

fn field(h: &mut Hmac<Sha256>, v: &str) {
    h.update(v.len().to_string().as_bytes());
    h.update(b":");
    h.update(v.as_bytes());
    h.update(b";");
}

fn opt(v: Option<Uuid>) -> String {
    v.map(|u| u.to_string()).unwrap_or_default()
}

pub fn entry_hash(key: &AuditKey, prev_hash: &str, e: &AuditEvent) -> String {
    let Some(mut h) = key.mac() else {
        return String::new();
    };
    field(&mut h, prev_hash);
    // Lane 1 hashes as the single chain did before lanes, so logs written
    // then still verify.
    if e.lane != 1 {
        field(&mut h, &format!("lane {}", e.lane));
    }
    field(&mut h, &e.id.to_string());
    field(&mut h, &e.seq.to_string());
    field(&mut h, &e.at.to_string());
    field(&mut h, &opt(e.actor_id));
    field(&mut h, e.actor_role.as_deref().unwrap_or(""));
    field(&mut h, &opt(e.office_id));
    field(&mut h, &e.action);
    field(&mut h, &opt(e.subject_id));
    field(&mut h, &e.details);
    hex::encode(h.finalize().into_bytes())
}

/// A signed statement "lane `lane` of the log had `seq` entries, the last
/// hashing to `hash`, at `at`", written outside the database. A lane that no
/// longer reaches its checkpoint, or reaches it with another hash, was altered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    /// Checkpoints written before lanes name none: they are of lane 1.
    #[serde(default = "first_lane")]
    pub lane: i64,
    pub seq: i64,
    pub hash: String,
    pub at: i64,
    pub mac: String,
}

fn first_lane() -> i64 {
    1
}

impl Checkpoint {
    fn mac_of(key: &AuditKey, lane: i64, seq: i64, hash: &str, at: i64) -> String {
        let Some(mut h) = key.mac() else {
            return String::new();
        };
        field(&mut h, "checkpoint");
        // As in `entry_hash`: lane 1's checkpoints sign what they signed before lanes.
        if lane != 1 {
            field(&mut h, &format!("lane {lane}"));
        }
        field(&mut h, &seq.to_string());
        field(&mut h, hash);
        field(&mut h, &at.to_string());
        hex::encode(h.finalize().into_bytes())
    }

    pub fn sign(key: &AuditKey, head: &crate::AuditHead, at: i64) -> Self {
        Self {
            lane: head.lane,
            seq: head.seq,
            hash: head.hash.clone(),
            at,
            mac: Self::mac_of(key, head.lane, head.seq, &head.hash, at),
        }
    }

    pub fn is_genuine(&self, key: &AuditKey) -> bool {
        let expected = Self::mac_of(key, self.lane, self.seq, &self.hash, self.at);
        !expected.is_empty()
            && expected.len() == self.mac.len()
            && expected
                .bytes()
                .zip(self.mac.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// Where the chain is broken, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub lane: i64,
    pub seq: i64,
    pub id: Option<Uuid>,
    pub reason: &'static str,
}

/// Checks entries of one lane in `seq` order, continuing from (`seq`,
/// `hash`) of the entry before them. Returns the new tip, or the first
/// broken entry.
pub fn verify_run(
    key: &AuditKey,
    lane: i64,
    mut tip: (i64, String),
    entries: &[AuditEvent],
) -> Result<(i64, String), Broken> {
    let broken = |seq, id, reason| Broken {
        lane,
        seq,
        id,
        reason,
    };
    for e in entries {
        if e.lane != lane {
            return Err(broken(e.seq, Some(e.id), "in another lane than its place"));
        }
        if e.seq != tip.0 + 1 {
            return Err(broken(tip.0 + 1, None, "missing entry (gap in sequence)"));
        }
        if e.prev_hash != tip.1 {
            return Err(broken(
                e.seq,
                Some(e.id),
                "does not link to the previous entry",
            ));
        }
        if entry_hash(key, &e.prev_hash, e) != e.hash {
            return Err(broken(e.seq, Some(e.id), "content altered (hash mismatch)"));
        }
        tip = (e.seq, e.hash.clone());
    }
    Ok(tip)
}

/// Walks every lane of the log in pages and checks it against its stored
/// tip and the checkpoints kept outside the database, then that no event
/// lies outside the lanes. Safe while the portal appends: a head read
/// first is a point the lane must still pass through, not its end.
/// `Ok(Ok(n))`: n entries, all intact; `Ok(Err(b))`: the first break.
pub async fn verify_all<S: crate::AuditStore + ?Sized>(
    store: &S,
    key: &AuditKey,
    checkpoints: &[Checkpoint],
) -> crate::Result<Result<i64, Broken>> {
    for c in checkpoints {
        if !c.is_genuine(key) {
            return Ok(Err(Broken {
                lane: c.lane,
                seq: c.seq,
                id: None,
                reason: "a checkpoint is not genuine (wrong key or edited)",
            }));
        }
    }
    let heads = store.audit_heads().await?;
    if let Some(c) = checkpoints
        .iter()
        .find(|c| !heads.iter().any(|h| h.lane == c.lane))
    {
        return Ok(Err(Broken {
            lane: c.lane,
            seq: c.seq,
            id: None,
            reason: "a checkpoint names a lane the log no longer has",
        }));
    }
    let mut total = 0;
    for head in &heads {
        let mine: Vec<&Checkpoint> = checkpoints.iter().filter(|c| c.lane == head.lane).collect();
        match verify_lane(store, key, head, &mine).await? {
            Ok(n) => total += n,
            Err(b) => return Ok(Err(b)),
        }
    }
    if store.audit_strays().await? > 0 {
        return Ok(Err(Broken {
            lane: 0,
            seq: 0,
            id: None,
            reason: "the log holds events outside its chains",
        }));
    }
    Ok(Ok(total))
}

async fn verify_lane<S: crate::AuditStore + ?Sized>(
    store: &S,
    key: &AuditKey,
    head: &crate::AuditHead,
    checkpoints: &[&Checkpoint],
) -> crate::Result<Result<i64, Broken>> {
    let lane = head.lane;
    let mut tip = (0, GENESIS.to_owned());
    let mut seen: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    let mut wanted: std::collections::HashSet<i64> = checkpoints.iter().map(|c| c.seq).collect();
    wanted.insert(head.seq);
    loop {
        let page = store.audit_page(lane, tip.0, 1000).await?;
        if page.is_empty() {
            break;
        }
        match verify_run(key, lane, tip, &page) {
            Ok(t) => tip = t,
            Err(b) => return Ok(Err(b)),
        }
        for e in page.iter().filter(|e| wanted.contains(&e.seq)) {
            seen.insert(e.seq, e.hash.clone());
        }
    }
    let broken = |seq, reason| Broken {
        lane,
        seq,
        id: None,
        reason,
    };
    for c in checkpoints {
        match seen.get(&c.seq) {
            Some(h) if *h == c.hash => {}
            Some(_) => return Ok(Err(broken(c.seq, "differs from a signed checkpoint"))),
            None if c.seq == 0 => {}
            None => {
                return Ok(Err(broken(
                    tip.0 + 1,
                    "entries after this point were removed (a checkpoint is beyond the log)",
                )));
            }
        }
    }
    // The head, read before the walk, is passed through as it was (events
    // appended since lie beyond it).
    let at_head = if head.seq == 0 {
        Some(GENESIS.to_owned())
    } else {
        seen.get(&head.seq).cloned()
    };
    if at_head.as_deref() != Some(head.hash.as_str()) {
        return Ok(Err(broken(
            tip.0 + 1,
            "entries after this point were removed",
        )));
    }
    Ok(Ok(tip.0))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key() -> AuditKey {
        AuditKey::derive(b"test")
    }

    fn chain(n: i64) -> Vec<AuditEvent> {
        chain_in(1, n)
    }

    fn chain_in(lane: i64, n: i64) -> Vec<AuditEvent> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEvent {
                    id: Uuid::now_v7(),
                    lane,
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
                e.hash = entry_hash(&key(), &prev, &e);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies_and_edits_are_found() {
        let c = chain(5);
        assert_eq!(verify_run(&key(), 1, (0, GENESIS.into()), &c).unwrap().0, 5);
        let mut edited = c.clone();
        edited[2].details = "d3 changed".into();
        assert_eq!(
            verify_run(&key(), 1, (0, GENESIS.into()), &edited)
                .unwrap_err()
                .seq,
            3
        );
        let mut gap = c.clone();
        gap.remove(1);
        assert_eq!(
            verify_run(&key(), 1, (0, GENESIS.into()), &gap)
                .unwrap_err()
                .seq,
            2
        );
        let mut relinked = c;
        relinked[3].prev_hash = "x".into();
        assert_eq!(
            verify_run(&key(), 1, (0, GENESIS.into()), &relinked)
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
        assert_ne!(
            entry_hash(&key(), GENESIS, &a),
            entry_hash(&key(), GENESIS, &b)
        );
    }

    #[test]
    fn without_the_key_no_hash_can_be_recomputed() {
        let c = chain(3);
        let other = AuditKey::derive(b"guess");
        // Recomputed with another key (or plain SHA-256): the chain says so.
        let mut forged = c.clone();
        forged[1].details = "rewritten".into();
        forged[1].hash = entry_hash(&other, &forged[1].prev_hash, &forged[1]);
        assert_eq!(
            verify_run(&key(), 1, (0, GENESIS.into()), &forged)
                .unwrap_err()
                .seq,
            2
        );
    }

    fn head(lane: i64, seq: i64, hash: &str) -> crate::AuditHead {
        crate::AuditHead {
            lane,
            seq,
            hash: hash.into(),
        }
    }

    #[test]
    fn checkpoints_are_signed() {
        let cp = Checkpoint::sign(&key(), &head(1, 5, "abc"), 10);
        assert!(cp.is_genuine(&key()));
        assert!(!cp.is_genuine(&AuditKey::derive(b"other")));
        let mut moved = cp.clone();
        moved.seq = 4;
        assert!(!moved.is_genuine(&key()));
        // Another lane's checkpoint cannot be passed off as lane 1's.
        let mut relaned = Checkpoint::sign(&key(), &head(3, 5, "abc"), 10);
        assert!(relaned.is_genuine(&key()));
        relaned.lane = 1;
        assert!(!relaned.is_genuine(&key()));
    }

    /// Lane 1 hashes and signs exactly as the single chain did before lanes
    /// (values computed apart, with Python's hmac), so older logs and
    /// checkpoint files still verify; a checkpoint line without a lane is lane 1's.
    #[test]
    fn lane_one_is_the_chain_as_it_was() {
        let e = AuditEvent {
            id: Uuid::parse_str("0193a5f6-4e5f-7a6b-8c7d-8e9fa0b1c205").unwrap(),
            lane: 1,
            seq: 1,
            at: 10,
            actor_id: None,
            actor_role: Some("officer".into()),
            office_id: None,
            action: "a".into(),
            subject_id: None,
            details: "d1".into(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
        };
        assert_eq!(
            entry_hash(&key(), GENESIS, &e),
            "67c93f3cf9f86e61598d4f098b6a3e2b77b0cbd32cbdbdd6de50824fa8e1f834"
        );
        let old: Checkpoint = serde_json::from_str(
            r#"{"seq":5,"hash":"abc","at":10,"mac":"314e974775c531e3265ff434f69a6f547ae137cd9622e399b928f1508d782c09"}"#,
        )
        .unwrap();
        assert_eq!(old.lane, 1);
        assert!(old.is_genuine(&key()));
    }

    /// Lanes are chains of their own: each verifies alone, and an event
    /// moved into another lane (lane and place rewritten) no longer does.
    #[test]
    fn an_event_cannot_change_lanes() {
        let two = chain_in(2, 3);
        let three = chain_in(3, 3);
        assert_eq!(
            verify_run(&key(), 2, (0, GENESIS.into()), &two).unwrap().0,
            3
        );
        assert_eq!(
            verify_run(&key(), 3, (0, GENESIS.into()), &three)
                .unwrap()
                .0,
            3
        );
        assert!(verify_run(&key(), 3, (0, GENESIS.into()), &two).is_err());
        let mut moved = two[0].clone();
        moved.lane = 3;
        let broken = verify_run(&key(), 3, (0, GENESIS.into()), &[moved]).unwrap_err();
        assert_eq!((broken.lane, broken.seq), (3, 1));
        assert_eq!(broken.reason, "content altered (hash mismatch)");
    }
}
