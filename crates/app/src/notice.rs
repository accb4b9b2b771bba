//! Notices to a person about their account, sent by the worker over the
//! person's contact. The text lives in the catalogues; the job carries keys.

use serde::{Deserialize, Serialize};
use store::{NewJob, job_kind};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Notice {
    pub account_id: Uuid,
    pub subject_key: String,
    pub body_key: String,
    #[serde(default)]
    pub args: Vec<(String, String)>,
    pub lang: String,
    /// What it is about, for the person's preferences (`security`, `identity`, …).
    #[serde(default = "default_kind")]
    pub kind: String,
    /// Set when the notice was fanned out to one channel.
    #[serde(default)]
    pub channel: Option<String>,
    /// An address to use instead of the account's own (the contact a change
    /// just replaced, which must still hear of it).
    #[serde(default)]
    pub to: Option<String>,
    /// Where the person acts on it (a local path), shown in the inbox.
    #[serde(default)]
    pub link: Option<String>,
}

fn default_kind() -> String {
    "security".into()
}

/// The preference kind a message belongs to.
pub fn kind_of(subject_key: &str) -> &'static str {
    match subject_key {
        "msg-identity-subject" | "msg-confirmed-subject" => "identity",
        "msg-application-submitted-subject"
        | "msg-application-status-subject"
        | "msg-office-message-subject"
        | "msg-consent-subject"
        | "msg-consent-approved-subject"
        | "msg-visit-reminder-subject"
        | "msg-payment-received-subject"
        | "msg-payment-refunded-subject" => "applications",
        _ => "security",
    }
}

fn notice(
    account_id: Uuid,
    subject_key: &str,
    body_key: &str,
    args: Vec<(String, String)>,
) -> Notice {
    Notice {
        account_id,
        subject_key: subject_key.into(),
        body_key: body_key.into(),
        args,
        lang: crate::i18n::Lang::RU.code().into(),
        kind: kind_of(subject_key).into(),
        channel: None,
        to: None,
        link: None,
    }
}

fn notice_job(n: &Notice, dedup: String, now: i64) -> NewJob {
    let payload = serde_json::to_string(n).unwrap_or_default();
    NewJob::now(job_kind::NOTIFY, payload, now).dedup(dedup)
}

/// A notice job; `dedup` makes one event produce one notice, whatever retries happen.
pub fn job(
    account_id: Uuid,
    subject_key: &str,
    body_key: &str,
    args: Vec<(String, String)>,
    dedup: String,
    now: i64,
) -> NewJob {
    notice_job(&notice(account_id, subject_key, body_key, args), dedup, now)
}

/// A notice job with the place where the person acts on it.
pub fn job_at(
    account_id: Uuid,
    subject_key: &str,
    body_key: &str,
    args: Vec<(String, String)>,
    link: String,
    dedup: String,
    now: i64,
) -> NewJob {
    let n = Notice {
        link: Some(link),
        ..notice(account_id, subject_key, body_key, args)
    };
    notice_job(&n, dedup, now)
}

/// A notice to one address on one channel, whatever the account's contacts
/// are by the time it is sent.
#[allow(clippy::too_many_arguments)]
pub fn direct(
    account_id: Uuid,
    channel: &str,
    to: &str,
    subject_key: &str,
    body_key: &str,
    args: Vec<(String, String)>,
    dedup: String,
    now: i64,
) -> NewJob {
    let n = Notice {
        kind: "security".into(),
        channel: Some(channel.into()),
        to: Some(to.into()),
        ..notice(account_id, subject_key, body_key, args)
    };
    notice_job(&n, dedup, now)
}
