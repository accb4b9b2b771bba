//! Configuration: an optional TOML file, then `MIGPORTAL_*` environment
//! variables on top. Secrets are never printed (`Debug` masks them).

use serde::Deserialize;
use std::path::Path;

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// Where people reach the portal (https:// turns on Secure cookies).
    pub public_url: Option<String>,
    /// `sqlite://…` (default, a file under ./data) or `postgres://…`.
    pub database_url: String,
    /// `postgres://…` of a read-only streaming standby of `database_url`
    /// (see `scripts/pg-standby`): people's lists and status reads go there
    /// unless it lacks what they themselves changed. Unset: everything on
    /// `database_url`.
    pub database_read_url: Option<String>,
    /// The most a standby may be behind and still serve reads, in
    /// milliseconds; further behind, every read goes to the primary.
    pub standby_max_lag_ms: u32,
    /// Apply migrations at start. Production with several instances sets this
    /// to false and runs `migportal migrate` once before rolling out.
    pub migrate_on_start: bool,
    /// Demo mode: demo data, demo mailbox, a built-in registry simulator.
    pub demo: bool,
    /// "pretty" or "json".
    pub log_format: String,
    /// Run the outbox worker in this process.
    pub run_worker: bool,
    pub vault: VaultConfig,
    pub smtp: Option<notify::SmtpConfig>,
    pub sms: Option<SmsConfig>,
    pub s3: Option<S3Config>,
    pub registries: Option<RegistriesConfig>,
    /// The payment provider; unset in demo mode: the built-in test acquirer.
    pub payments: Option<PaymentsConfig>,
    pub password: Option<PasswordConfig>,
    /// Idle session lifetime in minutes.
    pub session_idle_minutes: i64,
    /// PEM file of the certification authorities trusted for qualified
    /// signatures. Demo mode creates a demo CA when this is unset.
    pub qes_trust_file: Option<String>,
    /// Days a registered letter's confirmation code stays valid.
    pub letter_code_days: u32,
    /// Lease of a claimed job in seconds: after it, another instance may take it over.
    pub job_lease_seconds: i64,
    /// A client must send a request's whole head within this many seconds.
    pub header_read_timeout_seconds: u64,
    /// A request is answered 408 when it is not done within this many
    /// seconds, its body's arrival included (a body sent slowly holds a
    /// connection no longer).
    pub request_timeout_seconds: u64,
    /// After SIGTERM, requests in flight get this many seconds to finish.
    pub shutdown_deadline_seconds: u64,
    /// Where signed checkpoints of the audit chain are appended (outside the
    /// database; ship this file elsewhere). Empty: none are written.
    pub audit_checkpoint_file: String,
    /// Minutes between two checkpoints.
    pub audit_checkpoint_minutes: u64,
    /// Where files attached to applications are kept.
    pub attachments_dir: String,
    /// Addresses chosen from the seeded directory of the demo regions;
    /// unset, on in demo mode only.
    pub seeded_addresses: Option<bool>,
    /// Entrance requests (sign-in, registration, codes, resets) one address
    /// may make per minute, and in one burst.
    pub entrance_per_minute: u32,
    pub entrance_burst: u32,
    /// A session ends after this many hours however active it is.
    pub session_absolute_hours: i64,
}

#[derive(Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct VaultConfig {
    pub key_id: String,
    /// 64 hex digits. In demo mode a key is created in ./data/vault.key when
    /// absent. It also derives the lookup hashes and the audit chain's key,
    /// so it stays configured for the life of the database.
    pub key: Option<String>,
    /// Other keys values may be sealed under (key rotation).
    pub other_keys: Vec<OtherKey>,
    /// The key id new values are sealed under (default: `key_id`).
    pub seal_with: Option<String>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtherKey {
    pub key_id: String,
    pub key: String,
}

impl std::fmt::Debug for OtherKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OtherKey {{ key_id: {:?}, key: *** }}", self.key_id)
    }
}

/// An S3-compatible object store for attached files (instead of
/// `attachments_dir`). The secret may come from `MIGPORTAL_S3_SECRET_KEY`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    pub endpoint: String,
    pub bucket: String,
    #[serde(default = "default_s3_region")]
    pub region: String,
    pub access_key: String,
    #[serde(default)]
    pub secret_key: String,
}

