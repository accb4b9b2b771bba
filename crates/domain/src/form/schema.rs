//! A form's payload as a JSON Schema (draft 2020-12), for API clients and
//! the API description: generated from the same definition `validate`
//! interprets, so the two cannot drift apart.
//!
//! The rule is **no false refusals**: every payload `validate` accepts (on
//! any day) is valid against the schema. Within that rule the schema refuses
//! as much of what `validate` refuses as JSON Schema can say without knowing
//! today's date:
//!
//! - Texts are trimmed before they are checked, so every pattern allows the
//!   whitespace `str::trim` removes around the text. That set (Unicode
//!   `White_Space`) is spelt out, `WS`, because `\s` means different sets in
//!   ECMA-262, Rust and Python.
//! - Lengths count the trimmed text. `minLength` on the raw text is safe (it
//!   is never shorter than the trimmed one); `maxLength` is enforced only on
//!   a text with no whitespace around it (then raw and trimmed are equal), so
//!   a padded text escapes the length check rather than being falsely refused.
//! - A blank value (null, a whitespace-only text, an empty list; for a
//!   declaration also `false`) is "not given", for every kind.
//! - A field that is not shown is dropped unchecked, so its value is checked
//!   only `if` its condition holds. `validate` settles what is shown by a
//!   fixpoint (a field whose condition reads a hidden field is hidden too), so
//!   the `if` also holds the conditions of the fields the condition reads.
//! - What depends on today, on another field's value or on a checksum (date
//!   rules, ages, mixed scripts in a name) is left to the engine and told in
//!   `description` (date rules also as data in `x-date-rules`).
//! - A definition's own `pattern` is regex-lite syntax. It is copied with its
//!   ASCII classes (`\d`, `\s`, `\w`) and `.` spelt out, so ECMA-262 reads
//!   it the same; flags (`(?i)`) and anchors inside it do not translate.

use super::model::{
    ChoiceOption, Condition, DateRule, DocumentType, Field, FieldKind, FormDef, Script, Text,
};
use serde_json::{Map, Value, json};

/// What `str::trim` removes (Unicode `White_Space`), as a class body.
const WS: &str = r"\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// Control characters (`char::is_control`), as a class body.
const CC: &str = r"\x00-\x1F\x7F-\x9F";
/// The letters and punctuation of `Script::Cyrillic` and `Script::Latin`,
/// without the space (which may only be inside).
const CYRILLIC: &str = r"а-яА-ЯёЁ\-'.’";
const LATIN: &str = r"A-Za-z\-'.’";
/// Letters a name may have (`domain::person`): Latin with Latin-1 and
/// Extended-A (no × or ÷), and Cyrillic.
const NAME_LETTERS: &str = r"A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u017F\u0400-\u045F";
/// A year of four digits, and a leap one (Gregorian as `time` counts it).
const YEAR: &str = "[0-9]{4}";
const LEAP: &str = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)";
const YEARS: [&str; 3] = ["год", "года", "лет"];
const DAYS: [&str; 3] = ["день", "дня", "дней"];

/// The JSON Schema of the answers `form` accepts: one object of the fields
/// of all sections, unknown keys refused at every level. See the module
/// documentation for what it can and cannot check.
pub fn json_schema(form: &FormDef, title: &str) -> Value {
    let fields: Vec<&Field> = form.sections.iter().flat_map(|s| &s.fields).collect();
    let mut out = Map::new();
    out.insert(
        "$schema".to_owned(),
        "https://json-schema.org/draft/2020-12/schema".into(),
    );
    out.insert("title".to_owned(), title.into());
    out.extend(level(&fields));
    Value::Object(out)
}

fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn single(key: &str, value: Value) -> Value {
    obj([(key, value)])
}

/// One level of fields (the whole form, or an item of a group).
fn level(fields: &[&Field]) -> Map<String, Value> {
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut conditional = Vec::new();
    for f in fields {
        let mut property = annotations(f, fields);
        let value = value_schema(f);
        match &f.show_when {
            None => {
                property.extend(value);
                if f.required {
                    required.push(Value::from(f.id.as_str()));
                }
            }
            Some(shown) => {
                // When not shown, whatever came is dropped unchecked: the
                // property itself only names the key, the value is checked
                // only when the field is shown.
                let mut then = Map::new();
                then.insert("properties".to_owned(), single(&f.id, Value::Object(value)));
                if f.required {
                    then.insert("required".to_owned(), json!([f.id]));
                }
                conditional.push(obj([
                    ("if", holds(shown, fields, Some(f.id.as_str()))),
                    ("then", Value::Object(then)),
                ]));
            }
        }
        if let Some(when) = f.require_when.as_ref().filter(|_| !f.required) {
            let condition = match &f.show_when {
                Some(shown) => obj([(
                    "allOf",
                    Value::Array(vec![
                        holds(shown, fields, Some(f.id.as_str())),
                        holds(when, fields, None),
                    ]),
                )]),
                None => holds(when, fields, None),
            };
            let then = obj([
                ("required", json!([f.id])),
                ("properties", single(&f.id, obj([("not", blank(&f.kind))]))),
            ]);
            conditional.push(obj([("if", condition), ("then", then)]));
        }
        properties.insert(f.id.clone(), Value::Object(property));
    }
    let mut out = Map::new();
    out.insert("type".to_owned(), "object".into());
    out.insert("properties".to_owned(), Value::Object(properties));
    out.insert("additionalProperties".to_owned(), false.into());
    if !required.is_empty() {
        out.insert("required".to_owned(), Value::Array(required));
    }
    if !conditional.is_empty() {
        out.insert("allOf".to_owned(), Value::Array(conditional));
    }
    out
}

