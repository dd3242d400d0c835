//! inotifywatch's statistics: per-watch counters, which columns and rows to show, the
//! sort (ties in watch-creation order), and the table layout, as text or JSON. Pure but
//! for the JSON document's clock reading: no fd, no signals.

use crate::event::{Event, bits};
use crate::wdmap::WdMap;

/// The table's event columns, in the reference's fixed order.
pub const COLUMNS: [(&str, u32); 13] = [
    ("access", bits::ACCESS),
    ("modify", bits::MODIFY),
    ("attrib", bits::ATTRIB),
    ("close_write", bits::CLOSE_WRITE),
    ("close_nowrite", bits::CLOSE_NOWRITE),
    ("open", bits::OPEN),
    ("moved_from", bits::MOVED_FROM),
    ("moved_to", bits::MOVED_TO),
    ("move_self", bits::MOVE_SELF),
    ("create", bits::CREATE),
    ("delete", bits::DELETE),
    ("delete_self", bits::DELETE_SELF),
    ("unmount", bits::UNMOUNT),
];

/// What the rows are ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Total,
    /// Index into [`COLUMNS`] (one past it sorts like an all-zero column).
    Column(usize),
}

/// Sort key and direction; the default is descending by total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub ascending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            key: SortKey::Total,
            ascending: false,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Row {
    name: Vec<u8>,
    total: u64,
    counts: [u64; 13],
}

/// A row kept for a watch that is gone: it saw events, so the table still shows it (the
/// reference does too), but only its non-zero counts are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DeadRow {
    wd: i32,
    name: Box<[u8]>,
    total: u64,
    counts: Box<[(u8, u64)]>,
}

/// Counters per watch. Live watches' rows are found by wd; rows of watches that are gone
/// are kept, small, only when they saw an event, so memory follows the live watches plus
/// what the table has to print. Ties are broken by wd, i.e. watch-creation order.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    rows: WdMap<Row>,
    dead: Vec<DeadRow>,
    counted: u64,
    /// Live rows at the last sweep: the next one runs when this has doubled.
    swept: usize,
}

impl Stats {
    pub fn new() -> Stats {
        Stats::default()
    }

    /// Counts one event: total always (IGNORED counts in total only), plus each column
    /// whose bit is set. Events without a watch (Q_OVERFLOW) are not counted.
    pub fn record(&mut self, ev: &Event<'_>) {
        let Some(row) = self.row(ev.wd) else { return };
        if row.name.as_slice() != ev.watch {
            row.name = ev.watch.to_vec();
        }
        row.total += 1;
        for (i, (_, bit)) in COLUMNS.iter().enumerate() {
            if ev.mask & bit != 0 {
                row.counts[i] += 1;
            }
        }
        self.counted += 1;
    }

    /// Gives a live watch's row its current name (after renames); with `create`, makes
    /// an all-zero row for a watch that saw no event (for `-z`).
    pub fn sync(&mut self, wd: i32, name: &[u8], create: bool) {
        if !create && !self.rows.contains_key(wd) {
            return;
        }
        let Some(row) = self.row(wd) else { return };
        if row.name.as_slice() != name {
            row.name = name.to_vec();
        }
    }

    /// The row of `wd`, made on first use (None for wd -1).
    fn row(&mut self, wd: i32) -> Option<&mut Row> {
        if wd < 0 {
            return None;
        }
        Some(self.rows.get_or_default(wd))
    }

    /// Whether enough rows were made since the last sweep to make one worth it.
    pub fn needs_sweep(&self) -> bool {
        self.rows.len() >= 2 * self.swept.max(64)
    }

    /// Retires the rows of watches that are gone (`alive` says which are not): kept,
    /// small, when they saw an event; forgotten otherwise.
    pub fn sweep(&mut self, alive: impl Fn(i32) -> bool) {
        let gone: Vec<i32> = self
            .rows
            .iter()
            .map(|(wd, _)| wd)
            .filter(|&wd| !alive(wd))
            .collect();
        for wd in gone {
            let Some(row) = self.rows.remove(wd) else {
                continue;
            };
            if row.total == 0 {
                continue;
            }
            let counts = (0u8..).zip(row.counts).filter(|&(_, c)| c != 0).collect();
            self.dead.push(DeadRow {
                wd,
                name: row.name.into(),
                total: row.total,
                counts,
            });
        }
        self.swept = self.rows.len();
    }

