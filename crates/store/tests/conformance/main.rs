//! Runs every Store method on every backend: SQLite always, PostgreSQL when
//! MIGPORTAL_TEST_POSTGRES_URL is set (each test in its own fresh database).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::account::{
    AccountStatus, AssuranceLevel, FailureReason, Role, Verification, VerificationState,
};
use domain::otp::{ChallengeChannel, Purpose};
use domain::throttle::FailureRecord;
use std::sync::Arc;
use store::audit;
use store::testing::{TestDb, backends};
use store::*;
use uuid::Uuid;

mod cases;
mod payments;
mod visits;

async fn each_backend<F, Fut>(test: F)
where
    F: Fn(Arc<dyn Store>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in backends() {
        let db = TestDb::new(backend).await.expect("test database");
        let store = connect(&db.url, true, test_key()).await.expect("connect");
        assert_eq!(store.backend(), backend);
        test(store).await;
        drop(db);
    }
}

fn test_key() -> audit::AuditKey {
    audit::AuditKey::derive(b"conformance")
}

fn account(phone: Option<&str>, email: Option<&str>) -> NewAccount {
    NewAccount {
        id: Uuid::now_v7(),
        surname: "Иванов".into(),
        given_name: "Иван".into(),
        patronymic: Some("Иванович".into()),
        phone: phone.map(Into::into),
        email: email.map(Into::into),
        password_hash: "$argon2id$fake".into(),
        status: AccountStatus::PendingContact,
        level: AssuranceLevel::Simplified,
        role: Role::Applicant,
        office_id: None,
        lang: "ru".into(),
    }
}

fn challenge(account_id: Uuid) -> NewChallenge {
    NewChallenge {
        id: Uuid::now_v7(),
        account_id,
        purpose: Purpose::Contact,
        channel: ChallengeChannel::Sms,
        destination: "+79161234567".into(),
        code_hash: "h1".into(),
        identity_version: None,
    }
}

fn job(kind: &str, now: i64) -> NewJob {
    NewJob::now(kind, "{}".into(), now)
}

#[tokio::test]
async fn registration_and_contact_confirmation() {
    each_backend(|s| async move {
        let a = account(Some("+79161234567"), None);
        let id = a.id;
        let ch = challenge(id);
        let ch_id = ch.id;
        s.register_account(a, ch, job(job_kind::DELIVER_CODE, 1), 1)
            .await
            .unwrap();

        let got = s.get_account(id).await.unwrap().unwrap();
        assert_eq!(got.status, AccountStatus::PendingContact);
        assert_eq!(got.patronymic.as_deref(), Some("Иванович"));
        assert_eq!(s.job_stats().await.unwrap().pending, 1);

        let c = s.get_challenge(ch_id).await.unwrap().unwrap();
        assert_eq!((c.sends, c.attempts, c.consumed), (1, 0, false));
        let a = s
            .attempt_challenge(ch_id, Purpose::Contact, None, 5, 0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((a.attempts, a.account_id), (1, Some(id)));
        // Another purpose, another owner or a code sent too long ago count nothing.
        assert!(
            s.attempt_challenge(ch_id, Purpose::Reset, None, 5, 0)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.attempt_challenge(ch_id, Purpose::Contact, Some(Uuid::now_v7()), 5, 0)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.attempt_challenge(ch_id, Purpose::Contact, None, 5, 2)
                .await
                .unwrap()
                .is_none()
        );
        s.resend_challenge(
            ch_id,
            1,
            "h2".into(),
            Some(job(job_kind::DELIVER_CODE, 5)),
            5,
        )
        .await
        .unwrap();
        let c = s.get_challenge(ch_id).await.unwrap().unwrap();
        // A resend keeps the attempts counted: it is not a way to more guesses.
        assert_eq!(
            (c.sends, c.attempts, c.code_hash.as_str(), c.sent_at),
            (2, 1, "h2", 5)
        );
        assert!(matches!(
            s.resend_challenge(ch_id, 1, "h3".into(), Some(job("k", 6)), 6)
                .await,
            Err(StoreError::Stale)
        ));

        s.confirm_challenge(ch_id, 10).await.unwrap();
        assert!(matches!(
            s.confirm_challenge(ch_id, 11).await,
            Err(StoreError::Stale)
        ));
        // A consumed challenge counts no more attempts.
        assert!(
            s.attempt_challenge(ch_id, Purpose::Contact, None, 5, 0)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            s.get_account(id).await.unwrap().unwrap().status,
            AccountStatus::Active
        );

        // A second account with the now proven phone changes nothing.
        let dup = account(Some("+79161234567"), Some("x@example.ru"));
        let dup_id = dup.id;
        let err = s
            .register_account(dup, challenge(dup_id), job("k", 1), 1)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict("phone")), "{err:?}");
        assert!(s.get_account(dup_id).await.unwrap().is_none());
        assert_eq!(s.job_stats().await.unwrap().pending, 2);

        let auth = s
            .find_auth(&LoginLookup::Phone("+79161234567".into()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(auth.id, id);
        assert!(
            s.find_auth(&LoginLookup::Email("nobody@example.ru".into()))
                .await
                .unwrap()
                .is_none()
        );
        let audit = s.list_audit(id).await.unwrap();
        let actions: Vec<_> = audit.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["account.registered", "challenge.confirmed.contact"]
        );
    })
    .await;
}

#[tokio::test]
async fn abandoned_registration_gives_way() {
    each_backend(|s| async move {
        let first = account(None, Some("new@example.ru"));
        let first_id = first.id;
        let ch = challenge(first_id);
        let ch_id = ch.id;
        s.register_account(first, ch, job("k", 1), 1).await.unwrap();
        let mut again = account(None, Some("new@example.ru"));
        again.lang = "en".into();
        let again_id = again.id;
        s.register_account(again, challenge(again_id), job("k", 2), 2)
            .await
            .unwrap();
        // The language registered in is kept by the same statement.
        assert_eq!(s.lang_of(again_id).await.unwrap().as_deref(), Some("en"));
        assert!(s.get_account(first_id).await.unwrap().is_none());
        assert!(s.get_challenge(ch_id).await.unwrap().is_none());
        assert!(s.get_account(again_id).await.unwrap().is_some());
    })
    .await;
}

#[tokio::test]
async fn staff_accounts_and_email_conflicts() {
    each_backend(|s| async move {
        let mut a = account(None, Some("officer@example.ru"));
        a.status = AccountStatus::Active;
        a.role = Role::Officer;
        let id = a.id;
        s.create_account(a, None, 1).await.unwrap();
        assert_eq!(
            s.get_account(id).await.unwrap().unwrap().role,
            Role::Officer
        );
        let again = account(None, Some("officer@example.ru"));
        assert!(matches!(
            s.create_account(again, None, 2).await,
            Err(StoreError::Conflict("email"))
        ));
    })
    .await;
}

#[tokio::test]
async fn login_failures_are_counted_per_key() {
    each_backend(|s| async move {
        assert_eq!(
            s.login_failures("k").await.unwrap(),
            FailureRecord::default()
        );
        let r = FailureRecord {
            failures: 3,
            last_failure_ms: 77,
        };
        assert!(
            s.bump_failures("k", FailureRecord::default(), r)
                .await
                .unwrap()
        );
        // Compare and set: a writer that read an old record loses.
        assert!(
            !s.bump_failures("k", FailureRecord::default(), r)
                .await
                .unwrap()
        );
        let four = FailureRecord {
            failures: 4,
            last_failure_ms: 78,
        };
        assert!(s.bump_failures("k", r, four).await.unwrap());
        assert!(!s.bump_failures("k", r, four).await.unwrap());
        assert_eq!(s.login_failures("k").await.unwrap().failures, 4);
        assert_eq!(s.login_failures("other").await.unwrap().failures, 0);
        s.clear_login_failures("k").await.unwrap();
        assert_eq!(s.login_failures("k").await.unwrap().failures, 0);
    })
    .await;
}

