use super::{Ctx, LANG_COOKIE, Link, MessagePage};
use crate::state::AppState;
use app::i18n::Lang;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

pub async fn index(ctx: Ctx) -> Response {
    let t = |k: &str| ctx.lang.t(k);
    let links = if ctx.actor.is_some() {
        vec![Link {
            href: "/account".into(),
            text: t("nav-account"),
            primary: true,
        }]
    } else {
        vec![
            Link {
                href: "/register".into(),
                text: t("index-register"),
                primary: true,
            },
            Link {
                href: "/login".into(),
                text: t("index-login"),
                primary: false,
            },
        ]
    };
    let page = MessagePage {
        chrome: ctx.chrome(t("index-title")),
        paragraphs: vec![t("index-lead")],
        links,
    };
    ctx.render(StatusCode::OK, &page)
}

/// A same-origin path: starts with one `/`, and holds only the characters
/// of our own paths and queries (no control characters, spaces or
/// backslashes, which browsers may read as `//host`).
pub(crate) fn local_path(back: &str) -> bool {
    back.starts_with('/')
        && !back.starts_with("//")
        && back.len() <= 512
        && back
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.~?=&%+".contains(&b))
        && !back.contains("%0")
        && !back.to_ascii_lowercase().contains("%2f%2f")
        && !back.to_ascii_lowercase().contains("%5c")
}

/// Sets the language cookie and returns to the page the person was on.
pub async fn switch_lang(
    State(state): State<AppState>,
    ctx: super::Ctx,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    // Signed in: the person's notices follow the choice too.
    if let Some(actor) = &ctx.actor
        && let Err(e) = app::profile::set_language(&state, actor, lang).await
    {
        tracing::warn!(error = %e.code, "the language choice was not kept");
    }
    // Only a plain local path: never an open redirect.
    let back = q
        .get("back")
        .filter(|b| local_path(b))
        .map_or("/", String::as_str);
    let mut res = super::see_other(back);
    remember_lang(&mut res, lang);
    res
}

/// The language cookie on a response: the switch and signing in set it.
pub fn remember_lang(res: &mut Response, lang: Lang) {
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.code()
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// A file built into the binary, cached by browsers for an hour.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

pub async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/enhance.js"),
    )
}

pub async fn stylesheet() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../static/style.css"),
    )
}
