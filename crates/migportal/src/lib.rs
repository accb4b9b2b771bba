//! The migportal application: configuration and wiring, used by the binary
//! and by the integration tests, which start the real server in-process.

pub mod checkpoints;
pub mod config;
pub mod demo;
mod http_server;
mod memory;
pub mod wiring;

pub use config::Config;
pub use http_server::MAX_HEAD_BYTES;
pub use wiring::{Running, StartOptions, start};
