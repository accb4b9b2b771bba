//! Delivery of messages to people and the worker that drains the outbox.
//!
//! A `Sender` delivers one message over one channel. Failures say whether they
//! are temporary (the job is retried with backoff) or permanent (given up and
//! recorded). The worker claims jobs with a lease, commits, then does the I/O,
//! so a crashed instance's job is picked up by another after the lease.

mod channels;
mod worker;

pub use channels::{
    Channel, DemoMailbox, OutgoingMessage, SendError, Sender, SmsGateway, SmtpConfig, SmtpSender,
    SmtpTls,
};
pub use worker::{JobError, JobHandler, RECORD_WITHIN, Worker, WorkerConfig, backoff_ms};