    /// Rows held: live watches' and retired ones (for tests and soaks).
    pub fn rows_held(&self) -> (usize, usize) {
        (self.rows.len(), self.dead.len())
    }

    /// No event was counted at all (`No events occurred.`).
    pub fn is_empty(&self) -> bool {
        self.counted == 0
    }

    /// Every row (live and retired) in watch-creation order, with the grand totals.
    fn all_rows(&self) -> (Vec<Row>, [u64; 13]) {
        let mut all: Vec<(i32, Row)> = self.rows.iter().map(|(wd, r)| (wd, r.clone())).collect();
        for d in &self.dead {
            let mut counts = [0u64; 13];
            for &(i, c) in d.counts.iter() {
                counts[usize::from(i)] = c;
            }
            all.push((
                d.wd,
                Row {
                    name: d.name.to_vec(),
                    total: d.total,
                    counts,
                },
            ));
        }
        all.sort_by_key(|(wd, _)| *wd);
        let mut grand = [0u64; 13];
        for (_, row) in &all {
            for (g, c) in grand.iter_mut().zip(row.counts.iter()) {
                *g += c;
            }
        }
        (all.into_iter().map(|(_, r)| r).collect(), grand)
    }

    /// The rows to show: a non-zero total (all with `zero`), ordered by `sort` (ties in
    /// watch-creation order).
    fn shown_rows(all: &[Row], zero: bool, sort: Sort) -> Vec<&Row> {
        let mut rows: Vec<&Row> = all.iter().filter(|r| zero || r.total != 0).collect();
        let value = |r: &Row| match sort.key {
            SortKey::Total => r.total,
            SortKey::Column(i) => r.counts.get(i).copied().unwrap_or(0),
        };
        if sort.ascending {
            rows.sort_by_key(|r| value(r));
        } else {
            rows.sort_by_key(|r| std::cmp::Reverse(value(r)));
        }
        rows
    }

    /// Renders the table: columns for events in `mask` that are non-zero (all of them with
    /// `zero`), rows with a non-zero total (all with `zero`), ordered by `sort`.
    pub fn render(&self, mask: u32, zero: bool, sort: Sort, out: &mut Vec<u8>) {
        let (all, grand) = self.all_rows();
        let shown: Vec<usize> = (0..COLUMNS.len())
            .filter(|&i| mask & COLUMNS[i].1 != 0 && (zero || grand[i] != 0))
            .collect();
        out.extend_from_slice(b"total  ");
        for &i in &shown {
            out.extend_from_slice(COLUMNS[i].0.as_bytes());
            out.extend_from_slice(b"  ");
        }
        out.extend_from_slice(b"filename\n");
        for r in Stats::shown_rows(&all, zero, sort) {
            pad(out, r.total, 5);
            for &i in &shown {
                pad(out, r.counts[i], COLUMNS[i].0.len());
            }
            out.extend_from_slice(&r.name);
            out.push(b'\n');
        }
    }

