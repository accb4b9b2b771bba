/// Settings of the HTTP layer, built by the binary from its configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Where people reach the portal; `https://…` turns on `Secure` cookies.
    pub public_url: String,
    /// Demo mode shows the demo mailbox page and banner.
    pub demo_mode: bool,
    /// Idle lifetime of a session; every request extends it.
    pub session_idle_ms: i64,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    pub password_cost: PasswordCost,
    /// How long a registered letter's code stays valid.
    pub letter_code_days: u32,
    /// Entrance requests (sign-in, registration, codes, resets) one address
    /// may make per minute, and at once.
    pub entrance_per_minute: u32,
    pub entrance_burst: u32,
    /// Absolute lifetime of a session, however active.
    pub session_absolute_ms: i64,
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

impl WebConfig {
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            demo_mode: false,
            session_idle_ms: 30 * 60 * 1000,
            max_body_bytes: 64 * 1024,
            password_cost: PasswordCost::default(),
            letter_code_days: 90,
            entrance_per_minute: 30,
            entrance_burst: 20,
            session_absolute_ms: 12 * 60 * 60 * 1000,
        }
    }
}
