//! Identity keys numbered as rows are loaded: the writer keeps every key's
//! number in memory (32 bytes and a number a key), gives a key seen for the
//! first time the next number, and appends the rows with their numbers and
//! the new keys to `identity_keys` in the load's own transaction. Numbering
//! them afterwards in SQL (two UPDATEs over every new row, one key at a
//! time through the primary key's index) was a second of a ten-year load.
//!
//! The memory is a cache of the table, checked against it before each use:
//! when the table's largest number is not the one the cache expects (a
//! transaction that numbered keys rolled back, another process loaded
//! files, or the migration to schema version 5 numbered rows an older
//! version had loaded), the cache is emptied. Numbers only grow, so the
//! largest one tells. An emptied cache fills as groups need it: a group
//! looks its own keys up (a nightly run with a few files), unless it is
//! large beside the table, which is then read whole, once (a ten-year load
//! into an empty table reads nothing).

use std::collections::HashMap;
use std::sync::Arc;

use duckdb::arrow::array::{Array, ArrayRef, Int64Array, UInt64Array};

use super::{Ctx, Result, StoreError};

/// A key's 32 bytes (HMAC-SHA256; four big-endian 64-bit integers, `k1`
/// to `k4`, in the table).
type Key = crate::identity::PersonKey;

/// Hashes a key by its first 8 bytes: HMAC output under a secret key is
/// already uniform, and nobody without the key can make two collide, so
/// SipHash's work (a fifth of the writer's time numbering keys) buys
/// nothing here.
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // A `[u8; 32]` is hashed as its length, then its bytes: the first
        // eight of each are enough.
        let mut word = [0u8; 8];
        let n = bytes.len().min(8);
        word[..n].copy_from_slice(&bytes[..n]);
        self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(word);
    }
}

type Numbers = HashMap<Key, i64, std::hash::BuildHasherDefault<KeyHasher>>;

/// Every identity key's number, as far as it is committed or being
/// committed by the transaction in progress.
#[derive(Debug, Default)]
pub struct KeyNumbers {
    numbers: Numbers,
    /// The largest number given.
    largest: i64,
    /// Keys numbered since the cache was last checked, appended to
    /// `identity_keys` by [`KeyNumbers::append_new`].
    new: Vec<(i64, Key)>,
    /// Whether `numbers` holds the whole table (else only the keys looked
    /// up so far, and those numbered since).
    complete: bool,
}

/// The four integers a key is stored as (`identity_keys.k1` to `k4`).
fn words(key: &Key) -> [u64; 4] {
    let mut out = [0u64; 4];
    for (w, chunk) in out.iter_mut().zip(key.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *w = u64::from_be_bytes(b);
    }
    out
}

/// The key stored as these four integers.
fn from_words(words: [u64; 4]) -> Key {
    let mut out = [0u8; 32];
    for (chunk, w) in out.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// `keys` as the four integer columns of `identity_keys`, named `k1` to
/// `k4`, followed by `more`.
fn key_columns<'k>(
    keys: impl Iterator<Item = &'k Key>,
    more: Vec<(&'static str, ArrayRef)>,
) -> Vec<(&'static str, ArrayRef)> {
    let keys: Vec<[u64; 4]> = keys.map(words).collect();
    let mut columns: Vec<(&'static str, ArrayRef)> = ["k1", "k2", "k3", "k4"]
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let column: UInt64Array = keys.iter().map(|w| Some(w[i])).collect();
            (name, Arc::new(column) as ArrayRef)
        })
        .collect();
    columns.extend(more);
    columns
}

/// A group whose unknown keys are more than this share of the table
/// (one in `READ_ALL_SHARE`) reads the whole table rather than looking its
/// keys up: a ten-year load reads it once, a nightly run with a few files
/// never does.
const READ_ALL_SHARE: i64 = 8;

