//! A service's form as pages: the definition drawn as a flat list of
//! widgets (so one template draws any form, nesting included), a posted
//! page read back into answers, and answers shown for "check your answers".
//! Input names are the answer's path with dots (`previous_names.1.surname`),
//! so a problem's JSON Pointer names its input.

use app::i18n::Lang;
use domain::form::{Field, FieldKind, Text};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// One thing the template draws.
pub struct Widget {
    /// `text`, `date`, `number`, `radios`, `select`, `checkbox`, `open`
    /// (a fieldset starts), `close`, `add` (a button adding a group item),
    /// `remove` (a button removing one), `note`.
    pub kind: &'static str,
    pub name: String,
    pub label: String,
    pub hint: Option<String>,
    pub value: String,
    pub error: Option<String>,
    pub options: Vec<Choice>,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

impl Widget {
    fn new(kind: &'static str, name: &str, label: String) -> Self {
        Self {
            kind,
            name: name.to_owned(),
            label,
            hint: None,
            value: String::new(),
            error: None,
            options: Vec::new(),
        }
    }

    /// The element id (`f-` and the name), the target of the error summary.
    pub fn id(&self) -> String {
        field_id(&self.name)
    }
}

pub fn field_id(name: &str) -> String {
    format!("f-{}", name.replace('.', "-"))
}

pub fn text(lang: Lang, t: &Text) -> String {
    t.get(lang.code()).to_owned()
}

/// A JSON Pointer (`/a/1/b`) as an input name (`a.1.b`).
pub fn name_of(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

fn join(prefix: &str, id: &str) -> String {
    if prefix.is_empty() {
        id.to_owned()
    } else {
        format!("{prefix}.{id}")
    }
}

fn scalar(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// Parts of the composite kinds, with their label keys.
const PERSON: [(&str, &str); 4] = [
    ("surname", "field-surname"),
    ("given_name", "field-given-name"),
    ("patronymic", "field-patronymic"),
    ("birth_date", "field-birth-date"),
];
const DOCUMENT: [(&str, &str); 3] = [
    ("number", "form-document-number"),
    ("issued_on", "form-document-issued-on"),
    ("issued_by", "form-document-issued-by"),
];
const ADDRESS: [(&str, &str); 9] = [
    ("region_code", "form-address-region-code"),
    ("region", "form-address-region"),
    ("district", "form-address-district"),
    ("settlement", "form-address-settlement"),
    ("street", "form-address-street"),
    ("house", "form-address-house"),
    ("building", "form-address-building"),
    ("flat", "form-address-flat"),
    ("postcode", "form-address-postcode"),
];

fn parts(kind: &FieldKind) -> &'static [(&'static str, &'static str)] {
    match kind {
        FieldKind::Person { .. } => &PERSON,
        FieldKind::Document { .. } => &DOCUMENT,
        FieldKind::Address => &ADDRESS,
        _ => &[],
    }
}

/// The names of the questions on a page that a condition brought into sight
/// (`activity.0.organisation`), walked as [`Draw::fields`] walks them. Posted
/// back as `_shown`, they tell a question the person saw from one an answer
/// has just revealed — also when the script saved that answer while typing.
pub fn revealed_names(
    fields: &[&Field],
    answers: &Map<String, Value>,
    prefix: &str,
    out: &mut Vec<String>,
) {
    let view = domain::form::shown(fields, answers);
    for f in fields {
        let name = join(prefix, &f.id);
        match &f.show_when {
            Some(c) if !domain::form::holds(c, &view) => continue,
            Some(_) => out.push(name.clone()),
            None => {}
        }
        if let FieldKind::Group { fields: inner, .. } = &f.kind {
            let inner: Vec<&Field> = inner.iter().collect();
            let items = view.get(&f.id).and_then(Value::as_array);
            for (i, item) in items.into_iter().flatten().enumerate() {
                if let Some(item) = item.as_object() {
                    revealed_names(&inner, item, &format!("{name}.{i}"), out);
                }
            }
        }
    }
}

/// How a question is answered, for the words of "you have not answered it".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asks {
    Fill,
    Choose,
    Confirm,
    Attach,
}

/// The question a problem points at (`/activity/0/organisation`): its label
/// as the page shows it, with the part of a composite and the list item's
/// number, and how it is answered.
pub fn question_at(lang: Lang, fields: &[&Field], pointer: &str) -> Option<(String, Asks)> {
    let mut segments = pointer.trim_start_matches('/').split('/');
    let mut level: Vec<&Field> = fields.to_vec();
    let mut items: Vec<String> = Vec::new();
    loop {
        let id = segments.next()?;
        let field = level.iter().copied().find(|f| f.id == id)?;
        let label = text(lang, &field.label);
        let named = |label: String| {
            if items.is_empty() {
                label
            } else {
                format!("{label} ({})", items.join(", "))
            }
        };
        match &field.kind {
            FieldKind::Group { fields: inner, .. } => {
                let n = segments.next()?.parse::<usize>().ok()?;
                items.push(lang.t_args("form-item", &[("n", (n + 1).to_string())]));
                level = inner.iter().collect();
            }
            kind @ (FieldKind::Person { .. } | FieldKind::Document { .. } | FieldKind::Address) => {
                let label = match segments.next() {
                    Some(part) => {
                        let key = parts(kind).iter().find(|(p, _)| *p == part)?.1;
                        format!("{label}: {}", lang.t(key).to_lowercase())
                    }
                    None => label,
                };
                return Some((named(label), Asks::Fill));
            }
            FieldKind::Choice { .. } | FieldKind::Boolean => {
                return Some((named(label), Asks::Choose));
            }
            FieldKind::Declaration => return Some((named(label), Asks::Confirm)),
            FieldKind::File { .. } => return Some((named(label), Asks::Attach)),
            _ => return Some((named(label), Asks::Fill)),
        }
    }
}

/// What the page draws for `fields` (one level)/// What the page draws for `fields` (one level) with `answers` (that
/// level's values), `errors` by input name, and `more` naming a group that
/// gets one more empty item.
pub struct Draw<'a> {
    pub lang: Lang,
    pub errors: &'a HashMap<String, String>,
    pub more: Option<&'a str>,
    /// Uploaded files' names by id, to show what a file answer holds.
    pub files: &'a HashMap<String, String>,
    /// Places the directory found for the address field named here.
    /// (field name, query, places).
    pub found: Option<(&'a str, &'a str, &'a [domain::address::Place])>,
}

impl Draw<'_> {
    pub fn fields(
        &self,
        fields: &[&Field],
        answers: &Map<String, Value>,
        prefix: &str,
        out: &mut Vec<Widget>,
    ) {
        let view = domain::form::shown(fields, answers);
        for f in fields {
            if f.show_when
                .as_ref()
                .is_some_and(|c| !domain::form::holds(c, &view))
            {
                continue;
            }
            self.field(f, view.get(&f.id), prefix, out);
        }
    }

