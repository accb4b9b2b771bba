//! Keeps `openapi.json` honest: it must describe exactly the routes of
//! `api::router()`, every error code it names must have a message in both
//! catalogues, and every reference in it must resolve.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use app::i18n::error_key;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const ROUTER_SOURCE: &str = include_str!("mod.rs");
const EN: &str = include_str!("../../../app/locales/en/main.ftl");
const RU: &str = include_str!("../../../app/locales/ru/main.ftl");

const METHODS: [&str; 8] = [
    "get", "post", "put", "delete", "patch", "head", "options", "trace",
];

/// Catalogue keys that are deliberately not in `ErrorCode`, with the reason.
const KEYS_NOT_IN_ERROR_CODE: [&str; 1] = [
    // Reserved: no code path returns `unavailable` yet.
    "err-unavailable",
];

fn doc() -> Value {
    serde_json::from_str(super::OPENAPI).expect("openapi.json is valid JSON")
}

/// Path → methods, as documented.
fn documented_routes(doc: &Value) -> BTreeMap<String, BTreeSet<String>> {
    doc["paths"]
        .as_object()
        .expect("`paths` is an object")
        .iter()
        .map(|(path, item)| {
            let methods = item
                .as_object()
                .expect("a path item is an object")
                .keys()
                .filter(|k| METHODS.contains(&k.as_str()))
                .cloned()
                .collect();
            (path.clone(), methods)
        })
        .collect()
}

