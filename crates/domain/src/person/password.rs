//! Password policy (length over complexity, as NIST SP 800-63B advises):
//! long enough, not trivially guessable, not personal, not a known leak.

use crate::Invalid;
use std::collections::BTreeSet;

pub const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_CHARS: usize = 128;
const MIN_DISTINCT_CHARS: usize = 6;
/// Context values shorter than this match too many passwords by chance.
const MIN_CONTEXT_CHARS: usize = 4;

/// Rows and alphabets a lazy password walks along (either direction).
const SEQUENCES: &[&str] = &[
    "abcdefghijklmnopqrstuvwxyz",
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "01234567890",
    "1234567890-=",
    "qwertyuiop[]asdfghjkl;'zxcvbnm,./",
    "йцукенгшщзхъфывапролджэячсмитьбю.",
    "!@#$%^&*()_+",
];

/// Most common leaked passwords (lowercase), Russian-speaking users included.
/// Entries shorter than the minimum still matter: "dragon2024!" strips to "dragon".
const COMMON: &[&str] = &[
    "password",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "pass",
    "password1",
    "password123",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "12345678910",
    "0987654321",
    "987654321",
    "111111",
    "1111111111",
    "000000",
    "0000000000",
    "123123",
    "123123123",
    "123321",
    "654321",
    "666666",
    "121212",
    "112233",
    "159753",
    "147258369",
    "1q2w3e",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "1q2w3e4r5t6y",
    "1qaz2wsx",
    "1qaz2wsx3edc",
    "zaq12wsx",
    "zaq1zaq1",
    "q1w2e3r4",
    "q1w2e3r4t5",
    "qwerty",
    "qwerty123",
    "qwerty1234",
    "qwertyuiop",
    "qwertyuiop123",
    "qwe123",
    "qweasd",
    "qweasdzxc",
    "asdfgh",
    "asdfghjkl",
    "zxcvbnm",
    "zxcvbn",
    "1qazxsw2",
    "abc123",
    "abcd1234",
    "abcdef",
    "iloveyou",
    "iloveyou2",
    "love",
    "loveyou",
    "lovely",
    "admin",
    "admin123",
    "administrator",
    "root",
    "toor",
    "letmein",
    "welcome",
    "welcome1",
    "login",
    "master",
    "secret",
    "changeme",
    "default",
    "guest",
    "test",
    "test123",
    "testtest",
    "temp",
    "user",
    "qazwsx",
    "qazwsxedc",
    "trustno1",
    "monkey",
    "dragon",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "soccer",
    "hockey",
    "superman",
    "batman",
    "spiderman",
    "starwars",
    "pokemon",
    "naruto",
    "shadow",
    "killer",
    "michael",
    "jennifer",
    "jordan",
    "hunter",
    "ranger",
    "buster",
    "thomas",
    "robert",
    "charlie",
    "daniel",
    "andrew",
    "harley",
    "ginger",
    "pepper",
    "cookie",
    "cheese",
    "chocolate",
    "flower",
    "summer",
    "winter",
    "freedom",
    "whatever",
    "nothing",
    "computer",
    "internet",
    "samsung",
    "google",
    "yandex",
    "mail",
    "apple",
    "microsoft",
    "matrix",
    "mustang",
    "ferrari",
    "corvette",
    "maverick",
    "fuckyou",
    "fuckoff",
    "asshole",
    "666",
    "777777",
    "7777777",
    "888888",
    "999999",
    "555555",
    "121314",
    "131313",
    "232323",
    "parol",
    "parol123",
    "privet",
    "privet123",
    "qwerty12345",
    "marina",
    "natasha",
    "tatiana",
    "svetlana",
    "olga",
    "irina",
    "elena",
    "anastasia",
    "ekaterina",
    "sergey",
    "dmitry",
    "alexander",
    "alexey",
    "andrey",
    "vladimir",
    "nikita",
    "maksim",
    "ivan",
    "kotik",
    "solnce",
    "solnyshko",
    "lubov",
    "lyubov",
    "zvezda",
    "angel",
    "angelina",
    "spartak",
    "zenit",
    "dinamo",
    "cska",
    "rossiya",
    "russia",
    "moscow",
    "moskva",
    "пароль",
    "привет",
    "йцукен",
    "йцукенгшщз",
    "любовь",
    "солнышко",
    "наташа",
    "марина",
    "qwertyqwerty",
    "aaaaaa",
    "abc12345",
    "asdasd",
    "zxc123",
    "12qwaszx",
    "1q2w3e4r5t6y7u",
];

