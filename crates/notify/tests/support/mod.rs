//! Real collaborators for the delivery tests: an SMTP server (python's aiosmtpd)
//! in a child process, a recording HTTP SMS gateway (axum), and a fresh store
//! per backend.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::Store;
use store::testing::TestDb;
use tokio::io::AsyncReadExt;

/// Set to `1` (e.g. in CI) to make a missing aiosmtpd a failure, not a skip.
pub const REQUIRE_SMTP_ENV: &str = "MIGPORTAL_REQUIRE_SMTP";

/// A port on 127.0.0.1 that nothing listened on a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
    // The listener is dropped here: the port is free again.
}

/// Milliseconds since the Unix epoch, as the portal's clocks count.
pub fn real_now() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(since.as_millis()).expect("time fits i64")
}

/// A fresh, migrated database of `backend` ("sqlite" or "postgres"). Keep the
/// `TestDb` alive as long as the store is used: dropping it removes the database.
pub async fn fresh_store(backend: &str) -> (TestDb, Arc<dyn Store>) {
    let db = TestDb::new(backend)
        .await
        .unwrap_or_else(|e| panic!("test database on {backend}: {e}"));
    let store = store::connect(&db.url, true, store::audit::AuditKey::derive(b"test"))
        .await
        .unwrap_or_else(|e| panic!("connect to {backend}: {e}"));
    assert_eq!(store.backend(), backend);
    (db, store)
}

/// Polls `check` every 20 ms until it is true; panics with `what` after `limit`.
pub async fn wait_until<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------------------
// SMTP

