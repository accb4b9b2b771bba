//! The state fee in the browser: the panel on the person's application
//! (amount, discount, UIN, what it is due before, the pay button and how to
//! pay at a bank), paying (a redirect to the provider's page), and the page
//! the provider sends the person back to.

use super::applications::posted_by;
use super::{Ctx, Link, MessagePage, see_other};
use crate::error::AppError;
use crate::state::AppState;
use app::i18n::Lang;
use app::payments::ChargeView;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use store::{ChargeStatus, PaymentStatus};
use uuid::Uuid;

/// The fee panel of an application's page.
pub(super) struct FeePanel {
    pub amount: String,
    /// The portal's price when a discount applies to it.
    pub discount: Option<String>,
    pub uin: String,
    pub status: String,
    /// What the fee is due before, or how it stands.
    pub lead: String,
    /// The pay button's text, when the person may pay now.
    pub pay: Option<String>,
}

fn due_text(lang: Lang, c: &ChargeView) -> String {
    match c.status {
        ChargeStatus::Due if c.in_progress => lang.t("fee-pending"),
        ChargeStatus::Due => lang.t(&format!("fee-due-{}", c.due_stage.replace('_', "-"))),
        ChargeStatus::Paid => lang.t("fee-paid-lead"),
        ChargeStatus::Cancelled => lang.t("fee-cancelled-lead"),
        ChargeStatus::Refunded => lang.t("fee-refunded-lead"),
    }
}

pub(super) fn panel(lang: Lang, c: &ChargeView) -> FeePanel {
    FeePanel {
        amount: lang.money(c.kopecks),
        discount: (c.discount_percent > 0).then(|| {
            lang.t_args(
                "fee-discount",
                &[
                    ("percent", c.discount_percent.to_string()),
                    ("amount", lang.money(c.portal_kopecks)),
                ],
            )
        }),
        uin: c.uin.clone(),
        status: lang.t(&format!("fee-status-{}", c.status.as_str())),
        lead: due_text(lang, c),
        pay: c
            .payable
            .then(|| lang.t_args("fee-pay", &[("amount", lang.money(c.portal_kopecks))])),
    }
}

/// The fee of the person's application, if it has one.
pub(super) async fn of_application(state: &AppState, ctx: &Ctx, id: Uuid) -> Option<FeePanel> {
    let actor = ctx.actor.as_ref()?;
    let charges = app::payments::charges(state, actor, id).await.ok()?;
    charges.first().map(|c| panel(ctx.lang, c))
}

fn not_found(ctx: &Ctx) -> Response {
    super::error_page(ctx.lang, &AppError::not_found())
}

/// "Pay": to the provider's page.
pub async fn pay(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(id) = Uuid::parse_str(&raw) else {
        return not_found(&ctx);
    };
    let (actor, _) = match posted_by(&ctx, &body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let charges = match app::payments::charges(&state, actor, id).await {
        Ok(c) => c,
        Err(e) => return super::error_page(ctx.lang, &e),
    };
    let Some(charge) = charges.first() else {
        return not_found(&ctx);
    };
    match app::payments::start(&state, actor, &charge.uin, None).await {
        Ok(started) => see_other(&started.redirect_url),
        Err(e) => {
            let lang = ctx.lang;
            let page = MessagePage {
                chrome: ctx.chrome(lang.t("fee-pay-failed")),
                paragraphs: vec![
                    lang.t_args(&app::i18n::error_key(e.code), &e.args),
                    lang.t("fee-at-bank"),
                ],
                links: vec![Link {
                    href: format!("/applications/{id}/check"),
                    text: lang.t("fee-back"),
                    primary: true,
                }],
            };
            ctx.render(crate::error::HttpStatus::status(&e), &page)
        }
    }
}

/// Back from the provider's page: how the payment stands (asked at once if
/// no callback has come yet).
pub async fn returned(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((raw, raw_payment)): Path<(String, String)>,
) -> Response {
    let (Ok(id), Ok(payment)) = (Uuid::parse_str(&raw), Uuid::parse_str(&raw_payment)) else {
        return not_found(&ctx);
    };
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let lang = ctx.lang;
    let p = match app::payments::returned(&state, actor, id, payment).await {
        Ok(p) => p,
        Err(e) => return super::error_page(lang, &e),
    };
    let (title, lead) = match p.status {
        PaymentStatus::Confirmed => ("fee-returned-paid", "fee-returned-paid-lead"),
        PaymentStatus::Created => ("fee-returned-pending", "fee-returned-pending-lead"),
        PaymentStatus::Failed => ("fee-returned-failed", "fee-returned-failed-lead"),
        _ => ("fee-returned-check", "fee-returned-check-lead"),
    };
    let page = MessagePage {
        chrome: ctx.chrome(lang.t(title)),
        paragraphs: vec![
            lang.t(lead),
            lang.t_args(
                "fee-returned-amount",
                &[("amount", lang.money(p.paid_kopecks.unwrap_or(p.kopecks)))],
            ),
        ],
        links: vec![Link {
            href: format!("/applications/{id}/check"),
            text: lang.t("fee-back"),
            primary: true,
        }],
    };
    ctx.render(StatusCode::OK, &page)
}