/// Title and help, in Russian with the English beside, and the rules the
/// schema cannot check in words.
fn annotations(f: &Field, siblings: &[&Field]) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("title".to_owned(), f.label.ru().into());
    for (lang, s) in f.label.each().filter(|(l, _)| *l != Text::OFFICIAL) {
        out.insert(format!("x-label-{lang}"), s.into());
    }
    if let Some(help) = &f.help {
        for (lang, s) in help.each().filter(|(l, _)| *l != Text::OFFICIAL) {
            out.insert(format!("x-help-{lang}"), s.into());
        }
    }
    let mut notes: Vec<String> = f.help.iter().map(|h| h.ru().to_owned()).collect();
    match &f.kind {
        FieldKind::Number { min, max } => notes.push(format!("Целое число от {min} до {max}.")),
        FieldKind::Date { rules } if !rules.is_empty() => {
            notes.extend(rules.iter().map(|r| date_note(r, siblings)));
            if let Ok(rules) = serde_json::to_value(rules) {
                out.insert("x-date-rules".to_owned(), rules);
            }
        }
        _ => {}
    }
    if !notes.is_empty() {
        out.insert("description".to_owned(), notes.join(" ").into());
    }
    out
}

/// The value of a shown field: given and of its kind when required; of its
/// kind or blank otherwise.
fn value_schema(f: &Field) -> Map<String, Value> {
    let kind = kind_schema(&f.kind);
    let mut out = Map::new();
    if f.required {
        out.insert(
            "allOf".to_owned(),
            Value::Array(vec![kind, obj([("not", blank(&f.kind))])]),
        );
    } else {
        let mut any = vec![kind];
        any.extend(blanks(&f.kind));
        out.insert("anyOf".to_owned(), Value::Array(any));
    }
    out
}

/// What counts as not given.
fn blanks(kind: &FieldKind) -> Vec<Value> {
    let mut out = vec![
        json!({"type": "null"}),
        json!({"type": "string", "pattern": format!("^[{WS}]*$")}),
        json!({"type": "array", "maxItems": 0}),
    ];
    // An unaccepted declaration is no answer.
    if matches!(kind, FieldKind::Declaration) {
        out.push(json!({"const": false}));
    }
    out
}

fn blank(kind: &FieldKind) -> Value {
    obj([("anyOf", Value::Array(blanks(kind)))])
}

/// A given (non-blank) value of the kind.
fn kind_schema(kind: &FieldKind) -> Value {
    match kind {
        FieldKind::Text {
            min,
            max,
            script,
            pattern,
        } => text_schema(*min, *max, *script, pattern.as_deref()),
        // A JSON integer, or the text of one as a page sends it (the range
        // of the text is the engine's to check).
        FieldKind::Number { min, max } => json!({
            "type": ["integer", "string"],
            "minimum": min,
            "maximum": max,
            "pattern": padded("[+-]?[0-9]+"),
        }),
        FieldKind::File { .. } => json!({"type": "string", "pattern": padded("[0-9a-f]{32}")}),
        FieldKind::Date { .. } => json!({"type": "string", "pattern": date_pattern()}),
        FieldKind::Choice { options } => choice_schema(options),
        FieldKind::Boolean => json!({"type": "boolean"}),
        FieldKind::Declaration => json!({"const": true}),
        // The script, when set, is checked by the server (the schema is the looser).
        FieldKind::Person {
            min_age, max_age, ..
        } => person_schema(*min_age, *max_age),
        FieldKind::Document { document } => document_schema(*document),
        FieldKind::Address => address_schema(),
        FieldKind::Group { fields, min, max } => {
            let inner: Vec<&Field> = fields.iter().collect();
            obj([
                ("type", "array".into()),
                ("minItems", (*min).into()),
                ("maxItems", (*max).into()),
                ("items", Value::Object(level(&inner))),
            ])
        }
    }
}

/// `core` with the whitespace trimming removes around it.
fn padded(core: &str) -> String {
    format!("^[{WS}]*(?:{core})[{WS}]*$")
}

/// Texts whose trimmed content starts and ends with a character of `edge`
/// and has only characters of `inner` (class bodies); blank ones too unless
/// `given`. Written so that no two parts compete for a character (no
/// runaway backtracking).
fn trimmed(edge: &str, inner: &str, given: bool) -> String {
    let optional = if given { "" } else { "?" };
    format!("^[{WS}]*(?:[{edge}](?:[{inner}]*[{edge}])?){optional}[{WS}]*$")
}

/// Texts without control characters once trimmed.
fn plain(given: bool) -> String {
    trimmed(&format!("^{WS}{CC}"), &format!("^{CC}"), given)
}

/// At most `max` characters once trimmed: `maxLength` holds for a text with
/// no whitespace around it; a padded one is left unchecked (see the module
/// documentation).
fn at_most(max: usize) -> Value {
    json!([{"maxLength": max}, {"pattern": format!("^[{WS}]|[{WS}]$")}])
}

fn text_schema(
    min: Option<usize>,
    max: usize,
    script: Option<Script>,
    pattern: Option<&str>,
) -> Value {
    // The script's pattern also refuses control characters, as `plain` does.
    let chars = match script {
        None => plain(false),
        Some(Script::Cyrillic) => trimmed(CYRILLIC, &format!("{CYRILLIC} "), false),
        Some(Script::Latin) => trimmed(LATIN, &format!("{LATIN} "), false),
        Some(Script::Digits) => trimmed("0-9", "0-9", false),
    };
    let mut out = Map::new();
    out.insert("type".to_owned(), "string".into());
    if let Some(min) = min {
        out.insert("minLength".to_owned(), min.into());
    }
    out.insert("pattern".to_owned(), chars.into());
    out.insert("anyOf".to_owned(), at_most(max));
    if let Some(p) = pattern {
        out.insert(
            "allOf".to_owned(),
            json!([{"pattern": padded(&ascii_classes(p))}]),
        );
    }
    Value::Object(out)
}

