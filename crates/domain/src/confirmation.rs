//! The binding rule of the confirmed level (SPEC §2.3).
//!
//! A confirmation — a registered letter, a qualified-signature challenge, an
//! operator looking at the passport — is issued for one *version* of the
//! person's identity data: the version that was verified by the registries at
//! that moment. It may raise the account to `confirmed` only while that very
//! version is still the current one and still verified; the store applies this
//! rule in the same transaction that raises the level, after locking the
//! account row, so a resubmission cannot slip in between. Resubmitting the
//! identity makes a new version, which voids every pending letter and
//! challenge (they could never pass this rule again anyway).
//!
//! Only a verified identity holds its SNILS (or foreign-document key): an
//! unverified or failed submission reserves nothing, so nobody can squat on a
//! stranger's SNILS. When a check succeeds while another account already holds
//! the same key verified, the later check fails with
//! [`FailureReason::HeldByAnother`](crate::account::FailureReason), which the
//! person sees as "visit a service centre" and only the centre sees in full.

use crate::account::{AssuranceLevel, VerificationState};

/// Why a confirmation may not raise the level now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmRefusal {
    /// The account is confirmed already.
    AlreadyConfirmed,
    /// The identity was resubmitted since the confirmation was issued.
    IdentityChanged,
    /// The current identity data is not (or no longer) verified.
    NotVerified,
    /// Only applicants are confirmed; staff accounts are made by administrators.
    NotApplicant,
}

impl ConfirmRefusal {
    pub const fn code(self) -> &'static str {
        match self {
            Self::AlreadyConfirmed => "confirmation.already_confirmed",
            Self::IdentityChanged => "confirmation.identity_changed",
            Self::NotVerified => "confirmation.not_standard",
            Self::NotApplicant => "confirmation.not_applicant",
        }
    }
}

/// The identity on file when a confirmation is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentIdentity {
    pub version: i64,
    pub state: VerificationState,
}

/// Whether a confirmation issued for identity version `bound_version` may raise
/// an account at `level` now, given the identity on file (`None`: none yet).
pub fn may_confirm(
    bound_version: i64,
    level: AssuranceLevel,
    is_applicant: bool,
    current: Option<CurrentIdentity>,
) -> Result<(), ConfirmRefusal> {
    if !is_applicant {
        return Err(ConfirmRefusal::NotApplicant);
    }
    if level == AssuranceLevel::Confirmed {
        return Err(ConfirmRefusal::AlreadyConfirmed);
    }
    let Some(current) = current else {
        return Err(ConfirmRefusal::NotVerified);
    };
    if current.version != bound_version {
        return Err(ConfirmRefusal::IdentityChanged);
    }
    if current.state != VerificationState::Verified {
        return Err(ConfirmRefusal::NotVerified);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(version: i64, state: VerificationState) -> Option<CurrentIdentity> {
        Some(CurrentIdentity { version, state })
    }

    #[test]
    fn the_verified_version_it_was_issued_for_confirms() {
        let ok = may_confirm(
            3,
            AssuranceLevel::Standard,
            true,
            id(3, VerificationState::Verified),
        );
        assert_eq!(ok, Ok(()));
    }

    #[test]
    fn a_resubmitted_identity_voids_the_confirmation() {
        // The attack of the review: verified as A (v1), letter ordered, resubmitted as B.
        for state in [
            VerificationState::Pending,
            VerificationState::Failed,
            VerificationState::Verified,
        ] {
            assert_eq!(
                may_confirm(1, AssuranceLevel::Simplified, true, id(2, state)),
                Err(ConfirmRefusal::IdentityChanged)
            );
        }
    }

    #[test]
    fn unverified_or_missing_data_never_confirms() {
        assert_eq!(
            may_confirm(1, AssuranceLevel::Simplified, true, None),
            Err(ConfirmRefusal::NotVerified)
        );
        assert_eq!(
            may_confirm(
                1,
                AssuranceLevel::Simplified,
                true,
                id(1, VerificationState::Failed)
            ),
            Err(ConfirmRefusal::NotVerified)
        );
        assert_eq!(
            may_confirm(
                1,
                AssuranceLevel::Standard,
                false,
                id(1, VerificationState::Verified)
            ),
            Err(ConfirmRefusal::NotApplicant)
        );
    }

    fn any_state() -> impl Strategy<Value = VerificationState> {
        prop_oneof![
            Just(VerificationState::NotSubmitted),
            Just(VerificationState::Pending),
            Just(VerificationState::Verified),
            Just(VerificationState::Failed),
        ]
    }

    proptest! {
        /// Whatever happened, only the bound, verified version confirms.
        #[test]
        fn only_the_bound_verified_version_confirms(
            bound in 1i64..20, current in 1i64..20, state in any_state(),
        ) {
            let r = may_confirm(bound, AssuranceLevel::Standard, true, id(current, state));
            prop_assert_eq!(r.is_ok(), bound == current && state == VerificationState::Verified);
        }
    }
}
