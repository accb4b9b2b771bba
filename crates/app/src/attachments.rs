//! Files attached to an application (photos, scans): the type decided by
//! content, the field's size limit, images decoded within limits (a
//! decompression bomb is refused before it is unpacked) and re-encoded so no
//! metadata (location, camera) survives, PDFs that would run something
//! refused; the bytes kept behind [`BlobStore`], shown only to the owner.

use crate::Portal;
use crate::error::{AppError, ErrorKind};
use crate::session::Actor;
use domain::form::{FieldKind, FileType, Problem};
use store::{Attachment, Once};
use uuid::Uuid;

pub use crate::blobs::{BlobStore, LocalBlobs};

/// An uploaded file as its owner sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AttachmentView {
    pub id: String,
    pub field: String,
    pub media_type: String,
    pub size: i64,
    pub file_name: String,
    pub created_at: i64,
}

impl From<&Attachment> for AttachmentView {
    fn from(a: &Attachment) -> Self {
        Self {
            id: a.id.clone(),
            field: a.field.clone(),
            media_type: a.media_type.clone(),
            size: a.size,
            file_name: a.file_name.clone(),
            created_at: a.created_at,
        }
    }
}

/// Images are decoded only within these bounds.
const MAX_SIDE: u32 = 8000;
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

fn refused(code: &'static str, field: &str) -> AppError {
    AppError::answers(vec![Problem::at(code, field)])
}

/// Decodes an image within limits and encodes it again (no metadata
/// survives); a photo's pixel size and aspect are checked.
fn clean_image(
    bytes: &[u8],
    kind: FileType,
    photo: bool,
    field: &str,
) -> Result<Vec<u8>, AppError> {
    use image::ImageReader;
    let format = match kind {
        FileType::Jpeg => image::ImageFormat::Jpeg,
        FileType::Png => image::ImageFormat::Png,
        FileType::Pdf => return Ok(bytes.to_vec()),
    };
    let mut reader = ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let img = reader.decode().map_err(|_| refused("file.broken", field))?;
    if photo && let Some(code) = domain::attachment::photo_problem(img.width(), img.height()) {
        return Err(refused(code, field));
    }
    let mut out = std::io::Cursor::new(Vec::new());
    let written = match kind {
        FileType::Jpeg => img.to_rgb8().write_to(&mut out, format),
        _ => img.write_to(&mut out, format),
    };
    written.map_err(AppError::internal)?;
    Ok(out.into_inner())
}