#[tokio::test]
async fn sessions_expire_and_can_be_deleted() {
    each_backend(|s| async move {
        let mut a = account(None, Some("a@example.ru"));
        a.status = AccountStatus::Active;
        let id = a.id;
        s.create_account(a, None, 1).await.unwrap();
        let new = |t: &str, exp| NewSession {
            token_hash: t.into(),
            account_id: id,
            kind: SessionKind::Cookie,
            csrf_token: "c".into(),
            user_agent: "test".into(),
            expires_at: exp,
        };
        assert!(
            s.create_session(new("t1", 100), "dev-a", Some(job("notice", 10)), 10)
                .await
                .unwrap()
        );
        assert!(
            !s.create_session(new("t2", 50), "dev-a", Some(job("notice", 10)), 10)
                .await
                .unwrap()
        );
        assert_eq!(
            s.job_stats().await.unwrap().pending,
            1,
            "one notice for the one new device"
        );
        let live = s.list_sessions(id, 20).await.unwrap();
        assert_eq!(live.len(), 2);
        let got = s.find_session("t1", 20).await.unwrap().unwrap();
        assert_eq!(
            (got.account_id, got.created_at, got.expires_at),
            (id, 10, 100)
        );
        assert!(
            s.find_session("t2", 50).await.unwrap().is_none(),
            "expired at its expiry time"
        );
        // The joined read: the session as above (its own created_at, not the
        // account's) with its account; expired alike.
        let (session, account) = s.find_session_account("t1", 20).await.unwrap().unwrap();
        assert_eq!(
            (session.account_id, session.created_at, session.expires_at),
            (id, 10, 100)
        );
        assert_eq!(
            (account.id, account.created_at, account.status),
            (id, 1, AccountStatus::Active)
        );
        assert!(s.find_session_account("t2", 50).await.unwrap().is_none());
        assert!(s.find_session_account("nope", 20).await.unwrap().is_none());
        s.touch_session("t1", 30, 200).await.unwrap();
        assert_eq!(
            s.find_session("t1", 150)
                .await
                .unwrap()
                .unwrap()
                .last_seen_at,
            30
        );
        assert_eq!(s.purge_expired_sessions(60).await.unwrap(), 1);
        s.delete_session("t1", 31).await.unwrap();
        assert!(s.find_session("t1", 31).await.unwrap().is_none());

        // Log out everywhere but here; a password change does the same.
        for t in ["t3", "t4", "t5"] {
            s.create_session(new(t, 1_000), "dev-b", None, 40)
                .await
                .unwrap();
        }
        assert_eq!(
            s.delete_account_sessions(id, Some("t3"), job("n", 41), 41)
                .await
                .unwrap(),
            2
        );
        assert_eq!(s.list_sessions(id, 42).await.unwrap().len(), 1);
        s.create_session(new("t6", 1_000), "dev-b", None, 43)
            .await
            .unwrap();
        s.change_password(
            id,
            "$argon2id$new".into(),
            Some("t6"),
            job("notice", 44),
            44,
        )
        .await
        .unwrap();
        let left: Vec<_> = s
            .list_sessions(id, 45)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.token_hash)
            .collect();
        assert_eq!(left, ["t6"]);
        let auth = s
            .find_auth(&LoginLookup::Email("a@example.ru".into()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(auth.password_hash, "$argon2id$new");

        // A reset consumes its own kind of challenge only, and ends every session.
        let mut reset = challenge(id);
        reset.purpose = Purpose::Reset;
        let reset_id = reset.id;
        s.start_challenge(reset, Some(job(job_kind::DELIVER_CODE, 46)), 46)
            .await
            .unwrap();
        assert_eq!(
            s.complete_reset(reset_id, "$argon2id$reset".into(), job("notice", 47), 47)
                .await
                .unwrap(),
            id
        );
        assert!(matches!(
            s.complete_reset(reset_id, "$argon2id$again".into(), job("notice", 48), 48)
                .await,
            Err(StoreError::Stale)
        ));
        assert!(s.list_sessions(id, 49).await.unwrap().is_empty());
        let mut contact = challenge(id);
        contact.purpose = Purpose::Contact;
        let contact_id = contact.id;
        s.start_challenge(contact, Some(job(job_kind::DELIVER_CODE, 50)), 50)
            .await
            .unwrap();
        assert!(matches!(
            s.complete_reset(contact_id, "$argon2id$x".into(), job("notice", 51), 51)
                .await,
            Err(StoreError::Stale)
        ));
    })
    .await;
}

fn identity(account_id: Uuid, lookup: &str) -> NewIdentity {
    NewIdentity {
        account_id,
        surname: "Иванов".into(),
        given_name: "Иван".into(),
        patronymic: None,
        document_kind: "russian_passport".into(),
        snils_lookup: lookup.into(),
        key_id: "k1".into(),
        sealed: vec![1, 2, 3],
        masked: "***-***-445 95".into(),
    }
}

#[tokio::test]
async fn identity_check_versions_and_levels() {
    each_backend(|s| async move {
        let mut a = account(None, Some("a@example.ru"));
        a.status = AccountStatus::Active;
        let id = a.id;
        s.create_account(a, None, 1).await.unwrap();
        assert!(s.get_identity(id).await.unwrap().is_none());

        assert_eq!(s.submit_identity(identity(id, "L1"), 2).await.unwrap(), 1);
        let rec = s.get_identity(id).await.unwrap().unwrap();
        assert_eq!(
            (rec.version, rec.state, rec.sealed.clone()),
            (1, VerificationState::Pending, vec![1, 2, 3])
        );
        let claimed = s.claim_job("w", 3, 1000).await.unwrap().unwrap();
        assert_eq!(claimed.kind, job_kind::VERIFY_IDENTITY);
        let payload: serde_json::Value = serde_json::from_str(&claimed.payload).unwrap();
        assert_eq!(payload["version"], 1);

        // Resubmitted before the check finished: the old result must not win.
        assert_eq!(s.submit_identity(identity(id, "L1"), 4).await.unwrap(), 2);
        let failed = Verification::Failed(FailureReason::PassportInvalid);
        assert!(matches!(
            s.finish_identity_check(id, 1, failed, &|_| job("n", 5), 5)
                .await,
            Err(StoreError::Stale)
        ));
        s.finish_identity_check(id, 2, Verification::Verified, &|_| job("n", 5), 5)
            .await
            .unwrap();
        let rec = s.get_identity(id).await.unwrap().unwrap();
        assert_eq!(
            (rec.state, rec.checked_at),
            (VerificationState::Verified, Some(5))
        );
        assert_eq!(
            s.get_account(id).await.unwrap().unwrap().level,
            AssuranceLevel::Standard
        );
        // A verified SNILS is a login.
        let auth = s
            .find_auth(&LoginLookup::SnilsLookup("L1".into()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(auth.id, id);

        // Another account may submit the same SNILS (an unverified one
        // reserves nothing), but its check cannot take it from the holder.
        let mut b = account(None, Some("b@example.ru"));
        b.status = AccountStatus::Active;
        let b_id = b.id;
        s.create_account(b, None, 6).await.unwrap();
        assert_eq!(s.submit_identity(identity(b_id, "L1"), 7).await.unwrap(), 1);
        let got = s
            .finish_identity_check(b_id, 1, Verification::Verified, &|_| job("n", 7), 7)
            .await
            .unwrap();
        assert_eq!(got, Verification::Failed(FailureReason::HeldByAnother));
        assert_eq!(
            s.get_account(b_id).await.unwrap().unwrap().level,
            AssuranceLevel::Simplified
        );

        // New data drops the level until checked again; a failure is recorded with its reason.
        assert_eq!(s.submit_identity(identity(id, "L1"), 8).await.unwrap(), 3);
        assert_eq!(
            s.get_account(id).await.unwrap().unwrap().level,
            AssuranceLevel::Simplified
        );
        s.finish_identity_check(id, 3, failed, &|_| job("n", 9), 9)
            .await
            .unwrap();
        let rec = s.get_identity(id).await.unwrap().unwrap();
        assert_eq!(
            (rec.state, rec.failure_reason),
            (
                VerificationState::Failed,
                Some(FailureReason::PassportInvalid)
            )
        );
    })
    .await;
}

#[tokio::test]
async fn jobs_lease_retry_and_give_up() {
    each_backend(|s| async move {
        s.enqueue(job("a", 10), 10).await.unwrap();
        s.enqueue(NewJob::now("b", "{}".into(), 10).dedup("once".into()), 10)
            .await
            .unwrap();
        s.enqueue(NewJob::now("b", "{}".into(), 10).dedup("once".into()), 10)
            .await
            .unwrap();
        let mut later = job("c", 10);
        later.run_at = 1_000;
        s.enqueue(later, 10).await.unwrap();
        assert_eq!(
            s.job_stats().await.unwrap().pending,
            3,
            "dedup key enqueues once"
        );

        let j1 = s.claim_job("w1", 20, 100).await.unwrap().unwrap();
        let j2 = s.claim_job("w2", 20, 100).await.unwrap().unwrap();
        assert_ne!(j1.id, j2.id);
        assert!(
            s.claim_job("w3", 20, 100).await.unwrap().is_none(),
            "c is not due, a and b are leased"
        );

        // w1 crashes; after its lease another worker gets the job.
        let again = s.claim_job("w3", 121, 100).await.unwrap().unwrap();
        assert_eq!((again.id, again.attempts), (j1.id, 2));
        assert!(
            !s.complete_job(j1.id, "w1", 122).await.unwrap(),
            "the old lease is lost"
        );
        assert!(s.complete_job(j1.id, "w3", 122).await.unwrap());
        assert!(
            !s.complete_job(j1.id, "w3", 123).await.unwrap(),
            "done once"
        );

        assert!(
            s.retry_job(j2.id, "w2", "smtp down", 500, 30)
                .await
                .unwrap()
        );
        assert!(s.claim_job("w2", 499, 100).await.unwrap().is_none());
        let j2b = s.claim_job("w2", 500, 100).await.unwrap().unwrap();
        assert_eq!(j2b.id, j2.id);
        assert!(
            s.give_up_job(j2.id, "w2", "bad address", 501)
                .await
                .unwrap()
        );

        let c = s.claim_job("w1", 1_000, 100).await.unwrap().unwrap();
        assert_eq!(c.kind, "c");
        let mut last = c.clone();
        // Exhausting max_attempts makes the job dead.
        while last.attempts < last.max_attempts {
            assert!(s.retry_job(last.id, "w1", "e", 0, 1_000).await.unwrap());
            last = s
                .claim_job("w1", 2_000 + i64::from(last.attempts), 1)
                .await
                .unwrap()
                .unwrap();
        }
        assert!(s.retry_job(last.id, "w1", "e", 0, 3_000).await.unwrap());
        assert!(s.claim_job("w1", 10_000, 1).await.unwrap().is_none());
        let stats = s.job_stats().await.unwrap();
        assert_eq!(
            stats,
            JobStats {
                pending: 0,
                done: 1,
                dead: 2
            }
        );
    })
    .await;
}

/// A batch takes the earliest due jobs, none leased to another worker and
/// none not yet due; finishing a batch counts only the jobs still leased
/// to the worker that finishes it (one lost to another after its lease ran
/// out is not), and a job finished is not finished again.
#[tokio::test]
async fn a_batch_claims_the_earliest_due_and_finishes_only_its_own() {
    each_backend(|s| async move {
        let mut due = Vec::new();
        // Made in another order than due: neither ids nor insertion order
        // give the earliest.
        for at in [40, 50, 30, 10, 20] {
            let mut j = job("x", 1);
            j.run_at = at;
            due.push((at, j.id));
            s.enqueue(j, 1).await.unwrap();
        }
        let mut later = job("later", 1);
        later.run_at = 1_000;
        s.enqueue(later, 1).await.unwrap();
        due.sort();

        let first = s.claim_jobs("w1", 100, 1_000, 3).await.unwrap();
        let mut got: Vec<_> = first.iter().map(|j| j.id).collect();
        got.sort();
        let mut want: Vec<_> = due[..3].iter().map(|(_, id)| *id).collect();
        want.sort();
        assert_eq!(got, want, "the three earliest due");
        assert!(first.iter().all(|j| j.attempts == 1));

        let rest = s.claim_jobs("w2", 100, 100, 10).await.unwrap();
        assert_eq!(
            rest.len(),
            2,
            "the two left due; w1's leased, `later` not due"
        );
        assert!(s.claim_jobs("w3", 100, 100, 10).await.unwrap().is_empty());
        assert!(s.claim_jobs("w3", 100, 100, 0).await.unwrap().is_empty());

        // w2's lease runs out (w1's does not); w3 takes w2's two over.
        let taken = s.claim_jobs("w3", 201, 100, 10).await.unwrap();
        assert_eq!(taken.len(), 2, "{taken:?}");
        assert!(taken.iter().all(|j| j.attempts == 2));
        let w2s: Vec<_> = rest.iter().map(|j| j.id).collect();
        assert_eq!(
            s.complete_jobs(&w2s, "w2", 202).await.unwrap(),
            0,
            "w2's leases are lost"
        );
        let mut mixed: Vec<_> = first.iter().map(|j| j.id).collect();
        mixed.extend(&w2s);
        assert_eq!(
            s.complete_jobs(&mixed, "w1", 202).await.unwrap(),
            3,
            "only w1's own three"
        );
        assert_eq!(s.complete_jobs(&w2s, "w3", 203).await.unwrap(), 2);
        assert_eq!(
            s.complete_jobs(&mixed, "w1", 204).await.unwrap(),
            0,
            "done once"
        );
        assert_eq!(s.complete_jobs(&[], "w1", 204).await.unwrap(), 0);
        let stats = s.job_stats().await.unwrap();
        assert_eq!((stats.pending, stats.done), (1, 5));
    })
    .await;
}

#[tokio::test]
async fn concurrent_claims_never_share_a_job() {
    each_backend(|s| async move {
        for _ in 0..40 {
            s.enqueue(job("x", 1), 1).await.unwrap();
        }
        let mut tasks = Vec::new();
        for w in 0..8 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                while let Some(j) = s.claim_job(&format!("w{w}"), 5, 60_000).await.unwrap() {
                    mine.push(j.id);
                }
                mine
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!((n, all.len()), (40, 40));
    })
    .await;
}

/// Two processes on one database (two stores, each with its own writer),
/// four workers each, claiming batches of one to four jobs and finishing
/// each batch in one statement, all at once: every job is claimed by one
/// worker and finished once, and no claim fails — on SQLite the claim is
/// one statement without `BEGIN IMMEDIATE`, and its write lock is waited
/// for across processes rather than refused on a stale snapshot.
#[tokio::test]
async fn two_processes_claim_and_finish_each_job_once() {
    for backend in backends() {
        let db = TestDb::new(backend).await.expect("test database");
        let one = connect(&db.url, true, test_key()).await.expect("connect");
        let two = connect(&db.url, false, test_key()).await.expect("connect");
        for _ in 0..200 {
            one.enqueue(job("x", 1), 1).await.unwrap();
        }
        let mut tasks = Vec::new();
        for (p, s) in [one.clone(), two.clone()].into_iter().enumerate() {
            for w in 0..4 {
                let s = s.clone();
                tasks.push(tokio::spawn(async move {
                    let me = format!("p{p}w{w}");
                    let mut mine = Vec::new();
                    loop {
                        let batch = s.claim_jobs(&me, 5, 60_000, w + 1).await.unwrap();
                        if batch.is_empty() {
                            break mine;
                        }
                        assert!(batch.len() <= w as usize + 1, "{} > {}", batch.len(), w + 1);
                        let ids: Vec<_> = batch.iter().map(|j| j.id).collect();
                        assert_eq!(
                            s.complete_jobs(&ids, &me, 6).await.unwrap(),
                            ids.len() as u64
                        );
                        mine.extend(ids);
                    }
                }));
            }
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!((n, all.len()), (200, 200), "{backend}");
        let stats = two.job_stats().await.unwrap();
        assert_eq!((stats.pending, stats.done), (0, 200), "{backend}");
    }
}

/// Two administrators press "revive" at once: each dead job is revived by
/// one of them (the counts add up to the jobs), and runs once more.
#[tokio::test]
async fn two_revivals_at_once_revive_each_job_once() {
    each_backend(|s| async move {
        for _ in 0..30 {
            s.enqueue(job("x", 1), 1).await.unwrap();
        }
        while let Some(j) = s.claim_job("w", 5, 60_000).await.unwrap() {
            assert!(s.give_up_job(j.id, "w", "down", 6).await.unwrap());
        }
        assert_eq!(s.job_stats().await.unwrap().dead, 30);
        let mut tasks = Vec::new();
        for at in [10, 11, 12, 13] {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.revive_dead_jobs(200, at).await.unwrap()
            }));
        }
        let mut revived = 0;
        for t in tasks {
            revived += t.await.unwrap();
        }
        assert_eq!(revived, 30, "a job revived twice, or not at all");
        let stats = s.job_stats().await.unwrap();
        assert_eq!((stats.pending, stats.dead), (30, 0));
        let mut ran = 0;
        while let Some(j) = s.claim_job("w2", 20, 60_000).await.unwrap() {
            assert_eq!(j.attempts, 1, "revived from its first attempt");
            assert!(s.complete_job(j.id, "w2", 21).await.unwrap());
            ran += 1;
        }
        assert_eq!(ran, 30);
    })
    .await;
}

#[tokio::test]
async fn mailbox_and_offices() {
    each_backend(|s| async move {
        for i in 0..3 {
            s.add_demo_message(DemoMessage {
                id: Uuid::now_v7(),
                channel: "sms".into(),
                destination: "+79161234567".into(),
                subject: String::new(),
                body: format!("код {i}"),
                created_at: i,
            })
            .await
            .unwrap();
        }
        let msgs = s.list_demo_messages(2).await.unwrap();
        assert_eq!(
            msgs.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
            ["код 2", "код 1"]
        );

        let office = Office {
            id: Uuid::now_v7(),
            code: "770-001".into(),
            name: "ОВМ".into(),
            address: "Москва".into(),
            time_zone: "Europe/Moscow".into(),
            // Territory rows come back ordered by region code.
            territory: vec!["50-012".into(), "77".into()],
        };
        let hours = vec![OfficeHours {
            weekday: 1,
            opens_min: 540,
            closes_min: 1080,
        }];
        s.upsert_office(office.clone(), hours.clone(), 1)
            .await
            .unwrap();
        let mut renamed = office.clone();
        renamed.name = "ОВМ ОМВД".into();
        renamed.territory = vec!["77".into()];
        s.upsert_office(renamed.clone(), hours, 2).await.unwrap();
        // The territory is replaced, not added to.
        assert_eq!(s.list_offices().await.unwrap(), vec![renamed]);
        s.ping().await.unwrap();
    })
    .await;
}

/// Both migration trees must describe the same tables and columns.
#[tokio::test]
async fn migration_parity() {
    use sqlx::Row;
    if !backends().contains(&"postgres") {
        eprintln!("migration_parity: compares with PostgreSQL; set MIGPORTAL_TEST_POSTGRES_URL");
    }
    let lite_db = TestDb::new("sqlite").await.unwrap();
    let lite = SqliteStore::connect(&lite_db.url).await.unwrap();
    lite.migrate().await.unwrap();
    let mode: String = sqlx::query("PRAGMA journal_mode")
        .fetch_one(lite.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(mode, "wal");
    let mut lite_cols = Vec::new();
    let tables = sqlx::query(
        // `counters` stands in for PostgreSQL's sequence (application numbers).
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' \
         AND name <> 'counters'",
    )
    .fetch_all(lite.pool())
    .await
    .unwrap();
    for t in tables {
        let table: String = t.get("name");
        let cols = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT name, \"notnull\" AS nn, pk FROM pragma_table_info('{table}')"
        )))
        .fetch_all(lite.pool())
        .await
        .unwrap();
        for c in cols {
            let name: String = c.get("name");
            let not_null: i64 = c.get("nn");
            let pk: i64 = c.get("pk");
            lite_cols.push((table.clone(), name, not_null == 1 || pk > 0));
        }
    }
    lite_cols.sort();
    assert!(lite_cols.len() > 40, "schema read back: {lite_cols:?}");
    if !backends().contains(&"postgres") {
        return;
    }
    let pg_db = TestDb::new("postgres").await.unwrap();
    let pg = PgStore::connect(&pg_db.url).await.unwrap();
    pg.migrate().await.unwrap();
    let rows = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, is_nullable::text AS n FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
    )
    .fetch_all(pg.pool())
    .await
    .unwrap();
    let mut pg_cols: Vec<(String, String, bool)> = rows
        .iter()
        .map(|r| (r.get("t"), r.get("c"), r.get::<String, _>("n") == "NO"))
        .collect();
    pg_cols.sort();
    assert_eq!(lite_cols, pg_cols);
}

