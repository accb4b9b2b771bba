//! "Documents and data": the person's profile page.

use super::staff::{Input, SmallForm, TablePage};
use super::{Ctx, Link, parse_form, see_other};
use crate::error::{AppError, ErrorKind, HttpStatus};
use crate::state::AppState;
use app::profile::{self, AddressInput, CHANNELS, NOTICE_KINDS, PrefInput};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::HashMap;

fn field(name: &'static str, label: String, value: String) -> Input {
    Input {
        name,
        label,
        value,
        multiline: false,
        checkbox: false,
    }
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    err: Option<&AppError>,
    notice: Option<String>,
) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let l = ctx.lang;
    let p = match profile::profile(state, actor).await {
        Ok(p) => p,
        Err(e) => return super::error_page(l, &e),
    };
    let mut page = TablePage::new(ctx, l.t("profile-title"));
    page.links = vec![Link {
        href: "/account".into(),
        text: l.t("back-link"),
        primary: false,
    }];
    page.notice = notice;
    if let Some(e) = err {
        page.errors = ctx.error_items(e, &[]);
    }
    page.headers = vec![l.t("profile-item"), l.t("profile-value")];
    let name = [
        Some(p.surname.as_str()),
        Some(p.given_name.as_str()),
        p.patronymic.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    page.rows = vec![
        vec![l.t("account-name"), name],
        vec![l.t("field-phone"), p.phone.clone().unwrap_or_default()],
        vec![l.t("field-email"), p.email.clone().unwrap_or_default()],
        vec![
            l.t("identity-heading"),
            p.documents.clone().unwrap_or_default(),
        ],
    ];
    for kind in profile::ADDRESS_KINDS {
        let a = p.addresses.iter().find(|a| a.kind == kind);
        let get = |f: fn(&profile::AddressView) -> &String| a.map(f).cloned().unwrap_or_default();
        page.forms.push(SmallForm {
            id: kind,
            method: "post",
            action: format!("/account/profile/addresses/{kind}"),
            legend: l.t(&format!("profile-address-{kind}")),
            inputs: vec![
                field(
                    "region_code",
                    l.t("field-region-code"),
                    get(|a| &a.region_code),
                ),
                field(
                    "postcode",
                    l.t("field-address-postcode"),
                    get(|a| &a.postcode),
                ),
                field("region", l.t("field-address-region"), get(|a| &a.region)),
                field("city", l.t("field-address-city"), get(|a| &a.city)),
                field("street", l.t("field-address-street"), get(|a| &a.street)),
                field("house", l.t("field-address-house"), get(|a| &a.house)),
                field("flat", l.t("field-address-flat"), get(|a| &a.flat)),
            ],
            submit: l.t("profile-save"),
        });
    }
    page.forms.push(SmallForm {
        id: "notifications",
        method: "post",
        action: "/account/profile/notifications".into(),
        legend: l.t("profile-notifications"),
        inputs: p
            .notifications
            .iter()
            .filter(|n| n.kind != "security")
            .map(|n| Input {
                name: pref_name(&n.kind, &n.channel),
                label: format!(
                    "{} — {}",
                    l.t(&format!("notice-kind-{}", n.kind)),
                    l.t(&format!("channel-{}", n.channel))
                ),
                value: if n.enabled {
                    "on".into()
                } else {
                    String::new()
                },
                multiline: false,
                checkbox: true,
            })
            .collect(),
        submit: l.t("profile-save"),
    });
    page.forms.push(SmallForm {
        id: "contact",
        method: "post",
        action: "/account/profile/contacts".into(),
        legend: l.t("profile-add-contact"),
        inputs: vec![
            field("contact", l.t("field-contact"), String::new()),
            field("password", l.t("field-current-password"), String::new()),
            field(
                "second_factor",
                l.t("field-second-factor-if-on"),
                String::new(),
            ),
        ],
        submit: l.t("reset-submit"),
    });
    ctx.render(err.map_or(StatusCode::OK, |e| e.status()), &page)
}

/// Form field names are static: one per kind and channel.
fn pref_name(kind: &str, channel: &str) -> &'static str {
    const NAMES: [[&str; 2]; 5] = [
        ["security.email", "security.sms"],
        ["identity.email", "identity.sms"],
        ["applications.email", "applications.sms"],
        ["messages.email", "messages.sms"],
        ["reminders.email", "reminders.sms"],
    ];
    let k = NOTICE_KINDS.iter().position(|x| *x == kind).unwrap_or(0);
    let c = CHANNELS.iter().position(|x| *x == channel).unwrap_or(0);
    NAMES[k][c]
}

