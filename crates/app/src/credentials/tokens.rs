use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new unguessable token (256 bits), URL-safe.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens are stored hashed, so a database leak does not hand out sessions.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The stored form of a one-time code, bound to its challenge.
/// A one-time or letter code as stored: an HMAC with the server's key (not
/// in the database), bound to its challenge, so a copy of the database does
/// not let anyone try the small code space offline.
pub fn code_hash(vault: &store::vault::Vault, challenge_id: uuid::Uuid, code: &str) -> String {
    vault.lookup("code", &format!("{challenge_id}:{code}"))
}

/// Compares secrets in constant time.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
