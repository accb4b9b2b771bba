//! Charges and their payment (SPEC §6): the charge of a submission, paying
//! it through the provider (create → redirect → signed callback, or the
//! reconciliation's question when no callback came), a bank payment an
//! officer records, refunds, and the rule that an application does not
//! reach its fee's stage unpaid.

use crate::error::{AppError, ErrorKind};
use crate::session::Actor;
use crate::staff::Staff;
use crate::state::Portal;
use acquirer::{Callback, CreatePayment, ProviderStatus};
use domain::application::Status;
use domain::catalogue::ServiceDef;
use domain::identifiers::Uin;
use domain::permission::Permission;
use serde::Serialize;
use store::{
    ApplicationRecord, BankPayment, ChargeRecord, ChargeStatus, NewCharge, NewJob, NewPayment,
    Once, PaymentChannel, PaymentRecord, PaymentStatus, Settled, Settlement, job_kind,
};
use uuid::Uuid;

/// The header the provider signs its callbacks in.
pub use acquirer::SIGNATURE_HEADER;

/// Every code this module and `fees` report.
pub const CODES: [&str; 19] = [
    "fee.unpaid",
    "fee.in_force",
    "fee.no_schedule",
    "fee.no_rate",
    "fee.amount",
    "fee.discount",
    "fee.duplicate",
    "fee.incomplete",
    "fee.unknown_rate",
    "uin.format",
    "uin.checksum",
    "charge.not_due",
    "charge.application_closed",
    "payment.not_configured",
    "payment.provider_unavailable",
    "payment.signature",
    "payment.callback",
    "payment.reference",
    "payment.reference_used",
];

/// A charge as the person and the office see it.
#[derive(Debug, Clone, Serialize)]
pub struct ChargeView {
    pub uin: String,
    pub application_id: Uuid,
    pub fee_key: String,
    pub category: String,
    pub kopecks: i64,
    pub discount_percent: i64,
    /// What is paid through the portal.
    pub portal_kopecks: i64,
    /// The stage it must be paid before.
    pub due_stage: String,
    pub accrued_on: String,
    pub status: ChargeStatus,
    pub paid_at: Option<i64>,
    pub payments: Vec<PaymentView>,
    /// Whether the person may pay it now through the portal.
    pub payable: bool,
    /// A payment started lately has not been heard of yet.
    pub in_progress: bool,
}

/// How long a started payment is waited for before the person may start
/// another (one abandoned on the bank's page must not block paying; should
/// the old one succeed after all, the second is refunded).
pub const PAYMENT_WINDOW_MS: i64 = 30 * 60 * 1000;

/// Whether a payment is still with the person or the provider.
pub fn in_progress(p: &PaymentRecord, now: i64) -> bool {
    p.status == PaymentStatus::Created && now - p.created_at < PAYMENT_WINDOW_MS
}

#[derive(Debug, Clone, Serialize)]
pub struct PaymentView {
    pub id: Uuid,
    pub channel: PaymentChannel,
    pub kopecks: i64,
    pub paid_kopecks: Option<i64>,
    pub status: PaymentStatus,
    pub created_at: i64,
    pub confirmed_at: Option<i64>,
    pub refunded_at: Option<i64>,
}

impl From<&PaymentRecord> for PaymentView {
    fn from(p: &PaymentRecord) -> Self {
        Self {
            id: p.id,
            channel: p.channel,
            kopecks: p.kopecks,
            paid_kopecks: p.paid_kopecks,
            status: p.status,
            created_at: p.created_at,
            confirmed_at: p.confirmed_at,
            refunded_at: p.refunded_at,
        }
    }
}

