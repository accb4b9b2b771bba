//! Encryption at rest of sensitive identifiers (SNILS, passport, INN).
//!
//! Values are sealed with XChaCha20-Poly1305 under a key from the configuration;
//! the key id is stored beside each value so keys can be rotated: new values
//! are sealed under the current key, old ones still open under the previous
//! keys the configuration lists. Each value is bound to its place (table, row
//! and field, as associated data): a sealed value copied into another row or
//! field does not open. Exact lookups (login by SNILS, duplicate checks) use a
//! keyed hash (HMAC-SHA256) derived from the lookup key, so the database never
//! holds a number in clear.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
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
    /// Other keys values may be sealed under (earlier ones, or the next one
    /// before it becomes the sealing key).
    previous: Vec<(String, XChaCha20Poly1305)>,
    lookup_key: [u8; 32],
}

/// Where a sealed value lives: its associated data.
pub mod place {
    use uuid::Uuid;

    pub fn identity(account_id: Uuid) -> String {
        format!("identities:{account_id}:sealed")
    }
    pub fn totp_secret(account_id: Uuid) -> String {
        format!("second_factors:{account_id}:sealed_secret")
    }
    pub fn code_delivery(challenge_id: Uuid) -> String {
        format!("jobs:deliver_code:{challenge_id}")
    }
    pub fn letter_code(letter_id: Uuid) -> String {
        format!("jobs:print_letter:{letter_id}")
    }
    pub fn post_body(letter_id: Uuid) -> String {
        format!("outbound_post:{letter_id}:sealed_body")
    }
}

fn parse_key(hex_key: &str) -> Result<[u8; 32], VaultError> {
    let raw = hex::decode(hex_key.trim()).map_err(|_| VaultError::BadKey)?;
    raw.try_into().map_err(|_| VaultError::BadKey)
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
        let key = parse_key(hex_key)?;
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
            previous: Vec::new(),
            lookup_key,
        })
    }

    /// Adds another key, so values sealed under it still open after a
    /// rotation. Lookups and the audit chain keep deriving from the key the
    /// vault was created with: give the new key as an earlier one first, or
    /// keep the old one current, until a re-index exists.
    pub fn with_other_key(mut self, key_id: &str, hex_key: &str) -> Result<Self, VaultError> {
        let key = parse_key(hex_key)?;
        self.previous
            .push((key_id.to_owned(), XChaCha20Poly1305::new(&key.into())));
        Ok(self)
    }

    /// Seals new values under `key_id` (one of the earlier keys) from now on;
    /// lookups stay as they were.
    pub fn sealing_with(mut self, key_id: &str) -> Result<Self, VaultError> {
        let Some(i) = self.previous.iter().position(|(id, _)| id == key_id) else {
            return Err(VaultError::UnknownKey(key_id.to_owned()));
        };
        let (id, cipher) = self.previous.remove(i);
        let old = std::mem::replace(&mut self.cipher, cipher);
        let old_id = std::mem::replace(&mut self.key_id, id);
        self.previous.push((old_id, old));
        Ok(self)
    }

    /// The key of the audit chain, derived from the vault key (never stored).
    pub fn audit_key(&self) -> crate::audit::AuditKey {
        crate::audit::AuditKey::derive(&self.lookup_key)
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Nonce (24 bytes) followed by the ciphertext, bound to `place` (see
    /// [`place`]) and sealed under the current key.
    pub fn seal(&self, place: &str, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: place.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Damaged)?;
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens a value sealed under `key_id` (current or earlier) for `place`.
    pub fn open(&self, key_id: &str, place: &str, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        let cipher = if key_id == self.key_id {
            &self.cipher
        } else {
            self.previous
                .iter()
                .find(|(id, _)| id == key_id)
                .map(|(_, c)| c)
                .ok_or_else(|| VaultError::UnknownKey(key_id.to_owned()))?
        };
        if sealed.len() < 24 {
            return Err(VaultError::Damaged);
        }
        let (nonce, body) = sealed.split_at(24);
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: place.as_bytes(),
                },
            )
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
        let sealed = v.seal("t:1:f", b"11223344595").unwrap();
        assert!(!sealed.windows(11).any(|w| w == b"11223344595"));
        assert_eq!(v.open("k1", "t:1:f", &sealed).unwrap(), b"11223344595");
        assert!(matches!(
            v.open("k2", "t:1:f", &sealed),
            Err(VaultError::UnknownKey(_))
        ));
        let mut bad = sealed.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(matches!(
            v.open("k1", "t:1:f", &bad),
            Err(VaultError::Damaged)
        ));
    }

    #[test]
    fn a_value_moved_to_another_row_or_field_does_not_open() {
        let v = Vault::new("k1", KEY).unwrap();
        let a = uuid::Uuid::now_v7();
        let b = uuid::Uuid::now_v7();
        let sealed = v.seal(&place::identity(a), b"person A").unwrap();
        assert!(v.open("k1", &place::identity(b), &sealed).is_err());
        assert!(v.open("k1", &place::totp_secret(a), &sealed).is_err());
        assert_eq!(
            v.open("k1", &place::identity(a), &sealed).unwrap(),
            b"person A"
        );
    }

    #[test]
    fn keys_rotate_and_old_values_still_open() {
        let new_key = KEY.replace("00", "aa");
        let old = Vault::new("k1", KEY).unwrap();
        let sealed_old = old.seal("p", b"old").unwrap();
        let rotated = Vault::new("k1", KEY)
            .unwrap()
            .with_other_key("k2", &new_key)
            .unwrap()
            .sealing_with("k2")
            .unwrap();
        assert_eq!(rotated.key_id(), "k2");
        let sealed_new = rotated.seal("p", b"new").unwrap();
        assert_eq!(rotated.open("k1", "p", &sealed_old).unwrap(), b"old");
        assert_eq!(rotated.open("k2", "p", &sealed_new).unwrap(), b"new");
        // Lookups did not move with the cipher key.
        assert_eq!(rotated.lookup("snils", "1"), old.lookup("snils", "1"));
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
