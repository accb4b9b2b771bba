//! Who may do what (SPEC §1): one table of role × permission, read by every
//! use case. The web layer only finds out who is calling; the decision is
//! made here, so pages, the API, jobs and the CLI can never disagree.
//! Territory (which people an officer may see) is a second check, made by
//! the use case against the office's territory.

use crate::account::Role;

/// An action on the back office (the applicant's own actions need only a
/// session and ownership, checked by each use case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Create or change offices and their territories.
    ManageOffices,
    /// See offices (all for administrators, their own for office staff).
    ViewOffices,
    /// List, create, change and block staff accounts.
    ManageStaff,
    /// Read and search the audit log.
    ReadAudit,
    /// Find a registered person at a service centre.
    FindPeople,
    /// Confirm a person's identity after seeing the passport.
    ConfirmIdentity,
    /// Register a person from scratch at a service centre.
    RegisterPeople,
    /// See a person of the office's territory.
    ViewOfficePeople,
    /// Work the office's applications: queues, case pages, status steps.
    WorkApplications,
    /// Send an application to another office (the head of the office that
    /// holds it; an administrator for one no office serves).
    ReassignApplications,
    /// Add or withdraw editions of the fee schedule not yet in force.
    ManageFees,
    /// See background work that failed for good and set it going again.
    ManageJobs,
}

impl Permission {
    pub const ALL: [Permission; 12] = [
        Self::ManageOffices,
        Self::ViewOffices,
        Self::ManageStaff,
        Self::ReadAudit,
        Self::FindPeople,
        Self::ConfirmIdentity,
        Self::RegisterPeople,
        Self::ViewOfficePeople,
        Self::WorkApplications,
        Self::ReassignApplications,
        Self::ManageFees,
        Self::ManageJobs,
    ];

    /// A stable name, for the audit log of refusals.
    pub const fn code(self) -> &'static str {
        match self {
            Self::ManageOffices => "offices.manage",
            Self::ViewOffices => "offices.view",
            Self::ManageStaff => "staff.manage",
            Self::ReadAudit => "audit.read",
            Self::FindPeople => "people.find",
            Self::ConfirmIdentity => "people.confirm",
            Self::RegisterPeople => "people.register",
            Self::ViewOfficePeople => "office.people",
            Self::WorkApplications => "office.applications",
            Self::ReassignApplications => "office.reassign",
            Self::ManageFees => "fees.manage",
            Self::ManageJobs => "jobs.manage",
        }
    }
}

/// The table. Read a row as "`role` may …".
const fn granted(role: Role) -> &'static [Permission] {
    use Permission as P;
    match role {
        Role::Applicant => &[],
        Role::Officer => &[P::ViewOffices, P::ViewOfficePeople, P::WorkApplications],
        Role::HeadOfOffice => &[
            P::ViewOffices,
            P::ViewOfficePeople,
            P::WorkApplications,
            P::ReassignApplications,
        ],
        Role::Operator => &[
            P::ViewOffices,
            P::FindPeople,
            P::ConfirmIdentity,
            P::RegisterPeople,
        ],
        Role::Administrator => &[
            P::ManageOffices,
            P::ViewOffices,
            P::ManageStaff,
            P::ReassignApplications,
            P::ManageFees,
            P::ManageJobs,
        ],
        Role::Auditor => &[P::ReadAudit],
    }
}

/// Whether `role` may do `permission`.
pub fn may(role: Role, permission: Permission) -> bool {
    granted(role).contains(&permission)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole matrix, written out: a change to who may do what must
    /// change this test too.
    #[test]
    fn the_table_as_agreed() {
        use Permission as P;
        let expected: &[(Role, &[Permission])] = &[
            (Role::Applicant, &[]),
            (
                Role::Officer,
                &[P::ViewOffices, P::ViewOfficePeople, P::WorkApplications],
            ),
            (
                Role::HeadOfOffice,
                &[
                    P::ViewOffices,
                    P::ViewOfficePeople,
                    P::WorkApplications,
                    P::ReassignApplications,
                ],
            ),
            (
                Role::Operator,
                &[
                    P::ViewOffices,
                    P::FindPeople,
                    P::ConfirmIdentity,
                    P::RegisterPeople,
                ],
            ),
            (
                Role::Administrator,
                &[
                    P::ManageOffices,
                    P::ViewOffices,
                    P::ManageStaff,
                    P::ReassignApplications,
                    P::ManageFees,
                    P::ManageJobs,
                ],
            ),
            (Role::Auditor, &[P::ReadAudit]),
        ];
        for (role, allowed) in expected {
            for p in Permission::ALL {
                assert_eq!(may(*role, p), allowed.contains(&p), "{role:?} × {p:?}");
            }
        }
    }

    #[test]
    fn applicants_have_no_back_office_permission_and_auditors_only_read() {
        assert!(Permission::ALL.iter().all(|p| !may(Role::Applicant, *p)));
        assert!(!may(Role::Auditor, Permission::ManageStaff));
        // Nobody both administers staff and reads the audit of it.
        for r in Role::ALL {
            assert!(!(may(r, Permission::ManageStaff) && may(r, Permission::ReadAudit)));
        }
    }
}