/// The charge of a first submission of a service with a fee: the fee of
/// the day for the answers' category.
pub(crate) async fn new_charge(
    state: &Portal,
    def: &ServiceDef,
    answers: &serde_json::Map<String, serde_json::Value>,
) -> Result<Option<NewCharge>, AppError> {
    let on = crate::today(state.now());
    let Some(fee) = crate::fees::fee_for(state, def, answers, on).await? else {
        return Ok(None);
    };
    let due = def.fee.as_ref().map(|f| f.due);
    Ok(Some(NewCharge {
        id: Uuid::now_v7(),
        fee_key: fee.key,
        category: fee.category.as_str().into(),
        kopecks: fee.kopecks,
        discount_percent: i64::from(fee.discount_percent),
        portal_kopecks: fee.portal_kopecks,
        due_stage: due
            .map(|d| domain::lifecycle::stage_status(d).as_str().to_owned())
            .unwrap_or_default(),
        accrued_on: on.to_string(),
    }))
}

/// Refuses a step into the stage a fee is due before while it is unpaid.
pub(crate) async fn require_paid(
    state: &Portal,
    r: &ApplicationRecord,
    def: &ServiceDef,
    to: Status,
) -> Result<(), AppError> {
    let Some(rule) = &def.fee else {
        return Ok(());
    };
    if domain::lifecycle::stage_status(rule.due) != to {
        return Ok(());
    }
    let charges = state.store.charges_of(r.id).await?;
    if charges.iter().any(|c| c.status == ChargeStatus::Due) {
        return Err(AppError::new(ErrorKind::Conflict, "fee.unpaid"));
    }
    Ok(())
}

async fn view(state: &Portal, c: ChargeRecord, open: bool) -> Result<ChargeView, AppError> {
    let payments = state.store.payments_of(c.id).await?;
    let now = state.now();
    let pending = payments.iter().any(|p| in_progress(p, now));
    Ok(ChargeView {
        in_progress: pending,
        payable: c.status == ChargeStatus::Due && open && state.acquirer.is_some() && !pending,
        payments: payments.iter().map(PaymentView::from).collect(),
        uin: c.uin,
        application_id: c.application_id,
        fee_key: c.fee_key,
        category: c.category,
        kopecks: c.kopecks,
        discount_percent: c.discount_percent,
        portal_kopecks: c.portal_kopecks,
        due_stage: c.due_stage,
        accrued_on: c.accrued_on,
        status: c.status,
        paid_at: c.paid_at,
    })
}

/// The charges of the person's application.
pub async fn charges(state: &Portal, actor: &Actor, id: Uuid) -> Result<Vec<ChargeView>, AppError> {
    let r = state.store.get_application(id, actor.account.id).await?;
    let mut out = Vec::new();
    for c in state.store.charges_of(r.id).await? {
        out.push(view(state, c, r.status.is_open()).await?);
    }
    Ok(out)
}

/// The charges of an application at the officer's office.
pub async fn office_charges(
    state: &Portal,
    staff: &Staff,
    id: Uuid,
) -> Result<Vec<ChargeView>, AppError> {
    let (_, r) = crate::cases::at_office(state, staff, id).await?;
    let mut out = Vec::new();
    for c in state.store.charges_of(r.id).await? {
        out.push(view(state, c, r.status.is_open()).await?);
    }
    Ok(out)
}

/// Where the person goes to pay.
#[derive(Debug, Clone, Serialize)]
pub struct Started {
    pub payment_id: Uuid,
    pub redirect_url: String,
}

fn parse_uin(uin: &str) -> Result<Uin, AppError> {
    Uin::parse(uin).map_err(|e| AppError::field("uin", e.code))
}

