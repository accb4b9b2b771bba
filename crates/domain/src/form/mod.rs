//! The form engine (SPEC §3): a service's form is data — sections of fields
//! with kinds, conditions and constraints — and this module interprets it.
//! Validation reports every problem at once, each with a stable code and a
//! JSON Pointer into the submitted payload (`/previous_names/1/surname`),
//! so the pages and the API can say exactly what to fix where.
//!
//! Pure: the caller passes today's date; nothing here reads a clock or a
//! file. Service definitions are deserialised into these types by `app`.

mod model;
mod schema;
mod validate;

pub use model::{
    ChoiceOption, Condition, DateRule, Field, FieldKind, FileType, FormDef, Prefill, Script,
    Section, Text,
};
pub use schema::json_schema;
pub use validate::{
    Problem, answers_of_kind, check, field_at, file_answers, holds, is_attachment_id, is_missing,
    shown, validate,
};

/// Every code the engine itself reports (the person and document kinds add
/// those of `domain::person` and `domain::identifiers`).
pub const CODES: [&str; 29] = [
    "field.required",
    "field.unknown",
    "value.type",
    "text.too_short",
    "text.too_long",
    "text.invalid_chars",
    "text.cyrillic_required",
    "text.latin_required",
    "text.digits_only",
    "date.format",
    "date.future",
    "date.past",
    "date.too_old",
    "date.before_other",
    "age.too_young",
    "age.too_old",
    "choice.unknown",
    "group.too_few",
    "group.too_many",
    "address.region_code",
    "postcode.format",
    "text.pattern",
    "number.format",
    "number.too_small",
    "number.too_large",
    "file.reference",
    "date.after_other",
    "date.period_too_long",
    "date.too_far",
];

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
