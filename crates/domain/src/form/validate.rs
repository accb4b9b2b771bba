//! Checking a payload against a form: every problem at once, each a stable
//! code at a JSON Pointer; on success the payload as it should be kept
//! (texts trimmed, dates in ISO form, fields that are not shown dropped).

use super::model::{Condition, DateRule, DocumentType, Field, FieldKind, FormDef, Script};
use crate::identifiers::{ForeignPassportNumber, PassportRf};
use crate::person::{BirthDate, FullName, parse_date};
use serde_json::{Map, Value};
use time::Date;

/// One thing wrong, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: &'static str,
    /// A JSON Pointer into the payload.
    pub path: String,
    /// A definition's own words for this case (why a service is not given
    /// online), shown after the message of the code.
    pub note: Option<super::Text>,
}

impl Problem {
    pub fn at(code: &'static str, path: impl Into<String>) -> Self {
        Self {
            code,
            path: path.into(),
            note: None,
        }
    }
}

/// Checks `payload` (a JSON object) against `form` on `today`.
pub fn validate(form: &FormDef, payload: &Value, today: Date) -> Result<Value, Vec<Problem>> {
    let (clean, problems) = check(form, payload, today);
    if problems.is_empty() {
        Ok(clean)
    } else {
        Err(problems)
    }
}

/// Like [`validate`], but always gives the clean payload (what was right)
/// beside the problems: a draft keeps its good answers while some are
/// still missing.
pub fn check(form: &FormDef, payload: &Value, today: Date) -> (Value, Vec<Problem>) {
    let fields: Vec<&Field> = form.sections.iter().flat_map(|s| &s.fields).collect();
    let mut problems = Vec::new();
    let clean = object(&fields, payload, "", today, &mut problems);
    (clean, problems)
}

/// Codes that only say something is not given yet: a draft may be saved
/// with them, a submission may not.
pub fn is_missing(code: &str) -> bool {
    matches!(code, "field.required" | "group.too_few")
}

fn pointer(at: &str, key: &str) -> String {
    format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"))
}

fn problem(out: &mut Vec<Problem>, code: &'static str, path: String) {
    out.push(Problem::at(code, path));
}

fn blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

/// Whether a condition holds on a level of answers.
pub fn holds(c: &Condition, level: &Map<String, Value>) -> bool {
    let text = |f: &str| level.get(f).and_then(Value::as_str).map(str::trim);
    match c {
        Condition::IsTrue(f) => level.get(f) == Some(&Value::Bool(true)),
        Condition::IsFalse(f) => level.get(f) == Some(&Value::Bool(false)),
        Condition::OneOf { field, values } => {
            text(field).is_some_and(|v| values.iter().any(|x| x == v))
        }
        Condition::NoneOf { field, values } => {
            text(field).is_some_and(|v| !v.is_empty() && values.iter().all(|x| x != v))
        }
    }
}

