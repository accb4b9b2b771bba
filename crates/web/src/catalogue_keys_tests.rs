//! Every catalogue key written literally in the pages, the API and the use
//! cases exists: a missing one would show its key to a person instead of text.

use app::i18n::Lang;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs" || e == "html") {
            out.push(path);
        }
    }
}

/// A key at the start of `rest` (after its opening quote), if one is there.
fn key_at(rest: &str) -> Option<String> {
    let key: String = rest
        .chars()
        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .collect();
    let whole = rest[key.len()..].starts_with('"');
    (whole && key.contains('-') && !key.ends_with('-')).then_some(key)
}

/// The literal first arguments of `t("…")` and `t_args("…"` in a source
/// text (also on the next line), and every `"msg-…"` literal: the subjects
/// and bodies notices are made with.
fn keys(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for opener in ["t(", "t_args("] {
        for (i, _) in text.match_indices(opener) {
            // `.t(` or ` t(` only, not `print(` or `set_lang(`.
            let before = text[..i].chars().next_back();
            if !matches!(before, Some('.' | ' ' | '(' | '|')) {
                continue;
            }
            let rest = text[i + opener.len()..].trim_start();
            if let Some(key) = rest.strip_prefix('"').and_then(key_at) {
                out.push(key);
            }
        }
    }
    for (i, _) in text.match_indices("\"msg-") {
        out.extend(key_at(&text[i + 1..]));
    }
    out
}

#[test]
fn every_literal_key_is_in_every_catalogue() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for dir in ["src", "templates", "../app/src"] {
        files(&root.join(dir), &mut all);
    }
    let mut checked = 0;
    for file in all
        .into_iter()
        .filter(|f| !f.ends_with("catalogue_keys_tests.rs"))
    {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for key in keys(&text) {
            checked += 1;
            for lang in Lang::all() {
                assert!(
                    lang.has(&key),
                    "{}: `{key}` is not in {lang:?}",
                    file.display()
                );
            }
        }
    }
    assert!(checked > 500, "the scan finds the keys ({checked})");
}

#[test]
fn the_scan_reads_keys_as_they_are_written() {
    let text = "lang.t(\"a-b\"); l.t_args(\n    \"c-d\",\n &[]); job_at(id, \"msg-x-subject\", \"msg-\"); print(\"e-f\")";
    assert_eq!(keys(text), vec!["a-b", "c-d", "msg-x-subject"]);
}
