//! A person's applications over the API: drafts, saves bound to a version
//! (`If-Match`), submission with the electronic check; `Idempotency-Key`
//! honoured on the POSTs.

use super::json::ApiQuery;
use crate::error::{AppError, ErrorKind, HttpError};
use crate::session::Actor;
use crate::state::AppState;
use app::applications::{self, ApplicationView, Idempotency};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;

pub(crate) fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::not_found())
}

/// The application with its version as the entity tag.
fn with_etag(status: StatusCode, v: &ApplicationView) -> Response {
    // Straight from the view: no `Value` tree made first.
    let mut res = (status, Json(v)).into_response();
    if let Ok(tag) = HeaderValue::from_str(&format!("\"{}\"", v.version)) {
        res.headers_mut().insert(header::ETAG, tag);
    }
    res
}

/// `If-Match: "3"` (or `W/"3"`, or `3`) → 3: up to 18 digits, nothing else
/// (the pattern the OpenAPI document gives).
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, AppError> {
    let Some(raw) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let bad = || AppError::new(ErrorKind::Malformed, "application.if_match");
    let text = raw.to_str().map_err(|_| bad())?;
    let tag = text.strip_prefix("W/").unwrap_or(text);
    let digits = match tag.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"').ok_or_else(bad)?,
        None => tag,
    };
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    digits.parse::<i64>().map(Some).map_err(|_| bad())
}

pub(crate) fn idempotency(
    headers: &HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<Option<Idempotency>, AppError> {
    headers
        .get("idempotency-key")
        .map(|k| {
            let k = k
                .to_str()
                .map_err(|_| AppError::new(ErrorKind::Malformed, "idempotency.key"))?;
            Idempotency::new(k, method, path, body)
        })
        .transpose()
}

/// A JSON body read by hand (its bytes are also the idempotency
/// fingerprint); an empty body is `{}`.
pub(crate) fn body<T: DeserializeOwned>(headers: &HeaderMap, bytes: &[u8]) -> Result<T, AppError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let v = v.to_ascii_lowercase();
                v.starts_with("application/json") || v.contains("+json")
            });
        if !json {
            return Err(AppError::new(ErrorKind::Malformed, "json.content_type"));
        }
        bytes
    };
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            AppError::new(ErrorKind::Invalid, "json.schema").arg("detail", e.to_string())
        }
        _ => AppError::new(ErrorKind::Malformed, "json.syntax"),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewBody {
    service: String,
}

pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, HttpError> {
    let b: NewBody = body(&headers, &bytes)?;
    let idem = idempotency(&headers, "POST", "/api/v1/applications", &bytes)?;
    let v = applications::create(&state, &actor, &b.service, idem).await?;
    let mut res = with_etag(StatusCode::CREATED, &v);
    if let Ok(loc) = HeaderValue::from_str(&format!("/api/v1/applications/{}", v.id)) {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(res)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    limit: Option<u32>,
}

pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ListPage>, HttpError> {
    let before = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(
            Uuid::parse_str(c).map_err(|_| AppError::new(ErrorKind::Invalid, "cursor.invalid"))?,
        ),
    };
    let (items, next_cursor) =
        applications::list(&state, &actor, before, q.limit.unwrap_or(20)).await?;
    Ok(Json(ListPage { items, next_cursor }))
}

/// A page of the person's applications, serialised straight from its lines.
#[derive(serde::Serialize)]
pub struct ListPage {
    items: Vec<applications::ApplicationLine>,
    next_cursor: Option<Uuid>,
}

