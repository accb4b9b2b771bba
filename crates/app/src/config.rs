/// Settings of the use cases, built by the binary from its configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where people reach the portal (links in messages; `https://…` also
    /// makes the web layer's cookies `Secure`).
    pub public_url: String,
    /// Demo mode: the demo mailbox exists.
    pub demo_mode: bool,
    /// Idle lifetime of a session; every request extends it.
    pub session_idle_ms: i64,
    pub password_cost: PasswordCost,
    /// How long a registered letter's code stays valid.
    pub letter_code_days: u32,
    /// Absolute lifetime of a session, however active.
    pub session_absolute_ms: i64,
    /// Where uploaded files are kept (the local blob store)…
    pub attachments_dir: std::path::PathBuf,
    /// …unless an S3-compatible store is configured.
    pub s3: Option<crate::blobs::S3Settings>,
    /// Addresses are chosen from the seeded directory of the demo regions
    /// (the demo, tests); off, addresses stand as typed until a register
    /// adapter is configured.
    pub seeded_addresses: bool,
    /// The payment provider; none: fees are shown and charged, and paid at
    /// a bank only.
    pub payments: Option<PaymentSettings>,
}

/// The payment provider the portal is a shop of.
#[derive(Debug, Clone)]
pub struct PaymentSettings {
    pub url: String,
    /// The portal's bearer token at the provider.
    pub token: String,
    /// The key of the callbacks' HMAC.
    pub secret: String,
    pub timeout_ms: u64,
    /// When a payment not heard of is asked about first.
    pub reconcile_after_ms: i64,
}

/// Argon2id parameters. Production uses the OWASP-recommended defaults; tests
/// may lower them so a suite of logins stays fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for PasswordCost {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl Settings {
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            demo_mode: false,
            session_idle_ms: 30 * 60 * 1000,
            password_cost: PasswordCost::default(),
            letter_code_days: 90,
            session_absolute_ms: 12 * 60 * 60 * 1000,
            attachments_dir: "data/attachments".into(),
            s3: None,
            seeded_addresses: false,
            payments: None,
        }
    }
}
