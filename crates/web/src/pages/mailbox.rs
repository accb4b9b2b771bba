use super::Ctx;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

struct Item {
    at: String,
    channel: String,
    to: String,
    subject: String,
    body: String,
}

#[derive(Template)]
#[template(path = "mailbox.html")]
struct MailboxPage {
    chrome: super::Chrome,
    messages: Vec<Item>,
}

/// Demo mode only: what the portal would have sent, so visitors can use codes.
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Response {
    let messages = match app::queries::demo_mailbox(&state, 50).await {
        Ok(m) => m,
        Err(e) => return super::error_page(ctx.lang, &e),
    };
    let fmt =
        time::macros::format_description!("[day].[month].[year] [hour]:[minute]:[second] UTC");
    let messages = messages
        .into_iter()
        .map(|m| Item {
            at: time::OffsetDateTime::from_unix_timestamp(m.created_at / 1000)
                .ok()
                .and_then(|t| t.format(&fmt).ok())
                .unwrap_or_default(),
            channel: m.channel,
            to: m.destination,
            subject: m.subject,
            body: m.body,
        })
        .collect();
    let page = MailboxPage {
        chrome: ctx.chrome(ctx.lang.t("mailbox-title")),
        messages,
    };
    ctx.render(StatusCode::OK, &page)
}
