//! The thread of an application between the applicant and the office
//! (SPEC §7): text and files (PDF, JPEG, PNG, judged by content), read
//! receipts, unread counts on both sides. Staff write as their office: the
//! person sees the office's name, never the officer's. Writing stops when
//! the application is closed.

use crate::Portal;
use crate::attachments::store_file;
use crate::error::{AppError, ErrorKind};
use crate::session::Actor;
use crate::staff::Staff;
use domain::form::{FileType, Problem};
use serde::Serialize;
use store::{ApplicationRecord, MessageFile, MessageRecord, NewMessage};
use uuid::Uuid;

/// The longest message, in characters.
pub const MAX_TEXT: usize = 4000;
/// Files one message may carry, and the largest.
pub const MAX_FILES: usize = 3;
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;
const ACCEPT: [FileType; 3] = [FileType::Pdf, FileType::Jpeg, FileType::Png];

/// Every code this module reports.
pub const CODES: [&str; 4] = [
    "message.closed",
    "message.empty",
    "message.too_long",
    "message.too_many_files",
];

/// A file as it is sent: the name on the sender's computer, the bytes.
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    pub id: Uuid,
    /// Written by the office (else by the applicant).
    pub from_office: bool,
    /// The office's name for its messages: staff write as their office.
    pub office: Option<String>,
    pub text: String,
    pub created_at: i64,
    /// When the other side first read it.
    pub read_at: Option<i64>,
    pub files: Vec<FileView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileView {
    pub id: String,
    pub media_type: String,
    pub size: i64,
    pub file_name: String,
}

fn place(id: Uuid) -> String {
    format!("message:{id}")
}

async fn views(state: &Portal, thread: Vec<MessageRecord>) -> Result<Vec<MessageView>, AppError> {
    let offices = state.store.list_offices().await?;
    thread
        .into_iter()
        .map(|m| {
            let text = state
                .vault
                .open(&m.key_id, &place(m.id), &m.sealed)
                .map_err(AppError::internal)?;
            Ok(MessageView {
                id: m.id,
                from_office: m.from_office,
                office: m
                    .from_office
                    .then(|| {
                        offices
                            .iter()
                            .find(|o| Some(o.id) == m.office_id)
                            .map(|o| o.name.clone())
                    })
                    .flatten(),
                text: String::from_utf8_lossy(&text).into_owned(),
                created_at: m.created_at,
                read_at: m.read_at,
                files: m
                    .files
                    .iter()
                    .map(|f| FileView {
                        id: f.id.clone(),
                        media_type: f.media_type.clone(),
                        size: f.size,
                        file_name: f.file_name.clone(),
                    })
                    .collect(),
            })
        })
        .collect()
}

/// The office's messages of one's application not yet read.
pub async fn unread_of(
    state: &Portal,
    actor: &Actor,
    application_id: Uuid,
) -> Result<i64, AppError> {
    Ok(state
        .store
        .unread_for_person(actor.account.id)
        .await?
        .into_iter()
        .find(|(id, _)| *id == application_id)
        .map_or(0, |(_, n)| n))
}

/// One's own thread; the office's messages become read.
pub async fn applicant_thread(
    state: &Portal,
    actor: &Actor,
    application_id: Uuid,
) -> Result<Vec<MessageView>, AppError> {
    state
        .store
        .get_application(application_id, actor.account.id)
        .await?;
    state
        .store
        .mark_read(application_id, true, state.now())
        .await?;
    // A read that writes: the person's lists must not count these as new
    // from a standby that lacks it.
    state.wrote(actor.account.id);
    let thread = state.store.thread(application_id).await?;
    views(state, thread).await
}

/// The thread of an application of the officer's office; the applicant's
/// messages become read.
pub async fn office_thread(
    state: &Portal,
    staff: &Staff,
    application_id: Uuid,
) -> Result<Vec<MessageView>, AppError> {
    crate::cases::at_office(state, staff, application_id).await?;
    state
        .store
        .mark_read(application_id, false, state.now())
        .await?;
    let thread = state.store.thread(application_id).await?;
    views(state, thread).await
}

