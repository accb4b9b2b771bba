//! The pages as people use them (issue 20): real headless Chromium (Debian's
//! `chromium` + `chromium-driver`) driven over WebDriver, at a phone and a
//! desktop size, with the page's scripts on and off. On every page a journey
//! visits: axe-core finds no WCAG 2.2 A/AA violation, the title names the
//! page and says when there is an error, every error in the summary links to
//! its field, and the page with its style and script weighs under 60 KB.
//! Screenshots of the key pages go to `target/screenshots/`.
//!
//! Without chromium, chromedriver or axe-core (`npm ci` in
//! `crates/migportal/tests/browser`) the tests say SKIPPED, unless
//! MIGPORTAL_REQUIRE_BROWSER is set (CI sets it).

mod journey;
mod officer_day;
mod other_pages;
pub mod webdriver;

use serde_json::{Value, json};
use std::path::PathBuf;
use webdriver::{Driver, ELEMENT_KEY, Element, Session, Setup};

/// Every page with its stylesheet and script, without images.
const MAX_PAGE_BYTES: u64 = 60 * 1024;

/// The WCAG 2.2 A/AA rules of axe-core.
const AXE_TAGS: [&str; 6] = [
    "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa",
];

fn axe_path() -> PathBuf {
    std::env::var_os("MIGPORTAL_AXE_JS").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/browser/node_modules/axe-core/axe.min.js")
        },
        PathBuf::from,
    )
}

pub fn screenshots_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
            PathBuf::from,
        )
        .join("screenshots")
}

/// The browser and axe-core, or why the tests cannot run here.
pub fn available() -> Option<String> {
    let missing: Vec<String> = [
        webdriver::CHROMIUM.into(),
        webdriver::CHROMEDRIVER.into(),
        axe_path(),
    ]
    .into_iter()
    .filter(|p: &PathBuf| !p.exists())
    .map(|p| p.display().to_string())
    .collect();
    if missing.is_empty() {
        return std::fs::read_to_string(axe_path()).ok();
    }
    assert!(
        std::env::var_os("MIGPORTAL_REQUIRE_BROWSER").is_none(),
        "MIGPORTAL_REQUIRE_BROWSER is set but missing: {missing:?}"
    );
    eprintln!("SKIPPED: browser tests need {missing:?}");
    None
}

/// A person at a browser: the session plus the checks run on every page.
pub struct Tab {
    pub s: Session,
    base: String,
    axe: String,
    pub who: &'static str,
    /// With the page's scripts off: a second browser that runs axe on its markup.
    auditor: Option<Session>,
    /// Pages checked, for the report.
    pub checked: Vec<String>,
}

impl Tab {
    pub async fn open(
        driver: &Driver,
        base: &str,
        axe: &str,
        setup: Setup,
        who: &'static str,
    ) -> Self {
        Self::open_in(driver, base, axe, setup, who, "ru-RU").await
    }

    /// A browser whose `Accept-Language` is `lang`.
    pub async fn open_in(
        driver: &Driver,
        base: &str,
        axe: &str,
        setup: Setup,
        who: &'static str,
        lang: &str,
    ) -> Self {
        let s = Session::new(driver, setup, lang).await;
        s.set_timeouts(30_000).await;
        let auditor = if setup.scripts {
            None
        } else {
            let a = Session::new(
                driver,
                Setup {
                    scripts: true,
                    ..setup
                },
                "ru-RU",
            )
            .await;
            a.set_timeouts(30_000).await;
            a.goto(&format!("{base}/static/style.css")).await;
            Some(a)
        };
        Self {
            s,
            auditor,
            base: base.to_owned(),
            axe: axe.to_owned(),
            who,
            checked: Vec::new(),
        }
    }

    /// Goes to a path of the portal and checks the page.
    pub async fn go(&mut self, path: &str) {
        self.s.goto(&format!("{}{path}", self.base)).await;
        self.check().await;
    }

    pub async fn path(&self) -> String {
        let url = self.s.current_url().await;
        url.strip_prefix(&self.base).unwrap_or(&url).to_owned()
    }

