//! Delivery over real collaborators: an SMTP server (aiosmtpd), an HTTP SMS
//! gateway, the demo mailbox in a real store, and the outbox worker over
//! SQLite (and PostgreSQL when MIGPORTAL_TEST_POSTGRES_URL is set).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use async_trait::async_trait;
use notify::{
    Channel, DemoMailbox, JobError, JobHandler, OutgoingMessage, SendError, Sender, SmsGateway,
    SmtpConfig, SmtpSender, SmtpTls, Worker, WorkerConfig, backoff_ms,
};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::testing::backends;
use store::{Job, JobStats, NewJob};
use support::{FakeGateway, SmtpServer, free_port, fresh_store, parse_mail, real_now, wait_until};
use tokio::sync::watch;
use uuid::Uuid;

const SUBJECT: &str = "Код подтверждения для портала «Госуслуги»";
const BODY: &str = "Здравствуйте, Иван Иванович!\n\nВаш код подтверждения: 482913. \
                    Никому его не сообщайте. Код действует 10 минут.\n";

fn email(to: &str) -> OutgoingMessage {
    OutgoingMessage {
        channel: Channel::Email,
        to: to.into(),
        subject: SUBJECT.into(),
        body: BODY.into(),
        key: None,
    }
}

fn sms(to: &str, text: &str) -> OutgoingMessage {
    OutgoingMessage {
        channel: Channel::Sms,
        to: to.into(),
        subject: String::new(),
        body: text.into(),
        key: None,
    }
}

fn smtp_sender(port: u16) -> SmtpSender {
    SmtpSender::new(&SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: "Миграционный портал <noreply@migportal.test>".into(),
    })
    .expect("smtp sender")
}

// ---------------------------------------------------------------------------
// SMTP

#[tokio::test]
async fn smtp_delivers_cyrillic_message_to_a_real_server() {
    let Some(server) = SmtpServer::start().await else {
        return;
    };
    let sender = smtp_sender(server.port);

    sender
        .send(&email("ivan.ivanov@example.test"))
        .await
        .unwrap_or_else(|e| panic!("send failed: {e}; server log:\n{}", server.log()));

    let files = server.wait_delivered(1).await;
    let mail = parse_mail(&files[0]);
    assert_eq!(
        mail.rcpt_to, "ivan.ivanov@example.test",
        "envelope: {mail:?}"
    );
    assert!(mail.to.contains("ivan.ivanov@example.test"), "To: {mail:?}");
    assert!(
        mail.from.contains("noreply@migportal.test"),
        "From: {mail:?}"
    );
    assert!(mail.from.contains("Миграционный портал"), "From: {mail:?}");
    assert_eq!(mail.subject, SUBJECT);
    assert_eq!(mail.content_type, "text/plain");
    assert_eq!(mail.charset.as_deref(), Some("utf-8"));
    // Without SMTPUTF8, non-ASCII text must travel encoded (RFC 2047 / QP / base64).
    assert!(mail.headers_ascii, "raw headers must be ASCII: {mail:?}");
    assert!(
        ["quoted-printable", "base64"].contains(&mail.transfer_encoding.to_lowercase().as_str()),
        "transfer encoding: {mail:?}"
    );
    assert_eq!(mail.body.replace("\r\n", "\n").trim_end(), BODY.trim_end());
}

/// A message whose answer never came (the server held it, then refused it)
/// is a temporary failure and stored nowhere; the resend carries the same
/// Message-ID, the delivery key, so the two are one message.
#[tokio::test]
async fn a_held_then_refused_message_is_temporary_and_its_resend_keeps_its_id() {
    let port = free_port();
    let Some(server) = SmtpServer::start_holding_on(port).await else {
        return;
    };
    let sender = Arc::new(smtp_sender(port));
    let mut message = email("ivan.ivanov@example.test");
    message.key = Some("0193a5f2-7c1e-7b3a-9d4e-2f6a8b1c0d11".into());
    let held = {
        let (sender, message) = (sender.clone(), message.clone());
        tokio::spawn(async move { sender.send(&message).await })
    };
    wait_until(
        Duration::from_secs(10),
        "the message to be held",
        || async { server.holds_one() },
    )
    .await;
    server.release();
    let outcome = held.await.expect("send task");
    assert!(
        matches!(outcome, Err(SendError::Temporary(_))),
        "{outcome:?}"
    );
    assert!(server.delivered().is_empty());
    sender.send(&message).await.expect("resend");
    let files = server.wait_delivered(1).await;
    let raw = std::fs::read_to_string(&files[0]).expect("stored message");
    assert!(
        raw.contains("Message-ID: <0193a5f2-7c1e-7b3a-9d4e-2f6a8b1c0d11@migportal>"),
        "{raw}"
    );
}

