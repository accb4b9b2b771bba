//! The person's documents in the browser (`/documents`, each a PDF to
//! download) and the office's download of an application's document.

use super::staff::staff_of;
use super::{Ctx, Link, MessagePage, see_other};
use crate::error::AppError;
use crate::state::AppState;
use app::documents::DocumentView;
use app::i18n::Lang;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

/// "Квитанция … № … от 30.11.2026 (PDF, 24 КБ)"; without the size until
/// the file is first opened (it is typeset then); an invitation to a visit
/// moved or cancelled since says so.
pub(super) fn link_text(lang: Lang, d: &DocumentView) -> String {
    let text = lang.t_args(
        if d.size > 0 {
            "documents-item"
        } else {
            "documents-item-new"
        },
        &[
            ("title", d.title.clone()),
            ("number", d.number.clone()),
            ("date", lang.day_of(d.created_at)),
            ("size", (d.size.max(1023) / 1024).to_string()),
        ],
    );
    if d.superseded {
        lang.t_args("documents-item-superseded", &[("item", text)])
    } else {
        text
    }
}

pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let lang = ctx.lang;
    let docs = match app::documents::mine(&state, actor).await {
        Ok(d) => d,
        Err(e) => return super::error_page(lang, &e),
    };
    let page = MessagePage {
        chrome: ctx.chrome(lang.t("documents-title")),
        paragraphs: vec![lang.t(if docs.is_empty() {
            "documents-none"
        } else {
            "documents-lead"
        })],
        links: docs
            .iter()
            .map(|d| Link {
                href: format!("/documents/{}", d.id),
                text: link_text(lang, d),
                primary: false,
            })
            .collect(),
    };
    ctx.render(StatusCode::OK, &page)
}

pub async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let Ok(id) = Uuid::parse_str(&raw) else {
        return super::error_page(ctx.lang, &AppError::not_found());
    };
    match app::documents::download(&state, actor, id).await {
        Ok((name, pdf)) => crate::api::applications::file_response("application/pdf", &name, pdf),
        Err(e) => super::error_page(ctx.lang, &e),
    }
}

pub async fn staff_download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
) -> Response {
    let staff = match staff_of(&ctx) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let Ok(id) = Uuid::parse_str(&raw) else {
        return super::error_page(ctx.lang, &AppError::not_found());
    };
    match app::documents::office_download(&state, &staff, id).await {
        Ok((name, pdf)) => crate::api::applications::file_response("application/pdf", &name, pdf),
        Err(e) => super::error_page(ctx.lang, &e),
    }
}