/// Checks the text and keeps the files; what a message will hold.
async fn prepare(
    state: &Portal,
    r: &ApplicationRecord,
    text: &str,
    files: Vec<Upload>,
) -> Result<(String, Vec<MessageFile>), AppError> {
    if !domain::lifecycle::may(r.status, domain::lifecycle::Ability::Write) {
        return Err(AppError::new(ErrorKind::Conflict, "message.closed"));
    }
    let text = text.trim();
    if text.chars().count() > MAX_TEXT {
        return Err(AppError::answers(vec![Problem::at(
            "message.too_long",
            "/text",
        )]));
    }
    if text.is_empty() && files.is_empty() {
        return Err(AppError::answers(vec![Problem::at(
            "message.empty",
            "/text",
        )]));
    }
    if files.len() > MAX_FILES {
        return Err(AppError::answers(vec![Problem::at(
            "message.too_many_files",
            "/files",
        )]));
    }
    let mut kept = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let stored = store_file(
            state,
            &f.bytes,
            &ACCEPT,
            MAX_FILE_BYTES,
            false,
            &format!("/files/{i}"),
            &format!("messages/{}", r.id),
        )
        .await;
        let stored = match stored {
            Ok(s) => s,
            Err(e) => {
                forget(state, &kept).await;
                return Err(e);
            }
        };
        kept.push(MessageFile {
            file_name: crate::attachments::safe_name(&f.name, stored.kind),
            id: stored.id,
            media_type: stored.kind.media_type().to_owned(),
            size: stored.size,
            sha256: stored.sha256,
            object_key: stored.object_key,
            key_id: state.vault.key_id().to_owned(),
        });
    }
    Ok((text.to_owned(), kept))
}

async fn forget(state: &Portal, files: &[MessageFile]) {
    let keys: Vec<String> = files.iter().map(|f| f.object_key.clone()).collect();
    crate::attachments::forget(state, &keys).await;
}

async fn post(
    state: &Portal,
    r: &ApplicationRecord,
    author: Uuid,
    office_id: Option<Uuid>,
    text: &str,
    files: Vec<Upload>,
    notice: bool,
) -> Result<MessageView, AppError> {
    let (text, files) = prepare(state, r, text, files).await?;
    let id = Uuid::now_v7();
    let sealed = state
        .vault
        .seal(&place(id), text.as_bytes())
        .map_err(AppError::internal)?;
    let notice = notice.then(|| {
        crate::notice::job_at(
            r.account_id,
            "msg-office-message-subject",
            "msg-office-message-body",
            vec![("number".into(), r.number.clone().unwrap_or_default())],
            format!("/applications/{}/messages", r.id),
            format!("message:{id}"),
            state.now(),
        )
    });
    let kept = files.clone();
    let added = state
        .store
        .add_message(
            NewMessage {
                id,
                application_id: r.id,
                from_office: office_id.is_some(),
                author_id: author,
                office_id,
                key_id: state.vault.key_id().to_owned(),
                sealed,
                files,
                notice,
            },
            state.now(),
        )
        .await;
    if let Err(e) = added {
        forget(state, &kept).await;
        return Err(e.into());
    }
    let thread = state.store.thread(r.id).await?;
    views(state, thread.into_iter().filter(|m| m.id == id).collect())
        .await?
        .pop()
        .ok_or_else(|| AppError::internal("the message just written is gone"))
}

/// The applicant writes to the office.
pub async fn applicant_write(
    state: &Portal,
    actor: &Actor,
    application_id: Uuid,
    text: &str,
    files: Vec<Upload>,
) -> Result<MessageView, AppError> {
    let r = state
        .store
        .get_application(application_id, actor.account.id)
        .await?;
    post(state, &r, actor.account.id, None, text, files, false).await
}

/// The office writes to the applicant, who gets a notice.
pub async fn office_write(
    state: &Portal,
    staff: &Staff,
    application_id: Uuid,
    text: &str,
    files: Vec<Upload>,
) -> Result<MessageView, AppError> {
    let (who, r) = crate::cases::at_office(state, staff, application_id).await?;
    post(state, &r, who.id, r.office_id, text, files, true).await
}

/// A file of the thread: for its applicant, or for the office's staff (each
/// staff download recorded in the person's access log).
pub async fn file(
    state: &Portal,
    reader: Reader<'_>,
    application_id: Uuid,
    file_id: &str,
) -> Result<(FileView, Vec<u8>), AppError> {
    let r = match reader {
        Reader::Applicant(actor) => {
            state
                .store
                .get_application(application_id, actor.account.id)
                .await?
        }
        Reader::Office(staff) => {
            let (who, r) = crate::cases::at_office(state, staff, application_id).await?;
            crate::cases::record_read(state, &who, &r, "message_file").await?;
            r
        }
    };
    let thread = state.store.thread(r.id).await?;
    let f = thread
        .iter()
        .flat_map(|m| &m.files)
        .find(|f| f.id == file_id)
        .ok_or_else(AppError::not_found)?;
    let bytes = crate::attachments::read_file(state, &f.key_id, &f.object_key).await?;
    Ok((
        FileView {
            id: f.id.clone(),
            media_type: f.media_type.clone(),
            size: f.size,
            file_name: f.file_name.clone(),
        },
        bytes,
    ))
}

/// Who reads a thread's file.
pub enum Reader<'a> {
    Applicant(&'a Actor),
    Office(&'a Staff),
}
