//! The kinds of document a person receives (SPEC §7).

/// A document the portal issues; stored with the person's documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// The application was received (its number, date, office, deadline).
    ApplicationReceipt,
    /// Come to the office: time, address, what to bring.
    VisitInvitation,
    /// The state fee was paid (UIN, amount, payer, date).
    PaymentReceipt,
    /// Certificate of registration at the place of stay (form No. 3).
    StayCertificate,
    /// Address-reference certificate: where the person is registered.
    AddressReference,
    /// Invitation for a foreign national to enter.
    ForeignerInvitation,
    /// The decision to refuse, with its legal reason.
    RefusalDecision,
}

impl DocumentKind {
    pub const ALL: [Self; 7] = [
        Self::ApplicationReceipt,
        Self::VisitInvitation,
        Self::PaymentReceipt,
        Self::StayCertificate,
        Self::AddressReference,
        Self::ForeignerInvitation,
        Self::RefusalDecision,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ApplicationReceipt => "application_receipt",
            Self::VisitInvitation => "visit_invitation",
            Self::PaymentReceipt => "payment_receipt",
            Self::StayCertificate => "stay_certificate",
            Self::AddressReference => "address_reference",
            Self::ForeignerInvitation => "foreigner_invitation",
            Self::RefusalDecision => "refusal_decision",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What a document says, in the order the template lays it out. Kept
/// (sealed) when the document is issued, so its PDF, typeset later, says
/// what was true then.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Document {
    pub kind: DocumentKind,
    pub title: String,
    /// The issuing authority (the office, or the portal for a receipt).
    pub issuer: String,
    pub issuer_address: String,
    /// "№" and the document's number.
    pub number_label: String,
    pub number: String,
    /// The date as people read it (`30.11.2026`).
    pub date: String,
    pub lead: Vec<String>,
    /// Particulars: (label, value).
    pub rows: Vec<(String, String)>,
    /// Headed lists (what to bring, the legal grounds, …).
    pub sections: Vec<(String, Vec<String>)>,
    pub closing: Vec<String>,
    /// Who signs (position and name), and how (electronic signature note).
    pub signature: Option<(String, String)>,
    pub footer: String,
}
