//! Accounts, assurance levels and the standard-level identity check (SPEC §2).

use crate::Invalid;
use serde::Serialize;

/// How sure the state is that the account belongs to the person it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssuranceLevel {
    Simplified,
    Standard,
    Confirmed,
}

impl AssuranceLevel {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Simplified => "simplified",
            Self::Standard => "standard",
            Self::Confirmed => "confirmed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "simplified" => Some(Self::Simplified),
            "standard" => Some(Self::Standard),
            "confirmed" => Some(Self::Confirmed),
            _ => None,
        }
    }
}

/// Whether the account may log in yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Registered, the phone or e-mail not yet proven by a code.
    PendingContact,
    Active,
    Blocked,
}

impl AccountStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PendingContact => "pending_contact",
            Self::Active => "active",
            Self::Blocked => "blocked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending_contact" => Some(Self::PendingContact),
            "active" => Some(Self::Active),
            "blocked" => Some(Self::Blocked),
            _ => None,
        }
    }
}

/// Who the account is (SPEC §1). Staff roles are granted by administrators only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Applicant,
    Officer,
    HeadOfOffice,
    Operator,
    Administrator,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Self::Applicant,
        Self::Officer,
        Self::HeadOfOffice,
        Self::Operator,
        Self::Administrator,
        Self::Auditor,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Applicant => "applicant",
            Self::Officer => "officer",
            Self::HeadOfOffice => "head_of_office",
            Self::Operator => "operator",
            Self::Administrator => "administrator",
            Self::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or(Invalid::new("role.unknown"))
    }

    pub const fn is_staff(self) -> bool {
        !matches!(self, Self::Applicant)
    }

    /// Staff of a migration office must belong to one office (SPEC §1).
    pub const fn needs_office(self) -> bool {
        matches!(self, Self::Officer | Self::HeadOfOffice)
    }
}

/// The answer of one registry about one piece of identity data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegistryAnswer {
    Match,
    Mismatch,
    NotFound,
    /// The document exists but is declared invalid (lost, replaced, expired).
    Invalid,
}

/// Which document the person presented for the standard level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    RussianPassport,
    ForeignPassport,
}

/// Where the standard-level check of an account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationState {
    NotSubmitted,
    Pending,
    Verified,
    Failed,
}

impl VerificationState {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotSubmitted => "not_submitted",
            Self::Pending => "pending",
            Self::Verified => "verified",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "not_submitted" => Some(Self::NotSubmitted),
            "pending" => Some(Self::Pending),
            "verified" => Some(Self::Verified),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// The outcome of a completed check: verified, or the first specific reason it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verification {
    Verified,
    Failed(FailureReason),
}

/// Why a check failed. Each code has a message telling the person what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    SnilsNotFound,
    SnilsMismatch,
    PassportNotFound,
    PassportInvalid,
    PassportMismatch,
    ForeignDocumentNotFound,
    ForeignDocumentInvalid,
    ForeignDocumentMismatch,
    InnNotFound,
    InnMismatch,
    /// Another account holds the same SNILS (or foreign document), verified.
    /// The person is sent to a service centre; only the centre sees why.
    HeldByAnother,
}

impl FailureReason {
    pub const ALL: [FailureReason; 11] = [
        Self::SnilsNotFound,
        Self::SnilsMismatch,
        Self::PassportNotFound,
        Self::PassportInvalid,
        Self::PassportMismatch,
        Self::ForeignDocumentNotFound,
        Self::ForeignDocumentInvalid,
        Self::ForeignDocumentMismatch,
        Self::InnNotFound,
        Self::InnMismatch,
        Self::HeldByAnother,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Self::SnilsNotFound => "snils_not_found",
            Self::SnilsMismatch => "snils_mismatch",
            Self::PassportNotFound => "passport_not_found",
            Self::PassportInvalid => "passport_invalid",
            Self::PassportMismatch => "passport_mismatch",
            Self::ForeignDocumentNotFound => "foreign_document_not_found",
            Self::ForeignDocumentInvalid => "foreign_document_invalid",
            Self::ForeignDocumentMismatch => "foreign_document_mismatch",
            Self::InnNotFound => "inn_not_found",
            Self::InnMismatch => "inn_mismatch",
            Self::HeldByAnother => "held_by_another",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == s)
    }

    /// The code the person is shown. A SNILS held by another account is not
    /// named as such: the person is only sent to a service centre.
    pub const fn public_code(self) -> &'static str {
        match self {
            Self::HeldByAnother => "needs_service_centre",
            other => other.code(),
        }
    }
}

/// Combines the registries' answers into one verdict. The document is checked
/// first because it is what the person most often mistypes; SNILS next; SNILS
/// (for foreign nationals) and INN are optional and only checked when given.
pub fn decide(
    document_kind: DocumentKind,
    document: RegistryAnswer,
    snils: Option<RegistryAnswer>,
    inn: Option<RegistryAnswer>,
) -> Verification {
    use FailureReason as F;
    use RegistryAnswer as A;
    let doc_failure = match (document_kind, document) {
        (_, A::Match) => None,
        (DocumentKind::RussianPassport, A::NotFound) => Some(F::PassportNotFound),
        (DocumentKind::RussianPassport, A::Invalid) => Some(F::PassportInvalid),
        (DocumentKind::RussianPassport, A::Mismatch) => Some(F::PassportMismatch),
        (DocumentKind::ForeignPassport, A::NotFound) => Some(F::ForeignDocumentNotFound),
        (DocumentKind::ForeignPassport, A::Invalid) => Some(F::ForeignDocumentInvalid),
        (DocumentKind::ForeignPassport, A::Mismatch) => Some(F::ForeignDocumentMismatch),
    };
    let snils_failure = match snils {
        None | Some(A::Match) => None,
        Some(A::NotFound | A::Invalid) => Some(F::SnilsNotFound),
        Some(A::Mismatch) => Some(F::SnilsMismatch),
    };
    let inn_failure = match inn {
        None | Some(A::Match) => None,
        Some(A::NotFound | A::Invalid) => Some(F::InnNotFound),
        Some(A::Mismatch) => Some(F::InnMismatch),
    };
    match doc_failure.or(snils_failure).or(inn_failure) {
        Some(reason) => Verification::Failed(reason),
        None => Verification::Verified,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_match_is_verified() {
        let v = decide(
            DocumentKind::RussianPassport,
            RegistryAnswer::Match,
            Some(RegistryAnswer::Match),
            None,
        );
        assert_eq!(v, Verification::Verified);
    }

    #[test]
    fn document_failure_is_reported_first() {
        let v = decide(
            DocumentKind::RussianPassport,
            RegistryAnswer::Invalid,
            Some(RegistryAnswer::Mismatch),
            Some(RegistryAnswer::Mismatch),
        );
        assert_eq!(v, Verification::Failed(FailureReason::PassportInvalid));
        let v = decide(
            DocumentKind::ForeignPassport,
            RegistryAnswer::NotFound,
            None,
            None,
        );
        assert_eq!(
            v,
            Verification::Failed(FailureReason::ForeignDocumentNotFound)
        );
    }

    #[test]
    fn inn_only_counts_when_given() {
        let v = decide(
            DocumentKind::RussianPassport,
            RegistryAnswer::Match,
            Some(RegistryAnswer::Match),
            Some(RegistryAnswer::Mismatch),
        );
        assert_eq!(v, Verification::Failed(FailureReason::InnMismatch));
    }

    #[test]
    fn codes_round_trip() {
        for r in FailureReason::ALL {
            assert_eq!(FailureReason::parse(r.code()), Some(r));
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert!(Role::parse("root").is_err());
    }
}
