//! The service catalogue (public: anyone may read what the services are).

use crate::error::HttpError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

/// Every service, without its form.
pub async fn list(State(state): State<AppState>) -> Json<Value> {
    let services: Vec<Value> = app::services::list(&state)
        .iter()
        .map(|s| {
            json!({
                "code": s.code, "name": s.name, "description": s.description,
                "applicants": s.applicants, "for_child": s.for_child,
                "least_level": s.least_level, "fee_key": s.fee.as_ref().map(|f| &f.key), "visits": s.visits,
                "processing": s.processing, "originals": s.originals, "result": s.result,
                "situations": s.situations,
            })
        })
        .collect();
    Json(json!({ "services": services }))
}

/// One service with its form and a complete example of its answers.
pub async fn get(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<Value>, HttpError> {
    let def = app::services::get(&state, &code)?;
    let mut body = json!(def);
    body["example"] = json!(app::services::example(&state, &code));
    body["json_schema"] = app::services::json_schema(def);
    Ok(Json(body))
}

/// Places of the address directory matching `q` (public: the register's
/// addresses are not secret).
pub async fn addresses(
    State(state): State<AppState>,
    super::json::ApiQuery(q): super::json::ApiQuery<std::collections::HashMap<String, String>>,
) -> Result<Json<Value>, HttpError> {
    let query = q.get("q").map(String::as_str).unwrap_or_default();
    let places = app::addresses::search(&state, query).await?;
    Ok(Json(json!({ "items": places })))
}
