//! Wiring: store, vault, senders, registries, worker and web server.

use crate::config::Config;
use anyhow::Context;
use app::jobs::{self, Senders};
use app::{PasswordCost, Settings};
use notify::{DemoMailbox, Sender, SmsGateway, SmtpSender, Worker, WorkerConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use store::vault::Vault;
use store::{Store, job_kind};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Knobs that tests set and operators do not.
#[derive(Clone, Copy)]
pub struct StartOptions {
    pub clock: fn() -> i64,
    pub worker_poll: Duration,
}

impl Default for StartOptions {
    fn default() -> Self {
        Self {
            clock: app::system_clock,
            worker_poll: Duration::from_millis(500),
        }
    }
}

/// A started portal. `stop` finishes requests and jobs in flight.
pub struct Running {
    pub addr: SocketAddr,
    pub store: Arc<dyn Store>,
    pub registry_url: String,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    background: Vec<JoinHandle<()>>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        if let Ok(Err(e)) = self.server.await {
            tracing::error!(error = %e, "server stopped with an error");
        }
        for task in self.background {
            let _ = task.await;
        }
    }
}

/// Documents typeset with typst (the `documents` crate).
struct Typst;

impl app::documents::Typesetter for Typst {
    fn typeset(
        &self,
        doc: &domain::document::Document,
        at_ms: i64,
    ) -> Result<(Vec<u8>, Option<String>), String> {
        documents::render(doc, at_ms)
            .map(|r| (r.pdf, r.standard.map(str::to_owned)))
            .map_err(|e| e.to_string())
    }
}

struct Unconfigured(&'static str);

#[async_trait::async_trait]
impl Sender for Unconfigured {
    async fn send(&self, _m: &notify::OutgoingMessage) -> Result<(), notify::SendError> {
        Err(notify::SendError::Permanent(format!(
            "{} is not configured",
            self.0
        )))
    }
}

pub fn password_cost(config: &Config) -> PasswordCost {
    match config.password {
        Some(p) => PasswordCost {
            memory_kib: p.memory_kib,
            iterations: p.iterations,
            parallelism: 1,
        },
        None => PasswordCost::default(),
    }
}

/// The vault key: configured, or in demo mode kept in `data/vault.key`.
pub fn vault(config: &Config) -> anyhow::Result<Vault> {
    let key = match &config.vault.key {
        Some(k) => k.clone(),
        None if config.demo => demo_key()?,
        None => anyhow::bail!("vault.key is required outside demo mode"),
    };
    let mut vault = Vault::new(&config.vault.key_id, &key).context("vault.key")?;
    for other in &config.vault.other_keys {
        vault = vault
            .with_other_key(&other.key_id, &other.key)
            .with_context(|| format!("vault.other_keys {}", other.key_id))?;
    }
    if let Some(id) = config
        .vault
        .seal_with
        .as_deref()
        .filter(|id| *id != config.vault.key_id)
    {
        vault = vault
            .sealing_with(id)
            .with_context(|| format!("vault.seal_with {id}: not among vault.other_keys"))?;
    }
    Ok(vault)
}

fn demo_key() -> anyhow::Result<String> {
    let path = std::path::Path::new("data/vault.key");
    if let Ok(k) = std::fs::read_to_string(path) {
        return Ok(k.trim().to_owned());
    }
    std::fs::create_dir_all("data")?;
    let key = hex::encode(rand::random::<[u8; 32]>());
    std::fs::write(path, &key)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(key)
}

pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let audit_key = vault(config)?.audit_key();
    store::connect(&config.database_url, config.migrate_on_start, audit_key)
        .await
        .with_context(|| "cannot open the database (check database_url)")
}