/// Checks a new password. `context` holds values the account is known by
/// (logins, name parts, phone, e-mail); the password must not contain them.
pub fn check_password(password: &str, context: &[&str]) -> Result<(), Invalid> {
    let n = password.chars().take(MAX_PASSWORD_CHARS + 1).count();
    if n < MIN_PASSWORD_CHARS {
        return Err(Invalid::new("password.too_short"));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(Invalid::new("password.too_long"));
    }
    if password.trim() != password {
        return Err(Invalid::new("password.whitespace"));
    }
    if too_simple(password) {
        return Err(Invalid::new("password.too_simple"));
    }
    let plain = alnum_lower(password);
    if context
        .iter()
        .flat_map(|c| context_forms(c))
        .any(|c| plain.contains(&c))
    {
        return Err(Invalid::new("password.contains_personal"));
    }
    let lower = password.to_lowercase();
    let stripped = lower.trim_end_matches(|c: char| !c.is_alphabetic());
    let common = COMMON
        .iter()
        .any(|&w| w == lower || (!stripped.is_empty() && strip_tail(w) == stripped));
    if common {
        return Err(Invalid::new("password.too_common"));
    }
    Ok(())
}

fn strip_tail(w: &str) -> &str {
    let s = w.trim_end_matches(|c: char| !c.is_alphabetic());
    if s.is_empty() { w } else { s }
}

fn too_simple(password: &str) -> bool {
    let distinct: BTreeSet<char> = password.chars().collect();
    let lower = password.to_lowercase();
    let reversed: String = lower.chars().rev().collect();
    distinct.len() < MIN_DISTINCT_CHARS
        || password.chars().all(char::is_numeric)
        || SEQUENCES
            .iter()
            .any(|s| s.contains(lower.as_str()) || s.contains(reversed.as_str()))
}

fn alnum_lower(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The forms of one context value to look for: the whole value, each word,
/// an e-mail's local part and its pieces ("ivan.petrov") and a phone's last 10 digits (typed without +7 / 8).
fn context_forms(value: &str) -> Vec<String> {
    let mut forms = vec![alnum_lower(value)];
    forms.extend(value.split_whitespace().map(alnum_lower));
    if let Some((local, _)) = value.split_once('@') {
        forms.push(alnum_lower(local));
        forms.extend(local.split(|c: char| !c.is_alphanumeric()).map(alnum_lower));
    }
    let whole = alnum_lower(value);
    if whole.len() > 10 && whole.bytes().all(|b| b.is_ascii_digit()) {
        forms.push(whole[whole.len() - 10..].to_string());
    }
    forms.retain(|f| f.chars().count() >= MIN_CONTEXT_CHARS);
    forms
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(p: &str, ctx: &[&str]) -> &'static str {
        check_password(p, ctx).err().map_or("ok", |e| e.code)
    }

    #[test]
    fn accepts_good_passwords() {
        let ctx = [
            "+7 (916) 123-45-67",
            "ivan.petrov@mail.ru",
            "Иванов",
            "Иван",
        ];
        for p in [
            "correct horse battery",
            "Tr0ub4dor&3x",
            "зелёный слон летит",
            "k8#Lq2!zPw",
            &"ab1-cd2_".repeat(14),
        ] {
            assert_eq!(check_password(p, &ctx), Ok(()), "{p}");
        }
    }

    #[test]
    fn rules_in_order() {
        assert_eq!(code("", &[]), "password.too_short");
        assert_eq!(code("Ab1!xyz", &[]), "password.too_short");
        assert_eq!(code("ёжик123!@", &[]), "password.too_short");
        assert_eq!(code(&"a1".repeat(65), &[]), "password.too_long");
        assert_eq!(code(&"x".repeat(10_000_000), &[]), "password.too_long");
        assert_eq!(code(" k8#Lq2!zPw", &[]), "password.whitespace");
        assert_eq!(code("k8#Lq2!zPw\n", &[]), "password.whitespace");
        for p in [
            "aaaaaaaaaaaa",
            "ababababcdcd",
            "3141592653589",
            "١٢٣٤٥٦٧٨٩٠١",
            "abcdefghijkl",
            "qwertyuiop",
            "';lkjhgfdsa",
            "йцукенгшщз",
            "ZYXWVUTSRQ",
            "!@#$%^&*()",
        ] {
            assert_eq!(code(p, &[]), "password.too_simple", "{p}");
        }
    }

    #[test]
    fn personal_values() {
        let ctx = ["+7 (916) 123-45-67", "Ivan.Petrov@mail.ru", "Иванов", "Ли"];
        assert_eq!(code("my9161234567pass", &ctx), "password.contains_personal");
        assert_eq!(code("xx79161234567", &ctx), "password.contains_personal");
        assert_eq!(code("IVANPETROV-2024", &ctx), "password.contains_personal");
        assert_eq!(code("petrov-the-great", &ctx), "password.contains_personal");
        assert_eq!(
            code("zz ИВАНОВ 1990 zz", &ctx),
            "password.contains_personal"
        );
        assert_eq!(check_password("ли-ли-ли ля-ля!", &ctx), Ok(()));
    }

    #[test]
    fn common_passwords() {
        for p in [
            "password123",
            "Password2024!",
            "QWERTY123456",
            "qwertyuiop123",
            "1q2w3e4r5t",
            "Passw0rd!!!!",
            "Admin123!!!!",
            "пароль12345",
            "iloveyou2025",
            "Privet12345",
        ] {
            assert_eq!(code(p, &[]), "password.too_common", "{p}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(s in any::<String>(), t in "\\PC*") {
            let _ = check_password(&s, &[&t]);
            let _ = check_password(&t, &[&s, ""]);
        }
    }
}
