//! What an uploaded file is, told by its content (a magic-number check: an
//! executable renamed `.pdf` is not a PDF), and the rules a passport photo
//! keeps. Pure: the caller decodes images and passes their size.

use crate::form::FileType;

/// Every code this module's rules report (and the upload use case adds).
pub const CODES: [&str; 7] = [
    "file.too_large",
    "file.type",
    "file.broken",
    "file.pdf_active",
    "photo.too_small",
    "photo.aspect",
    "file.not_a_field",
];

/// The type of a file by its first bytes.
pub fn sniff(bytes: &[u8]) -> Option<FileType> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileType::Jpeg)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(FileType::Png)
    } else if bytes.starts_with(b"%PDF-") {
        Some(FileType::Pdf)
    } else {
        None
    }
}

impl FileType {
    pub const fn media_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Pdf => "application/pdf",
        }
    }

    pub const fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Pdf => "pdf",
        }
    }
}

/// A PDF that would run something when opened (scripts, launch and other
/// actions, embedded files, forms that submit, rich media) has no place in an
/// application. Names are compared after undoing `#xx` escapes
/// (`/J#61vaScript`). Compressed object streams are not inflated here, so
/// staff open files only in the sandboxed download.
pub fn pdf_is_active(bytes: &[u8]) -> bool {
    const ACTIVE: [&[u8]; 11] = [
        b"/javascript",
        b"/js",
        b"/launch",
        b"/embeddedfile",
        b"/openaction",
        b"/aa",
        b"/submitform",
        b"/importdata",
        b"/xfa",
        b"/richmedia",
        b"/gotor",
    ];
    let names = pdf_names(bytes);
    names.iter().any(|n| ACTIVE.contains(&n.as_slice()))
}

/// Every PDF name (`/Something`) in lower case with `#xx` escapes undone.
fn pdf_names(bytes: &[u8]) -> Vec<Vec<u8>> {
    let delimiter = |b: u8| b.is_ascii_whitespace() || b"()<>[]{}/%".contains(&b);
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'/' {
            i += 1;
            continue;
        }
        let mut name = vec![b'/'];
        i += 1;
        while i < bytes.len() && !delimiter(bytes[i]) {
            let b = bytes[i];
            let escaped = (b == b'#')
                .then(|| Some((hex(*bytes.get(i + 1)?)?, hex(*bytes.get(i + 2)?)?)))
                .flatten();
            if let Some((h, l)) = escaped {
                name.push(u8::try_from(h * 16 + l).unwrap_or(0).to_ascii_lowercase());
                i += 3;
            } else {
                name.push(b.to_ascii_lowercase());
                i += 1;
            }
        }
        out.push(name);
    }
    out
}

/// A passport photo (35 × 45 mm) at 300 dpi at least: 413 × 531 pixels,
/// with the aspect of 35:45 give or take 3 %.
pub fn photo_problem(width: u32, height: u32) -> Option<&'static str> {
    if width < 413 || height < 531 {
        return Some("photo.too_small");
    }
    let aspect = f64::from(width) / f64::from(height);
    let wanted = 35.0 / 45.0;
    ((aspect - wanted).abs() / wanted > 0.03).then_some("photo.aspect")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn types_by_content_not_by_name() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some(FileType::Pdf));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(FileType::Jpeg));
        assert_eq!(sniff(b"MZ\x90\x00 an executable named .pdf"), None);
        assert_eq!(sniff(b"\x7fELF"), None);
        assert!(pdf_is_active(
            b"%PDF-1.4 << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>"
        ));
        assert!(!pdf_is_active(b"%PDF-1.4 plain text %%EOF"));
    }

    #[test]
    fn passport_photos() {
        assert_eq!(photo_problem(413, 531), None);
        assert_eq!(photo_problem(827, 1063), None);
        assert_eq!(photo_problem(400, 531), Some("photo.too_small"));
        assert_eq!(photo_problem(1000, 1000), Some("photo.aspect"));
    }

    proptest! {
        #[test]
        fn sniffing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = sniff(&bytes);
            let _ = pdf_is_active(&bytes);
        }
    }
}