    fn field(&self, f: &Field, v: Option<&Value>, prefix: &str, out: &mut Vec<Widget>) {
        let lang = self.lang;
        let name = join(prefix, &f.id);
        let mut w = Widget::new("text", &name, text(lang, &f.label));
        w.hint = f.help.as_ref().map(|h| text(lang, h));
        w.error = self.errors.get(&name).cloned();
        w.value = scalar(v);
        match &f.kind {
            FieldKind::Text { max, .. } => {
                w.kind = if *max > 200 { "textarea" } else { "text" };
            }
            FieldKind::Date { .. } => {
                w.kind = "date";
                w.value = display_date(&w.value);
                if w.hint.is_none() {
                    w.hint = Some(lang.t("form-date-hint"));
                }
            }
            FieldKind::Number { .. } => w.kind = "number",
            FieldKind::Choice { options } => {
                w.kind = if options.len() > 8 {
                    "select"
                } else {
                    "radios"
                };
                w.options = options
                    .iter()
                    .map(|o| Choice {
                        checked: o.value == w.value,
                        value: o.value.clone(),
                        label: text(lang, &o.label),
                    })
                    .collect();
            }
            FieldKind::Boolean => {
                w.kind = "radios";
                w.options = [("true", "form-yes"), ("false", "form-no")]
                    .into_iter()
                    .map(|(val, key)| Choice {
                        checked: w.value == val,
                        value: val.to_owned(),
                        label: lang.t(key),
                    })
                    .collect();
            }
            FieldKind::Declaration => w.kind = "checkbox",
            FieldKind::File {
                accept, max_bytes, ..
            } => {
                w.kind = "file";
                let types: Vec<&str> = accept.iter().map(|t| t.extension()).collect();
                let limits = lang.t_args(
                    "form-file-hint",
                    &[
                        ("types", types.join(", ")),
                        ("mb", max_bytes.div_ceil(1024 * 1024).to_string()),
                    ],
                );
                w.hint = Some(match &w.hint {
                    Some(h) => format!("{h} {limits}"),
                    None => limits,
                });
                // The file's name, shown beside the (kept) id.
                w.options = self
                    .files
                    .get(&w.value)
                    .map(|n| Choice {
                        value: w.value.clone(),
                        label: n.clone(),
                        checked: true,
                    })
                    .into_iter()
                    .collect();
            }
            FieldKind::Person { .. } | FieldKind::Document { .. } | FieldKind::Address => {
                w.kind = "open";
                out.push(w);
                if matches!(f.kind, FieldKind::Address) {
                    self.address_search(&name, out);
                }
                let obj = v.and_then(Value::as_object);
                for (part, key) in parts(&f.kind) {
                    let pname = join(&name, part);
                    let mut p = Widget::new("text", &pname, lang.t(key));
                    p.value = scalar(obj.and_then(|o| o.get(*part)));
                    if part.ends_with("_date") || *part == "issued_on" {
                        p.kind = "date";
                        p.value = display_date(&p.value);
                        p.hint = Some(lang.t("form-date-hint"));
                    }
                    p.error = self.errors.get(&pname).cloned();
                    out.push(p);
                }
                out.push(Widget::new("close", &name, String::new()));
                return;
            }
            FieldKind::Group { fields, max, min } => {
                w.kind = "open";
                out.push(w);
                let items = v.and_then(Value::as_array).cloned().unwrap_or_default();
                let mut count = items.len().max(*min);
                if self.more == Some(name.as_str()) || count == 0 {
                    count += 1;
                }
                let count = count.min(*max);
                let inner: Vec<&Field> = fields.iter().collect();
                for i in 0..count {
                    let item_name = format!("{name}.{i}");
                    let mut head = Widget::new(
                        "item",
                        &item_name,
                        lang.t_args("form-item", &[("n", (i + 1).to_string())]),
                    );
                    head.error = self.errors.get(&item_name).cloned();
                    out.push(head);
                    let empty = Map::new();
                    let item = items.get(i).and_then(Value::as_object).unwrap_or(&empty);
                    self.fields(&inner, item, &item_name, out);
                    if count > *min {
                        out.push(Widget::new("remove", &item_name, lang.t("form-remove")));
                    }
                    out.push(Widget::new("close", &item_name, String::new()));
                }
                let mut counter = Widget::new("count", &format!("{name}._count"), String::new());
                counter.value = count.to_string();
                out.push(counter);
                if count < *max {
                    out.push(Widget::new("add", &name, lang.t("form-add")));
                }
                out.push(Widget::new("close", &name, String::new()));
                return;
            }
        }
        out.push(w);
    }
}

