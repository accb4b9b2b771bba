//! Passwords, tokens, CSRF and response headers.

pub mod csrf;
pub mod headers;
pub mod password;
pub mod tokens;
