//! Message catalogues (Fluent, `locales/*/main.ftl`) and language negotiation.
//! Russian is the default; English on request via the `lang` cookie or
//! `Accept-Language`.

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, static_loader};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "ru",
        // Isolation marks would show up as stray characters in HTML and SMS.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// One language the portal speaks: a directory `locales/<code>/` with the
/// same keys as the Russian catalogue. Nothing else names languages, so a
/// language is added by adding its catalogue (see README, "Languages").
struct Language {
    code: String,
    id: LanguageIdentifier,
}

/// Every catalogue compiled in, Russian (the default and fallback) first.
static LANGUAGES: LazyLock<Vec<Language>> = LazyLock::new(|| {
    let mut ids: Vec<LanguageIdentifier> = LOCALES.locales().cloned().collect();
    ids.sort_by_key(|id| (id.language.as_str() != "ru", id.to_string()));
    ids.into_iter()
        .map(|id| Language {
            code: id.language.as_str().to_owned(),
            id,
        })
        .collect()
});

/// A language of the catalogues, by its place in [`LANGUAGES`]; the default
/// is Russian.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Lang(u8);

impl std::fmt::Debug for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl Lang {
    /// Russian: the default, the fallback of every other catalogue and the
    /// language of official papers.
    pub const RU: Self = Self(0);

    /// Every language there is a catalogue for, Russian first.
    pub fn all() -> impl Iterator<Item = Self> {
        (0..LANGUAGES.len()).filter_map(|i| u8::try_from(i).ok().map(Self))
    }

