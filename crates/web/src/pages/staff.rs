//! The back office in the browser: a workplace per role.

use super::{Ctx, ErrorItem, Link, parse_form, see_other};
use crate::error::{AppError, ErrorKind, HttpStatus};
use crate::state::AppState;
use app::staff;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::permission::Permission;
use std::collections::HashMap;

pub struct Input {
    pub name: &'static str,
    pub label: String,
    pub value: String,
    pub multiline: bool,
    /// A checkbox, ticked when `value` is "on".
    pub checkbox: bool,
}

pub struct SmallForm {
    pub id: &'static str,
    pub method: &'static str,
    pub action: String,
    pub legend: String,
    pub inputs: Vec<Input>,
    pub submit: String,
}

#[derive(Template)]
#[template(path = "table.html")]
pub struct TablePage {
    pub chrome: super::Chrome,
    pub errors: Vec<ErrorItem>,
    pub notice: Option<String>,
    pub paragraphs: Vec<String>,
    pub forms: Vec<SmallForm>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub links: Vec<Link>,
}

impl TablePage {
    pub(super) fn new(ctx: &Ctx, title: String) -> Self {
        Self {
            chrome: ctx.chrome(title),
            errors: Vec::new(),
            notice: None,
            paragraphs: Vec::new(),
            forms: Vec::new(),
            headers: Vec::new(),
            rows: Vec::new(),
            links: vec![Link {
                href: "/staff".into(),
                text: ctx.lang.t("back-link"),
                primary: false,
            }],
        }
    }
}

pub(super) fn input(
    ctx: &Ctx,
    name: &'static str,
    key: &str,
    values: &HashMap<String, String>,
) -> Input {
    Input {
        name,
        label: ctx.lang.t(key),
        value: values.get(name).cloned().unwrap_or_default(),
        multiline: false,
        checkbox: false,
    }
}

/// The staff member, or the way to the staff entrance.
pub(super) fn staff_of(ctx: &Ctx) -> Result<staff::Staff, Box<Response>> {
    match &ctx.actor {
        Some(a) => {
            staff::Staff::of(a.clone()).map_err(|e| Box::new(super::error_page(ctx.lang, &e)))
        }
        None => Err(Box::new(see_other("/staff/login"))),
    }
}

/// A staff member's posted form, its CSRF token checked.
pub(super) fn staff_posted(
    ctx: &Ctx,
    body: &[u8],
) -> Result<(staff::Staff, HashMap<String, String>), Box<Response>> {
    let s = staff_of(ctx)?;
    let form = parse_form(body);
    if !ctx.form_token_ok(&form) {
        return Err(Box::new(super::error_page(
            ctx.lang,
            &AppError::new(crate::error::ErrorKind::Forbidden, "csrf"),
        )));
    }
    Ok((s, form))
}

/// The `version` a posted decision was made on (0 when absent: stale).
pub(super) fn posted_version(form: &HashMap<String, String>) -> i64 {
    form.get("version")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or_default()
}

fn page_error(ctx: &Ctx, err: &AppError) -> Response {
    super::error_page(ctx.lang, err)
}

