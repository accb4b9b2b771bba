//! Facts about a person typed into forms: name, contacts, password, birth date.

mod birth_date;
mod contact;
mod name;
mod password;

pub use birth_date::{BirthDate, parse_date};
pub use contact::{Email, Phone};
pub use name::{FullName, Script, parse_name_part};
pub use password::{MIN_PASSWORD_CHARS, check_password};
