//! People over key numbers, and each person's latest report.
//!
//! The store numbers every identity key once (a key first loaded later gets
//! a larger number), so that the recomputation works over small integers:
//! [`Persons`] links the keys carried by the same row (union-find), and
//! [`tally_latest`] finds, for every person and every scope, the report that
//! decides (the latest), and counts what those reports say. Both are pure;
//! `store` feeds them.

use std::cmp::Reverse;

use rayon::slice::ParallelSliceMut;

/// People as connected groups of linked keys. A person's id is the smallest
/// key number of its group, so it stays the same from run to run and across
/// re-imports; it changes only when the group itself changes (it merges
/// with an older group, or loses its oldest key because the only row
/// carrying it was superseded).
#[derive(Debug)]
pub struct Persons {
    /// Indexed by key number; a root is the smallest key of its group.
    parent: Vec<i64>,
}

impl Persons {
    /// Room for keys numbered up to `max_key`.
    pub fn new(max_key: i64) -> Persons {
        Persons {
            parent: (0..=max_key.max(0)).collect(),
        }
    }

    fn slot(&mut self, key: i64) -> usize {
        let i = usize::try_from(key).unwrap_or(0);
        if i >= self.parent.len() {
            // A key numbered after `max_key` was read: grow rather than fail.
            let from = self.parent.len() as i64;
            self.parent.extend(from..=key);
        }
        i
    }

    fn find(&mut self, key: i64) -> i64 {
        let mut i = self.slot(key);
        loop {
            let p = self.parent[i];
            if p as usize == i {
                return p;
            }
            let grand = self.parent[p as usize];
            self.parent[i] = grand;
            i = grand as usize;
        }
    }

    /// Links the two keys of one accepted row of a current file.
    pub fn link(&mut self, a: i64, b: i64) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (small, large) = (ra.min(rb), ra.max(rb));
            self.parent[large as usize] = small;
        }
    }

    /// Points every key straight at its person, so that [`Persons::person`]
    /// is a lookup.
    pub fn flatten(&mut self) {
        for i in 0..self.parent.len() {
            // Parents are smaller than their children: one pass suffices.
            let p = self.parent[i] as usize;
            self.parent[i] = self.parent[p];
        }
    }

    /// The person of a key (after [`Persons::flatten`]).
    pub fn person(&self, key: i64) -> i64 {
        usize::try_from(key)
            .ok()
            .and_then(|i| self.parent.get(i))
            .copied()
            .unwrap_or(key)
    }

    /// The keys whose person is not themselves, as (key, person), in key
    /// order (after [`Persons::flatten`]).
    pub fn linked(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.parent
            .iter()
            .enumerate()
            .filter(|(i, p)| **p != *i as i64)
            .map(|(i, p)| (i as i64, *p))
    }
}

/// The layout of the packed `report` integer, in one place: built by
/// `store/recompute/current_rows.sql` (whose `{{NAME}}` placeholders are
/// these constants, filled by [`layout::sql`]) and read by [`tally_latest`]
/// and the store. From high bits to low: the file's order, the row number,
/// the unemployment duration in months (capped), an exit, an exit into
/// employment.
pub mod layout {
    /// Where the file's order starts.
    pub const FILE_ORDER_SHIFT: u32 = 43;
    /// Files one recomputation can order (20 bits).
    pub const FILE_ORDER_LIMIT: i64 = 1 << 20;
    /// Where the row number starts.
    pub const ROW_SHIFT: u32 = 9;
    /// Where the duration in months starts.
    pub const MONTHS_SHIFT: u32 = 2;
    /// The largest duration kept (7 bits): the indicators only ask below
    /// or above 12 and 36 months. Every kind of report is a counter in
    /// each scope ([`super::SAYS`] of them), so fewer bits here is less
    /// memory for the recomputation.
    pub const MONTHS_MAX: i64 = 127;
    /// Set when the report is an exit.
    pub const EXIT_BIT: i64 = 1 << 1;
    /// Set when the report is an exit into employment.
    pub const EMPLOYMENT_BIT: i64 = 1;

