//! `stats::Stats` under arbitrary sequences of records, syncs, sweeps and renders. Never
//! panics; a model tracks which rows exist (live and retired) and what they counted, and
//! every rendered table is checked against it: one header line, one row per row with a
//! non-zero total (every row with `zero`), totals that add up, rows in sort order.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use rinotify::event::Event;
use rinotify::stats::{COLUMNS, Sort, SortKey, Stats};

#[derive(Arbitrary, Debug)]
enum Key {
    Total,
    Column(u8),
}

#[derive(Arbitrary, Debug)]
enum Op {
    Record {
        wd: i16,
        mask: u32,
        name: u8,
    },
    Sync {
        wd: i16,
        name: u8,
        create: bool,
    },
    /// Far wds (to exercise sparse storage): `wd * 65536 + low`.
    RecordFar {
        wd: i16,
        low: u16,
        mask: u32,
    },
    /// Sweep with the wds whose bit is set in `alive` (by `wd % 64`) alive.
    Sweep {
        alive: u64,
        only_if_needed: bool,
    },
    Render {
        mask: u32,
        zero: bool,
        key: Key,
        ascending: bool,
    },
}

/// Names of the watches: short, newline-free, several sharing a prefix.
fn name(n: u8) -> Vec<u8> {
    format!("w{}/{}", n % 16, "x".repeat(usize::from(n / 16))).into_bytes()
}

#[derive(Clone, Default, Debug)]
struct ModelRow {
    total: u64,
    counts: [u64; 13],
}

#[derive(Default)]
struct Model {
    live: BTreeMap<i32, ModelRow>,
    dead: Vec<ModelRow>,
    counted: u64,
}

impl Model {
    fn record(&mut self, wd: i32, mask: u32) {
        if wd < 0 {
            return;
        }
        let row = self.live.entry(wd).or_default();
        row.total += 1;
        for (i, (_, bit)) in COLUMNS.iter().enumerate() {
            if mask & bit != 0 {
                row.counts[i] += 1;
            }
        }
        self.counted += 1;
    }
}

fn alive_in(alive: u64, wd: i32) -> bool {
    alive & (1 << wd.rem_euclid(64)) != 0
}

fn check_render(stats: &Stats, model: &Model, mask: u32, zero: bool, sort: Sort) {
    let mut out = b"keep".to_vec();
    stats.render(mask, zero, sort, &mut out);
    let table = out.strip_prefix(b"keep").expect("render only appends");
    assert_eq!(table.last(), Some(&b'\n'));
    let text = std::str::from_utf8(table).expect("names are ASCII");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split("  ").collect();
    assert_eq!(header.first(), Some(&"total"));
    assert_eq!(header.last(), Some(&"filename"));
    let shown: Vec<usize> = header[1..header.len() - 1]
        .iter()
        .map(|h| {
            COLUMNS
                .iter()
                .position(|(n, _)| n == h)
                .expect("known column")
        })
        .collect();
    assert!(
        shown.windows(2).all(|w| w[0] < w[1]),
        "columns in fixed order"
    );
    let rows: Vec<&ModelRow> = model
        .live
        .values()
        .chain(&model.dead)
        .filter(|r| zero || r.total != 0)
        .collect();
    let grand = |i: usize| rows.iter().map(|r| r.counts[i]).sum::<u64>();
    for (i, (_, bit)) in COLUMNS.iter().enumerate() {
        let want = mask & bit != 0 && (zero || grand(i) != 0);
        assert_eq!(shown.contains(&i), want, "column {}", COLUMNS[i].0);
    }
    let mut got_rows = 0;
    let mut totals = 0u64;
    let mut prev: Option<u64> = None;
    for line in lines {
        got_rows += 1;
        let nums: Vec<u64> = line
            .split_whitespace()
            .take(1 + shown.len())
            .map(|f| f.parse().expect("number"))
            .collect();
        assert_eq!(nums.len(), 1 + shown.len(), "{line:?}");
        let total = nums[0];
        assert!(
            nums[1..].iter().all(|&c| c <= total),
            "count above total: {line:?}"
        );
        totals += total;
        let value = match sort.key {
            SortKey::Total => Some(total),
            SortKey::Column(i) => shown.iter().position(|&s| s == i).map(|p| nums[1 + p]),
        };
        if let (Some(p), Some(v)) = (prev, value) {
            assert!(if sort.ascending { p <= v } else { p >= v }, "sort order");
        }
        if sort.key == SortKey::Total || value.is_some() {
            prev = value;
        }
    }
    assert_eq!(got_rows, rows.len(), "row count");
    assert_eq!(totals, rows.iter().map(|r| r.total).sum::<u64>(), "totals");
}

fuzz_target!(|ops: Vec<Op>| {
    let mut stats = Stats::new();
    let mut model = Model::default();
    for op in ops.into_iter().take(512) {
        match op {
            Op::Record { wd, mask, name: n } => {
                let wd = i32::from(wd);
                let watch = name(n);
                stats.record(&Event {
                    wd,
                    mask,
                    cookie: 0,
                    watch: &watch,
                    name: b"",
                    synthetic: false,
                });
                model.record(wd, mask);
            }
            Op::RecordFar { wd, low, mask } => {
                let wd = i32::from(wd) * 65536 + i32::from(low);
                stats.record(&Event {
                    wd,
                    mask,
                    cookie: 0,
                    watch: b"far/",
                    name: b"",
                    synthetic: false,
                });
                model.record(wd, mask);
            }
            Op::Sync {
                wd,
                name: n,
                create,
            } => {
                let wd = i32::from(wd);
                stats.sync(wd, &name(n), create);
                if wd >= 0 && create {
                    model.live.entry(wd).or_default();
                }
            }
            Op::Sweep {
                alive,
                only_if_needed,
            } => {
                if only_if_needed && !stats.needs_sweep() {
                    continue;
                }
                stats.sweep(|wd| alive_in(alive, wd));
                let gone: Vec<i32> = model
                    .live
                    .keys()
                    .copied()
                    .filter(|&wd| !alive_in(alive, wd))
                    .collect();
                for wd in gone {
                    if let Some(row) = model.live.remove(&wd)
                        && row.total != 0
                    {
                        model.dead.push(row);
                    }
                }
            }
            Op::Render {
                mask,
                zero,
                key,
                ascending,
            } => {
                let key = match key {
                    Key::Total => SortKey::Total,
                    Key::Column(i) => SortKey::Column(usize::from(i)),
                };
                check_render(&stats, &model, mask, zero, Sort { key, ascending });
            }
        }
        assert_eq!(stats.rows_held(), (model.live.len(), model.dead.len()));
        assert_eq!(stats.is_empty(), model.counted == 0);
    }
});