/// The audit log is a keyed hash chain, append-only in the database, with
/// signed checkpoints outside it: editing, deleting (even with the hashes
/// recomputed by someone without the key) or truncating is found.
#[tokio::test]
async fn audit_chain_detects_tampering() {
    for backend in backends() {
        let db = TestDb::new(backend).await.unwrap();
        let s = connect(&db.url, true, test_key()).await.unwrap();
        let key = test_key();
        for i in 0..5 {
            let mut a = account(None, Some(&format!("a{i}@example.ru")));
            a.status = AccountStatus::Active;
            s.create_account(a, None, i).await.unwrap();
        }
        // Appends from many tasks at once never fork the chain.
        let mut tasks = Vec::new();
        for i in 0..10 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let mut a = account(None, Some(&format!("c{i}@example.ru")));
                a.status = AccountStatus::Active;
                s.create_account(a, None, 100 + i).await.unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(
            audit::verify_all(s.as_ref(), &key, &[]).await.unwrap(),
            Ok(15)
        );
        // PostgreSQL spreads concurrent appends over its lanes (one per
        // connection); SQLite, one writer, keeps one.
        let used = s
            .audit_heads()
            .await
            .unwrap()
            .iter()
            .filter(|h| h.seq > 0)
            .count();
        if backend == "sqlite" {
            assert_eq!(used, 1);
        } else {
            assert!(used > 1, "{used} lanes used");
        }
        // Checked with another key, the intact log is not intact.
        assert!(
            audit::verify_all(s.as_ref(), &audit::AuditKey::derive(b"other"), &[])
                .await
                .unwrap()
                .is_err()
        );

        // The database refuses to change or delete entries.
        let all = s.search_audit(&AuditFilter::default(), 100).await.unwrap();
        let third = &all[all.len() - 3];
        let sql_of = |what: &str, e: &store::AuditEvent| {
            format!("{what} WHERE lane = {} AND seq = {}", e.lane, e.seq)
        };
        assert!(
            try_sql(
                &db.url,
                &sql_of("UPDATE audit_events SET details = 'x'", third)
            )
            .await
            .is_err()
        );
        assert!(
            try_sql(&db.url, &sql_of("DELETE FROM audit_events", &all[0]))
                .await
                .is_err()
        );

        // Someone who also drops the guard and recomputes the hash without
        // the key (plain SHA-256, as the review did) is still found.
        unguard(&db.url).await;
        let h3 = "f".repeat(64);
        raw_sql(
            &db.url,
            &sql_of(
                &format!("UPDATE audit_events SET details = 'role=administrator', hash = '{h3}'"),
                third,
            ),
        )
        .await;
        let broken = audit::verify_all(s.as_ref(), &key, &[])
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(
            (broken.lane, broken.seq, broken.reason),
            (third.lane, third.seq, "content altered (hash mismatch)")
        );

        // Truncation with the head row rewritten: only the checkpoints tell.
        let db2 = TestDb::new(backend).await.unwrap();
        let s2 = connect(&db2.url, true, test_key()).await.unwrap();
        for i in 0..4 {
            s2.create_account(account(None, Some(&format!("b{i}@example.ru"))), None, i)
                .await
                .unwrap();
        }
        // The lane with the most events loses its last one, its head rewritten.
        let heads = s2.audit_heads().await.unwrap();
        let longest = heads.iter().max_by_key(|h| h.seq).unwrap().clone();
        let keep = longest.seq - 1;
        let checkpoints: Vec<_> = heads
            .iter()
            .map(|h| audit::Checkpoint::sign(&key, h, 10))
            .collect();
        let head_hash = if keep == 0 {
            audit::GENESIS.to_owned()
        } else {
            s2.audit_page(longest.lane, keep - 1, 1).await.unwrap()[0]
                .hash
                .clone()
        };
        unguard(&db2.url).await;
        raw_sql(
            &db2.url,
            &format!(
                "DELETE FROM audit_events WHERE lane = {} AND seq > {keep}",
                longest.lane
            ),
        )
        .await;
        raw_sql(
            &db2.url,
            &format!(
                "UPDATE audit_head SET seq = {keep}, hash = '{head_hash}' WHERE id = {}",
                longest.lane
            ),
        )
        .await;
        assert_eq!(
            audit::verify_all(s2.as_ref(), &key, &[]).await.unwrap(),
            Ok(3)
        );
        let cut = audit::verify_all(s2.as_ref(), &key, &checkpoints)
            .await
            .unwrap()
            .unwrap_err();
        assert!(
            cut.reason.contains("removed") && cut.lane == longest.lane,
            "{cut:?}"
        );
        // A forged checkpoint is refused as such.
        let mut forged = checkpoints[0].clone();
        forged.seq += 1;
        let bad = audit::verify_all(s2.as_ref(), &key, &[forged])
            .await
            .unwrap()
            .unwrap_err();
        assert!(bad.reason.contains("not genuine"), "{bad:?}");

        // An event put outside every lane's chain (no head of its own) is found.
        raw_sql(
            &db2.url,
            &format!(
                "INSERT INTO audit_events (id, lane, seq, at, action, details, prev_hash, hash) \
                 VALUES ('{}', 99, 1000, 1, 'staff.created', '', 'genesis', 'x')",
                uuid::Uuid::now_v7()
            ),
        )
        .await;
        let stray = audit::verify_all(s2.as_ref(), &key, &[])
            .await
            .unwrap()
            .unwrap_err();
        assert!(stray.reason.contains("outside"), "{stray:?}");
    }
}

