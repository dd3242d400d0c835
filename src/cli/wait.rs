//! inotifywait's options: the getopt grammar, the option loop with its immediate aborts,
//! and the post-parse checks in the reference's order, producing a typed [`WaitConfig`].

use super::{Parsed, RegexOpts, help_text, parse_events, parse_timeout};
use crate::getopt::{self, LongOpt, Spec};
use crate::output::{eprintln_bytes, write_all};

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
    pub recursive: bool,
    pub no_deref: bool,
    pub quiet: u32,
    pub csv: bool,
    pub format: Option<Vec<u8>>,
    pub no_newline: bool,
    pub timefmt: Option<Vec<u8>>,
    pub timeout: i64,
    /// Bits from `-e`; 0 means all events.
    pub events: u32,
    pub regex: RegexOpts,
    pub fromfile: Option<Vec<u8>>,
    pub outfile: Option<Vec<u8>>,
    pub operands: Vec<Vec<u8>>,
    /// `--no-dir-scan`: do not report what a new directory already holds.
    pub no_dir_scan: bool,
}

fn err(line: &str) {
    eprintln_bytes(line.as_bytes());
}

/// Runs the option loop and post-parse checks; `tool` names the help text, `prog` is
/// argv[0] as invoked (for getopt's messages).
pub fn parse(tool: &str, prog: &[u8], args: &[Vec<u8>]) -> Parsed<WaitConfig> {
    let p = getopt::parse(&SPEC, prog, args);
    let mut c = WaitConfig {
        operands: p.operands,
        ..WaitConfig::default()
    };
    for (opt, val) in p.opts {
        let val = val.unwrap_or_default();
        match opt {
            'h' => {
                let _ = write_all(
                    1,
                    help_text(include_str!("../help/wait.txt"), tool).as_bytes(),
                );
                return Err(1);
            }
            'V' => {
                let _ = write_all(
                    1,
                    format!("{tool} {}\n", env!("CARGO_PKG_VERSION")).as_bytes(),
                );
                return Err(0);
            }
            'e' => match parse_events(&val) {
                Ok(bits) => c.events |= bits,
                Err(m) => {
                    err(&m);
                    return Err(1);
                }
            },
            'm' => c.monitor = true,
            'q' => c.quiet += 1,
            't' => match parse_timeout(&val) {
                Ok(t) => c.timeout = t,
                Err(lines) => {
                    for l in lines {
                        err(&l);
                    }
                    return Err(1);
                }
            },
            'f' => {
                err("The '--filename' option no longer exists.  The option it enabled in earlier");
                err("versions of inotifywait is now turned on by default.");
                return Err(1);
            }
            'r' => c.recursive = true,
            'I' => {}
            'N' => c.no_dir_scan = true,
            'F' | 'S' => {
                let mut m = prog.to_vec();
                m.extend_from_slice(
                    b": fanotify (-F/--fanotify, -S/--filesystem) is not supported yet",
                );
                eprintln_bytes(&m);
                return Err(1);
            }
            'c' => c.csv = true,
            'd' => {
                c.daemon = true;
                c.monitor = true;
                c.syslog = true;
            }
            's' => c.syslog = true,
            'P' => c.no_deref = true,
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
            '4' => {
                if c.fromfile.is_some() {
                    err("Multiple --fromfile options given.");
                    return Err(1);
                }
                c.fromfile = Some(val);
            }
            other => c.regex.set(other, val),
        }
    }
    if let Some(e) = &p.error {
        eprintln_bytes(e);
    }
    if let Some(m) = check(&c) {
        err(m);
        return Err(1);
    }
    if c.regex.exclude_count > 1 {
        err("--exclude: only the last option will be taken into consideration.");
    }
    if c.regex.excludei_count > 1 {
        err("--excludei: only the last option will be taken into consideration.");
    }
    if p.error.is_some() {
        return Err(1);
    }
    Ok(c)
}

/// The post-parse consistency checks; the first failure wins.
fn check(c: &WaitConfig) -> Option<&'static str> {
    if let Some(m) = c.regex.conflict() {
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
