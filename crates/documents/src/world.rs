//! The typst world a document is compiled in: the template as `/main.typ`,
//! the data as `/data.json`, the embedded fonts, no files or packages
//! beyond those (checked against typst 0.15.1).

use std::sync::LazyLock;
use typst::diag::{FileError, FileResult, PackageError, SourceDiagnostic, Warned};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

/// Moscow time: the offset of the documents' dates.
const MOSCOW_MINUTES: i32 = 3 * 60;

/// The standard library and fonts, built once per process.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let mut fonts = Vec::new();
    let mut book = FontBook::new();
    for (font, info) in typst_kit::fonts::embedded() {
        book.push(info);
        fonts.push(font);
    }
    Shared {
        library: LazyHash::new(Library::builder().build()),
        book: LazyHash::new(book),
        fonts,
    }
});

fn file_id(path: &str) -> Option<FileId> {
    let vpath = VirtualPath::new(path).ok()?;
    Some(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

struct DocWorld {
    main: Source,
    data_id: FileId,
    data: Bytes,
    /// Unix seconds of the document's date.
    at: i64,
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        &SHARED.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &SHARED.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else if id == self.data_id {
            Err(FileError::NotSource)
        } else {
            Err(not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        SHARED.fonts.get(index).cloned()
    }

    fn today(&self, offset: Option<Duration>) -> Option<Datetime> {
        let shift = match offset {
            Some(o) => {
                let s = o.seconds().trunc();
                if !s.is_finite() || s.abs() > 1.0e6 {
                    return None;
                }
                s as i64
            }
            None => i64::from(MOSCOW_MINUTES) * 60,
        };
        let (y, m, d, ..) = civil(self.at + shift);
        Datetime::from_ymd(y, m, d)
    }
}

fn not_found(id: FileId) -> FileError {
    match id.root() {
        VirtualRoot::Package(spec) => FileError::Package(PackageError::NotFound(spec.clone())),
        VirtualRoot::Project => FileError::NotFound(id.vpath().get_with_slash().into()),
    }
}

fn messages(diags: &[SourceDiagnostic]) -> String {
    diags
        .iter()
        .map(|d| d.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a compilation gave: the PDF, and the standard it meets.
pub struct Typeset {
    pub pdf: Vec<u8>,
    /// `Some("PDF/A-2a")` when it validated as one.
    pub standard: Option<&'static str>,
}

/// Compiles `template` with `data` at `at` (Unix seconds) into a tagged
/// PDF: PDF/A-2a (accessible archival) where the content allows, else
/// PDF/A-2b, else plain tagged PDF.
pub fn typeset(template: &str, data: &[u8], at: i64) -> Result<Typeset, String> {
    let (Some(main_id), Some(data_id)) = (file_id("/main.typ"), file_id("/data.json")) else {
        return Err("virtual paths".into());
    };
    let world = DocWorld {
        main: Source::new(main_id, template.to_owned()),
        data_id,
        data: Bytes::new(data.to_vec()),
        at,
    };
    let Warned { output, .. } = typst::compile::<PagedDocument>(&world);
    let document = output.map_err(|e| messages(&e))?;
    let local = at + i64::from(MOSCOW_MINUTES) * 60;
    let (y, mo, d, h, mi, s) = civil(local);
    let when = Datetime::from_ymd_hms(y, mo, d, h, mi, s).ok_or("a date out of range")?;
    let timestamp =
        Timestamp::new_local(when, MOSCOW_MINUTES).unwrap_or_else(|| Timestamp::new_utc(when));
    let mut last = String::new();
    for (standard, name) in [
        (Some(PdfStandard::A_2a), Some("PDF/A-2a")),
        (Some(PdfStandard::A_2b), Some("PDF/A-2b")),
        (None, None),
    ] {
        let standards = match standard {
            Some(s) => match PdfStandards::new(&[s]) {
                Ok(st) => st,
                Err(_) => continue,
            },
            None => PdfStandards::default(),
        };
        let options = PdfOptions {
            ident: Smart::Auto,
            creator: Smart::Custom(Some("migportal".into())),
            timestamp: Some(timestamp),
            page_ranges: None,
            standards,
            tagged: true,
            pretty: false,
        };
        match typst_pdf::pdf(&document, &options) {
            Ok(pdf) => {
                typst::comemo::evict(10);
                return Ok(Typeset {
                    pdf,
                    standard: name,
                });
            }
            Err(e) => last = messages(&e),
        }
    }
    typst::comemo::evict(10);
    Err(format!("PDF export failed: {last}"))
}

/// Unix seconds → (year, month, day, hour, minute, second), proleptic
/// Gregorian (H. Hinnant's `civil_from_days`).
fn civil(secs: i64) -> (i32, u8, u8, u8, u8, u8) {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = (if mp < 10 { mp + 3 } else { mp - 9 }) as u8;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    (
        y,
        m,
        d,
        (sod / 3600) as u8,
        ((sod % 3600) / 60) as u8,
        (sod % 60) as u8,
    )
}

#[cfg(test)]
mod tests {
    use super::civil;

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(civil(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(civil(1_767_225_599), (2025, 12, 31, 23, 59, 59));
    }
}