/// Drops the append-only guard, as someone with full database access could.
async fn unguard(url: &str) {
    if url.starts_with("sqlite") {
        raw_sql(url, "DROP TRIGGER audit_events_no_update").await;
        raw_sql(url, "DROP TRIGGER audit_events_no_delete").await;
    } else {
        raw_sql(url, "ALTER TABLE audit_events DISABLE TRIGGER USER").await;
    }
}

async fn try_sql(url: &str, sql: &str) -> std::result::Result<(), sqlx::Error> {
    use sqlx::Connection;
    if url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(url).await?;
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut c)
            .await?;
    } else {
        let mut c = sqlx::PgConnection::connect(url).await?;
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut c)
            .await?;
    }
    Ok(())
}

async fn raw_sql(url: &str, sql: &str) {
    try_sql(url, sql).await.unwrap();
}

#[tokio::test]
async fn staff_second_factor_access_log_and_confirmation() {
    each_backend(|s| async move {
        let mut staff = account(None, Some("op@example.ru"));
        staff.status = AccountStatus::Active;
        staff.role = Role::Operator;
        let op = staff.id;
        s.create_account(staff, None, 1).await.unwrap();
        let mut person = account(Some("+79161234567"), None);
        person.status = AccountStatus::Active;
        let pid = person.id;
        s.create_account(person, None, 1).await.unwrap();

        // TOTP: pending, enabled once, steps and recovery codes used once.
        assert!(s.get_totp(op).await.unwrap().is_none());
        s.set_totp_pending(op, "k1", vec![9; 20], 2).await.unwrap();
        s.set_totp_pending(op, "k1", vec![8; 20], 3).await.unwrap();
        assert_eq!(
            s.get_totp(op).await.unwrap().unwrap().sealed_secret,
            vec![8; 20]
        );
        s.enable_totp(op, 100, vec!["r1".into(), "r2".into()], job("n", 4), 4)
            .await
            .unwrap();
        assert!(matches!(
            s.set_totp_pending(op, "k1", vec![7; 20], 5).await,
            Err(StoreError::Stale)
        ));
        assert!(
            !s.use_totp_step(op, 100).await.unwrap(),
            "the enrolment step is spent"
        );
        assert!(s.use_totp_step(op, 101).await.unwrap());
        assert!(!s.use_totp_step(op, 101).await.unwrap());
        assert!(s.use_recovery_code(op, "r1", 6).await.unwrap());
        assert!(!s.use_recovery_code(op, "r1", 7).await.unwrap());
        assert!(!s.use_recovery_code(op, "nope", 7).await.unwrap());

        let by = StaffActor {
            id: op,
            role: Role::Operator,
            office_id: None,
        };
        s.record_access(DataAccess {
            id: Uuid::now_v7(),
            person_id: pid,
            staff_id: op,
            staff_role: "operator".into(),
            office_id: None,
            at: 10,
            purpose: "identity_confirmation".into(),
            reference: "SC-1".into(),
        })
        .await
        .unwrap();
        let log = s.list_access(pid).await.unwrap();
        assert_eq!(
            (log.len(), log[0].purpose.as_str()),
            (1, "identity_confirmation")
        );
        // Not verified: nothing to confirm.
        assert!(matches!(
            s.confirm_identity(pid, 1, None, &by, "service_centre", job("n", 11), 11)
                .await,
            Err(StoreError::Conflict("confirmation.not_standard"))
        ));
        s.submit_identity(identity(pid, "LP"), 11).await.unwrap();
        s.finish_identity_check(pid, 1, Verification::Verified, &|_| job("n", 11), 11)
            .await
            .unwrap();
        s.confirm_identity(pid, 1, None, &by, "service_centre", job("n", 11), 11)
            .await
            .unwrap();
        assert_eq!(
            s.get_account(pid).await.unwrap().unwrap().level,
            AssuranceLevel::Confirmed
        );
        // Staff accounts are not people to confirm.
        assert!(matches!(
            s.confirm_identity(op, 1, None, &by, "x", job("n", 12), 12)
                .await,
            Err(StoreError::Conflict("confirmation.not_applicant"))
        ));

        let staff = s.list_staff().await.unwrap();
        assert_eq!(staff.iter().map(|a| a.id).collect::<Vec<_>>(), [op]);
        s.update_staff(op, Role::Auditor, None, AccountStatus::Blocked, &by, 13)
            .await
            .unwrap();
        assert_eq!(
            s.get_account(op).await.unwrap().unwrap().status,
            AccountStatus::Blocked
        );
        assert!(matches!(
            s.update_staff(pid, Role::Officer, None, AccountStatus::Active, &by, 14)
                .await,
            Err(StoreError::NotFound)
        ));

        let filter = AuditFilter {
            action_prefix: Some("identity.conf".into()),
            ..AuditFilter::default()
        };
        let found = s.search_audit(&filter, 10).await.unwrap();
        assert_eq!(
            found.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            ["identity.confirmed"]
        );
        assert_eq!(found[0].actor_role.as_deref(), Some("operator"));
        let by_actor = s
            .search_audit(
                &AuditFilter {
                    actor_id: Some(op),
                    ..AuditFilter::default()
                },
                2,
            )
            .await
            .unwrap();
        assert_eq!(by_actor.len(), 2);
        assert!(by_actor[0].id > by_actor[1].id, "newest first");
        let older = s
            .search_audit(
                &AuditFilter {
                    before: Some(by_actor[1].id),
                    actor_id: Some(op),
                    ..AuditFilter::default()
                },
                50,
            )
            .await
            .unwrap();
        assert!(!older.is_empty());
        assert!(
            older
                .iter()
                .all(|e| e.id < by_actor[1].id && e.actor_id == Some(op))
        );
        assert_eq!(
            audit::verify_all(s.as_ref(), &test_key(), &[])
                .await
                .unwrap()
                .map(|n| n > 5),
            Ok(true)
        );
    })
    .await;
}