    /// The page's visible text, read in one step (a page being replaced
    /// cannot leave a stale element behind).
    pub async fn body_text(&self) -> String {
        self.s
            .execute(
                "return document.body ? document.body.innerText : '';",
                json!([]),
            )
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn see(&self, text: &str) {
        let body = self.body_text().await;
        assert!(
            body.contains(text),
            "{} at {}: «{text}» not on the page:\n{body}",
            self.who,
            self.path().await
        );
    }

    /// Types into the field with id `f-{name}`, else id `name`, else named `name`.
    pub async fn fill(&self, name: &str, value: &str) {
        let e = match self.s.try_find(&format!("[id=\"f-{name}\"]")).await {
            Some(e) => e,
            None => match self.s.try_find(&format!("[id=\"{name}\"]")).await {
                Some(e) => e,
                None => self.s.find(&format!("[name=\"{name}\"]")).await,
            },
        };
        self.s.clear(&e).await;
        self.s.type_into(&e, value).await;
    }

    pub async fn choose(&self, name: &str, value: &str) {
        let e = self
            .s
            .find(&format!("input[name=\"{name}\"][value=\"{value}\"]"))
            .await;
        self.s.click(&e).await;
    }

    /// Presses the button with this text and checks the page that follows.
    pub async fn press(&mut self, text: &str) {
        let b = self.s.by_text("button", text).await;
        self.navigate_by(&b).await;
    }

    /// Follows the first link `css` finds and checks the page that follows.
    pub async fn follow_at(&mut self, css: &str) {
        let a = self.s.find(css).await;
        self.navigate_by(&a).await;
    }

    /// Clicks and waits for the next page to load (a click returns before
    /// the navigation it starts), then checks it.
    async fn navigate_by(&mut self, e: &Element) {
        self.click_and_wait(e).await;
        self.check().await;
    }

    /// Clicks and waits until another page has loaded, failing with a
    /// screenshot when none comes.
    async fn click_and_wait(&self, e: &Element) {
        self.s
            .execute("document.documentElement.dataset.left = '1';", json!([]))
            .await;
        self.s.click(e).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let state = self
                .s
                .execute(
                    "return document.documentElement.dataset.left === '1' ? 'old' : document.readyState;",
                    json!([]),
                )
                .await;
            if state == "complete" {
                return;
            }
            if std::time::Instant::now() > deadline {
                self.shot("failure").await;
                panic!(
                    "{}: the click on «{}» at {} led nowhere (screenshot {}-failure.png)",
                    self.who,
                    self.s.text(e).await,
                    self.s.current_url().await,
                    self.s.setup.name()
                );
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    /// Presses the first button `css` finds and checks the page that follows.
    pub async fn press_at(&mut self, css: &str) {
        let b = self.s.find(css).await;
        self.navigate_by(&b).await;
    }

    /// Presses a button on a page outside the portal (the bank's): no
    /// checks there, only the wait for the page it leads to.
    pub async fn press_outside(&mut self, css: &str) {
        let b = self.s.find(css).await;
        self.click_and_wait(&b).await;
    }

    /// Follows a link of the header's menu. On a phone with scripts the menu
    /// is folded under its button, which must open it; elsewhere it is shown
    /// as it is and the button stays out of sight.
    pub async fn menu(&mut self, text: &str) {
        let folded = self
            .s
            .execute(
                "var b = document.querySelector('.menu-toggle');\
                 return !!b && !b.hidden && getComputedStyle(b).display !== 'none';",
                json!([]),
            )
            .await
            == json!(true);
        let narrow = self
            .s
            .execute("return innerWidth;", json!([]))
            .await
            .as_u64()
            <= Some(640);
        assert_eq!(
            folded,
            self.s.setup.scripts && narrow,
            "the menu button shows exactly on a narrow screen with scripts"
        );
        if folded {
            let toggle = self.s.find(".menu-toggle").await;
            self.s.click(&toggle).await;
            assert_eq!(
                self.s.attribute(&toggle, "aria-expanded").await.as_deref(),
                Some("true")
            );
        }
        let xpath = format!("//ul[@id='menu']//a[normalize-space(.)='{text}']");
        let a = self.s.by_xpath(&xpath).await;
        self.navigate_by(&a).await;
    }

    /// Follows the link with this text and checks the page that follows.
    pub async fn follow(&mut self, text: &str) {
        let a = self.s.by_text("a", text).await;
        self.navigate_by(&a).await;
    }

    /// A screenshot named by page and set-up, for a person to look at.
    pub async fn shot(&self, name: &str) {
        let file = screenshots_dir().join(format!("{}-{name}.png", self.s.setup.name()));
        self.s.screenshot(&file).await;
    }

    /// The checks every page passes.
    pub async fn check(&mut self) {
        let path = self.path().await;
        let title = self.s.title().await;
        let lang = self
            .s
            .execute("return document.documentElement.lang;", json!([]))
            .await;
        let (site, error) = if lang == "en" {
            ("Migration services portal", "Error: ")
        } else {
            ("Госпортал миграционных услуг", "Ошибка: ")
        };
        assert!(
            title.ends_with(site) && title.len() > site.len() + 5,
            "{path}: the title must name the page: «{title}»"
        );
        // An error summary: the title says so and every error links to its field.
        let errors = self.s.find_all(".error-summary").await;
        if !errors.is_empty() {
            assert!(
                title.starts_with(error),
                "{path}: a page with errors must say so in its title: «{title}»"
            );
            let hrefs = self
                .s
                .execute(
                    "return Array.from(document.querySelectorAll('.error-summary a'), a => a.getAttribute('href'));",
                    json!([]),
                )
                .await;
            for href in hrefs.as_array().into_iter().flatten() {
                let href = href.as_str().unwrap_or_default();
                // A link within the page, never away from it.
                let id = href
                    .strip_prefix('#')
                    .unwrap_or_else(|| panic!("{path}: the error link {href} leaves the page"));
                assert!(
                    self.s.try_find(&format!("[id=\"{id}\"]")).await.is_some(),
                    "{path}: the error link {href} has no field"
                );
            }
        }
        // With scripts, the error summary has the focus, so a screen reader
        // reads it first and the keyboard starts there.
        if !errors.is_empty() && self.s.setup.scripts {
            let focused = self
                .s
                .execute(
                    "return !!document.activeElement && document.activeElement.classList.contains('error-summary');",
                    json!([]),
                )
                .await;
            assert_eq!(
                focused,
                json!(true),
                "{path}: the error summary takes the focus"
            );
        }
        // Visible focus (WCAG 2.4.7, 1.4.11): the first link, button and
        // field of the page, focused, show a ring with black in it (yellow
        // alone is 1.4:1 on white). The focus and scroll are put back.
        let faint = self
            .s
            .execute(
                r#"const was = document.activeElement, x = scrollX, y = scrollY, faint = [];
                const black = 'rgb(11, 12, 12)';
                for (const sel of ['main a[href]', 'main button', 'main input:not([type=hidden]):not([type=radio]):not([type=checkbox])', 'main input[type=radio]', 'main input[type=checkbox]', 'main select', 'main textarea', 'header a[href]', 'header button:not([hidden])']) {
                    const el = document.querySelector(sel);
                    if (!el) continue;
                    el.focus();
                    if (document.activeElement !== el) continue;
                    const s = getComputedStyle(el);
                    const ring = s.boxShadow.includes(black) || (s.outlineStyle === 'solid' && s.outlineColor === black);
                    // A link or button turns yellow: its text must turn black.
                    const text = !/^(A|BUTTON)$/.test(el.tagName) || s.color === black;
                    if (!ring || !text) faint.push(sel + ': ' + s.outline + ' / ' + s.boxShadow + ' / ' + s.color);
                }
                if (was && was !== document.body && was.focus) was.focus(); else document.activeElement.blur();
                scrollTo(x, y);
                return faint;"#,
                json!([]),
            )
            .await;
        assert_eq!(faint, json!([]), "{path}: focus hard to see");
        // The page's scripts ran or did not, as the set-up says.
        let js = self
            .s
            .execute(
                "return document.documentElement.classList.contains('js');",
                json!([]),
            )
            .await;
        assert_eq!(
            js,
            Value::Bool(self.s.setup.scripts),
            "{path}: page scripts in {}",
            self.s.setup.name()
        );
        // Reflow (WCAG 1.4.10): nothing makes the whole page scroll sideways.
        let wide = self
            .s
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                json!([]),
            )
            .await;
        if wide[0].as_u64() > wide[1].as_u64() {
            let culprits = self
                .s
                .execute(
                    "const w = window.innerWidth; return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > w + 1 && Array.from(e.children).every(c => c.getBoundingClientRect().right <= w + 1)).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().width) + ' ' + (e.textContent || '').slice(0, 60));",
                    json!([]),
                )
                .await;
            panic!(
                "{path}: the page is wider than the window {wide} ({}): {culprits}",
                self.s.setup.name()
            );
        }
        self.accessible(&path).await;
        self.light(&path).await;
        self.checked.push(path);
    }

    async fn run_axe(&self, s: &Session, script: &str) -> Value {
        let loaded = s
            .execute(
                &format!("{}\n;return typeof window.axe;", self.axe),
                json!([]),
            )
            .await;
        assert_eq!(loaded, "object", "axe-core did not load");
        s.execute_async(script, json!([AXE_TAGS])).await
    }

    async fn accessible(&self, path: &str) {
        let script = r#"
            const done = arguments[arguments.length - 1];
            window.axe.run(document, {
                runOnly: {type: 'tag', values: arguments[0]},
                resultTypes: ['violations'],
            }).then(r => done(r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary),
            })))).catch(e => done([{id: 'axe-error', help: String(e), nodes: []}]));
        "#;
        let found = match &self.auditor {
            None => self.run_axe(&self.s, script).await,
            Some(auditor) => {
                // axe needs timers, which a page without scripts does not
                // run: the auditor (same size, scripts on) audits the very
                // markup this page holds, its script tags left out.
                let html = self.s.source().await;
                let html = strip_scripts(&html);
                auditor
                    .execute(
                        "document.open(); document.write(arguments[0]); document.close(); return true;",
                        json!([html]),
                    )
                    .await;
                self.run_axe(auditor, script).await
            }
        };
        let found = found.as_array().cloned().unwrap_or_default();
        assert!(
            found.is_empty(),
            "{} ({}) at {path}: accessibility violations:\n{}",
            self.who,
            self.s.setup.name(),
            serde_json::to_string_pretty(&Value::Array(found)).unwrap_or_default()
        );
    }

    /// The page's own bytes plus its style and scripts, images left out.
    async fn light(&self, path: &str) {
        let script = r#"
            const nav = performance.getEntriesByType('navigation')[0];
            let total = nav ? nav.decodedBodySize : document.documentElement.outerHTML.length;
            for (const r of performance.getEntriesByType('resource')) {
                if (r.initiatorType === 'link' || r.initiatorType === 'script' || r.initiatorType === 'css') {
                    total += r.decodedBodySize;
                }
            }
            return total;
        "#;
        let bytes = self
            .s
            .execute(script, json!([]))
            .await
            .as_u64()
            .unwrap_or(0);
        assert!(
            bytes > 0 && bytes < MAX_PAGE_BYTES,
            "{path} weighs {bytes} bytes (limit {MAX_PAGE_BYTES})"
        );
        // Kept for people to read (docs/PERFORMANCE.md sums them up).
        let line = format!(
            "{}\t{}\t{bytes}\n",
            self.s.setup.name(),
            path.split('?').next().unwrap_or(path)
        );
        let file = screenshots_dir().join("page-weights.tsv");
        // One run's pages: the file of an earlier run is replaced.
        static FRESH: std::sync::Once = std::sync::Once::new();
        FRESH.call_once(|| {
            let _ = std::fs::remove_file(&file);
        });
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file)
        {
            let _ = std::io::Write::write_all(&mut f, line.as_bytes());
        }
    }

    pub async fn close(self) {
        self.s.close().await;
        if let Some(a) = self.auditor {
            a.close().await;
        }
    }
}

