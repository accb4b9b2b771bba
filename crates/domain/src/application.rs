//! An application's status (SPEC §4) with the EPGU code each carries, and
//! the human-readable number it gets on submission. The transitions between
//! statuses after submission come with the lifecycle (issue 17); here a
//! draft may be saved, deleted or submitted.

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Submitted,
    Returned,
    Accepted,
    Invited,
    VisitDone,
    InProduction,
    Ready,
    Completed,
    Rejected,
    Cancelled,
}

impl Status {
    pub const ALL: [Self; 11] = [
        Self::Draft,
        Self::Submitted,
        Self::Returned,
        Self::Accepted,
        Self::Invited,
        Self::VisitDone,
        Self::InProduction,
        Self::Ready,
        Self::Completed,
        Self::Rejected,
        Self::Cancelled,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Returned => "returned",
            Self::Accepted => "accepted",
            Self::Invited => "invited",
            Self::VisitDone => "visit_done",
            Self::InProduction => "in_production",
            Self::Ready => "ready",
            Self::Completed => "completed",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The status code of the federal portal (EPGU) for interoperability.
    pub const fn epgu_code(self) -> u16 {
        match self {
            Self::Draft => 0,
            Self::Submitted => 21,
            Self::Returned => 15,
            Self::Accepted => 6,
            Self::Invited => 25,
            Self::VisitDone => 2,
            Self::InProduction => 6,
            Self::Ready => 35,
            Self::Completed => 3,
            Self::Rejected => 4,
            Self::Cancelled => 10,
        }
    }

    /// Open: neither a draft nor finished. A one-open service allows one such.
    pub const fn is_open(self) -> bool {
        !matches!(
            self,
            Self::Draft | Self::Completed | Self::Rejected | Self::Cancelled
        )
    }

    /// The person may change the answers (a draft, or one returned for fixes).
    pub const fn is_editable(self) -> bool {
        matches!(self, Self::Draft | Self::Returned)
    }
}

/// The number a person and an office quote: the year of submission and a
/// counter shared by all instances, with a Luhn check digit, so any one
/// mistyped digit is caught when the number is searched.
/// `2026-0000123-4`.
pub fn number(year: i32, serial: i64) -> String {
    let body = format!("{year:04}{serial:07}");
    format!("{year:04}-{serial:07}-{}", check_digit(&body))
}

fn check_digit(digits: &str) -> u32 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b.wrapping_sub(b'0'));
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// Whether a typed number is well formed and its check digit holds.
pub fn number_is_valid(s: &str) -> bool {
    let parts: Vec<&str> = s.trim().split('-').collect();
    let [year, serial, check] = parts.as_slice() else {
        return false;
    };
    let digits = |p: &str, n: usize| p.len() >= n && p.bytes().all(|b| b.is_ascii_digit());
    digits(year, 4)
        && year.len() == 4
        && digits(serial, 7)
        && check.len() == 1
        && digits(check, 1)
        && check_digit(&format!("{year}{serial}")).to_string() == *check
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn statuses_round_trip_and_carry_epgu_codes() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::Submitted.epgu_code(), 21);
        assert_eq!(Status::Cancelled.epgu_code(), 10);
        assert!(Status::Submitted.is_open() && !Status::Draft.is_open());
    }

    #[test]
    fn numbers_have_a_check_digit() {
        let n = number(2026, 123);
        assert!(n.starts_with("2026-0000123-"), "{n}");
        assert!(number_is_valid(&n));
        assert!(!number_is_valid("2026-0000124-0") || !number_is_valid("2026-0000124-1"));
        assert!(!number_is_valid("2026-123-4"));
    }

    proptest! {
        /// Any single changed digit of the serial is caught.
        #[test]
        fn a_typo_in_the_serial_is_caught(serial in 0i64..9_999_999, pos in 0usize..7, d in 1u8..10) {
            let n = number(2026, serial);
            let mut b = n.clone().into_bytes();
            let i = 5 + pos;
            b[i] = b'0' + ((b[i] - b'0' + d) % 10);
            let typo = String::from_utf8(b).unwrap_or_default();
            prop_assert!(!number_is_valid(&typo));
        }
    }
}