pub async fn overview(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let notice = q.contains_key("saved").then(|| ctx.lang.t("profile-saved"));
    page(&state, &ctx, None, notice).await
}

pub async fn save_address(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(kind): Path<String>,
    body: Bytes,
) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let v = parse_form(&body);
    let get = |k: &str| v.get(k).cloned().unwrap_or_default();
    let input = AddressInput {
        region_code: get("region_code"),
        postcode: get("postcode"),
        region: get("region"),
        city: get("city"),
        street: get("street"),
        house: get("house"),
        flat: get("flat"),
    };
    let result = if ctx.form_token_ok(&v) {
        profile::save_address(&state, actor, &kind, &input).await
    } else {
        Err(AppError::new(ErrorKind::Forbidden, "csrf"))
    };
    match result {
        Ok(()) => see_other("/account/profile?saved=1"),
        Err(e) => page(&state, &ctx, Some(&e), None).await,
    }
}

pub async fn save_notifications(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let v = parse_form(&body);
    // Unticked boxes are not sent: every non-security pair is set explicitly.
    let prefs: Vec<PrefInput> = NOTICE_KINDS
        .iter()
        .filter(|k| **k != "security")
        .flat_map(|k| CHANNELS.iter().map(move |c| (*k, *c)))
        .map(|(kind, channel)| PrefInput {
            kind: kind.into(),
            channel: channel.into(),
            enabled: v.contains_key(pref_name(kind, channel)),
        })
        .collect();
    let result = if ctx.form_token_ok(&v) {
        profile::save_notifications(&state, actor, &prefs).await
    } else {
        Err(AppError::new(ErrorKind::Forbidden, "csrf"))
    };
    match result {
        Ok(()) => see_other("/account/profile?saved=1"),
        Err(e) => page(&state, &ctx, Some(&e), None).await,
    }
}

pub async fn add_contact(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let v = parse_form(&body);
    let result = if ctx.form_token_ok(&v) {
        let change = profile::ContactChange {
            value: v.get("contact").cloned().unwrap_or_default(),
            password: v.get("password").cloned().unwrap_or_default(),
            second_factor: v
                .get("second_factor")
                .cloned()
                .filter(|c| !c.trim().is_empty()),
        };
        profile::start_add_contact(&state, actor, &change, ctx.lang).await
    } else {
        Err(AppError::new(ErrorKind::Forbidden, "csrf"))
    };
    match result {
        Ok(id) => contact_code_page(&ctx, &id.to_string(), None),
        Err(e) => page(&state, &ctx, Some(&e), None).await,
    }
}

fn contact_code_page(ctx: &Ctx, id: &str, err: Option<&AppError>) -> Response {
    let l = ctx.lang;
    let mut p = TablePage::new(ctx, l.t("profile-add-contact"));
    p.links = vec![Link {
        href: "/account/profile".into(),
        text: l.t("back-link"),
        primary: false,
    }];
    if let Some(e) = err {
        p.errors = ctx.error_items(e, &[]);
    }
    p.paragraphs = vec![l.t("profile-contact-code")];
    p.forms.push(SmallForm {
        id: "code",
        method: "post",
        action: format!("/account/profile/contacts/{id}"),
        legend: String::new(),
        inputs: vec![field("code", l.t("field-code"), String::new())],
        submit: l.t("confirm-submit"),
    });
    ctx.render(err.map_or(StatusCode::OK, |e| e.status()), &p)
}

pub async fn confirm_contact(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let Ok(id) = uuid::Uuid::parse_str(&raw) else {
        return super::error_page(ctx.lang, &AppError::not_found());
    };
    let v = parse_form(&body);
    let result = if ctx.form_token_ok(&v) {
        profile::confirm_add_contact(&state, actor, id, v.get("code").map_or("", String::as_str))
            .await
    } else {
        Err(AppError::new(ErrorKind::Forbidden, "csrf"))
    };
    match result {
        Ok(()) => see_other("/account/profile?saved=1"),
        Err(e) => contact_code_page(&ctx, &raw, Some(&e)),
    }
}
