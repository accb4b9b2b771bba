//! The catalogue as people and programs read it (SPEC §3): who may apply,
//! the level, the visits, the legal time and what to bring — before they
//! start — and a service's whole definition with its form.

use crate::Portal;
use crate::error::AppError;
use domain::catalogue::ServiceDef;

/// Every service, in catalogue order.
pub fn list(state: &Portal) -> &[ServiceDef] {
    state.catalogue.services()
}

/// One service by its SPEC §3 code.
pub fn get<'a>(state: &'a Portal, code: &str) -> Result<&'a ServiceDef, AppError> {
    state.catalogue.get(code).ok_or_else(AppError::not_found)
}

/// Complete example answers of a service, with dates as of today.
pub fn example(state: &Portal, code: &str) -> Option<serde_json::Value> {
    state.catalogue.example(code, crate::today(state.now()))
}

/// The JSON Schema of a service's answers (draft 2020-12).
pub fn json_schema(def: &ServiceDef) -> serde_json::Value {
    domain::form::json_schema(&def.form, def.name.ru())
}
