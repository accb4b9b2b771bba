//! The application lifecycle (SPEC §4) as a pure state machine: which step
//! each role may take from each status, which stages a service goes through,
//! what a step must carry (comments for a return, a legal reason for a
//! refusal, a visit for an invitation), and what the applicant may do in
//! each status. The store applies a step in one transaction; this module
//! decides whether it may be applied.

use crate::application::Status;
use crate::catalogue::Stage;

/// Who takes a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    Applicant,
    Officer,
    HeadOfOffice,
    /// The portal itself: a visit not attended, a consent not given in time.
    System,
}

/// Why an office refuses (a closed list, as the administrative regulations
/// name them); each has a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalReason {
    /// False or forged information or documents.
    FalseInformation,
    /// The documents the regulation requires were not all presented.
    DocumentsMissing,
    /// The applicant has no right to the service (citizenship, age, residence).
    NotEntitled,
    /// A restriction of the law (state secrets, criminal proceedings, military service, court).
    LegalRestriction,
    /// The dwelling's owner refused or did not consent.
    NoOwnerConsent,
}

impl RefusalReason {
    pub const ALL: [Self; 5] = [
        Self::FalseInformation,
        Self::DocumentsMissing,
        Self::NotEntitled,
        Self::LegalRestriction,
        Self::NoOwnerConsent,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::FalseInformation => "false_information",
            Self::DocumentsMissing => "documents_missing",
            Self::NotEntitled => "not_entitled",
            Self::LegalRestriction => "legal_restriction",
            Self::NoOwnerConsent => "no_owner_consent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// One comment of a return: the field (a JSON Pointer), what is wrong, what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub field: String,
    pub wrong: String,
    pub fix: String,
}

/// A step, with what it must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Submit,
    Accept,
    Return(Vec<Comment>),
    Resubmit,
    /// Invited to the office for a booked visit (its id).
    Invite(String),
    VisitDone,
    VisitMissed,
    /// The person cancelled their booked visit: accepted again, to book anew.
    Unbook,
    StartProduction,
    MarkReady,
    Complete,
    Reject(RefusalReason),
    Cancel,
}

/// Why a step may not be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not from this status, or not by this actor, or not a stage of the service.
    NotAllowed,
    /// A return without comments, or a comment without its parts.
    CommentsRequired,
    /// An invitation without its visit.
    VisitRequired,
}

impl Refusal {
    pub const fn code(self) -> &'static str {
        match self {
            Self::NotAllowed => "lifecycle.not_allowed",
            Self::CommentsRequired => "lifecycle.comments_required",
            Self::VisitRequired => "lifecycle.visit_required",
        }
    }
}

/// The status an application has at a stage.
pub const fn stage_status(s: Stage) -> Status {
    match s {
        Stage::Accepted => Status::Accepted,
        Stage::Invited => Status::Invited,
        Stage::VisitDone => Status::VisitDone,
        Stage::InProduction => Status::InProduction,
        Stage::Ready => Status::Ready,
        Stage::Completed => Status::Completed,
    }
}

/// The status the service goes to after `from` on its way forward: the
/// next of its stages (after `submitted`, the first).
fn next_stage(stages: &[Stage], from: Status) -> Option<Status> {
    let path: Vec<Status> = stages.iter().map(|s| stage_status(*s)).collect();
    if from == Status::Submitted {
        return path.first().copied();
    }
    let at = path.iter().position(|s| *s == from)?;
    path.get(at + 1).copied()
}