#[tokio::test]
async fn smtp_sends_several_messages_over_one_sender() {
    let Some(server) = SmtpServer::start().await else {
        return;
    };
    let sender = smtp_sender(server.port);
    for i in 0..3 {
        sender
            .send(&email(&format!("person{i}@example.test")))
            .await
            .unwrap_or_else(|e| panic!("send #{i} failed: {e}; log:\n{}", server.log()));
    }
    let files = server.wait_delivered(3).await;
    let mut recipients: Vec<String> = files.iter().map(|f| parse_mail(f).rcpt_to).collect();
    recipients.sort();
    assert_eq!(
        recipients,
        [
            "person0@example.test",
            "person1@example.test",
            "person2@example.test"
        ]
    );
}

#[tokio::test]
async fn smtp_rejections_are_classified() {
    let Some(server) = SmtpServer::start_picky().await else {
        return;
    };
    let sender = smtp_sender(server.port);

    let result = sender.send(&email("nosuchuser@example.test")).await;
    assert!(
        matches!(result, Err(SendError::Permanent(_))),
        "550 must be permanent: {result:?}"
    );
    let result = sender.send(&email("greylisted@example.test")).await;
    assert!(
        matches!(result, Err(SendError::Temporary(_))),
        "451 must be temporary: {result:?}"
    );
    // The connection is still usable for a good recipient afterwards.
    sender
        .send(&email("ok@example.test"))
        .await
        .unwrap_or_else(|e| panic!("send failed: {e}; log:\n{}", server.log()));
    let files = server.wait_delivered(1).await;
    assert_eq!(parse_mail(&files[0]).rcpt_to, "ok@example.test");
}

#[tokio::test]
async fn smtp_server_down_is_temporary() {
    let sender = smtp_sender(free_port());
    let result = tokio::time::timeout(
        Duration::from_secs(30),
        sender.send(&email("ivan@example.test")),
    )
    .await
    .expect("a refused connection must not hang");
    assert!(
        matches!(result, Err(SendError::Temporary(_))),
        "nothing listening must be temporary: {result:?}"
    );
}

#[tokio::test]
async fn smtp_invalid_recipient_is_permanent_without_a_connection() {
    // Port of nothing: an address that does not parse never reaches the network.
    let sender = smtp_sender(free_port());
    let result = sender.send(&email("not an address")).await;
    assert!(matches!(result, Err(SendError::Permanent(_))), "{result:?}");
}

// SmtpSender::new needs a tokio runtime (lettre's pool spawns its reaper task).
#[tokio::test]
async fn smtp_config_rejects_bad_from_and_hides_the_password() {
    let mut config = SmtpConfig {
        host: "127.0.0.1".into(),
        port: 25,
        tls: SmtpTls::None,
        username: Some("portal".into()),
        password: Some("s3cr3t-passw0rd".into()),
        from: "no address here".into(),
    };
    assert!(SmtpSender::new(&config).is_err());
    let shown = format!("{config:?}");
    assert!(!shown.contains("s3cr3t-passw0rd"), "{shown}");
    assert!(shown.contains("***"), "{shown}");
    config.from = "noreply@migportal.test".into();
    assert!(SmtpSender::new(&config).is_ok());
}

// ---------------------------------------------------------------------------
// SMS gateway

#[tokio::test]
async fn sms_gateway_posts_json_with_bearer_token() {
    let gateway = FakeGateway::start(200).await;
    let sender = SmsGateway::new(&gateway.url, "tok-123.abc").expect("gateway");
    let text = "Ваш код: 482913. Никому не сообщайте.";

    sender
        .send(&sms("+79161234567", text))
        .await
        .expect("2xx is delivered");

    let requests = gateway.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let r = &requests[0];
    assert_eq!(r.path, "/v1/sms");
    assert_eq!(r.authorization.as_deref(), Some("Bearer tok-123.abc"));
    assert!(
        r.content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/json")),
        "{r:?}"
    );
    assert_eq!(
        r.body,
        serde_json::json!({ "to": "+79161234567", "text": text })
    );
}

