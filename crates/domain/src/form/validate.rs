//! Checking a payload against a form: every problem at once, each a stable
//! code at a JSON Pointer; on success the payload as it should be kept
//! (texts trimmed, dates in ISO form, fields that are not shown dropped).

use super::model::{Condition, DateRule, Field, FieldKind, FormDef, Script};
use crate::person::parse_date;
use serde_json::{Map, Value};
use time::Date;

/// One thing wrong, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: &'static str,
    /// A JSON Pointer into the payload.
    pub path: String,
}

/// Checks `payload` (a JSON object) against `form` on `today`.
pub fn validate(form: &FormDef, payload: &Value, today: Date) -> Result<Value, Vec<Problem>> {
    let fields: Vec<&Field> = form.sections.iter().flat_map(|s| &s.fields).collect();
    let mut problems = Vec::new();
    let clean = object(&fields, payload, "", today, &mut problems);
    if problems.is_empty() {
        Ok(clean)
    } else {
        Err(problems)
    }
}

fn pointer(at: &str, key: &str) -> String {
    format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"))
}

fn problem(out: &mut Vec<Problem>, code: &'static str, path: String) {
    out.push(Problem { code, path });
}

fn blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

fn holds(c: &Condition, level: &Map<String, Value>) -> bool {
    match c {
        Condition::IsTrue(f) => level.get(f) == Some(&Value::Bool(true)),
        Condition::OneOf { field, values } => level
            .get(field)
            .and_then(Value::as_str)
            .is_some_and(|v| values.iter().any(|x| x == v.trim())),
    }
}

fn object(
    fields: &[&Field],
    value: &Value,
    at: &str,
    today: Date,
    out: &mut Vec<Problem>,
) -> Value {
    let Some(level) = value.as_object() else {
        problem(
            out,
            "value.type",
            if at.is_empty() {
                String::new()
            } else {
                at.to_owned()
            },
        );
        return Value::Null;
    };
    for key in level.keys() {
        if !fields.iter().any(|f| &f.id == key) {
            problem(out, "field.unknown", pointer(at, key));
        }
    }
    let mut clean = Map::new();
    for f in fields {
        let path = pointer(at, &f.id);
        if f.show_when.as_ref().is_some_and(|c| !holds(c, level)) {
            continue; // not shown: whatever came is dropped
        }
        let v = level.get(&f.id);
        let required = f.required || f.require_when.as_ref().is_some_and(|c| holds(c, level));
        if blank(v) {
            if required {
                problem(out, "field.required", path);
            }
            continue;
        }
        let Some(v) = v else { continue };
        if let Some(ok) = one(f, v, level, &path, today, out) {
            clean.insert(f.id.clone(), ok);
        }
    }
    Value::Object(clean)
}

fn one(
    f: &Field,
    v: &Value,
    level: &Map<String, Value>,
    path: &str,
    today: Date,
    out: &mut Vec<Problem>,
) -> Option<Value> {
    let before = out.len();
    let clean = match &f.kind {
        FieldKind::Text { min, max, script } => {
            let Some(s) = v.as_str() else {
                problem(out, "value.type", path.to_owned());
                return None;
            };
            let s = s.trim();
            let n = s.chars().count();
            if n > *max {
                problem(out, "text.too_long", path.to_owned());
            } else if min.is_some_and(|m| n < m) {
                problem(out, "text.too_short", path.to_owned());
            } else if s.chars().any(char::is_control) {
                problem(out, "text.invalid_chars", path.to_owned());
            } else if let Some(code) = script.and_then(|sc| script_problem(sc, s)) {
                problem(out, code, path.to_owned());
            }
            Value::String(s.to_owned())
        }
        FieldKind::Date { rules } => {
            let Some(s) = v.as_str() else {
                problem(out, "value.type", path.to_owned());
                return None;
            };
            let Ok(d) = parse_date(s) else {
                problem(out, "date.format", path.to_owned());
                return None;
            };
            for r in rules {
                if let Some(code) = date_problem(r, d, level, today) {
                    problem(out, code, path.to_owned());
                }
            }
            Value::String(d.to_string())
        }
        FieldKind::Choice { options } => {
            let ok = v
                .as_str()
                .map(str::trim)
                .filter(|s| options.iter().any(|o| o.value == *s));
            match ok {
                Some(s) => Value::String(s.to_owned()),
                None => {
                    problem(out, "choice.unknown", path.to_owned());
                    return None;
                }
            }
        }
        FieldKind::Boolean => match v {
            Value::Bool(b) => Value::Bool(*b),
            _ => {
                problem(out, "value.type", path.to_owned());
                return None;
            }
        },
        FieldKind::Group { fields, min, max } => {
            let Some(items) = v.as_array() else {
                problem(out, "value.type", path.to_owned());
                return None;
            };
            if items.len() > *max {
                problem(out, "group.too_many", path.to_owned());
                return None;
            }
            if items.len() < *min {
                problem(out, "group.too_few", path.to_owned());
            }
            let inner: Vec<&Field> = fields.iter().collect();
            Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| object(&inner, item, &format!("{path}/{i}"), today, out))
                    .collect(),
            )
        }
    };
    (out.len() == before).then_some(clean)
}

fn script_problem(script: Script, s: &str) -> Option<&'static str> {
    let punct = |c: char| matches!(c, ' ' | '-' | '\'' | '.' | '’');
    let ok = match script {
        Script::Cyrillic => s
            .chars()
            .all(|c| matches!(c, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё') || punct(c)),
        Script::Latin => s.chars().all(|c| c.is_ascii_alphabetic() || punct(c)),
        Script::Digits => s.chars().all(|c| c.is_ascii_digit()),
    };
    (!ok).then_some(match script {
        Script::Cyrillic => "text.cyrillic_required",
        Script::Latin => "text.latin_required",
        Script::Digits => "text.digits_only",
    })
}

fn years_before(today: Date, years: u16) -> Date {
    let y = today.year() - i32::from(years);
    Date::from_calendar_date(y, today.month(), today.day())
        .or_else(|_| Date::from_calendar_date(y, today.month(), 28))
        .unwrap_or(Date::MIN)
}

fn date_problem(
    rule: &DateRule,
    d: Date,
    level: &Map<String, Value>,
    today: Date,
) -> Option<&'static str> {
    match rule {
        DateRule::NotFuture => (d > today).then_some("date.future"),
        DateRule::NotPast => (d < today).then_some("date.past"),
        DateRule::WithinYears(n) => (d < years_before(today, *n)).then_some("date.too_old"),
        DateRule::NotBefore(other) => {
            let other = level.get(other).and_then(Value::as_str).map(parse_date);
            match other {
                Some(Ok(o)) if d < o => Some("date.before_other"),
                _ => None,
            }
        }
        DateRule::MinAge(n) => (d > years_before(today, *n)).then_some("age.too_young"),
    }
}