/// The set-ups every journey runs in.
pub const SETUPS: [Setup; 4] = [
    Setup {
        phone: false,
        scripts: true,
    },
    Setup {
        phone: true,
        scripts: false,
    },
    Setup {
        phone: true,
        scripts: true,
    },
    Setup {
        phone: false,
        scripts: false,
    },
];

/// Signs a demo staff member in at the back office, enrolling the
/// authenticator as a new officer does: the key is read off the page.
pub async fn staff_login(tab: &mut Tab, email: &str, password: &str) {
    tab.go("/staff/login").await;
    tab.fill("login", email).await;
    tab.fill("password", password).await;
    tab.press("Войти").await;
    let html = tab.s.source().await;
    let secret = html
        .split("secret=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .expect("the enrolment page shows the key")
        .to_owned();
    let code = app::second_factor::current_code(&secret, web::system_clock()).unwrap();
    tab.fill("code", &code).await;
    tab.press("Войти").await;
    tab.shot("staff-recovery-codes").await;
    tab.follow("Я сохранил коды, продолжить").await;
}

/// The markup without its `<script …>…</script>` elements.
fn strip_scripts(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("<script") {
        out.push_str(&rest[..at]);
        match rest[at..].find("</script>") {
            Some(end) => rest = &rest[at + end + "</script>".len()..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The set-ups to run: all, or those named in MIGPORTAL_BROWSER_SETUPS
/// (e.g. `phone-nojs,desktop-js`) while working on one.
pub fn setups() -> Vec<Setup> {
    let only = std::env::var("MIGPORTAL_BROWSER_SETUPS").unwrap_or_default();
    SETUPS
        .into_iter()
        .filter(|s| only.is_empty() || only.split(',').any(|n| n.trim() == s.name()))
        .collect()
}

impl Tab {
    /// Fills one question page as a person would: each answer typed, picked
    /// or ticked; lists grown with their «add» button; conditional questions
    /// answered when the page shows them after a save. Ends on the page after.
    pub async fn answer_section(&mut self, path: &str, answers: &[(String, String)]) {
        for _round in 0..12 {
            for (name, value) in answers.iter().filter(|(k, _)| !k.ends_with("._count")) {
                self.answer(name, value).await;
            }
            // A list one item short: «add» saves the page and shows one more.
            let mut grown = false;
            for (name, n) in answers.iter().filter(|(k, _)| k.ends_with("._count")) {
                let want: usize = n.parse().unwrap_or(0);
                let Some(e) = self.s.try_find(&format!("input[name=\"{name}\"]")).await else {
                    continue;
                };
                let shown = self
                    .s
                    .attribute(&e, "value")
                    .await
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(0);
                if shown < want {
                    let list = name.trim_end_matches("._count");
                    let add = self.s.find(&format!("button[value=\"add:{list}\"]")).await;
                    self.navigate_by(&add).await;
                    grown = true;
                    break;
                }
            }
            if !grown {
                let go = self.s.find(".actions button[value=\"save\"]").await;
                self.navigate_by(&go).await;
                if self.path().await.split('?').next() != Some(path) {
                    return;
                }
            }
            // An error summary here names questions the answers revealed
            // (the next round answers them); anything else ends in the panic below.
        }
        panic!(
            "{path}: the page never let go; answers {answers:?}\n{}",
            self.s.source().await
        );
    }

    /// One answer, by the kind of control the page shows for it (none: the
    /// question is not asked yet).
    pub async fn answer(&self, name: &str, value: &str) {
        let Some(e) = self.s.try_find(&format!("[name=\"{name}\"]")).await else {
            return;
        };
        let tag = self.s.tag_name(&e).await;
        let kind = self.s.attribute(&e, "type").await.unwrap_or_default();
        match (tag.as_str(), kind.as_str()) {
            (_, "radio") => {
                let r = self
                    .s
                    .find(&format!("input[name=\"{name}\"][value=\"{value}\"]"))
                    .await;
                self.s.click(&r).await;
            }
            (_, "checkbox") => {
                let on = self.s.attribute(&e, "checked").await.is_some();
                if on != (value == "true") {
                    self.s.click(&e).await;
                }
            }
            (_, "hidden" | "file") => {}
            ("select", _) => {
                let o = self
                    .s
                    .find(&format!(
                        "select[name=\"{name}\"] option[value=\"{value}\"]"
                    ))
                    .await;
                // Typed, as with a keyboard: a phone's picker would take a click.
                let label = self.s.text(&o).await;
                self.s.type_into(&e, &label).await;
                let chosen = self
                    .s
                    .execute(
                        "return arguments[0].value;",
                        json!([{ ELEMENT_KEY: e.id() }]),
                    )
                    .await;
                assert_eq!(chosen, value, "{name}: «{label}» was not chosen");
            }
            _ => {
                self.s.clear(&e).await;
                self.s.type_into(&e, &as_typed(value)).await;
            }
        }
    }
}

/// A date as people type it (14.03.1985); anything else as it is.
fn as_typed(value: &str) -> String {
    let b = value.as_bytes();
    if value.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && value.replace('-', "").bytes().all(|c| c.is_ascii_digit())
    {
        format!("{}.{}.{}", &value[8..10], &value[5..7], &value[..4])
    } else {
        value.to_owned()
    }
}
