//! Charges and payments: a UIN per charge, settlement once, a second
//! payment due back, races between a callback and the reconciliation, and
//! editions of the fee schedule that are never changed once in force.

use super::*;

fn new_charge() -> NewCharge {
    NewCharge {
        id: Uuid::now_v7(),
        fee_key: "passport-foreign-biometric".into(),
        category: "adult".into(),
        kopecks: 600_000,
        discount_percent: 0,
        portal_kopecks: 600_000,
        due_stage: "invited".into(),
        accrued_on: "2026-12-01".into(),
    }
}

/// A submitted application with its charge: (owner, application, charge).
async fn charged(s: &Arc<dyn Store>) -> (Uuid, Uuid, ChargeRecord) {
    let me = applicant(s).await;
    let d = draft(me, "passport-foreign-biometric");
    let id = d.id;
    s.create_draft(d, None, 2).await.unwrap();
    let mut sub = submission(id, me, 1, false);
    sub.charge = Some(new_charge());
    s.submit_application(sub, None, 10).await.unwrap();
    let c = s.charges_of(id).await.unwrap().remove(0);
    (me, id, c)
}

fn settlement(payment: Uuid, paid: Option<i64>) -> Settlement {
    Settlement {
        payment_id: payment,
        paid_kopecks: paid,
        callback: Some("{}".into()),
        on_paid: vec![job("notify", 20)],
        on_refund: vec![job(job_kind::PAYMENT_REFUND, 20)],
    }
}

async fn started(s: &Arc<dyn Store>, me: Uuid, c: &ChargeRecord) -> Uuid {
    let id = Uuid::now_v7();
    let p = NewPayment {
        id,
        uin: c.uin.clone(),
        account_id: me,
    };
    assert!(matches!(
        s.start_payment(p, vec![], None, 15).await.unwrap(),
        Once::Done(_)
    ));
    id
}

#[tokio::test]
async fn a_charge_is_paid_once_whatever_comes_twice() {
    each_backend(|s| async move {
        let (me, _, c) = charged(&s).await;
        let (_, _, c2) = charged(&s).await;
        // Distinct UINs, each with its check digit.
        assert_ne!(c.uin, c2.uin);
        for uin in [&c.uin, &c2.uin] {
            assert!(domain::identifiers::Uin::parse(uin).is_ok(), "{uin}");
        }
        assert_eq!(c.status, ChargeStatus::Due);
        // Another person cannot pay it (it is not theirs to start).
        let stranger = applicant(&s).await;
        let p = NewPayment {
            id: Uuid::now_v7(),
            uin: c.uin.clone(),
            account_id: stranger,
        };
        assert!(matches!(
            s.start_payment(p, vec![], None, 15).await,
            Err(StoreError::NotFound)
        ));

        // The callback and the reconciliation at once: one pays, one repeats.
        let first = started(&s, me, &c).await;
        let (a, b) = tokio::join!(
            s.settle_payment(settlement(first, Some(600_000)), 20),
            s.settle_payment(settlement(first, Some(600_000)), 20)
        );
        let mut outcomes = [a.unwrap(), b.unwrap()];
        outcomes.sort_by_key(|o| o.as_str());
        assert!(matches!(outcomes[0], Settled::Paid { .. }), "{outcomes:?}");
        assert_eq!(outcomes[1], Settled::Repeated);
        let now = s.charge(c.id).await.unwrap().unwrap();
        assert_eq!((now.status, now.paid_by), (ChargeStatus::Paid, Some(first)));
        // Paid: no new payment starts.
        let p = NewPayment {
            id: Uuid::now_v7(),
            uin: c.uin.clone(),
            account_id: me,
        };
        assert!(matches!(
            s.start_payment(p, vec![], None, 21).await,
            Err(StoreError::Conflict("charge.not_due"))
        ));
        // An unknown payment is not found (the caller logs it).
        assert!(matches!(
            s.settle_payment(settlement(Uuid::now_v7(), Some(1)), 22)
                .await,
            Err(StoreError::NotFound)
        ));
        let log: Vec<String> = s
            .callbacks(10)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.outcome)
            .collect();
        assert_eq!(log.len(), 2, "{log:?}");
    })
    .await;
}

