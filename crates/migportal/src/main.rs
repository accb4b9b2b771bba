//! `migportal` — the command line. See `migportal --help`.

use anyhow::Context;
use clap::{Parser, Subcommand};
use migportal::{Config, StartOptions, demo, wiring};
use std::io::BufRead;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "migportal", version, about = "Portal of migration services")]
struct Cli {
    /// A TOML configuration file; MIGPORTAL_* variables override it.
    #[arg(long, global = true, env = "MIGPORTAL_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal (with no configuration: a demo on SQLite at 127.0.0.1:8080).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Load demo offices and accounts (idempotent).
    SeedDemo,
    /// Create an account (staff or applicant). The password is read from the
    /// first line of standard input, or generated and printed when stdin is empty.
    CreateUser {
        #[arg(long)]
        role: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        surname: String,
        #[arg(long)]
        given_name: String,
        #[arg(long)]
        patronymic: Option<String>,
        /// Office code (NNN-NNN) for officers and heads of office.
        #[arg(long)]
        office: Option<String>,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The outbound post of registered letters.
    Letters {
        #[command(subcommand)]
        command: LettersCommand,
    },
    /// Demo only: issue a personal certificate from the demo CA (data/demo-ca.*).
    DemoCert {
        #[arg(long)]
        snils: String,
        #[arg(long)]
        surname: String,
        /// Given name and patronymic, as Russian certificates hold them.
        #[arg(long)]
        given_name: String,
        /// Directory for cert.pem and key.pem.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Demo only: sign a confirmation challenge (base64) with a key file.
    SignChallenge {
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        challenge: String,
    },
    /// Run the reference registry service (pension fund, interior ministry, tax service).
    RegistrySim {
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: String,
        #[arg(long, env = "MIGPORTAL_REGISTRY_SIM_TOKEN")]
        token: String,
        /// A JSON array of people added to the demo population.
        #[arg(long)]
        population: Option<PathBuf>,
    },
    /// Run the test acquirer (a payment provider with a payment page and
    /// signed callbacks) for a portal configured with `[payments]`.
    AcquirerSim {
        #[arg(long, default_value = "127.0.0.1:8091")]
        listen: String,
        /// Where people's browsers reach it (defaults to http://LISTEN).
        #[arg(long)]
        public_url: Option<String>,
        #[arg(long, env = "MIGPORTAL_ACQUIRER_SIM_TOKEN")]
        token: String,
        /// The key its callbacks are signed with (the portal's `payments.secret`).
        #[arg(long, env = "MIGPORTAL_ACQUIRER_SIM_SECRET")]
        secret: String,
    },
}

#[derive(Subcommand)]
enum LettersCommand {
    /// Write every letter waiting for the post to DIR as a text file, mark it
    /// handed over, and forget its text (the code stays only as a hash).
    Export {
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the whole hash chain; names the first broken entry and exits 1.
    Verify,
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    // Colours only for a person at a terminal: in a file or a log
    // collector the escape codes would split every line's fields.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::RegistrySim {
        listen,
        token,
        population,
    } = &cli.command
    {
        init_logs(false);
        return registry_sim(listen, token, population.as_deref()).await;
    }
    if let Command::AcquirerSim {
        listen,
        public_url,
        token,
        secret,
    } = &cli.command
    {
        init_logs(false);
        return acquirer_sim(listen, public_url.as_deref(), token, secret).await;
    }
    let config = Config::load(cli.config.as_deref())?;
    init_logs(config.log_format == "json");
    match cli.command {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            let mut c = config;
            c.migrate_on_start = true;
            wiring::open_store(&c).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::SeedDemo => {
            let store = wiring::open_store(&config).await?;
            let now = ::app::system_clock();
            demo::seed(&store, wiring::password_cost(&config), now).await?;
            let settings = ::app::Settings {
                attachments_dir: config.attachments_dir.clone().into(),
                seeded_addresses: true,
                ..::app::Settings::default()
            };
            let portal = ::app::Portal::new(
                store,
                wiring::vault(&config)?,
                settings,
                ::app::system_clock,
                None,
                ::app::catalogue::Catalogue::builtin()?,
            );
            demo::seed_story(&portal, now).await?;
            print_demo_logins();
            Ok(())
        }
        Command::CreateUser {
            role,
            email,
            surname,
            given_name,
            patronymic,
            office,
        } => {
            create_user(
                &config,
                &role,
                &email,
                &surname,
                &given_name,
                patronymic.as_deref(),
                office.as_deref(),
            )
            .await
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let store = wiring::open_store(&config).await?;
            let key = wiring::vault(&config)?.audit_key();
            let path = std::path::Path::new(&config.audit_checkpoint_file);
            let checkpoints = migportal::checkpoints::read(path)?;
            if checkpoints.is_empty() {
                println!(
                    "WARNING: no signed checkpoints in {}: a log cut short at its end cannot be told from an intact one",
                    path.display()
                );
            }
            match store::audit::verify_all(store.as_ref(), &key, &checkpoints).await? {
                Ok(n) => {
                    println!(
                        "audit log intact: {n} entries; {} signed checkpoints of {} agree",
                        checkpoints.len(),
                        path.display()
                    );
                    Ok(())
                }
                Err(b) => {
                    let id = b.id.map(|i| format!(" ({i})")).unwrap_or_default();
                    println!(
                        "audit log BROKEN at entry #{} of lane {}{id}: {}",
                        b.seq, b.lane, b.reason
                    );
                    std::process::exit(1);
                }
            }
        }
        Command::Letters {
            command: LettersCommand::Export { out },
        } => export_letters(&config, &out).await,
        Command::DemoCert {
            snils,
            surname,
            given_name,
            out,
        } => demo_cert(&snils, &surname, &given_name, &out),
        Command::SignChallenge { key, challenge } => {
            use base64::Engine;
            let key =
                std::fs::read_to_string(&key).with_context(|| format!("{}", key.display()))?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(challenge.trim())
                .context("--challenge is not base64")?;
            println!(
                "{}",
                qes::sign_challenge(&key, &bytes).map_err(|e| anyhow::anyhow!("{e}"))?
            );
            Ok(())
        }
        Command::RegistrySim { .. } | Command::AcquirerSim { .. } => Ok(()),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    tracing::info!(config = ?config, "starting");
    let vault = wiring::vault(&config)?;
    let demo = config.demo;
    if demo {
        tracing::warn!(
            "DEMO MODE: published demo passwords, the demo CA and the demo mailbox are on; \
             never use this for real people (set demo = false in a configuration file)"
        );
    }
    let running = migportal::start(config, vault, StartOptions::default()).await?;
    println!();
    println!("  migportal is serving at {}", running.url());
    if demo {
        println!("  ************************************************************");
        println!("  DEMO MODE: demo data with published passwords, a demo CA, and");
        println!(
            "  no messages sent (read them at {}/demo/mailbox).",
            running.url()
        );
        println!("  Never use demo mode for real people.");
        println!("  ************************************************************");
        print_demo_logins();
    }
    println!();
    shutdown_signal().await;
    tracing::info!("shutting down: finishing requests and jobs in flight");
    running.stop().await;
    Ok(())
}

fn print_demo_logins() {
    println!("  Demo logins (e-mail / password):");
    for l in demo::LOGINS {
        println!("    {:<15} {:<30} {}", l.role.as_str(), l.login, l.password);
    }
}

async fn create_user(
    config: &Config,
    role: &str,
    email: &str,
    surname: &str,
    given_name: &str,
    patronymic: Option<&str>,
    office: Option<&str>,
) -> anyhow::Result<()> {
    use domain::account::{AccountStatus, AssuranceLevel, Role};
    let role = Role::parse(role).map_err(|_| {
        anyhow::anyhow!(
            "--role must be one of: {}",
            Role::ALL.map(Role::as_str).join(", ")
        )
    })?;
    let email =
        domain::person::Email::parse(email).map_err(|e| anyhow::anyhow!("--email: {}", e.code))?;
    let name = domain::person::FullName::parse(surname, given_name, patronymic)
        .map_err(|(field, e)| anyhow::anyhow!("--{field}: {}", e.code))?;
    let store = wiring::open_store(config).await?;
    let office_id = match (role.needs_office(), office) {
        (true, None) => anyhow::bail!("--office is required for {}", role.as_str()),
        (_, None) => None,
        (_, Some(code)) => {
            let offices = store.list_offices().await?;
            let found = offices.into_iter().find(|o| o.code == code);
            Some(
                found
                    .with_context(|| format!("no office with code {code}"))?
                    .id,
            )
        }
    };
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let typed = line.trim_end_matches(['\r', '\n']).to_owned();
    let (password, generated) = if typed.is_empty() {
        (::app::credentials::tokens::new_token(), true)
    } else {
        domain::person::check_password(&typed, &[email.as_str(), surname, given_name])
            .map_err(|e| anyhow::anyhow!("password refused: {}", e.code))?;
        (typed, false)
    };
    let hash = ::app::credentials::password::hash(password.clone(), wiring::password_cost(config))
        .await
        .map_err(anyhow::Error::msg)?;
    store
        .create_account(
            store::NewAccount {
                id: uuid::Uuid::now_v7(),
                surname: name.surname,
                given_name: name.given_name,
                patronymic: name.patronymic,
                phone: None,
                email: Some(email.as_str().to_owned()),
                password_hash: hash,
                status: AccountStatus::Active,
                level: AssuranceLevel::Simplified,
                role,
                office_id,
                lang: "ru".into(),
            },
            None,
            ::app::system_clock(),
        )
        .await
        .map_err(|e| match e {
            store::StoreError::Conflict(f) => {
                anyhow::anyhow!("an account with this {f} already exists")
            }
            other => other.into(),
        })?;
    println!("created {} {}", role.as_str(), email.as_str());
    if generated {
        println!("generated password (shown once): {password}");
    }
    Ok(())
}

async fn acquirer_sim(
    listen: &str,
    public_url: Option<&str>,
    token: &str,
    secret: &str,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let url = public_url.map_or_else(
        || {
            format!(
                "http://{}",
                listener
                    .local_addr()
                    .map(|a| a.to_string())
                    .unwrap_or_default()
            )
        },
        str::to_owned,
    );
    println!("test acquirer at {url}");
    acquirer::sim::serve_with_shutdown(
        listener,
        acquirer::sim::SimConfig {
            token: token.to_owned(),
            secret: secret.to_owned(),
            public_url: url,
        },
        shutdown_signal(),
    )
    .await?;
    Ok(())
}

async fn registry_sim(
    listen: &str,
    token: &str,
    population: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use registries::sim::{Population, SimConfig};
    let mut people = Population::demo();
    if let Some(path) = population {
        let extra =
            Population::load_json(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        people.merge(extra);
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    println!(
        "registry simulator at http://{} ({} people)",
        listener.local_addr()?,
        people.len()
    );
    registries::sim::serve_with_shutdown(
        listener,
        SimConfig {
            token: token.to_owned(),
            population: people,
        },
        shutdown_signal(),
    )
    .await?;
    Ok(())
}

async fn export_letters(config: &Config, out: &std::path::Path) -> anyhow::Result<()> {
    let store = wiring::open_store(config).await?;
    let vault = wiring::vault(config)?;
    std::fs::create_dir_all(out)?;
    let mut n = 0;
    loop {
        let batch = store.outbound_post(100).await?;
        if batch.is_empty() {
            break;
        }
        for item in batch {
            let text = vault
                .open(
                    &item.key_id,
                    &store::vault::place::post_body(item.letter_id),
                    &item.sealed_body,
                )
                .map_err(|e| anyhow::anyhow!("letter {}: {e}", item.letter_id))?;
            std::fs::write(out.join(format!("{}.txt", item.letter_id)), text)?;
            store
                .mark_posted(item.letter_id, ::app::system_clock())
                .await?;
            n += 1;
        }
    }
    println!("{n} letters exported to {}", out.display());
    Ok(())
}

fn demo_cert(
    snils: &str,
    surname: &str,
    given_name: &str,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    let snils = domain::identifiers::Snils::parse(snils)
        .map_err(|e| anyhow::anyhow!("--snils: {}", e.code))?;
    let ca = wiring::demo_ca()?;
    let now = ::app::system_clock() / 1000;
    let cert = qes::issue_personal(
        &ca,
        &qes::PersonalSpec {
            snils: snils.as_digits().to_owned(),
            inn: None,
            surname: surname.to_owned(),
            given_name: given_name.to_owned(),
            not_before_unix: now - 3600,
            not_after_unix: now + 365 * 86_400,
            digital_signature: true,
            is_ca: false,
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("cert.pem"), cert.cert_pem)?;
    std::fs::write(out.join("key.pem"), cert.key_pem)?;
    println!(
        "wrote {0}/cert.pem and {0}/key.pem (demo CA: data/demo-ca.pem)",
        out.display()
    );
    Ok(())
}