#[tokio::test]
async fn sms_gateway_accepts_any_2xx() {
    let gateway = FakeGateway::start(202).await;
    let sender = SmsGateway::new(&gateway.url, "t").expect("gateway");
    sender
        .send(&sms("+79161234567", "ok"))
        .await
        .expect("202 is delivered");
    assert_eq!(gateway.requests().len(), 1);
}

#[tokio::test]
async fn sms_gateway_errors_are_classified() {
    for (status, temporary) in [
        (503, true),
        (500, true),
        (429, true),
        (400, false),
        (401, false),
    ] {
        let gateway = FakeGateway::start(status).await;
        let sender = SmsGateway::new(&gateway.url, "t").expect("gateway");
        let result = sender.send(&sms("+79161234567", "code 1")).await;
        match (temporary, &result) {
            (true, Err(SendError::Temporary(_))) | (false, Err(SendError::Permanent(_))) => {}
            _ => panic!("status {status}: expected temporary={temporary}, got {result:?}"),
        }
        assert_eq!(gateway.requests().len(), 1, "status {status}");
    }
}

#[tokio::test]
async fn sms_gateway_down_is_temporary() {
    let url = format!("http://127.0.0.1:{}/v1/sms", free_port());
    let sender = SmsGateway::new(&url, "secret-token").expect("gateway");
    let result = sender.send(&sms("+79161234567", "code 1")).await;
    match result {
        Err(SendError::Temporary(why)) => {
            assert!(!why.contains("secret-token"), "token leaked: {why}");
        }
        other => panic!("nothing listening must be temporary: {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Demo mailbox

/// The demo mailbox honours the delivery key as real gateways do: a resend
/// after a worker died past the send (before marking it sent) adds nothing.
#[tokio::test]
async fn demo_mailbox_takes_a_resent_message_once() {
    for backend in backends() {
        let (_db, store) = fresh_store(backend).await;
        let mailbox = DemoMailbox::new(store.clone());
        let mut keyed = email("ivan.ivanov@example.test");
        keyed.key = Some(uuid::Uuid::now_v7().to_string());
        mailbox.send(&keyed).await.expect("first send");
        mailbox.send(&keyed).await.expect("the resend is no error");
        let unkeyed = email("ivan.ivanov@example.test");
        mailbox.send(&unkeyed).await.expect("unkeyed");
        mailbox.send(&unkeyed).await.expect("unkeyed again");
        let listed = store.list_demo_messages(10).await.expect("list");
        assert_eq!(
            listed.len(),
            3,
            "{backend}: one keyed, two unkeyed: {listed:?}"
        );
    }
}

#[tokio::test]
async fn demo_mailbox_stores_messages_for_the_demo_page() {
    for backend in backends() {
        let (_db, store) = fresh_store(backend).await;
        let mailbox = DemoMailbox::new(store.clone());
        let before = real_now();

        mailbox
            .send(&email("ivan.ivanov@example.test"))
            .await
            .expect("email to demo mailbox");
        mailbox
            .send(&sms("+79161234567", "Ваш код: 482913"))
            .await
            .expect("sms to demo mailbox");

        let after = real_now();
        let listed = store.list_demo_messages(10).await.expect("list");
        assert_eq!(listed.len(), 2, "{backend}: {listed:?}");
        // Newest first.
        let (sms_row, email_row) = (&listed[0], &listed[1]);
        assert_eq!(email_row.channel, "email");
        assert_eq!(email_row.destination, "ivan.ivanov@example.test");
        assert_eq!(email_row.subject, SUBJECT);
        assert_eq!(email_row.body, BODY);
        assert_eq!(sms_row.channel, "sms");
        assert_eq!(sms_row.destination, "+79161234567");
        assert_eq!(sms_row.body, "Ваш код: 482913");
        for row in &listed {
            assert!(
                (before..=after).contains(&row.created_at),
                "{backend}: created_at {} not in [{before}, {after}]",
                row.created_at
            );
        }
        assert_ne!(email_row.id, sms_row.id);
        assert_eq!(store.list_demo_messages(1).await.expect("list").len(), 1);
    }
}

// ---------------------------------------------------------------------------
// Worker

const KIND: &str = "test_kind";

#[derive(Clone, Copy, Debug)]
enum Mode {
    Succeed,
    /// Temporary failure on a job's first call, success afterwards.
    FailOnceTemporarily,
    AlwaysTemporary,
    Permanent,
    Panic,
    Hang,
}

/// Records every call (job id, attempts, payload) and answers by `mode`.
struct Recorder {
    mode: Mode,
    delay: Duration,
    calls: Mutex<Vec<Job>>,
}

impl Recorder {
    fn new(mode: Mode) -> Arc<Self> {
        Self::with_delay(mode, Duration::ZERO)
    }

    fn with_delay(mode: Mode, delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            mode,
            delay,
            calls: Mutex::new(Vec::new()),
        })
    }

    fn calls(&self) -> Vec<Job> {
        self.calls.lock().unwrap().clone()
    }

    fn per_job(&self) -> HashMap<Uuid, usize> {
        let mut counts = HashMap::new();
        for job in self.calls() {
            *counts.entry(job.id).or_insert(0) += 1;
        }
        counts
    }
}

#[async_trait]
impl JobHandler for Recorder {
    async fn handle(&self, job: &Job) -> Result<(), JobError> {
        let earlier = {
            let mut calls = self.calls.lock().unwrap();
            let earlier = calls.iter().filter(|j| j.id == job.id).count();
            calls.push(job.clone());
            earlier
        };
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        match self.mode {
            Mode::Succeed => Ok(()),
            Mode::FailOnceTemporarily if earlier == 0 => {
                Err(JobError::Temporary("smtp server down".into()))
            }
            Mode::FailOnceTemporarily => Ok(()),
            Mode::AlwaysTemporary => Err(JobError::Temporary("still down".into())),
            Mode::Permanent => Err(JobError::Permanent("recipient rejected".into())),
            Mode::Panic => panic!("a bug in a handler"),
            Mode::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(())
            }
        }
    }
}