#[tokio::test]
async fn letters_one_a_month_printed_posted_and_used_once() {
    each_backend(|s| async move {
        let mut a = account(None, Some("l@example.ru"));
        a.status = AccountStatus::Active;
        let id = a.id;
        s.create_account(a, None, 1).await.unwrap();
        let letter = |lid: Uuid, at: i64| Letter {
            id: lid,
            account_id: id,
            address: "119021, г. Москва".into(),
            code_hash: "h".into(),
            attempts: 0,
            created_at: at,
            expires_at: at + 1000,
            used_at: None,
            identity_version: 1,
            voided_at: None,
        };
        s.submit_identity(identity(id, "LL"), 5).await.unwrap();
        s.finish_identity_check(id, 1, Verification::Verified, &|_| job("n", 5), 5)
            .await
            .unwrap();
        let first = Uuid::now_v7();
        s.request_letter(letter(first, 10), job("print", 10), 10 - 100, 10)
            .await
            .unwrap();
        // Another within the interval is refused; after it, allowed.
        assert!(matches!(
            s.request_letter(letter(Uuid::now_v7(), 50), job("print", 50), 50 - 100, 50)
                .await,
            Err(StoreError::Stale)
        ));
        let second = Uuid::now_v7();
        s.request_letter(letter(second, 200), job("print", 200), 200 - 100, 200)
            .await
            .unwrap();
        assert_eq!(s.last_letter(id).await.unwrap().unwrap().id, second);

        let item = PostItem {
            letter_id: second,
            address: "119021".into(),
            key_id: "k1".into(),
            sealed_body: vec![1, 2],
            queued_at: 201,
        };
        s.queue_for_post(item.clone()).await.unwrap();
        s.queue_for_post(item.clone()).await.unwrap();
        assert_eq!(s.outbound_post(10).await.unwrap(), vec![item]);
        s.mark_posted(second, 202).await.unwrap();
        assert!(s.outbound_post(10).await.unwrap().is_empty());

        // Attempts are counted up to the limit and no further.
        for n in 1..=2 {
            let l = s.attempt_letter(id, 2, 202).await.unwrap().unwrap();
            assert_eq!((l.id, l.attempts), (second, n));
        }
        assert!(s.attempt_letter(id, 2, 202).await.unwrap().is_none());
        // Expired at `now`: no attempt counted.
        assert!(s.attempt_letter(id, 5, 200 + 1001).await.unwrap().is_none());
        s.confirm_by_letter(second, job("n", 203), 203)
            .await
            .unwrap();
        assert!(matches!(
            s.confirm_by_letter(second, job("n", 204), 204).await,
            Err(StoreError::Stale)
        ));
        assert_eq!(
            s.get_account(id).await.unwrap().unwrap().level,
            AssuranceLevel::Confirmed
        );
        assert_eq!(
            s.get_letter(second).await.unwrap().unwrap().used_at,
            Some(203)
        );
    })
    .await;
}