/// The last named part of a pointer (`/children/0/photo` → `photo`).
fn field_name(pointer: &str) -> &str {
    pointer
        .rsplit('/')
        .find(|p| !p.is_empty() && !p.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("file")
}

/// A file name made safe to show and to send back in a header.
pub(crate) fn safe_name(name: &str, kind: FileType) -> String {
    let base: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
        .take(80)
        .collect();
    let stem = base
        .rsplit_once('.')
        .map_or(base.as_str(), |(s, _)| s)
        .trim();
    let stem = if stem.is_empty() { "file" } else { stem };
    format!("{stem}.{}", kind.extension())
}

/// Uploads a file for the answer at `field` (a JSON Pointer such as
/// `/photo` or `/children/0/photo`) of the person's editable application.
/// The name the file had on the person's computer is not kept (it often
/// holds their name); the file is called after its field.
pub async fn upload(
    state: &Portal,
    actor: &Actor,
    application_id: Uuid,
    field: &str,
    bytes: &[u8],
    idem: Option<crate::applications::Idempotency>,
) -> Result<AttachmentView, AppError> {
    let app = state
        .store
        .get_application(application_id, actor.account.id)
        .await?;
    if !app.status.is_editable() {
        return Err(AppError::new(
            ErrorKind::Conflict,
            "application.not_editable",
        ));
    }
    if let Some(open) = crate::applicant_steps::open_fields(state, &app).await?
        && !field
            .strip_prefix('/')
            .and_then(|p| p.split('/').next())
            .is_some_and(|top| open.iter().any(|o| o == top))
    {
        return Err(AppError::new(
            ErrorKind::Conflict,
            "application.field_locked",
        ));
    }
    let def = state
        .catalogue
        .get(&app.service)
        .ok_or_else(|| AppError::new(ErrorKind::NotFound, "service.unknown"))?;
    let Some(FieldKind::File {
        accept,
        max_bytes,
        photo,
    }) = domain::form::field_at(&def.form, field).map(|f| &f.kind)
    else {
        return Err(refused("file.not_a_field", field));
    };
    let stored = store_file(
        state,
        bytes,
        accept,
        *max_bytes,
        *photo,
        field,
        &format!("applications/{application_id}"),
    )
    .await?;
    let (key, kind) = (stored.object_key, stored.kind);
    let record = Attachment {
        id: stored.id,
        application_id,
        account_id: actor.account.id,
        field: field.to_owned(),
        media_type: kind.media_type().to_owned(),
        size: stored.size,
        sha256: stored.sha256,
        // The name on the person's computer often holds their name: not kept.
        file_name: safe_name(field_name(field), kind),
        object_key: key,
        key_id: state.vault.key_id().to_owned(),
        created_at: state.now(),
    };
    match state
        .store
        .add_attachment(record.clone(), idem.map(|k| k.stored()), state.now())
        .await
    {
        Ok(Once::Done(replaced)) => forget(state, &replaced).await,
        // The key added a file before: that one is the answer, this copy goes.
        Ok(Once::Replayed(first)) => {
            forget(state, std::slice::from_ref(&record.object_key)).await;
            let id = hex::encode(first.as_bytes());
            let files = state
                .store
                .attachments(application_id, actor.account.id)
                .await?;
            let earlier = files
                .iter()
                .find(|f| f.id == id)
                .ok_or_else(AppError::not_found)?;
            return Ok(AttachmentView::from(earlier));
        }
        Err(e) => {
            forget(state, std::slice::from_ref(&record.object_key)).await;
            return Err(e.into());
        }
    }
    Ok(AttachmentView::from(&record))
}

/// A file checked and kept: its id, where its sealed bytes are, what it is.
pub(crate) struct StoredFile {
    pub id: String,
    pub object_key: String,
    pub kind: FileType,
    pub size: i64,
    pub sha256: String,
}

/// Checks a file (size, type by content among `accept`, no active PDF,
/// images decoded within limits and re-encoded, a photo's shape) and keeps
/// it sealed under `prefix/…`. Problems are reported at `field`. The bytes
/// are kept before any row names them: a crash leaves an orphan, never a
/// row without its file.
pub(crate) async fn store_file(
    state: &Portal,
    bytes: &[u8],
    accept: &[FileType],
    max_bytes: u64,
    photo: bool,
    field: &str,
    prefix: &str,
) -> Result<StoredFile, AppError> {
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > max_bytes {
        return Err(refused("file.too_large", field));
    }
    let kind = domain::attachment::sniff(bytes)
        .filter(|k| accept.contains(k))
        .ok_or_else(|| refused("file.type", field))?;
    if kind == FileType::Pdf && domain::attachment::pdf_is_active(bytes) {
        return Err(refused("file.pdf_active", field));
    }
    let owned = bytes.to_vec();
    let field_owned = field.to_owned();
    // Decoding is CPU and memory work: off the async threads, two at a time.
    let permit = DECODING.acquire().await.map_err(AppError::internal)?;
    let clean = tokio::task::spawn_blocking(move || clean_image(&owned, kind, photo, &field_owned))
        .await
        .map_err(AppError::internal)??;
    drop(permit);
    let id = hex::encode(rand::random::<[u8; 16]>());
    let object_key = format!("{prefix}/{id}.{}", kind.extension());
    // Scans of passports are personal data: sealed like the answers.
    let sealed = state
        .vault
        .seal(&place(&object_key), &clean)
        .map_err(AppError::internal)?;
    state
        .blobs
        .put(&object_key, &sealed)
        .await
        .map_err(AppError::internal)?;
    Ok(StoredFile {
        id,
        object_key,
        kind,
        size: i64::try_from(clean.len()).unwrap_or(i64::MAX),
        sha256: {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(&clean))
        },
    })
}

/// The bytes of a kept file.
pub(crate) async fn read_file(
    state: &Portal,
    key_id: &str,
    object_key: &str,
) -> Result<Vec<u8>, AppError> {
    let sealed = state
        .blobs
        .get(object_key)
        .await
        .map_err(AppError::internal)?;
    state
        .vault
        .open(key_id, &place(object_key), &sealed)
        .map_err(AppError::internal)
}

