//! Argon2id password hashes in PHC strings. Hashing is CPU-heavy, so it runs on
//! the blocking pool and never stalls the async workers; and memory-heavy (19
//! MiB each by default), so at most one hash per core runs at a time and only
//! a short queue waits: beyond it the caller is told to come back (503).

use crate::config::PasswordCost;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Why no hash was computed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every core is hashing and the queue is full: try again shortly.
    #[error("password hashing is busy")]
    Busy,
    #[error("password hashing failed: {0}")]
    Failed(String),
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

/// Permits to hash (one per core) and to wait for one (a short queue).
struct Limiter {
    running: tokio::sync::Semaphore,
    queue: tokio::sync::Semaphore,
}

impl Limiter {
    fn new(cores: usize) -> Self {
        Self {
            running: tokio::sync::Semaphore::new(cores),
            queue: tokio::sync::Semaphore::new(cores * 8),
        }
    }

    /// Runs `work` when a core is free, or refuses at once when too many wait.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let _waiting = self.queue.try_acquire().map_err(|_| HashError::Busy)?;
        let _running = self.running.acquire().await.map_err(|_| HashError::Busy)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| HashError::Failed(e.to_string()))
    }
}

/// One per process: every hash of every request goes through it.
static LIMITER: std::sync::LazyLock<Limiter> = std::sync::LazyLock::new(|| Limiter::new(cores()));

async fn bounded<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashError> {
    LIMITER.run(work).await
}

fn hasher(cost: PasswordCost) -> Result<Argon2<'static>, String> {
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
        .map_err(|e| e.to_string())?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub async fn hash(password: String, cost: PasswordCost) -> Result<String, HashError> {
    bounded(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher(cost)?
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    })
    .await?
    .map_err(HashError::Failed)
}

/// Verifies against a stored hash; the hash's own parameters are used.
/// With no stored hash a dummy one is checked, so an unknown login takes as
/// long as a wrong password and reveals nothing.
pub async fn verify(
    password: String,
    stored: Option<String>,
    cost: PasswordCost,
) -> Result<bool, HashError> {
    bounded(move || {
        let Ok(argon) = hasher(cost) else {
            return false;
        };
        match stored {
            Some(s) => match PasswordHash::new(&s) {
                Ok(parsed) => argon.verify_password(password.as_bytes(), &parsed).is_ok(),
                Err(_) => false,
            },
            None => {
                let salt = SaltString::generate(&mut OsRng);
                let _ = argon.hash_password(password.as_bytes(), &salt);
                false
            }
        }
    })
    .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const CHEAP: PasswordCost = PasswordCost {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let h = hash("Секретный-пароль-42".into(), CHEAP).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify("Секретный-пароль-42".into(), Some(h.clone()), CHEAP)
                .await
                .unwrap()
        );
        assert!(
            !verify("секретный-пароль-42".into(), Some(h), CHEAP)
                .await
                .unwrap()
        );
        assert!(!verify("x".into(), None, CHEAP).await.unwrap());
        assert!(
            !verify("x".into(), Some("garbage".into()), CHEAP)
                .await
                .unwrap()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_flood_of_hashes_is_bounded_and_the_rest_refused() {
        // Many more at once than may wait: some are refused, none runs unbounded.
        let slow = PasswordCost {
            memory_kib: 8 * 1024,
            iterations: 2,
            parallelism: 1,
        };
        let limiter = std::sync::Arc::new(Limiter::new(2));
        let tries: Vec<_> = (0..200)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move {
                    limiter
                        .run(move || {
                            let salt = SaltString::generate(&mut OsRng);
                            let _ = hasher(slow).map(|a| a.hash_password(b"x", &salt).is_ok());
                        })
                        .await
                })
            })
            .collect();
        let mut busy = 0;
        for t in tries {
            if matches!(t.await.unwrap(), Err(HashError::Busy)) {
                busy += 1;
            }
        }
        assert!(busy > 0, "a queue of 16 was never full");
        assert!(busy <= 200 - 16);
    }
}
