//! The authorisation matrix over every route (issue 22, item 4): each page
//! and API route is called as anonymous, as the owner of the objects in its
//! path, as another person, as each staff role and as the head of another
//! office, and the answer is judged against the route's rule.
//!
//! The routes come from the router itself (the OpenAPI document, which
//! `openapi_tests` keeps equal to the API router, and the page router's
//! source), so a new route without a rule fails this test. API writes
//! carry a body of the documented type (its required properties, made from
//! the OpenAPI document, a stale version where one is named), so what
//! decides is who asks, not the body's shape; page forms carry only the
//! CSRF token. A caller let through is mostly refused afterwards by
//! validation, a stale version or the object's state. Path ids are real
//! objects of the owner wherever the route names one, so "another person"
//! and "another office" are judged on something that exists; routes that
//! close the application or end the session go last.

use crate::applications::confirmed_sidorov;
use crate::lifecycle::{move_head, sent};
use crate::staff::staff_token;
use crate::support::*;
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeMap;

const PAGE_ROUTER: &str = include_str!("../../../web/src/pages/mod.rs");
const API_DOCUMENT: &str = include_str!("../../../web/openapi.json");
const TOP_ROUTER: &str = include_str!("../../../web/src/lib.rs");

const MOSCOW: &str = "01930000-0000-7000-8000-000000000001";
const PETERSBURG: &str = "01930000-0000-7000-8000-000000000002";
/// An id nothing has: where a route names a sub-object the test cannot
/// cheaply make (a consent, a message file), the owner may get 404 too.
const NOBODY: &str = "01939a4e-0000-7000-8000-000000000000";

/// Path parameters filled with a well-formed value no object has (or,
/// for `section`, one the sent application no longer offers): the owner
/// may get 404 there too.
const MADE_UP: [&str; 3] = ["from", "section", "message_file"];

/// Who calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Owner,
    OtherPerson,
    Officer,
    Head,
    Operator,
    Administrator,
    Auditor,
    /// The head of office moved to another office (St Petersburg).
    OtherOfficeHead,
}

use Caller as C;