fn default_s3_region() -> String {
    "us-east-1".into()
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsConfig {
    pub url: String,
    pub token: String,
    /// A gateway that does not answer within this is given up on for this
    /// attempt (the code is sent again later, with backoff).
    #[serde(default = "default_sms_timeout")]
    pub timeout_ms: u64,
}

fn default_sms_timeout() -> u64 {
    15_000
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistriesConfig {
    pub url: String,
    pub token: String,
    #[serde(default = "default_registry_timeout")]
    pub timeout_ms: u64,
}

fn default_registry_timeout() -> u64 {
    5_000
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentsConfig {
    pub url: String,
    pub token: String,
    /// The key the provider signs its callbacks with (HMAC-SHA256).
    pub secret: String,
    #[serde(default = "default_registry_timeout")]
    pub timeout_ms: u64,
    /// Seconds before a payment whose callback has not come is asked about.
    #[serde(default = "default_reconcile_after")]
    pub reconcile_after_seconds: i64,
}

fn default_reconcile_after() -> i64 {
    120
}

#[derive(Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordConfig {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            database_read_url: None,
            standby_max_lag_ms: 5_000,
            database_url: "sqlite://data/migportal.db".into(),
            migrate_on_start: true,
            demo: true,
            log_format: "pretty".into(),
            run_worker: true,
            vault: VaultConfig {
                key_id: "k1".into(),
                key: None,
                other_keys: Vec::new(),
                seal_with: None,
            },
            smtp: None,
            sms: None,
            s3: None,
            registries: None,
            payments: None,
            password: None,
            session_idle_minutes: 30,
            qes_trust_file: None,
            letter_code_days: 90,
            job_lease_seconds: 60,
            header_read_timeout_seconds: 10,
            request_timeout_seconds: 30,
            shutdown_deadline_seconds: 20,
            audit_checkpoint_file: "data/audit-checkpoints.jsonl".into(),
            attachments_dir: "data/attachments".into(),
            seeded_addresses: None,
            audit_checkpoint_minutes: 10,
            entrance_per_minute: 30,
            entrance_burst: 20,
            session_absolute_hours: 12,
        }
    }
}

fn mask(s: &Option<String>) -> &'static str {
    if s.is_some() { "***" } else { "-" }
}