/// A definition's pattern (regex-lite, where `\d`, `\s` and `\w` are ASCII
/// and `.` is anything but a line feed) with those spelt out, so that
/// ECMA-262 (Unicode `\s`, `.` refusing more line ends) and Unicode-minded
/// dialects read it as the engine does.
fn ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut depth = 0usize;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let body = match e.to_ascii_lowercase() {
                    'd' => Some("0-9"),
                    's' => Some(r"\t\n\x0B\f\r "),
                    'w' => Some("0-9A-Za-z_"),
                    _ => None,
                };
                match body {
                    Some(b) if depth > 0 && e.is_ascii_lowercase() => out.push_str(b),
                    Some(b) if depth == 0 => {
                        let not = if e.is_ascii_uppercase() { "^" } else { "" };
                        out.push('[');
                        out.push_str(not);
                        out.push_str(b);
                        out.push(']');
                    }
                    // A negated class inside a class stays as it is.
                    _ => {
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            '[' => {
                depth += 1;
                out.push('[');
                // A leading `]` (after a `^`) is a literal, not the end.
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                    out.push(']');
                }
            }
            ']' if depth > 0 => {
                depth -= 1;
                out.push(']');
            }
            '.' if depth == 0 => out.push_str(r"[^\n]"),
            _ => out.push(c),
        }
    }
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if r"\^$.|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A pattern for the texts that trim to one of `values`; `None` when no
/// text does. A value with whitespace around it never equals a trimmed
/// text, so it is left out; an empty one matches a blank text.
fn one_of<'a, I: IntoIterator<Item = &'a str>>(values: I) -> Option<String> {
    let mut empty = false;
    let mut alternatives = Vec::new();
    for v in values {
        if v.is_empty() {
            empty = true;
        } else if v.trim() == v {
            alternatives.push(escape(v));
        }
    }
    if alternatives.is_empty() {
        return empty.then(|| format!("^[{WS}]*$"));
    }
    let optional = if empty { "?" } else { "" };
    Some(format!(
        "^[{WS}]*(?:{}){optional}[{WS}]*$",
        alternatives.join("|")
    ))
}

fn choice_schema(options: &[ChoiceOption]) -> Value {
    let values: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
    let Some(pattern) = one_of(values.iter().copied()) else {
        return Value::Bool(false);
    };
    let labels: Vec<Value> = options
        .iter()
        .map(|o| {
            let mut label = json!({"value": o.value, "title": o.label.ru()});
            for (lang, s) in o.label.each().filter(|(l, _)| *l != Text::OFFICIAL) {
                label[format!("x-label-{lang}")] = s.into();
            }
            label
        })
        .collect();
    json!({"type": "string", "pattern": pattern, "examples": values, "x-options": labels})
}

/// A date as `parse_date` reads it: "1990-05-17" or "17.05.1990", real
/// calendar days only (29 February in leap years), whitespace around.
fn date_pattern() -> String {
    let iso = format!(
        "{YEAR}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)\
         |(?:0[13578]|1[02])-31)|{LEAP}-02-29"
    );
    let russian = format!(
        r"(?:(?:0[1-9]|1[0-9]|2[0-8])\.(?:0[1-9]|1[0-2])|(?:29|30)\.(?:0[13-9]|1[0-2])|31\.(?:0[13578]|1[02]))\.{YEAR}|29\.02\.{LEAP}"
    );
    padded(&format!("{iso}|{russian}"))
}

fn person_schema(min_age: Option<u16>, max_age: Option<u16>) -> Value {
    // A name starts with a letter and has letters, separators and
    // whitespace (collapsed by the engine); scripts are not mixed and the
    // separators are not doubled, which the engine checks.
    let name = |optional: &str| {
        format!(r"^[{WS}]*(?:[{NAME_LETTERS}][{WS}{NAME_LETTERS}\-'.’]*){optional}$")
    };
    let mut born = vec!["Не позже сегодняшнего дня и не раньше чем 120 лет назад.".to_owned()];
    if let Some(n) = min_age {
        born.push(format!("Возраст — {n} {} или больше.", plural(n, YEARS)));
    }
    if let Some(n) = max_age {
        born.push(format!("Возраст — {n} {} или меньше.", plural(n, YEARS)));
    }
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "surname": {"title": "Фамилия", "type": "string", "pattern": name("")},
            "given_name": {"title": "Имя", "type": "string", "pattern": name("")},
            "patronymic": {"title": "Отчество", "type": ["string", "null"], "pattern": name("?")},
            "birth_date": {
                "title": "Дата рождения",
                "description": born.join(" "),
                "type": "string",
                "pattern": date_pattern(),
            },
        },
        "required": ["surname", "given_name", "birth_date"],
    })
}

fn document_schema(kind: DocumentType) -> Value {
    let number = match kind {
        // Ten digits, spaces between them; the series does not start "00".
        DocumentType::PassportRf => json!({
            "title": "Серия и номер",
            "type": "string",
            "pattern": padded("(?:0 *[1-9]|[1-9] *[0-9])(?: *[0-9]){8}"),
        }),
        // 5 to 20 Latin letters and digits, spaces between them, a digit among them.
        DocumentType::ForeignPassport => json!({
            "title": "Номер",
            "type": "string",
            "pattern": padded("[0-9A-Za-z](?: *[0-9A-Za-z]){4,19}"),
            "allOf": [{"pattern": "[0-9]"}],
        }),
    };
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "number": number,
            "issued_on": {
                "title": "Дата выдачи",
                "description": "Не позже сегодняшнего дня.",
                "type": "string",
                "pattern": date_pattern(),
            },
            "issued_by": {"title": "Кем выдан", "type": ["string", "null"], "anyOf": at_most(200)},
        },
        "required": ["number", "issued_on"],
    })
}

