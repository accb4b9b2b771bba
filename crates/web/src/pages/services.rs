//! The catalogue as pages (SPEC §3): browse by life situation, search, and
//! a page per service saying who can apply, the time, the visits and what
//! to bring, before the person starts.

use super::answers::text;
use super::{Ctx, see_other};
use crate::state::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::catalogue::{Applicant, ServiceDef, Situation};
use std::collections::HashMap;

pub struct Entry {
    pub href: String,
    pub name: String,
    pub description: String,
}

pub struct Group {
    pub title: String,
    pub entries: Vec<Entry>,
}

#[derive(Template)]
#[template(path = "services.html")]
struct CataloguePage {
    chrome: super::Chrome,
    query: String,
    groups: Vec<Group>,
    found: usize,
}

const SITUATIONS: [(Situation, &str); 5] = [
    (Situation::Passport, "situation-passport"),
    (Situation::Moved, "situation-moved"),
    (Situation::GuestFromAbroad, "situation-guest-from-abroad"),
    (Situation::ForeignNational, "situation-foreign-national"),
    (Situation::Certificate, "situation-certificate"),
];

fn matches(lang: app::i18n::Lang, s: &ServiceDef, q: &str) -> bool {
    if q.is_empty() {
        return true;
    }
    // A name is found in any language: a person may type it in another.
    let mut hay = format!("{} {}", text(lang, &s.name), text(lang, &s.description));
    for (_, name) in s.name.each() {
        hay.push(' ');
        hay.push_str(name);
    }
    let hay = hay.to_lowercase();
    q.to_lowercase()
        .split_whitespace()
        .all(|word| hay.contains(word))
}

pub async fn catalogue(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = ctx.lang;
    let query: String = q
        .get("q")
        .map(|s| s.trim().chars().take(100).collect())
        .unwrap_or_default();
    let services = app::services::list(&state);
    let mut found = 0;
    let groups = SITUATIONS
        .iter()
        .map(|(situation, key)| {
            let entries: Vec<Entry> = services
                .iter()
                .filter(|s| s.situations.first() == Some(situation))
                .filter(|s| matches(lang, s, &query))
                .map(|s| Entry {
                    href: format!("/services/{}", s.code),
                    name: text(lang, &s.name),
                    description: text(lang, &s.description),
                })
                .collect();
            found += entries.len();
            Group {
                title: lang.t(key),
                entries,
            }
        })
        .filter(|g| !g.entries.is_empty())
        .collect();
    let page = CataloguePage {
        chrome: ctx.chrome(lang.t("services-title")),
        query,
        groups,
        found,
    };
    ctx.render(StatusCode::OK, &page)
}

pub struct Fact {
    pub term: String,
    pub lines: Vec<String>,
}

#[derive(Template)]
#[template(path = "service.html")]
struct ServicePage {
    chrome: super::Chrome,
    code: String,
    description: String,
    facts: Vec<Fact>,
    signed_in: bool,
}

fn facts(lang: app::i18n::Lang, s: &ServiceDef, quote: &[domain::fees::Fee]) -> Vec<Fact> {
    let who: Vec<String> = s
        .applicants
        .iter()
        .map(|a| match a {
            Applicant::Citizen => lang.t("service-applicants-citizen"),
            Applicant::ForeignNational => lang.t("service-applicants-foreign-national"),
        })
        .chain(s.for_child.then(|| lang.t("service-for-child")))
        .chain(s.adults_only.then(|| lang.t("service-adults-only")))
        .collect();
    let level = lang.t(&format!("level-{}", s.least_level.level().as_str()));
    let time = s
        .processing
        .iter()
        .map(|p| {
            let unit = if p.working_days {
                "service-working-days"
            } else {
                "service-days"
            };
            format!(
                "{} — {}",
                lang.t_args(unit, &[("days", p.days.to_string())]),
                text(lang, &p.when)
            )
        })
        .collect();
    // Today's amounts, per category, with the portal discount when one applies.
    let fee: Vec<String> = match &s.fee {
        None => vec![lang.t("service-fee-free")],
        Some(_) if quote.is_empty() => vec![lang.t("service-fee-paid")],
        Some(rule) => quote
            .iter()
            .map(|f| {
                let category = lang.t(&format!("fee-category-{}", f.category.as_str()));
                if f.discount_percent > 0 {
                    lang.t_args(
                        "service-fee-discount-line",
                        &[
                            ("category", category),
                            ("amount", lang.money(f.kopecks)),
                            ("percent", f.discount_percent.to_string()),
                            ("portal", lang.money(f.portal_kopecks)),
                        ],
                    )
                } else {
                    lang.t_args(
                        "service-fee-line",
                        &[("category", category), ("amount", lang.money(f.kopecks))],
                    )
                }
            })
            .chain(std::iter::once(lang.t_args(
                "service-fee-due",
                &[(
                    "stage",
                    super::applications::status_text(
                        lang,
                        domain::lifecycle::stage_status(rule.due),
                    ),
                )],
            )))
            .collect(),
    };
    let visits = if s.visits == 0 {
        lang.t("service-visits-none")
    } else {
        lang.t_args("service-visits-count", &[("count", s.visits.to_string())])
    };
    let mut out = vec![
        Fact {
            term: lang.t("service-who"),
            lines: who,
        },
        Fact {
            term: lang.t("service-level"),
            lines: vec![level],
        },
        Fact {
            term: lang.t("service-fee"),
            lines: fee,
        },
        Fact {
            term: lang.t("service-time"),
            lines: time,
        },
        Fact {
            term: lang.t("service-visits"),
            lines: vec![visits],
        },
    ];
    if !s.originals.is_empty() {
        out.push(Fact {
            term: lang.t("service-originals"),
            lines: s.originals.iter().map(|o| text(lang, o)).collect(),
        });
    }
    out.push(Fact {
        term: lang.t("service-result"),
        lines: vec![text(lang, &s.result)],
    });
    out
}

pub async fn service(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Response {
    let Ok(s) = app::services::get(&state, &code) else {
        return super::error_page(ctx.lang, &app::AppError::not_found());
    };
    let page = ServicePage {
        chrome: ctx.chrome(text(ctx.lang, &s.name)),
        code: s.code.clone(),
        description: text(ctx.lang, &s.description),
        facts: facts(
            ctx.lang,
            s,
            &app::fees::quote(&state, s, app::today(state.now()))
                .await
                .unwrap_or_default(),
        ),
        signed_in: ctx.actor.is_some(),
    };
    ctx.render(StatusCode::OK, &page)
}

/// "Start now": a draft, then its task list.
pub async fn start(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    body: Bytes,
) -> Response {
    let actor = match super::applications::posted_by(&ctx, &body) {
        Ok((actor, _)) => actor,
        Err(r) => return *r,
    };
    match app::applications::create(&state, actor, &code, None).await {
        Ok(v) => see_other(&format!("/applications/{}", v.id)),
        Err(e) => super::applications::refusal(&ctx, &e),
    }
}