#[tokio::test]
async fn profile_addresses_preferences_contacts_and_centre_registration() {
    each_backend(|s| async move {
        let mut a = account(Some("+79161234567"), None);
        a.status = AccountStatus::Active;
        let id = a.id;
        s.create_account(a, None, 1).await.unwrap();
        let addr = |kind: &str, city: &str| Address {
            kind: kind.into(),
            region_code: "77".into(),
            postcode: "119021".into(),
            region: "г. Москва".into(),
            city: city.into(),
            street: "ул. Тимура Фрунзе".into(),
            house: "11".into(),
            flat: String::new(),
        };
        s.save_address(id, addr("registration", "Москва"), 2)
            .await
            .unwrap();
        s.save_address(id, addr("registration", "Зеленоград"), 3)
            .await
            .unwrap();
        s.save_address(id, addr("postal", "Москва"), 3)
            .await
            .unwrap();
        let got = s.addresses(id).await.unwrap();
        assert_eq!(
            got.iter()
                .map(|a| (a.kind.as_str(), a.city.as_str()))
                .collect::<Vec<_>>(),
            [("postal", "Москва"), ("registration", "Зеленоград")]
        );

        let pref = |k: &str, c: &str, e| NotificationPref {
            kind: k.into(),
            channel: c.into(),
            enabled: e,
        };
        s.save_notification_prefs(id, vec![pref("identity", "sms", false)], job("n", 4), 4)
            .await
            .unwrap();
        s.save_notification_prefs(
            id,
            vec![
                pref("identity", "sms", true),
                pref("messages", "email", false),
            ],
            job("n", 5),
            5,
        )
        .await
        .unwrap();
        assert_eq!(
            s.notification_prefs(id).await.unwrap(),
            vec![
                pref("identity", "sms", true),
                pref("messages", "email", false)
            ]
        );

        let mut ch = challenge(id);
        ch.purpose = Purpose::AddContact;
        ch.destination = "new@example.ru".into();
        let ch_id = ch.id;
        s.start_challenge(ch, None, 6).await.unwrap();
        s.set_contact(ch_id, "email", "new@example.ru", job("n", 7), 7)
            .await
            .unwrap();
        assert_eq!(
            s.get_account(id).await.unwrap().unwrap().email.as_deref(),
            Some("new@example.ru")
        );
        assert!(matches!(
            s.set_contact(ch_id, "email", "x@example.ru", job("n", 8), 8)
                .await,
            Err(StoreError::Stale)
        ));

        // Registration at a service centre: all or nothing.
        let by = StaffActor {
            id,
            role: Role::Operator,
            office_id: None,
        };
        let mut person = account(Some("+79169998877"), None);
        person.status = AccountStatus::Active;
        person.level = AssuranceLevel::Confirmed;
        let pid = person.id;
        let mut first = challenge(pid);
        first.purpose = Purpose::Reset;
        s.register_at_centre(
            person,
            identity(pid, "LX"),
            first,
            job(job_kind::DELIVER_CODE, 9),
            &by,
            9,
        )
        .await
        .unwrap();
        // Confirmed only when the registries verify what the operator saw.
        assert_eq!(
            s.get_account(pid).await.unwrap().unwrap().level,
            AssuranceLevel::Simplified
        );
        assert_eq!(
            s.get_identity(pid).await.unwrap().unwrap().state,
            VerificationState::Pending
        );
        s.finish_identity_check(pid, 1, Verification::Verified, &|_| job("n", 10), 10)
            .await
            .unwrap();
        assert_eq!(
            s.get_account(pid).await.unwrap().unwrap().level,
            AssuranceLevel::Confirmed
        );
        // The same phone again fails whole: no account is left behind.
        let mut again = account(Some("+79169998877"), None);
        again.status = AccountStatus::Active;
        let again_id = again.id;
        let err = s
            .register_at_centre(
                again,
                identity(again_id, "LY"),
                challenge(again_id),
                job("d", 10),
                &by,
                10,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict("phone")), "{err:?}");
        assert!(s.get_account(again_id).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn code_factor_offices_and_staff_audit() {
    each_backend(|s| async move {
        let mut a = account(Some("+79161234567"), None);
        a.status = AccountStatus::Active;
        let id = a.id;
        s.create_account(a, None, 1).await.unwrap();
        s.enable_code_factor(id, vec!["r".into()], job("n", 2), 2)
            .await
            .unwrap();
        assert_eq!(
            s.get_totp(id).await.unwrap().unwrap().method,
            domain::totp::FactorMethod::Code
        );
        assert!(matches!(
            s.enable_code_factor(id, vec![], job("n", 3), 3).await,
            Err(StoreError::Stale)
        ));
        assert!(matches!(
            s.set_totp_pending(id, "k1", vec![1], 3).await,
            Err(StoreError::Stale)
        ));
        s.disable_totp(id, Some(id), job("n", 4), 4).await.unwrap();
        assert!(s.get_totp(id).await.unwrap().is_none());
        assert!(
            !s.use_recovery_code(id, "r", 5).await.unwrap(),
            "recovery codes go with the factor"
        );

        let by = StaffActor {
            id,
            role: Role::Administrator,
            office_id: None,
        };
        let office = |code: &str| Office {
            id: Uuid::now_v7(),
            code: code.into(),
            name: "ОВМ".into(),
            address: "Москва".into(),
            time_zone: "Europe/Moscow".into(),
            territory: vec!["77".into()],
        };
        s.save_office(office("770-005"), &by, 6).await.unwrap();
        assert!(matches!(
            s.save_office(office("770-005"), &by, 7).await,
            Err(StoreError::Conflict("code"))
        ));
        s.audit_staff(&by, "access.denied", None, "offices.save", 8)
            .await
            .unwrap();
        let found = s
            .search_audit(
                &AuditFilter {
                    action_prefix: Some("access.".into()),
                    ..AuditFilter::default()
                },
                5,
            )
            .await
            .unwrap();
        assert_eq!(
            (found.len(), found[0].actor_role.as_deref()),
            (1, Some("administrator"))
        );
        let saved = s
            .search_audit(
                &AuditFilter {
                    action_prefix: Some("office.saved".into()),
                    ..AuditFilter::default()
                },
                5,
            )
            .await
            .unwrap();
        assert_eq!(saved.len(), 1);
    })
    .await;
}

/// Issue 14 (1): a confirmation is bound to the identity version it was issued
/// for; resubmitting voids letters and signature challenges.
#[tokio::test]
async fn a_resubmitted_identity_voids_confirmations_issued_for_the_old_one() {
    each_backend(|s| async move {
        let mut a = account(None, Some("v@example.ru"));
        a.status = AccountStatus::Active;
        let id = a.id;
        s.create_account(a, None, 1).await.unwrap();
        s.submit_identity(identity(id, "LA"), 2).await.unwrap();
        s.finish_identity_check(id, 1, Verification::Verified, &|_| job("n", 2), 2)
            .await
            .unwrap();
        let lid = Uuid::now_v7();
        let letter = Letter {
            id: lid,
            account_id: id,
            address: "119021".into(),
            code_hash: "h".into(),
            attempts: 0,
            created_at: 3,
            expires_at: 100_000,
            used_at: None,
            identity_version: 1,
            voided_at: None,
        };
        s.request_letter(letter, job("print", 3), 0, 3)
            .await
            .unwrap();
        let mut qes = challenge(id);
        qes.purpose = Purpose::Signature;
        qes.identity_version = Some(1);
        let qes_id = qes.id;
        s.start_challenge(qes, None, 3).await.unwrap();

        // Resubmitted as somebody else, even verified: the old letter is void.
        assert_eq!(s.submit_identity(identity(id, "LB"), 4).await.unwrap(), 2);
        assert_eq!(s.get_letter(lid).await.unwrap().unwrap().voided_at, Some(4));
        assert!(s.get_challenge(qes_id).await.unwrap().unwrap().consumed);
        assert!(s.attempt_letter(id, 5, 5).await.unwrap().is_none());
        assert!(matches!(
            s.confirm_by_letter(lid, job("n", 5), 5).await,
            Err(StoreError::Stale)
        ));
        s.finish_identity_check(id, 2, Verification::Verified, &|_| job("n", 6), 6)
            .await
            .unwrap();
        let by = StaffActor {
            id,
            role: Role::Applicant,
            office_id: None,
        };
        // A confirmation bound to version 1 cannot raise version 2.
        assert!(matches!(
            s.confirm_identity(id, 1, None, &by, "x", job("n", 7), 7)
                .await,
            Err(StoreError::Conflict("confirmation.identity_changed"))
        ));
        assert_eq!(
            s.get_account(id).await.unwrap().unwrap().level,
            AssuranceLevel::Standard
        );
    })
    .await;
}

/// Issue 14 (2): of many concurrent guesses at one challenge, no more than
/// the limit are counted (and so judged).
#[tokio::test]
async fn concurrent_attempts_never_pass_the_limit() {
    each_backend(|s| async move {
        let a = account(Some("+79160000001"), None);
        let id = a.id;
        let ch = challenge(id);
        let ch_id = ch.id;
        s.register_account(a, ch, job("d", 1), 1).await.unwrap();
        let tries = (0..60).map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                s.attempt_challenge(ch_id, Purpose::Contact, None, 5, 0)
                    .await
            })
        });
        let mut counted = Vec::new();
        for t in tries {
            if let Some(a) = t.await.unwrap().unwrap() {
                counted.push(a.attempts);
            }
        }
        counted.sort_unstable();
        assert_eq!(counted, vec![1, 2, 3, 4, 5]);

        // Compare-and-set failure counters: of 40 writers that read the same
        // record, exactly one is counted.
        let wins = (0..40).map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                let next = FailureRecord {
                    failures: 1,
                    last_failure_ms: 9,
                };
                s.bump_failures("race", FailureRecord::default(), next)
                    .await
            })
        });
        let mut won = 0;
        for w in wins {
            if w.await.unwrap().unwrap() {
                won += 1;
            }
        }
        assert_eq!(won, 1);
    })
    .await;
}