pub async fn get(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    let v = applications::get(&state, &actor, parse_id(&raw)?).await?;
    Ok(with_etag(StatusCode::OK, &v))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SaveBody {
    answers: Value,
    /// The version the answers were made on, when `If-Match` is not sent.
    #[serde(default)]
    version: Option<i64>,
}

pub async fn save(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, HttpError> {
    let id = parse_id(&raw)?;
    let b: SaveBody = body(&headers, &bytes)?;
    let version = if_match(&headers)?
        .or(b.version)
        .ok_or_else(|| AppError::new(ErrorKind::Malformed, "application.version_required"))?;
    let v = applications::save(&state, &actor, id, version, &b.answers).await?;
    Ok(with_etag(StatusCode::OK, &v))
}

pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
) -> Result<StatusCode, HttpError> {
    applications::delete(&state, &actor, parse_id(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitBody {
    /// The office chosen where the service allows any.
    office_code: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, HttpError> {
    let id = parse_id(&raw)?;
    let b: SubmitBody = body(&headers, &bytes)?;
    let path = format!("/api/v1/applications/{id}/submit");
    let idem = idempotency(&headers, "POST", &path, &bytes)?;
    let v = applications::submit_at(
        &state,
        &actor,
        id,
        if_match(&headers)?,
        idem,
        b.office_code.as_deref(),
    )
    .await?;
    Ok(with_etag(StatusCode::OK, &v))
}

/// The largest upload a request may carry (the largest field allows 10 MB).
pub const MAX_UPLOAD_BYTES: usize = 12 * 1024 * 1024;

/// A multipart body: its text parts and its (non-empty) files.
pub(crate) struct UploadParts {
    pub texts: Vec<(String, String)>,
    /// (part name, file name, bytes).
    pub files: Vec<(String, String, Vec<u8>)>,
}

impl UploadParts {
    pub(crate) fn text(&self, name: &str) -> Option<&str> {
        self.texts
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads a multipart body; anything unreadable is `Malformed`.
pub(crate) async fn read_multipart(
    mut mp: axum::extract::Multipart,
) -> Result<UploadParts, AppError> {
    let bad = |_| AppError::new(ErrorKind::Malformed, "multipart.invalid");
    let mut out = UploadParts {
        texts: Vec::new(),
        files: Vec::new(),
    };
    while let Some(part) = mp.next_field().await.map_err(bad)? {
        let name = part.name().unwrap_or_default().to_owned();
        if let Some(file_name) = part.file_name().map(str::to_owned) {
            let data = part.bytes().await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::new(ErrorKind::Malformed, "body.too_large")
                } else {
                    AppError::new(ErrorKind::Malformed, "multipart.invalid")
                }
            })?;
            if !data.is_empty() && out.files.len() < 20 {
                out.files.push((name, file_name, data.to_vec()));
            }
        } else if out.texts.len() < 2000 {
            out.texts.push((name, part.text().await.map_err(bad)?));
        }
    }
    Ok(out)
}

pub async fn upload(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
    headers: HeaderMap,
    mp: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, HttpError> {
    let id = parse_id(&raw)?;
    let mp = mp.map_err(|_| AppError::new(ErrorKind::Malformed, "multipart.invalid"))?;
    let parts = read_multipart(mp).await?;
    // Like JSON bodies, a form with parts the server does not know is refused.
    if let Some((unknown, _)) = parts.texts.iter().find(|(n, _)| n != "field") {
        let mut e = AppError::new(ErrorKind::Invalid, "validation_failed");
        e.problems = vec![domain::form::Problem::at(
            "field.unknown",
            format!("/{unknown}"),
        )];
        return Err(e.into());
    }
    let field = parts
        .text("field")
        .ok_or_else(|| AppError::field("field", "field.required"))?;
    let (_, _, bytes) = parts
        .files
        .first()
        .ok_or_else(|| AppError::field("file", "field.required"))?;
    // A multipart body's boundary changes between tries: the file's
    // field and content tell the request instead.
    let what = app::attachments::what_is_uploaded(field, bytes);
    let path = format!("/api/v1/applications/{id}/attachments");
    let idem = idempotency(&headers, "POST", &path, what.as_bytes())?;
    let v = app::attachments::upload(&state, &actor, id, field, bytes, idem).await?;
    Ok((StatusCode::CREATED, Json(json!(v))).into_response())
}

pub async fn attachments(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
) -> Result<Json<Value>, HttpError> {
    let files = app::attachments::list(&state, &actor, parse_id(&raw)?).await?;
    Ok(Json(json!({ "items": files })))
}

pub async fn download(
    State(state): State<AppState>,
    actor: Actor,
    Path((raw, file)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    let (meta, bytes) = app::attachments::download(&state, &actor, parse_id(&raw)?, &file).await?;
    Ok(file_response(&meta.media_type, &meta.file_name, bytes))
}

/// A stored file as a download that no browser runs or renders in place.
pub(crate) fn file_response(media_type: &str, file_name: &str, bytes: Vec<u8>) -> Response {
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(media_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    // RFC 6266: an ASCII fallback and the real (UTF-8) name.
    let utf8: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{utf8}"
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmptyBody {}

/// The offices a person may choose where a service allows any.
pub async fn offices(State(state): State<AppState>) -> Result<Json<Value>, HttpError> {
    Ok(Json(
        json!({ "offices": applications::offices(&state).await? }),
    ))
}

/// The full history of one's application, oldest first.
pub async fn history(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, HttpError> {
    let id = parse_id(&raw)?;
    let mut entries = app::applicant_steps::history(&state, &actor, id).await?;
    // Comments the portal wrote itself are read in the asker's language.
    let lang = crate::pages::request_lang(&headers);
    for e in &mut entries {
        if let Some(note) = &mut e.note {
            app::i18n::write_out_note(note, lang);
        }
    }
    Ok(Json(json!({ "items": entries })))
}

/// Cancels one's application while allowed (`If-Match` binds it to a version).
pub async fn cancel(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, HttpError> {
    let id = parse_id(&raw)?;
    let _: EmptyBody = body(&headers, &bytes)?;
    let v = app::applicant_steps::cancel(&state, &actor, id, if_match(&headers)?).await?;
    Ok(with_etag(StatusCode::OK, &v))
}

/// Sends a returned application again after the electronic check.
pub async fn resubmit(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, HttpError> {
    let id = parse_id(&raw)?;
    let _: EmptyBody = body(&headers, &bytes)?;
    let v = app::applicant_steps::resubmit(&state, &actor, id, if_match(&headers)?).await?;
    Ok(with_etag(StatusCode::OK, &v))
}