/// A manual clock per test (tests run in parallel; each needs its own).
macro_rules! manual_clock {
    ($name:ident) => {
        #[allow(dead_code)]
        mod $name {
            use std::sync::atomic::{AtomicI64, Ordering};
            static NOW: AtomicI64 = AtomicI64::new(0);
            pub fn now() -> i64 {
                NOW.load(Ordering::SeqCst)
            }
            pub fn set(ms: i64) {
                NOW.store(ms, Ordering::SeqCst);
            }
            pub fn advance(ms: i64) -> i64 {
                NOW.fetch_add(ms, Ordering::SeqCst) + ms
            }
        }
    };
}

manual_clock!(retry_clock);
manual_clock!(exhaust_clock);
manual_clock!(permanent_clock);
manual_clock!(unhandled_clock);
manual_clock!(lease_clock);
manual_clock!(order_clock);
manual_clock!(panic_clock);
manual_clock!(dead_lease_clock);
manual_clock!(batch_clock);

const T0: i64 = 1_700_000_000_000;

fn config(worker_id: &str, concurrency: usize, idle_poll: Duration) -> WorkerConfig {
    WorkerConfig {
        worker_id: worker_id.into(),
        lease_ms: 60_000,
        idle_poll,
        concurrency,
        batch: 1,
        time_limit: Duration::from_millis(500),
    }
}

