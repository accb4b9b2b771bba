//! Fresh, isolated databases for tests: a temporary SQLite file, or a new
//! PostgreSQL database per test when `MIGPORTAL_TEST_POSTGRES_URL` is set.

use sqlx::Connection;
use std::path::PathBuf;

pub const POSTGRES_ENV: &str = "MIGPORTAL_TEST_POSTGRES_URL";

/// The backends a test should run on: SQLite always, PostgreSQL when configured.
pub fn backends() -> Vec<&'static str> {
    let mut v = vec!["sqlite"];
    if std::env::var(POSTGRES_ENV).is_ok_and(|u| !u.trim().is_empty()) {
        v.push("postgres");
    }
    v
}

/// A database that exists for the life of this value.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    pub async fn new(backend: &str) -> Result<Self, String> {
        match backend {
            "sqlite" => {
                let dir =
                    std::env::temp_dir().join(format!("migportal-test-{}", uuid::Uuid::new_v4()));
                std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
                let url = format!("sqlite://{}", dir.join("test.db").display());
                Ok(Self {
                    url,
                    cleanup: Cleanup::Dir(dir),
                })
            }
            "postgres" => {
                let admin_url = std::env::var(POSTGRES_ENV).map_err(|e| e.to_string())?;
                let name = format!("mp_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .map_err(|e| format!("cannot reach {POSTGRES_ENV}: {e}"))?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .map_err(|e| e.to_string())?;
                let _ = conn.close().await;
                let url = with_database(&admin_url, &name);
                Ok(Self {
                    url,
                    cleanup: Cleanup::Postgres { admin_url, name },
                })
            }
            other => Err(format!("unknown backend {other}")),
        }
    }
}

/// Replaces the database name (the URL path) of a PostgreSQL URL.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{}", &base[..host_end], name);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime: use a thread with its own.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    rt.block_on(async move {
                        if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            )))
                            .execute(&mut conn)
                            .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}