/// The level as the form shows it: a field that is not shown counts as
/// absent, also for the conditions and date rules of others (a hidden
/// leftover must not show or limit anything). Shown-ness can chain, so it
/// is settled by removing hidden fields until nothing changes.
pub fn shown(fields: &[&Field], level: &Map<String, Value>) -> Map<String, Value> {
    let mut view = level.clone();
    for _ in 0..=fields.len() {
        let hidden: Vec<&str> = fields
            .iter()
            .filter(|f| view.contains_key(&f.id))
            .filter(|f| f.show_when.as_ref().is_some_and(|c| !holds(c, &view)))
            .map(|f| f.id.as_str())
            .collect();
        if hidden.is_empty() {
            break;
        }
        for h in hidden {
            view.remove(h);
        }
    }
    view
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
    let level = &shown(fields, level);
    let mut clean = Map::new();
    for f in fields {
        let path = pointer(at, &f.id);
        if f.show_when.as_ref().is_some_and(|c| !holds(c, level)) {
            continue; // not shown: whatever came is dropped
        }
        let v = level.get(&f.id);
        // An unaccepted declaration is no answer.
        let v = v.filter(|v| !(f.kind == FieldKind::Declaration && **v == Value::Bool(false)));
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
        FieldKind::Text {
            min,
            max,
            script,
            pattern,
        } => {
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
            } else if pattern.as_deref().is_some_and(|p| !whole_match(p, s)) {
                problem(out, "text.pattern", path.to_owned());
            }
            Value::String(s.to_owned())
        }
        FieldKind::Number { min, max } => {
            // A number may come as JSON number or as the text a page sends.
            let n = match v {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            let Some(n) = n else {
                problem(out, "number.format", path.to_owned());
                return None;
            };
            if n < *min {
                problem(out, "number.too_small", path.to_owned());
            } else if n > *max {
                problem(out, "number.too_large", path.to_owned());
            }
            Value::from(n)
        }
        FieldKind::File { .. } => match v.as_str().map(str::trim) {
            Some(id) if is_attachment_id(id) => Value::String(id.to_owned()),
            _ => {
                problem(out, "file.reference", path.to_owned());
                return None;
            }
        },
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
        FieldKind::Declaration => match v {
            Value::Bool(true) => Value::Bool(true),
            _ => {
                problem(out, "value.type", path.to_owned());
                return None;
            }
        },
        FieldKind::Boolean => match v {
            Value::Bool(b) => Value::Bool(*b),
            _ => {
                problem(out, "value.type", path.to_owned());
                return None;
            }
        },
        FieldKind::Person {
            min_age,
            max_age,
            script,
        } => match person(v, path, (*min_age, *max_age), *script, today, out) {
            Some(x) => x,
            None => return partial(v, before, out),
        },
        FieldKind::Document { document: kind } => match document(v, path, *kind, today, out) {
            Some(x) => x,
            None => return partial(v, before, out),
        },
        FieldKind::Address => match address(v, path, out) {
            Some(x) => x,
            None => return partial(v, before, out),
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
            let clean = Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| object(&inner, item, &format!("{path}/{i}"), today, out))
                    .collect(),
            );
            // Items still missing answers (a question their own answers
            // revealed) are kept as far as given, so a draft loses nothing
            // typed; anything wrong in them drops the list as before.
            let only_missing = out
                .get(before..)
                .unwrap_or(&[])
                .iter()
                .all(|p| is_missing(p.code));
            return only_missing.then_some(clean);
        }
    };
    (out.len() == before).then_some(clean)
}

/// A person, document or address given in part: when only parts are
/// missing, the parts given are kept (trimmed) so a draft loses nothing
/// typed; they are checked in full once complete, and on submission.
fn partial(v: &Value, before: usize, out: &[Problem]) -> Option<Value> {
    let only_missing = out
        .get(before..)
        .unwrap_or(&[])
        .iter()
        .all(|p| is_missing(p.code));
    let o = v.as_object()?;
    let kept: Map<String, Value> = o
        .iter()
        .filter_map(|(k, x)| {
            let t = x.as_str()?.trim();
            (!t.is_empty() && t.chars().count() <= 200 && !t.chars().any(char::is_control))
                .then(|| (k.clone(), Value::String(t.to_owned())))
        })
        .collect();
    (only_missing && !kept.is_empty()).then_some(Value::Object(kept))
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

/// The pattern matches the whole text. A definition's pattern was checked
/// when the catalogue loaded; one that does not compile matches nothing.
fn whole_match(pattern: &str, s: &str) -> bool {
    regex_lite::Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|r| r.is_match(s))
}

/// An attachment id as the upload hands it out: 32 lower-case hex digits.
pub fn is_attachment_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
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
        DateRule::NotBefore(other) => match sibling_date(level, other) {
            Some(o) if d < o => Some("date.before_other"),
            _ => None,
        },
        DateRule::MinAge(n) => (d > years_before(today, *n)).then_some("age.too_young"),
        DateRule::NotAfter(other) => match sibling_date(level, other) {
            Some(o) if d > o => Some("date.after_other"),
            _ => None,
        },
        // `checked_add`: a date near the end of the calendar has no limit
        // after it, and must not overflow.
        DateRule::MaxDaysAfter { field, days } => match sibling_date(level, field) {
            Some(o) => o
                .checked_add(time::Duration::days(i64::from(*days)))
                .is_some_and(|limit| d > limit)
                .then_some("date.period_too_long"),
            None => None,
        },
        DateRule::WithinDaysAhead(n) => today
            .checked_add(time::Duration::days(i64::from(*n)))
            .is_some_and(|limit| d > limit)
            .then_some("date.too_far"),
    }
}

fn sibling_date(level: &Map<String, Value>, field: &str) -> Option<Date> {
    level
        .get(field)
        .and_then(Value::as_str)
        .and_then(|s| parse_date(s).ok())
}

/// The parts of a composite value: an object with only `allowed` keys.
fn parts<'a>(
    v: &'a Value,
    path: &str,
    allowed: &[&str],
    out: &mut Vec<Problem>,
) -> Option<&'a Map<String, Value>> {
    let Some(o) = v.as_object() else {
        problem(out, "value.type", path.to_owned());
        return None;
    };
    for k in o.keys() {
        if !allowed.contains(&k.as_str()) {
            problem(out, "field.unknown", pointer(path, k));
        }
    }
    Some(o)
}