    // The fields never overlap, and rows up to the largest sheet fit below
    // the file's order: checked when the program is compiled.
    const _: () = assert!(EXIT_BIT & EMPLOYMENT_BIT == 0);
    const _: () = assert!(MONTHS_MAX << MONTHS_SHIFT < 1 << ROW_SHIFT);
    const _: () = assert!((MONTHS_MAX << MONTHS_SHIFT) & (EXIT_BIT | EMPLOYMENT_BIT) == 0);
    const _: () = assert!((i32::MAX as i64) < 1 << (FILE_ORDER_SHIFT - ROW_SHIFT));
    const _: () = assert!((FILE_ORDER_LIMIT - 1) << FILE_ORDER_SHIFT > 0);

    /// `sql` with every `{{NAME}}` placeholder replaced by its constant.
    ///
    /// # Panics
    /// When a placeholder names no constant: a programming error caught by
    /// this module's test over `current_rows.sql`.
    pub fn sql(sql: &str) -> String {
        let out = sql
            .replace("{{FILE_ORDER_SHIFT}}", &FILE_ORDER_SHIFT.to_string())
            .replace("{{FILE_ORDER_LIMIT}}", &FILE_ORDER_LIMIT.to_string())
            .replace("{{ROW_SHIFT}}", &ROW_SHIFT.to_string())
            .replace("{{MONTHS_SHIFT}}", &MONTHS_SHIFT.to_string())
            .replace("{{MONTHS_MAX}}", &MONTHS_MAX.to_string());
        assert!(!out.contains("{{"), "an unknown placeholder in {sql}");
        out
    }
}

/// How many distinct things a report can say (its bits below the row
/// number: the unemployment duration, an exit, an exit into employment).
pub const SAYS: usize = 1 << layout::ROW_SHIFT;

/// The kinds of scope a report counts in besides national, in the order of
/// [`Report::scopes`] (the columns of `store/sql/current_reports.sql`).
pub const SCOPE_KINDS: [&str; 8] = [
    "innovation",
    "departement",
    "structure",
    "period",
    "innovation_period",
    "departement_period",
    "departement_innovation",
    "structure_period",
];

/// One current job-seeker row: its person, its report (greater is later;
/// the low bits say what it reports) and the numbers of its scopes, one
/// per [`SCOPE_KINDS`] (the national scope is 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub person: i64,
    pub report: i64,
    pub scopes: [u32; SCOPE_KINDS.len()],
}