/// An aiosmtpd server storing every accepted message in a Maildir; the child
/// process is killed when this value is dropped.
pub struct SmtpServer {
    pub port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

/// Why aiosmtpd cannot run here, if it cannot.
fn aiosmtpd_missing() -> Option<String> {
    match Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdin(Stdio::null())
        .output()
    {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "`python3 -c \"import aiosmtpd\"` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Some(format!("cannot run python3: {e}")),
    }
}

/// A handler that rejects some recipients like a real server would, and
/// stores the rest like `aiosmtpd.handlers.Mailbox`.
const PICKY_HANDLER: &str = r#"
from aiosmtpd.handlers import Mailbox


class PickyMailbox(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nosuchuser@"):
            return "550 5.1.1 No such user here"
        if address.startswith("greylisted@"):
            return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"
"#;

/// A Mailbox that, while the file `hold` exists in its directory, keeps
/// each message's DATA unanswered (and writes `held`), then answers 451
/// without storing it: a sender killed meanwhile has delivered nothing.
const HOLDING_HANDLER: &str = r#"
import asyncio, os
from aiosmtpd.handlers import Mailbox


class HoldingMailbox(Mailbox):
    def __init__(self, mail_dir, *args, **kwargs):
        super().__init__(mail_dir, *args, **kwargs)
        self.dir = mail_dir

    async def handle_DATA(self, server, session, envelope):
        hold = os.path.join(self.dir, "hold")
        if os.path.exists(hold):
            open(os.path.join(self.dir, "held"), "w").close()
            while os.path.exists(hold):
                await asyncio.sleep(0.05)
            return "451 4.3.0 Held and not stored"
        return await super().handle_DATA(server, session, envelope)
"#;

impl SmtpServer {
    /// Starts, on `port`, a Mailbox that holds every message until
    /// [`Self::release`]. It holds from its first greeting: a sender already
    /// retrying against the port must not get a message stored before the
    /// hold is in force (a test that kills that sender would then see the
    /// message sent again, rightly, and count it twice).
    pub async fn start_holding_on(port: u16) -> Option<Self> {
        if !Self::available() {
            return None;
        }
        Some(
            Self::spawn_on(
                port,
                "picky_handler.HoldingMailbox",
                Some(HOLDING_HANDLER),
                true,
            )
            .await
            .unwrap_or_else(|e| panic!("cannot start aiosmtpd on {port}: {e}")),
        )
    }

    pub fn release(&self) {
        let _ = std::fs::remove_file(self.dir.path().join("hold"));
    }

    /// Whether a message has been held (a sender is waiting for the answer).
    pub fn holds_one(&self) -> bool {
        self.dir.path().join("held").exists()
    }

    /// Whether aiosmtpd can run; `false` after a loud SKIPPED line, unless
    /// `MIGPORTAL_REQUIRE_SMTP=1` makes its absence a failure.
    pub fn available() -> bool {
        let Some(why) = aiosmtpd_missing() else {
            return true;
        };
        assert!(
            !std::env::var(REQUIRE_SMTP_ENV).is_ok_and(|v| v.trim() == "1"),
            "{REQUIRE_SMTP_ENV}=1 but the real SMTP server cannot be started: {why}. \
             Install python3-aiosmtpd (apt) or `pip install aiosmtpd`."
        );
        let line = "SKIPPED: install python3-aiosmtpd (apt) or pip install aiosmtpd";
        eprintln!("\n!!!!!!!!!! {line} ({why}) !!!!!!!!!!\n");
        println!("!!!!!!!!!! {line} !!!!!!!!!!");
        false
    }

    /// Starts `aiosmtpd.handlers.Mailbox`. `None` (after a loud SKIPPED line)
    /// when aiosmtpd is not installed and `MIGPORTAL_REQUIRE_SMTP=1` is not set.
    pub async fn start() -> Option<Self> {
        Self::start_with("aiosmtpd.handlers.Mailbox", None).await
    }

    /// Starts a Mailbox that answers 550 to `nosuchuser@…` and 451 to `greylisted@…`.
    pub async fn start_picky() -> Option<Self> {
        Self::start_with("picky_handler.PickyMailbox", Some(PICKY_HANDLER)).await
    }

    async fn start_with(class: &str, module: Option<&str>) -> Option<Self> {
        if !Self::available() {
            return None;
        }
        // Another process may take the free port between the pick and the bind.
        let mut last_error = String::new();
        for _ in 0..3 {
            match Self::spawn(class, module).await {
                Ok(server) => return Some(server),
                Err(e) => last_error = e,
            }
        }
        panic!("cannot start aiosmtpd: {last_error}");
    }

    async fn spawn(class: &str, module: Option<&str>) -> Result<Self, String> {
        Self::spawn_on(free_port(), class, module, false).await
    }

    async fn spawn_on(
        port: u16,
        class: &str,
        module: Option<&str>,
        holding: bool,
    ) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        if holding {
            std::fs::write(dir.path().join("hold"), b"").map_err(|e| e.to_string())?;
        }
        // Maildir only creates new/cur/tmp for a directory that does not exist.
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(dir.path().join(sub)).map_err(|e| e.to_string())?;
        }
        let log_path = dir.path().join("aiosmtpd.log");
        let log = File::create(&log_path).map_err(|e| e.to_string())?;
        let mut command = Command::new("python3");
        command
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", class])
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log);
        if let Some(source) = module {
            let module_dir = dir.path().join("pymod");
            std::fs::create_dir_all(&module_dir).map_err(|e| e.to_string())?;
            std::fs::write(module_dir.join("picky_handler.py"), source)
                .map_err(|e| e.to_string())?;
            command.env("PYTHONPATH", &module_dir);
        }
        let child = command.spawn().map_err(|e| format!("spawn python3: {e}"))?;
        let mut server = Self { port, child, dir };
        server.wait_ready().await?;
        Ok(server)
    }

    /// Waits (at most 10 s) for the SMTP greeting on the port.
    async fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("aiosmtpd exited with {status}: {}", self.log()));
            }
            if let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await {
                let mut greeting = [0u8; 256];
                let read =
                    tokio::time::timeout(Duration::from_secs(5), stream.read(&mut greeting)).await;
                if let Ok(Ok(n)) = read
                    && greeting[..n].starts_with(b"220")
                {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!(
            "aiosmtpd did not greet on 127.0.0.1:{} within 10 s: {}",
            self.port,
            self.log()
        ))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("aiosmtpd.log")).unwrap_or_default()
    }

    /// The files of delivered messages (`<maildir>/new/*`).
    pub fn delivered(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("new"))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.is_file())
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    }

    /// Waits (at most 10 s) until `count` messages were delivered.
    pub async fn wait_delivered(&self, count: usize) -> Vec<PathBuf> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let files = self.delivered();
            if files.len() >= count || Instant::now() >= deadline {
                assert_eq!(
                    files.len(),
                    count,
                    "messages in the maildir; server log:\n{}",
                    self.log()
                );
                return files;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A stored message, decoded by python's `email` package (RFC 2047 headers,
/// quoted-printable/base64 bodies, charsets).
#[derive(Debug, serde::Deserialize)]
pub struct ParsedMail {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub content_type: String,
    pub charset: Option<String>,
    pub transfer_encoding: String,
    pub body: String,
    /// The envelope recipients, as recorded by aiosmtpd's Mailbox.
    pub rcpt_to: String,
    /// Whether the raw header section is pure ASCII (non-ASCII must be encoded).
    pub headers_ascii: bool,
}

const PARSE_MAIL: &str = r#"
import email, email.policy, json, sys
raw = open(sys.argv[1], "rb").read()
head = raw.split(b"\n\n", 1)[0]
m = email.message_from_bytes(raw, policy=email.policy.default)
print(json.dumps({
    "from": str(m["From"]),
    "to": str(m["To"]),
    "subject": str(m["Subject"]),
    "content_type": m.get_content_type(),
    "charset": m.get_content_charset(),
    "transfer_encoding": str(m.get("Content-Transfer-Encoding", "")),
    "body": m.get_content(),
    "rcpt_to": str(m.get("X-RcptTo", "")),
    "headers_ascii": all(b < 128 for b in head),
}))
"#;

pub fn parse_mail(path: &Path) -> ParsedMail {
    let out = Command::new("python3")
        .args(["-c", PARSE_MAIL])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .expect("run python3 to parse the message");
    assert!(
        out.status.success(),
        "python could not parse {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("parser output is JSON")
}

// ---------------------------------------------------------------------------
// SMS gateway

/// One request the fake gateway received.
#[derive(Debug, Clone)]
pub struct GatewayRequest {
    pub path: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: serde_json::Value,
}

/// An HTTP server on 127.0.0.1 that records every request and answers `status`.
pub struct FakeGateway {
    pub url: String,
    requests: Arc<Mutex<Vec<GatewayRequest>>>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct GatewayState {
    requests: Arc<Mutex<Vec<GatewayRequest>>>,
    status: axum::http::StatusCode,
}

async fn record(
    axum::extract::State(state): axum::extract::State<GatewayState>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::http::StatusCode {
    let header = |name: axum::http::HeaderName| {
        headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let body = serde_json::from_slice(&body)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&body).into()));
    state
        .requests
        .lock()
        .expect("requests lock")
        .push(GatewayRequest {
            path: uri.path().to_owned(),
            authorization: header(axum::http::header::AUTHORIZATION),
            content_type: header(axum::http::header::CONTENT_TYPE),
            body,
        });
    state.status
}

impl FakeGateway {
    pub async fn start(status: u16) -> Self {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let state = GatewayState {
            requests: requests.clone(),
            status: axum::http::StatusCode::from_u16(status).expect("status code"),
        };
        let app = axum::Router::new()
            .route("/v1/sms", axum::routing::post(record))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake gateway");
        let addr = listener.local_addr().expect("gateway address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url: format!("http://{addr}/v1/sms"),
            requests,
            task,
        }
    }

    pub fn requests(&self) -> Vec<GatewayRequest> {
        self.requests.lock().expect("requests lock").clone()
    }
}

impl Drop for FakeGateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}