fn address_schema() -> Value {
    let part = |title: &str, max: usize, given: bool| {
        let kind = if given {
            json!("string")
        } else {
            json!(["string", "null"])
        };
        json!({"title": title, "type": kind, "pattern": plain(given), "anyOf": at_most(max)})
    };
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "region_code": {
                "title": "Код региона",
                "type": "string",
                "pattern": padded("0[1-9]|[1-9][0-9]"),
            },
            "region": part("Субъект Российской Федерации", 120, true),
            "district": part("Район", 120, false),
            "district_code": part("Код района (из адресного справочника)", 20, false),
            "settlement": part("Населённый пункт", 120, true),
            "street": part("Улица", 120, false),
            "house": part("Дом", 20, true),
            "building": part("Корпус или строение", 20, false),
            "flat": part("Квартира или комната", 20, false),
            "postcode": {"title": "Почтовый индекс", "type": "string", "pattern": padded("[0-9]{6}")},
        },
        "required": ["region_code", "region", "settlement", "house", "postcode"],
    })
}

/// That `c` holds on the level as `validate` sees it, with hidden fields
/// removed: the sibling it reads has the value and is itself shown, which
/// is that sibling's own condition, and so on along the chain. A chain that
/// comes back to a field already on it stops there (`validate`'s fixpoint
/// keeps such a circle when all of it holds). `owner` is the field `c`
/// shows, if it is a `show_when`.
fn holds<'a>(c: &'a Condition, fields: &[&'a Field], owner: Option<&'a str>) -> Value {
    let mut seen: Vec<&str> = owner.into_iter().collect();
    let mut all = Vec::new();
    let mut next = Some(c);
    while let Some(c) = next {
        all.push(raw(c));
        let target = c.field();
        if seen.contains(&target) {
            break;
        }
        seen.push(target);
        next = fields
            .iter()
            .copied()
            .find(|f| f.id == target)
            .and_then(|f| f.show_when.as_ref());
    }
    if all.len() > 1 {
        obj([("allOf", Value::Array(all))])
    } else {
        all.pop().unwrap_or(Value::Bool(true))
    }
}

/// That `c` holds on the raw values of the level.
fn raw(c: &Condition) -> Value {
    let (field, value) = match c {
        Condition::IsTrue(f) => (f, json!({"const": true})),
        Condition::IsFalse(f) => (f, json!({"const": false})),
        Condition::OneOf { field, values } => (
            field,
            one_of(values.iter().map(String::as_str)).map_or(
                Value::Bool(false),
                |p| json!({"type": "string", "pattern": p}),
            ),
        ),
        Condition::NoneOf { field, values } => {
            let mut given = Map::new();
            given.insert("type".to_owned(), "string".into());
            given.insert("pattern".to_owned(), format!("[^{WS}]").into());
            if let Some(p) = one_of(values.iter().map(String::as_str)) {
                given.insert("not".to_owned(), json!({"pattern": p}));
            }
            (field, Value::Object(given))
        }
    };
    obj([
        ("properties", single(field, value)),
        ("required", json!([field])),
    ])
}

fn date_note(rule: &DateRule, siblings: &[&Field]) -> String {
    match rule {
        DateRule::NotFuture => "Не позже сегодняшнего дня.".to_owned(),
        DateRule::NotPast => "Не раньше сегодняшнего дня.".to_owned(),
        DateRule::WithinYears(n) => format!("Не раньше чем {n} {} назад.", plural(*n, YEARS)),
        DateRule::NotBefore(other) => {
            format!("Не раньше даты в поле «{}».", label_of(other, siblings))
        }
        DateRule::MinAge(n) => format!("Возраст — {n} {} или больше.", plural(*n, YEARS)),
        DateRule::NotAfter(other) => {
            format!("Не позже даты в поле «{}».", label_of(other, siblings))
        }
        DateRule::MaxDaysAfter { field, days } => format!(
            "Не позже чем через {days} {} после даты в поле «{}».",
            plural(*days, DAYS),
            label_of(field, siblings)
        ),
        DateRule::WithinDaysAhead(n) => format!(
            "Не позже чем через {n} {} от сегодняшнего дня.",
            plural(*n, DAYS)
        ),
    }
}

