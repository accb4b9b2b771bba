//! CSRF, response headers and per-address limits (passwords and tokens are
//! `app::credentials`).

pub mod csrf;
pub mod entrance;
pub mod headers;