    fn language(self) -> Option<&'static Language> {
        LANGUAGES.get(usize::from(self.0))
    }

    /// `ru`, `en`: the code in cookies, profiles and `lang` attributes.
    pub fn code(self) -> &'static str {
        self.language().map_or("ru", |l| l.code.as_str())
    }

    /// The language of `code` (`en`, ` EN `) when there is a catalogue for it.
    pub fn parse(s: &str) -> Option<Self> {
        let code = s.trim().to_ascii_lowercase();
        Self::all().find(|l| l.code() == code)
    }

    /// Picks the first supported language of an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut best: Option<(f32, Self)> = None;
        for part in header.split(',').take(20) {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(lang) = Self::parse(primary)
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }

    fn id(self) -> &'static LanguageIdentifier {
        static RU: LanguageIdentifier = fluent_templates::langid!("ru");
        self.language().map_or(&RU, |l| &l.id)
    }

    /// The text of `key`, or the key itself when a catalogue lacks it
    /// (a test asserts that never happens for keys the code uses).
    pub fn t(self, key: &str) -> String {
        LOCALES
            .try_lookup(self.id(), key)
            .unwrap_or_else(|| key.to_owned())
    }

    pub fn t_args<K: AsRef<str>>(self, key: &str, args: &[(K, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| (Cow::Owned(k.as_ref().to_owned()), self.argument(v)))
            .collect();
        LOCALES
            .try_lookup_with_args(self.id(), key, &map)
            .unwrap_or_else(|| key.to_owned())
    }

    /// Whether the catalogue of this very language has `key` (no fallback
    /// to Russian). A message that needs arguments fails to format without
    /// them and still counts; the crate's error type is private, hence the text.
    pub fn has(self, key: &str) -> bool {
        match LOCALES.lookup_single_language::<&str>(self.id(), key, None) {
            Ok(_) => true,
            Err(e) => e.to_string().starts_with("Fluent errors"),
        }
    }

    /// An amount of kopecks as people read money: `6 000,00 ₽`, `RUB 6,000.00`;
    /// the separators and the pattern are the catalogue's `fmt-*` texts.
    pub fn money(self, kopecks: i64) -> String {
        let sign = if kopecks < 0 { "-" } else { "" };
        let k = kopecks.unsigned_abs();
        let group = self.t("fmt-number-group");
        let digits = (k / 100).to_string();
        let mut whole = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                whole.push_str(&group);
            }
            whole.push(ch);
        }
        let number = format!(
            "{sign}{whole}{}{:02}",
            self.t("fmt-number-decimal"),
            k % 100
        );
        self.t_args("fmt-money", &[("number", number)])
    }

    /// A calendar date as people of this language write it: `14.03.1985`,
    /// `14 March 1985` (the catalogue's `fmt-date`).
    pub fn date(self, d: time::Date) -> String {
        let month = u8::from(d.month());
        self.t_args(
            "fmt-date",
            &[
                ("day", d.day().to_string()),
                ("dd", format!("{:02}", d.day())),
                ("mm", format!("{month:02}")),
                ("month", self.t(&format!("month-{month}"))),
                ("year", d.year().to_string()),
            ],
        )
    }

    /// A moment in Moscow time, where the offices keep their hours:
    /// `25.11.2026 14:03 МСК`, `25 November 2026, 14:03 Moscow time`.
    pub fn moment(self, ms: i64) -> String {
        let Some(t) = in_moscow(ms) else {
            return String::new();
        };
        self.t_args(
            "fmt-moment",
            &[
                ("date", self.date(t.date())),
                ("time", format!("{:02}:{:02}", t.hour(), t.minute())),
            ],
        )
    }

    /// The day of a moment in Moscow: `25.11.2026`, `25 November 2026`.
    pub fn day_of(self, ms: i64) -> String {
        in_moscow(ms)
            .map(|t| self.date(t.date()))
            .unwrap_or_default()
    }

    /// An argument written out: a marked moment, local moment or amount in
    /// this language (see [`moment_arg`]), else the value itself.
    fn argument(self, v: &str) -> FluentValue<'static> {
        let Some(marked) = v.strip_prefix(MARK) else {
            return value(v);
        };
        let written = match marked.split_once(':') {
            Some(("moment", ms)) => ms.parse().ok().map(|ms| self.moment(ms)),
            Some(("money", k)) => k.parse().ok().map(|k| self.money(k)),
            Some(("text", key)) => Some(self.t(key)),
            Some(("service", code)) => {
                crate::catalogue::service_name(code, self.code()).or_else(|| Some(code.to_owned()))
            }
            Some(("local", rest)) => rest
                .split_once(':')
                .and_then(|(ms, zone)| ms.parse().ok().and_then(|ms| self.local_moment(ms, zone))),
            _ => None,
        };
        FluentValue::from(written.unwrap_or_default())
    }

    /// A moment in an office's own time zone, as its visits are kept:
    /// `25.11.2026 14:30`, `25 November 2026, 14:30`.
    pub fn local_moment(self, ms: i64, zone: &str) -> Option<String> {
        let tz = jiff::tz::TimeZone::get(zone).ok()?;
        let at = jiff::Timestamp::from_millisecond(ms).ok()?.to_zoned(tz);
        let month = time::Month::try_from(u8::try_from(at.month()).ok()?).ok()?;
        let day = u8::try_from(at.day()).ok()?;
        let date = time::Date::from_calendar_date(i32::from(at.year()), month, day).ok()?;
        Some(self.t_args(
            "fmt-local-moment",
            &[
                ("date", self.date(date)),
                ("time", format!("{:02}:{:02}", at.hour(), at.minute())),
            ],
        ))
    }

    /// The language's own name, for the switch (`Русский`, `English`).
    pub fn name(self) -> String {
        self.t("lang-name")
    }
}

/// Marks an argument to be written in the language the text is read in,
/// which for a notice is known only when it is sent.
const MARK: &str = "\u{1}";

/// A moment as a message argument (notices, errors), written out by
/// [`Lang::t_args`] in the reader's language: `25.11.2026 14:03 МСК`,
/// `25 November 2026, 14:03 Moscow time`.
pub fn moment_arg(ms: i64) -> String {
    format!("{MARK}moment:{ms}")
}

/// A moment in an office's time zone as a message argument (visits).
pub fn local_moment_arg(ms: i64, zone: &str) -> String {
    format!("{MARK}local:{ms}:{zone}")
}

/// A service's name as a message argument, by its code.
pub fn service_arg(code: &str) -> String {
    format!("{MARK}service:{code}")
}

/// A catalogue text as a value stored for later (a comment the portal
/// itself writes), written out in the language it is read in.
pub fn text_arg(key: &str) -> String {
    format!("{MARK}text:{key}")
}

/// A stored value as a reader should see it: a marked argument written out
/// in `lang`, anything else (an officer's own words) as it is.
pub fn written(lang: Lang, v: &str) -> String {
    match lang.argument(v) {
        FluentValue::String(s) => s.into_owned(),
        _ => v.to_owned(),
    }
}

