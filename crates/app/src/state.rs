use crate::config::Settings;
use domain::otp::OtpPolicy;
use domain::throttle::LoginThrottlePolicy;
use std::sync::Arc;
use store::Store;
use store::vault::Vault;

/// Everything a use case may use: the store, the vault, the settings, the
/// clock and the policies. Cheap to clone.
#[derive(Clone)]
pub struct Portal(Arc<Inner>);

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub vault: Vault,
    pub config: Settings,
    /// Unix milliseconds; injected so tests can move time.
    pub clock: fn() -> i64,
    pub otp: OtpPolicy,
    pub throttle: LoginThrottlePolicy,
    /// Codes sent to one destination (counted like failures, in the database).
    pub sends: LoginThrottlePolicy,
    /// Trusted certification authorities for qualified signatures, if configured.
    pub trust: Option<qes::TrustStore>,
    pub letters: domain::letter::LetterPolicy,
    /// The migration services, checked at start.
    pub catalogue: crate::catalogue::Catalogue,
    /// Where uploaded files' bytes are kept.
    pub blobs: Arc<dyn crate::blobs::BlobStore>,
    /// Where addresses are chosen from.
    pub addresses: Arc<dyn crate::addresses::AddressDirectory>,
    /// Working days and holidays, for legal deadlines.
    pub calendar: domain::calendar::ProductionCalendar,
    /// The payment provider, when configured.
    pub acquirer: Option<acquirer::AcquirerClient>,
    /// Typesets a document's PDF when it is first opened (set once by the
    /// wiring; the typesetting crate is heavy and `app` does not build it).
    pub typesetter: std::sync::OnceLock<Arc<dyn crate::documents::Typesetter>>,
    /// A read-only standby for people's lists and status reads, when
    /// configured (set once by the wiring, which also follows it).
    pub replica: std::sync::OnceLock<Arc<crate::replica::Replica>>,
}

impl Portal {
    pub fn new(
        store: Arc<dyn Store>,
        vault: Vault,
        config: Settings,
        clock: fn() -> i64,
        trust: Option<qes::TrustStore>,
        catalogue: crate::catalogue::Catalogue,
    ) -> Self {
        let letters = domain::letter::LetterPolicy {
            code_ttl_ms: i64::from(config.letter_code_days.max(1)) * 24 * 60 * 60 * 1000,
            ..domain::letter::LetterPolicy::default()
        };
        let blobs: Arc<dyn crate::blobs::BlobStore> = match &config.s3 {
            Some(s3) => Arc::new(crate::blobs::S3Blobs::new(s3.clone())),
            None => Arc::new(crate::blobs::LocalBlobs::new(
                config.attachments_dir.clone(),
            )),
        };
        let addresses: Arc<dyn crate::addresses::AddressDirectory> =
            match crate::addresses::SeededDirectory::builtin() {
                Ok(d) if config.seeded_addresses => Arc::new(d),
                Ok(_) => Arc::new(crate::addresses::SeededDirectory::empty()),
                // Checked by a unit test; never silently half-loaded.
                Err(e) => {
                    tracing::error!(error = %e, "the address directory did not load");
                    Arc::new(crate::addresses::SeededDirectory::empty())
                }
            };
        let calendar = crate::calendar::builtin().unwrap_or_else(|e| {
            // Checked by a unit test; without it only the Labour Code's holidays count.
            tracing::error!(error = %e, "the production calendar did not load");
            domain::calendar::ProductionCalendar::new(&[])
        });
        let acquirer = config.payments.as_ref().and_then(|p| {
            acquirer::AcquirerClient::new(
                &p.url,
                &p.token,
                std::time::Duration::from_millis(p.timeout_ms),
            )
            .map_err(|e| tracing::error!(error = %e, "the payment provider's client"))
            .ok()
        });
        Self(Arc::new(Inner {
            acquirer,
            calendar,
            addresses,
            blobs,
            store,
            vault,
            config,
            clock,
            otp: OtpPolicy::default(),
            throttle: LoginThrottlePolicy::default(),
            sends: LoginThrottlePolicy::code_sends(),
            trust,
            letters,
            catalogue,
            typesetter: std::sync::OnceLock::new(),
            replica: std::sync::OnceLock::new(),
        }))
    }

    pub fn now(&self) -> i64 {
        (self.0.clock)()
    }

    /// One of `account`'s reads of their own lists and status: from the
    /// standby when there is one and it already holds what they changed
    /// (`replica::ReadYourWrites`), else — or should the standby fail
    /// (down, restarting) — from the primary.
    pub async fn read_own<T, F, Fut>(&self, account: uuid::Uuid, read: F) -> store::Result<T>
    where
        F: Fn(Arc<dyn Store>) -> Fut,
        Fut: std::future::Future<Output = store::Result<T>>,
    {
        if let Some(r) = self.replica.get()
            && r.rule.serves(account, self.now())
        {
            match read(r.store.clone()).await {
                Err(store::StoreError::Database(e)) => {
                    tracing::warn!(error = %e, "the standby failed a read; the primary answers");
                }
                answer => return answer,
            }
        }
        read(self.store.clone()).await
    }

    /// A request of `account` that may change something has begun.
    pub fn began_writing(&self, account: uuid::Uuid) {
        if let Some(r) = self.replica.get() {
            r.rule.began(account);
        }
    }

    /// That request has ended: answered, or cut short (time limit, the
    /// client gone) with its COMMIT perhaps still landing.
    pub fn ended_writing(&self, account: uuid::Uuid, cut_short: bool) {
        if let Some(r) = self.replica.get() {
            r.rule.ended(account, self.now(), cut_short);
        }
    }

    /// `account` has just changed something in a request that only reads
    /// (marking messages read).
    pub fn wrote(&self, account: uuid::Uuid) {
        if let Some(r) = self.replica.get() {
            r.rule.wrote(account, self.now());
        }
    }
}

impl std::ops::Deref for Portal {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// The real clock.
pub fn system_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
