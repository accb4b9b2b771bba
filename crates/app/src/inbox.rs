//! One inbox (issue 17, item 9): what needs the person — returned
//! applications to correct, visits to book (or to choose again after the
//! office changed its hours), the offices' unread messages — worked out from
//! the state of things, and every notice they were sent (status changes,
//! messages, identity and security notices), kept with a read mark. Each
//! entry links to where to act.

use crate::Portal;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::session::Actor;
use domain::application::Status;
use serde::Serialize;
use uuid::Uuid;

/// The longest page of notices.
pub const MAX_PAGE: u32 = 100;
/// Every code this module reports.
pub const CODES: [&str; 2] = ["inbox.unknown_kind", "inbox.bad_cursor"];
/// The kinds of notices (as the notification preferences name them).
pub const KINDS: [&str; 3] = ["applications", "identity", "security"];

/// Something waiting for the person.
#[derive(Debug, Clone, Serialize)]
pub struct Todo {
    /// `answer_consent`, `correct_application`, `book_visit`, `rebook_visit`
    /// or `read_messages`.
    pub what: &'static str,
    pub title: String,
    pub application_id: Uuid,
    pub number: Option<String>,
    /// How many (unread messages).
    pub count: i64,
    pub link: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub id: Uuid,
    pub kind: String,
    pub title: String,
    pub text: String,
    pub link: Option<String>,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Inbox {
    pub todo: Vec<Todo>,
    pub notices: Vec<Notice>,
    /// Unread notices per kind, and in all.
    pub unread: Vec<(String, i64)>,
    pub unread_total: i64,
    /// The cursor of the next page of notices.
    pub next: Option<Uuid>,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub unread_only: bool,
    pub kind: Option<String>,
    pub before: Option<Uuid>,
    pub limit: Option<u32>,
}

fn service_name(state: &Portal, lang: Lang, code: &str) -> String {
    state
        .catalogue
        .get(code)
        .map(|d| d.name.get(lang.code()).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

/// What needs the person now: returned applications, unread messages.
async fn todo(state: &Portal, actor: &Actor, lang: Lang) -> Result<Vec<Todo>, AppError> {
    let mut out = Vec::new();
    // Requests from others to consent to a registration in one's dwelling.
    for c in crate::consents::addressed_to_me(state, actor).await? {
        if c.status == "pending" {
            out.push(Todo {
                what: "answer_consent",
                title: lang.t_args("inbox-todo-consent", &[("applicant", c.applicant.clone())]),
                application_id: c.application_id,
                number: c.number.clone(),
                count: 1,
                link: "/consents".into(),
            });
        }
    }
    let unread = state.store.unread_for_person(actor.account.id).await?;
    // The person's applications, newest first; a person has few.
    let mut before = None;
    loop {
        let page = state
            .store
            .list_applications(actor.account.id, before, 100)
            .await?;
        for r in &page {
            let service = service_name(state, lang, &r.service);
            if r.status == Status::Returned {
                out.push(Todo {
                    what: "correct_application",
                    title: lang.t_args("inbox-todo-returned", &[("service", service.clone())]),
                    application_id: r.id,
                    number: r.number.clone(),
                    count: 1,
                    link: format!("/applications/{}", r.id),
                });
            }
            // A fee to pay (an open application's charge not yet paid, with
            // no payment under way): before a visit it blocks, so it comes first.
            let mut unpaid = false;
            if r.status.is_open() && r.status != Status::Draft {
                for c in state.store.charges_of(r.id).await? {
                    if c.status != store::ChargeStatus::Due {
                        continue;
                    }
                    unpaid = true;
                    let pending = state
                        .store
                        .payments_of(c.id)
                        .await?
                        .iter()
                        .any(|p| crate::payments::in_progress(p, state.now()));
                    if !pending {
                        out.push(Todo {
                            what: "pay",
                            title: lang.t_args(
                                "inbox-todo-pay",
                                &[
                                    ("service", service.clone()),
                                    ("amount", lang.money(c.portal_kopecks)),
                                ],
                            ),
                            application_id: r.id,
                            number: r.number.clone(),
                            count: 1,
                            link: format!("/applications/{}/check", r.id),
                        });
                    }
                }
            }
            let visits = !unpaid
                && state
                    .catalogue
                    .get(&r.service)
                    .is_some_and(|d| d.stages.contains(&domain::catalogue::Stage::Invited));
            // A visit to book, or one the office's new hours displaced.
            let visit = match r.status {
                Status::Accepted if visits && r.office_id.is_some() => {
                    Some(("book_visit", "inbox-todo-book-visit"))
                }
                Status::Invited => state
                    .store
                    .live_appointment(r.id)
                    .await?
                    .filter(|a| a.displaced)
                    .map(|_| ("rebook_visit", "inbox-todo-rebook-visit")),
                _ => None,
            };
            if let Some((what, key)) = visit {
                out.push(Todo {
                    what,
                    title: lang.t_args(key, &[("service", service.clone())]),
                    application_id: r.id,
                    number: r.number.clone(),
                    count: 1,
                    link: format!("/applications/{}/visit", r.id),
                });
            }
            if let Some((_, n)) = unread.iter().find(|(id, _)| *id == r.id) {
                out.push(Todo {
                    what: "read_messages",
                    title: lang.t_args(
                        "inbox-todo-messages",
                        &[("service", service), ("count", n.to_string())],
                    ),
                    application_id: r.id,
                    number: r.number.clone(),
                    count: *n,
                    link: format!("/applications/{}/messages", r.id),
                });
            }
        }
        match page.last() {
            Some(last) if page.len() == 100 => before = Some(last.id),
            _ => break,
        }
    }
    Ok(out)
}

pub async fn inbox(
    state: &Portal,
    actor: &Actor,
    lang: Lang,
    filter: Filter,
) -> Result<Inbox, AppError> {
    if let Some(k) = &filter.kind
        && !KINDS.contains(&k.as_str())
    {
        return Err(AppError::field("kind", "inbox.unknown_kind"));
    }
    let limit = filter.limit.unwrap_or(30).clamp(1, MAX_PAGE);
    let rows = state
        .store
        .inbox(
            actor.account.id,
            filter.unread_only,
            filter.kind.as_deref(),
            filter.before,
            limit,
        )
        .await?;
    let next = (rows.len() == limit as usize)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let notices = rows
        .into_iter()
        .map(|r| {
            let args: Vec<(String, String)> = serde_json::from_str(&r.args).unwrap_or_default();
            Notice {
                id: r.id,
                title: lang.t(&r.subject_key),
                text: lang.t_args(&r.body_key, &args),
                kind: r.kind,
                link: r.link.or_else(|| default_link(&r.subject_key)),
                created_at: r.created_at,
                read_at: r.read_at,
            }
        })
        .collect();
    let unread = state.store.inbox_unread(actor.account.id).await?;
    Ok(Inbox {
        todo: todo(state, actor, lang).await?,
        unread_total: unread.iter().map(|(_, n)| n).sum(),
        unread,
        notices,
        next,
    })
}

/// Where a notice without its own link is acted on.
fn default_link(subject_key: &str) -> Option<String> {
    let path = match crate::notice::kind_of(subject_key) {
        "identity" => "/account",
        "security" => "/security",
        _ => "/applications",
    };
    Some(path.to_owned())
}

/// Marks one notice (or all, with `None`) read; how many changed.
pub async fn mark_read(state: &Portal, actor: &Actor, id: Option<Uuid>) -> Result<u64, AppError> {
    Ok(state
        .store
        .mark_inbox_read(actor.account.id, id, state.now())
        .await?)
}
