//! A small W3C WebDriver client over reqwest: just the commands the journeys
//! use, against Debian's chromedriver driving Debian's headless Chromium.

use base64::Engine;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// The key of an element reference passed to a script.
pub const ELEMENT_KEY: &str = ELEMENT;

/// Where Debian puts the browser and its driver.
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A chromedriver process on a free loopback port, killed when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Driver {
    pub async fn start() -> Self {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http.get(format!("{url}/status")).send().await
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == true
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, url }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How the browser is set up: a phone or a desktop, scripts on or off.
#[derive(Clone, Copy, Debug)]
pub struct Setup {
    pub phone: bool,
    pub scripts: bool,
}

impl Setup {
    pub fn name(self) -> String {
        format!(
            "{}-{}",
            if self.phone { "phone" } else { "desktop" },
            if self.scripts { "js" } else { "nojs" }
        )
    }
}

/// One browser session (its own profile, cookies and window).
pub struct Session {
    http: reqwest::Client,
    base: String,
    pub setup: Setup,
    profile: tempfile::TempDir,
}

pub struct Element(String);

impl Element {
    pub fn id(&self) -> &str {
        &self.0
    }
}

impl Session {
    pub async fn new(driver: &Driver, setup: Setup, lang: &str) -> Self {
        let profile = tempfile::tempdir().unwrap();
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--hide-scrollbars".into(),
            format!("--lang={lang}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        args.push(if setup.phone {
            "--window-size=390,844".into()
        } else {
            "--window-size=1280,900".into()
        });
        let mut options = json!({
            "binary": CHROMIUM,
            "args": args,
            "prefs": {"intl.accept_languages": lang},
        });
        if setup.phone {
            options["mobileEmulation"] = json!({
                "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2.0, "touch": false},
                "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36"
            });
        }
        if !setup.scripts {
            // The page's own scripts are blocked; the driver's commands still run.
            options["prefs"]["profile.managed_default_content_settings.javascript"] = json!(2);
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": options,
        }}});
        // No command may hang a test: a page load is bounded at 30 s below.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(90))
            .build()
            .unwrap();
        let res: Value = http
            .post(format!("{}/session", driver.url))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = res["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {res}"))
            .to_owned();
        Self {
            http,
            base: format!("{}/session/{id}", driver.url),
            setup,
            profile,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        if let Some(err) = v["value"]["error"].as_str() {
            panic!("webdriver {path}: {err}: {}", v["value"]["message"]);
        }
        v["value"].clone()
    }

    async fn try_call(&self, path: &str, body: Value) -> Option<Value> {
        let v: Value = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        if v["value"]["error"].is_string() {
            None
        } else {
            Some(v["value"].clone())
        }
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    pub async fn current_url(&self) -> String {
        let v = self.call(reqwest::Method::GET, "/url", None).await;
        v.as_str().unwrap_or_default().to_owned()
    }

    pub async fn title(&self) -> String {
        let v = self.call(reqwest::Method::GET, "/title", None).await;
        v.as_str().unwrap_or_default().to_owned()
    }

    pub async fn source(&self) -> String {
        let v = self.call(reqwest::Method::GET, "/source", None).await;
        v.as_str().unwrap_or_default().to_owned()
    }

    pub async fn find(&self, css: &str) -> Element {
        self.try_find(css)
            .await
            .unwrap_or_else(|| panic!("no element {css}"))
    }

    pub async fn try_find(&self, css: &str) -> Option<Element> {
        let v = self
            .try_call("/element", json!({"using": "css selector", "value": css}))
            .await?;
        v[ELEMENT].as_str().map(|s| Element(s.to_owned()))
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let v = self
            .call(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(|s| Element(s.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The button or link whose visible text is exactly `text` (XPath).
    pub async fn by_text(&self, tag: &str, text: &str) -> Element {
        self.by_xpath(&format!("//{tag}[normalize-space(.)='{text}']"))
            .await
    }

    pub async fn by_xpath(&self, xpath: &str) -> Element {
        let Some(v) = self
            .try_call("/element", json!({"using": "xpath", "value": xpath}))
            .await
        else {
            let url = self.current_url().await;
            panic!("nothing at {xpath} on {url}:\n{}", self.source().await);
        };
        Element(v[ELEMENT].as_str().unwrap().to_owned())
    }

    pub async fn click(&self, e: &Element) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/click", e.0),
            Some(json!({})),
        )
        .await;
    }

    pub async fn clear(&self, e: &Element) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/clear", e.0),
            Some(json!({})),
        )
        .await;
    }

    pub async fn type_into(&self, e: &Element, text: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/value", e.0),
            Some(json!({"text": text})),
        )
        .await;
    }

    pub async fn attribute(&self, e: &Element, name: &str) -> Option<String> {
        let v = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{}/attribute/{name}", e.0),
                None,
            )
            .await;
        v.as_str().map(str::to_owned)
    }

    pub async fn tag_name(&self, e: &Element) -> String {
        let v = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{}/name", e.0),
                None,
            )
            .await;
        v.as_str().unwrap_or_default().to_ascii_lowercase()
    }

    pub async fn text(&self, e: &Element) -> String {
        let v = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{}/text", e.0),
                None,
            )
            .await;
        v.as_str().unwrap_or_default().to_owned()
    }

    /// Runs a script in the page (the driver's own, allowed with page scripts off).
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    pub async fn execute_async(&self, script: &str, args: Value) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    pub async fn set_timeouts(&self, script_ms: u64) {
        self.call(
            reqwest::Method::POST,
            "/timeouts",
            Some(json!({"script": script_ms, "pageLoad": 30_000})),
        )
        .await;
    }

    /// Resizes the window (a desktop at 200 % zoom is half as wide).
    pub async fn set_size(&self, width: u32, height: u32) {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// A full-page PNG of what the browser shows.
    /// The whole page, not only what the window shows (Chrome's own
    /// capture through the driver), else the window.
    pub async fn screenshot(&self, file: &Path) {
        let size = self
            .execute(
                "var d = document.documentElement; return [d.scrollWidth, Math.min(d.scrollHeight, 8000)];",
                json!([]),
            )
            .await;
        let capture = json!({
            "cmd": "Page.captureScreenshot",
            "params": {
                "format": "png",
                "captureBeyondViewport": true,
                "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1},
            },
        });
        let data = match self.try_call("/goog/cdp/execute", capture).await {
            Some(v) if v["data"].is_string() => v["data"].clone(),
            _ => self.call(reqwest::Method::GET, "/screenshot", None).await,
        };
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or_default())
            .unwrap();
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(file, png).unwrap();
    }

    pub async fn close(self) {
        let _ = self.http.delete(&self.base).send().await;
        drop(self.profile);
    }
}