/// Starts paying the person's charge through the provider: the payment is
/// stored (with its reconciliation job) before the provider hears of it,
/// so no outcome can arrive for a payment the portal does not know.
pub async fn start(
    state: &Portal,
    actor: &Actor,
    uin: &str,
    idem: Option<crate::applications::Idempotency>,
) -> Result<Started, AppError> {
    let uin = parse_uin(uin)?;
    let client = state
        .acquirer
        .as_ref()
        .ok_or_else(|| AppError::new(ErrorKind::Conflict, "payment.not_configured"))?;
    let now = state.now();
    let id = Uuid::now_v7();
    let after = state
        .config
        .payments
        .as_ref()
        .map_or(120_000, |p| p.reconcile_after_ms);
    let reconcile = NewJob {
        run_at: now + after,
        ..NewJob::now(job_kind::PAYMENT_RECONCILE, id.to_string(), now)
    }
    .dedup(format!("reconcile:{id}"));
    let stored = state
        .store
        .start_payment(
            NewPayment {
                id,
                uin: uin.as_str().to_owned(),
                account_id: actor.account.id,
            },
            vec![reconcile],
            idem.map(crate::applications::Idempotency::stored),
            now,
        )
        .await?;
    let payment = match stored {
        Once::Done(p) => p,
        Once::Replayed(id) => state
            .store
            .payment(id)
            .await?
            .ok_or_else(AppError::not_found)?,
    };
    let charge = state
        .store
        .charge_by_uin(uin.as_str())
        .await?
        .ok_or_else(AppError::not_found)?;
    let base = state.config.public_url.trim_end_matches('/');
    let request = CreatePayment {
        order_id: payment.id.to_string(),
        amount: payment.kopecks,
        description: format!("Госпошлина, УИН {}", charge.uin),
        return_url: format!(
            "{base}/applications/{}/payment/{}",
            charge.application_id, payment.id
        ),
        callback_url: format!("{base}/api/v1/payments/callback"),
    };
    match client.create(&request).await {
        Ok(p) => Ok(Started {
            payment_id: payment.id,
            redirect_url: p.pay_url,
        }),
        Err(e) => {
            tracing::warn!(error = %e, payment = %payment.id, "the payment provider did not take the payment");
            // The reconciliation job finds it unknown to the provider and ends it.
            Err(AppError::new(
                ErrorKind::Unavailable,
                "payment.provider_unavailable",
            ))
        }
    }
}

fn paid_notice(state: &Portal, c: &ChargeRecord, payment: Uuid) -> NewJob {
    crate::notice::job_at(
        c.account_id,
        "msg-payment-received-subject",
        "msg-payment-received-body",
        vec![
            ("uin".into(), c.uin.clone()),
            ("amount".into(), crate::i18n::money_arg(c.portal_kopecks)),
        ],
        format!("/applications/{}", c.application_id),
        format!("payment-paid:{payment}"),
        state.now(),
    )
}

/// The payment receipt, as a document in the person's account.
fn receipt_job(c: &ChargeRecord, payment: Uuid, now: i64) -> NewJob {
    crate::documents::job(
        domain::document::DocumentKind::PaymentReceipt,
        c.application_id,
        format!("payment-receipt:{payment}"),
        Some(payment),
        now,
    )
}

fn refund_job(payment: Uuid, now: i64) -> NewJob {
    NewJob::now(job_kind::PAYMENT_REFUND, payment.to_string(), now)
        .dedup(format!("refund:{payment}"))
}

/// Applies the provider's word on a payment we know.
async fn settle(
    state: &Portal,
    payment: &PaymentRecord,
    paid: Option<i64>,
    body: Option<String>,
) -> Result<Settled, AppError> {
    let charge = charge_of(state, payment).await?;
    let now = state.now();
    let outcome = state
        .store
        .settle_payment(
            Settlement {
                payment_id: payment.id,
                paid_kopecks: paid,
                callback: body,
                on_paid: vec![
                    paid_notice(state, &charge, payment.id),
                    receipt_job(&charge, payment.id, now),
                ],
                on_refund: vec![refund_job(payment.id, now)],
            },
            now,
        )
        .await?;
    Ok(outcome)
}

async fn charge_of(state: &Portal, payment: &PaymentRecord) -> Result<ChargeRecord, AppError> {
    let charge = state.store.charge(payment.charge_id).await?;
    charge.ok_or_else(|| AppError::internal(format!("payment {} without its charge", payment.id)))
}