/// The comments of a step's note (`{"comments": [{"wrong", "fix"}]}`)
/// written out in `lang`, for answers that hand the note over as it is.
pub fn write_out_note(note: &mut serde_json::Value, lang: Lang) {
    let Some(comments) = note.get_mut("comments").and_then(|c| c.as_array_mut()) else {
        return;
    };
    for c in comments {
        for key in ["wrong", "fix"] {
            if let Some(v) = c
                .get(key)
                .and_then(|v| v.as_str())
                .map(|v| written(lang, v))
            {
                c[key] = v.into();
            }
        }
    }
}

/// An amount of kopecks as a message argument: `6 000,00 ₽`, `RUB 6,000.00`.
pub fn money_arg(kopecks: i64) -> String {
    format!("{MARK}money:{kopecks}")
}

/// An argument as Fluent should see it: a whole number written plainly
/// (`3`, not `03` or `+7…`) is a number, so plural forms can select on it;
/// anything else stays the text it is.
fn value(v: &str) -> FluentValue<'static> {
    match v.parse::<i64>() {
        Ok(n) if n.to_string() == v && n.unsigned_abs() < 1 << 53 => FluentValue::from(n),
        _ => FluentValue::from(v.to_owned()),
    }
}

fn in_moscow(ms: i64) -> Option<time::OffsetDateTime> {
    let moscow = time::UtcOffset::from_hms(3, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .map(|t| t.to_offset(moscow))
}

/// The catalogue key of an error code: `snils.checksum` → `err-snils-checksum`.
pub fn error_key(code: &str) -> String {
    format!("err-{}", code.replace(['.', '_'], "-"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn en() -> Lang {
        Lang::parse("en").unwrap()
    }

    #[test]
    fn negotiates_language() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Some(en()));
        assert_eq!(
            Lang::from_accept_language("de,en;q=0.5,ru;q=0.8"),
            Some(Lang::RU)
        );
        assert_eq!(Lang::from_accept_language("xx"), None);
        assert_eq!(Lang::from_accept_language(""), None);
        assert_eq!(Lang::parse(" EN "), Some(en()));
        assert_eq!(Lang::default(), Lang::RU);
    }

    #[test]
    fn looks_up_with_arguments() {
        assert_eq!(Lang::RU.t("nav-login"), "Войти");
        assert_eq!(en().t("nav-login"), "Sign in");
        let s = Lang::RU.t_args("err-otp-wrong", &[("attempts", "3".into())]);
        assert_eq!(s, "Неверный код. Осталось попыток: 3");
        assert_eq!(error_key("password.too_common"), "err-password-too-common");
        assert!(
            Lang::RU.has("form-item"),
            "a message with arguments is there"
        );
        assert!(!en().has("no-such-key"));
    }

    #[test]
    fn plural_forms_by_language() {
        let days = |lang: Lang, n: &str| lang.t_args("service-days", &[("days", n.to_owned())]);
        assert_eq!(days(Lang::RU, "1"), "1 календарный день");
        assert_eq!(days(Lang::RU, "3"), "3 календарных дня");
        assert_eq!(days(Lang::RU, "11"), "11 календарных дней");
        assert_eq!(days(Lang::RU, "21"), "21 календарный день");
        assert_eq!(days(Lang::RU, "30"), "30 календарных дней");
        assert_eq!(days(en(), "1"), "1 calendar day");
        assert_eq!(days(en(), "30"), "30 calendar days");
        // Not plain numbers stay as written.
        assert_eq!(value("04"), FluentValue::from("04"));
        assert_eq!(value("+7"), FluentValue::from("+7"));
        assert_eq!(value("2026"), FluentValue::from(2026));
    }

    #[test]
    fn money_as_people_read_it() {
        assert_eq!(Lang::RU.money(600_000), "6\u{a0}000,00\u{a0}₽");
        assert_eq!(Lang::RU.money(35_050), "350,50\u{a0}₽");
        assert_eq!(Lang::RU.money(-35_050), "-350,50\u{a0}₽");
        assert_eq!(en().money(123_456_789), "RUB 1,234,567.89");
        assert_eq!(en().money(5), "RUB 0.05");
    }

    #[test]
    fn dates_and_moments_as_people_read_them() {
        let d = time::macros::date!(1985 - 03 - 04);
        assert_eq!(Lang::RU.date(d), "04.03.1985");
        assert_eq!(en().date(d), "4 March 1985");
        // 2026-11-25 11:03 UTC is 14:03 in Moscow.
        let ms = 1_795_604_580_000;
        assert_eq!(Lang::RU.moment(ms), "25.11.2026 14:03 МСК");
        assert_eq!(en().moment(ms), "25 November 2026, 14:03 Moscow time");
        assert_eq!(en().day_of(ms), "25 November 2026");
        // A notice's moment is written when it is read, in the reader's language.
        let arg = [("time", moment_arg(ms))];
        assert!(
            Lang::RU
                .t_args("msg-password-changed", &arg)
                .contains("25.11.2026 14:03 МСК")
        );
        assert!(
            en().t_args("msg-password-changed", &arg)
                .contains("25 November 2026, 14:03 Moscow time")
        );
        // An office's own time, and money, likewise.
        let visit = [
            ("when", local_moment_arg(ms, "Asia/Novosibirsk")),
            ("address", "x".to_owned()),
        ];
        assert!(
            Lang::RU
                .t_args("msg-visit-set-body", &visit)
                .contains("25.11.2026 18:03")
        );
        assert!(
            en().t_args("msg-visit-set-body", &visit)
                .contains("25 November 2026, 18:03")
        );
        let sent = [
            ("service", service_arg("passport-internal")),
            ("number", "1".to_owned()),
        ];
        assert!(
            Lang::RU
                .t_args("msg-application-submitted-body", &sent)
                .contains("паспорт")
        );
        assert!(
            en().t_args("msg-application-submitted-body", &sent)
                .contains("passport")
        );
        let paid = [("amount", money_arg(600_000)), ("uin", "1".to_owned())];
        assert!(
            Lang::RU
                .t_args("msg-payment-received-body", &paid)
                .contains("6\u{a0}000,00\u{a0}₽ получен")
        );
        assert!(
            en().t_args("msg-payment-received-body", &paid)
                .contains("payment of RUB 6,000.00 for")
        );
        assert_eq!(Lang::RU.name(), "Русский");
        assert_eq!(en().name(), "English");
    }

    /// Every problem the form engine can report has a message in every language.
    #[test]
    fn every_form_code_has_messages() {
        let all = domain::form::CODES
            .iter()
            .chain(&domain::eligibility::CODES)
            .chain(&crate::applications::CODES)
            .chain(&crate::cases::CODES)
            .chain(&crate::messages::CODES)
            .chain(&crate::inbox::CODES)
            .chain(&crate::consents::CODES)
            .chain(&crate::visits::CODES)
            .chain(&crate::payments::CODES)
            .chain(&["office.unknown"])
            .chain(&domain::attachment::CODES);
        for code in all {
            for lang in Lang::all() {
                assert!(lang.has(&error_key(code)), "{lang:?} lacks {code}");
            }
        }
    }

    /// The catalogue directories, read now from the source tree.
    fn catalogue_files() -> Vec<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let code = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(path.join("main.ftl")).unwrap();
            out.push((code, text));
        }
        out.sort();
        out
    }

    /// A language is its catalogue directory: each one is a language of the
    /// portal and no language exists without one.
    #[test]
    fn the_languages_are_the_catalogue_directories() {
        let dirs: Vec<String> = catalogue_files().into_iter().map(|(c, _)| c).collect();
        let mut langs: Vec<String> = Lang::all().map(|l| l.code().to_owned()).collect();
        assert_eq!(langs[0], "ru", "Russian comes first");
        langs.sort();
        assert_eq!(langs, dirs);
        assert!(dirs.len() >= 2);
    }

    /// Every catalogue has exactly the keys of the Russian one, formats included.
    #[test]
    fn catalogues_have_the_same_keys() {
        let keys = |text: &str| -> Vec<String> {
            text.lines()
                .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_owned()))
                .filter(|k| !k.starts_with('#') && !k.is_empty())
                .collect()
        };
        let files = catalogue_files();
        let ru = files
            .iter()
            .find(|(c, _)| c == "ru")
            .map(|(_, t)| keys(t))
            .unwrap();
        for key in [
            "lang-name",
            "fmt-money",
            "fmt-date",
            "fmt-moment",
            "fmt-local-moment",
        ] {
            assert!(ru.contains(&key.to_owned()), "ru lacks {key}");
        }
        for (code, text) in &files {
            let other = keys(text);
            for k in &ru {
                assert!(other.contains(k), "{code} lacks {k}");
            }
            for k in &other {
                assert!(ru.contains(k), "ru lacks {k} that {code} has");
            }
        }
    }
}
