//! HAProxy (Debian's `haproxy`, on `PATH`) in front of several portal
//! processes on one database, round robin, for `load --instances N`: the
//! same clients, now spread over instances that share nothing but the
//! database (sessions, jobs and locks all live there).

use anyhow::{Context, anyhow};
use std::time::{Duration, Instant};

pub struct Balancer {
    child: tokio::process::Child,
    pub url: String,
    pub pid: u32,
    config: std::path::PathBuf,
}

impl Balancer {
    /// Starts HAProxy on a free loopback port in front of `backends`
    /// (`http://127.0.0.1:port` each) and waits until it answers.
    pub async fn start(backends: &[String], dir: &std::path::Path) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let servers: Vec<String> = backends
            .iter()
            .enumerate()
            .map(|(i, url)| {
                let at = url.trim_start_matches("http://");
                format!("    server portal{i} {at}\n")
            })
            .collect();
        let config = dir.join("haproxy.cfg");
        std::fs::write(
            &config,
            format!(
                "global\n    maxconn 8192\n\
                 defaults\n    mode http\n    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\n\
                 frontend portal\n    bind 127.0.0.1:{port}\n    default_backend portals\n\
                 backend portals\n    balance roundrobin\n{}",
                servers.concat()
            ),
        )?;
        let child = tokio::process::Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("haproxy could not start (apt-get install haproxy)")?;
        let pid = child.id().context("haproxy has no pid")?;
        let url = format!("http://127.0.0.1:{port}");
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let up = reqwest::get(format!("{url}/healthz"))
                .await
                .is_ok_and(|r| r.status().is_success());
            if up {
                break;
            }
            if Instant::now() > until {
                return Err(anyhow!("haproxy did not answer on {url} in 10 s"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Self {
            child,
            url,
            pid,
            config,
        })
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
        let _ = std::fs::remove_file(&self.config);
    }
}
