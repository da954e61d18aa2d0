//! Writing published figures out of the database: the Parquet copy of the
//! tidy CSV export, typed by DuckDB.

use std::path::Path;

use super::{Ctx, Result, Store};

fn quoted(path: &Path) -> String {
    format!("'{}'", path.to_string_lossy().replace('\'', "''"))
}

impl Store {
    /// Writes the tidy CSV export `csv` again as Parquet: every column
    /// text but `valeur` (DOUBLE) and `calcule_le` (TIMESTAMP); empty
    /// cells become NULL.
    ///
    /// # Errors
    /// SQL errors.
    pub fn export_parquet(&self, csv: &Path, parquet: &Path) -> Result<()> {
        self.conn
            .execute_batch(&format!(
                "COPY (SELECT * REPLACE (CAST(valeur AS DOUBLE) AS valeur, CAST(calcule_le AS TIMESTAMP) AS calcule_le)
                       FROM read_csv({}, header = true, all_varchar = true, delim = ',', quote = '\"'))
                 TO {} (FORMAT parquet);",
                quoted(csv),
                quoted(parquet)
            ))
            .ctx("write parquet")?;
        Ok(())
    }
}