/// Each person's latest report within each scope, counted by what it says:
/// `counts[scope * SAYS + says]` people have a latest report in `scope`
/// that says `says`. A person counts once per scope, with the report of
/// the latest period there. `rows` is sorted in place.
pub fn tally_latest(rows: &mut [Report], scopes: usize) -> Vec<u32> {
    let mut counts = vec![0u32; scopes.max(1) * SAYS];
    // Half a million reports and more: sorted on every core.
    rows.par_sort_unstable_by_key(|r| (r.person, Reverse(r.report)));
    let says = |r: &Report| (r.report as usize) & (SAYS - 1);
    let mut seen: [Vec<u32>; SCOPE_KINDS.len()] = Default::default();
    for person in rows.chunk_by(|a, b| a.person == b.person) {
        // Latest first: the first report of a scope is the one that decides.
        counts[says(&person[0])] += 1;
        for (kind, seen) in seen.iter_mut().enumerate() {
            seen.clear();
            for r in person {
                let scope = r.scopes[kind];
                if !seen.contains(&scope) {
                    seen.push(scope);
                    counts[scope as usize * SAYS + says(r)] += 1;
                }
            }
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linked(p: &Persons) -> Vec<(i64, i64)> {
        p.linked().collect()
    }

    #[test]
    fn the_report_layout_fills_every_placeholder_and_its_fields_do_not_overlap() {
        let sql = layout::sql(include_str!("../store/recompute/current_rows.sql"));
        assert!(sql.contains("<< 43"), "{sql}");
        assert!(sql.contains(">= 1048576"), "{sql}");
    }

    #[test]
    fn linked_keys_form_one_person_with_the_oldest_key() {
        let mut p = Persons::new(20);
        // 7-3 and 3-9 link three keys through a middle one; 20-12 stand apart.
        p.link(7, 3);
        p.link(9, 3);
        p.link(20, 12);
        p.link(12, 20);
        p.flatten();
        assert_eq!(linked(&p), [(7, 3), (9, 3), (20, 12)]);
        assert_eq!(p.person(9), 3);
        assert_eq!(p.person(5), 5, "a key linked to nothing is its own person");
        assert_eq!(p.person(99), 99, "a key past the end too");
    }

    #[test]
    fn a_chain_in_any_order_is_one_person() {
        let mut p = Persons::new(10);
        for (a, b) in [(50, 40), (10, 20), (30, 40), (20, 30)] {
            p.link(a, b);
        }
        p.flatten();
        for k in [20, 30, 40, 50] {
            assert_eq!(p.person(k), 10);
        }
    }

    fn report(person: i64, order: i64, months: i64, exit: bool, four: [u32; 4]) -> Report {
        // Innovation, département, period, structure; the crossed kinds
        // mirror the structure in scopes of their own (100 + s, ..., 400 + s).
        let [i, d, p, s] = four;
        Report {
            person,
            report: (order << layout::ROW_SHIFT)
                | (months << layout::MONTHS_SHIFT)
                | if exit { layout::EXIT_BIT } else { 0 },
            scopes: [i, d, s, p, 100 + s, 200 + s, 300 + s, 400 + s],
        }
    }

    #[test]
    fn the_latest_report_decides_in_each_scope() {
        // Person 1: at structure 10 in period 5 (14 months), then at
        // structure 11 in period 6 (3 months, an exit). Person 2: twice in
        // period 6 at structure 11, the later row decides.
        let mut rows = vec![
            report(1, 2, 3, true, [1, 3, 6, 11]),
            report(1, 1, 14, false, [1, 3, 5, 10]),
            report(2, 3, 20, false, [1, 3, 6, 11]),
            report(2, 4, 30, false, [1, 3, 6, 11]),
        ];
        let c = tally_latest(&mut rows, 412);
        let at = |scope: usize, months: usize, exit: bool| {
            c[scope * SAYS
                + (months << layout::MONTHS_SHIFT
                    | if exit { layout::EXIT_BIT as usize } else { 0 })]
        };
        // National and innovation 1: person 1's latest is the exit, person 2's the 30 months.
        for scope in [0, 1, 3] {
            assert_eq!(at(scope, 3, true), 1, "scope {scope}");
            assert_eq!(at(scope, 30, false), 1, "scope {scope}");
            assert_eq!(at(scope, 14, false), 0, "scope {scope}");
        }
        // Period 5 and structure 10 only know person 1's first report.
        assert_eq!(at(5, 14, false), 1);
        assert_eq!(at(10, 14, false), 1);
        // Period 6 and structure 11: both people, each once.
        for scope in [6, 11] {
            assert_eq!(at(scope, 3, true) + at(scope, 30, false), 2);
            assert_eq!(at(scope, 20, false), 0);
        }
        for offset in [100, 200, 300, 400] {
            assert_eq!(at(offset + 10, 14, false), 1);
            assert_eq!(at(offset + 11, 3, true) + at(offset + 11, 30, false), 2);
        }
        assert_eq!(
            c.iter().map(|&n| n as usize).sum::<usize>(),
            2 * 5 + 1 + 1 + 4 * 3
        );
    }
}