impl Draw<'_> {
    /// The search that fills an address from the directory: a query, and
    /// once searched, the places found to choose from.
    fn address_search(&self, name: &str, out: &mut Vec<Widget>) {
        let lang = self.lang;
        let find = format!("{name}._find");
        let mut w = Widget::new("find", &find, lang.t("form-address-find"));
        w.hint = Some(lang.t("form-address-find-hint"));
        w.error = self.errors.get(&find).cloned();
        w.options = vec![Choice {
            value: format!("find:{name}"),
            label: lang.t("form-address-find-button"),
            checked: false,
        }];
        let found = self.found.filter(|(n, _, _)| *n == name);
        if let Some((_, query, places)) = found {
            w.value = query.to_owned();
            out.push(w);
            let mut pick = Widget::new(
                "pick",
                &format!("{name}._pick"),
                lang.t("form-address-pick"),
            );
            pick.value = format!("pick:{name}");
            if places.is_empty() {
                pick.hint = Some(lang.t("form-address-none"));
            }
            pick.options = places
                .iter()
                .enumerate()
                .map(|(i, p)| Choice {
                    value: i.to_string(),
                    label: p.line(),
                    checked: i == 0,
                })
                .collect();
            out.push(pick);
        } else {
            out.push(w);
        }
    }
}