/// What an upload is, for its idempotency key: the field and the file's
/// digest (a multipart body differs between tries by its boundary).
pub fn what_is_uploaded(field: &str, bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{field}\n{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// The person's files of an application.
pub async fn list(
    state: &Portal,
    actor: &Actor,
    application_id: Uuid,
) -> Result<Vec<AttachmentView>, AppError> {
    let files = state
        .store
        .attachments(application_id, actor.account.id)
        .await?;
    // No files: someone else's application is not found, not empty.
    if files.is_empty() {
        state
            .store
            .get_application(application_id, actor.account.id)
            .await?;
    }
    Ok(files.iter().map(AttachmentView::from).collect())
}

/// One file's bytes, for its owner only.
pub async fn download(
    state: &Portal,
    actor: &Actor,
    application_id: Uuid,
    id: &str,
) -> Result<(AttachmentView, Vec<u8>), AppError> {
    let files = state
        .store
        .attachments(application_id, actor.account.id)
        .await?;
    let a = files
        .iter()
        .find(|a| a.id == id)
        .ok_or_else(AppError::not_found)?;
    let bytes = read_file(state, &a.key_id, &a.object_key).await?;
    Ok((AttachmentView::from(a), bytes))
}

/// File answers that name no file of this application uploaded for that
/// very field: each a `file.reference` problem.
pub async fn unbound(
    state: &Portal,
    application: &store::ApplicationRecord,
    def: &domain::catalogue::ServiceDef,
    answers: &serde_json::Value,
) -> Result<Vec<Problem>, AppError> {
    let refs = domain::form::file_answers(&def.form, answers);
    if refs.is_empty() {
        return Ok(Vec::new());
    }
    let files = state
        .store
        .attachments(application.id, application.account_id)
        .await?;
    Ok(refs
        .into_iter()
        .filter(|(path, id)| {
            !files
                .iter()
                .any(|f| &f.id == id && field_pattern(&f.field) == field_pattern(path))
        })
        .map(|(path, _)| Problem::at("file.reference", path))
        .collect())
}

/// Removes the bytes of files whose rows are gone (a deleted draft's, a
/// replaced file's).
pub(crate) async fn forget(state: &Portal, keys: &[String]) {
    for key in keys {
        if let Err(e) = state.blobs.delete(key).await {
            tracing::warn!(key = %key, error = %e, "an attachment's file was not removed");
        }
    }
}

/// The field a pointer names, with group indexes as `*`: a file stays bound
/// to its field when an earlier item of the group is removed.
fn field_pattern(pointer: &str) -> String {
    pointer
        .split('/')
        .map(|p| {
            if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
                "*"
            } else {
                p
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn place(object_key: &str) -> String {
    format!("attachments:{object_key}")
}

/// At most this many images are decoded at once (each may take up to
/// `MAX_ALLOC` bytes).
static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 180, 160]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn photos_are_measured_and_re_encoded() {
        let good = png(413, 531);
        assert!(clean_image(&good, FileType::Png, true, "/photo").is_ok());
        let square = png(600, 600);
        let e = clean_image(&square, FileType::Png, true, "/photo").unwrap_err();
        assert_eq!(e.problems[0].code, "photo.aspect");
        let e =
            clean_image(b"\x89PNG\r\n\x1a\n broken", FileType::Png, false, "/scan").unwrap_err();
        assert_eq!(e.problems[0].code, "file.broken");
    }

    /// A tiny PNG claiming 100 000 × 100 000 pixels is refused unopened.
    #[test]
    fn a_decompression_bomb_is_refused() {
        let mut bomb = png(1, 1);
        // Rewrite the IHDR width and height (bytes 16..24) and its CRC.
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        let e = clean_image(&bomb, FileType::Png, false, "/scan").unwrap_err();
        assert_eq!(e.problems[0].code, "file.broken");
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for b in data {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_name("../../etc/passwd", FileType::Pdf), "passwd.pdf");
        assert_eq!(
            safe_name("фото <script>.jpeg", FileType::Jpeg),
            "фото script.jpg"
        );
        assert_eq!(safe_name("", FileType::Png), "file.png");
    }
}