/// Issue 14 (15): expired challenges, finished jobs and old counters are purged.
#[tokio::test]
async fn stale_records_are_purged() {
    each_backend(|s| async move {
        let a = account(Some("+79160000009"), None);
        let ch = challenge(a.id);
        let old_ch = ch.id;
        s.register_account(a, ch, job("d", 1), 1).await.unwrap();
        let fresh = Uuid::now_v7();
        s.start_decoy_challenge(fresh, Purpose::Reset, 50)
            .await
            .unwrap();
        let claimed = s.claim_job("w", 1, 1000).await.unwrap().unwrap();
        assert!(s.complete_job(claimed.id, "w", 2).await.unwrap());
        s.enqueue(job("later", 40), 40).await.unwrap();
        let one = FailureRecord {
            failures: 1,
            last_failure_ms: 3,
        };
        s.bump_failures("old", FailureRecord::default(), one)
            .await
            .unwrap();
        let recent = FailureRecord {
            failures: 1,
            last_failure_ms: 60,
        };
        s.bump_failures("new", FailureRecord::default(), recent)
            .await
            .unwrap();

        let n = s
            .purge_stale(PurgeBefore {
                now: 100,
                challenges: 10,
                finished_jobs: 10,
                failures: 10,
            })
            .await
            .unwrap();
        assert_eq!(n, 3);
        assert!(s.get_challenge(old_ch).await.unwrap().is_none());
        // A job whose worker died on its last attempt is recorded dead.
        s.enqueue(job("last", 60).max_attempts(1), 60)
            .await
            .unwrap();
        // The other due job holds its lease; "last" is claimed, and the worker dies.
        let other = s.claim_job("alive", 60, 1_000).await.unwrap().unwrap();
        assert_eq!(other.kind, "later");
        let last = s.claim_job("crashed", 60, 1).await.unwrap().unwrap();
        assert_eq!(last.kind, "last");
        s.purge_stale(PurgeBefore {
            now: 100,
            challenges: 0,
            finished_jobs: 0,
            failures: 0,
        })
        .await
        .unwrap();
        assert_eq!(s.job_stats().await.unwrap().dead, 1);
        assert!(
            s.attempt_challenge(fresh, Purpose::Reset, None, 5, 0)
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(s.job_stats().await.unwrap().pending, 1);
        assert_eq!(s.login_failures("old").await.unwrap().failures, 0);
        assert_eq!(s.login_failures("new").await.unwrap().failures, 1);
    })
    .await;
}

fn draft(account_id: Uuid, service: &str) -> NewDraft {
    NewDraft {
        id: Uuid::now_v7(),
        account_id,
        service: service.into(),
        key_id: "k1".into(),
        sealed: b"{}".to_vec(),
    }
}

fn submission(id: Uuid, account_id: Uuid, version: i64, open: bool) -> Submission {
    Submission {
        id,
        account_id,
        version,
        key_id: "k1".into(),
        sealed: b"{\"a\":1}".to_vec(),
        open_key: open.then(|| "passport-internal".into()),
        late: false,
        year: 2026,
        files: vec![],
        notice: Some(job("notify", 5)),
        office_id: None,
        deadline: None,
        consent: None,
        charge: None,
        jobs: vec![],
    }
}

async fn applicant(s: &Arc<dyn Store>) -> Uuid {
    let a = account(
        None,
        Some(&format!("{}@example.ru", Uuid::now_v7().simple())),
    );
    let id = a.id;
    s.register_account(a, challenge(id), job("k", 1), 1)
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn drafts_save_on_their_version_and_submit_once() {
    use domain::application::Status;
    each_backend(|s| async move {
        let me = applicant(&s).await;
        let other = applicant(&s).await;
        let d = draft(me, "passport-internal");
        let id = d.id;
        assert_eq!(s.create_draft(d, None, 2).await.unwrap(), Once::Done(id));
        // Another person sees nothing of it.
        assert!(matches!(
            s.get_application(id, other).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            s.save_answers(id, other, 1, "k1", vec![1], 3).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            s.delete_draft(id, other, 3).await,
            Err(StoreError::NotFound)
        ));
        // A save names its version; the stale one loses.
        assert_eq!(
            s.save_answers(id, me, 1, "k1", b"{1}".to_vec(), 3)
                .await
                .unwrap(),
            2
        );
        assert!(matches!(
            s.save_answers(id, me, 1, "k1", b"{x}".to_vec(), 4).await,
            Err(StoreError::Stale)
        ));
        let got = s.get_application(id, me).await.unwrap();
        assert_eq!((got.version, got.sealed.as_slice()), (2, b"{1}".as_slice()));
        // Submitting on a stale version is refused, on the current one numbered.
        assert!(matches!(
            s.submit_application(submission(id, me, 1, true), None, 5)
                .await,
            Err(StoreError::Stale)
        ));
        let Once::Done(done) = s
            .submit_application(submission(id, me, 2, true), None, 5)
            .await
            .unwrap()
        else {
            panic!("submitted")
        };
        assert!(
            domain::application::number_is_valid(&done.number),
            "{}",
            done.number
        );
        let got = s.get_application(id, me).await.unwrap();
        assert_eq!(
            (got.status, got.number.as_deref()),
            (Status::Submitted, Some(done.number.as_str()))
        );
        // Submitted: no save, no delete, no second submission.
        assert!(matches!(
            s.save_answers(id, me, 3, "k1", vec![], 6).await,
            Err(StoreError::Conflict("application.not_editable"))
        ));
        assert!(matches!(
            s.delete_draft(id, me, 6).await,
            Err(StoreError::Conflict("application.not_draft"))
        ));
        assert!(matches!(
            s.submit_application(submission(id, me, 3, true), None, 6)
                .await,
            Err(StoreError::Conflict("application.not_draft"))
        ));
        let history = s.application_history(id, me).await.unwrap();
        let steps: Vec<_> = history.iter().map(|e| (e.from, e.to)).collect();
        assert_eq!(
            steps,
            [
                (None, Status::Draft),
                (Some(Status::Draft), Status::Submitted)
            ]
        );
        // Another person's submission finds nothing and changes nothing.
        let theirs = draft(me, "address-reference");
        let theirs_id = theirs.id;
        s.create_draft(theirs, None, 7).await.unwrap();
        assert!(matches!(
            s.submit_application(submission(theirs_id, other, 1, false), None, 7)
                .await,
            Err(StoreError::NotFound)
        ));
        s.delete_draft(theirs_id, me, 7).await.unwrap();
        // One open application per person and service; another service is free.
        let second = draft(me, "passport-internal");
        let second_id = second.id;
        s.create_draft(second, None, 7).await.unwrap();
        assert!(matches!(
            s.submit_application(submission(second_id, me, 1, true), None, 8)
                .await,
            Err(StoreError::Conflict("application.one_open"))
        ));
        assert_eq!(
            s.get_application(second_id, me).await.unwrap().status,
            Status::Draft
        );
        let free = s
            .submit_application(submission(second_id, me, 1, false), None, 8)
            .await
            .unwrap();
        let Once::Done(free) = free else {
            panic!("submitted")
        };
        assert_ne!(free.number, done.number);
        // Lists are newest first, by keyset.
        let third = draft(me, "address-reference");
        let third_id = third.id;
        s.create_draft(third, None, 9).await.unwrap();
        s.delete_draft(third_id, me, 9).await.unwrap();
        let page = s.list_applications(me, None, 1).await.unwrap();
        assert_eq!(page[0].id, second_id);
        let next = s.list_applications(me, Some(second_id), 10).await.unwrap();
        assert_eq!(next.iter().map(|a| a.id).collect::<Vec<_>>(), [id]);
        assert!(
            s.list_applications(other, None, 10)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn an_idempotency_key_does_the_work_once() {
    each_backend(|s| async move {
        let me = applicant(&s).await;
        let key = |fp: &str| {
            Some(IdempotencyKey {
                key: "abc".into(),
                fingerprint: fp.into(),
            })
        };
        let first = draft(me, "passport-internal");
        let id = first.id;
        assert_eq!(
            s.create_draft(first, key("f1"), 2).await.unwrap(),
            Once::Done(id)
        );
        assert_eq!(
            s.create_draft(draft(me, "passport-internal"), key("f1"), 3)
                .await
                .unwrap(),
            Once::Replayed(id)
        );
        assert!(matches!(
            s.create_draft(draft(me, "passport-internal"), key("f2"), 3)
                .await,
            Err(StoreError::Conflict("idempotency.mismatch"))
        ));
        assert_eq!(s.list_applications(me, None, 10).await.unwrap().len(), 1);
        // Concurrent submissions of one draft: one number, whatever the keys.
        let mut tries = tokio::task::JoinSet::new();
        for i in 0..8 {
            let s = s.clone();
            tries.spawn(async move {
                let k = Some(IdempotencyKey {
                    key: format!("s{}", i % 2),
                    fingerprint: "f".into(),
                });
                s.submit_application(submission(id, me, 1, true), k, 4)
                    .await
            });
        }
        let results = tries.join_all().await;
        let done = results
            .iter()
            .filter(|r| matches!(r, Ok(Once::Done(_))))
            .count();
        assert_eq!(done, 1, "{results:?}");
        let app = s.get_application(id, me).await.unwrap();
        assert_eq!(app.version, 2);
        let jobs = s.application_history(id, me).await.unwrap();
        assert_eq!(jobs.len(), 2);
    })
    .await;
}

/// The key, the sending and the number go to the database in one call, so
/// a used key or a refusal is found after the draft may have been sent: the
/// attack is a key used again for another draft, and a refused sending
/// burning a number.
#[tokio::test]
async fn a_used_key_or_a_refused_sending_leaves_nothing_sent_or_numbered() {
    use domain::application::Status;
    each_backend(|s| async move {
        let me = applicant(&s).await;
        let key = |k: &str, fp: &str| {
            Some(IdempotencyKey {
                key: k.into(),
                fingerprint: fp.into(),
            })
        };
        let mut ids = Vec::new();
        for _ in 0..4 {
            let d = draft(me, "address-reference");
            ids.push(d.id);
            s.create_draft(d, None, 2).await.unwrap();
        }
        let [a, b, c, d] = ids[..] else {
            panic!("four drafts")
        };
        let serial = |n: &str| n.split('-').nth(1).unwrap().parse::<i64>().unwrap();
        let sent = |r: store::Result<Once<Submitted>>| match r {
            Ok(Once::Done(done)) => serial(&done.number),
            other => panic!("not sent: {other:?}"),
        };
        let first = sent(
            s.submit_application(submission(a, me, 1, false), key("send", "fa"), 3)
                .await,
        );
        // A stale sending of b: refused, and no number taken for it.
        assert!(matches!(
            s.submit_application(submission(b, me, 7, false), key("b-stale", "fb"), 3)
                .await,
            Err(StoreError::Stale)
        ));
        // The stale try's key was not kept.
        assert_eq!(s.idempotent_resource(me, "b-stale").await.unwrap(), None);
        let second = sent(
            s.submit_application(submission(b, me, 1, false), key("b-stale", "fb"), 4)
                .await,
        );
        assert_eq!(second, first + 1);
        // A repeat of a's sending answers with it, and sends nothing again.
        assert_eq!(
            s.submit_application(submission(a, me, 1, false), key("send", "fa"), 5)
                .await
                .unwrap(),
            Once::Replayed(a)
        );
        assert_eq!(s.application_history(a, me).await.unwrap().len(), 2);
        // a's key again, for c, again and again: refused each time, and c —
        // sent by the same call before the key was found used — is a draft
        // still; no number is taken (PostgreSQL's sequence is not rolled back).
        for _ in 0..3 {
            assert!(matches!(
                s.submit_application(submission(c, me, 1, false), key("send", "fc"), 6)
                    .await,
                Err(StoreError::Conflict("idempotency.mismatch"))
            ));
        }
        let still = s.get_application(c, me).await.unwrap();
        assert_eq!(
            (still.status, still.version, still.number),
            (Status::Draft, 1, None)
        );
        assert_eq!(s.application_history(c, me).await.unwrap().len(), 1);
        // Sent with keys of their own, c and d take the next numbers.
        let third = sent(
            s.submit_application(submission(c, me, 1, false), key("send-c", "fc"), 7)
                .await,
        );
        let fourth = sent(
            s.submit_application(submission(d, me, 1, false), None, 7)
                .await,
        );
        assert_eq!((third, fourth), (second + 1, second + 2));
    })
    .await;
}

/// A deletion and a submission of one draft at once: exactly one wins, and
/// a submitted application keeps its files and its history.
#[tokio::test]
async fn deleting_and_submitting_one_draft_at_once() {
    each_backend(|s| async move {
        let me = applicant(&s).await;
        for round in 0..6 {
            let d = draft(me, "address-reference");
            let id = d.id;
            s.create_draft(d, None, 2).await.unwrap();
            let file = Attachment {
                id: format!("{round:032x}"),
                application_id: id,
                account_id: me,
                field: "/scan".into(),
                media_type: "application/pdf".into(),
                size: 1,
                sha256: "x".into(),
                file_name: "scan.pdf".into(),
                object_key: format!("applications/{id}/scan.pdf"),
                key_id: "k1".into(),
                created_at: 2,
            };
            assert_eq!(
                s.add_attachment(file, None, 2).await.unwrap(),
                Once::Done(vec![])
            );
            let (a, b) = (s.clone(), s.clone());
            let delete = tokio::spawn(async move { a.delete_draft(id, me, 3).await });
            let submit = tokio::spawn(async move {
                b.submit_application(submission(id, me, 1, false), None, 3)
                    .await
            });
            let (deleted, submitted) = (delete.await.unwrap(), submit.await.unwrap());
            match (&deleted, &submitted) {
                (Ok(keys), Err(StoreError::NotFound)) => assert_eq!(keys.len(), 1),
                (Err(StoreError::Conflict("application.not_draft")), Ok(Once::Done(_))) => {
                    assert_eq!(s.attachments(id, me).await.unwrap().len(), 1);
                    assert_eq!(s.application_history(id, me).await.unwrap().len(), 2);
                }
                other => panic!("round {round}: {other:?}"),
            }
        }
        // A person keeps at most MAX_DRAFTS drafts.
        let mut made = 0;
        loop {
            match s
                .create_draft(draft(me, "address-reference"), None, 5)
                .await
            {
                Ok(_) => made += 1,
                Err(StoreError::Conflict("application.too_many_drafts")) => break,
                Err(e) => panic!("{e}"),
            }
            assert!(made <= MAX_DRAFTS, "the cap holds");
        }
    })
    .await;
}

/// The file guards: a submission naming a file that is gone is refused
/// under the row lock; an application holds at most MAX_FILES files.
#[tokio::test]
async fn file_guards_hold() {
    each_backend(|s| async move {
        let me = applicant(&s).await;
        let d = draft(me, "passport-internal");
        let id = d.id;
        s.create_draft(d, None, 2).await.unwrap();
        let file = |n: i64| Attachment {
            id: format!("{n:032x}"),
            application_id: id,
            account_id: me,
            field: format!("/f{n}"),
            media_type: "application/pdf".into(),
            size: 1,
            sha256: "x".into(),
            file_name: "f.pdf".into(),
            object_key: format!("applications/{id}/{n}.pdf"),
            key_id: "k1".into(),
            created_at: 2,
        };
        for n in 0..MAX_FILES {
            s.add_attachment(file(n), None, 3).await.unwrap();
        }
        assert!(matches!(
            s.add_attachment(file(MAX_FILES), None, 3).await,
            Err(StoreError::Conflict("file.too_many"))
        ));
        let mut gone = submission(id, me, 1, false);
        gone.files = vec![format!("{:032x}", 999)];
        assert!(matches!(
            s.submit_application(gone, None, 4).await,
            Err(StoreError::Conflict("application.files_changed"))
        ));
        let mut there = submission(id, me, 1, false);
        there.files = vec![format!("{:032x}", 0)];
        assert!(matches!(
            s.submit_application(there, None, 4).await,
            Ok(Once::Done(_))
        ));
    })
    .await;
}

/// A submission's notice and jobs go in with it, each once by its key.
#[tokio::test]
async fn a_submission_enqueues_every_job_it_carries() {
    each_backend(|s| async move {
        let me = applicant(&s).await;
        let d = draft(me, "address-reference");
        let id = d.id;
        s.create_draft(d, None, 2).await.unwrap();
        let before = s.job_stats().await.unwrap().pending;
        let mut sub = submission(id, me, 1, false);
        sub.jobs = vec![
            job("make_document", 5).dedup(format!("receipt:{id}")),
            job("make_document", 5).dedup(format!("other:{id}")),
            // Same key as the first: kept once.
            job("make_document", 5).dedup(format!("receipt:{id}")),
        ];
        s.submit_application(sub, None, 5).await.unwrap();
        assert_eq!(s.job_stats().await.unwrap().pending, before + 3);
    })
    .await;
}

/// A notice goes into the inbox with its deliveries' jobs in one call; a
/// retry of the notice (the same source, the same dedup keys) adds nothing.
#[tokio::test]
async fn a_notice_and_its_deliveries_go_in_once() {
    each_backend(|s| async move {
        let me = applicant(&s).await;
        let before = s.job_stats().await.unwrap().pending;
        let item = |id: Uuid| InboxItem {
            id,
            account_id: me,
            kind: "application".into(),
            subject_key: "msg-s".into(),
            body_key: "msg-b".into(),
            args: "[]".into(),
            link: None,
            source: "notice-job-1".into(),
            created_at: 5,
            read_at: None,
        };
        let deliveries = || {
            ["email", "sms"]
                .map(|c| job("notify", 5).dedup(format!("notice:1:{c}")))
                .to_vec()
        };
        s.add_inbox_item(item(Uuid::now_v7()), deliveries())
            .await
            .unwrap();
        s.add_inbox_item(item(Uuid::now_v7()), deliveries())
            .await
            .unwrap();
        assert_eq!(s.inbox(me, false, None, None, 10).await.unwrap().len(), 1);
        assert_eq!(s.job_stats().await.unwrap().pending, before + 2);
        // A notice kept before its deliveries were (SQLite runs the two
        // statements apart; a crash between them): the retry adds them.
        let mut early = item(Uuid::now_v7());
        early.source = "notice-job-0".into();
        s.add_inbox_item(early.clone(), vec![]).await.unwrap();
        let late = || vec![job("notify", 5).dedup("notice:0:email".to_owned())];
        s.add_inbox_item(early, late()).await.unwrap();
        assert_eq!(s.inbox(me, false, None, None, 10).await.unwrap().len(), 2);
        assert_eq!(s.job_stats().await.unwrap().pending, before + 3);
        // Without deliveries (no channel wanted) the notice alone.
        let mut other = item(Uuid::now_v7());
        other.source = "notice-job-2".into();
        s.add_inbox_item(other, vec![]).await.unwrap();
        assert_eq!(s.inbox(me, false, None, None, 10).await.unwrap().len(), 3);
        assert_eq!(s.job_stats().await.unwrap().pending, before + 3);
    })
    .await;
}

/// A document is issued untypeset (size 0, its words kept); the first
/// typesetting records its size and standard, a second changes nothing.
#[tokio::test]
async fn a_document_is_typeset_once() {
    each_backend(|s| async move {
        let me = applicant(&s).await;
        let d = draft(me, "address-reference");
        let app_id = d.id;
        s.create_draft(d, None, 2).await.unwrap();
        let doc = DocumentRecord {
            id: Uuid::now_v7(),
            account_id: me,
            application_id: Some(app_id),
            kind: "application_receipt".into(),
            title: "Расписка".into(),
            number: "1".into(),
            object_key: String::new(),
            key_id: "k1".into(),
            size: 0,
            standard: None,
            source: format!("receipt:{app_id}"),
            created_at: 3,
            words: Some(b"sealed words".to_vec()),
        };
        let id = doc.id;
        assert!(s.add_document(doc.clone()).await.unwrap());
        assert!(!s.add_document(doc).await.unwrap(), "one per source");
        // The second issue, refused after it took the audit head in the same
        // call, left the chain whole and one event for the document.
        assert!(
            audit::verify_all(s.as_ref(), &test_key(), &[])
                .await
                .unwrap()
                .is_ok()
        );
        let issued = s
            .search_audit(
                &AuditFilter {
                    subject_id: Some(id),
                    ..AuditFilter::default()
                },
                10,
            )
            .await
            .unwrap();
        assert_eq!(
            issued.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            ["document.issued"]
        );
        let got = s.document(id).await.unwrap().unwrap();
        assert_eq!((got.size, got.standard.as_deref()), (0, None));
        assert_eq!(got.words.as_deref(), Some(b"sealed words".as_slice()));
        // Lists leave the words out; the rest is the same record.
        for listed in [
            s.documents_of(me).await.unwrap(),
            s.documents_of_application(app_id).await.unwrap(),
        ] {
            assert_eq!(listed.len(), 1);
            assert_eq!(
                listed[0],
                DocumentRecord {
                    words: None,
                    ..got.clone()
                }
            );
        }
        let first = TypesetPdf {
            object_key: "documents/a.pdf".into(),
            key_id: "k2".into(),
            size: 1234,
            standard: Some("PDF/A-2a".into()),
        };
        assert!(s.document_typeset(id, first.clone()).await.unwrap());
        let second = TypesetPdf {
            object_key: "documents/b.pdf".into(),
            key_id: "k1".into(),
            size: 99,
            standard: None,
        };
        assert!(
            !s.document_typeset(id, second).await.unwrap(),
            "the first is kept"
        );
        let got = s.document(id).await.unwrap().unwrap();
        assert_eq!(
            (got.object_key, got.key_id, got.size, got.standard),
            (first.object_key, first.key_id, first.size, first.standard)
        );
    })
    .await;
}

/// SQLite's WAL is copied back into the database file by the store's
/// checkpointer, not in the commit of a request that crossed SQLite's
/// threshold: the migrations' pages (far fewer than the writer's own limit)
/// reach the main file while the store is open and writes nothing more.
#[tokio::test]
async fn sqlite_copies_its_wal_back_off_the_writers_path() {
    let db = TestDb::new("sqlite").await.unwrap();
    let s = connect(&db.url, true, test_key()).await.unwrap();
    s.create_account(account(None, Some("wal@example.ru")), None, 1)
        .await
        .unwrap();
    let file = std::path::PathBuf::from(db.url.trim_start_matches("sqlite://"));
    let wal = file.with_extension("db-wal");
    assert!(
        std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > 100_000,
        "the migrations went to the WAL"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let main = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        if main > 100_000 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the main file still holds {main} bytes: nothing was checkpointed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    drop(s);
}