/// A part as trimmed text; `None` (with `field.required` when required)
/// when absent, or `value.type` when not text.
fn part<'a>(
    o: &'a Map<String, Value>,
    key: &str,
    path: &str,
    required: bool,
    out: &mut Vec<Problem>,
) -> Option<&'a str> {
    match o.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim()),
        Some(Value::String(_)) | Some(Value::Null) | None => {
            if required {
                problem(out, "field.required", pointer(path, key));
            }
            None
        }
        Some(_) => {
            problem(out, "value.type", pointer(path, key));
            None
        }
    }
}

fn person(
    v: &Value,
    path: &str,
    (min_age, max_age): (Option<u16>, Option<u16>),
    script: Option<Script>,
    today: Date,
    out: &mut Vec<Problem>,
) -> Option<Value> {
    let o = parts(
        v,
        path,
        &["surname", "given_name", "patronymic", "birth_date"],
        out,
    )?;
    let surname = part(o, "surname", path, true, out);
    let given = part(o, "given_name", path, true, out);
    let patronymic = part(o, "patronymic", path, false, out);
    let born = part(o, "birth_date", path, true, out);
    let (surname, given, born) = (surname?, given?, born?);
    if let Some(sc) = script {
        let mut wrong = false;
        for (k, p) in [
            ("surname", Some(surname)),
            ("given_name", Some(given)),
            ("patronymic", patronymic),
        ] {
            if let Some(code) = p.and_then(|p| script_problem(sc, p)) {
                problem(out, code, pointer(path, k));
                wrong = true;
            }
        }
        if wrong {
            return None;
        }
    }
    let name = match FullName::parse(surname, given, patronymic) {
        Ok(n) => Some(n),
        Err((field, e)) => {
            problem(out, e.code, pointer(path, field));
            None
        }
    };
    let birth = match BirthDate::parse(born, today) {
        Ok(b) => Some(b),
        Err(e) => {
            problem(out, e.code, pointer(path, "birth_date"));
            None
        }
    };
    let (name, birth) = (name?, birth?);
    let age = birth.age_on(today);
    if min_age.is_some_and(|m| age < u32::from(m)) {
        problem(out, "age.too_young", pointer(path, "birth_date"));
    }
    if max_age.is_some_and(|m| age > u32::from(m)) {
        problem(out, "age.too_old", pointer(path, "birth_date"));
    }
    Some(serde_json::json!({
        "surname": name.surname, "given_name": name.given_name,
        "patronymic": name.patronymic, "birth_date": birth.date().to_string(),
    }))
}

fn document(
    v: &Value,
    path: &str,
    kind: DocumentType,
    today: Date,
    out: &mut Vec<Problem>,
) -> Option<Value> {
    let o = parts(v, path, &["number", "issued_on", "issued_by"], out)?;
    let number = part(o, "number", path, true, out);
    let issued = part(o, "issued_on", path, true, out);
    let by = part(o, "issued_by", path, false, out);
    let number = number.and_then(|n| {
        let parsed = match kind {
            DocumentType::PassportRf => {
                PassportRf::parse(n).map(|p| format!("{}{}", p.series(), p.number()))
            }
            DocumentType::ForeignPassport => {
                ForeignPassportNumber::parse(n).map(|p| p.as_str().to_owned())
            }
        };
        parsed
            .map_err(|e| problem(out, e.code, pointer(path, "number")))
            .ok()
    });
    let issued = issued.and_then(|d| match parse_date(d) {
        Ok(d) if d > today => {
            problem(out, "date.future", pointer(path, "issued_on"));
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            problem(out, e.code, pointer(path, "issued_on"));
            None
        }
    });
    if by.is_some_and(|b| b.chars().count() > 200) {
        problem(out, "text.too_long", pointer(path, "issued_by"));
    }
    let (number, issued) = (number?, issued?);
    Some(serde_json::json!({
        "number": number, "issued_on": issued.to_string(), "issued_by": by,
    }))
}

const ADDRESS_PARTS: [&str; 10] = [
    "region_code",
    "region",
    "district",
    // Set from the address directory: what office territories name.
    "district_code",
    "settlement",
    "street",
    "house",
    "building",
    "flat",
    "postcode",
];

