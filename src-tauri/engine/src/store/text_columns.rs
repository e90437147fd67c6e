//! The text enums of [`crate::domain`] as SQLite columns: written with their one spelling,
//! and a spelling the code does not know is an error naming the column's type, never a
//! silent default.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::domain::account::{AccountStatus, Login};
use crate::domain::outbox::OutboxState;

macro_rules! text_column {
    ($($ty:ty),+) => {$(
        impl ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $ty {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = value.as_str()?;
                <$ty>::parse(text).ok_or_else(|| {
                    FromSqlError::Other(format!("{text:?} is not a known {}", stringify!($ty)).into())
                })
            }
        }
    )+};
}

text_column!(AccountStatus, Login, OutboxState);

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    #[test]
    fn every_spelling_round_trips_and_an_unknown_one_is_an_error() {
        let c = Connection::open_in_memory().unwrap();
        for status in AccountStatus::ALL {
            let back: AccountStatus = c.query_row("SELECT ?1", [status], |r| r.get(0)).unwrap();
            assert_eq!(back, *status);
        }
        for state in OutboxState::ALL {
            let text: String = c.query_row("SELECT ?1", [state], |r| r.get(0)).unwrap();
            assert_eq!(text, state.as_str());
        }
        let unknown = c.query_row("SELECT 'snoozing'", [], |r| r.get::<_, Login>(0)).unwrap_err();
        assert!(unknown.to_string().contains("\"snoozing\" is not a known Login"), "{unknown}");
    }
}