#[tokio::test]
async fn two_payments_of_one_charge_race_and_the_loser_is_due_back() {
    each_backend(|s| async move {
        let (me, _, c) = charged(&s).await;
        let one = started(&s, me, &c).await;
        let two = started(&s, me, &c).await;
        let (a, b) = tokio::join!(
            s.settle_payment(settlement(one, Some(600_000)), 20),
            s.settle_payment(settlement(two, Some(600_000)), 20)
        );
        let outcomes = [a.unwrap(), b.unwrap()];
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| matches!(o, Settled::Paid { .. }))
                .count(),
            1,
            "{outcomes:?}"
        );
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| **o == Settled::RefundDue)
                .count(),
            1,
            "{outcomes:?}"
        );
        let payments = s.payments_of(c.id).await.unwrap();
        let due_back: Vec<_> = payments
            .iter()
            .filter(|p| p.status == PaymentStatus::RefundDue)
            .collect();
        assert_eq!(due_back.len(), 1);
        // Given back once; the charge stays paid by the other.
        assert!(s.mark_refunded(due_back[0].id, vec![], 30).await.unwrap());
        assert!(!s.mark_refunded(due_back[0].id, vec![], 31).await.unwrap());
        assert_eq!(
            s.charge(c.id).await.unwrap().unwrap().status,
            ChargeStatus::Paid
        );
        // Another amount is flagged and the charge stays as it was.
        let (me2, _, c2) = charged(&s).await;
        let odd = started(&s, me2, &c2).await;
        assert_eq!(
            s.settle_payment(settlement(odd, Some(1)), 40)
                .await
                .unwrap(),
            Settled::Mismatch
        );
        assert_eq!(
            s.charge(c2.id).await.unwrap().unwrap().status,
            ChargeStatus::Due
        );
        // A failure first, then the provider's success: the success wins.
        let late = started(&s, me2, &c2).await;
        assert_eq!(
            s.settle_payment(settlement(late, None), 41).await.unwrap(),
            Settled::Failed
        );
        assert!(matches!(
            s.settle_payment(settlement(late, Some(600_000)), 42)
                .await
                .unwrap(),
            Settled::Paid { .. }
        ));
    })
    .await;
}

#[tokio::test]
async fn fee_editions_in_force_are_never_changed() {
    each_backend(|s| async move {
        let row = |from: &str, rates: &str| FeeEditionRow {
            from: from.into(),
            discount_percent: 0,
            rates: rates.into(),
            created_by: None,
            created_at: 1,
        };
        assert_eq!(
            s.seed_fee_editions(vec![row("2024-07-01", "[1]"), row("2023-01-01", "[0]")])
                .await
                .unwrap(),
            2
        );
        // Seeding again keeps what is stored.
        assert_eq!(
            s.seed_fee_editions(vec![row("2024-07-01", "[9]")])
                .await
                .unwrap(),
            0
        );
        assert_eq!(s.fee_editions().await.unwrap()[1].rates, "[1]");
        // In force (not after today): neither replaced nor withdrawn.
        assert!(matches!(
            s.put_fee_edition(row("2024-07-01", "[9]"), "2026-11-30", 5)
                .await,
            Err(StoreError::Conflict("fee.in_force"))
        ));
        assert!(matches!(
            s.put_fee_edition(row("2026-11-30", "[9]"), "2026-11-30", 5)
                .await,
            Err(StoreError::Conflict("fee.in_force"))
        ));
        let admin = applicant(&s).await;
        assert!(matches!(
            s.withdraw_fee_edition("2024-07-01", admin, "2026-11-30", 5)
                .await,
            Err(StoreError::Conflict("fee.in_force"))
        ));
        // A future one: added, replaced, withdrawn.
        s.put_fee_edition(row("2027-01-01", "[2]"), "2026-11-30", 5)
            .await
            .unwrap();
        s.put_fee_edition(row("2027-01-01", "[3]"), "2026-11-30", 6)
            .await
            .unwrap();
        let all = s.fee_editions().await.unwrap();
        assert_eq!(
            all.iter()
                .map(|e| (e.from.as_str(), e.rates.as_str()))
                .collect::<Vec<_>>(),
            [
                ("2023-01-01", "[0]"),
                ("2024-07-01", "[1]"),
                ("2026-11-30", "[9]"),
                ("2027-01-01", "[3]")
            ][..]
                .iter()
                .filter(|(f, _)| *f != "2026-11-30")
                .copied()
                .collect::<Vec<_>>()
        );
        s.withdraw_fee_edition("2027-01-01", admin, "2026-11-30", 7)
            .await
            .unwrap();
        assert!(matches!(
            s.withdraw_fee_edition("2027-01-01", admin, "2026-11-30", 8)
                .await,
            Err(StoreError::NotFound)
        ));
    })
    .await;
}
