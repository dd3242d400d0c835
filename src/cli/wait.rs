//! inotifywait's options: the getopt grammar, the option loop with its immediate aborts,
//! and the post-parse checks in the reference's order, producing a typed [`WaitConfig`].

use super::{Parsed, WatchSet, complain as err};
use crate::getopt::{self, LongOpt, Spec};
use crate::output::eprintln_bytes;

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
];

pub const SPEC: Spec = Spec {
    short: "mrhcdsPqt:fo:e:IFS",
    long: LONG,
};

/// Everything inotifywait was asked to do, validated.
#[derive(Debug, Default, Clone)]
pub struct WaitConfig {
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
}

/// Runs the option loop and post-parse checks; `tool` names the help text, `prog` is
/// argv[0] as invoked (for getopt's messages).
pub fn parse(tool: &str, prog: &[u8], args: &[Vec<u8>]) -> Parsed<WaitConfig> {
    let p = getopt::parse(&SPEC, prog, args);
    let mut c = WaitConfig::default();
    c.set.operands = p.operands;
    for (opt, val) in p.opts {
        let val = val.unwrap_or_default();
        if c.set.option(
            opt,
            val.clone(),
            tool,
            include_str!("../help/wait.txt"),
            prog,
        )? {
            continue;
        }
        match opt {
            'm' => c.monitor = true,
            'q' => c.quiet += 1,
            'f' => {
                err("The '--filename' option no longer exists.  The option it enabled in earlier");
                err("versions of inotifywait is now turned on by default.");
                return Err(1);
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
                    err("Multiple --outfile options given.");
                    return Err(1);
                }
                c.outfile = Some(val);
            }
            '1' => c.format = Some(val),
            '2' => c.no_newline = true,
            '3' => c.timefmt = Some(val),
            _ => {} // every other option is shared (WatchSet::option)
        }
    }
    if let Some(e) = &p.error {
        eprintln_bytes(e);
    }
    if let Some(m) = check(&c) {
        err(m);
        return Err(1);
    }
    if c.set.regex.exclude_count > 1 {
        err("--exclude: only the last option will be taken into consideration.");
    }
    if c.set.regex.excludei_count > 1 {
        err("--excludei: only the last option will be taken into consideration.");
    }
    if p.error.is_some() {
        return Err(1);
    }
    Ok(c)
}

/// The post-parse consistency checks; the first failure wins.
fn check(c: &WaitConfig) -> Option<&'static str> {
    if let Some(m) = c.set.regex.conflict() {
        return Some(m);
    }
    if c.csv && c.format.is_some() {
        return Some("-c and --format cannot both be specified.");
    }
    if c.no_newline && c.format.is_none() {
        return Some("--no-newline cannot be specified without --format.");
    }
    if c.timefmt.is_some() && c.format.is_none() {
        return Some("--timefmt cannot be specified without --format.");
    }
    if let Some(f) = &c.format
        && c.timefmt.is_none()
        && f.windows(2).any(|w| w == b"%T")
    {
        return Some("%T is in --format string, but --timefmt was not specified.");
    }
    if c.daemon && c.outfile.is_none() {
        return Some("-o must be specified with -d.");
    }
    None
}
