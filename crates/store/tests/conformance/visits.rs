//! Booked visits: a slot's places taken in the statement that checks them.

use super::*;

fn booking(application_id: Uuid, account_id: Uuid, office_id: Uuid, start_ms: i64) -> Booking {
    Booking {
        id: Uuid::now_v7(),
        application_id,
        account_id,
        booked_by: account_id,
        office_id,
        start_ms,
        minutes: 15,
        places: vec![(start_ms, 10)],
        replaces: None,
        transition: None,
        jobs: vec![],
        idem: None,
    }
}

/// The booking made now (no key, so never a replay).
fn done(o: Once<AppointmentRecord>) -> AppointmentRecord {
    match o {
        Once::Done(a) => a,
        Once::Replayed(id) => panic!("replayed {id}"),
    }
}

#[tokio::test]
async fn a_slot_never_takes_more_than_its_places() {
    each_backend(|s| async move {
        let office = Office {
            id: Uuid::now_v7(),
            code: "770-001".into(),
            name: "ОВМ".into(),
            address: "Москва".into(),
            time_zone: "Europe/Moscow".into(),
            territory: vec!["77".into()],
        };
        s.upsert_office(office.clone(), vec![], 1).await.unwrap();
        let mut people = Vec::new();
        for _ in 0..30 {
            let me = applicant(&s).await;
            let d = draft(me, "passport-internal");
            let id = d.id;
            s.create_draft(d, None, 2).await.unwrap();
            people.push((me, id));
        }
        let slot = 1_800_000_000_000;
        let mut tasks = Vec::new();
        for (me, id) in people.clone() {
            let s = s.clone();
            let b = booking(id, me, office.id, slot);
            tasks.push(tokio::spawn(async move { s.book(b, 10).await }));
        }
        let (mut booked, mut taken) = (0, 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => booked += 1,
                Err(StoreError::Conflict("visit.taken")) => taken += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!((booked, taken), (10, 20));
        assert_eq!(
            s.taken_places(office.id, slot, slot + 1).await.unwrap(),
            vec![(slot, 10)]
        );
    })
    .await;
}

#[tokio::test]
async fn one_live_booking_per_application_and_a_move_frees_its_place() {
    each_backend(|s| async move {
        let office = Office {
            id: Uuid::now_v7(),
            code: "770-001".into(),
            name: "ОВМ".into(),
            address: "Москва".into(),
            time_zone: "Europe/Moscow".into(),
            territory: vec!["77".into()],
        };
        s.upsert_office(office.clone(), vec![], 1).await.unwrap();
        let me = applicant(&s).await;
        let d = draft(me, "passport-internal");
        let id = d.id;
        s.create_draft(d, None, 2).await.unwrap();
        let (a, b) = (1_800_000_000_000, 1_800_000_900_000);
        let first = done(s.book(booking(id, me, office.id, a), 10).await.unwrap());
        assert!(matches!(
            s.book(booking(id, me, office.id, b), 11).await,
            Err(StoreError::Conflict("visit.already_booked"))
        ));
        // The failed second booking took no place.
        assert_eq!(s.taken_places(office.id, b, b + 1).await.unwrap(), vec![]);
        // Someone else's application: not found.
        let other = applicant(&s).await;
        assert!(matches!(
            s.book(booking(id, other, office.id, b), 11).await,
            Err(StoreError::NotFound)
        ));
        let mut moved = booking(id, me, office.id, b);
        moved.replaces = Some(first.id);
        let second = done(s.book(moved.clone(), 12).await.unwrap());
        assert_eq!(second.moves, 1);
        assert_eq!(
            s.taken_places(office.id, a, b + 1).await.unwrap(),
            vec![(b, 1)]
        );
        assert_eq!(s.live_appointment(id).await.unwrap().unwrap().id, second.id);
        // A keyed request replays: nothing booked twice, the first booking named.
        let key = IdempotencyKey {
            key: "k-1".into(),
            fingerprint: "f".into(),
        };
        let other_app = {
            let d = draft(me, "passport-foreign-old");
            let id = d.id;
            s.create_draft(d, None, 2).await.unwrap();
            id
        };
        let mut keyed = booking(other_app, me, office.id, a);
        keyed.idem = Some(key.clone());
        let made = done(s.book(keyed.clone(), 14).await.unwrap());
        keyed.id = Uuid::now_v7();
        assert_eq!(
            s.book(keyed.clone(), 15).await.unwrap(),
            Once::Replayed(made.id)
        );
        keyed.idem = Some(IdempotencyKey {
            fingerprint: "other".into(),
            ..key
        });
        assert!(matches!(
            s.book(keyed, 15).await,
            Err(StoreError::Conflict("idempotency.mismatch"))
        ));
        assert_eq!(
            s.taken_places(office.id, a, a + 1).await.unwrap(),
            vec![(a, 1)]
        );
        // A move of a booking that moved already: changed meanwhile.
        moved.id = Uuid::now_v7();
        assert!(matches!(
            s.book(moved, 13).await,
            Err(StoreError::Conflict("visit.changed"))
        ));
    })
    .await;
}

fn moscow_office() -> Office {
    Office {
        id: Uuid::now_v7(),
        code: "770-001".into(),
        name: "ОВМ".into(),
        address: "Москва".into(),
        time_zone: "Europe/Moscow".into(),
        territory: vec!["77".into()],
    }
}

#[tokio::test]
async fn places_follow_the_schedule_and_visits_are_bound_to_their_office() {
    each_backend(|s| async move {
        let office = moscow_office();
        let mut other = moscow_office();
        other.code = "770-002".into();
        s.upsert_office(office.clone(), vec![], 1).await.unwrap();
        s.upsert_office(other.clone(), vec![], 1).await.unwrap();
        let slot = 1_800_000_000_000;
        let mut made = Vec::new();
        for capacity in [1, 1, 2] {
            let me = applicant(&s).await;
            let d = draft(me, "passport-internal");
            let id = d.id;
            s.create_draft(d, None, 2).await.unwrap();
            let mut b = booking(id, me, office.id, slot);
            b.places = vec![(slot, capacity)];
            made.push(s.book(b, 10).await.map(done));
        }
        // One window, then the schedule gave the slot a second one.
        assert!(made[0].is_ok());
        assert!(matches!(made[1], Err(StoreError::Conflict("visit.taken"))));
        let second = made[2].as_ref().unwrap().clone();
        assert_eq!(
            s.taken_places(office.id, slot, slot + 1).await.unwrap(),
            vec![(slot, 2)]
        );
        // Fewer windows than taken again: the places taken stay (the CHECK holds).
        let me = applicant(&s).await;
        let d = draft(me, "passport-internal");
        let id = d.id;
        s.create_draft(d, None, 2).await.unwrap();
        let mut b = booking(id, me, office.id, slot);
        b.places = vec![(slot, 1)];
        assert!(matches!(
            s.book(b, 11).await,
            Err(StoreError::Conflict("visit.taken"))
        ));
        // A half-hour visit whose second slot is full takes neither place.
        let before = slot - 900_000;
        let mut b = booking(id, me, office.id, before);
        b.minutes = 30;
        b.places = vec![(before, 2), (slot, 2)];
        assert!(matches!(
            s.book(b.clone(), 11).await,
            Err(StoreError::Conflict("visit.taken"))
        ));
        assert_eq!(
            s.taken_places(office.id, before, slot + 1).await.unwrap(),
            vec![(slot, 2)]
        );
        // With room in both it takes both; moved away, both are free again.
        let later = slot + 900_000;
        b.id = Uuid::now_v7();
        b.start_ms = later;
        b.places = vec![(later, 2), (later + 900_000, 2)];
        let long = done(s.book(b, 11).await.unwrap());
        assert_eq!(
            s.taken_places(office.id, later, later + 900_001)
                .await
                .unwrap(),
            vec![(later, 1), (later + 900_000, 1)]
        );
        let mut moved = booking(id, me, office.id, before);
        moved.replaces = Some(long.id);
        s.book(moved, 12).await.unwrap();
        assert_eq!(
            s.taken_places(office.id, later, later + 900_001)
                .await
                .unwrap(),
            vec![]
        );
        assert_eq!(
            s.taken_places(office.id, before, before + 1).await.unwrap(),
            vec![(before, 1)]
        );
        // The day lists both, in booking order.
        let day = s.day_visits(office.id, slot, slot + 1).await.unwrap();
        assert_eq!(day.len(), 2);
        assert_eq!(day[1].appointment.id, second.id);
        assert!(
            s.day_visits(other.id, slot, slot + 1)
                .await
                .unwrap()
                .is_empty()
        );
        // Another office's officer cannot record the arrival; this office's can, once.
        let stranger = StaffActor {
            id: Uuid::now_v7(),
            role: Role::Officer,
            office_id: Some(other.id),
        };
        assert!(matches!(
            s.record_arrival(second.id, &stranger, 12).await,
            Err(StoreError::Conflict("visit.changed"))
        ));
        let officer = StaffActor {
            id: Uuid::now_v7(),
            role: Role::Officer,
            office_id: Some(office.id),
        };
        s.record_arrival(second.id, &officer, 12).await.unwrap();
        assert!(matches!(
            s.record_arrival(second.id, &officer, 13).await,
            Err(StoreError::Conflict("visit.changed"))
        ));
        let got = s.appointment(second.id).await.unwrap().unwrap();
        assert_eq!(got.status, domain::schedule::VisitState::Arrived);
        // A schedule change marks a live booking displaced; it stays booked and is listed.
        let sched = ReceptionSchedule {
            office_id: office.id,
            schedule: "{}".into(),
            slot_minutes: 15,
            horizon_days: 30,
            lead_minutes: 60,
            cutoff_minutes: 60,
            max_moves: 2,
        };
        let first = made[0].as_ref().unwrap().id;
        let displaced = Displacement {
            appointments: vec![first, second.id],
            jobs: vec![job("notify", 14)],
        };
        s.save_schedule(sched, displaced, &officer, 14)
            .await
            .unwrap();
        let live = s.live_bookings(office.id, 0).await.unwrap();
        // The first booking and the half-hour one moved to before it.
        assert_eq!(live.len(), 2);
        assert!(
            live.iter().all(|a| a.displaced == (a.id == first)),
            "{live:?}"
        );
        // The arrived one was not booked any more: untouched.
        assert!(!s.appointment(second.id).await.unwrap().unwrap().displaced);
    })
    .await;
}