pub async fn start(config: Config, vault: Vault, options: StartOptions) -> anyhow::Result<Running> {
    crate::memory::return_large_allocations();
    // A broken service definition stops the start, naming its file and line.
    let catalogue = app::catalogue::Catalogue::builtin()?;
    tracing::info!(
        services = catalogue.services().len(),
        "service catalogue checked"
    );
    let vault_audit_key = vault.audit_key();
    let store = store::connect(
        &config.database_url,
        config.migrate_on_start,
        vault_audit_key.clone(),
    )
    .await
    .with_context(|| "cannot open the database (check database_url)")?;
    let cost = password_cost(&config);
    let now = (options.clock)();
    if config.demo {
        crate::demo::seed(&store, cost, now).await?;
    }
    let (shutdown, stop_rx) = watch::channel(false);
    let mut background = Vec::new();

    let (registry_url, registry_token) = match &config.registries {
        Some(r) => (r.url.clone(), r.token.clone()),
        None => {
            // Demo: a reference registry on loopback, a real HTTP service.
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let url = format!("http://{}", listener.local_addr()?);
            let token = app::credentials::tokens::new_token();
            let sim = registries::sim::SimConfig {
                token: token.clone(),
                population: registries::sim::Population::demo(),
            };
            let mut rx = stop_rx.clone();
            background.push(tokio::spawn(async move {
                let stop = async move {
                    let _ = rx.wait_for(|s| *s).await;
                };
                if let Err(e) = registries::sim::serve_with_shutdown(listener, sim, stop).await {
                    tracing::error!(error = %e, "demo registry stopped");
                }
            }));
            (url, token)
        }
    };
    let timeout = config.registries.as_ref().map_or(5_000, |r| r.timeout_ms);
    let registry = registries::RegistryClient::new(
        &registry_url,
        &registry_token,
        Duration::from_millis(timeout),
    )
    .map_err(|e| anyhow::anyhow!("registries: {e}"))?;

    let payments = match &config.payments {
        Some(p) => p.clone(),
        None if config.demo => {
            // Demo: the test acquirer on loopback, a real HTTP service.
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let url = format!("http://{}", listener.local_addr()?);
            let token = app::credentials::tokens::new_token();
            let secret = app::credentials::tokens::new_token();
            let sim = acquirer::sim::SimConfig {
                token: token.clone(),
                secret: secret.clone(),
                public_url: url.clone(),
            };
            let mut rx = stop_rx.clone();
            background.push(tokio::spawn(async move {
                let stop = async move {
                    let _ = rx.wait_for(|s| *s).await;
                };
                if let Err(e) = acquirer::sim::serve_with_shutdown(listener, sim, stop).await {
                    tracing::error!(error = %e, "demo acquirer stopped");
                }
            }));
            crate::config::PaymentsConfig {
                url,
                token,
                secret,
                timeout_ms: 5_000,
                reconcile_after_seconds: 60,
            }
        }
        None => crate::config::PaymentsConfig {
            url: String::new(),
            token: String::new(),
            secret: String::new(),
            timeout_ms: 5_000,
            reconcile_after_seconds: 120,
        },
    };
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let settings = Settings {
        public_url: config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}")),
        demo_mode: config.demo,
        session_idle_ms: config.session_idle_minutes * 60_000,
        session_absolute_ms: config.session_absolute_hours * 3_600_000,
        password_cost: cost,
        letter_code_days: config.letter_code_days,
        attachments_dir: config.attachments_dir.clone().into(),
        seeded_addresses: config.seeded_addresses.unwrap_or(config.demo),
        s3: config.s3.as_ref().map(|s| app::blobs::S3Settings {
            endpoint: s.endpoint.clone(),
            bucket: s.bucket.clone(),
            region: s.region.clone(),
            access_key: s.access_key.clone(),
            secret_key: s.secret_key.clone(),
        }),
        payments: Some(app::PaymentSettings {
            url: payments.url.clone(),
            token: payments.token.clone(),
            secret: payments.secret.clone(),
            timeout_ms: payments.timeout_ms,
            reconcile_after_ms: payments.reconcile_after_seconds * 1000,
        })
        .filter(|_| !payments.url.is_empty()),
    };
    // The fee schedule's built-in editions, before anything is charged.
    let portal = app::Portal::new(
        store.clone(),
        vault.clone(),
        settings.clone(),
        options.clock,
        None,
        catalogue.clone(),
    );
    let added = app::fees::seed(&portal)
        .await
        .map_err(|e| anyhow::anyhow!("fee schedule: {}", e.code))?;
    if added > 0 {
        tracing::info!(added, "fee schedule editions stored");
    }
    let senders = Senders {
        email: match (&config.smtp, config.demo) {
            (Some(smtp), _) => Arc::new(SmtpSender::new(smtp).map_err(anyhow::Error::msg)?),
            (None, true) => Arc::new(DemoMailbox::new(store.clone())),
            (None, false) => Arc::new(Unconfigured("smtp")),
        },
        sms: match (&config.sms, config.demo) {
            (Some(sms), _) => Arc::new(
                SmsGateway::with_timeout(
                    &sms.url,
                    &sms.token,
                    std::time::Duration::from_millis(sms.timeout_ms.max(1)),
                )
                .map_err(anyhow::Error::msg)?,
            ),
            (None, true) => Arc::new(DemoMailbox::new(store.clone())),
            (None, false) => Arc::new(Unconfigured("sms")),
        },
    };

    if config.run_worker {
        store.enqueue(jobs::purge_job(now), now).await?;
        let consent_jobs = Arc::new(app::consents::ConsentJobs {
            store: store.clone(),
            catalogue: catalogue.clone(),
            clock: options.clock,
        });
        let worker = Worker::new(
            store.clone(),
            WorkerConfig {
                lease_ms: config.job_lease_seconds * 1000,
                idle_poll: options.worker_poll,
                // Stopped before the lease ends, so no other worker runs it twice.
                time_limit: std::time::Duration::from_millis(
                    u64::try_from(config.job_lease_seconds * 750).unwrap_or(45_000),
                ),
                ..WorkerConfig::default()
            },
            options.clock,
        )
        .handle(
            job_kind::DELIVER_CODE,
            Arc::new(jobs::DeliverCode {
                store: store.clone(),
                vault: vault.clone(),
                senders: senders.clone(),
            }),
        )
        .handle(
            job_kind::NOTIFY,
            Arc::new(jobs::Notify {
                store: store.clone(),
                senders,
                clock: options.clock,
            }),
        )
        .handle(
            job_kind::VERIFY_IDENTITY,
            Arc::new(jobs::VerifyIdentity {
                store: store.clone(),
                vault: vault.clone(),
                registries: registry,
                clock: options.clock,
            }),
        )
        .handle(
            job_kind::PRINT_LETTER,
            Arc::new(jobs::PrintLetter {
                store: store.clone(),
                vault: vault.clone(),
                clock: options.clock,
            }),
        )
        .handle(job_kind::CONSENT_EXPIRE, consent_jobs.clone())
        .handle(job_kind::CONSENT_SETTLE, consent_jobs)
        .handle(
            job_kind::VISIT_REMINDER,
            Arc::new(app::visits::VisitReminders {
                store: store.clone(),
                clock: options.clock,
            }),
        )
        .handle(
            job_kind::PAYMENT_RECONCILE,
            Arc::new(app::payments::PaymentJobs {
                portal: portal.clone(),
            }),
        )
        .handle(
            job_kind::PAYMENT_REFUND,
            Arc::new(app::payments::PaymentJobs {
                portal: portal.clone(),
            }),
        )
        .handle(
            job_kind::MAKE_DOCUMENT,
            Arc::new(app::documents::DocumentJobs {
                portal: portal.clone(),
            }),
        )
        .handle(
            job_kind::PURGE_SESSIONS,
            Arc::new(jobs::PurgeSessions {
                store: store.clone(),
                clock: options.clock,
            }),
        )
        .handle(
            job_kind::FILL_APPLICANT_SURNAMES,
            Arc::new(jobs::FillApplicantSurnames {
                store: store.clone(),
                clock: options.clock,
            }),
        );
        let rx = stop_rx.clone();
        background.push(tokio::spawn(worker.run(rx)));
    }

    let limits = web::HttpLimits {
        entrance_per_minute: config.entrance_per_minute,
        entrance_burst: config.entrance_burst,
        request_timeout: std::time::Duration::from_secs(config.request_timeout_seconds.max(1)),
        ..web::HttpLimits::default()
    };
    let trust = trust_store(&config)?;
    if config.demo {
        // The story is a convenience: a failure is said, the portal starts.
        if let Err(e) = crate::demo::seed_story(&portal, now).await {
            tracing::warn!(error = %e, "the demo applicant's story was not seeded");
        }
    }
    let standby = match &config.database_read_url {
        // A standby is read-only and follows the primary's schema: never migrated.
        Some(url) => match store::connect(url, false, vault_audit_key.clone()).await {
            Ok(s) => Some(s),
            Err(e) => {
                // The primary alone serves everything; a restart tries again.
                tracing::error!(error = %e, "cannot open the standby (database_read_url): every read goes to the primary");
                None
            }
        },
        None => None,
    };
    let replica = match standby {
        Some(standby) => {
            let replica = Arc::new(app::replica::Replica::new(
                standby,
                i64::from(config.standby_max_lag_ms),
            ));
            background.push(tokio::spawn(app::replica::follow(
                store.clone(),
                replica.clone(),
                options.clock,
                Duration::from_millis(100),
                stop_rx.clone(),
            )));
            tracing::info!(
                "people's lists and status reads go to the standby when it holds their changes"
            );
            Some(replica)
        }
        None => None,
    };
    let router = web::portal_router(web::PortalParts {
        store: store.clone(),
        vault,
        settings,
        limits,
        clock: options.clock,
        trust,
        catalogue,
        typesetter: Arc::new(Typst),
        replica,
    });
    if !config.audit_checkpoint_file.trim().is_empty() {
        background.push(crate::checkpoints::spawn(
            store.clone(),
            vault_audit_key.clone(),
            config.audit_checkpoint_file.clone().into(),
            std::time::Duration::from_secs(config.audit_checkpoint_minutes.max(1) * 60),
            options.clock,
            stop_rx.clone(),
        ));
    }
    let limits = crate::http_server::ServerLimits {
        header_read_timeout: std::time::Duration::from_secs(
            config.header_read_timeout_seconds.max(1),
        ),
        shutdown_deadline: std::time::Duration::from_secs(config.shutdown_deadline_seconds),
    };
    let server = tokio::spawn(crate::http_server::serve(listener, router, limits, stop_rx));
    Ok(Running {
        addr,
        store,
        registry_url,
        shutdown,
        server,
        background,
    })
}