pub async fn home(State(state): State<AppState>, ctx: Ctx) -> Response {
    let s = match staff_of(&ctx) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let l = ctx.lang;
    let a = &s.0.account;
    let office = match a.office_id {
        Some(id) => app::queries::office_name(&state, id).await.ok().flatten(),
        None => None,
    };
    let mut page = TablePage::new(&ctx, l.t("staff-title"));
    page.paragraphs = vec![
        format!(
            "{}: {}",
            l.t("staff-role"),
            l.t(&format!("role-{}", a.role.as_str()))
        ),
        format!(
            "{}: {}",
            l.t("staff-office"),
            office.unwrap_or_else(|| l.t("staff-no-office"))
        ),
    ];
    // The sections this role may use, as the permission table says.
    let sections = [
        (
            Permission::ManageStaff,
            "/staff/admin",
            "staff-section-admin",
        ),
        (
            Permission::WorkApplications,
            "/staff/applications",
            "staff-section-applications",
        ),
        (
            Permission::ReassignApplications,
            "/staff/applications",
            "staff-section-applications",
        ),
        (
            Permission::WorkApplications,
            "/staff/visits",
            "staff-section-visits",
        ),
        (
            Permission::ManageOffices,
            "/staff/schedule",
            "staff-section-schedule",
        ),
        (Permission::ReadAudit, "/staff/audit", "staff-section-audit"),
        (Permission::ManageJobs, "/staff/admin/jobs", "jobs-title"),
        (
            Permission::FindPeople,
            "/staff/operator",
            "staff-section-operator",
        ),
    ];
    let mut seen = std::collections::HashSet::new();
    page.links = sections
        .iter()
        .filter(|(p, _, _)| domain::permission::may(a.role, *p))
        .filter(|(_, href, _)| seen.insert(*href))
        .map(|(_, href, key)| Link {
            href: (*href).into(),
            text: l.t(key),
            primary: true,
        })
        .collect();
    // The head of an office sets its reception schedule.
    if a.role == domain::account::Role::HeadOfOffice && seen.insert("/staff/schedule") {
        page.links.push(Link {
            href: "/staff/schedule".into(),
            text: l.t("staff-section-schedule"),
            primary: true,
        });
    }
    if domain::permission::may(a.role, Permission::ViewOfficePeople) {
        page.paragraphs.push(l.t("staff-section-officer"));
    }
    ctx.render(StatusCode::OK, &page)
}

pub async fn operator(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    // Notices only: a search is a POST (it writes the person's access log).
    let q: HashMap<String, String> = q
        .into_iter()
        .filter(|(k, _)| k == "registered" || k == "confirmed")
        .collect();
    operator_page(state, ctx, q).await
}

/// The operator's search: a POST with the form token, never a link.
pub async fn operator_find(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let values = parse_form(&body);
    if !ctx.form_token_ok(&values) {
        return page_error(&ctx, &AppError::new(ErrorKind::Forbidden, "csrf"));
    }
    let q = values
        .into_iter()
        .filter(|(k, _)| k == "snils" || k == "phone")
        .collect();
    operator_page(state, ctx, q).await
}

