//! The built-in demo population (documented in the crate's README.md).

use super::population::{DocStatus, Population, SimForeign, SimPassport, SimPerson};

struct Citizen {
    name: [&'static str; 3],
    birth: &'static str,
    snils: Option<&'static str>,
    inn: Option<&'static str>,
    /// series, number, issued_on, office_code, status
    passport: (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        DocStatus,
    ),
}

const CITIZENS: &[Citizen] = &[
    Citizen {
        name: ["Иванов", "Иван", "Иванович"],
        birth: "1985-03-14",
        snils: Some("11223344595"),
        inn: Some("500100732259"),
        passport: ("4510", "123456", "2015-04-20", "770-001", DocStatus::Valid),
    },
    Citizen {
        name: ["Петрова", "Анна", "Сергеевна"],
        birth: "1990-07-02",
        snils: Some("12345678964"),
        inn: Some("770708389324"),
        passport: ("4512", "654321", "2020-08-15", "770-002", DocStatus::Valid),
    },
    // Her previous passport, replaced in 2020.
    Citizen {
        name: ["Петрова", "Анна", "Сергеевна"],
        birth: "1990-07-02",
        snils: None,
        inn: None,
        passport: (
            "4509",
            "100200",
            "2010-07-20",
            "770-002",
            DocStatus::Invalid,
        ),
    },
    Citizen {
        name: ["Сидоров", "Пётр", "Алексеевич"],
        birth: "1978-11-30",
        snils: Some("23456789100"),
        inn: Some("771234567859"),
        passport: ("4005", "111222", "2003-12-10", "780-001", DocStatus::Valid),
    },
    Citizen {
        name: ["Смирнова", "Ольга", "Викторовна"],
        birth: "1995-01-25",
        snils: Some("34567891226"),
        inn: Some("502901234516"),
        passport: ("4615", "222333", "2015-02-10", "500-010", DocStatus::Valid),
    },
    Citizen {
        name: ["Кузнецов", "Алексей", "Дмитриевич"],
        birth: "1982-06-18",
        snils: Some("45678912344"),
        inn: None,
        passport: ("4503", "333444", "2002-07-01", "770-015", DocStatus::Valid),
    },
    Citizen {
        name: ["Фёдорова", "Елена", "Павловна"],
        birth: "1988-09-09",
        snils: Some("56789123453"),
        inn: Some("780123456724"),
        passport: ("4008", "444555", "2008-10-01", "780-022", DocStatus::Valid),
    },
    Citizen {
        name: ["Васильев", "Сергей", ""],
        birth: "1999-12-31",
        snils: Some("67891234553"),
        inn: Some("661234567874"),
        passport: ("6519", "555666", "2019-01-15", "660-003", DocStatus::Valid),
    },
    // Passport declared lost.
    Citizen {
        name: ["Морозов", "Дмитрий", "Николаевич"],
        birth: "1970-04-04",
        snils: Some("78912345644"),
        inn: Some("540123456723"),
        passport: (
            "5015",
            "666777",
            "2015-05-05",
            "540-001",
            DocStatus::Invalid,
        ),
    },
    Citizen {
        name: ["Новикова", "Татьяна", "Игоревна"],
        birth: "2001-02-14",
        snils: Some("89123456726"),
        inn: Some("165512345632"),
        passport: ("9215", "777888", "2021-03-01", "160-005", DocStatus::Valid),
    },
    Citizen {
        name: ["Лебедев", "Андрей", "Олегович"],
        birth: "1965-01-01",
        snils: Some("91234567800"),
        inn: Some("231012345648"),
        passport: ("0310", "888999", "2010-02-02", "230-011", DocStatus::Valid),
    },
];

struct Foreigner {
    name: [&'static str; 2],
    birth: &'static str,
    /// passport_number, citizenship, migration_card, status
    doc: (&'static str, &'static str, Option<&'static str>, DocStatus),
}

const FOREIGNERS: &[Foreigner] = &[
    Foreigner {
        name: ["KARIMOV", "ALISHER"],
        birth: "1992-05-20",
        doc: ("FA1234567", "UZB", Some("46171234567"), DocStatus::Valid),
    },
    // No migration card on record.
    Foreigner {
        name: ["NURLANOV", "DAULET"],
        birth: "1994-10-03",
        doc: ("N12345678", "KAZ", None, DocStatus::Valid),
    },
    // Passport expired.
    Foreigner {
        name: ["RAHIMOV", "JASUR"],
        birth: "1987-08-08",
        doc: ("400123456", "TJK", Some("46179876543"), DocStatus::Invalid),
    },
];

pub(super) fn demo() -> Population {
    let mut pop = Population::new();
    for c in CITIZENS {
        let (series, number, issued_on, office_code, status) = c.passport;
        pop.add(SimPerson {
            surname: c.name[0].into(),
            given_name: c.name[1].into(),
            patronymic: Some(c.name[2]).filter(|p| !p.is_empty()).map(Into::into),
            birth_date: c.birth.into(),
            snils: c.snils.map(Into::into),
            inn: c.inn.map(Into::into),
            passport: Some(SimPassport {
                series: series.into(),
                number: number.into(),
                issued_on: issued_on.into(),
                office_code: office_code.into(),
                status,
            }),
            foreign: None,
        });
    }
    for f in FOREIGNERS {
        let (passport_number, citizenship, card, status) = f.doc;
        pop.add(SimPerson {
            surname: f.name[0].into(),
            given_name: f.name[1].into(),
            patronymic: None,
            birth_date: f.birth.into(),
            snils: None,
            inn: None,
            passport: None,
            foreign: Some(SimForeign {
                passport_number: passport_number.into(),
                citizenship: citizenship.into(),
                migration_card: card.map(Into::into),
                status,
            }),
        });
    }
    pop
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn digits(s: &str) -> Vec<u32> {
        s.chars().map(|c| c.to_digit(10).unwrap()).collect()
    }

    fn snils_valid(s: &str) -> bool {
        if s.len() != 11 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        let d = digits(s);
        let sum: u32 = (0..9).map(|i| d[i] * (9 - i as u32)).sum();
        let check = match sum {
            0..=99 => sum,
            100 | 101 => 0,
            _ => (sum % 101) % 100,
        };
        check == d[9] * 10 + d[10]
    }

    fn inn12_valid(s: &str) -> bool {
        if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        let d = digits(s);
        let w11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
        let w12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
        let c = |w: &[u32]| w.iter().zip(&d).map(|(w, d)| w * d).sum::<u32>() % 11 % 10;
        c(&w11) == d[10] && c(&w12) == d[11]
    }

    #[test]
    fn checksum_helpers_agree_with_known_numbers() {
        assert!(snils_valid("11223344595"));
        assert!(!snils_valid("11223344596"));
        assert!(inn12_valid("500100732259"));
        assert!(!inn12_valid("500100732258"));
    }

    #[test]
    fn every_demo_number_has_a_valid_checksum() {
        let pop = demo();
        for p in pop.people() {
            if let Some(s) = &p.snils {
                assert!(snils_valid(s), "bad SNILS {s}");
            }
            if let Some(i) = &p.inn {
                assert!(inn12_valid(i), "bad INN {i}");
            }
            p.validate().unwrap();
        }
    }

    #[test]
    fn demo_covers_the_documented_cases_without_duplicates() {
        let pop = demo();
        let people = pop.people();
        assert!(people.len() >= 12);
        let mut seen = HashSet::new();
        for p in people {
            for n in [&p.snils, &p.inn].into_iter().flatten() {
                assert!(seen.insert(n.clone()), "duplicate {n}");
            }
            if let Some(d) = &p.passport {
                assert!(seen.insert(format!("{} {}", d.series, d.number)));
            }
            if let Some(d) = &p.foreign {
                assert!(seen.insert(d.passport_number.clone()));
            }
        }
        let lost = people.iter().filter_map(|p| p.passport.as_ref());
        assert!(lost.clone().any(|d| d.status == DocStatus::Invalid));
        let foreign: Vec<_> = people.iter().filter_map(|p| p.foreign.as_ref()).collect();
        assert!(
            foreign
                .iter()
                .any(|f| f.status == DocStatus::Valid && f.migration_card.is_some())
        );
        assert!(foreign.iter().any(|f| f.migration_card.is_none()));
    }

    /// The README table is for demo users: keep it in step with the data.
    #[test]
    fn readme_lists_every_demo_number() {
        let readme = include_str!("../../README.md");
        for p in demo().people() {
            let mut numbers: Vec<String> =
                [&p.snils, &p.inn].into_iter().flatten().cloned().collect();
            if let Some(d) = &p.passport {
                numbers.push(format!("{} {}", d.series, d.number));
            }
            if let Some(d) = &p.foreign {
                numbers.push(d.passport_number.clone());
                numbers.extend(d.migration_card.clone());
            }
            for n in numbers {
                assert!(readme.contains(&n), "README.md does not mention {n}");
            }
        }
    }
}
