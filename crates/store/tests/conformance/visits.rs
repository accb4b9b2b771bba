//! Booked visits: a slot's places taken in the statement that checks them.

use super::*;

fn booking(application_id: Uuid, account_id: Uuid, office_id: Uuid, start_ms: i64) -> Booking {
    Booking {
        id: Uuid::now_v7(),
        application_id,
        account_id,
        office_id,
        start_ms,
        minutes: 15,
        capacity: 10,
        replaces: None,
        transition: None,
        jobs: vec![],
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
        let first = s.book(booking(id, me, office.id, a), 10).await.unwrap();
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
        let second = s.book(moved.clone(), 12).await.unwrap();
        assert_eq!(second.moves, 1);
        assert_eq!(
            s.taken_places(office.id, a, b + 1).await.unwrap(),
            vec![(b, 1)]
        );
        assert_eq!(s.live_appointment(id).await.unwrap().unwrap().id, second.id);
        // A move of a booking that moved already: changed meanwhile.
        moved.id = Uuid::now_v7();
        assert!(matches!(
            s.book(moved, 13).await,
            Err(StoreError::Conflict("visit.changed"))
        ));
    })
    .await;
}
