//! The lifecycle's steps and the office side: routing rows, queues, steps
//! bound to a version and a scope, reassignment.

use super::*;
use domain::application::Status;
use domain::lifecycle::Queue;

fn office(code: &str, territory: &[&str]) -> Office {
    Office {
        id: Uuid::now_v7(),
        code: code.into(),
        name: format!("ОВМ {code}"),
        address: "Москва".into(),
        time_zone: "Europe/Moscow".into(),
        territory: territory.iter().map(|t| (*t).to_owned()).collect(),
    }
}

fn officer(office_id: Uuid) -> StaffActor {
    StaffActor {
        id: Uuid::now_v7(),
        role: Role::Officer,
        office_id: Some(office_id),
    }
}

/// A submitted application of a new applicant, at `office_id`.
async fn submitted(s: &Arc<dyn Store>, office_id: Option<Uuid>, deadline: &str) -> (Uuid, Uuid) {
    let me = applicant(s).await;
    let d = draft(me, "passport-internal");
    let id = d.id;
    s.create_draft(d, None, 2).await.unwrap();
    let mut sub = submission(id, me, 1, true);
    sub.office_id = office_id;
    sub.deadline = Some(deadline.into());
    s.submit_application(sub, None, 10).await.unwrap();
    (me, id)
}

fn step(id: Uuid, version: i64, from: Status, to: Status, by: StepBy) -> Transition {
    Transition {
        id,
        version,
        from,
        to,
        by,
        note: None,
        jobs: vec![],
        answers: None,
        consent: None,
    }
}

fn queue(office_id: Option<Uuid>, q: Option<Queue>) -> QueueQuery {
    QueueQuery {
        office_id,
        queue: q,
        today: "2026-12-01".into(),
        number: None,
        surname: None,
        service: None,
        after: None,
        limit: 50,
    }
}