/// `2026-11-29` as people write it (`29.11.2026`); anything else as is.
pub fn display_date(v: &str) -> String {
    match domain::person::parse_date(v) {
        Ok(d) if v.len() == 10 && v.as_bytes().get(4) == Some(&b'-') => {
            format!("{:02}.{:02}.{}", d.day(), u8::from(d.month()), d.year())
        }
        _ => v.to_owned(),
    }
}

/// An ISO date as people of `lang` read it (`14.03.1985`, `14 March 1985`);
/// anything else as is.
pub(crate) fn shown_date(lang: Lang, v: &str) -> String {
    match domain::person::parse_date(v) {
        Ok(d) if v.len() == 10 && v.as_bytes().get(4) == Some(&b'-') => lang.date(d),
        _ => v.to_owned(),
    }
}

/// The answers a posted page holds for `fields`, keyed by id; a field left
/// blank is absent. `drop` names a group item removed by its button.
pub fn read(
    fields: &[&Field],
    form: &HashMap<String, String>,
    prefix: &str,
    drop: Option<&str>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for f in fields {
        let name = join(prefix, &f.id);
        let given = |n: &str| form.get(n).map(|s| s.trim()).filter(|s| !s.is_empty());
        let value = match &f.kind {
            FieldKind::Boolean => match given(&name) {
                Some("true") => Some(Value::Bool(true)),
                Some("false") => Some(Value::Bool(false)),
                Some(other) => Some(Value::String(other.to_owned())),
                None => None,
            },
            FieldKind::Declaration => given(&name).map(|v| Value::Bool(v == "true")),
            FieldKind::Person { .. } | FieldKind::Document { .. } | FieldKind::Address => {
                let obj: Map<String, Value> = parts(&f.kind)
                    .iter()
                    .filter_map(|(part, _)| {
                        given(&join(&name, part))
                            .map(|v| ((*part).to_owned(), Value::String(v.to_owned())))
                    })
                    .collect();
                (!obj.is_empty()).then_some(Value::Object(obj))
            }
            FieldKind::Group { fields, max, .. } => {
                let count = form
                    .get(&format!("{name}._count"))
                    .and_then(|c| c.trim().parse::<usize>().ok())
                    .unwrap_or(0)
                    .min(*max + 1);
                let inner: Vec<&Field> = fields.iter().collect();
                let items: Vec<Value> = (0..count)
                    .filter(|i| drop != Some(format!("{name}.{i}").as_str()))
                    .map(|i| read(&inner, form, &format!("{name}.{i}"), drop))
                    .filter(|item| !item.is_empty())
                    .map(Value::Object)
                    .collect();
                (!items.is_empty()).then_some(Value::Array(items))
            }
            _ => given(&name).map(|v| Value::String(v.to_owned())),
        };
        if let Some(v) = value {
            out.insert(f.id.clone(), v);
        }
    }
    out
}

