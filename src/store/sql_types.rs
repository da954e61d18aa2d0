//! The model's enums as DuckDB values: stored by name, read back checked.

use duckdb::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::model::{MessageState, Verdict};

macro_rules! by_name {
    ($t:ty) => {
        impl ToSql for $t {
            fn to_sql(&self) -> duckdb::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $t {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = String::column_result(value)?;
                text.parse().map_err(|e| FromSqlError::Other(Box::new(e)))
            }
        }
    };
}

by_name!(Verdict);
by_name!(MessageState);
