//! The person's way to the confirmed level: registered letter, qualified
//! signature, or a visit to a service centre.

use super::staff::{Input, SmallForm, TablePage, input};
use super::{Ctx, Link, parse_form, see_other};
use crate::error::{AppError, ErrorKind, HttpStatus};
use crate::state::AppState;
use app::confirmation;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::account::AssuranceLevel;
use domain::letter::PostalAddress;
use std::collections::HashMap;

fn text_input(name: &'static str, label: String, multiline: bool) -> Input {
    Input {
        name,
        label,
        value: String::new(),
        multiline,
        checkbox: false,
    }
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    err: Option<&AppError>,
    values: &HashMap<String, String>,
    notice: Option<String>,
) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let l = ctx.lang;
    let mut p = TablePage::new(ctx, l.t("confirm-level-title"));
    p.links = vec![Link {
        href: "/account".into(),
        text: l.t("back-link"),
        primary: false,
    }];
    p.notice = notice;
    if let Some(e) = err {
        p.errors = ctx.error_items(e, &[]);
    }
    let status = err.map_or(StatusCode::OK, |e| e.status());
    if actor.account.level == AssuranceLevel::Confirmed {
        p.paragraphs = vec![l.t("level-help-confirmed")];
        return ctx.render(status, &p);
    }
    let verified = app::queries::identity_verified(state, actor)
        .await
        .unwrap_or(false);
    if !verified {
        p.paragraphs = vec![l.t("err-confirmation-not-standard")];
        p.links.insert(
            0,
            Link {
                href: "/account/identity".into(),
                text: l.t("identity-start-link"),
                primary: true,
            },
        );
        return ctx.render(status, &p);
    }
    p.paragraphs = vec![l.t("confirm-level-lead"), l.t("confirm-centre")];
    match confirmation::letter_status(state, actor).await {
        Ok(Some(letter)) if !letter.used => p.paragraphs.push(l.t_args(
            "confirm-letter-status",
            &[
                ("address", letter.address),
                ("date", l.moment(letter.requested_at)),
                ("expires", l.moment(letter.expires_at)),
                ("next", l.moment(letter.next_letter_from)),
            ],
        )),
        _ => {}
    }
    p.forms.push(SmallForm {
        id: "code",
        method: "post",
        action: "/account/confirmation/letter/code".into(),
        legend: l.t("confirm-letter-code"),
        inputs: vec![input(ctx, "code", "field-letter-code", values)],
        submit: l.t("confirm-submit"),
    });
    p.forms.push(SmallForm {
        id: "letter",
        method: "post",
        action: "/account/confirmation/letter".into(),
        legend: l.t("confirm-letter-order"),
        inputs: ["postcode", "region", "city", "street", "house", "flat"]
            .into_iter()
            .map(|f| input(ctx, f, &format!("field-address-{f}"), values))
            .collect(),
        submit: l.t("confirm-letter-submit"),
    });
    if state.trust.is_some() {
        p.forms.push(SmallForm {
            id: "qes",
            method: "post",
            action: "/account/confirmation/signature".into(),
            legend: l.t("confirm-signature"),
            inputs: Vec::new(),
            submit: l.t("confirm-signature-start"),
        });
    }
    ctx.render(status, &p)
}

pub async fn overview(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let notice = q
        .contains_key("letter")
        .then(|| ctx.lang.t("confirm-letter-ordered"));
    page(&state, &ctx, None, &HashMap::new(), notice).await
}

pub async fn order_letter(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let v = parse_form(&body);
    let get = |k: &str| v.get(k).cloned().unwrap_or_default();
    let address = PostalAddress {
        postcode: get("postcode"),
        region: get("region"),
        city: get("city"),
        street: get("street"),
        house: get("house"),
        flat: get("flat"),
    };
    let result = if ctx.form_token_ok(&v) {
        confirmation::request_letter(&state, actor, &address)
            .await
            .map(|_| ())
    } else {
        Err(AppError::new(ErrorKind::Forbidden, "csrf"))
    };
    match result {
        Ok(()) => see_other("/account/confirmation?letter=1"),
        Err(e) => page(&state, &ctx, Some(&e), &v, None).await,
    }
}

pub async fn letter_code(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let v = parse_form(&body);
    let result = if ctx.form_token_ok(&v) {
        confirmation::enter_letter_code(&state, actor, v.get("code").map_or("", String::as_str))
            .await
    } else {
        Err(AppError::new(ErrorKind::Forbidden, "csrf"))
    };
    match result {
        Ok(()) => see_other("/account"),
        Err(e) => page(&state, &ctx, Some(&e), &v, None).await,
    }
}

pub async fn signature_start(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    if !ctx.form_token_ok(&parse_form(&body)) {
        return page(
            &state,
            &ctx,
            Some(&AppError::new(ErrorKind::Forbidden, "csrf")),
            &HashMap::new(),
            None,
        )
        .await;
    }
    match confirmation::signature_challenge(&state, actor).await {
        Ok(c) => signature_form(&ctx, &c.challenge_id.to_string(), &c.challenge, None),
        Err(e) => page(&state, &ctx, Some(&e), &HashMap::new(), None).await,
    }
}

fn signature_form(ctx: &Ctx, id: &str, challenge: &str, err: Option<&AppError>) -> Response {
    let l = ctx.lang;
    let mut p = TablePage::new(ctx, l.t("confirm-signature"));
    p.links = vec![Link {
        href: "/account/confirmation".into(),
        text: l.t("back-link"),
        primary: false,
    }];
    if let Some(e) = err {
        p.errors = ctx.error_items(e, &[]);
    }
    p.paragraphs = vec![l.t("confirm-signature-lead"), challenge.to_owned()];
    p.forms.push(SmallForm {
        id: "sig",
        method: "post",
        action: format!("/account/confirmation/signature/{id}"),
        legend: String::new(),
        inputs: vec![
            text_input("signature", l.t("field-signature"), true),
            text_input("certificate_chain", l.t("field-certificate"), true),
        ],
        submit: l.t("confirm-submit"),
    });
    ctx.render(err.map_or(StatusCode::OK, |e| e.status()), &p)
}

pub async fn signature_submit(
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
    let input = confirmation::SignatureInput {
        signature: v.get("signature").cloned().unwrap_or_default(),
        certificate_chain: v.get("certificate_chain").cloned().unwrap_or_default(),
    };
    let result = if ctx.form_token_ok(&v) {
        confirmation::confirm_by_signature(&state, actor, id, &input).await
    } else {
        Err(AppError::new(ErrorKind::Forbidden, "csrf"))
    };
    match result {
        Ok(()) => see_other("/account"),
        Err(e) => {
            // The same request stays on screen so the person can sign it again.
            let challenge = app::queries::signature_challenge_bytes(&state, actor, id)
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            signature_form(&ctx, &raw, &challenge, Some(&e))
        }
    }
}
