/// Why a store call did not happen. Nothing is changed when an error is returned.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique value (the named field) already belongs to another record.
    #[error("conflict on {0}")]
    Conflict(&'static str),
    #[error("not found")]
    NotFound,
    /// The record changed since it was read; the caller re-reads and decides again.
    #[error("stale record")]
    Stale,
    #[error("configuration: {0}")]
    Config(String),
    /// A stored value the code cannot understand (a bug or a manual edit).
    #[error("corrupt record: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Maps a unique-constraint violation to the field it concerns.
    pub(crate) fn from_insert(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err
            && db.is_unique_violation()
        {
            let text = format!("{} {}", db.constraint().unwrap_or(""), db.message());
            for field in ["phone", "email", "snils", "code"] {
                if text.contains(field) {
                    return Self::Conflict(field);
                }
            }
            return Self::Conflict("unique");
        }
        Self::Database(err)
    }
}
