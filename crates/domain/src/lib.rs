//! Pure domain rules of migportal. Nothing here performs I/O: callers pass in
//! the current time and random values so every rule is deterministic and testable.

pub mod account;
pub mod address;
pub mod application;
pub mod attachment;
pub mod calendar;
pub mod catalogue;
pub mod confirmation;
pub mod document;
pub mod eligibility;
pub mod error;
pub mod fees;
pub mod form;
pub mod identifiers;
pub mod identity;
pub mod letter;
pub mod lifecycle;
pub mod otp;
pub mod permission;
pub mod person;
pub mod routing;
pub mod schedule;
pub mod throttle;
pub mod totp;

pub use error::Invalid;