/// The source without comments (string literals kept intact).
fn strip_comments(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut chars = src.chars().peekable();
    let mut in_str = false;
    while let Some(c) = chars.next() {
        if in_str {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '"' {
            in_str = true;
            out.push(c);
        } else if c == '/' && chars.peek() == Some(&'/') {
            for n in chars.by_ref() {
                if n == '\n' {
                    out.push('\n');
                    break;
                }
            }
        } else if c == '/' && chars.peek() == Some(&'*') {
            chars.next();
            let mut prev = ' ';
            for n in chars.by_ref() {
                if prev == '*' && n == '/' {
                    break;
                }
                prev = n;
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The text between the parenthesis at `open` and its partner (exclusive).
fn balanced(src: &str, open: usize) -> &str {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    for (i, c) in src[open..].char_indices() {
        if in_str {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &src[open + 1..open + i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses after byte {open}");
}

/// Names called at nesting depth 0 of a method-router expression:
/// `get(a).put(b)` → get, put; `axum::routing::post(x)` → post.
fn top_level_calls(expr: &str) -> Vec<String> {
    let mut calls = Vec::new();
    let mut depth = 0usize;
    let mut ident = String::new();
    let mut in_str = false;
    for c in expr.chars() {
        if in_str {
            if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' => {
                if depth == 0 && !ident.is_empty() {
                    calls.push(ident.clone());
                }
                depth += 1;
                ident.clear();
            }
            ')' => {
                depth -= 1;
                ident.clear();
            }
            c if c.is_alphanumeric() || c == '_' => ident.push(c),
            _ => ident.clear(),
        }
    }
    calls
}

/// Path → methods registered with `.route("PATH", method(..).other(..))` in `src`.
fn parse_routes(src: &str) -> BTreeMap<String, BTreeSet<String>> {
    let src = strip_comments(src);
    let mut routes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (at, _) in src.match_indices(".route(") {
        let args = balanced(&src, at + ".route".len());
        let args = args.trim_start();
        let rest = args
            .strip_prefix('"')
            .unwrap_or_else(|| panic!("route path is not a string literal: {args}"));
        let end = rest.find('"').expect("closing quote of the route path");
        let path = &rest[..end];
        let expr = rest[end + 1..]
            .trim_start()
            .strip_prefix(',')
            .expect("a method router after the path");
        let calls = top_level_calls(expr);
        assert!(!calls.is_empty(), "no methods found for {path}: {expr}");
        for call in calls {
            assert!(
                METHODS.contains(&call.as_str()),
                "route {path} uses `{call}`, which the document cannot describe method by method"
            );
            let fresh = routes.entry(path.to_owned()).or_default().insert(call);
            assert!(fresh, "{path} registers a method twice");
        }
    }
    routes
}

fn ftl_keys(src: &str) -> BTreeSet<&str> {
    src.lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()))
        .filter_map(|l| l.split_once('='))
        .map(|(k, _)| k.trim())
        .collect()
}

fn error_codes(doc: &Value) -> Vec<String> {
    doc.pointer("/components/schemas/ErrorCode/enum")
        .and_then(Value::as_array)
        .expect("components.schemas.ErrorCode.enum")
        .iter()
        .map(|v| v.as_str().expect("error codes are strings").to_owned())
        .collect()
}

/// Every value under `v` with its JSON pointer.
fn walk<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                walk(
                    child,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                walk(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push((at, v));
}

/// Follows a local `$ref`, if `v` is one.
fn deref<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("unresolved {r}")),
        None => v,
    }
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if METHODS.contains(&method.as_str()) {
                ops.push((path.clone(), method.clone(), op));
            }
        }
    }
    ops
}

#[test]
fn is_openapi_3_1() {
    let doc = doc();
    let version = doc["openapi"].as_str().expect("`openapi` is a string");
    assert!(version.starts_with("3.1"), "openapi = {version}");
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    assert_eq!(
        doc.pointer("/components/securitySchemes/bearerAuth/scheme"),
        Some(&Value::from("bearer"))
    );
}

#[test]
fn the_route_parser_reads_chained_methods() {
    let src = r#"Router::new()
        // .route("/commented", get(x))
        .route("/a/{id}", get(h::a).put(h::b))
        .route(
            "/b",
            axum::routing::delete(h::c),
        )
        .fallback(nothing)"#;
    let routes = parse_routes(src);
    let set = |ms: &[&str]| ms.iter().map(|m| (*m).to_owned()).collect::<BTreeSet<_>>();
    assert_eq!(routes.len(), 2, "{routes:?}");
    assert_eq!(routes["/a/{id}"], set(&["get", "put"]));
    assert_eq!(routes["/b"], set(&["delete"]));
}

#[test]
fn documents_exactly_the_routes_of_the_router() {
    let router = parse_routes(ROUTER_SOURCE);
    assert!(
        router.values().map(BTreeSet::len).sum::<usize>() >= 9,
        "route parser found too little: {router:?}"
    );
    let documented = documented_routes(&doc());
    for (path, methods) in &router {
        let Some(doc_methods) = documented.get(path) else {
            panic!("route {path} is not documented");
        };
        assert_eq!(doc_methods, methods, "methods of {path}");
    }
    for (path, methods) in &documented {
        let Some(router_methods) = router.get(path) else {
            panic!("documented path {path} is not a route");
        };
        assert_eq!(router_methods, methods, "methods of {path}");
    }
}

#[test]
fn every_operation_is_described() {
    let doc = doc();
    for (path, method, op) in operations(&doc) {
        let name = format!("{} {path}", method.to_uppercase());
        for field in ["summary", "description", "operationId"] {
            assert!(
                op[field].as_str().is_some_and(|s| !s.trim().is_empty()),
                "{name} lacks {field}"
            );
        }
        let responses = op["responses"].as_object().expect("responses");
        assert!(!responses.is_empty(), "{name} has no responses");
        for (status, r) in responses {
            let r = deref(&doc, r);
            assert!(
                r["description"].is_string(),
                "{name} {status} lacks a description"
            );
            if status.starts_with(['4', '5']) {
                if let Some(content) = r["content"].as_object() {
                    let schema = &content["application/problem+json"]["schema"]["$ref"];
                    assert_eq!(schema, "#/components/schemas/Problem", "{name} {status}");
                }
            } else if !name.starts_with("GET /applications/{id}/attachments/")
                && !name.contains("/messages/files/")
                && !name.contains("/documents/{id}")
            {
                // Everything but a downloaded file answers in JSON.
                assert!(
                    r.get("content")
                        .is_none_or(|c| c.get("application/json").is_some()),
                    "{name} {status} is not JSON"
                );
            }
        }
        // Path parameters match the template.
        let template: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        let declared: BTreeSet<&str> = op["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .map(|p| deref(&doc, p))
                    .filter(|p| p["in"] == "path")
                    .filter_map(|p| p["name"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(template, declared, "path parameters of {name}");
        // The server refuses unknown fields, and so must the document.
        if let Some(body) = op.get("requestBody") {
            let content = &body["content"];
            let media = if content.get("multipart/form-data").is_some() {
                "multipart/form-data"
            } else {
                "application/json"
            };
            let schema = deref(&doc, &content[media]["schema"]);
            assert_eq!(
                schema["additionalProperties"],
                Value::Bool(false),
                "request body of {name}"
            );
        }
    }
}

#[test]
fn every_error_code_has_messages_in_both_languages() {
    let doc = doc();
    let codes = error_codes(&doc);
    let unique: BTreeSet<_> = codes.iter().collect();
    assert_eq!(unique.len(), codes.len(), "ErrorCode has duplicates");
    let (en, ru) = (ftl_keys(EN), ftl_keys(RU));
    for code in &codes {
        let key = error_key(code);
        assert!(
            en.contains(key.as_str()),
            "en catalogue lacks {key} ({code})"
        );
        assert!(
            ru.contains(key.as_str()),
            "ru catalogue lacks {key} ({code})"
        );
    }
    // And the other way: a new error message means a new documented code.
    let documented: BTreeSet<String> = codes.iter().map(|c| error_key(c)).collect();
    for key in en.iter().chain(ru.iter()).filter(|k| k.starts_with("err-")) {
        assert!(
            documented.contains(*key) || KEYS_NOT_IN_ERROR_CODE.contains(key),
            "{key} has no code in components.schemas.ErrorCode"
        );
    }
}

#[test]
fn problem_examples_use_documented_codes_and_statuses() {
    let doc = doc();
    let codes: BTreeSet<String> = error_codes(&doc).into_iter().collect();
    let mut checked = 0;
    let mut all = Vec::new();
    walk(&doc, String::new(), &mut all);
    for (at, v) in all {
        let Some(examples) = at
            .strip_suffix("/application~1problem+json")
            .and_then(|_| v.get("examples"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        // …/responses/<status>/content/application/problem+json
        let status = at
            .split('/')
            .rev()
            .nth(2)
            .and_then(|s| s.parse::<u64>().ok());
        for (name, ex) in examples {
            let body = &ex["value"];
            let code = body["code"].as_str().expect("example code");
            assert!(codes.contains(code), "{at} {name}: unknown code {code}");
            assert_eq!(body["type"], format!("/problems/{code}"), "{at} {name}");
            if let Some(status) = status {
                assert_eq!(body["status"], status, "{at} {name}");
            }
            for e in body["errors"].as_array().into_iter().flatten() {
                let c = e["code"].as_str().expect("field code");
                assert!(codes.contains(c), "{at} {name}: unknown field code {c}");
            }
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} problem examples found");
}

#[test]
fn every_ref_resolves() {
    let doc = doc();
    let mut all = Vec::new();
    walk(&doc, String::new(), &mut all);
    let mut refs = 0;
    for (at, v) in all {
        if let Some(r) = v.get("$ref") {
            let r = r
                .as_str()
                .unwrap_or_else(|| panic!("{at}: $ref is not a string"));
            assert!(r.starts_with("#/components/"), "{at}: non-local $ref {r}");
            assert!(
                doc.pointer(&r[1..]).is_some(),
                "{at}: $ref {r} resolves to nothing"
            );
            refs += 1;
        }
    }
    assert!(refs > 20, "only {refs} $refs found");
}

/// A small linear congruential walk: the same numbers on every run.
struct Walk(u64);

impl Walk {
    /// The next number below `m`.
    fn below(&mut self, m: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(self.0 >> 33).unwrap() % m
    }
}

/// Strings over `pool`, deterministic: every one of up to two characters,
/// then `n` more of up to 24.
fn strings(pool: &[char], n: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    for a in pool {
        out.push(a.to_string());
        for b in pool {
            out.push(format!("{a}{b}"));
        }
    }
    let mut walk = Walk(0x2545_f491_4f6c_dd1d);
    for _ in 0..n {
        let len = walk.below(25);
        out.push((0..len).map(|_| pool[walk.below(pool.len())]).collect());
    }
    out
}

fn pattern(doc: &Value, schema: &str, property: &str) -> regex_lite::Regex {
    let p = doc["components"]["schemas"][schema]["properties"][property]["pattern"]
        .as_str()
        .unwrap_or_else(|| panic!("{schema}.{property} has no pattern"));
    regex_lite::Regex::new(p).unwrap()
}

/// The schema's patterns for names and phones never refuse what the
/// server takes (a schema-valid request may still be refused by the rules
/// no pattern states: one script, separators' places, the length).
#[test]
fn name_and_phone_patterns_take_all_the_server_takes() {
    let doc = doc();
    let names: Vec<char> = "Ивёанов ЖAaÉéžŽ'’.-×÷1\t\u{a0}\u{2003}\u{85}_ІЇ"
        .chars()
        .collect();
    let mut taken = 0;
    for (schema, property) in [
        ("RegisterRequest", "surname"),
        ("RegisterRequest", "given_name"),
        ("RegisterRequest", "patronymic"),
        ("IdentityForm", "surname"),
        ("IdentityForm", "given_name"),
        ("IdentityForm", "patronymic"),
    ] {
        let p = pattern(&doc, schema, property);
        for s in strings(&names, 20_000) {
            if domain::person::parse_name_part(&s).is_ok() {
                taken += 1;
                assert!(p.is_match(&s), "{schema}.{property} refuses {s:?}");
            }
        }
        if property == "patronymic" {
            assert!(p.is_match("") && p.is_match("  "), "no patronymic");
        }
    }
    assert!(taken > 5_000, "too few names taken to tell: {taken}");
    let p = pattern(&doc, "RegisterRequest", "phone");
    // Ten digits (or more, or fewer) after the beginnings a number is
    // typed with, with what people put between them.
    let mut taken = 0;
    let prefixes = ["", "+7", "8", "7", "+", "+49", " +7 (", "\u{a0}8-"];
    let between = [" ", "-", "(", ")", ".", "\t", "", "", "", "", "", "x"];
    let (mut walk, mut i) = (Walk(7), 0_usize);
    let mut numbers = Vec::new();
    while numbers.len() < 40_000 {
        i += 1;
        let mut s = prefixes[i % prefixes.len()].to_owned();
        for d in 0..(9 + walk.below(4)) {
            s.push_str(between[walk.below(between.len())]);
            s.push(if d == 0 {
                '9'
            } else {
                char::from(b'0' + u8::try_from(walk.below(10)).unwrap())
            });
        }
        numbers.push(s);
    }
    for s in numbers {
        if domain::person::Phone::parse(&s).is_ok() {
            taken += 1;
            assert!(p.is_match(&s), "RegisterRequest.phone refuses {s:?}");
        }
    }
    assert!(taken > 1_000, "too few phones taken to tell: {taken}");
}