/// A callback from the provider: verified against the secret over the
/// exact bytes, then applied once (a repeat changes nothing). Every
/// callback is logged with what came of it.
pub async fn callback(
    state: &Portal,
    body: &[u8],
    signature: Option<&str>,
) -> Result<Settled, AppError> {
    let now = state.now();
    let text = String::from_utf8_lossy(body);
    let secret = state
        .config
        .payments
        .as_ref()
        .map(|p| p.secret.clone())
        .ok_or_else(|| AppError::new(ErrorKind::NotFound, "not_found"))?;
    if !signature.is_some_and(|s| acquirer::verify(secret.as_bytes(), body, s)) {
        state.store.log_callback(None, "forged", &text, now).await?;
        tracing::warn!("a payment callback with a wrong signature");
        return Err(AppError::new(
            ErrorKind::Unauthenticated,
            "payment.signature",
        ));
    }
    let cb: Callback = serde_json::from_slice(body)
        .map_err(|_| AppError::new(ErrorKind::Malformed, "payment.callback"))?;
    let payment = match Uuid::parse_str(&cb.order_id) {
        Ok(id) => state.store.payment(id).await?,
        Err(_) => None,
    };
    let Some(payment) = payment else {
        state
            .store
            .log_callback(None, "unknown", &text, now)
            .await?;
        return Err(AppError::not_found());
    };
    let paid = match cb.status {
        ProviderStatus::Succeeded => Some(cb.amount),
        ProviderStatus::Failed => None,
        // Not an outcome: nothing to apply.
        ProviderStatus::Pending | ProviderStatus::Refunded => {
            state
                .store
                .log_callback(Some(payment.id), "ignored", &text, now)
                .await?;
            return Ok(Settled::Repeated);
        }
    };
    settle(state, &payment, paid, Some(text.into_owned())).await
}

/// Asks the provider about a payment still open on our side (its callback
/// never came, or the person came back first). `Ok(false)`: still pending.
pub async fn reconcile(state: &Portal, payment_id: Uuid) -> Result<bool, AppError> {
    let Some(payment) = state.store.payment(payment_id).await? else {
        return Ok(true);
    };
    if payment.status != PaymentStatus::Created || payment.channel != PaymentChannel::Portal {
        return Ok(true);
    }
    let client = state
        .acquirer
        .as_ref()
        .ok_or_else(|| AppError::new(ErrorKind::Unavailable, "payment.not_configured"))?;
    let answer = client.status(&payment.id.to_string()).await.map_err(|e| {
        tracing::warn!(error = %e, "the payment provider");
        AppError::new(ErrorKind::Unavailable, "payment.provider_unavailable")
    })?;
    match answer {
        // The provider never took it: it cannot be paid.
        None => settle(state, &payment, None, None).await.map(|_| true),
        Some(p) => match p.status {
            ProviderStatus::Succeeded => {
                settle(state, &payment, p.paid_amount.or(Some(p.amount)), None)
                    .await
                    .map(|_| true)
            }
            ProviderStatus::Failed => settle(state, &payment, None, None).await.map(|_| true),
            ProviderStatus::Pending | ProviderStatus::Refunded => Ok(false),
        },
    }
}

/// Gives back a payment that was not needed: through the provider for a
/// portal payment; a bank payment stays due back for the treasury.
pub async fn refund(state: &Portal, payment_id: Uuid) -> Result<(), AppError> {
    let Some(payment) = state.store.payment(payment_id).await? else {
        return Ok(());
    };
    if payment.status != PaymentStatus::RefundDue || payment.channel != PaymentChannel::Portal {
        return Ok(());
    }
    let client = state
        .acquirer
        .as_ref()
        .ok_or_else(|| AppError::new(ErrorKind::Unavailable, "payment.not_configured"))?;
    client.refund(&payment.id.to_string()).await.map_err(|e| {
        tracing::warn!(error = %e, "the payment provider");
        AppError::new(ErrorKind::Unavailable, "payment.provider_unavailable")
    })?;
    let charge = charge_of(state, &payment).await?;
    let notice = crate::notice::job_at(
        charge.account_id,
        "msg-payment-refunded-subject",
        "msg-payment-refunded-body",
        vec![
            ("uin".into(), charge.uin.clone()),
            (
                "amount".into(),
                crate::i18n::money_arg(payment.paid_kopecks.unwrap_or(payment.kopecks)),
            ),
        ],
        format!("/applications/{}", charge.application_id),
        format!("payment-refunded:{}", payment.id),
        state.now(),
    );
    state
        .store
        .mark_refunded(payment.id, vec![notice], state.now())
        .await?;
    Ok(())
}

