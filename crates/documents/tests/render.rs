//! A document typeset for real, then read back with poppler's pdftotext and
//! pdfinfo (Debian's poppler-utils): the Cyrillic text and the rouble sign
//! come out as written, the PDF is tagged and says its language.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use documents::{Document, DocumentKind, render};
use std::process::Command;

fn sample(kind: DocumentKind) -> Document {
    Document {
        kind,
        title: "Квитанция об оплате государственной пошлины".into(),
        issuer: "Госпортал миграционных услуг".into(),
        issuer_address: "г. Москва".into(),
        number_label: "№".into(),
        number: "18800000000000000013".into(),
        date: "30.11.2026".into(),
        lead: vec!["Платёж получен и передан в ведомство; квитанцию предъявлять не нужно.".into()],
        rows: vec![
            ("Плательщик".into(), "Сидоров Пётр Алексеевич".into()),
            ("Сумма".into(), "6\u{a0}000,00\u{a0}₽".into()),
            ("УИН".into(), "18800000000000000013".into()),
        ],
        sections: vec![(
            "Что взять с собой".into(),
            vec![
                "паспорт гражданина РФ".into(),
                "старый заграничный паспорт — при наличии".into(),
            ],
        )],
        closing: vec!["Ёлки-палки: буква Ё тоже на месте.".into()],
        signature: Some((
            "Начальник отдела И. И. Иванов".into(),
            "Подписано электронной подписью".into(),
        )),
        footer: "migportal".into(),
    }
}

/// Whether poppler's tools are here; without them the test says SKIPPED
/// (CI sets `MIGPORTAL_REQUIRE_PDF_TOOLS=1` to fail instead).
fn have_tools() -> bool {
    let there = Command::new("pdftotext").arg("-v").output().is_ok();
    if !there {
        assert!(
            std::env::var_os("MIGPORTAL_REQUIRE_PDF_TOOLS").is_none(),
            "MIGPORTAL_REQUIRE_PDF_TOOLS=1 but pdftotext is missing: apt install poppler-utils"
        );
        eprintln!("SKIPPED: pdftotext is missing (apt install poppler-utils)");
    }
    there
}

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} (apt install poppler-utils): {e}"));
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn cyrillic_and_the_rouble_sign_survive_and_the_pdf_is_tagged() {
    let doc = sample(DocumentKind::PaymentReceipt);
    let r = render(&doc, 1_796_000_000_000).unwrap();
    assert_eq!(
        r.standard,
        Some("PDF/A-2a"),
        "validated as accessible PDF/A"
    );
    if !have_tools() {
        return;
    }
    assert!(r.pdf.starts_with(b"%PDF-"));
    let dir = std::env::temp_dir().join(format!("migportal-doc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("receipt.pdf");
    std::fs::write(&path, &r.pdf).unwrap();
    let p = path.to_str().unwrap();
    let text = tool("pdftotext", &["-layout", p, "-"]);
    for part in [
        "Квитанция об оплате государственной пошлины",
        "Сидоров Пётр Алексеевич",
        "6 000,00 ₽",
        "18800000000000000013",
        "Что взять с собой",
        "паспорт гражданина РФ",
        "Ёлки-палки",
        "Подписано электронной подписью",
    ] {
        let flat = text.replace('\u{a0}', " ");
        assert!(flat.contains(part), "{part} not in:\n{text}");
    }
    let info = tool("pdfinfo", &[p]);
    assert!(
        info.contains("Tagged:")
            && info
                .lines()
                .any(|l| l.starts_with("Tagged:") && l.contains("yes")),
        "{info}"
    );
    assert!(
        info.contains("Title:") && info.contains("Квитанция"),
        "{info}"
    );
    assert_eq!(
        r.standard,
        Some("PDF/A-2a"),
        "validated as accessible PDF/A"
    );
    // Kept for a person to look at (CI keeps target/ as an artifact).
    let keep = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/documents");
    if std::fs::create_dir_all(&keep).is_ok() {
        let _ = std::fs::copy(&path, keep.join("payment-receipt-sample.pdf"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn text_from_outside_is_data_not_markup() {
    // A person's name with typst's markup characters stays text.
    let mut doc = sample(DocumentKind::ApplicationReceipt);
    doc.rows = vec![(
        "Заявитель".into(),
        "#panic(\"x\") *жирный* $x$ @ref <l> [скобки]".into(),
    )];
    let r = render(&doc, 1_796_000_000_000).unwrap();
    if !have_tools() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("migportal-doc2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("d.pdf");
    std::fs::write(&path, &r.pdf).unwrap();
    let text = tool("pdftotext", &[path.to_str().unwrap(), "-"]);
    assert!(
        text.contains("#panic(\"x\") *жирный* $x$ @ref <l> [скобки]"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