/// Who a route is for.
#[derive(Clone, Copy, Debug)]
enum Rule {
    /// Everyone, signed in or not.
    Open,
    /// Anyone signed in, person or staff (their own account).
    SignedIn,
    /// Signed-in people; staff are refused (their identity is the
    /// office's to set, their second factor is not theirs to drop).
    PeopleOnly,
    /// Ends the caller's session: anyone signed in, sent to sign in after.
    Ends,
    /// A person whose identity is confirmed (a passport service): others,
    /// staff included, are refused.
    Confirmed,
    /// The bank's callback: only its signature lets it in (401 for any
    /// caller of the portal).
    BankSigned,
    /// Signed-in people (not staff): their own lists and new objects.
    Person,
    /// The person whose object the path names; another person gets 404.
    Own,
    /// Like `Own`, but idempotent and bound to the caller's account in its
    /// one statement: another's id changes nothing and answers as a second
    /// call would (proven in `it::inbox`).
    OwnQuiet,
    /// Staff holding one of these roles (any office).
    Staff(&'static [Caller]),
    /// Staff of these roles in the office that holds the object; another
    /// office's staff get 404.
    Office(&'static [Caller]),
    /// Staff of these roles for their own office; offices are public, so
    /// another office's head is refused (403), not kept in the dark.
    OfficeOf(&'static [Caller]),
    /// Sending an application to another office: its office's head; the
    /// administrator only one no office serves (so 404 for a routed one).
    Reassign,
}

const WORKERS: &[Caller] = &[C::Officer, C::Head];
const ANY_STAFF: &[Caller] = &[
    C::Officer,
    C::Head,
    C::Operator,
    C::Administrator,
    C::Auditor,
];

/// What a caller must get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    /// Past the authorisation: validation, state or success.
    LetIn,
    /// Asked to sign in: 401 from the API, a redirect to a sign-in page.
    SignIn,
    /// 403.
    Forbidden,
    /// 404: the object is not theirs to know of.
    Hidden,
    /// Let in and signed out: a redirect to sign in is the success.
    SignedOut,
    /// 401 whoever asks: the request is not signed by the bank.
    Unsigned,
}

fn verdict(rule: Rule, caller: Caller) -> Verdict {
    use Verdict::*;
    let staff = !matches!(caller, C::Anonymous | C::Owner | C::OtherPerson);
    match (rule, caller) {
        (Rule::Open, _) => LetIn,
        (Rule::BankSigned, _) => Unsigned,
        (_, C::Anonymous) => SignIn,
        (Rule::SignedIn, _) => LetIn,
        (Rule::Ends, _) => SignedOut,
        (Rule::PeopleOnly, _) if staff => Forbidden,
        (Rule::PeopleOnly, _) => LetIn,
        (Rule::Confirmed, C::Owner) => LetIn,
        (Rule::Confirmed, _) => Forbidden,
        // Staff hold accounts too: their own lists are empty, and a
        // person's object is as unknown to them as to another person.
        (Rule::Person, _) => LetIn,
        (Rule::Own | Rule::OwnQuiet, C::Owner) => LetIn,
        (Rule::OwnQuiet, _) => LetIn,
        (Rule::Own, _) => Hidden,
        (Rule::Staff(roles), c) => {
            let role = if c == C::OtherOfficeHead { C::Head } else { c };
            if roles.contains(&role) {
                LetIn
            } else {
                Forbidden
            }
        }
        (Rule::Office(roles), C::OtherOfficeHead) if roles.contains(&C::Head) => Hidden,
        (Rule::OfficeOf(_), C::OtherOfficeHead) => Forbidden,
        (Rule::OfficeOf(roles), c) | (Rule::Office(roles), c) if roles.contains(&c) => LetIn,
        (Rule::OfficeOf(_), _) => Forbidden,
        (Rule::Reassign, C::Head) => LetIn,
        (Rule::Reassign, C::Administrator | C::OtherOfficeHead) => Hidden,
        (Rule::Reassign, _) => Forbidden,
        (Rule::Office(_), _) => Forbidden,
    }
}

/// The rule of an API route, by its documented path.
fn api_rule(method: &Method, path: &str) -> Option<Rule> {
    let m = method.as_str();
    Some(match (m, path) {
        (_, "/openapi.json" | "/services" | "/services/{code}" | "/addresses" | "/offices")
        | (_, "/offices/{id}/availability") => Rule::Open,
        (_, "/payments/callback") => Rule::BankSigned,
        ("POST", "/accounts" | "/sessions" | "/staff/sessions" | "/password-resets") => Rule::Open,
        ("POST", "/accounts/confirmations/{challenge_id}")
        | ("POST", "/accounts/confirmations/{challenge_id}/resend")
        | ("POST", "/password-resets/{challenge_id}")
        | ("POST", "/sessions/second-factor/{challenge_id}") => Rule::Open,
        ("DELETE", "/sessions/current" | "/me/sessions") => Rule::Ends,
        ("GET", "/me/sessions") => Rule::SignedIn,
        ("PUT", "/me/identity") | ("DELETE", "/me/second-factor") => Rule::PeopleOnly,
        (_, "/me" | "/me/identity" | "/me/password" | "/me/data-access") => Rule::SignedIn,
        (_, "/me/second-factor" | "/me/second-factor/code") => Rule::SignedIn,
        (_, p) if p.starts_with("/me/profile") || p.starts_with("/me/confirmation") => Rule::Person,
        ("GET", "/applications") => Rule::Person,
        ("POST", "/applications") => Rule::Confirmed,
        (_, "/inbox" | "/inbox/read" | "/consents" | "/consents/claim" | "/documents") => {
            Rule::Person
        }
        (_, "/inbox/{id}/read") => Rule::OwnQuiet,
        (_, "/documents/{id}") => Rule::Own,
        (_, "/consents/{id}/approve" | "/consents/{id}/refuse") => Rule::Own,
        (_, "/charges/{uin}/payments") => Rule::Own,
        (_, p) if p.starts_with("/applications/{id}") => Rule::Own,
        (_, "/admin/offices" | "/admin/offices/{id}") if m == "GET" => {
            Rule::Staff(&[C::Officer, C::Head, C::Operator, C::Administrator])
        }
        // The head keeps the reception hours of their own office.
        ("PUT", "/admin/offices/{id}/schedule") => Rule::OfficeOf(&[C::Head, C::Administrator]),
        (_, p) if p.starts_with("/admin/offices") => Rule::Staff(&[C::Administrator]),
        ("GET", "/admin/fees") => Rule::Staff(ANY_STAFF),
        (_, p) if p.starts_with("/admin/staff") || p.starts_with("/admin/fees") => {
            Rule::Staff(&[C::Administrator])
        }
        (_, "/audit") => Rule::Staff(&[C::Auditor]),
        (_, p) if p.starts_with("/operator/") => Rule::Staff(&[C::Operator]),
        (_, "/office/people/{id}") => Rule::Office(WORKERS),
        // The administrator sees the applications no office serves.
        ("GET", "/office/applications") => Rule::Staff(&[C::Officer, C::Head, C::Administrator]),
        ("POST", "/office/applications/ready") => Rule::Staff(WORKERS),
        ("GET", "/office/visits") => Rule::Staff(WORKERS),
        ("POST", "/office/payments") => Rule::Staff(WORKERS),
        ("PUT", "/office/applications/{id}/office") => Rule::Reassign,
        (_, p) if p.starts_with("/office/") => Rule::Office(WORKERS),
        _ => return None,
    })
}

/// The rule of a page route.
fn page_rule(method: &Method, path: &str) -> Option<Rule> {
    let m = method.as_str();
    Some(match (m, path) {
        (_, "/" | "/register" | "/register/confirm/{id}" | "/register/confirm/{id}/resend") => {
            Rule::Open
        }
        (_, "/login" | "/login/second-factor/{id}" | "/staff/login") => Rule::Open,
        (_, "/password-reset" | "/password-reset/{id}") => Rule::Open,
        (_, "/services" | "/services/{code}" | "/demo/mailbox" | "/lang/{code}") => Rule::Open,
        (_, p) if p.starts_with("/static/") => Rule::Open,
        (_, "/healthz" | "/readyz" | "/metrics") => Rule::Open,
        ("POST", "/logout" | "/account/sessions/end") => Rule::Ends,
        (_, "/account" | "/account/security") => Rule::SignedIn,
        ("POST", "/account/identity" | "/account/second-factor/off") => Rule::PeopleOnly,
        (_, "/account/password" | "/account/identity" | "/account/data-access") => Rule::SignedIn,
        (_, p) if p.starts_with("/account/second-factor") => Rule::SignedIn,
        (_, p) if p.starts_with("/account/profile") || p.starts_with("/account/confirmation") => {
            Rule::Person
        }
        ("POST", "/services/{code}/start") => Rule::Confirmed,
        (_, "/applications" | "/documents" | "/inbox" | "/inbox/read") => Rule::Person,
        (_, "/consents" | "/consents/claim") => Rule::Person,
        (_, "/inbox/{id}/read") => Rule::OwnQuiet,
        (_, "/documents/{id}") => Rule::Own,
        (_, "/consents/{id}/approve" | "/consents/{id}/refuse") => Rule::Own,
        (_, p) if p.starts_with("/applications/{id}") => Rule::Own,
        (_, "/staff") => Rule::Staff(ANY_STAFF),
        (_, p) if p.starts_with("/staff/operator") => Rule::Staff(&[C::Operator]),
        (_, "/staff/audit") => Rule::Staff(&[C::Auditor]),
        (_, p) if p.starts_with("/staff/admin") => Rule::Staff(&[C::Administrator]),
        (_, "/staff/schedule") => Rule::Staff(&[C::Head, C::Administrator]),
        ("GET", "/staff/applications") => Rule::Staff(&[C::Officer, C::Head, C::Administrator]),
        (_, "/staff/visits" | "/staff/applications/ready") => Rule::Staff(WORKERS),
        (_, "/staff/visits/{id}/{what}" | "/staff/documents/{id}") => Rule::Office(WORKERS),
        (_, p) if p.starts_with("/staff/applications/{id}") => Rule::Office(WORKERS),
        _ => return None,
    })
}

/// `(method, path)` of every `.route(..)` in `src` (between `from` and the
/// end of that function).
fn routes_in(src: &str, from: &str, known: &[&str]) -> Vec<(Method, String)> {
    let start = src.find(from).expect("the router function");
    let body = &src[start..];
    let body = &body[..body.find("\n}\n").unwrap_or(body.len())];
    // Line comments out (a commented-out route is no route).
    let body: String = body
        .lines()
        .map(|l| l.split_once("//").map_or(l, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n");
    // Only `.route(path, get(..).post(..)..)` is read: any other way of
    // adding routes would slip past this test, so it must not be there.
    for other in [
        "any(",
        "patch(",
        "on(",
        "route_service(",
        ".nest(",
        ".merge(",
        "fallback",
    ] {
        let unknown =
            body.matches(other).count() > known.iter().filter(|k| k.contains(other)).count();
        assert!(
            !unknown,
            "the router uses `{other}`: teach `routes_in` to read it"
        );
    }
    let mut out = Vec::new();
    for chunk in body.split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).expect("a path literal").to_owned();
        let bytes = chunk.as_bytes();
        for (name, method) in [
            ("get(", Method::GET),
            ("post(", Method::POST),
            ("put(", Method::PUT),
            ("delete(", Method::DELETE),
        ] {
            let found = chunk.match_indices(name).any(|(i, _)| {
                i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')
            });
            if found {
                out.push((method, path.clone()));
            }
        }
    }
    out
}

fn api_routes() -> Vec<(Method, String)> {
    let doc: Value = serde_json::from_str(API_DOCUMENT).unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in item.as_object().unwrap().keys() {
            if let Ok(method) = m.to_uppercase().parse::<Method>()
                && ["GET", "POST", "PUT", "DELETE", "PATCH"].contains(&method.as_str())
            {
                out.push((method, path.clone()));
            }
        }
    }
    out
}

/// The callers' credentials: a bearer token each (the same token is the
/// browser's session cookie for pages).
struct Callers(BTreeMap<&'static str, String>);

impl Callers {
    fn token(&self, c: Caller) -> Option<&str> {
        let key = match c {
            C::Anonymous => return None,
            C::Owner => "owner",
            C::OtherPerson => "other",
            C::Officer => "officer",
            C::Head | C::OtherOfficeHead => "head",
            C::Operator => "operator",
            C::Administrator => "administrator",
            C::Auditor => "auditor",
        };
        self.0.get(key).map(String::as_str)
    }
}

/// Real ids for the path parameters.
struct Ids(BTreeMap<&'static str, String>);

impl Ids {
    /// `path` with its parameters filled in; whether every id is real.
    fn fill(&self, path: &str) -> (String, bool) {
        let mut out = String::new();
        let mut real = true;
        let mut rest = path;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = open + rest[open..].find('}').unwrap();
            let name = &rest[open + 1..close];
            let key = match (name, &rest[..open]) {
                ("file", before) if before.ends_with("/messages/files/") => "message_file",
                ("id", _) if path.starts_with("/inbox") => "inbox",
                ("id", _) if path.starts_with("/office/people") => "person",
                ("id", _) if path.starts_with("/operator/people") => "person",
                ("id", _) if path.starts_with("/admin/offices") => "office",
                ("id", _)
                    if path.starts_with("/applications/")
                        || path.contains("/applications/{id}") =>
                {
                    "application"
                }
                (other, _) => other,
            };
            real &= !MADE_UP.contains(&key);
            match self.0.get(key) {
                Some(v) => out.push_str(v),
                None => {
                    real = false;
                    out.push_str(NOBODY);
                }
            }
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        // No consent was asked for this application; the person is not of
        // the office's territory (the application went by its address).
        real &= !(path.ends_with("/consent") || path.starts_with("/office/people"));
        (out, real)
    }
}

/// The answer judged: `None` when it fits the verdict.
fn misfit(verdict: Verdict, real: bool, page: bool, status: u16, location: &str) -> Option<String> {
    let to_sign_in = page
        && (300..400).contains(&status)
        && (location.starts_with("/login") || location.starts_with("/staff/login"));
    let fits = match verdict {
        Verdict::LetIn => {
            status < 500
                && status != 401
                && status != 403
                && !to_sign_in
                && (!real || status != 404)
        }
        Verdict::SignIn => {
            if page {
                to_sign_in
            } else {
                status == 401
            }
        }
        Verdict::Forbidden => status == 403,
        Verdict::Hidden => status == 404,
        Verdict::SignedOut => status < 500 && status != 401 && status != 403,
        Verdict::Unsigned => status == 401,
    };
    (!fits).then(|| format!("{verdict:?} wanted, got {status} {location}"))
}

#[tokio::test]
async fn every_route_answers_each_caller_as_its_rule_says() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let mut tokens = BTreeMap::new();
        let mut recovery = Vec::new();
        for (role, email, password) in crate::staff::DEMO {
            let key = if role == "head_of_office" {
                "head"
            } else {
                role
            };
            let (token, codes) = staff_token(&app, email, password).await;
            if key == "officer" {
                recovery = codes;
            }
            tokens.insert(key, token);
        }
        let owner = confirmed_sidorov(&app, "+79161112233").await;
        let other = app
            .applicant("+79164445566", "Петров", "Иван", Some("Ильич"))
            .await;
        let application = sent(&app, &owner, "passport-internal").await;
        let mut ids = BTreeMap::from([
            ("application", application.clone()),
            ("office", MOSCOW.to_owned()),
            ("code", "passport-internal".to_owned()),
            ("kind", "registration".to_owned()),
            ("step", "accept".to_owned()),
            ("section", "applicant".to_owned()),
            ("what", "arrival".to_owned()),
            ("from", "2031-01-01".to_owned()),
        ]);
        let get = |path: String| {
            let (app, owner) = (&app, owner.clone());
            async move { app.with_token(Method::GET, &path, &owner, None).await.1 }
        };
        let me = get("/me".into()).await;
        ids.insert("person", me["id"].as_str().unwrap().to_owned());
        let files = get(format!("/applications/{application}/attachments")).await;
        if let Some(f) = files["items"].get(0) {
            let id = f["id"].as_str().or(f["file"].as_str()).unwrap();
            ids.insert("file", id.to_owned());
        }
        let charges = get(format!("/applications/{application}/charges")).await;
        if let Some(c) = charges["charges"].get(0).or(charges["items"].get(0)) {
            ids.insert("uin", c["uin"].as_str().unwrap().to_owned());
        }
        let inbox = get("/inbox".into()).await;
        if let Some(n) = inbox["items"].get(0).or(inbox["notices"].get(0)) {
            ids.insert("inbox", n["id"].as_str().unwrap().to_owned());
        }
        assert!(ids.contains_key("file"), "no file: {files}");
        assert!(ids.contains_key("uin"), "no charge: {charges}");
        assert!(ids.contains_key("inbox"), "no notice: {inbox}");
        tokens.insert("owner", owner);
        tokens.insert("other", other);
        let callers = Callers(tokens);
        let ids = Ids(ids);

        // Every route with its rule; a route without one is a failure.
        let mut routes = Vec::new();
        let mut missing = Vec::new();
        for (method, path) in api_routes() {
            match api_rule(&method, &path) {
                Some(rule) => routes.push((false, method, path, rule)),
                None => missing.push(format!("API {method} {path}")),
            }
        }
        let mut pages = routes_in(PAGE_ROUTER, "pub fn router()", &[]);
        // The top router merges the pages and nests the API (both read
        // here); its fallback is the "not found" page.
        let top = routes_in(
            TOP_ROUTER,
            "Router::new()",
            &[
                ".merge(pages::router())",
                ".nest(\"/api/v1\", api)",
                ".fallback(pages::not_found)",
            ],
        );
        assert_eq!(top.len(), 3, "the top router's own routes: {top:?}");
        pages.extend(top);
        assert!(pages.len() > 90, "the page router read: {}", pages.len());
        for (method, path) in pages {
            match page_rule(&method, &path) {
                Some(rule) => routes.push((true, method, path, rule)),
                None => missing.push(format!("page {method} {path}")),
            }
        }
        assert!(missing.is_empty(), "routes without a rule: {missing:#?}");
        // Routes that end the caller's session go last.
        let ends = |m: &Method, p: &str| {
            *m != Method::GET
                && matches!(
                    p,
                    "/sessions/current" | "/me/sessions" | "/logout" | "/account/sessions/end"
                )
        };
        // Routes that close the application (cancel, delete) go after the
        // rest, so those judge an open application.
        let closes = |m: &Method, p: &str| {
            p.ends_with("/cancel") && p.starts_with("/applications/")
                || p == "/applications/{id}/delete"
                || (*m == Method::DELETE && p == "/applications/{id}")
        };
        routes.sort_by_key(|(_, m, path, _)| (ends(m, path), closes(m, path)));

        let mut matrix = Matrix {
            app: &app,
            ids: &ids,
            plain: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            wrong: Vec::new(),
            calls: 0,
        };
        // The owner last: what others try on the owner's objects comes first.
        let callers_now = [
            C::Anonymous,
            C::OtherPerson,
            C::Officer,
            C::Head,
            C::Operator,
            C::Administrator,
            C::Auditor,
            C::Owner,
        ];
        let open = |r: &&(bool, Method, String, Rule)| !ends(&r.1, &r.2) && !closes(&r.1, &r.2);
        for (page, method, path, rule) in routes.iter().filter(open) {
            for caller in callers_now {
                matrix
                    .ask(&callers, caller, *page, method, path, *rule)
                    .await;
            }
        }
        // The head of office goes to St Petersburg: another office's staff,
        // judged while the application is still open.
        let admin = callers.token(C::Administrator).unwrap().to_owned();
        move_head(&app, &admin, "780-022").await;
        for (page, method, path, rule) in routes.iter().filter(open) {
            matrix
                .ask(&callers, C::OtherOfficeHead, *page, method, path, *rule)
                .await;
        }
        // Routes that close the application: every caller, the owner last
        // (the head is of the other office now; staff get 404 either way).
        for (page, method, path, rule) in routes.iter().filter(|r| closes(&r.1, &r.2)) {
            for caller in callers_now {
                matrix
                    .ask(&callers, caller, *page, method, path, *rule)
                    .await;
            }
        }
        // Session-ending routes: anonymous, then a fresh session of a
        // new person and of an officer (a recovery code for the second factor)
        // for each, so one ending does not decide the next.
        let ending: Vec<_> = routes.iter().filter(|r| ends(&r.1, &r.2)).collect();
        assert_eq!(ending.len(), 4, "{ending:?}");
        for (i, (page, method, path, rule)) in ending.into_iter().enumerate() {
            // A new person: the matrix has turned the others' second factor on.
            let person = app
                .applicant(&format!("+7916777000{i}"), "Орлова", "Анна", None)
                .await;
            let officer = staff_session(
                &app,
                "officer@demo.migportal.ru",
                "Demo-Officer-2026",
                &recovery[i],
            )
            .await;
            let fresh = Callers(BTreeMap::from([("owner", person), ("officer", officer)]));
            for caller in [C::Anonymous, C::Owner, C::Officer] {
                matrix.ask(&fresh, caller, *page, method, path, *rule).await;
            }
        }
        let (wrong, calls) = (matrix.wrong, matrix.calls);
        assert!(
            wrong.is_empty(),
            "{} of {calls} answers do not fit:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
        app.stop().await;
    })
    .await;
}

/// Signs a member of staff in again, the second factor by a recovery code.
async fn staff_session(app: &TestApp, email: &str, password: &str, recovery: &str) -> String {
    let (status, body) = app
        .post(
            "/staff/sessions",
            serde_json::json!({"login": email, "password": password}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let challenge = body["challenge_id"].as_str().unwrap();
    let (status, body) = app
        .post(
            &format!("/sessions/second-factor/{challenge}"),
            serde_json::json!({"code": recovery}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// Calls routes and collects the answers that do not fit.
struct Matrix<'a> {
    app: &'a TestApp,
    ids: &'a Ids,
    plain: reqwest::Client,
    wrong: Vec<String>,
    calls: usize,
}

impl Matrix<'_> {
    async fn ask(
        &mut self,
        callers: &Callers,
        caller: Caller,
        page: bool,
        method: &Method,
        path: &str,
        rule: Rule,
    ) {
        const CSRF: &str = "access-matrix-csrf-token-0123456789";
        let (url_path, real) = self.ids.fill(path);
        let token = callers.token(caller);
        let req = if page {
            let mut cookie = format!("mp_csrf={CSRF}");
            if let Some(t) = token {
                cookie.push_str(&format!("; mp_session={t}"));
            }
            let r = self
                .plain
                .request(method.clone(), format!("{}{url_path}", self.app.url))
                .header("cookie", cookie);
            if *method == Method::GET {
                r
            } else {
                r.form(&[("csrf", CSRF)])
            }
        } else {
            let mut r = self
                .plain
                .request(method.clone(), format!("{}{url_path}", self.app.api));
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            if (method.as_str(), path) == ("PUT", "/applications/{id}") {
                r = r.header("if-match", "\"1\"");
            }
            match body_of(method, path) {
                Body::None => r,
                Body::Json(v) => r.json(&v),
                Body::Multipart => r.multipart(
                    reqwest::multipart::Form::new()
                        .text("field", "passport_copy")
                        .part(
                            "file",
                            reqwest::multipart::Part::bytes(b"%PDF-1.4 matrix".to_vec())
                                .file_name("a.pdf")
                                .mime_str("application/pdf")
                                .unwrap(),
                        ),
                ),
            }
        };
        let res = req.header("accept-language", "en").send().await.unwrap();
        self.calls += 1;
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if let Some(why) = misfit(verdict(rule, caller), real, page, status, &location) {
            let body: String = res
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect();
            self.wrong.push(format!(
                "{caller:?} {method} {url_path} ({rule:?}): {why} {body}"
            ));
        }
    }
}

enum Body {
    None,
    Json(Value),
    Multipart,
}

/// A request body the API's types accept (so a refusal is about who asks,
/// not about the shape), made from the OpenAPI document: every required
/// property, of its type, with values no rule of the domain takes where
/// that is easy (so a caller let through changes nothing).
fn body_of(method: &Method, path: &str) -> Body {
    if *method == Method::GET {
        return Body::None;
    }
    let doc: Value = serde_json::from_str(API_DOCUMENT).unwrap();
    let op = &doc["paths"][path][method.as_str().to_lowercase()];
    let content = &op["requestBody"]["content"];
    let mut body = match content.get("application/json") {
        Some(c) => example(&doc, &c["schema"]),
        None if content.get("multipart/form-data").is_some() => return Body::Multipart,
        None => Value::Object(Default::default()),
    };
    // A service that exists, so what decides is who asks.
    if (method.as_str(), path) == ("POST", "/applications") {
        body["service"] = "passport-internal".into();
    }
    // An office that exists, to send the application to.
    if (method.as_str(), path) == ("PUT", "/office/applications/{id}/office") {
        body["office_id"] = PETERSBURG.into();
    }
    Body::Json(body)
}

fn example(doc: &Value, schema: &Value) -> Value {
    if let Some(r) = schema["$ref"].as_str() {
        let mut at = doc;
        for part in r.trim_start_matches("#/").split('/') {
            at = &at[part];
        }
        return example(doc, at);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(first) = schema[key].get(0) {
            return example(doc, first);
        }
    }
    if let Some(first) = schema["enum"].get(0) {
        return first.clone();
    }
    let ty = match &schema["type"] {
        Value::Array(types) => types
            .iter()
            .find(|t| *t != "null")
            .cloned()
            .unwrap_or(Value::Null),
        other => other.clone(),
    };
    match ty.as_str() {
        Some("object") => {
            let mut out = serde_json::Map::new();
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap();
                out.insert(name.to_owned(), example(doc, &schema["properties"][name]));
            }
            // A stale version where one may be named: a decision reaches
            // the check of who decides, then fails on the version.
            if schema["properties"].get("version").is_some() {
                out.insert("version".into(), Value::from(1));
            }
            Value::Object(out)
        }
        Some("array") => {
            let n = schema["minItems"].as_u64().unwrap_or(0) as usize;
            Value::Array(vec![example(doc, &schema["items"]); n])
        }
        Some("integer") | Some("number") => {
            serde_json::json!(schema["minimum"].as_i64().unwrap_or(1).max(1))
        }
        Some("boolean") => Value::Bool(false),
        Some("string") => match schema["format"].as_str() {
            Some("uuid") => Value::String(NOBODY.into()),
            Some("date") => Value::String("2031-01-01".into()),
            _ => Value::String("x".into()),
        },
        _ => Value::Object(Default::default()),
    }
}