fn payload(n: usize) -> String {
    serde_json::json!({ "n": n }).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_runs_every_job_exactly_once() {
    const N: usize = 60;
    for backend in backends() {
        let (_db, store) = fresh_store(backend).await;
        let handler = Recorder::with_delay(Mode::Succeed, Duration::from_millis(2));
        let mut expected = HashMap::new();

        let enqueue = |range: std::ops::Range<usize>| {
            let store = store.clone();
            async move {
                let mut ids = Vec::new();
                for n in range {
                    let now = real_now();
                    let job = NewJob::now(KIND, payload(n), now);
                    ids.push((job.id, payload(n)));
                    store.enqueue(job, now).await.expect("enqueue");
                }
                ids
            }
        };
        // Half before the workers start, half while they poll.
        expected.extend(enqueue(0..N / 2).await);

        let (stop, shutdown) = watch::channel(false);
        // Two "processes", three lanes each, over one database.
        let mut running = Vec::new();
        for name in ["a", "b"] {
            // One claims a job at a time, the other batches of five.
            let worker = Worker::new(
                store.clone(),
                WorkerConfig {
                    batch: if name == "a" { 1 } else { 5 },
                    ..config(&format!("{backend}-{name}"), 3, Duration::from_millis(20))
                },
                real_now,
            )
            .handle(KIND, handler.clone());
            running.push(tokio::spawn(worker.run(shutdown.clone())));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        expected.extend(enqueue(N / 2..N).await);

        let s = store.clone();
        wait_until(Duration::from_secs(10), "all jobs done", || {
            let s = s.clone();
            async move { s.job_stats().await.expect("stats").done == N as u64 }
        })
        .await;
        stop.send(true).expect("workers listen");
        for worker in running {
            tokio::time::timeout(Duration::from_secs(5), worker)
                .await
                .expect("worker stops after shutdown")
                .expect("worker task");
        }

        let per_job = handler.per_job();
        assert_eq!(per_job.len(), N, "{backend}");
        let twice: Vec<_> = per_job.iter().filter(|(_, c)| **c != 1).collect();
        assert!(
            twice.is_empty(),
            "{backend}: handled more than once: {twice:?}"
        );
        for job in handler.calls() {
            assert_eq!(job.kind, KIND);
            assert_eq!(job.attempts, 1, "{backend}: {job:?}");
            assert_eq!(
                expected.get(&job.id),
                Some(&job.payload),
                "{backend}: unknown job or payload {job:?}"
            );
        }
        assert_eq!(
            store.job_stats().await.expect("stats"),
            JobStats {
                pending: 0,
                done: N as u64,
                dead: 0
            },
            "{backend}"
        );
    }
}

#[tokio::test]
async fn worker_shutdown_interrupts_the_idle_sleep() {
    for backend in backends() {
        let (_db, store) = fresh_store(backend).await;
        let worker = Worker::new(
            store,
            config("idle", 2, Duration::from_secs(3600)),
            real_now,
        );
        let (stop, shutdown) = watch::channel(false);
        let running = tokio::spawn(worker.run(shutdown));
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.send(true).expect("worker listens");
        tokio::time::timeout(Duration::from_secs(5), running)
            .await
            .expect("an idle worker stops at once, not after idle_poll")
            .expect("worker task");
    }
}

/// One claim takes a batch of three jobs; each ends on its own terms: the
/// success is recorded done, the temporary failure waits for its backoff
/// and then runs again (alone), the job no handler knows is given up.
#[tokio::test]
async fn a_batch_records_each_outcome_apart() {
    for backend in backends() {
        let (_db, store) = fresh_store(backend).await;
        batch_clock::set(T0);
        for kind in [KIND, "flaky", "unknown"] {
            store
                .enqueue(NewJob::now(kind, payload(1), T0), T0)
                .await
                .expect("enqueue");
        }
        let fine = Recorder::new(Mode::Succeed);
        let flaky = Recorder::new(Mode::FailOnceTemporarily);
        let worker = Worker::new(
            store.clone(),
            WorkerConfig {
                batch: 8,
                ..config("w", 1, Duration::from_millis(20))
            },
            batch_clock::now,
        )
        .handle(KIND, fine.clone())
        .handle("flaky", flaky.clone());

        assert!(worker.run_one("w-0").await, "{backend}: the batch runs");
        assert_eq!(
            (fine.calls().len(), flaky.calls().len()),
            (1, 1),
            "{backend}"
        );
        assert_eq!(
            store.job_stats().await.expect("stats"),
            JobStats {
                pending: 1,
                done: 1,
                dead: 1
            },
            "{backend}: done, waiting for its retry, given up"
        );
        assert!(
            !worker.run_one("w-0").await,
            "{backend}: nothing due before the backoff"
        );
        batch_clock::set(T0 + backoff_ms(1, 1.0) + 1);
        assert!(worker.run_one("w-0").await, "{backend}: the retry");
        assert_eq!(
            (fine.calls().len(), flaky.calls().len()),
            (1, 2),
            "{backend}"
        );
        assert_eq!(
            store.job_stats().await.expect("stats"),
            JobStats {
                pending: 0,
                done: 2,
                dead: 1
            },
            "{backend}"
        );
    }
}

/// A slow job does not keep the rest of its batch unrecorded: the quick
/// one is marked done within `RECORD_WITHIN` of its end (so a process that
/// died now would not send it again), the slow one when it ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_job_does_not_hold_back_its_batch() {
    for backend in backends() {
        let (_db, store) = fresh_store(backend).await;
        let now = real_now();
        for kind in [KIND, "slow"] {
            store
                .enqueue(NewJob::now(kind, payload(1), now), now)
                .await
                .expect("enqueue");
        }
        let quick = Recorder::new(Mode::Succeed);
        let slow = Recorder::with_delay(Mode::Succeed, Duration::from_millis(2_500));
        let worker = Worker::new(
            store.clone(),
            WorkerConfig {
                batch: 8,
                time_limit: Duration::from_secs(10),
                ..config("w", 1, Duration::from_millis(20))
            },
            real_now,
        )
        .handle(KIND, quick.clone())
        .handle("slow", slow.clone());
        let run = tokio::spawn(async move { worker.run_one("w-0").await });
        tokio::time::sleep(notify::RECORD_WITHIN + Duration::from_millis(700)).await;
        assert_eq!(slow.calls().len(), 1, "{backend}: both started");
        assert!(!run.is_finished(), "{backend}: the slow one still runs");
        let stats = store.job_stats().await.expect("stats");
        assert_eq!(
            (stats.pending, stats.done),
            (1, 1),
            "{backend}: the quick one recorded"
        );
        assert!(run.await.expect("worker task"), "{backend}");
        let stats = store.job_stats().await.expect("stats");
        assert_eq!((stats.pending, stats.done), (0, 2), "{backend}");
    }
}

#[tokio::test]
async fn worker_retries_a_temporary_failure_after_backoff() {
    for backend in backends() {
        let (_db, store) = fresh_store(backend).await;
        retry_clock::set(T0);
        let job = NewJob::now(KIND, payload(1), T0);
        let id = job.id;
        store.enqueue(job, T0).await.expect("enqueue");
        let handler = Recorder::new(Mode::FailOnceTemporarily);
        let worker = Worker::new(
            store.clone(),
            config("w", 1, Duration::from_millis(20)),
            retry_clock::now,
        )
        .handle(KIND, handler.clone());

        assert!(worker.run_one("w-0").await, "{backend}: first attempt runs");
        assert_eq!(
            store.job_stats().await.expect("stats"),
            JobStats {
                pending: 1,
                done: 0,
                dead: 0
            },
            "{backend}: a temporary failure keeps the job pending"
        );
        // Not due again before the backoff.
        assert!(!worker.run_one("w-0").await, "{backend}: retried at once");
        retry_clock::advance(999);
        assert!(!worker.run_one("w-0").await, "{backend}: backoff < 1 s");
        retry_clock::set(T0 + backoff_ms(1, 0.0) - 1);
        assert!(!worker.run_one("w-0").await, "{backend}: before backoff");
        retry_clock::set(T0 + backoff_ms(1, 1.0) + 1);
        assert!(worker.run_one("w-0").await, "{backend}: due after backoff");
        assert!(!worker.run_one("w-0").await, "{backend}: nothing left");

        let calls = handler.calls();
        assert_eq!(calls.len(), 2, "{backend}");
        assert!(calls.iter().all(|j| j.id == id));
        assert_eq!(
            calls.iter().map(|j| j.attempts).collect::<Vec<_>>(),
            [1, 2],
            "{backend}: attempts count this one"
        );
        assert_eq!(
            store.job_stats().await.expect("stats"),
            JobStats {
                pending: 0,
                done: 1,
                dead: 0
            },
            "{backend}"
        );
    }
}

#[tokio::test]
async fn worker_gives_up_after_max_attempts() {
    for backend in backends() {
        let (_db, store) = fresh_store(backend).await;
        exhaust_clock::set(T0);
        let job = NewJob::now(KIND, payload(1), T0).max_attempts(3);
        store.enqueue(job, T0).await.expect("enqueue");
        let handler = Recorder::new(Mode::AlwaysTemporary);
        let worker = Worker::new(
            store.clone(),
            config("w", 1, Duration::from_millis(20)),
            exhaust_clock::now,
        )
        .handle(KIND, handler.clone());

        for attempt in 1..=3 {
            assert!(worker.run_one("w-0").await, "{backend}: attempt {attempt}");
            exhaust_clock::advance(400_000); // beyond the 5-minute cap
        }
        assert!(
            !worker.run_one("w-0").await,
            "{backend}: dead jobs never run"
        );
        assert_eq!(handler.calls().len(), 3, "{backend}");
        assert_eq!(
            store.job_stats().await.expect("stats"),
            JobStats {
                pending: 0,
                done: 0,
                dead: 1
            },
            "{backend}"
        );
    }
}

#[tokio::test]
async fn worker_does_not_retry_a_permanent_failure() {
    for backend in backends() {
        let (_db, store) = fresh_store(backend).await;
        permanent_clock::set(T0);
        store
            .enqueue(NewJob::now(KIND, payload(1), T0), T0)
            .await
            .expect("enqueue");
        let handler = Recorder::new(Mode::Permanent);
        let worker = Worker::new(
            store.clone(),
            config("w", 1, Duration::from_millis(20)),
            permanent_clock::now,
        )
        .handle(KIND, handler.clone());

        assert!(worker.run_one("w-0").await, "{backend}");
        permanent_clock::advance(3_600_000);
        assert!(!worker.run_one("w-0").await, "{backend}: retried");
        assert_eq!(handler.calls().len(), 1, "{backend}");
        assert_eq!(
            store.job_stats().await.expect("stats"),
            JobStats {
                pending: 0,
                done: 0,
                dead: 1
            },
            "{backend}"
        );
    }
}

#[tokio::test]
async fn worker_gives_up_a_job_kind_without_handler() {
    for backend in backends() {
        let (_db, store) = fresh_store(backend).await;
        unhandled_clock::set(T0);
        store
            .enqueue(NewJob::now("nobody_handles_this", payload(1), T0), T0)
            .await
            .expect("enqueue");
        store
            .enqueue(NewJob::now(KIND, payload(2), T0), T0)
            .await
            .expect("enqueue");
        let handler = Recorder::new(Mode::Succeed);
        let worker = Worker::new(
            store.clone(),
            config("w", 1, Duration::from_millis(20)),
            unhandled_clock::now,
        )
        .handle(KIND, handler.clone());

        assert!(worker.run_one("w-0").await, "{backend}");
        assert!(worker.run_one("w-0").await, "{backend}");
        unhandled_clock::advance(3_600_000);
        assert!(!worker.run_one("w-0").await, "{backend}: retried");
        assert_eq!(handler.calls().len(), 1, "{backend}");
        assert_eq!(handler.calls()[0].payload, payload(2));
        assert_eq!(
            store.job_stats().await.expect("stats"),
            JobStats {
                pending: 0,
                done: 1,
                dead: 1
            },
            "{backend}"
        );
    }
}

#[tokio::test]
async fn worker_takes_over_a_job_whose_lease_expired() {
    for backend in backends() {
        let (_db, store) = fresh_store(backend).await;
        lease_clock::set(T0);
        let job = NewJob::now(KIND, payload(1), T0);
        let id = job.id;
        store.enqueue(job, T0).await.expect("enqueue");
        // Another instance claims it and dies without recording anything.
        let claimed = store
            .claim_job("crashed-0", T0, 1_000)
            .await
            .expect("claim")
            .expect("due job");
        assert_eq!(claimed.id, id);

        let handler = Recorder::new(Mode::Succeed);
        let worker = Worker::new(
            store.clone(),
            config("w", 1, Duration::from_millis(20)),
            lease_clock::now,
        )
        .handle(KIND, handler.clone());
        lease_clock::set(T0 + 1_000);
        assert!(!worker.run_one("w-0").await, "{backend}: leased job taken");
        lease_clock::set(T0 + 1_001);
        assert!(worker.run_one("w-0").await, "{backend}: expired lease");

        let calls = handler.calls();
        assert_eq!(calls.len(), 1, "{backend}");
        assert_eq!((calls[0].id, calls[0].attempts), (id, 2), "{backend}");
        // The crashed instance's late report does not count.
        assert!(
            !store
                .complete_job(id, "crashed-0", T0 + 2_000)
                .await
                .expect("complete"),
            "{backend}: the lost lease still completed the job"
        );
        assert_eq!(
            store.job_stats().await.expect("stats"),
            JobStats {
                pending: 0,
                done: 1,
                dead: 0
            },
            "{backend}"
        );
    }
}

#[tokio::test]
async fn worker_runs_due_jobs_in_run_at_order_and_waits_for_future_ones() {
    for backend in backends() {
        let (_db, store) = fresh_store(backend).await;
        order_clock::set(T0);
        let mut later = NewJob::now(KIND, payload(3), T0);
        later.run_at = T0 + 10_000;
        store.enqueue(later, T0).await.expect("enqueue");
        let mut second = NewJob::now(KIND, payload(2), T0);
        second.run_at = T0 - 1_000;
        store.enqueue(second, T0).await.expect("enqueue");
        let mut first = NewJob::now(KIND, payload(1), T0);
        first.run_at = T0 - 2_000;
        store.enqueue(first, T0).await.expect("enqueue");
        // A duplicate of a dedup key is enqueued once.
        for _ in 0..2 {
            store
                .enqueue(
                    NewJob::now(KIND, payload(4), T0 + 20_000).dedup("once".into()),
                    T0,
                )
                .await
                .expect("enqueue");
        }

        let handler = Recorder::new(Mode::Succeed);
        let worker = Worker::new(
            store.clone(),
            config("w", 1, Duration::from_millis(20)),
            order_clock::now,
        )
        .handle(KIND, handler.clone());
        while worker.run_one("w-0").await {}
        let seen = |h: &Recorder| h.calls().into_iter().map(|j| j.payload).collect::<Vec<_>>();
        assert_eq!(seen(&handler), [payload(1), payload(2)], "{backend}");

        order_clock::set(T0 + 30_000);
        while worker.run_one("w-0").await {}
        assert_eq!(
            seen(&handler),
            [payload(1), payload(2), payload(3), payload(4)],
            "{backend}"
        );
        let ids: HashSet<Uuid> = handler.calls().into_iter().map(|j| j.id).collect();
        assert_eq!(ids.len(), 4, "{backend}");
    }
}

static DROPPED_SENDER_CLAIMS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Real time, counting how often the worker looked for a job.
fn counting_clock() -> i64 {
    DROPPED_SENDER_CLAIMS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    real_now()
}

#[tokio::test]
async fn worker_with_a_dropped_shutdown_sender_keeps_polling_without_spinning() {
    let (_db, store) = fresh_store("sqlite").await;
    let worker = Worker::new(
        store,
        config("orphan", 1, Duration::from_millis(100)),
        counting_clock,
    );
    let (stop, shutdown) = watch::channel(false);
    drop(stop);
    let running = tokio::spawn(worker.run(shutdown));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!running.is_finished(), "runs until shutdown turns true");
    // About 5 polls in 500 ms at a 100 ms idle_poll; a spinning lane makes thousands.
    let claims = DROPPED_SENDER_CLAIMS.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        claims <= 20,
        "{claims} claims in 500 ms: the idle lane spins"
    );
    running.abort();
}