/// A payment at a bank, recorded by an officer of the application's office
/// from the bank's statement (the UIN, the amount, the bank's reference).
pub async fn record_bank_payment(
    state: &Portal,
    staff: &Staff,
    uin: &str,
    kopecks: i64,
    reference: &str,
) -> Result<Settled, AppError> {
    let who = staff.require(state, Permission::WorkApplications).await?;
    let uin = parse_uin(uin)?;
    let reference = reference.trim();
    if reference.is_empty() || reference.chars().count() > 64 {
        return Err(AppError::field("reference", "payment.reference"));
    }
    if kopecks <= 0 || kopecks > domain::fees::MAX_KOPECKS {
        return Err(AppError::field("kopecks", "fee.amount"));
    }
    let charge = state
        .store
        .charge_by_uin(uin.as_str())
        .await?
        .ok_or_else(AppError::not_found)?;
    let id = Uuid::now_v7();
    let now = state.now();
    let outcome = state
        .store
        .record_bank_payment(
            BankPayment {
                id,
                uin: uin.as_str().to_owned(),
                kopecks,
                reference: reference.to_owned(),
                by: who,
            },
            vec![
                paid_notice(state, &charge, id),
                receipt_job(&charge, id, now),
            ],
            vec![refund_job(id, now)],
            now,
        )
        .await?;
    Ok(outcome)
}

/// The person's payment, after coming back from the provider's page: asked
/// about at once when no callback has come yet.
pub async fn returned(
    state: &Portal,
    actor: &Actor,
    application: Uuid,
    payment_id: Uuid,
) -> Result<PaymentView, AppError> {
    let r = state
        .store
        .get_application(application, actor.account.id)
        .await?;
    let payment = state
        .store
        .payment(payment_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let charge = charge_of(state, &payment).await?;
    if charge.application_id != r.id {
        return Err(AppError::not_found());
    }
    if payment.status == PaymentStatus::Created
        && let Err(e) = reconcile(state, payment.id).await
    {
        tracing::info!(error = %e.code, "the provider was not asked; the job will");
    }
    let now = state
        .store
        .payment(payment_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(PaymentView::from(&now))
}

/// The outbox's payment jobs: the reconciliation's question and the refund.
pub struct PaymentJobs {
    pub portal: Portal,
}

#[async_trait::async_trait]
impl notify::JobHandler for PaymentJobs {
    async fn handle(&self, job: &store::Job) -> Result<(), notify::JobError> {
        let id = Uuid::parse_str(job.payload.trim())
            .map_err(|e| notify::JobError::Permanent(format!("bad payload: {e}")))?;
        let failed = |e: AppError| match e.kind {
            ErrorKind::Unavailable | ErrorKind::Internal => {
                notify::JobError::Temporary(format!("{} {:?}", e.code, e.kind))
            }
            _ => notify::JobError::Permanent(e.code.to_owned()),
        };
        match job.kind.as_str() {
            job_kind::PAYMENT_RECONCILE => {
                if reconcile(&self.portal, id).await.map_err(failed)? {
                    Ok(())
                } else {
                    // Still with the person: asked again later (the retry's backoff).
                    Err(notify::JobError::Temporary("payment still pending".into()))
                }
            }
            job_kind::PAYMENT_REFUND => refund(&self.portal, id).await.map_err(failed),
            other => Err(notify::JobError::Permanent(format!(
                "not a payment job: {other}"
            ))),
        }
    }
}