/// Whether `actor` may take `step` from `from` for a service with `stages`;
/// the status it leads to, or why not.
pub fn step(stages: &[Stage], from: Status, actor: Actor, step: &Step) -> Result<Status, Refusal> {
    use Actor::{Applicant, HeadOfOffice, Officer, System};
    let staff = matches!(actor, Officer | HeadOfOffice);
    let forward = |to: Status| next_stage(stages, from) == Some(to);
    let to = match (step, actor) {
        (Step::Submit, Applicant) if from == Status::Draft => Status::Submitted,
        (Step::Resubmit, Applicant) if from == Status::Returned => Status::Submitted,
        (Step::Cancel, Applicant) if may(from, Ability::Cancel) => Status::Cancelled,
        (Step::Accept, _) if staff && forward(Status::Accepted) => Status::Accepted,
        // The portal returns one whose dwelling's owner refused or did not answer.
        (Step::Return(comments), _)
            if (staff || actor == System)
                && matches!(from, Status::Submitted | Status::Accepted) =>
        {
            let complete = |c: &Comment| {
                c.field.starts_with('/') && !c.wrong.trim().is_empty() && !c.fix.trim().is_empty()
            };
            if comments.is_empty() || !comments.iter().all(complete) {
                return Err(Refusal::CommentsRequired);
            }
            Status::Returned
        }
        (Step::Invite(visit), _) if (staff || actor == System) && forward(Status::Invited) => {
            if visit.trim().is_empty() {
                return Err(Refusal::VisitRequired);
            }
            Status::Invited
        }
        (Step::VisitDone, _) if staff && from == Status::Invited => {
            next_stage(stages, Status::Invited).ok_or(Refusal::NotAllowed)?
        }
        // A missed visit goes back for a new booking (SPEC §4).
        (Step::Unbook, Applicant) if from == Status::Invited => Status::Accepted,
        (Step::VisitMissed, _) if (staff || actor == System) && from == Status::Invited => {
            Status::Accepted
        }
        (Step::StartProduction, _) if staff && forward(Status::InProduction) => {
            Status::InProduction
        }
        (Step::MarkReady, _) if staff && forward(Status::Ready) => Status::Ready,
        (Step::Complete, _) if staff && forward(Status::Completed) => Status::Completed,
        (Step::Reject(_), _) if (staff || actor == System) && from.is_open() => Status::Rejected,
        _ => return Err(Refusal::NotAllowed),
    };
    Ok(to)
}

/// What the applicant may do with an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ability {
    /// Change the answers.
    Edit,
    /// Withdraw it.
    Cancel,
    /// Write to the office.
    Write,
}

/// Whether the applicant may do `what` in `status` (shown beside every
/// history entry, as the federal API does).
pub const fn may(status: Status, what: Ability) -> bool {
    match what {
        Ability::Edit => matches!(status, Status::Draft | Status::Returned),
        // Until the document is being made.
        Ability::Cancel => matches!(
            status,
            Status::Submitted | Status::Returned | Status::Accepted | Status::Invited
        ),
        Ability::Write => status.is_open(),
    }
}

/// The queues of an office's back office (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Queue {
    /// Submitted for the first time, not yet looked at.
    New,
    /// Sent again after a return.
    Resubmitted,
    /// Accepted: the next step is the office's (or a visit to book).
    Accepted,
    /// Invited to a visit.
    AwaitingVisit,
    InProduction,
    Ready,
    /// Past the legal deadline and not yet decided.
    Overdue,
}

impl Queue {
    pub const ALL: [Self; 7] = [
        Self::New,
        Self::Resubmitted,
        Self::Accepted,
        Self::AwaitingVisit,
        Self::InProduction,
        Self::Ready,
        Self::Overdue,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Resubmitted => "resubmitted",
            Self::Accepted => "accepted",
            Self::AwaitingVisit => "awaiting_visit",
            Self::InProduction => "in_production",
            Self::Ready => "ready",
            Self::Overdue => "overdue",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.as_str() == s)
    }
}