/// Hides the password of a database URL.
fn mask_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("public_url", &self.public_url)
            .field(
                "database_read_url",
                &self.database_read_url.as_deref().map(mask_url),
            )
            .field("standby_max_lag_ms", &self.standby_max_lag_ms)
            .field("database_url", &mask_url(&self.database_url))
            .field("demo", &self.demo)
            .field("vault.key", &mask(&self.vault.key))
            .field("smtp", &self.smtp)
            .field("sms", &self.sms.as_ref().map(|s| (&s.url, "***")))
            .field(
                "s3",
                &self.s3.as_ref().map(|s| (&s.endpoint, &s.bucket, "***")),
            )
            .field(
                "registries",
                &self.registries.as_ref().map(|r| (&r.url, "***")),
            )
            .field("payments", &self.payments.as_ref().map(|p| (&p.url, "***")))
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("{0}: {1}")]
    Parse(String, String),
    #[error("environment variable {0}: {1}")]
    Env(&'static str, String),
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    /// Reads the file (if any), then applies the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError::Read(path.display().to_string(), e))?;
                Self::from_file_text(&text)
                    .map_err(|e| ConfigError::Parse(path.display().to_string(), e))?
            }
            // No file: a demo only when nothing is configured at all; a
            // deployment configured by environment alone is no demo.
            None => Config {
                demo: !CONFIG_ENV.iter().any(|k| std::env::var_os(k).is_some()),
                ..Config::default()
            },
        };
        config.apply_env(|k| std::env::var(k).ok())?;
        config.validate()?;
        Ok(config)
    }

    /// A configuration file. Demo mode (published passwords, the demo CA and
    /// mailbox) only when the file asks for it: a production file that
    /// forgets `demo = false` must not become a demo.
    pub fn from_file_text(text: &str) -> Result<Self, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        if !table.contains_key("demo") {
            config.demo = false;
        }
        Ok(config)
    }

    /// `MIGPORTAL_*` variables override the file.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let flag = |name: &'static str, v: String| match v.trim() {
            "1" | "true" | "yes" => Ok(true),
            "0" | "false" | "no" => Ok(false),
            _ => Err(ConfigError::Env(name, "expected true or false".into())),
        };
        if let Some(v) = get("MIGPORTAL_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = get("MIGPORTAL_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = get("MIGPORTAL_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = get("MIGPORTAL_DATABASE_READ_URL") {
            self.database_read_url = Some(v).filter(|v| !v.trim().is_empty());
        }
        if let Some(v) = get("MIGPORTAL_STANDBY_MAX_LAG_MS") {
            self.standby_max_lag_ms = v.trim().parse().map_err(|_| {
                ConfigError::Env(
                    "MIGPORTAL_STANDBY_MAX_LAG_MS",
                    "expected milliseconds".into(),
                )
            })?;
        }
        if let Some(v) = get("MIGPORTAL_MIGRATE_ON_START") {
            self.migrate_on_start = flag("MIGPORTAL_MIGRATE_ON_START", v)?;
        }
        if let Some(v) = get("MIGPORTAL_DEMO") {
            self.demo = flag("MIGPORTAL_DEMO", v)?;
        }
        if let Some(v) = get("MIGPORTAL_LOG_FORMAT") {
            self.log_format = v;
        }
        if let Some(v) = get("MIGPORTAL_RUN_WORKER") {
            self.run_worker = flag("MIGPORTAL_RUN_WORKER", v)?;
        }
        if let Some(v) = get("MIGPORTAL_VAULT_KEY") {
            self.vault.key = Some(v);
        }
        if let Some(v) = get("MIGPORTAL_VAULT_KEY_ID") {
            self.vault.key_id = v;
        }
        if let (Some(url), Some(token)) = (
            get("MIGPORTAL_REGISTRIES_URL"),
            get("MIGPORTAL_REGISTRIES_TOKEN"),
        ) {
            self.registries = Some(RegistriesConfig {
                url,
                token,
                timeout_ms: default_registry_timeout(),
            });
        }
        if let (Some(url), Some(token), Some(secret)) = (
            get("MIGPORTAL_PAYMENTS_URL"),
            get("MIGPORTAL_PAYMENTS_TOKEN"),
            get("MIGPORTAL_PAYMENTS_SECRET"),
        ) {
            self.payments = Some(PaymentsConfig {
                url,
                token,
                secret,
                timeout_ms: default_registry_timeout(),
                reconcile_after_seconds: default_reconcile_after(),
            });
        }
        if let (Some(url), Some(token)) = (get("MIGPORTAL_SMS_URL"), get("MIGPORTAL_SMS_TOKEN")) {
            self.sms = Some(SmsConfig {
                url,
                token,
                timeout_ms: default_sms_timeout(),
            });
        }
        if let (Some(s3), Some(secret)) = (self.s3.as_mut(), get("MIGPORTAL_S3_SECRET_KEY")) {
            s3.secret_key = secret;
        }
        for (name, slot) in [
            (
                "MIGPORTAL_ENTRANCE_PER_MINUTE",
                &mut self.entrance_per_minute,
            ),
            ("MIGPORTAL_ENTRANCE_BURST", &mut self.entrance_burst),
        ] {
            if let Some(v) = get(name) {
                *slot = v
                    .trim()
                    .parse()
                    .map_err(|_| ConfigError::Env(name, "expected a number".into()))?;
            }
        }
        if let Some(v) = get("MIGPORTAL_AUDIT_CHECKPOINT_FILE") {
            self.audit_checkpoint_file = v;
        }
        if let Some(v) = get("MIGPORTAL_ATTACHMENTS_DIR") {
            self.attachments_dir = v;
        }
        if let Some(v) = get("MIGPORTAL_QES_TRUST_FILE") {
            self.qes_trust_file = Some(v);
        }
        if let Some(v) = get("MIGPORTAL_JOB_LEASE_SECONDS") {
            self.job_lease_seconds = v.trim().parse().map_err(|_| {
                ConfigError::Env("MIGPORTAL_JOB_LEASE_SECONDS", "expected a number".into())
            })?;
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return bad(format!(
                "listen: {:?} is not an address like 127.0.0.1:8080",
                self.listen
            ));
        }
        if !(self.database_url.starts_with("sqlite:") || self.database_url.starts_with("postgres"))
        {
            return bad("database_url must start with sqlite:// or postgres://".into());
        }
        if let Some(read) = &self.database_read_url
            && !(read.starts_with("postgres") && self.database_url.starts_with("postgres"))
        {
            return bad(
                "database_read_url must be a postgres:// standby of a postgres:// database_url"
                    .into(),
            );
        }
        if !matches!(self.log_format.as_str(), "pretty" | "json") {
            return bad("log_format must be \"pretty\" or \"json\"".into());
        }
        if !self.demo && self.vault.key.is_none() {
            return bad("vault.key (or MIGPORTAL_VAULT_KEY) is required outside demo mode".into());
        }
        if !self.demo && self.registries.is_none() {
            return bad("registries (url, token) are required outside demo mode".into());
        }
        // Identity data and codes never travel in clear, except to this very
        // machine (a sidecar, the test doubles) or in the demo.
        let endpoints = [
            (
                "registries.url",
                self.registries.as_ref().map(|r| r.url.as_str()),
            ),
            ("sms.url", self.sms.as_ref().map(|s| s.url.as_str())),
            ("s3.endpoint", self.s3.as_ref().map(|s| s.endpoint.as_str())),
        ];
        for (name, url) in endpoints {
            if let Some(url) = url
                && !self.demo
                && !protected_endpoint(url)
            {
                return bad(format!(
                    "{name} must be https:// (plain http:// only to this machine: 127.0.0.1, ::1, localhost)"
                ));
            }
        }
        if let Some(s3) = &self.s3
            && (s3.bucket.trim().is_empty()
                || s3.region.trim().is_empty()
                || s3.access_key.trim().is_empty()
                || s3.secret_key.trim().is_empty())
        {
            return bad(
                "s3 needs bucket, region, access_key and secret_key (or MIGPORTAL_S3_SECRET_KEY)"
                    .into(),
            );
        }
        if self.session_idle_minutes < 1
            || self.job_lease_seconds < 1
            || self.session_absolute_hours < 1
        {
            return bad(
                "session_idle_minutes, session_absolute_hours and job_lease_seconds must be positive"
                    .into(),
            );
        }
        Ok(())
    }
}