fn label_of<'a>(id: &'a str, siblings: &[&'a Field]) -> &'a str {
    siblings
        .iter()
        .copied()
        .find(|f| f.id == id)
        .map_or(id, |f| f.label.ru())
}

/// The Russian form of a noun after the number `n`.
fn plural(n: u16, [one, few, many]: [&'static str; 3]) -> &'static str {
    let (last, tens) = (n % 10, n % 100);
    if last == 1 && tens != 11 {
        one
    } else if (2..=4).contains(&last) && !(12..=14).contains(&tens) {
        few
    } else {
        many
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::form::validate;
    use crate::person::parse_date;
    use proptest::prelude::*;
    use time::macros::date;

    const TODAY: time::Date = date!(2026 - 11 - 29);

    fn t(s: &str) -> Value {
        json!({"ru": s, "en": format!("{s} (en)")})
    }

    fn form(fields: Value) -> FormDef {
        let f: FormDef = serde_json::from_value(json!({
            "sections": [{"id": "s", "title": t("Раздел"), "fields": fields}]
        }))
        .expect("a valid definition");
        assert!(f.check().is_empty(), "{:?}", f.check());
        f
    }

    /// Enough of JSON Schema for the keywords `json_schema` writes (no
    /// validator is a dependency here; a real one is tested elsewhere).
    fn valid(schema: &Value, v: &Value) -> bool {
        let Some(s) = schema.as_object() else {
            return schema
                .as_bool()
                .expect("a schema is an object or a boolean");
        };
        let n = |x: &Value| usize::try_from(x.as_u64().unwrap()).unwrap();
        s.iter().all(|(k, x)| match k.as_str() {
            "type" => match x.as_array() {
                Some(types) => types.iter().any(|t| is_type(t, v)),
                None => is_type(x, v),
            },
            "const" => x == v,
            "pattern" => v.as_str().is_none_or(|t| {
                regex_lite::Regex::new(x.as_str().unwrap())
                    .unwrap()
                    .is_match(t)
            }),
            "minLength" => v.as_str().is_none_or(|t| t.chars().count() >= n(x)),
            "maxLength" => v.as_str().is_none_or(|t| t.chars().count() <= n(x)),
            "minimum" => v.as_f64().is_none_or(|m| m >= x.as_f64().unwrap()),
            "maximum" => v.as_f64().is_none_or(|m| m <= x.as_f64().unwrap()),
            "minItems" => v.as_array().is_none_or(|a| a.len() >= n(x)),
            "maxItems" => v.as_array().is_none_or(|a| a.len() <= n(x)),
            "items" => v.as_array().is_none_or(|a| a.iter().all(|i| valid(x, i))),
            "properties" => v.as_object().is_none_or(|o| {
                o.iter()
                    .all(|(key, i)| x.get(key).is_none_or(|p| valid(p, i)))
            }),
            "additionalProperties" => v.as_object().is_none_or(|o| {
                o.iter().all(|(key, i)| {
                    s.get("properties").and_then(|p| p.get(key)).is_some() || valid(x, i)
                })
            }),
            "required" => v.as_object().is_none_or(|o| {
                x.as_array()
                    .unwrap()
                    .iter()
                    .all(|r| o.contains_key(r.as_str().unwrap()))
            }),
            "allOf" => x.as_array().unwrap().iter().all(|y| valid(y, v)),
            "anyOf" => x.as_array().unwrap().iter().any(|y| valid(y, v)),
            "not" => !valid(x, v),
            "if" => !valid(x, v) || s.get("then").is_none_or(|then| valid(then, v)),
            _ => true, // annotations; "then" goes with "if"
        })
    }

    fn is_type(t: &Value, v: &Value) -> bool {
        match t.as_str().unwrap() {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            "integer" => v.is_i64() || v.is_u64(),
            _ => false,
        }
    }

    /// Both say yes, or both say no.
    fn agree(f: &FormDef, schema: &Value, payload: &Value, ok: bool) {
        assert_eq!(
            validate(f, payload, TODAY).is_ok(),
            ok,
            "validate: {payload}"
        );
        assert_eq!(valid(schema, payload), ok, "schema: {payload}");
    }

    fn every_kind() -> FormDef {
        form(json!([
            {"id": "name", "label": t("Фамилия"), "help": t("Как в паспорте."), "required": true,
             "kind": {"type": "text", "min": 2, "max": 10, "script": "cyrillic"}},
            {"id": "code", "label": t("Код"), "kind": {"type": "text", "max": 7, "pattern": "\\d{3}-\\d{3}"}},
            {"id": "note", "label": t("Примечание"), "kind": {"type": "text", "max": 5}},
            {"id": "count", "label": t("Число"), "kind": {"type": "number", "min": 1, "max": 9}},
            {"id": "scan", "label": t("Скан"), "kind": {"type": "file", "accept": ["pdf"], "max_bytes": 100}},
            {"id": "arrived", "label": t("Дата прибытия"), "required": true,
             "kind": {"type": "date", "rules": ["not_future", {"within_years": 1}]}},
            {"id": "leave", "label": t("Дата отъезда"),
             "kind": {"type": "date", "rules": [{"not_before": "arrived"},
                                                {"max_days_after": {"field": "arrived", "days": 90}}]}},
            {"id": "sex", "label": t("Пол"), "required": true, "kind": {"type": "choice", "options": [
                {"value": "male", "label": t("мужской")}, {"value": "fe.male", "label": t("женский")}]}},
            {"id": "married", "label": t("В браке"), "kind": {"type": "boolean"}},
            {"id": "person", "label": t("ФИО"), "kind": {"type": "person", "min_age": 14}},
            {"id": "passport", "label": t("Паспорт"), "kind": {"type": "document", "document": "passport_rf"}},
            {"id": "foreign", "label": t("Загранпаспорт"),
             "kind": {"type": "document", "document": "foreign_passport"}},
            {"id": "address", "label": t("Адрес"), "kind": {"type": "address"}},
            {"id": "children", "label": t("Дети"), "kind": {"type": "group", "min": 1, "max": 2, "fields": [
                {"id": "child", "label": t("Ребёнок"), "required": true, "kind": {"type": "person"}},
                {"id": "note", "label": t("Примечание"), "kind": {"type": "text", "max": 20}}]}},
            {"id": "declaration", "label": t("Подтверждаю"), "required": true, "kind": {"type": "declaration"}}
        ]))
    }

    fn good() -> Value {
        json!({
            "name": " Иванова ", "code": "770-001", "note": "ab", "count": " +7 ",
            "scan": "0123456789abcdef0123456789abcdef", "arrived": "2026-11-01",
            "leave": " 10.12.2026", "sex": " fe.male ", "married": false,
            "person": {"surname": "Петров", "given_name": "Пётр", "patronymic": null,
                       "birth_date": "01.01.1990"},
            "passport": {"number": "45 10 123456", "issued_on": "2012-06-01"},
            "foreign": {"number": "75 1234567", "issued_on": "2020-01-01", "issued_by": null},
            "address": {"region_code": " 77", "region": "Москва", "settlement": "Москва",
                        "house": "1", "postcode": "119146", "flat": ""},
            "children": [{"child": {"surname": "Петрова", "given_name": "Мария",
                                    "birth_date": "2020-05-05"}, "note": null}],
            "declaration": true
        })
    }

    #[test]
    fn every_kind_has_its_keywords() {
        let s = json_schema(&every_kind(), "Анкета");
        assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert_eq!(s["title"], "Анкета");
        assert_eq!(s["type"], "object");
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(
            s["required"],
            json!(["name", "arrived", "sex", "declaration"])
        );
        assert!(s.get("allOf").is_none());
        let p = &s["properties"];
        // Required: the kind, and given.
        let name = &p["name"];
        assert_eq!(name["title"], "Фамилия");
        assert_eq!(name["x-label-en"], "Фамилия (en)");
        assert_eq!(name["description"], "Как в паспорте.");
        let kind = &name["allOf"][0];
        assert_eq!(kind["type"], "string");
        assert_eq!(kind["minLength"], 2);
        assert_eq!(kind["anyOf"][0]["maxLength"], 10);
        assert_eq!(
            name["allOf"][1]["not"]["anyOf"].as_array().unwrap().len(),
            3
        );
        // Optional: the kind, or blank.
        let code = &p["code"]["anyOf"];
        assert_eq!(code.as_array().unwrap().len(), 4);
        assert_eq!(code[0]["allOf"][0]["pattern"], padded("[0-9]{3}-[0-9]{3}"));
        assert_eq!(code[1], json!({"type": "null"}));
        assert_eq!(code[3], json!({"type": "array", "maxItems": 0}));
        assert_eq!(
            p["count"]["anyOf"][0],
            json!({"type": ["integer", "string"], "minimum": 1, "maximum": 9,
                   "pattern": padded("[+-]?[0-9]+")})
        );
        assert_eq!(p["count"]["description"], "Целое число от 1 до 9.");
        assert_eq!(p["scan"]["anyOf"][0]["pattern"], padded("[0-9a-f]{32}"));
        assert_eq!(
            p["arrived"]["allOf"][0],
            json!({"type": "string", "pattern": date_pattern()})
        );
        assert_eq!(
            p["arrived"]["description"],
            "Не позже сегодняшнего дня. Не раньше чем 1 год назад."
        );
        assert_eq!(
            p["arrived"]["x-date-rules"],
            json!(["not_future", {"within_years": 1}])
        );
        assert_eq!(
            p["leave"]["description"],
            "Не раньше даты в поле «Дата прибытия». \
             Не позже чем через 90 дней после даты в поле «Дата прибытия»."
        );
        let sex = &p["sex"]["allOf"][0];
        assert_eq!(sex["pattern"], padded(r"male|fe\.male"));
        assert_eq!(sex["examples"], json!(["male", "fe.male"]));
        assert_eq!(sex["x-options"][1]["title"], "женский");
        assert_eq!(p["married"]["anyOf"][0], json!({"type": "boolean"}));
        assert_eq!(p["declaration"]["allOf"][0], json!({"const": true}));
        // Blank, or an unaccepted declaration.
        assert_eq!(
            p["declaration"]["allOf"][1]["not"]["anyOf"][3],
            json!({"const": false})
        );
        let person = &p["person"]["anyOf"][0];
        assert_eq!(person["type"], "object");
        assert_eq!(person["additionalProperties"], false);
        assert_eq!(
            person["required"],
            json!(["surname", "given_name", "birth_date"])
        );
        assert_eq!(
            person["properties"]["patronymic"]["type"],
            json!(["string", "null"])
        );
        let born = person["properties"]["birth_date"]["description"]
            .as_str()
            .unwrap();
        assert!(born.contains("Возраст — 14 лет или больше."), "{born}");
        let passport = &p["passport"]["anyOf"][0];
        assert_eq!(passport["required"], json!(["number", "issued_on"]));
        assert_eq!(passport["additionalProperties"], false);
        assert_eq!(
            passport["properties"]["issued_by"]["anyOf"][0]["maxLength"],
            200
        );
        let address = &p["address"]["anyOf"][0];
        assert_eq!(
            address["required"],
            json!(["region_code", "region", "settlement", "house", "postcode"])
        );
        assert_eq!(address["properties"].as_object().unwrap().len(), 10);
        assert_eq!(address["additionalProperties"], false);
        let children = &p["children"]["anyOf"][0];
        assert_eq!(children["type"], "array");
        assert_eq!(children["minItems"], 1);
        assert_eq!(children["maxItems"], 2);
        let item = &children["items"];
        assert_eq!(item["type"], "object");
        assert_eq!(item["additionalProperties"], false);
        assert_eq!(item["required"], json!(["child"]));
        assert_eq!(item["properties"]["note"]["title"], "Примечание");
    }

    #[test]
    fn what_validate_accepts_is_valid() {
        let f = every_kind();
        let s = json_schema(&f, "Анкета");
        agree(&f, &s, &good(), true);
        // Blank is not given, for any kind.
        let mut p =
            json!({"name": "Ли", "arrived": "2026-11-01", "sex": "male", "declaration": true});
        agree(&f, &s, &p, true);
        for (key, v) in [
            ("code", json!(null)),
            ("note", json!("  ")),
            ("count", json!("")),
            ("scan", json!(null)),
            ("leave", json!(" ")),
            ("married", json!(null)),
            ("person", json!(null)),
            ("passport", json!("")),
            ("foreign", json!([])),
            ("address", json!(null)),
            ("children", json!([])),
        ] {
            p[key] = v;
        }
        agree(&f, &s, &p, true);
    }

    #[test]
    fn what_validate_refuses_mostly_is_not() {
        let f = every_kind();
        let s = json_schema(&f, "Анкета");
        for (key, v) in [
            ("name", json!("Ivanova")),
            ("name", json!("Иванова-Петрова")),
            ("name", json!("  ")),
            ("code", json!("770001")),
            ("note", json!("abcdef")),
            ("note", json!("a\u{1}b")),
            ("count", json!(10)),
            ("count", json!("7.5")),
            ("scan", json!("xyz")),
            ("arrived", json!("31.02.2026")),
            ("arrived", json!(20261101)),
            ("sex", json!("other")),
            ("sex", json!("feXmale")),
            ("married", json!("yes")),
            ("declaration", json!(false)),
            (
                "passport",
                json!({"number": "00 10 123456", "issued_on": "2012-06-01"}),
            ),
            ("passport", json!({"number": "4510123456"})),
            (
                "foreign",
                json!({"number": "ABCDEFG", "issued_on": "2020-01-01"}),
            ),
            (
                "address",
                json!({"region_code": "00", "region": "М", "settlement": "М",
                       "house": "1", "postcode": "119146"}),
            ),
            ("children", json!([{"child": null}])),
            ("children", json!([{"child": null}, {}, {}])),
            ("extra", json!(1)),
        ] {
            let mut p = good();
            p[key] = v;
            agree(&f, &s, &p, false);
        }
        let mut p = good();
        p["person"]["middle_name"] = json!("Иванович");
        agree(&f, &s, &p, false);
        agree(&f, &s, &json!([good()]), false);
    }

    fn conditional() -> FormDef {
        form(json!([
            {"id": "has_other", "label": t("Есть другое"), "required": true, "kind": {"type": "boolean"}},
            {"id": "x", "label": t("Икс"), "show_when": {"is_true": "has_other"}, "kind": {"type": "boolean"}},
            {"id": "y", "label": t("Игрек"), "required": true, "show_when": {"is_true": "x"},
             "kind": {"type": "text", "max": 3}},
            {"id": "basis", "label": t("Основание"), "required": true, "kind": {"type": "choice", "options": [
                {"value": "own", "label": t("своё")}, {"value": "rent", "label": t("наём")},
                {"value": "other", "label": t("другое")}]}},
            {"id": "owner", "label": t("Собственник"),
             "show_when": {"none_of": {"field": "basis", "values": ["own"]}},
             "require_when": {"one_of": {"field": "basis", "values": ["rent"]}},
             "kind": {"type": "text", "max": 10}}
        ]))
    }

    #[test]
    fn conditions_become_if_then() {
        let s = json_schema(&conditional(), "Условия");
        assert_eq!(s["required"], json!(["has_other", "basis"]));
        // A field that may be hidden only names its key; the value is
        // checked under the condition.
        for id in ["x", "y", "owner"] {
            let p = s["properties"][id].as_object().unwrap();
            assert!(
                p.keys().all(|k| k == "title" || k.starts_with("x-")),
                "{p:?}"
            );
        }
        let all = s["allOf"].as_array().unwrap();
        assert_eq!(all.len(), 4);
        let is_true = |f: &str| json!({"properties": {f: {"const": true}}, "required": [f]});
        assert_eq!(all[0]["if"], is_true("has_other"));
        assert_eq!(
            all[0]["then"]["properties"]["x"]["anyOf"][0],
            json!({"type": "boolean"})
        );
        assert!(all[0]["then"].get("required").is_none());
        // y reads x, which is itself shown only when has_other is true.
        assert_eq!(
            all[1]["if"],
            json!({"allOf": [is_true("x"), is_true("has_other")]})
        );
        assert_eq!(all[1]["then"]["required"], json!(["y"]));
        assert_eq!(
            all[1]["then"]["properties"]["y"]["allOf"][0]["type"],
            "string"
        );
        let shown = json!({"properties": {"basis": {
            "type": "string", "pattern": format!("[^{WS}]"), "not": {"pattern": padded("own")}
        }}, "required": ["basis"]});
        assert_eq!(all[2]["if"], shown);
        assert!(all[2]["then"].get("required").is_none());
        let rent = json!({"properties": {"basis": {"type": "string", "pattern": padded("rent")}},
                          "required": ["basis"]});
        assert_eq!(all[3]["if"], json!({"allOf": [shown, rent]}));
        assert_eq!(all[3]["then"]["required"], json!(["owner"]));
        assert!(all[3]["then"]["properties"]["owner"]["not"]["anyOf"].is_array());
    }

    #[test]
    fn conditions_agree_with_validate() {
        let f = conditional();
        let s = json_schema(&f, "Условия");
        for (payload, ok) in [
            // Hidden: whatever came is not checked.
            (
                json!({"has_other": false, "x": 1, "y": [1], "basis": "own", "owner": 5}),
                true,
            ),
            // y is hidden because x, which would show it, is hidden.
            (
                json!({"has_other": false, "x": true, "y": 5, "basis": "own"}),
                true,
            ),
            (json!({"has_other": true, "y": 1, "basis": "own"}), true),
            (
                json!({"has_other": true, "x": false, "y": 5, "basis": "own"}),
                true,
            ),
            (json!({"has_other": true, "x": true, "basis": "own"}), false),
            (
                json!({"has_other": true, "x": true, "y": " ab ", "basis": "own"}),
                true,
            ),
            (
                json!({"has_other": true, "x": true, "y": "abcd", "basis": "own"}),
                false,
            ),
            (
                json!({"has_other": true, "x": "yes", "basis": "own"}),
                false,
            ),
            (json!({"has_other": true, "basis": " rent "}), false),
            (
                json!({"has_other": true, "basis": "rent", "owner": "  "}),
                false,
            ),
            (json!({"has_other": true, "basis": "other"}), true),
            (
                json!({"has_other": true, "basis": "other", "owner": 5}),
                false,
            ),
            (
                json!({"has_other": true, "basis": "rent", "owner": " Петров "}),
                true,
            ),
            (json!({"has_other": true, "basis": "own", "z": 1}), false),
        ] {
            agree(&f, &s, &payload, ok);
        }
    }

    #[test]
    fn circular_conditions_end() {
        let f = form(json!([
            {"id": "a", "label": t("А"), "show_when": {"is_true": "b"}, "kind": {"type": "boolean"}},
            {"id": "b", "label": t("Б"), "required": true, "show_when": {"is_true": "a"},
             "kind": {"type": "boolean"}}
        ]));
        let s = json_schema(&f, "Круг");
        assert_eq!(s["allOf"][0]["if"]["allOf"].as_array().unwrap().len(), 2);
        for (payload, ok) in [
            (json!({}), true),
            (json!({"a": true, "b": true}), true),
            (json!({"a": true, "b": false}), true),
            (json!({"a": true, "b": 1}), true),
        ] {
            agree(&f, &s, &payload, ok);
        }
    }

    #[test]
    fn the_date_pattern_is_parse_date() {
        let re = regex_lite::Regex::new(&date_pattern()).unwrap();
        for y in [0, 4, 100, 400, 1900, 1996, 2000, 2023, 2024, 2100, 9999] {
            for m in 0..=13 {
                for d in 0..=32 {
                    for s in [
                        format!("{y:04}-{m:02}-{d:02}"),
                        format!(" {d:02}.{m:02}.{y:04}\u{a0}"),
                    ] {
                        assert_eq!(re.is_match(&s), parse_date(&s).is_ok(), "{s:?}");
                    }
                }
            }
        }
        for s in [
            "",
            " ",
            "1990-5-17",
            "17/05/1990",
            "17.05.90",
            "+990-05-17",
            "1990-05-17T00:00",
            "１７.０５.１９９０",
            "10000-01-01",
            "1990-05-17 x",
            "1990-05-17\n",
        ] {
            assert_eq!(re.is_match(s), parse_date(s).is_ok(), "{s:?}");
        }
    }

    #[test]
    fn definition_patterns_keep_their_meaning() {
        assert_eq!(
            ascii_classes(r"[^@\s]+@[^@\s]+\.[^@\s]+"),
            r"[^@\t\n\x0B\f\r ]+@[^@\t\n\x0B\f\r ]+\.[^@\t\n\x0B\f\r ]+"
        );
        assert_eq!(
            ascii_classes(r"\d{3}-\d{3}|a.b[.\]]\S"),
            r"[0-9]{3}-[0-9]{3}|a[^\n]b[.\]][^\t\n\x0B\f\r ]"
        );
        for (p, yes, no) in [
            (
                r"[IVXLC]{1,6}-[А-ЯЁ]{2} ?№? ?\d{6}",
                "IV-МЮ 123456",
                "IV-МЮ 12345",
            ),
            (r"[^@\s]+@[^@\s]+\.[^@\s]+", "a\u{a0}b@почта.рф", "a b@c.d"),
            (r"\+?[-0-9 ()]{10,20}", "+7 (916) 123-45-67", "+7 916"),
            (
                r"\d{3}-\d{3}-\d{3} \d{2}|\d{11}",
                "112-233-445 95",
                "112-233-445-95",
            ),
        ] {
            let re = regex_lite::Regex::new(&padded(&ascii_classes(p))).unwrap();
            assert!(re.is_match(yes), "{p} {yes}");
            assert!(re.is_match(&format!(" {yes}\t")), "{p} {yes}");
            assert!(!re.is_match(no), "{p} {no}");
        }
    }

    #[test]
    fn plurals() {
        let got: Vec<&str> = [1, 2, 5, 11, 14, 21, 22, 25, 111, 1825]
            .into_iter()
            .map(|n| plural(n, DAYS))
            .collect();
        assert_eq!(
            got,
            [
                "день", "дня", "дней", "дней", "дней", "день", "дня", "дней", "дней", "дней"
            ]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Short texts (never too long): the schema says exactly what
        /// validate says, whitespace, control characters and scripts alike.
        #[test]
        fn texts_agree_with_validate(
            s in r"[ \t\n\x{a0}\x{85}\x{2003}\x{1}аЯёA-Za-z0-9'.’-]{0,8}",
        ) {
            for script in [None, Some("cyrillic"), Some("latin"), Some("digits")] {
                let f = form(json!([{"id": "t", "label": t("Т"),
                    "kind": {"type": "text", "max": 100, "script": script}}]));
                let p = json!({"t": s});
                prop_assert_eq!(
                    validate(&f, &p, TODAY).is_ok(),
                    valid(&json_schema(&f, "Т"), &p),
                    "{:?} {:?}", script, s
                );
            }
            // With a limit the schema may accept more, never less.
            let f = form(json!([{"id": "t", "label": t("Т"), "required": true,
                "kind": {"type": "text", "min": 2, "max": 3}}]));
            let p = json!({"t": s});
            if validate(&f, &p, TODAY).is_ok() {
                prop_assert!(valid(&json_schema(&f, "Т"), &p), "{:?}", s);
            }
        }

        #[test]
        fn numbers_agree_with_validate(n in -20i64..20, s in r"[ +\-0-9a.]{0,4}") {
            let f = form(json!([{"id": "n", "label": t("Ч"),
                "kind": {"type": "number", "min": 1, "max": 9}}]));
            let schema = json_schema(&f, "Ч");
            let p = json!({"n": n});
            prop_assert_eq!(validate(&f, &p, TODAY).is_ok(), valid(&schema, &p));
            let p = json!({"n": s});
            if validate(&f, &p, TODAY).is_ok() {
                prop_assert!(valid(&schema, &p), "{}", p);
            }
        }

        #[test]
        fn dates_agree_with_parse_date(s in r"[ 0-9.\-]{8,12}") {
            let re = regex_lite::Regex::new(&date_pattern()).unwrap();
            prop_assert_eq!(re.is_match(&s), parse_date(&s).is_ok(), "{:?}", s);
        }
    }
}