#[tokio::test]
async fn routing_prefers_the_district_office_to_the_regions() {
    each_backend(|s| async move {
        let region = office("770-001", &["77"]);
        let district = office("770-002", &["77-005"]);
        for o in [&region, &district] {
            s.upsert_office(o.clone(), vec![], 1).await.unwrap();
        }
        assert_eq!(
            s.office_for("77", Some("005")).await.unwrap(),
            Some(district.id)
        );
        assert_eq!(
            s.office_for("77", Some("001")).await.unwrap(),
            Some(region.id)
        );
        assert_eq!(s.office_for("77", None).await.unwrap(), Some(region.id));
        assert_eq!(s.office_for("54", None).await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn a_step_is_bound_to_its_version_status_and_scope() {
    each_backend(|s| async move {
        let here = office("770-001", &["77"]);
        let there = office("780-001", &["78"]);
        for o in [&here, &there] {
            s.upsert_office(o.clone(), vec![], 1).await.unwrap();
        }
        let (me, id) = submitted(&s, Some(here.id), "2026-12-10").await;
        let got = s.application_by_id(id).await.unwrap().unwrap();
        assert_eq!(
            (got.office_id, got.deadline.as_deref(), got.version),
            (Some(here.id), Some("2026-12-10"), 2)
        );
        // Another office's officer: as if it did not exist.
        let accept = |v, by| step(id, v, Status::Submitted, Status::Accepted, by);
        assert!(matches!(
            s.transition(accept(2, StepBy::Staff(officer(there.id))), 11)
                .await,
            Err(StoreError::NotFound)
        ));
        // Staff of no office work nothing.
        let admin = StaffActor {
            id: Uuid::now_v7(),
            role: Role::Administrator,
            office_id: None,
        };
        assert!(matches!(
            s.transition(accept(2, StepBy::Staff(admin)), 11).await,
            Err(StoreError::NotFound)
        ));
        // A stale version or a status that moved on loses.
        let mine = officer(here.id);
        assert!(matches!(
            s.transition(accept(1, StepBy::Staff(mine.clone())), 11)
                .await,
            Err(StoreError::Stale)
        ));
        let mut t = accept(2, StepBy::Staff(mine.clone()));
        t.note = Some("{\"ok\":true}".into());
        t.jobs = vec![job("notify", 11)];
        assert_eq!(s.transition(t, 12).await.unwrap(), 3);
        assert!(matches!(
            s.transition(accept(3, StepBy::Staff(mine.clone())), 13)
                .await,
            Err(StoreError::Stale)
        ));
        // History, audit and the outbox came with it.
        let history = s.history_of(id).await.unwrap();
        let last = history.last().unwrap();
        assert_eq!(
            (last.from, last.to, last.actor_id, last.note.as_deref()),
            (
                Some(Status::Submitted),
                Status::Accepted,
                Some(mine.id),
                Some("{\"ok\":true}")
            )
        );
        let audit = s.list_audit(id).await.unwrap();
        let event = audit.last().unwrap();
        assert_eq!(
            (event.action.as_str(), event.office_id),
            ("application.accepted", Some(here.id))
        );
        assert!(s.job_stats().await.unwrap().pending >= 1);
        // The owner cancels within their own scope only.
        let stranger = applicant(&s).await;
        let cancel = |by| step(id, 3, Status::Accepted, Status::Cancelled, by);
        assert!(matches!(
            s.transition(cancel(StepBy::Owner(stranger)), 14).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            s.transition(cancel(StepBy::Owner(me)), 14).await.unwrap(),
            4
        );
        // Closing frees the one-open place: a new application of the service goes through.
        let d = draft(me, "passport-internal");
        let again = d.id;
        s.create_draft(d, None, 15).await.unwrap();
        s.submit_application(submission(again, me, 1, true), None, 16)
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn of_concurrent_steps_on_one_version_exactly_one_wins() {
    each_backend(|s| async move {
        let here = office("770-001", &["77"]);
        s.upsert_office(here.clone(), vec![], 1).await.unwrap();
        let (_, id) = submitted(&s, Some(here.id), "2026-12-10").await;
        let mut tasks = Vec::new();
        for i in 0..8 {
            let s = s.clone();
            let by = StepBy::Staff(officer(here.id));
            // Half accept, half return: whichever wins, the others lose.
            let to = if i % 2 == 0 {
                Status::Accepted
            } else {
                Status::Returned
            };
            tasks.push(tokio::spawn(async move {
                s.transition(step(id, 2, Status::Submitted, to, by), 20)
                    .await
            }));
        }
        let mut won = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(v) => {
                    assert_eq!(v, 3);
                    won += 1;
                }
                Err(StoreError::Stale) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(won, 1);
        assert_eq!(s.history_of(id).await.unwrap().len(), 3);
    })
    .await;
}

#[tokio::test]
async fn queues_filter_search_and_page_by_keyset() {
    each_backend(|s| async move {
        let here = office("770-001", &["77"]);
        s.upsert_office(here.clone(), vec![], 1).await.unwrap();
        let mut ids = Vec::new();
        for deadline in ["2026-11-20", "2026-12-20", "2026-12-21"] {
            ids.push(submitted(&s, Some(here.id), deadline).await.1);
        }
        let (_, lost) = submitted(&s, None, "2026-12-20").await;
        let all = s.office_queue(queue(Some(here.id), None)).await.unwrap();
        assert_eq!(all.iter().map(|r| r.id).collect::<Vec<_>>(), ids);
        assert_eq!(all[0].surname, "Иванов");
        // The page after the first, by keyset.
        let mut q = queue(Some(here.id), Some(Queue::New));
        q.after = Some((all[0].submitted_at, all[0].id));
        q.limit = 1;
        let page = s.office_queue(q).await.unwrap();
        assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), vec![ids[1]]);
        // Overdue: past its deadline and undecided.
        let overdue = s
            .office_queue(queue(Some(here.id), Some(Queue::Overdue)))
            .await
            .unwrap();
        assert_eq!(
            overdue.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![ids[0]]
        );
        // Search by number, by the start of the surname.
        let mut q = queue(Some(here.id), None);
        q.number = all[2].number.clone();
        assert_eq!(s.office_queue(q).await.unwrap()[0].id, ids[2]);
        let mut q = queue(Some(here.id), None);
        q.surname = Some("Ивано".into());
        assert_eq!(s.office_queue(q).await.unwrap().len(), 3);
        let mut q = queue(Some(here.id), None);
        q.surname = Some("Петр".into());
        assert!(s.office_queue(q).await.unwrap().is_empty());
        // A change of name (new documents) is found at once by the new name,
        // no longer by the old one, in every application of the person (she
        // has two here).
        let renamed = all[1].account_id;
        let second = draft(renamed, "address-reference");
        let second_id = second.id;
        s.create_draft(second, None, 30).await.unwrap();
        let mut sub = submission(second_id, renamed, 1, false);
        sub.office_id = Some(here.id);
        sub.deadline = Some("2026-12-22".into());
        s.submit_application(sub, None, 31).await.unwrap();
        s.submit_identity(
            store::NewIdentity {
                account_id: renamed,
                surname: "Петрова".into(),
                given_name: "Анна".into(),
                patronymic: None,
                document_kind: "russian_passport".into(),
                snils_lookup: "renamed".into(),
                key_id: "k1".into(),
                sealed: vec![1],
                masked: "***".into(),
            },
            40,
        )
        .await
        .unwrap();
        let mut q = queue(Some(here.id), Some(Queue::New));
        q.surname = Some("Петр".into());
        let found = s.office_queue(q).await.unwrap();
        assert_eq!(
            found.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![ids[1], second_id]
        );
        assert!(found.iter().all(|r| r.surname == "Петрова"));
        let mut q = queue(Some(here.id), None);
        q.surname = Some("Ивано".into());
        assert_eq!(s.office_queue(q).await.unwrap().len(), 2);
        // Not routed: its own queue, until a head or administrator moves it.
        let unrouted = s.office_queue(queue(None, None)).await.unwrap();
        assert_eq!(
            unrouted.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![lost]
        );
        let admin = StaffActor {
            id: Uuid::now_v7(),
            role: Role::Administrator,
            office_id: None,
        };
        assert!(matches!(
            s.reassign(lost, 1, None, here.id, &admin, 30).await,
            Err(StoreError::Stale)
        ));
        assert!(matches!(
            s.reassign(lost, 2, Some(here.id), here.id, &admin, 30)
                .await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            s.reassign(lost, 2, None, here.id, &admin, 30)
                .await
                .unwrap(),
            3
        );
        assert!(s.office_queue(queue(None, None)).await.unwrap().is_empty());
        let history = s.history_of(lost).await.unwrap();
        assert!(
            history
                .last()
                .unwrap()
                .note
                .as_deref()
                .unwrap()
                .contains("reassigned")
        );
        assert_eq!(
            s.office_queue(queue(Some(here.id), Some(Queue::New)))
                .await
                .unwrap()
                .len(),
            5
        );
    })
    .await;
}

/// A change of name racing new drafts of the same person: every draft
/// created, once sent, is found by the new name and none by the old (the
/// surname kept on each application follows its person: migrations 0025,
/// 0026 — an insert takes the name committed, a change rewrites them all).
#[tokio::test]
async fn a_change_of_name_racing_new_drafts_leaves_none_behind() {
    each_backend(|s| async move {
        let here = office("770-001", &["77"]);
        s.upsert_office(here.clone(), vec![], 1).await.unwrap();
        let mut sent = Vec::new();
        for round in 0..6 {
            let me = applicant(&s).await;
            let d = draft(me, "address-reference");
            let id = d.id;
            let rename = s.submit_identity(
                store::NewIdentity {
                    account_id: me,
                    surname: "Петрова".into(),
                    given_name: "Анна".into(),
                    patronymic: None,
                    document_kind: "russian_passport".into(),
                    snils_lookup: format!("race-{round}"),
                    key_id: "k1".into(),
                    sealed: vec![1],
                    masked: "***".into(),
                },
                20,
            );
            let (made, renamed) = tokio::join!(s.create_draft(d, None, 20), rename);
            made.unwrap();
            renamed.unwrap();
            let mut sub = submission(id, me, 1, false);
            sub.office_id = Some(here.id);
            sub.deadline = Some("2026-12-22".into());
            s.submit_application(sub, None, 30).await.unwrap();
            sent.push(id);
        }
        let mut q = queue(Some(here.id), None);
        q.surname = Some("Петр".into());
        let found = s.office_queue(q).await.unwrap();
        assert_eq!(found.iter().map(|r| r.id).collect::<Vec<_>>(), sent);
        let mut q = queue(Some(here.id), None);
        q.surname = Some("Ивано".into());
        assert!(s.office_queue(q).await.unwrap().is_empty());
    })
    .await;
}

/// The fill of the surnames migration 0026 left empty (closed applications
/// from before it): batches in id order, each ending at its last id, until
/// none is left; afterwards the search finds them.
#[tokio::test]
async fn the_fill_of_applicant_surnames_walks_in_batches_and_stops() {
    for backend in backends() {
        let db = TestDb::new(backend).await.unwrap();
        let s = connect(&db.url, true, test_key()).await.unwrap();
        let here = office("770-001", &["77"]);
        s.upsert_office(here.clone(), vec![], 1).await.unwrap();
        let mut ids = Vec::new();
        for _ in 0..3 {
            ids.push(submitted(&s, Some(here.id), "2026-12-20").await.1);
        }
        ids.sort();
        // As before the migration: the column empty, but for one row a
        // change of name reached meanwhile (the fill must not undo it).
        let emptied = "UPDATE applications SET applicant_surname = \
                       CASE WHEN id = $1 THEN 'Петрова' ELSE NULL END";
        let n = if backend == "sqlite" {
            let raw = SqliteStore::connect(&db.url).await.unwrap();
            sqlx::query(emptied)
                .bind(ids[0])
                .execute(raw.pool())
                .await
                .unwrap()
                .rows_affected()
        } else {
            let raw = PgStore::connect(&db.url).await.unwrap();
            sqlx::query(emptied)
                .bind(ids[0])
                .execute(raw.pool())
                .await
                .unwrap()
                .rows_affected()
        };
        assert_eq!(n, 3);
        let mut q = queue(Some(here.id), None);
        q.surname = Some("Ивано".into());
        assert!(s.office_queue(q.clone()).await.unwrap().is_empty());
        let mut walked = Vec::new();
        let mut after = Uuid::nil();
        while let Some(last) = s.fill_applicant_surnames(after, 2).await.unwrap() {
            walked.push(last);
            after = last;
        }
        assert_eq!(walked, vec![ids[1], ids[2]]);
        let found = s.office_queue(q).await.unwrap();
        assert_eq!(found.iter().map(|r| r.id).collect::<Vec<_>>(), ids[1..]);
        let mut q = queue(Some(here.id), None);
        q.surname = Some("Петр".into());
        let kept = s.office_queue(q).await.unwrap();
        assert_eq!(kept.iter().map(|r| r.id).collect::<Vec<_>>(), vec![ids[0]]);
        // Past the end: nothing more, again.
        assert_eq!(s.fill_applicant_surnames(ids[2], 2).await.unwrap(), None);
        drop(db);
    }
}

/// PostgreSQL: an application inserted while a change of name is being
/// committed takes the new name — the insert's copy waits for the change
/// (`FOR SHARE`), whose own rewrite of the person's applications cannot see
/// a row not yet committed. Raw statements, so nothing else serialises them
/// (the portal's drafts also lock the account first).
#[tokio::test]
async fn an_insert_beside_an_uncommitted_change_of_name_takes_the_new_name() {
    if !backends().contains(&"postgres") {
        return;
    }
    let db = TestDb::new("postgres").await.unwrap();
    let s = connect(&db.url, true, test_key()).await.unwrap();
    let raw = PgStore::connect(&db.url).await.unwrap();
    let me = applicant(&s).await;
    let mut rename = raw.pool().begin().await.unwrap();
    sqlx::query("UPDATE accounts SET surname = 'Петрова' WHERE id = $1")
        .bind(me)
        .execute(&mut *rename)
        .await
        .unwrap();
    let id = Uuid::now_v7();
    let pool = raw.pool().clone();
    let insert = tokio::spawn(async move {
        sqlx::query(
            "INSERT INTO applications (id, account_id, service, status, version, key_id, sealed, \
             created_at, updated_at) VALUES ($1, $2, 'address-reference', 'draft', 1, 'k1', $3, 1, 1)",
        )
        .bind(id)
        .bind(me)
        .bind(b"{}".to_vec())
        .execute(&pool)
        .await
        .unwrap();
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !insert.is_finished(),
        "the insert waits for the change of name"
    );
    rename.commit().await.unwrap();
    insert.await.unwrap();
    let kept: String =
        sqlx::query_scalar("SELECT applicant_surname FROM applications WHERE id = $1")
            .bind(id)
            .fetch_one(raw.pool())
            .await
            .unwrap();
    assert_eq!(kept, "Петрова");
    drop(db);
}
