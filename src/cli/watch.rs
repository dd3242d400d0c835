//! inotifywatch's options: the getopt grammar and the option loop (sort keys are read
//! as they come, as the reference does), producing the raw [`Args`] that
//! `config::watch` checks and types.

use super::{Parsed, WatchSet, complain as err};
use crate::event::{bits, parse_event_list};
use crate::getopt::{self, LongOpt, Spec};

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
    LongOpt::exact("json", false, 'J'),
    LongOpt::exact("ready-fd", true, 'R'),
    LongOpt::exact("retry", false, '5'),
    LongOpt::exact("prune", true, '6'),
    LongOpt::exact("prune-from", true, '7'),
];

pub const SPEC: Spec = Spec {
    short: "hrPa:d:zve:t:IFS",
    long: LONG,
};

/// Everything inotifywatch was asked to do, as given.
#[derive(Debug, Default, Clone)]
pub struct Args {
    pub verbose: u32,
    pub zero: bool,
    /// The last `-a`/`-d`, read.
    pub sort: SortArg,
    pub set: WatchSet,
    /// getopt's complaint, if parsing stopped at a bad option (the checks still run).
    pub getopt_error: Option<Vec<u8>>,
}

/// A sort option as read: the direction and the key's event bit, 0 for `total` (the bit
/// is checked against the mask and the table's columns once every option is read).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SortArg {
    pub ascending: bool,
    pub bit: u32,
}

/// Reads the key of `-a KEY` (`ascending`) or `-d KEY`: `total` or one event; the
/// reference's messages otherwise.
pub fn sort_key(arg: &[u8], ascending: bool) -> Result<SortArg, Vec<u8>> {
    let text = std::str::from_utf8(arg).unwrap_or("");
    if text.eq_ignore_ascii_case("total") {
        return Ok(SortArg { ascending, bit: 0 });
    }
    let Some(mask) = parse_event_list(text).filter(|_| !text.is_empty() || arg.is_empty()) else {
        return Err(super::quoted(arg, "' is not a valid key for sorting!"));
    };
    match mask {
        // A key worth no event at all (`''`, `,`) sorts ascending by total.
        0 => Ok(SortArg {
            ascending: true,
            bit: 0,
        }),
        bits::MOVE => {
            Err(b"Cannot sort by `move' event; please use `moved_from' or `moved_to'.".to_vec())
        }
        bits::CLOSE => Err(
            b"Cannot sort by `close' event; please use `close_write' or `close_nowrite'.".to_vec(),
        ),
        m if m.count_ones() > 1 => Err([
            b"Cannot sort by ".as_slice(),
            &super::quoted(arg, "': give exactly one event name, or `total'."),
        ]
        .concat()),
        m => Ok(SortArg { ascending, bit: m }),
    }
}

/// Runs the option loop.
pub fn parse(tool: &str, prog: &[u8], args: &[Vec<u8>]) -> Parsed<Args> {
    let p = getopt::parse(&SPEC, prog, args);
    let mut c = Args::default();
    c.set.operands = p.operands;
    let mut sort_given = false;
    for (opt, val) in p.opts {
        let val = val.unwrap_or_default();
        if c.set
            .option(opt, val.clone(), tool, include_str!("../help/watch.txt"))?
        {
            continue;
        }
        match opt {
            'v' => c.verbose += 1,
            'z' => c.zero = true,
            'a' | 'd' => {
                if sort_given {
                    return Err(err("Please specify -a or -d once only!"));
                }
                c.sort = sort_key(&val, opt == 'a').map_err(|m| super::fail(&[m]))?;
                // -d does not mark the key as given: `-d x -a y` is accepted.
                sort_given = opt == 'a';
            }
            _ => {} // every other option is shared (WatchSet::option)
        }
    }
    c.getopt_error = p.error;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys() {
        type Want = Result<(bool, u32), &'static str>;
        let cases: &[(&str, bool, Want)] = &[
            ("total", false, Ok((false, 0))),
            ("TOTAL", true, Ok((true, 0))),
            ("", false, Ok((true, 0))),
            (",", false, Ok((true, 0))),
            ("Modify", false, Ok((false, bits::MODIFY))),
            ("move_self", true, Ok((true, bits::MOVE_SELF))),
            ("isdir", true, Ok((true, bits::ISDIR))),
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
                .map(|s| (s.ascending, s.bit))
                .map_err(|e| String::from_utf8(e).unwrap());
            assert_eq!(got, want.map_err(|s| s.to_string()), "{arg}");
        }
        assert!(sort_key(b"\xff", true).is_err());
    }
}
