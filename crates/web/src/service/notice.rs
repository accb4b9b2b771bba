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
    let n = Notice {
        account_id,
        subject_key: subject_key.into(),
        body_key: body_key.into(),
        args,
        lang: crate::i18n::Lang::Ru.code().into(),
    };
    let payload = serde_json::to_string(&n).unwrap_or_default();
    NewJob::now(job_kind::NOTIFY, payload, now).dedup(dedup)
}
