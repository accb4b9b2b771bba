//! Argon2id password hashes in PHC strings. Hashing is CPU-heavy, so it runs on
//! the blocking pool and never stalls the async workers.

use crate::config::PasswordCost;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

fn hasher(cost: PasswordCost) -> Result<Argon2<'static>, String> {
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
        .map_err(|e| e.to_string())?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub async fn hash(password: String, cost: PasswordCost) -> Result<String, String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher(cost)?
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Verifies against a stored hash; the hash's own parameters are used.
/// With no stored hash a dummy one is checked, so an unknown login takes as
/// long as a wrong password and reveals nothing.
pub async fn verify(password: String, stored: Option<String>, cost: PasswordCost) -> bool {
    tokio::task::spawn_blocking(move || {
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
    .unwrap_or(false)
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
        assert!(verify("Секретный-пароль-42".into(), Some(h.clone()), CHEAP).await);
        assert!(!verify("секретный-пароль-42".into(), Some(h), CHEAP).await);
        assert!(!verify("x".into(), None, CHEAP).await);
        assert!(!verify("x".into(), Some("garbage".into()), CHEAP).await);
    }
}