    /// Renders the table as one JSON document on one line (`--json`): the rows the
    /// text table shows, in its order, each with `path`, `total` and a count for every
    /// watched event (zeros included, so every row has the same keys); the grand
    /// `totals`; `lost`, the number of kernel queue overflows (each lost at least one
    /// event the counts miss); the `backend`; and the `time` (RFC 3339, UTC) it was
    /// taken at.
    pub fn render_json(&self, t: &JsonTable, out: &mut Vec<u8>) {
        use crate::json;
        let (all, grand) = self.all_rows();
        let watched: Vec<usize> = (0..COLUMNS.len())
            .filter(|&i| t.mask & COLUMNS[i].1 != 0)
            .collect();
        let counts = |out: &mut Vec<u8>, total: u64, counts: &[u64; 13]| {
            out.extend_from_slice(b"\"total\":");
            json::uint(total, out);
            out.extend_from_slice(b",\"events\":{");
            for (k, &i) in watched.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                out.push(b'"');
                out.extend_from_slice(COLUMNS[i].0.as_bytes());
                out.extend_from_slice(b"\":");
                json::uint(counts[i], out);
            }
            out.push(b'}');
        };
        out.extend_from_slice(b"{\"time\":");
        json::now(out);
        out.extend_from_slice(b",\"backend\":\"");
        out.extend_from_slice(t.backend.as_bytes());
        out.extend_from_slice(b"\",\"rows\":[");
        for (k, r) in Stats::shown_rows(&all, t.zero, t.sort)
            .into_iter()
            .enumerate()
        {
            if k > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"path\":");
            let exact = json::string(&r.name, out);
            out.push(b',');
            counts(out, r.total, &r.counts);
            json::base64_field("path", &r.name, exact, out);
            out.push(b'}');
        }
        out.extend_from_slice(b"],\"totals\":{");
        let total = all.iter().map(|r| r.total).sum();
        counts(out, total, &grand);
        out.extend_from_slice(b"},\"lost\":");
        json::uint(t.lost, out);
        out.extend_from_slice(b"}\n");
    }
}

/// What the JSON table needs besides the counts.
#[derive(Debug, Clone, Copy)]
pub struct JsonTable {
    /// The events watched: each is a key of every row's `events`.
    pub mask: u32,
    pub zero: bool,
    pub sort: Sort,
    /// Kernel queue overflows so far.
    pub lost: u64,
    pub backend: &'static str,
}

