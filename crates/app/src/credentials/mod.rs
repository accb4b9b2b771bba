//! Secrets a person holds: passwords (argon2id, bounded per process),
//! session tokens and code hashes.

pub mod password;
pub mod tokens;
