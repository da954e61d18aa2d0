//! Writing published figures out of the database (Parquet through DuckDB).

use std::path::Path;

use duckdb::params;

use super::{Ctx, Result, Store};

impl Store {
    /// Writes published figures to a Parquet file (hidden cells as NULL).
    ///
    /// # Errors
    /// SQL errors.
    pub fn export_parquet(
        &self,
        cells: &[crate::indicators::publish::Published],
        path: &Path,
    ) -> Result<()> {
        self.conn
            .execute_batch("CREATE OR REPLACE TEMP TABLE export_figures (indicator VARCHAR, scope_kind VARCHAR, scope VARCHAR, value DOUBLE, hidden BOOLEAN);")
            .ctx("create export table")?;
        {
            let mut app = self
                .conn
                .appender("export_figures")
                .ctx("appender export")?;
            for c in cells {
                app.append_row(params![
                    c.indicator,
                    c.scope_kind,
                    c.scope,
                    c.value,
                    c.hidden
                ])
                .ctx("append export")?;
            }
            app.flush().ctx("flush export")?;
        }
        let target = path.to_string_lossy().replace('\'', "''");
        self.conn
            .execute_batch(&format!(
                "COPY export_figures TO '{target}' (FORMAT parquet); DROP TABLE export_figures;"
            ))
            .ctx("write parquet")?;
        Ok(())
    }
}
