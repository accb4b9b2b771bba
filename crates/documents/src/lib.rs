//! The documents a person receives (SPEC §7): application receipt,
//! invitation to the office, payment receipt, certificate of registration
//! at the place of stay, address-reference certificate, invitation for a
//! foreign national, refusal decision. Each is a [`Document`] — the words
//! are the caller's (from the catalogues), the layout is one typst template
//! — typeset into a tagged PDF (PDF/A-2a where it validates) with embedded
//! fonts that cover Cyrillic and the rouble sign.

mod world;

use serde_json::json;

pub use domain::document::{Document, DocumentKind};

/// A typeset document.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    /// The PDF/A level it validated as, if any.
    pub standard: Option<&'static str>,
}

#[derive(Debug, thiserror::Error)]
#[error("document not typeset: {0}")]
pub struct RenderError(pub String);

const TEMPLATE: &str = include_str!("../templates/document.typ");

/// Typesets `doc` as of `at_ms` (Unix milliseconds: the PDF's date).
pub fn render(doc: &Document, at_ms: i64) -> Result<Rendered, RenderError> {
    let (signature, signed_note) = match &doc.signature {
        Some((who, note)) => (Some(who.clone()), note.clone()),
        None => (None, String::new()),
    };
    let data = json!({
        "kind": doc.kind.as_str(),
        "title": doc.title,
        "issuer": doc.issuer,
        "issuer_address": doc.issuer_address,
        "number_label": doc.number_label,
        "number": doc.number,
        "date": doc.date,
        "lead": doc.lead,
        "rows": doc.rows.iter().map(|(l, v)| [l, v]).collect::<Vec<_>>(),
        "sections": doc.sections.iter().map(|(h, items)| json!({"heading": h, "items": items})).collect::<Vec<_>>(),
        "closing": doc.closing,
        "signature": signature,
        "signed_note": signed_note,
        "footer": doc.footer,
    });
    let bytes = serde_json::to_vec(&data).map_err(|e| RenderError(e.to_string()))?;
    let out = world::typeset(TEMPLATE, &bytes, at_ms.div_euclid(1000)).map_err(RenderError)?;
    Ok(Rendered {
        pdf: out.pdf,
        standard: out.standard,
    })
}