/// A handler that panics or hangs fails its job (retried later); the worker
/// lives on and runs the next job.
#[tokio::test]
async fn a_panicking_or_hanging_handler_fails_its_job_not_the_worker() {
    for backend in backends() {
        let (_db, store) = fresh_store(backend).await;
        panic_clock::set(T0);
        for (kind, n) in [("panics", 1), ("hangs", 2), (KIND, 3)] {
            store
                .enqueue(NewJob::now(kind, payload(n), T0), T0)
                .await
                .expect("enqueue");
        }
        let ok = Recorder::new(Mode::Succeed);
        let worker = Worker::new(
            store.clone(),
            config("w", 1, Duration::from_millis(20)),
            panic_clock::now,
        )
        .handle("panics", Recorder::new(Mode::Panic))
        .handle("hangs", Recorder::new(Mode::Hang))
        .handle(KIND, ok.clone());
        for _ in 0..3 {
            assert!(worker.run_one("w-0").await, "{backend}");
        }
        assert_eq!(ok.calls().len(), 1, "{backend}: the next job still ran");
        assert_eq!(
            store.job_stats().await.expect("stats"),
            JobStats {
                pending: 2,
                done: 1,
                dead: 0
            },
            "{backend}: both failures wait for a retry"
        );
    }
}

/// A job whose worker died on its last attempt is not claimed again.
#[tokio::test]
async fn a_job_past_its_attempts_is_not_claimed_again() {
    for backend in backends() {
        let (_db, store) = fresh_store(backend).await;
        dead_lease_clock::set(T0);
        store
            .enqueue(NewJob::now(KIND, payload(1), T0).max_attempts(1), T0)
            .await
            .expect("enqueue");
        let first = store
            .claim_job("crashed-0", T0, 1_000)
            .await
            .expect("claim");
        assert!(first.is_some(), "{backend}");
        // The lease ran out; the one attempt it had is spent.
        let again = store
            .claim_job("w-0", T0 + 5_000, 1_000)
            .await
            .expect("claim");
        assert!(again.is_none(), "{backend}: claimed past max_attempts");
    }
}