/// A number left-justified in `width`, then two spaces (wider numbers push the line).
fn pad(out: &mut Vec<u8>, n: u64, width: usize) {
    let s = n.to_string();
    out.extend_from_slice(s.as_bytes());
    out.extend(std::iter::repeat_n(b' ', width.saturating_sub(s.len()) + 2));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::bits::*;

    fn ev(wd: i32, mask: u32, watch: &'static str) -> Event<'static> {
        Event {
            wd,
            mask,
            cookie: 0,
            watch: watch.as_bytes(),
            name: b"",
            synthetic: false,
        }
    }

    fn table(events: &[Event<'static>], mask: u32, zero: bool, sort: Sort) -> String {
        let mut s = Stats::new();
        for e in events {
            s.record(e);
        }
        let mut out = Vec::new();
        s.render(mask, zero, sort, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn reference_example_layout() {
        let mut evs = Vec::new();
        let add = |evs: &mut Vec<_>, n, m| {
            for _ in 0..n {
                evs.push(ev(1, m, "t/a/"));
            }
        };
        add(&mut evs, 1, ACCESS);
        add(&mut evs, 2, ATTRIB);
        add(&mut evs, 2, CLOSE_WRITE);
        add(&mut evs, 1, CLOSE_NOWRITE);
        add(&mut evs, 3, OPEN);
        add(&mut evs, 1, MOVED_FROM);
        add(&mut evs, 3, CREATE);
        let want = "total  access  modify  attrib  close_write  close_nowrite  open  moved_from  moved_to  create  filename\n\
                    13     1       0       2       2            1              3     1           0         3       t/a/\n";
        // modify and moved_to are all zero: hidden unless -z, which shows every watched one.
        let mut s = Stats::new();
        for e in &evs {
            s.record(e);
        }
        let mut out = Vec::new();
        s.render(ALL_EVENTS, false, Sort::default(), &mut out);
        assert!(
            String::from_utf8(out)
                .unwrap()
                .starts_with("total  access  attrib")
        );
        let mut out = Vec::new();
        s.render(
            ACCESS | MODIFY | ATTRIB | CLOSE | OPEN | MOVE | CREATE,
            true,
            Sort::default(),
            &mut out,
        );
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }

    #[test]
    fn ignored_counts_in_total_only() {
        let evs = [ev(1, IGNORED, "f"), ev(2, MODIFY, "g"), ev(2, IGNORED, "g")];
        let got = table(&evs, MODIFY, false, Sort::default());
        assert_eq!(
            got,
            "total  modify  filename\n2      1       g\n1      0       f\n"
        );
    }

    #[test]
    fn sort_orders_and_ties() {
        let evs = [
            ev(3, CREATE, "t/"),
            ev(1, MODIFY, "t/a/"),
            ev(1, MODIFY, "t/a/"),
            ev(2, CREATE, "t/b/"),
            ev(2, MODIFY, "t/b/"),
        ];
        let cases: &[(Sort, &[&str])] = &[
            (Sort::default(), &["t/a/", "t/b/", "t/"]),
            (
                Sort {
                    key: SortKey::Total,
                    ascending: true,
                },
                &["t/", "t/a/", "t/b/"],
            ),
            (
                Sort {
                    key: SortKey::Column(9),
                    ascending: true,
                },
                &["t/a/", "t/b/", "t/"],
            ),
            (
                Sort {
                    key: SortKey::Column(9),
                    ascending: false,
                },
                &["t/b/", "t/", "t/a/"],
            ),
            (
                Sort {
                    key: SortKey::Column(1),
                    ascending: false,
                },
                &["t/a/", "t/b/", "t/"],
            ),
        ];
        for (sort, want) in cases {
            let got = table(&evs, ALL_EVENTS, false, *sort);
            let names: Vec<&str> = got
                .lines()
                .skip(1)
                .map(|l| l.rsplit("  ").next().unwrap())
                .collect();
            assert_eq!(&names, want, "{sort:?}");
        }
    }

    #[test]
    fn out_of_range_sort_column_keeps_creation_order() {
        // Found by fuzzing: SortKey::Column(80) indexed the 13 counters out of bounds.
        let evs = [
            ev(2, MODIFY, "t/b/"),
            ev(1, CREATE, "t/a/"),
            ev(2, MODIFY, "t/b/"),
        ];
        for ascending in [false, true] {
            let sort = Sort {
                key: SortKey::Column(80),
                ascending,
            };
            let got = table(&evs, ALL_EVENTS, false, sort);
            assert_eq!(
                got,
                "total  modify  create  filename\n1      0       1       t/a/\n2      2       0       t/b/\n"
            );
        }
    }

    #[test]
    fn zero_rows_columns_and_wide_numbers() {
        let mut s = Stats::new();
        s.sync(1, b"t/f", true);
        s.sync(2, b"t/", true);
        s.sync(3, b"gone/", false);
        for _ in 0..123_456 {
            s.record(&ev(2, MODIFY | ISDIR, "t/"));
        }
        let mut out = Vec::new();
        s.render(MODIFY | UNMOUNT, true, Sort::default(), &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "total  modify  unmount  filename\n123456  123456  0        t/\n0      0       0        t/f\n"
        );
        let mut out = Vec::new();
        s.render(MODIFY | UNMOUNT, false, Sort::default(), &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "total  modify  filename\n123456  123456  t/\n"
        );
        assert!(Stats::new().is_empty());
    }

    #[test]
    fn gone_watches_keep_a_small_row_only_when_they_saw_events() {
        let mut s = Stats::new();
        for wd in 1..=1000 {
            s.sync(wd, format!("t/d{wd}/").as_bytes(), true);
            if wd % 2 == 0 {
                s.record(&ev(wd, DELETE_SELF, "t/x/"));
                s.record(&ev(wd, IGNORED, "t/x/"));
            }
        }
        s.sync(2000, b"t/", true);
        s.record(&ev(2000, CREATE, "t/"));
        assert!(s.needs_sweep());
        s.sweep(|wd| wd == 2000);
        assert_eq!(s.rows_held(), (1, 500));
        assert!(!s.needs_sweep());
        let mut out = Vec::new();
        s.render(ALL_EVENTS, false, Sort::default(), &mut out);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 502, "header, 500 gone rows, t/");
        // Ties in wd order, gone rows included; their counts survive the sweep.
        assert_eq!(lines[0], "total  create  delete_self  filename");
        assert_eq!(lines[1], "2      0       1            t/x/");
        assert_eq!(lines[501], "1      1       0            t/");
    }
}