/// One answer as a line of "check your answers".
pub fn show(lang: Lang, f: &Field, v: &Value, files: &HashMap<String, String>) -> String {
    match (&f.kind, v) {
        (FieldKind::File { .. }, Value::String(id)) => files.get(id).cloned().unwrap_or_default(),
        (FieldKind::Choice { options }, Value::String(s)) => options
            .iter()
            .find(|o| &o.value == s)
            .map_or_else(|| s.clone(), |o| text(lang, &o.label)),
        (FieldKind::Boolean, Value::Bool(b)) => lang.t(if *b { "form-yes" } else { "form-no" }),
        (FieldKind::Declaration, Value::Bool(true)) => lang.t("form-accepted"),
        (FieldKind::Date { .. }, Value::String(s)) => shown_date(lang, s),
        (
            FieldKind::Person { .. } | FieldKind::Document { .. } | FieldKind::Address,
            Value::Object(o),
        ) => parts(&f.kind)
            .iter()
            .filter_map(|(part, _)| o.get(*part).and_then(Value::as_str))
            .map(|v| shown_date(lang, v))
            .collect::<Vec<_>>()
            .join(", "),
        (FieldKind::Group { fields, .. }, Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let line: Vec<String> = fields
                    .iter()
                    .filter_map(|g| item.get(&g.id).map(|x| show(lang, g, x, files)))
                    .collect();
                format!("{}. {}", i + 1, line.join("; "))
            })
            .collect::<Vec<_>>()
            .join("\n"),
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form() -> domain::form::FormDef {
        let t = |s: &str| json!({"ru": s, "en": s});
        serde_json::from_value(json!({"sections": [{"id": "s", "title": t("s"), "fields": [
            {"id": "name", "label": t("n"), "kind": {"type": "text", "max": 40}},
            {"id": "ok", "label": t("ok"), "kind": {"type": "boolean"}},
            {"id": "who", "label": t("who"), "kind": {"type": "person"}},
            {"id": "jobs", "label": t("j"), "kind": {"type": "group", "max": 3, "fields": [
                {"id": "org", "label": t("o"), "kind": {"type": "text", "max": 40}}]}}
        ]}]}))
        .unwrap()
    }

    #[test]
    fn a_posted_page_becomes_answers_and_back() {
        let def = form();
        let fields: Vec<&Field> = def.sections[0].fields.iter().collect();
        let posted: HashMap<String, String> = [
            ("name", " Анна "),
            ("ok", "false"),
            ("who.surname", "Иванова"),
            ("who.birth_date", "01.02.1990"),
            ("jobs._count", "3"),
            ("jobs.0.org", "Завод"),
            ("jobs.1.org", ""),
            ("jobs.2.org", "Школа"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let answers = read(&fields, &posted, "", None);
        assert_eq!(
            Value::Object(answers.clone()),
            json!({"name": "Анна", "ok": false, "who": {"surname": "Иванова", "birth_date": "01.02.1990"},
                   "jobs": [{"org": "Завод"}, {"org": "Школа"}]})
        );
        let without = read(&fields, &posted, "", Some("jobs.0"));
        assert_eq!(without["jobs"], json!([{"org": "Школа"}]));
        // Drawn again: every input named by its path, one more item on request.
        let errors = HashMap::from([("jobs.1.org".to_owned(), "плохо".to_owned())]);
        let files = HashMap::new();
        let draw = Draw {
            lang: Lang::RU,
            errors: &errors,
            more: Some("jobs"),
            files: &files,
            found: None,
        };
        let mut out = Vec::new();
        draw.fields(&fields, &answers, "", &mut out);
        let names: Vec<&str> = out
            .iter()
            .filter(|w| w.kind == "text")
            .map(|w| w.name.as_str())
            .collect();
        assert!(
            names.contains(&"who.given_name") && names.contains(&"jobs.2.org"),
            "{names:?}"
        );
        let bad = out.iter().find(|w| w.name == "jobs.1.org").unwrap();
        assert_eq!(
            (bad.value.as_str(), bad.error.as_deref()),
            ("Школа", Some("плохо"))
        );
        assert_eq!(name_of("/jobs/1/org"), "jobs.1.org");
    }
}
