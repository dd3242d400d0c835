//! inotifywatch's options: the getopt grammar, the option loop (sort keys checked as they
//! come), and the post-parse checks, producing a typed [`WatchConfig`].

use super::{Parsed, WatchSet, complain as err};
use crate::event::{bits, parse_event_list};
use crate::getopt::{self, LongOpt, Spec};
use crate::output::eprintln_bytes;
use crate::stats::{COLUMNS, Sort, SortKey};

/// Long options in the reference's table order (glibc lists ambiguities in this order).
const LONG: &[LongOpt] = &[
    LongOpt::new("help", false, 'h'),
    LongOpt::new("event", true, 'e'),
    LongOpt::new("timeout", true, 't'),
    LongOpt::new("verbose", false, 'v'),
    LongOpt::new("zero", false, 'z'),
    LongOpt::new("ascending", true, 'a'),
    LongOpt::new("descending", true, 'd'),
    LongOpt::new("recursive", false, 'r'),
    LongOpt::new("inotify", false, 'I'),
    LongOpt::new("fanotify", false, 'F'),
    LongOpt::new("filesystem", false, 'S'),
    LongOpt::new("no-dereference", false, 'P'),
    LongOpt::new("fromfile", true, '4'),
    LongOpt::new("exclude", true, 'x'),
    LongOpt::new("excludei", true, 'X'),
    LongOpt::new("include", true, 'i'),
    LongOpt::new("includei", true, 'j'),
    LongOpt::exact("version", false, 'V'),
    LongOpt::exact("no-dir-scan", false, 'N'),
];

pub const SPEC: Spec = Spec {
    short: "hrPa:d:zve:t:IFS",
    long: LONG,
};

/// Everything inotifywatch was asked to do, validated.
#[derive(Debug, Default, Clone)]
pub struct WatchConfig {
    pub verbose: u32,
    pub zero: bool,
    pub sort: Sort,
    /// The sort key's bit when it names an event (checked against the mask after parsing).
    sort_bit: u32,
    pub set: WatchSet,
}

/// Reads a sort key: `total` or one event; the reference's messages otherwise.
fn sort_key(arg: &[u8]) -> Result<(SortKey, u32), String> {
    let text = std::str::from_utf8(arg).unwrap_or("");
    if text.eq_ignore_ascii_case("total") {
        return Ok((SortKey::Total, 0));
    }
    let Some(mask) = parse_event_list(text).filter(|_| !text.is_empty() || arg.is_empty()) else {
        return Err(format!(
            "'{}' is not a valid key for sorting!",
            String::from_utf8_lossy(arg)
        ));
    };
    match mask {
        // An empty key: the reference sorts ascending by total.
        0 => Ok((SortKey::Total, 0)),
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
            Some(i) => Ok((SortKey::Column(i), m)),
            // isdir, oneshot, ignored, q_overflow: never a column.
            None => Ok((SortKey::Column(usize::MAX), m)),
        },
    }
}

/// Runs the option loop and post-parse checks.
pub fn parse(tool: &str, prog: &[u8], args: &[Vec<u8>]) -> Parsed<WatchConfig> {
    let p = getopt::parse(&SPEC, prog, args);
    let mut c = WatchConfig::default();
    c.set.operands = p.operands;
    let mut sort_given = false;
    for (opt, val) in p.opts {
        let val = val.unwrap_or_default();
        if c.set.option(
            opt,
            val.clone(),
            tool,
            include_str!("../help/watch.txt"),
            prog,
        )? {
            continue;
        }
        match opt {
            'v' => c.verbose += 1,
            'z' => c.zero = true,
            'a' | 'd' => {
                if sort_given {
                    return Err(err("Please specify -a or -d once only!"));
                }
                let (key, bit) = match sort_key(&val) {
                    Ok(k) => k,
                    Err(m) => return Err(err(&m)),
                };
                // -d does not mark the key as given: `-d x -a y` is accepted.
                sort_given = opt == 'a';
                // A key worth no event at all (`''`, `,`) sorts ascending by total.
                let empty = key == SortKey::Total && !val.eq_ignore_ascii_case(b"total");
                c.sort = Sort {
                    key,
                    ascending: opt == 'a' || empty,
                };
                c.sort_bit = bit;
            }
            _ => {} // every other option is shared (WatchSet::option)
        }
    }
    if let Some(e) = &p.error {
        eprintln_bytes(e);
    }
    if let Some(m) = c.set.regex.conflict() {
        return Err(err(m));
    }
    let mask = c.set.mask();
    if c.sort_bit != 0 && (mask & c.sort_bit == 0 || c.sort.key == SortKey::Column(usize::MAX)) {
        return Err(err("Can't sort by an event which isn't being watched for!"));
    }
    if p.error.is_some() {
        return Err(1);
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys() {
        type Want = Result<(SortKey, u32), &'static str>;
        let cases: &[(&str, Want)] = &[
            ("total", Ok((SortKey::Total, 0))),
            ("TOTAL", Ok((SortKey::Total, 0))),
            ("", Ok((SortKey::Total, 0))),
            ("Modify", Ok((SortKey::Column(1), bits::MODIFY))),
            ("move_self", Ok((SortKey::Column(8), bits::MOVE_SELF))),
            (
                "move",
                Err("Cannot sort by `move' event; please use `moved_from' or `moved_to'."),
            ),
            (
                "moved_from,moved_to",
                Err("Cannot sort by `move' event; please use `moved_from' or `moved_to'."),
            ),
            (
                "close",
                Err("Cannot sort by `close' event; please use `close_write' or `close_nowrite'."),
            ),
            ("foo", Err("'foo' is not a valid key for sorting!")),
            (
                "access,modify",
                Err("Cannot sort by 'access,modify': give exactly one event name, or `total'."),
            ),
        ];
        for (arg, want) in cases {
            let got = sort_key(arg.as_bytes());
            match want {
                Ok(k) => assert_eq!(got, Ok(*k), "{arg}"),
                Err(m) => assert_eq!(got, Err(m.to_string()), "{arg}"),
            }
        }
        assert_eq!(
            sort_key(b"isdir"),
            Ok((SortKey::Column(usize::MAX), bits::ISDIR))
        );
    }
}
