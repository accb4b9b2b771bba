//! A thread of messages as both sides' pages draw it.

use super::Link;
use app::i18n::Lang;
use app::messages::MessageView;

pub struct ThreadItem {
    pub from_office: bool,
    pub author: String,
    pub at: String,
    /// "Read 25.11.2026 14:03", when the other side has read it.
    pub read: Option<String>,
    pub text: String,
    pub files: Vec<Link>,
}

/// `files` is where a file of the thread is downloaded (`…/files/{id}`).
pub fn items(lang: Lang, thread: &[MessageView], files: &str, me_office: bool) -> Vec<ThreadItem> {
    thread
        .iter()
        .map(|m| ThreadItem {
            from_office: m.from_office,
            author: match (&m.office, m.from_office == me_office) {
                (_, true) => lang.t("messages-you"),
                (Some(office), false) => office.clone(),
                (None, false) => lang.t("messages-applicant"),
            },
            at: lang.moment(m.created_at),
            read: m
                .read_at
                .map(|t| lang.t_args("messages-read", &[("at", lang.moment(t))])),
            text: m.text.clone(),
            files: m
                .files
                .iter()
                .map(|f| Link {
                    href: format!("{files}/{}", f.id),
                    text: f.file_name.clone(),
                    primary: false,
                })
                .collect(),
        })
        .collect()
}

/// Reads a posted message (multipart: `text`, `csrf`, `file` parts).
pub fn uploads(files: Vec<(String, String, Vec<u8>)>) -> Vec<app::messages::Upload> {
    files
        .into_iter()
        .map(|(_, name, bytes)| app::messages::Upload { name, bytes })
        .collect()
}
