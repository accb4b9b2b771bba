//! An officer's day.