fn address(v: &Value, path: &str, out: &mut Vec<Problem>) -> Option<Value> {
    let o = parts(v, path, &ADDRESS_PARTS, out)?;
    let before = out.len();
    let mut clean = Map::new();
    for key in ADDRESS_PARTS {
        // Only the directory sets the code routing uses: a typed one is dropped.
        if key == "district_code" {
            continue;
        }
        let required = matches!(
            key,
            "region_code" | "region" | "settlement" | "house" | "postcode"
        );
        let Some(s) = part(o, key, path, required, out) else {
            continue;
        };
        let max = match key {
            "house" | "building" | "flat" | "district_code" => 20,
            _ => 120,
        };
        let code = match key {
            // Codes of the subjects of the Federation, as the register writes them.
            "region_code"
                if !(s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) && s != "00") =>
            {
                Some("address.region_code")
            }
            "postcode" if !(s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())) => {
                Some("postcode.format")
            }
            _ if s.chars().count() > max => Some("text.too_long"),
            _ if s.chars().any(char::is_control) => Some("text.invalid_chars"),
            _ => None,
        };
        match code {
            Some(c) => problem(out, c, pointer(path, key)),
            None => {
                clean.insert(key.to_owned(), Value::String(s.to_owned()));
            }
        }
    }
    (out.len() == before).then_some(Value::Object(clean))
}

/// Every file answer of a (clean) payload: its JSON Pointer and attachment id.
pub fn file_answers(form: &FormDef, payload: &Value) -> Vec<(String, String)> {
    fn walk(fields: &[&Field], v: &Value, at: &str, out: &mut Vec<(String, String)>) {
        for f in fields {
            let Some(x) = v.get(&f.id) else { continue };
            let path = pointer(at, &f.id);
            match &f.kind {
                FieldKind::File { .. } => {
                    if let Some(id) = x.as_str() {
                        out.push((path, id.to_owned()));
                    }
                }
                FieldKind::Group { fields, .. } => {
                    let inner: Vec<&Field> = fields.iter().collect();
                    for (i, item) in x.as_array().into_iter().flatten().enumerate() {
                        walk(&inner, item, &format!("{path}/{i}"), out);
                    }
                }
                _ => {}
            }
        }
    }
    let fields: Vec<&Field> = form.sections.iter().flat_map(|s| &s.fields).collect();
    let mut out = Vec::new();
    walk(&fields, payload, "", &mut out);
    out
}

/// The field a JSON Pointer names (`/children/0/photo` → the `photo` of
/// the `children` group), if any.
pub fn field_at<'a>(form: &'a FormDef, path: &str) -> Option<&'a Field> {
    let mut fields: Vec<&Field> = form.sections.iter().flat_map(|s| &s.fields).collect();
    let mut found = None;
    let mut parts = path.strip_prefix('/')?.split('/').peekable();
    while let Some(id) = parts.next() {
        let f = *fields.iter().find(|f| f.id == id)?;
        found = Some(f);
        if let FieldKind::Group {
            fields: inner, max, ..
        } = &f.kind
        {
            // The next part is the item's index, written as JSON Pointer writes it.
            let index = parts.next()?;
            let canonical = index == "0" || !index.starts_with('0');
            let n = index
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| index.parse::<usize>().ok())
                .flatten()?;
            if !canonical || n >= *max {
                return None;
            }
            fields = inner.iter().collect();
        } else if parts.peek().is_some() {
            return None;
        }
    }
    found
}

/// Every answer of the given kind in a (clean) payload, with its JSON Pointer.
pub fn answers_of_kind<'a>(
    form: &FormDef,
    payload: &'a Value,
    is: fn(&FieldKind) -> bool,
) -> Vec<(String, &'a Value)> {
    fn walk<'a>(
        fields: &[&Field],
        v: &'a Value,
        at: &str,
        is: fn(&FieldKind) -> bool,
        out: &mut Vec<(String, &'a Value)>,
    ) {
        for f in fields {
            let Some(x) = v.get(&f.id) else { continue };
            let path = pointer(at, &f.id);
            if is(&f.kind) {
                out.push((path.clone(), x));
            }
            if let FieldKind::Group { fields, .. } = &f.kind {
                let inner: Vec<&Field> = fields.iter().collect();
                for (i, item) in x.as_array().into_iter().flatten().enumerate() {
                    walk(&inner, item, &format!("{path}/{i}"), is, out);
                }
            }
        }
    }
    let fields: Vec<&Field> = form.sections.iter().flat_map(|s| &s.fields).collect();
    let mut out = Vec::new();
    walk(&fields, payload, "", is, &mut out);
    out
}
