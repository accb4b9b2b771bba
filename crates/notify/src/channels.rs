use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use store::{DemoMessage, Store};

/// The way a message reaches a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }
}

#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    pub channel: Channel,
    /// An e-mail address or an E.164 phone number.
    pub to: String,
    pub subject: String,
    pub body: String,
    /// The delivery key (one per event and channel): the e-mail's Message-ID
    /// and the SMS gateway's idempotency key, so a resend after a crash is
    /// recognisable as the same message.
    pub key: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The server or gateway may accept it later (down, timeout, 4xx greylisting).
    #[error("temporary delivery failure: {0}")]
    Temporary(String),
    /// Retrying will not help (bad address, rejected by the gateway).
    #[error("permanent delivery failure: {0}")]
    Permanent(String),
}

#[async_trait]
pub trait Sender: Send + Sync {
    async fn send(&self, message: &OutgoingMessage) -> Result<(), SendError>;
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text: only for a relay on the same host or in tests.
    None,
    Starttls,
    Tls,
}

#[derive(Clone, serde::Deserialize)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: String,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .finish()
    }
}

/// E-mail over SMTP with lettre.
pub struct SmtpSender {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl SmtpSender {
    pub fn new(config: &SmtpConfig) -> Result<Self, String> {
        use lettre::AsyncSmtpTransport as T;
        let builder = match config.tls {
            SmtpTls::None => T::<lettre::Tokio1Executor>::builder_dangerous(&config.host),
            SmtpTls::Starttls => T::<lettre::Tokio1Executor>::starttls_relay(&config.host)
                .map_err(|e| e.to_string())?,
            SmtpTls::Tls => {
                T::<lettre::Tokio1Executor>::relay(&config.host).map_err(|e| e.to_string())?
            }
        };
        let mut builder = builder
            .port(config.port)
            .timeout(Some(Duration::from_secs(20)));
        if let (Some(u), Some(p)) = (&config.username, &config.password) {
            builder = builder.credentials(
                lettre::transport::smtp::authentication::Credentials::new(u.clone(), p.clone()),
            );
        }
        let from = config
            .from
            .parse()
            .map_err(|e| format!("smtp.from is not an address: {e}"))?;
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }
}

#[async_trait]
impl Sender for SmtpSender {
    async fn send(&self, m: &OutgoingMessage) -> Result<(), SendError> {
        use lettre::AsyncTransport;
        let to: lettre::message::Mailbox =
            m.to.parse()
                .map_err(|_| SendError::Permanent("recipient address rejected".into()))?;
        let email = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            .message_id(m.key.as_ref().map(|k| format!("<{k}@migportal>")))
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(m.body.clone())
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        match self.transport.send(email).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Temporary(e.to_string())),
        }
    }
}

/// SMS through an HTTP gateway: `POST {url}` with `Authorization: Bearer {token}`
/// and the JSON body `{"to": "+79161234567", "text": "…", "id": "…"}` (`id`, the
/// delivery key, when there is one: gateways drop a repeated id); any 2xx is accepted.
pub struct SmsGateway {
    client: reqwest::Client,
    url: String,
    token: String,
}

impl SmsGateway {
    /// A gateway given 15 s to answer.
    pub fn new(url: &str, token: &str) -> Result<Self, String> {
        Self::with_timeout(url, token, Duration::from_secs(15))
    }

    /// A gateway given `timeout` to answer (a hanging one fails the attempt).
    pub fn with_timeout(url: &str, token: &str, timeout: Duration) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            // A redirect would turn the POST into a GET and lose the message.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            client,
            url: url.to_owned(),
            token: token.to_owned(),
        })
    }
}

#[async_trait]
impl Sender for SmsGateway {
    async fn send(&self, m: &OutgoingMessage) -> Result<(), SendError> {
        let body = match &m.key {
            Some(id) => serde_json::json!({ "to": m.to, "text": m.body, "id": id }),
            None => serde_json::json!({ "to": m.to, "text": m.body }),
        };
        let answer = self
            .client
            .post(&self.url)
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .map_err(|e| SendError::Temporary(e.without_url().to_string()))?;
        let status = answer.status();
        if status.is_success() {
            Ok(())
        } else if status.is_server_error() || matches!(status.as_u16(), 408 | 429) {
            Err(SendError::Temporary(format!("gateway answered {status}")))
        } else {
            Err(SendError::Permanent(format!("gateway answered {status}")))
        }
    }
}

/// Demo mode: messages land in a visible mailbox page and the log, clearly
/// marked, instead of reaching a real phone or inbox.
pub struct DemoMailbox {
    store: Arc<dyn Store>,
}

impl DemoMailbox {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl Sender for DemoMailbox {
    async fn send(&self, m: &OutgoingMessage) -> Result<(), SendError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        // Demo mode only: the text (with its code) is shown so a visitor can try the portal.
        tracing::warn!(channel = m.channel.as_str(), body = %m.body, "DEMO MAILBOX: message not sent, shown at /demo/mailbox");
        self.store
            .add_demo_message(DemoMessage {
                // The delivery key as the message's id, as an SMS gateway
                // honours its idempotency key: a resend after a worker died
                // between this and marking the delivery sent adds nothing.
                id: m
                    .key
                    .as_deref()
                    .and_then(|k| uuid::Uuid::parse_str(k).ok())
                    .unwrap_or_else(uuid::Uuid::now_v7),
                channel: m.channel.as_str().to_owned(),
                destination: m.to.clone(),
                subject: m.subject.clone(),
                body: m.body.clone(),
                created_at: now,
            })
            .await
            .map_err(|e| SendError::Temporary(e.to_string()))
    }
}
