//! inotifywatch's options: the getopt grammar and the option loop (sort keys are read
//! as they come, as the reference does), producing the raw [`Args`] that
//! `config::watch` checks and types.

use super::{Parsed, WatchSet, complain as err};
use crate::config::watch::{SortArg, sort_key};
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

/// Runs the option loop.
pub fn parse(tool: &str, prog: &[u8], args: &[Vec<u8>]) -> Parsed<Args> {
    let p = getopt::parse(&SPEC, prog, args);
    let mut c = Args::default();
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
                c.sort = sort_key(&val, opt == 'a').map_err(|m| err(&m))?;
                // -d does not mark the key as given: `-d x -a y` is accepted.
                sort_given = opt == 'a';
            }
            _ => {} // every other option is shared (WatchSet::option)
        }
    }
    c.getopt_error = p.error;
    Ok(c)
}