/// The trusted CAs for qualified signatures: the configured file, or in demo
/// mode a demo CA kept in `data/demo-ca.pem` (created on first start).
pub fn trust_store(config: &Config) -> anyhow::Result<Option<qes::TrustStore>> {
    let pem = match (&config.qes_trust_file, config.demo) {
        (Some(path), _) => {
            std::fs::read_to_string(path).with_context(|| format!("qes_trust_file {path}"))?
        }
        (None, true) => demo_ca()?.cert_pem,
        (None, false) => return Ok(None),
    };
    Ok(Some(
        qes::TrustStore::from_pem(&pem).map_err(|e| anyhow::anyhow!("qes_trust_file: {e}"))?,
    ))
}

/// The demo certification authority (demo mode only), created once.
pub fn demo_ca() -> anyhow::Result<qes::DemoCa> {
    let (cert, key) = (
        std::path::Path::new("data/demo-ca.pem"),
        std::path::Path::new("data/demo-ca.key"),
    );
    if let (Ok(cert_pem), Ok(key_pem)) =
        (std::fs::read_to_string(cert), std::fs::read_to_string(key))
    {
        return Ok(qes::DemoCa { cert_pem, key_pem });
    }
    std::fs::create_dir_all("data")?;
    let now = app::system_clock() / 1000;
    let ca = qes::demo_ca(
        "Демонстрационный УЦ migportal",
        now - 86_400,
        now + 10 * 365 * 86_400,
    )
    .map_err(|e| anyhow::anyhow!("demo CA: {e}"))?;
    std::fs::write(cert, &ca.cert_pem)?;
    std::fs::write(key, &ca.key_pem)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(key, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(ca)
}
