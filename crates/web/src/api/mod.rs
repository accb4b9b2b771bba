//! The JSON API under `/api/v1` (documented in `openapi.json`). Errors are
//! RFC 9457 problem documents with stable codes.

mod accounts;
pub(crate) mod applications;
mod cases;
mod confirmation;
mod consents;
mod documents;
mod inbox;
mod json;
mod me;
mod messages;
mod payments;
pub mod problem;
mod profile;
mod second_factor;
mod security;
mod services;
mod staff;
pub(crate) mod visits;

#[cfg(test)]
mod openapi_tests;

use crate::state::AppState;
use axum::Router;
use axum::routing::{delete, get, post, put};

pub use json::ApiJson;

pub const OPENAPI: &str = include_str!("../../openapi.json");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/accounts", post(accounts::register))
        .route(
            "/accounts/confirmations/{challenge_id}",
            post(accounts::confirm),
        )
        .route(
            "/accounts/confirmations/{challenge_id}/resend",
            post(accounts::resend),
        )
        .route("/sessions", post(accounts::login))
        .route("/sessions/current", delete(accounts::logout))
        .route("/me", get(me::me))
        .route("/me/identity", get(me::identity).put(me::submit_identity))
        .route(
            "/me/sessions",
            get(security::sessions).delete(security::end_all),
        )
        .route("/me/password", put(security::change_password))
        .route(
            "/me/second-factor",
            post(second_factor::start)
                .put(second_factor::finish)
                .delete(second_factor::disable),
        )
        .route("/me/second-factor/code", post(second_factor::enable_code))
        .route("/me/data-access", get(staff::my_access_log))
        .route("/me/profile", get(profile::get))
        .route("/me/profile/addresses/{kind}", put(profile::put_address))
        .route("/me/profile/notifications", put(profile::put_notifications))
        .route("/me/profile/contacts", post(profile::add_contact))
        .route(
            "/me/profile/contacts/{challenge_id}",
            post(profile::confirm_contact),
        )
        .route("/office/people/{id}", get(profile::office_person))
        .route(
            "/me/confirmation/signature-challenges",
            post(confirmation::signature_challenge),
        )
        .route(
            "/me/confirmation/signature/{challenge_id}",
            post(confirmation::signature),
        )
        .route(
            "/me/confirmation/letter",
            get(confirmation::letter_status).post(confirmation::request_letter),
        )
        .route(
            "/me/confirmation/letter/code",
            post(confirmation::letter_code),
        )
        .route(
            "/sessions/second-factor/{challenge_id}",
            post(accounts::second_factor),
        )
        .route("/staff/sessions", post(accounts::staff_login))
        .route(
            "/admin/offices",
            get(staff::offices).post(staff::create_office),
        )
        .route("/admin/offices/{id}", put(staff::update_office))
        .route(
            "/admin/staff",
            get(staff::list_staff).post(staff::create_staff),
        )
        .route("/admin/staff/{id}", put(staff::update_staff))
        .route("/audit", get(staff::audit))
        .route("/operator/people", post(profile::register_person))
        .route("/operator/people/search", post(staff::find_person))
        .route(
            "/operator/people/{id}/confirmation",
            post(staff::confirm_person),
        )
        .route(
            "/applications",
            get(applications::list).post(applications::create),
        )
        .route(
            "/applications/{id}",
            get(applications::get)
                .put(applications::save)
                .delete(applications::delete),
        )
        .route("/applications/{id}/submit", post(applications::submit))
        .route("/applications/{id}/history", get(applications::history))
        .route("/applications/{id}/cancel", post(applications::cancel))
        .route("/applications/{id}/resubmit", post(applications::resubmit))
        .route("/inbox", get(inbox::list))
        .route("/consents", get(consents::mine))
        .route("/consents/claim", post(consents::claim))
        .route("/consents/{id}/approve", post(consents::approve))
        .route("/consents/{id}/refuse", post(consents::refuse))
        .route("/applications/{id}/consent", get(consents::of_application))
        .route("/inbox/read", post(inbox::read_all))
        .route("/inbox/{id}/read", post(inbox::read_one))
        .route("/office/applications", get(cases::queue))
        .route("/office/applications/ready", post(cases::ready))
        .route("/office/applications/{id}", get(cases::case))
        .route("/office/applications/{id}/office", put(cases::reassign))
        .route(
            "/applications/{id}/messages/files/{file}",
            get(messages::my_file),
        )
        .route(
            "/office/applications/{id}/messages/files/{file}",
            get(messages::office_file),
        )
        .route(
            "/office/applications/{id}/appointment",
            put(visits::set_time),
        )
        .route("/office/visits", get(visits::day))
        .route("/office/visits/{id}/arrival", post(visits::arrive))
        .route("/office/visits/{id}/outcome", post(visits::close))
        .route("/office/applications/{id}/{step}", post(cases::step))
        .merge(uploads())
        .route(
            "/applications/{id}/attachments/{file}",
            get(applications::download),
        )
        .route("/addresses", get(services::addresses))
        .route("/offices", get(applications::offices))
        .route("/offices/{id}/availability", get(visits::availability))
        .route(
            "/applications/{id}/appointment",
            put(visits::book).delete(visits::cancel),
        )
        .route("/admin/offices/{id}/schedule", put(visits::save_schedule))
        .route("/documents", get(documents::mine))
        .route("/documents/{id}", get(documents::download))
        .route(
            "/office/applications/{id}/documents",
            get(documents::of_case),
        )
        .route("/office/documents/{id}", get(documents::office_download))
        .route("/applications/{id}/charges", get(payments::of_application))
        .route(
            "/office/applications/{id}/charges",
            get(payments::office_of_application),
        )
        .route("/office/payments", post(payments::record_bank))
        .route("/charges/{uin}/payments", post(payments::start))
        .route("/payments/callback", post(payments::callback))
        .route("/admin/fees", get(payments::editions))
        .route(
            "/admin/fees/{from}",
            put(payments::put_edition).delete(payments::withdraw_edition),
        )
        .route("/services", get(services::list))
        .route("/services/{code}", get(services::get))
        .route("/password-resets", post(security::start_reset))
        .route(
            "/password-resets/{challenge_id}",
            post(security::complete_reset),
        )
        .fallback(problem::not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
}

/// Uploads may be larger than the other requests.
fn uploads() -> Router<AppState> {
    Router::new()
        .route(
            "/applications/{id}/attachments",
            get(applications::attachments).post(applications::upload),
        )
        .route(
            "/applications/{id}/messages",
            get(messages::mine).post(messages::write_mine),
        )
        .route(
            "/office/applications/{id}/messages",
            get(messages::office).post(messages::write_office),
        )
        .layer(axum::extract::DefaultBodyLimit::max(
            applications::MAX_UPLOAD_BYTES,
        ))
}

async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
}
