//! Passwords, tokens, CSRF and response headers.

pub mod csrf;
pub mod entrance;
pub mod headers;
pub mod password;
pub mod tokens;
