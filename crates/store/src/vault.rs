//! Encryption at rest of sensitive identifiers (SNILS, passport, INN).
//!
//! Values are sealed with XChaCha20-Poly1305 under a key from the configuration;
//! the key id is stored beside each value so keys can be rotated. Exact lookups
//! (login by SNILS, duplicate checks) use a keyed hash (HMAC-SHA256) derived
//! from the same secret, so the database never holds a number in clear.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("the key must be 32 bytes given as 64 hex digits")]
    BadKey,
    #[error("value sealed under unknown key {0}")]
    UnknownKey(String),
    #[error("sealed value is damaged")]
    Damaged,
}

#[derive(Clone)]
pub struct Vault {
    key_id: String,
    cipher: XChaCha20Poly1305,
    lookup_key: [u8; 32],
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// `hex_key` is 64 hex digits; `key_id` names it in stored records.
    pub fn new(key_id: &str, hex_key: &str) -> Result<Self, VaultError> {
        let raw = hex::decode(hex_key.trim()).map_err(|_| VaultError::BadKey)?;
        let key: [u8; 32] = raw.try_into().map_err(|_| VaultError::BadKey)?;
        let cipher = XChaCha20Poly1305::new(&key.into());
        // A separate key for lookups, so the hash reveals nothing about the cipher key.
        let lookup_key: [u8; 32] = Sha256::new()
            .chain_update(b"migportal lookup v1")
            .chain_update(key)
            .finalize()
            .into();
        Ok(Self {
            key_id: key_id.to_owned(),
            cipher,
            lookup_key,
        })
    }

    /// The key of the audit chain, derived from the vault key (never stored).
    pub fn audit_key(&self) -> crate::audit::AuditKey {
        crate::audit::AuditKey::derive(&self.lookup_key)
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Nonce (24 bytes) followed by the ciphertext.
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plaintext)
            .map_err(|_| VaultError::Damaged)?;
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn open(&self, key_id: &str, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        if key_id != self.key_id {
            return Err(VaultError::UnknownKey(key_id.to_owned()));
        }
        if sealed.len() < 24 {
            return Err(VaultError::Damaged);
        }
        let (nonce, body) = sealed.split_at(24);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), body)
            .map_err(|_| VaultError::Damaged)
    }

    /// The keyed hash used to find a record by an exact value of `kind`.
    pub fn lookup(&self, kind: &str, value: &str) -> String {
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.lookup_key) {
            Ok(m) => m,
            // HMAC accepts keys of any length; this branch cannot be taken.
            Err(_) => return String::new(),
        };
        mac.update(kind.as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn seal_and_open() {
        let v = Vault::new("k1", KEY).unwrap();
        let sealed = v.seal(b"11223344595").unwrap();
        assert!(!sealed.windows(11).any(|w| w == b"11223344595"));
        assert_eq!(v.open("k1", &sealed).unwrap(), b"11223344595");
        assert!(matches!(
            v.open("k2", &sealed),
            Err(VaultError::UnknownKey(_))
        ));
        let mut bad = sealed.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(matches!(v.open("k1", &bad), Err(VaultError::Damaged)));
    }

    #[test]
    fn lookup_is_stable_and_keyed() {
        let v = Vault::new("k1", KEY).unwrap();
        let other = Vault::new("k1", &KEY.replace("00", "ff")).unwrap();
        assert_eq!(v.lookup("snils", "1"), v.lookup("snils", "1"));
        assert_ne!(v.lookup("snils", "1"), v.lookup("inn", "1"));
        assert_ne!(v.lookup("snils", "1"), other.lookup("snils", "1"));
        assert!(Vault::new("k", "abc").is_err());
    }
}
