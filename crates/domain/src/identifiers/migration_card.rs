//! Миграционная карта: series of 4 digits and number of 7 digits.

use super::{digits_with, serialize_as_display};
use crate::Invalid;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MigrationCard(String);

impl MigrationCard {
    /// Accepts "4617 1234567" and "46171234567".
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let d = digits_with(input, &[' '], "migration_card.format")?;
        if d.len() != 11 {
            return Err(Invalid::new("migration_card.format"));
        }
        Ok(Self(d))
    }

    pub fn series(&self) -> &str {
        &self.0[..4]
    }

    pub fn number(&self) -> &str {
        &self.0[4..]
    }
}

impl fmt::Display for MigrationCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.series(), self.number())
    }
}

serialize_as_display!(MigrationCard);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_both_forms() {
        for s in ["4617 1234567", "46171234567", "\t4617 1234567 "] {
            let m = MigrationCard::parse(s).unwrap();
            assert_eq!(m.to_string(), "4617 1234567");
            assert_eq!((m.series(), m.number()), ("4617", "1234567"));
        }
    }

    #[test]
    fn refuses_invalid() {
        for s in [
            "",
            "4617 123456",
            "461712345678",
            "4617-1234567",
            "４６１７ １２３４５６７",
            "46l7 1234567",
        ] {
            assert_eq!(
                MigrationCard::parse(s).unwrap_err().code,
                "migration_card.format",
                "{s:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn display_round_trips(n in 0u64..100_000_000_000) {
            let m = MigrationCard::parse(&format!("{n:011}")).unwrap();
            prop_assert_eq!(MigrationCard::parse(&m.to_string()).unwrap(), m);
        }

        #[test]
        fn never_panics(s in any::<String>(), t in "\\PC*") {
            let _ = MigrationCard::parse(&s);
            let _ = MigrationCard::parse(&t);
        }
    }
}
