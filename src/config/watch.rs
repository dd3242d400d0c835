//! inotifywatch's configuration: sort keys, the post-parse checks in the reference's
//! order, then the typed plan (filter, paths) the driver wires up.

use crate::cli::watch::Args;
use crate::error::Error;
use crate::event::{bits, parse_event_list};
use crate::stats::{COLUMNS, Sort, SortKey};
use crate::watcher::Filter;

use super::{Common, PathList};

/// A sort option as read: the sort, and the key's event bit when it names an event (the
/// bit is checked against the mask once every option is read).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SortArg {
    pub sort: Sort,
    pub bit: u32,
}

/// Reads the key of `-a KEY` (`ascending`) or `-d KEY`: `total` or one event; the
/// reference's messages otherwise.
pub fn sort_key(arg: &[u8], ascending: bool) -> Result<SortArg, String> {
    let text = std::str::from_utf8(arg).unwrap_or("");
    let column = |key: SortKey, bit: u32| SortArg {
        sort: Sort { key, ascending },
        bit,
    };
    if text.eq_ignore_ascii_case("total") {
        return Ok(column(SortKey::Total, 0));
    }
    let Some(mask) = parse_event_list(text).filter(|_| !text.is_empty() || arg.is_empty()) else {
        return Err(format!(
            "'{}' is not a valid key for sorting!",
            String::from_utf8_lossy(arg)
        ));
    };
    match mask {
        // A key worth no event at all (`''`, `,`) sorts ascending by total.
        0 => Ok(SortArg {
            sort: Sort {
                key: SortKey::Total,
                ascending: true,
            },
            bit: 0,
        }),
        bits::MOVE => {
            Err("Cannot sort by `move' event; please use `moved_from' or `moved_to'.".into())
        }
        bits::CLOSE => {
            Err("Cannot sort by `close' event; please use `close_write' or `close_nowrite'.".into())
        }
        m if m.count_ones() > 1 => Err(format!(
            "Cannot sort by '{}': give exactly one event name, or `total'.",
            String::from_utf8_lossy(arg)
        )),
        m => match COLUMNS.iter().position(|&(_, b)| b == m) {
            Some(i) => Ok(column(SortKey::Column(i), m)),
            // isdir, oneshot, ignored, q_overflow: never a column.
            None => Ok(column(SortKey::Column(usize::MAX), m)),
        },
    }
}

/// inotifywatch's checked configuration.
#[derive(Debug, Clone, Default)]
pub struct Watch {
    pub verbose: u32,
    pub zero: bool,
    pub sort: Sort,
    pub common: Common,
}

/// What the driver needs beyond the configuration.
#[derive(Debug)]
pub struct Plan {
    pub filter: Option<Filter>,
    pub paths: PathList,
    /// An unreadable `--fromfile`'s line, printed before the watches are set up.
    pub warnings: Vec<Vec<u8>>,
}

impl Watch {
    /// The post-parse checks, in the reference's order (getopt's complaint first).
    pub fn from_args(a: Args) -> Result<Watch, Error> {
        let mut lines: Vec<Vec<u8>> = a.getopt_error.clone().into_iter().collect();
        if let Some(m) = a.set.regex.conflict() {
            lines.push(m.as_bytes().to_vec());
            return Err(Error::Usage(lines));
        }
        let common = Common::from_args(a.set);
        let bit = a.sort.bit;
        if bit != 0 && (common.mask & bit == 0 || a.sort.sort.key == SortKey::Column(usize::MAX)) {
            lines.push(b"Can't sort by an event which isn't being watched for!".to_vec());
            return Err(Error::Usage(lines));
        }
        if !lines.is_empty() {
            return Err(Error::Usage(lines));
        }
        Ok(Watch {
            verbose: a.verbose,
            zero: a.zero,
            sort: a.sort.sort,
            common,
        })
    }

    /// The filter (checked before `inotify_init`, as the reference does).
    pub fn filter(&self) -> Result<Option<Filter>, Error> {
        self.common.filter()
    }

    /// The paths (checked after `inotify_init`).
    pub fn paths(&self) -> Result<(PathList, Vec<Vec<u8>>), Error> {
        let mut warnings = Vec::new();
        match self.common.paths(&mut warnings) {
            Ok(p) => Ok((p, warnings)),
            Err(e) => {
                warnings.extend(e.lines());
                Err(Error::Usage(warnings))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys() {
        type Want = Result<(SortKey, bool, u32), &'static str>;
        let cases: &[(&str, bool, Want)] = &[
            ("total", false, Ok((SortKey::Total, false, 0))),
            ("TOTAL", true, Ok((SortKey::Total, true, 0))),
            ("", false, Ok((SortKey::Total, true, 0))),
            (",", false, Ok((SortKey::Total, true, 0))),
            (
                "Modify",
                false,
                Ok((SortKey::Column(1), false, bits::MODIFY)),
            ),
            (
                "move_self",
                true,
                Ok((SortKey::Column(8), true, bits::MOVE_SELF)),
            ),
            (
                "isdir",
                true,
                Ok((SortKey::Column(usize::MAX), true, bits::ISDIR)),
            ),
            (
                "move",
                true,
                Err("Cannot sort by `move' event; please use `moved_from' or `moved_to'."),
            ),
            (
                "moved_from,moved_to",
                true,
                Err("Cannot sort by `move' event; please use `moved_from' or `moved_to'."),
            ),
            (
                "close",
                false,
                Err("Cannot sort by `close' event; please use `close_write' or `close_nowrite'."),
            ),
            ("foo", true, Err("'foo' is not a valid key for sorting!")),
            (
                "access,modify",
                true,
                Err("Cannot sort by 'access,modify': give exactly one event name, or `total'."),
            ),
        ];
        for (arg, asc, want) in cases {
            let got = sort_key(arg.as_bytes(), *asc)
                .map(|s| (s.sort.key, s.sort.ascending, s.bit))
                .map_err(|e| e.to_string());
            assert_eq!(got, want.map_err(|s| s.to_string()), "{arg}");
        }
        assert!(sort_key(b"\xff", true).is_err());
    }
}