async fn operator_page(state: AppState, ctx: Ctx, q: HashMap<String, String>) -> Response {
    let s = match staff_of(&ctx) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    // The service-centre desk is the operator's: other staff are refused
    // (and the refusal audited) before any form is shown.
    if let Err(e) = s.require(&state, Permission::FindPeople).await {
        return page_error(&ctx, &e);
    }
    let l = ctx.lang;
    let mut page = TablePage::new(&ctx, l.t("operator-title"));
    page.paragraphs = vec![l.t("operator-lead")];
    page.forms.push(SmallForm {
        id: "find",
        method: "post",
        action: "/staff/operator/find".into(),
        legend: String::new(),
        inputs: vec![
            input(&ctx, "snils", "field-snils", &q),
            input(&ctx, "phone", "field-phone", &q),
        ],
        submit: l.t("operator-find"),
    });
    page.forms.push(register_form(&ctx, &HashMap::new()));
    if q.contains_key("registered") {
        page.notice = Some(l.t("operator-registered"));
    }
    if q.contains_key("confirmed") {
        page.notice = Some(l.t("operator-confirmed"));
    }
    let searching = ["snils", "phone"]
        .iter()
        .any(|k| q.get(*k).is_some_and(|v| !v.trim().is_empty()));
    if searching {
        match staff::find_person(
            &state,
            &s,
            q.get("snils").map(String::as_str),
            q.get("phone").map(String::as_str),
        )
        .await
        {
            Ok(card) => {
                page.headers = vec![
                    l.t("account-name"),
                    l.t("account-level"),
                    l.t("identity-heading"),
                ];
                let name = [
                    Some(card.surname.as_str()),
                    Some(card.given_name.as_str()),
                    card.patronymic.as_deref(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
                if card.failure_reason == Some(domain::account::FailureReason::HeldByAnother) {
                    page.paragraphs.push(l.t("operator-held-by-another"));
                }
                page.rows = vec![vec![
                    name,
                    l.t(&format!("level-{}", card.level.as_str())),
                    card.documents.unwrap_or_default(),
                ]];
                page.forms.push(SmallForm {
                    id: "confirm",
                    method: "post",
                    action: format!("/staff/operator/{}/confirm", card.id),
                    legend: l.t("operator-confirm-lead"),
                    inputs: vec![input(&ctx, "passport", "field-passport", &HashMap::new())],
                    submit: l.t("operator-confirm"),
                });
            }
            Err(e) if e.kind == ErrorKind::Forbidden => return page_error(&ctx, &e),
            Err(e) => page.errors = ctx.error_items(&e, &[]),
        }
    }
    ctx.render(StatusCode::OK, &page)
}

pub async fn operator_confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let s = match staff_of(&ctx) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let values = parse_form(&body);
    let Ok(id) = uuid::Uuid::parse_str(&raw) else {
        return page_error(&ctx, &AppError::not_found());
    };
    let result = if ctx.form_token_ok(&values) {
        staff::confirm_person(
            &state,
            &s,
            id,
            &staff::ConfirmInput {
                passport: values.get("passport").cloned().unwrap_or_default(),
            },
        )
        .await
    } else {
        Err(AppError::new(ErrorKind::Forbidden, "csrf"))
    };
    match result {
        Ok(()) => see_other("/staff/operator?confirmed=1"),
        Err(e) => {
            let mut page = TablePage::new(&ctx, ctx.lang.t("operator-title"));
            page.errors = ctx.error_items(&e, &[]);
            page.links.insert(
                0,
                Link {
                    href: "/staff/operator".into(),
                    text: ctx.lang.t("operator-title"),
                    primary: false,
                },
            );
            ctx.render(e.status(), &page)
        }
    }
}

pub async fn audit(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = match staff_of(&ctx) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let l = ctx.lang;
    let query = staff::AuditQuery {
        before: q.get("before").and_then(|b| b.parse().ok()),
        action: q.get("action").cloned(),
        actor: q.get("actor").cloned(),
        subject: q.get("subject").cloned(),
        limit: Some(50),
    };
    let mut page = TablePage::new(&ctx, l.t("audit-title"));
    page.paragraphs = vec![l.t("audit-lead")];
    page.forms.push(SmallForm {
        id: "filter",
        method: "get",
        action: "/staff/audit".into(),
        legend: String::new(),
        inputs: vec![
            input(&ctx, "action", "field-action", &q),
            Input {
                name: "actor",
                label: l.t("audit-col-actor"),
                value: q.get("actor").cloned().unwrap_or_default(),
                multiline: false,
                checkbox: false,
            },
            Input {
                name: "subject",
                label: l.t("audit-col-subject"),
                value: q.get("subject").cloned().unwrap_or_default(),
                multiline: false,
                checkbox: false,
            },
        ],
        submit: l.t("audit-filter"),
    });
    match staff::audit(&state, &s, &query).await {
        Ok(events) => {
            page.headers = [
                "#",
                "audit-col-time",
                "audit-col-actor",
                "staff-role",
                "audit-col-action",
                "audit-col-subject",
                "audit-col-details",
            ]
            .iter()
            .map(|k| if *k == "#" { "#".to_owned() } else { l.t(k) })
            .collect();
            if let Some(last) = events.last()
                && events.len() == 50
            {
                page.links.insert(
                    0,
                    Link {
                        // The next page keeps the filters it was asked with.
                        href: format!(
                            "/staff/audit?{}",
                            serde_urlencoded::to_string(
                                ["action", "actor", "subject"]
                                    .iter()
                                    .filter_map(|k| q.get(*k).map(|v| (*k, v.as_str())))
                                    .chain([("before", last.id.to_string().as_str())])
                                    .collect::<Vec<_>>()
                            )
                            .unwrap_or_default()
                        ),
                        text: l.t("audit-older"),
                        primary: false,
                    },
                );
            }
            page.rows = events
                .into_iter()
                .map(|e| {
                    vec![
                        format!("{}/{}", e.lane, e.seq),
                        l.moment(e.at),
                        e.actor_id.map(|a| a.to_string()).unwrap_or_default(),
                        e.actor_role.unwrap_or_default(),
                        e.action,
                        e.subject_id.map(|a| a.to_string()).unwrap_or_default(),
                        e.details,
                    ]
                })
                .collect();
        }
        Err(e) if e.kind == ErrorKind::Forbidden => return page_error(&ctx, &e),
        Err(e) => page.errors = ctx.error_items(&e, &[]),
    }
    ctx.render(StatusCode::OK, &page)
}

async fn admin_page(
    state: &AppState,
    ctx: &Ctx,
    s: &staff::Staff,
    errors: Vec<ErrorItem>,
    values: &HashMap<String, String>,
    status: StatusCode,
) -> Response {
    let l = ctx.lang;
    let offices = match staff::offices(state, s).await {
        Ok(o) => o,
        Err(e) => return page_error(ctx, &e),
    };
    let people = match staff::list_staff(state, s).await {
        Ok(p) => p,
        Err(e) => return page_error(ctx, &e),
    };
    let mut page = TablePage::new(ctx, l.t("staff-section-admin"));
    page.errors = errors;
    page.paragraphs = offices
        .iter()
        .map(|o| {
            format!(
                "{} — {} ({}; {}; {})",
                o.code,
                o.name,
                o.address,
                o.time_zone,
                o.territory.join(", ")
            )
        })
        .collect();
    page.forms.push(SmallForm {
        id: "office",
        method: "post",
        action: "/staff/admin/offices".into(),
        legend: l.t("admin-offices"),
        inputs: vec![
            Input {
                name: "code",
                label: l.t("field-office-code"),
                value: values.get("code").cloned().unwrap_or_default(),
                multiline: false,
                checkbox: false,
            },
            Input {
                name: "name",
                label: l.t("field-office-name"),
                value: values.get("name").cloned().unwrap_or_default(),
                multiline: false,
                checkbox: false,
            },
            Input {
                name: "address",
                label: l.t("field-office-address"),
                value: values.get("address").cloned().unwrap_or_default(),
                multiline: false,
                checkbox: false,
            },
            Input {
                name: "time_zone",
                label: l.t("field-office-time-zone"),
                value: values
                    .get("time_zone")
                    .cloned()
                    .unwrap_or_else(|| "Europe/Moscow".into()),
                multiline: false,
                checkbox: false,
            },
            Input {
                name: "territory",
                label: l.t("field-office-territory"),
                value: values.get("territory").cloned().unwrap_or_default(),
                multiline: false,
                checkbox: false,
            },
        ],
        submit: l.t("admin-offices"),
    });
    page.forms.push(SmallForm {
        id: "staff",
        method: "post",
        action: "/staff/admin/staff".into(),
        legend: l.t("admin-staff"),
        inputs: vec![
            Input {
                name: "role",
                label: l.t("staff-role"),
                value: values
                    .get("role")
                    .cloned()
                    .unwrap_or_else(|| "officer".into()),
                multiline: false,
                checkbox: false,
            },
            Input {
                name: "email",
                label: l.t("field-email"),
                value: values.get("email").cloned().unwrap_or_default(),
                multiline: false,
                checkbox: false,
            },
            Input {
                name: "surname",
                label: l.t("field-surname"),
                value: values.get("surname").cloned().unwrap_or_default(),
                multiline: false,
                checkbox: false,
            },
            Input {
                name: "given_name",
                label: l.t("field-given-name"),
                value: values.get("given_name").cloned().unwrap_or_default(),
                multiline: false,
                checkbox: false,
            },
            Input {
                name: "office_code",
                label: l.t("field-office-code"),
                value: values.get("office_code").cloned().unwrap_or_default(),
                multiline: false,
                checkbox: false,
            },
        ],
        submit: l.t("admin-staff"),
    });
    page.headers = vec![
        l.t("account-name"),
        l.t("field-email"),
        l.t("staff-role"),
        l.t("staff-office"),
        l.t("staff-status"),
    ];
    page.rows = people
        .into_iter()
        .map(|p| {
            let office = p
                .office_id
                .and_then(|id| offices.iter().find(|o| o.id == id).map(|o| o.code.clone()))
                .unwrap_or_default();
            vec![
                format!("{} {}", p.surname, p.given_name),
                p.email.unwrap_or_default(),
                l.t(&format!("role-{}", p.role.as_str())),
                office,
                p.status.as_str().to_owned(),
            ]
        })
        .collect();
    ctx.render(status, &page)
}

pub async fn admin(State(state): State<AppState>, ctx: Ctx) -> Response {
    let s = match staff_of(&ctx) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    admin_page(
        &state,
        &ctx,
        &s,
        Vec::new(),
        &HashMap::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn admin_office(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let s = match staff_of(&ctx) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let v = parse_form(&body);
    let get = |k: &str| v.get(k).cloned().unwrap_or_default();
    let input = staff::OfficeInput {
        code: get("code"),
        name: get("name"),
        address: get("address"),
        time_zone: get("time_zone"),
        territory: get("territory")
            .split([',', ' '])
            .map(str::to_owned)
            .collect(),
    };
    let result = if ctx.form_token_ok(&v) {
        staff::save_office(&state, &s, None, &input)
            .await
            .map(|_| ())
    } else {
        Err(AppError::new(ErrorKind::Forbidden, "csrf"))
    };
    match result {
        Ok(()) => see_other("/staff/admin"),
        Err(e) => admin_page(&state, &ctx, &s, ctx.error_items(&e, &[]), &v, e.status()).await,
    }
}

pub async fn admin_staff(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let s = match staff_of(&ctx) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let v = parse_form(&body);
    let get = |k: &str| v.get(k).cloned().unwrap_or_default();
    let input = staff::NewStaffInput {
        role: get("role"),
        email: get("email"),
        surname: get("surname"),
        given_name: get("given_name"),
        patronymic: None,
        office_code: Some(get("office_code")),
    };
    let result = if ctx.form_token_ok(&v) {
        staff::create_staff(&state, &s, &input).await.map(|_| ())
    } else {
        Err(AppError::new(ErrorKind::Forbidden, "csrf"))
    };
    match result {
        Ok(()) => see_other("/staff/admin"),
        Err(e) => admin_page(&state, &ctx, &s, ctx.error_items(&e, &[]), &v, e.status()).await,
    }
}

/// The person's own view: who of the staff read their data, when and why.
pub async fn my_access(State(state): State<AppState>, ctx: Ctx) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let l = ctx.lang;
    let list = match staff::my_access_log(&state, actor).await {
        Ok(list) => list,
        Err(e) => return page_error(&ctx, &e),
    };
    let mut page = TablePage::new(&ctx, l.t("access-title"));
    page.links = vec![Link {
        href: "/account".into(),
        text: l.t("back-link"),
        primary: false,
    }];
    if list.is_empty() {
        page.paragraphs = vec![l.t("access-empty")];
    } else {
        page.headers = vec![
            l.t("access-when"),
            l.t("access-who"),
            l.t("staff-office"),
            l.t("access-why"),
        ];
        page.rows = list
            .into_iter()
            .map(|a| {
                vec![
                    l.moment(a.at),
                    format!("{} ({})", a.staff, l.t(&format!("role-{}", a.role))),
                    a.office.unwrap_or_else(|| l.t("staff-no-office")),
                    format!("{} {}", l.t(&format!("purpose-{}", a.purpose)), a.reference),
                ]
            })
            .collect();
    }
    ctx.render(StatusCode::OK, &page)
}

const REGISTER_FIELDS: [(&str, &str); 10] = [
    ("phone", "field-phone"),
    ("email", "field-email"),
    ("surname", "field-surname"),
    ("given_name", "field-given-name"),
    ("patronymic", "field-patronymic"),
    ("birth_date", "field-birth-date"),
    ("snils", "field-snils"),
    ("passport", "field-passport"),
    ("passport_issued_on", "field-passport-issued-on"),
    ("office_code", "field-office-code"),
];

fn register_form(ctx: &Ctx, values: &HashMap<String, String>) -> SmallForm {
    SmallForm {
        id: "register",
        method: "post",
        action: "/staff/operator/register".into(),
        legend: ctx.lang.t("operator-register"),
        inputs: REGISTER_FIELDS
            .iter()
            .map(|(name, key)| input(ctx, name, key, values))
            .collect(),
        submit: ctx.lang.t("operator-register-submit"),
    }
}

/// A citizen registered from scratch at the centre (foreign nationals: the API).
pub async fn operator_register(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let s = match staff_of(&ctx) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let v = parse_form(&body);
    let get = |k: &str| v.get(k).cloned().unwrap_or_default();
    let nonempty = |k: &str| Some(get(k)).filter(|x| !x.trim().is_empty());
    let input = staff::CentreRegistration {
        phone: nonempty("phone"),
        email: nonempty("email"),
        identity: domain::identity::IdentityForm {
            citizenship: "russian".into(),
            surname: get("surname"),
            given_name: get("given_name"),
            patronymic: get("patronymic"),
            birth_date: get("birth_date"),
            snils: get("snils"),
            passport: get("passport"),
            passport_issued_on: get("passport_issued_on"),
            office_code: get("office_code"),
            ..Default::default()
        },
    };
    let result = if ctx.form_token_ok(&v) {
        staff::register_person(&state, &s, &input).await.map(|_| ())
    } else {
        Err(AppError::new(ErrorKind::Forbidden, "csrf"))
    };
    match result {
        Ok(()) => see_other("/staff/operator?registered=1"),
        Err(e) if e.kind == ErrorKind::Forbidden => page_error(&ctx, &e),
        Err(e) => {
            let l = ctx.lang;
            let mut page = TablePage::new(&ctx, l.t("operator-title"));
            page.errors = ctx.error_items(&e, &[]);
            page.forms.push(register_form(&ctx, &v));
            ctx.render(e.status(), &page)
        }
    }
}

/// Stuck background work for administrators: jobs that failed for good
/// (a gateway down longer than the retries last), and one button to set
/// them going again once the cause is mended.
pub async fn stuck_jobs(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = match staff_of(&ctx) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let l = ctx.lang;
    let (jobs, total) = match staff::stuck_jobs(&state, &s).await {
        Ok(found) => found,
        Err(e) => return page_error(&ctx, &e),
    };
    let mut page = TablePage::new(&ctx, l.t("jobs-title"));
    if let Some(n) = q.get("revived").and_then(|n| n.parse::<u64>().ok()) {
        page.notice = Some(l.t_args("jobs-revived", &[("count".to_owned(), n.to_string())]));
    }
    if jobs.is_empty() {
        page.paragraphs = vec![l.t("jobs-none")];
    } else {
        page.paragraphs = vec![
            l.t_args("jobs-lead", &[("count".to_owned(), total.to_string())]),
            l.t("jobs-how"),
        ];
        page.headers = [
            "jobs-col-kind",
            "jobs-col-attempts",
            "jobs-col-created",
            "jobs-col-failed",
            "jobs-col-error",
        ]
        .iter()
        .map(|k| l.t(k))
        .collect();
        page.rows = jobs
            .into_iter()
            .map(|j| {
                vec![
                    j.kind,
                    j.attempts.to_string(),
                    l.moment(j.created_at),
                    l.moment(j.failed_at),
                    j.error,
                ]
            })
            .collect();
        page.forms.push(SmallForm {
            id: "revive",
            method: "post",
            action: "/staff/admin/jobs/revive".into(),
            legend: String::new(),
            inputs: Vec::new(),
            submit: l.t("jobs-revive"),
        });
    }
    page.links.insert(
        0,
        Link {
            href: "/staff/admin".into(),
            text: l.t("staff-section-admin"),
            primary: false,
        },
    );
    ctx.render(StatusCode::OK, &page)
}

pub async fn revive_jobs(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let s = match staff_of(&ctx) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if !ctx.form_token_ok(&parse_form(&body)) {
        return page_error(&ctx, &AppError::new(ErrorKind::Forbidden, "csrf"));
    }
    match staff::revive_jobs(&state, &s).await {
        Ok(n) => see_other(&format!("/staff/admin/jobs?revived={n}")),
        Err(e) => page_error(&ctx, &e),
    }
}
