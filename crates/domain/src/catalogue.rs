//! A migration service as data (SPEC §3): who may apply, at which level,
//! its form, fee key, stages and visits, legal time, what to bring and what
//! the person gets. Definitions are files (`app/services/*.toml`) that `app`
//! reads and checks at start; this module holds their shape and the rules
//! a definition must keep.

use crate::account::AssuranceLevel;
use crate::form::{Condition, FieldKind, FormDef, Text};
use serde::{Deserialize, Serialize};

/// Who may apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Applicant {
    Citizen,
    ForeignNational,
}

/// The least level of a service, as written in a definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeastLevel {
    Standard,
    Confirmed,
}

impl LeastLevel {
    pub const fn level(self) -> AssuranceLevel {
        match self {
            Self::Standard => AssuranceLevel::Standard,
            Self::Confirmed => AssuranceLevel::Confirmed,
        }
    }
}

/// A legal processing time and when it applies.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessingTime {
    /// Days (working days when `working_days`).
    pub days: u16,
    #[serde(default)]
    pub working_days: bool,
    /// When this variant applies (e.g. "at the place of residence").
    pub when: Text,
    /// The answers that make this variant apply; none: it always does.
    /// The longest time that applies is the application's (`routing::legal_time`).
    #[serde(default)]
    pub applies: Option<Condition>,
}

/// Whose consent an application waits for (registration at a dwelling the
/// applicant does not own): the owner named in the answers, when `when` holds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRule {
    /// The owner's name and birth date (a `person` field).
    pub owner: String,
    /// The owner's SNILS (a text field): how the portal finds their account.
    pub owner_snils: String,
    pub when: Condition,
    /// Days the owner has to answer before the application is returned.
    pub days: u16,
}

/// Which answered address decides the office (the first that applies and is
/// answered); with none, the person's registration address does.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RouteBy {
    /// A top-level address field of the form.
    pub address: String,
    #[serde(default)]
    pub when: Option<Condition>,
}

/// A life situation the catalogue is browsed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Situation {
    /// "I need a passport".
    Passport,
    /// "I moved".
    Moved,
    /// "A guest from abroad".
    GuestFromAbroad,
    /// "I live in Russia as a foreign national".
    ForeignNational,
    /// "I need a certificate".
    Certificate,
}

/// The stages after submission an application of the service goes through
/// (SPEC §4); `submitted` and the closing statuses belong to every service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Accepted,
    Invited,
    VisitDone,
    InProduction,
    Ready,
    Completed,
}