/// Whether an application in `status` is still waiting for the office's
/// decision, so that its legal deadline runs (a returned one waits for the
/// person; a ready one is decided).
pub const fn deadline_runs(status: Status) -> bool {
    matches!(
        status,
        Status::Submitted
            | Status::Accepted
            | Status::Invited
            | Status::VisitDone
            | Status::InProduction
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PASSPORT: [Stage; 6] = [
        Stage::Accepted,
        Stage::Invited,
        Stage::VisitDone,
        Stage::InProduction,
        Stage::Ready,
        Stage::Completed,
    ];
    const REFERENCE: [Stage; 1] = [Stage::Completed];

    fn comment() -> Comment {
        Comment {
            field: "/birth_place".into(),
            wrong: "Не указан район".into(),
            fix: "Допишите район, как в паспорте".into(),
        }
    }

    #[test]
    fn a_passport_goes_the_whole_way() {
        let mut s = Status::Draft;
        for (actor, st) in [
            (Actor::Applicant, Step::Submit),
            (Actor::Officer, Step::Return(vec![comment()])),
            (Actor::Applicant, Step::Resubmit),
            (Actor::Officer, Step::Accept),
            (Actor::System, Step::Invite("visit-1".into())),
            (Actor::System, Step::VisitMissed),
            (Actor::Officer, Step::Invite("visit-2".into())),
            (Actor::Officer, Step::VisitDone),
            (Actor::Officer, Step::StartProduction),
            (Actor::Officer, Step::MarkReady),
            (Actor::Officer, Step::Complete),
        ] {
            let next = step(&PASSPORT, s, actor, &st);
            assert!(next.is_ok(), "{st:?} from {s:?}: {next:?}");
            s = next.unwrap_or(s);
        }
        assert_eq!(s, Status::Completed);
    }

    #[test]
    fn a_reference_skips_the_stages_it_does_not_have() {
        assert_eq!(
            step(
                &REFERENCE,
                Status::Submitted,
                Actor::Officer,
                &Step::Complete
            ),
            Ok(Status::Completed)
        );
        assert_eq!(
            step(&REFERENCE, Status::Submitted, Actor::Officer, &Step::Accept),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            step(
                &REFERENCE,
                Status::Submitted,
                Actor::Officer,
                &Step::Invite("v".into())
            ),
            Err(Refusal::NotAllowed)
        );
    }

    #[test]
    fn steps_carry_what_they_need_and_roles_keep_to_theirs() {
        let empty = Step::Return(vec![]);
        assert_eq!(
            step(&PASSPORT, Status::Submitted, Actor::Officer, &empty),
            Err(Refusal::CommentsRequired)
        );
        let vague = Step::Return(vec![Comment {
            fix: " ".into(),
            ..comment()
        }]);
        assert_eq!(
            step(&PASSPORT, Status::Submitted, Actor::Officer, &vague),
            Err(Refusal::CommentsRequired)
        );
        assert_eq!(
            step(
                &PASSPORT,
                Status::Accepted,
                Actor::Officer,
                &Step::Invite(String::new())
            ),
            Err(Refusal::VisitRequired)
        );
        // The applicant cannot accept; the officer cannot cancel for the person.
        assert_eq!(
            step(
                &PASSPORT,
                Status::Submitted,
                Actor::Applicant,
                &Step::Accept
            ),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            step(&PASSPORT, Status::Submitted, Actor::Officer, &Step::Cancel),
            Err(Refusal::NotAllowed)
        );
        // Closed stays closed.
        for closed in [Status::Completed, Status::Rejected, Status::Cancelled] {
            let reject = Step::Reject(RefusalReason::NotEntitled);
            assert_eq!(
                step(&PASSPORT, closed, Actor::HeadOfOffice, &reject),
                Err(Refusal::NotAllowed)
            );
        }
        assert!(may(Status::Returned, Ability::Edit) && !may(Status::Submitted, Ability::Edit));
        assert!(
            may(Status::Invited, Ability::Cancel) && !may(Status::InProduction, Ability::Cancel)
        );
        for r in RefusalReason::ALL {
            assert_eq!(RefusalReason::parse(r.as_str()), Some(r));
        }
    }

    fn any_step() -> impl Strategy<Value = (Actor, Step)> {
        let actor = prop_oneof![
            Just(Actor::Applicant),
            Just(Actor::Officer),
            Just(Actor::HeadOfOffice),
            Just(Actor::System)
        ];
        let st = prop_oneof![
            Just(Step::Submit),
            Just(Step::Accept),
            Just(Step::Return(vec![])),
            Just(Step::Return(vec![Comment {
                field: "/a".into(),
                wrong: "w".into(),
                fix: "f".into()
            }])),
            Just(Step::Resubmit),
            Just(Step::Invite("v".into())),
            Just(Step::VisitDone),
            Just(Step::VisitMissed),
            Just(Step::Unbook),
            Just(Step::StartProduction),
            Just(Step::MarkReady),
            Just(Step::Complete),
            Just(Step::Reject(RefusalReason::DocumentsMissing)),
            Just(Step::Cancel),
        ];
        (actor, st)
    }

    proptest! {
        /// No sequence of actions reaches a status the service does not
        /// have, leaves a closed status, or lets a role take another's step.
        #[test]
        fn no_sequence_escapes_the_machine(
            reference in any::<bool>(),
            steps in proptest::collection::vec(any_step(), 0..40),
        ) {
            let stages: &[Stage] = if reference { &REFERENCE } else { &PASSPORT };
            let allowed: Vec<Status> = [Status::Draft, Status::Submitted, Status::Returned, Status::Rejected, Status::Cancelled]
                .into_iter()
                .chain(stages.iter().map(|s| stage_status(*s)))
                .collect();
            let mut s = Status::Draft;
            for (actor, st) in steps {
                let before = s;
                if let Ok(to) = step(stages, s, actor, &st) {
                    prop_assert!(allowed.contains(&to), "{to:?} is not a status of the service");
                    prop_assert!(before.is_open() || before == Status::Draft, "left a closed status");
                    match st {
                        Step::Submit | Step::Resubmit | Step::Cancel | Step::Unbook => prop_assert_eq!(actor, Actor::Applicant),
                        Step::Invite(_) | Step::VisitMissed | Step::Reject(_) | Step::Return(_) => prop_assert_ne!(actor, Actor::Applicant),
                        _ => prop_assert!(matches!(actor, Actor::Officer | Actor::HeadOfOffice)),
                    }
                    s = to;
                }
            }
        }
    }
}
