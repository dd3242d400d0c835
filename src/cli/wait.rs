//! inotifywait's options: the getopt grammar and the option loop with its immediate
//! aborts, producing the raw [`Args`] that `config::wait` checks and types.

use super::{Parsed, WatchSet, complain as err};
use crate::getopt::{self, LongOpt, Spec};

/// Long options in the reference's table order (glibc lists ambiguities in this order).
const LONG: &[LongOpt] = &[
    LongOpt::new("help", false, 'h'),
    LongOpt::new("event", true, 'e'),
    LongOpt::new("monitor", false, 'm'),
    LongOpt::new("quiet", false, 'q'),
    LongOpt::new("timeout", true, 't'),
    LongOpt::new("filename", false, 'f'),
    LongOpt::new("recursive", false, 'r'),
    LongOpt::new("inotify", false, 'I'),
    LongOpt::new("fanotify", false, 'F'),
    LongOpt::new("filesystem", false, 'S'),
    LongOpt::new("csv", false, 'c'),
    LongOpt::new("daemon", false, 'd'),
    LongOpt::new("syslog", false, 's'),
    LongOpt::new("no-dereference", false, 'P'),
    LongOpt::new("outfile", true, 'o'),
    LongOpt::new("format", true, '1'),
    LongOpt::new("no-newline", false, '2'),
    LongOpt::new("timefmt", true, '3'),
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
    short: "mrhcdsPqt:fo:e:IFS",
    long: LONG,
};

/// Everything inotifywait was asked to do, as given.
#[derive(Debug, Default, Clone)]
pub struct Args {
    pub monitor: bool,
    pub daemon: bool,
    pub syslog: bool,
    pub quiet: u32,
    pub csv: bool,
    pub format: Option<Vec<u8>>,
    pub no_newline: bool,
    pub timefmt: Option<Vec<u8>>,
    pub outfile: Option<Vec<u8>>,
    pub set: WatchSet,
    /// getopt's complaint, if parsing stopped at a bad option (the checks still run).
    pub getopt_error: Option<Vec<u8>>,
}

/// Runs the option loop; `tool` names the help text, `prog` is argv[0] as invoked (for
/// getopt's messages).
pub fn parse(tool: &str, prog: &[u8], args: &[Vec<u8>]) -> Parsed<Args> {
    let p = getopt::parse(&SPEC, prog, args);
    let mut c = Args::default();
    c.set.operands = p.operands;
    for (opt, val) in p.opts {
        let val = val.unwrap_or_default();
        if c.set
            .option(opt, val.clone(), tool, include_str!("../help/wait.txt"))?
        {
            continue;
        }
        match opt {
            'm' => c.monitor = true,
            'q' => c.quiet += 1,
            'f' => {
                return Err(super::fail(&[
                    b"The '--filename' option no longer exists.  The option it enabled in earlier"
                        .to_vec(),
                    b"versions of inotifywait is now turned on by default.".to_vec(),
                ]));
            }
            'c' => c.csv = true,
            'd' => {
                c.daemon = true;
                c.monitor = true;
                c.syslog = true;
            }
            's' => c.syslog = true,
            'o' => {
                if c.outfile.is_some() {
                    return Err(err("Multiple --outfile options given."));
                }
                c.outfile = Some(val);
            }
            '1' => c.format = Some(val),
            '2' => c.no_newline = true,
            '3' => c.timefmt = Some(val),
            _ => {} // every other option is shared (WatchSet::option)
        }
    }
    c.getopt_error = p.error;
    Ok(c)
}