/// A rule of who may apply that the form alone cannot say.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case", tag = "rule")]
pub enum Eligibility {
    /// One open application per person and service (kept by the database).
    OneOpen,
    /// The portal does not take these values of `field`; the person is told
    /// why and where to go instead.
    NotOnline {
        field: String,
        values: Vec<String>,
        reason: Text,
    },
    /// Replacement on reaching an age: when `field` holds one of the
    /// `ages` values, the applicant must have reached that age; an
    /// application later than `days` after the birthday is still taken but
    /// flagged as overdue (the law fines the delay).
    AgeReplacement {
        field: String,
        ages: Vec<AgeReason>,
        days: u16,
    },
    /// An application for a child: the `child` person field, when the
    /// child is `from_age` or older, needs the `consent` field true.
    ChildConsent {
        child: String,
        consent: String,
        from_age: u16,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AgeReason {
    pub value: String,
    pub years: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDef {
    /// As in SPEC §3 (`passport-foreign-biometric`, …).
    pub code: String,
    pub name: Text,
    pub description: Text,
    pub applicants: Vec<Applicant>,
    /// Adults only (an application for a child is made by a parent).
    #[serde(default)]
    pub adults_only: bool,
    /// A parent may apply for a child.
    #[serde(default)]
    pub for_child: bool,
    pub least_level: LeastLevel,
    /// Where the catalogue lists it.
    pub situations: Vec<Situation>,
    /// Rules of who may apply beyond `applicants` and `adults_only`.
    #[serde(default)]
    pub eligibility: Vec<Eligibility>,
    /// Stages after submission, in order.
    pub stages: Vec<Stage>,
    /// The state fee: its key in the fee schedule, the stage it is due
    /// before, its categories; none for a free service.
    #[serde(default)]
    pub fee: Option<crate::fees::FeeRule>,
    /// Visits to the office the service needs.
    pub visits: u8,
    pub processing: Vec<ProcessingTime>,
    /// How the office is chosen from the answers.
    #[serde(default)]
    pub routing: Vec<RouteBy>,
    /// The owner's consent the application waits for, if any.
    #[serde(default)]
    pub consent: Option<ConsentRule>,
    /// The person may choose any office instead of the one of their address.
    #[serde(default)]
    pub any_office: bool,
    /// Originals to bring to the office.
    #[serde(default)]
    pub originals: Vec<Text>,
    pub result: Text,
    pub form: FormDef,
}

/// The codes of SPEC §3, the only ones a definition may have.
pub const SERVICE_CODES: [&str; 10] = [
    "passport-internal",
    "passport-foreign-old",
    "passport-foreign-biometric",
    "registration-residence",
    "registration-stay",
    "deregistration",
    "address-reference",
    "invitation-foreigner",
    "temporary-residence-permit",
    "residence-permit",
];

impl ServiceDef {
    /// Mistakes in a definition, each a sentence naming where.
    pub fn check(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !SERVICE_CODES.contains(&self.code.as_str()) {
            out.push(format!("code {:?} is not a service of SPEC §3", self.code));
        }
        if self.applicants.is_empty() {
            out.push("applicants: nobody may apply".into());
        }
        if self.processing.is_empty() || self.processing.iter().any(|p| p.days == 0) {
            out.push("processing: a legal time of at least one day is needed".into());
        }
        if self.for_child && self.adults_only {
            out.push("for_child and adults_only contradict each other".into());
        }
        // Every application needs the confirmed level; only a reference may do with standard.
        if self.least_level == LeastLevel::Standard && self.code != "address-reference" {
            out.push("least_level: every application needs `confirmed`".into());
        }
        for t in [&self.name, &self.description, &self.result] {
            if t.each().any(|(_, s)| s.trim().is_empty()) {
                out.push("a text is empty in one of its languages".into());
            }
        }
        if self.situations.is_empty() {
            out.push("situations: the catalogue would not list it".into());
        }
        if self.stages.last() != Some(&Stage::Completed) {
            out.push("stages: the last stage is `completed`".into());
        }
        if let Some(fee) = &self.fee {
            // Due before a stage the service has, and not at its very end.
            if !self.stages.contains(&fee.due) || fee.due == Stage::Completed {
                out.push("fee.due: not a stage of the service before `completed`".into());
            }
        }
        let top: Vec<&str> = self
            .form
            .sections
            .iter()
            .flat_map(|s| &s.fields)
            .map(|f| f.id.as_str())
            .collect();
        if let Some(fee) = &self.fee {
            for r in &fee.categories {
                let named = r
                    .when
                    .iter()
                    .map(|c| c.field())
                    .chain(r.under.iter().map(|u| u.person.as_str()));
                for f in named {
                    if !top.contains(&f) {
                        out.push(format!("fee: {f} is not a field of the form"));
                    }
                }
            }
        }
        for rule in &self.eligibility {
            let named: Vec<&String> = match rule {
                Eligibility::OneOpen => vec![],
                Eligibility::NotOnline { field, .. }
                | Eligibility::AgeReplacement { field, .. } => {
                    vec![field]
                }
                Eligibility::ChildConsent { child, consent, .. } => vec![child, consent],
            };
            for f in named {
                if !top.contains(&f.as_str()) {
                    out.push(format!("eligibility: {f} is not a field of the form"));
                }
            }
        }
        let fields: Vec<&crate::form::Field> =
            self.form.sections.iter().flat_map(|s| &s.fields).collect();
        for r in &self.routing {
            if !fields
                .iter()
                .any(|f| f.id == r.address && matches!(f.kind, FieldKind::Address))
            {
                out.push(format!(
                    "routing: {} is not an address field of the form",
                    r.address
                ));
            }
        }
        let conditions = self
            .routing
            .iter()
            .filter_map(|r| r.when.as_ref())
            .chain(self.processing.iter().filter_map(|p| p.applies.as_ref()));
        for c in conditions {
            if !top.contains(&c.field()) {
                out.push(format!(
                    "condition: {} is not a field of the form",
                    c.field()
                ));
            }
        }
        if let Some(c) = &self.consent {
            for f in [&c.owner, &c.owner_snils, &c.when.field().to_owned()] {
                if !top.contains(&f.as_str()) {
                    out.push(format!("consent: {f} is not a field of the form"));
                }
            }
            if c.days == 0 {
                out.push("consent: the owner needs at least a day".into());
            }
        }
        if !self.processing.iter().any(|p| p.applies.is_none()) {
            out.push("processing: one legal time must apply without a condition".into());
        }
        out.extend(self.form.check().into_iter().map(|e| format!("form{e}")));
        out
    }
}

/// A minimal definition for the tests of the rules that read one.
#[cfg(test)]
#[allow(clippy::expect_used)]
pub(crate) fn sample_service() -> ServiceDef {
    let t = |s: &str| serde_json::json!({"ru": s, "en": s});
    serde_json::from_value(serde_json::json!({
        "code": "passport-internal", "name": t("Паспорт"), "description": t("Паспорт"),
        "applicants": ["citizen"], "least_level": "confirmed", "situations": ["passport"],
        "stages": ["completed"], "visits": 1, "result": t("Паспорт"),
        "processing": [{"days": 10, "when": t("всегда")}],
        "form": {"sections": []}
    }))
    .expect("a definition")
}