impl KeyNumbers {
    /// The store's key numbers, ready to number `keys` in `tx`: the cache
    /// is emptied unless it matches `identity_keys` (numbers only grow, so
    /// the largest one tells), then the number of each of `keys` that has
    /// one is made known: from memory, else looked up in the table (read
    /// whole when the group is large beside it). Afterwards a key of `keys`
    /// without a number is new.
    pub fn ready<'c, 'k>(
        cache: &'c mut Option<KeyNumbers>,
        tx: &duckdb::Transaction<'_>,
        keys: impl IntoIterator<Item = &'k Key>,
    ) -> Result<&'c mut KeyNumbers> {
        let largest: i64 = tx
            .query_row(
                "SELECT coalesce(max(key_no), 0) FROM identity_keys",
                [],
                |r| r.get(0),
            )
            .ctx("largest key number")?;
        let stale = cache
            .as_ref()
            .is_none_or(|c| c.largest != largest || !c.new.is_empty());
        if stale {
            *cache = Some(KeyNumbers {
                numbers: Numbers::default(),
                largest,
                new: Vec::new(),
                // An empty table is known whole.
                complete: largest == 0,
            });
        }
        let numbers = cache
            .as_mut()
            .ok_or_else(|| StoreError::Unsupported("no key numbers".into()))?;
        numbers.look_up(tx, keys)?;
        Ok(numbers)
    }

    fn look_up<'k>(
        &mut self,
        tx: &duckdb::Transaction<'_>,
        keys: impl IntoIterator<Item = &'k Key>,
    ) -> Result<()> {
        if self.complete {
            return Ok(());
        }
        let mut unknown: Vec<Key> = keys
            .into_iter()
            .filter(|k| !self.numbers.contains_key(*k))
            .copied()
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        if unknown.is_empty() {
            return Ok(());
        }
        if unknown.len() as i64 * READ_ALL_SHARE > self.largest {
            self.numbers = Numbers::default();
            self.read(tx, "SELECT k1, k2, k3, k4, key_no FROM identity_keys")?;
            self.complete = true;
            return Ok(());
        }
        tx.execute_batch(
            "CREATE OR REPLACE TEMP TABLE stage_identity_keys \
             (k1 UBIGINT, k2 UBIGINT, k3 UBIGINT, k4 UBIGINT)",
        )
        .ctx("stage identity keys")?;
        super::append_arrow(
            tx,
            "stage_identity_keys",
            key_columns(unknown.iter(), Vec::new()),
        )?;
        self.read(
            tx,
            "SELECT k.k1, k.k2, k.k3, k.k4, k.key_no FROM identity_keys k \
             JOIN stage_identity_keys s USING (k1, k2, k3, k4)",
        )?;
        tx.execute_batch("DROP TABLE stage_identity_keys")
            .ctx("drop staged identity keys")
    }

    /// Adds the (key, number) pairs `sql` returns (the key as its four
    /// integers, then the number).
    fn read(&mut self, tx: &duckdb::Transaction<'_>, sql: &str) -> Result<()> {
        let mut stmt = tx.prepare(sql).ctx("prepare identity keys")?;
        for batch in stmt.query_arrow([]).ctx("read identity keys")? {
            let columns = batch.columns();
            let words: Vec<&UInt64Array> = columns
                .iter()
                .take(4)
                .filter_map(|c| c.as_any().downcast_ref::<UInt64Array>())
                .collect();
            let nos = columns
                .get(4)
                .and_then(|c| c.as_any().downcast_ref::<Int64Array>());
            let (&[k1, k2, k3, k4], Some(nos)) = (words.as_slice(), nos) else {
                return Err(StoreError::Unsupported(
                    "identity_keys: unexpected column types".into(),
                ));
            };
            if words.iter().any(|w| w.null_count() > 0) || nos.null_count() > 0 {
                return Err(StoreError::Unsupported(
                    "identity_keys: a key or number is NULL".into(),
                ));
            }
            self.numbers.reserve(nos.len());
            for i in 0..nos.len() {
                let key = from_words([k1.value(i), k2.value(i), k3.value(i), k4.value(i)]);
                self.numbers.insert(key, nos.value(i));
            }
        }
        Ok(())
    }

    /// The number of `key`, given now if it has none (after
    /// [`KeyNumbers::ready`] was called with it).
    pub fn number(&mut self, key: &Key) -> i64 {
        if let Some(n) = self.numbers.get(key) {
            return *n;
        }
        self.largest += 1;
        self.numbers.insert(*key, self.largest);
        self.new.push((self.largest, *key));
        self.largest
    }

    /// Appends the keys numbered since the last call to `identity_keys`,
    /// in the caller's transaction.
    pub fn append_new(&mut self, tx: &duckdb::Transaction<'_>) -> Result<()> {
        if self.new.is_empty() {
            return Ok(());
        }
        let nos: Int64Array = self.new.iter().map(|(n, _)| Some(*n)).collect();
        super::append_arrow(
            tx,
            "identity_keys",
            key_columns(
                self.new.iter().map(|(_, k)| k),
                vec![("key_no", Arc::new(nos) as ArrayRef)],
            ),
        )?;
        self.new.clear();
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_key_keeps_its_number_and_a_new_one_gets_the_next() {
        let mut k = KeyNumbers {
            largest: 7,
            ..KeyNumbers::default()
        };
        let (a, b) = ([0xab; 32], [0xcd; 32]);
        assert_eq!(k.number(&a), 8);
        assert_eq!(k.number(&b), 9);
        assert_eq!(k.number(&a), 8);
        assert_eq!(k.new.len(), 2);
    }

    #[test]
    fn a_key_is_stored_as_four_big_endian_words() {
        let key: Key = std::array::from_fn(|i| i as u8);
        let w = words(&key);
        assert_eq!(w[0], 0x0001_0203_0405_0607);
        assert_eq!(w[3], 0x1819_1a1b_1c1d_1e1f);
        assert_eq!(from_words(w), key);
        // Read back in hexadecimal, the words spell the key's usual text.
        let text = format!("{:016x}{:016x}{:016x}{:016x}", w[0], w[1], w[2], w[3]);
        assert_eq!(text, hex::encode(key));
    }

    /// Numbers `keys` in one transaction as a load does, commits it or
    /// not, and returns the numbers.
    fn load(
        conn: &duckdb::Connection,
        cache: &mut Option<KeyNumbers>,
        keys: &[Key],
        commit: bool,
    ) -> Vec<i64> {
        let tx = conn.unchecked_transaction().unwrap();
        let k = KeyNumbers::ready(cache, &tx, keys).unwrap();
        let numbers = keys.iter().map(|key| k.number(key)).collect();
        k.append_new(&tx).unwrap();
        if commit {
            tx.commit().unwrap();
        } else {
            tx.rollback().unwrap();
        }
        numbers
    }

    fn stored(conn: &duckdb::Connection) -> Vec<(String, i64)> {
        conn.prepare(
            "SELECT lower(lpad(to_hex(k1), 16, '0') || lpad(to_hex(k2), 16, '0') \
             || lpad(to_hex(k3), 16, '0') || lpad(to_hex(k4), 16, '0')), key_no \
             FROM identity_keys ORDER BY key_no",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
    }

    #[test]
    fn numbers_given_in_a_transaction_rolled_back_are_given_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(dir.path()).unwrap();
        let conn = store.connection();
        let mut cache = None;
        let (a, b) = ([0xab; 32], [0xcd; 32]);
        assert_eq!(load(conn, &mut cache, &[a, b], false), vec![1, 2]);
        assert_eq!(load(conn, &mut cache, &[b], true), vec![1], "read again");
        assert_eq!(load(conn, &mut cache, &[b, a, b], true), vec![1, 2, 1]);
        assert_eq!(stored(conn), vec![(hex::encode(b), 1), (hex::encode(a), 2)]);
    }

    #[test]
    fn a_small_group_looks_its_keys_up_without_reading_the_table() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(dir.path()).unwrap();
        let conn = store.connection();
        // 100 keys numbered by an earlier process.
        let earlier: Vec<Key> = (0..100u8).map(|i| [i; 32]).collect();
        let mut cache = None;
        assert_eq!(
            load(conn, &mut cache, &earlier, true),
            (1..=100).collect::<Vec<i64>>()
        );
        // A new process: two known keys and a new one.
        let mut cache = None;
        let fresh = [0xee; 32];
        assert_eq!(
            load(conn, &mut cache, &[earlier[41], fresh, earlier[7]], true),
            vec![42, 101, 8]
        );
        let c = cache.as_ref().unwrap();
        assert!(
            !c.complete && c.numbers.len() == 3,
            "looked up, not read whole"
        );
        // The next group, in the same process, still finds them all.
        assert_eq!(
            load(conn, &mut cache, &[fresh, earlier[99]], true),
            vec![101, 100]
        );
        assert_eq!(stored(conn).len(), 101);
    }
}