/// The variables that configure a deployment (besides `MIGPORTAL_DEMO`).
const CONFIG_ENV: &[&str] = &[
    "MIGPORTAL_LISTEN",
    "MIGPORTAL_PUBLIC_URL",
    "MIGPORTAL_DATABASE_URL",
    "MIGPORTAL_MIGRATE_ON_START",
    "MIGPORTAL_LOG_FORMAT",
    "MIGPORTAL_RUN_WORKER",
    "MIGPORTAL_VAULT_KEY",
    "MIGPORTAL_VAULT_KEY_ID",
    "MIGPORTAL_REGISTRIES_URL",
    "MIGPORTAL_REGISTRIES_TOKEN",
    "MIGPORTAL_SMS_URL",
    "MIGPORTAL_SMS_TOKEN",
    "MIGPORTAL_S3_SECRET_KEY",
    "MIGPORTAL_AUDIT_CHECKPOINT_FILE",
    "MIGPORTAL_ATTACHMENTS_DIR",
    "MIGPORTAL_QES_TRUST_FILE",
    "MIGPORTAL_JOB_LEASE_SECONDS",
    "MIGPORTAL_ENTRANCE_PER_MINUTE",
    "MIGPORTAL_ENTRANCE_BURST",
];

/// `https://…`, or `http://` to the loopback interface only.
fn protected_endpoint(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // No user info: `http://127.0.0.1@evil.example` is not loopback.
    if authority.contains('@') {
        return false;
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    matches!(host, "127.0.0.1" | "::1" | "localhost")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn registries_and_sms_need_https_except_on_this_machine() {
        for ok in [
            "https://registries.example",
            "http://127.0.0.1:9000",
            "http://localhost/x",
            "http://[::1]:80",
        ] {
            assert!(protected_endpoint(ok), "{ok}");
        }
        for bad in [
            "http://registries.example",
            "http://127.0.0.1@evil.example",
            "http://127.0.0.1.evil.example",
            "ftp://x",
            "registries.example",
        ] {
            assert!(!protected_endpoint(bad), "{bad}");
        }
        let mut c = Config {
            demo: false,
            registries: Some(RegistriesConfig {
                url: "http://registries.example".into(),
                token: "t".into(),
                timeout_ms: 100,
            }),
            ..Config::default()
        };
        c.vault.key = Some("00".repeat(32));
        assert!(c.validate().is_err());
        c.demo = true;
        assert!(c.validate().is_ok(), "the demo may use anything");
    }

    #[test]
    fn defaults_are_a_demo_on_sqlite() {
        let c = Config::default();
        assert!(c.demo);
        assert!(c.database_url.starts_with("sqlite://"));
        c.validate().unwrap();
    }

    #[test]
    fn env_overrides_and_is_validated() {
        let mut c = Config::default();
        c.apply_env(|k| (k == "MIGPORTAL_DEMO").then(|| "maybe".into()))
            .unwrap_err();
        c.apply_env(|k| match k {
            "MIGPORTAL_DEMO" => Some("false".into()),
            "MIGPORTAL_DATABASE_URL" => Some("postgres://u:secret@h/db".into()),
            _ => None,
        })
        .unwrap();
        assert!(!c.demo);
        assert!(
            c.validate().is_err(),
            "a vault key is required outside demo"
        );
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn a_configuration_file_is_no_demo_unless_it_says_so() {
        let c = Config::from_file_text("listen = \"0.0.0.0:80\"").unwrap();
        assert!(!c.demo);
        let c = Config::from_file_text("demo = true").unwrap();
        assert!(c.demo);
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        let e = toml::from_str::<Config>("listne = \"x\"").err().unwrap();
        assert!(e.to_string().contains("listne"));
    }
}
