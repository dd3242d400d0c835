//! Command-line pieces shared by both applets: the option loop's shared options with
//! their immediate aborts, `-t` as strtol reads it, `-e` lists, the raw regex options, and
//! the help text named after the tool. Strings in, plain values out: the checks between
//! options and everything typed live in `config`.

pub mod doc;
pub mod wait;
pub mod watch;

use crate::error::Error;
use crate::event;
use crate::output::strerror;
use nix::errno::Errno;

/// What an applet's option parsing decided: go on, or stop now with this error.
pub type Parsed<T> = Result<T, Error>;

/// The options both applets share: what to watch and which events.
#[derive(Debug, Default, Clone)]
pub struct WatchSet {
    /// Bits from `-e`; 0 means all events.
    pub events: u32,
    pub timeout: i64,
    pub recursive: bool,
    pub no_deref: bool,
    /// `--no-dir-scan`: do not report what a new directory already holds.
    pub no_dir_scan: bool,
    pub regex: RegexOpts,
    pub fromfile: Option<Vec<u8>>,
    pub operands: Vec<Vec<u8>>,
    /// `-I` (false) or `-F`/`-S` (true), the last one given; None: the name decides.
    pub fanotify: Option<bool>,
    /// `-S` was given (kept by a later `-I`, as upstream does: its banner stays).
    pub filesystem: bool,
    /// `--json`: events (inotifywait) or the table (inotifywatch) as JSON.
    pub json: bool,
    /// `--ready-fd N`: where to say that every watch exists.
    pub ready_fd: Option<i32>,
    /// `--retry`: wait for paths that do not exist yet, watch roots again that come back.
    pub retry: bool,
    /// `--prune GLOB` and `--prune-from FILE`, in the order given (a later `!pattern`
    /// re-includes what an earlier one pruned).
    pub prune: Vec<PruneArg>,
}

/// One `--prune` or `--prune-from`, as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PruneArg {
    Glob(Vec<u8>),
    File(Vec<u8>),
}

impl WatchSet {
    /// The events asked for (all twelve when `-e` was not given or worth nothing).
    pub fn mask(&self) -> u32 {
        if self.events == 0 {
            event::bits::ALL_EVENTS
        } else {
            self.events
        }
    }

    /// Handles one shared option as the reference's option loop does. `Ok(false)` means
    /// the option is the applet's own; `Err` means stop now (help, version, bad value).
    pub fn option(&mut self, opt: char, val: Vec<u8>, tool: &str, help: &str) -> Parsed<bool> {
        match opt {
            'h' => return Err(Error::Help(help_text(help, tool))),
            'V' => {
                return Err(Error::Version(format!(
                    "{tool} {}\n",
                    env!("CARGO_PKG_VERSION")
                )));
            }
            'e' => match parse_events(&val) {
                Ok(bits) => self.events |= bits,
                Err(m) => return Err(fail(&[m])),
            },
            't' => match parse_timeout(&val) {
                Ok(t) => self.timeout = t,
                Err(lines) => return Err(fail(&lines)),
            },
            'r' => self.recursive = true,
            'P' => self.no_deref = true,
            'I' => self.fanotify = Some(false),
            'F' => self.fanotify = Some(true),
            'S' => {
                self.fanotify = Some(true);
                self.filesystem = true;
            }
            'N' => self.no_dir_scan = true,
            'J' => self.json = true,
            '5' => self.retry = true,
            '6' => self.prune.push(PruneArg::Glob(val)),
            '7' => self.prune.push(PruneArg::File(val)),
            'R' => match parse_fd(&val) {
                Some(fd) => self.ready_fd = Some(fd),
                None => {
                    return Err(fail(&[quoted(
                        &val,
                        "' is not a file descriptor number (--ready-fd).",
                    )]));
                }
            },
            '4' => {
                if self.fromfile.is_some() {
                    return Err(complain("Multiple --fromfile options given."));
                }
                self.fromfile = Some(val);
            }
            'x' | 'X' | 'i' | 'j' => self.regex.set(opt, val),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// `--ready-fd`'s value: a decimal fd number, nothing else.
fn parse_fd(val: &[u8]) -> Option<i32> {
    if val.is_empty() || !val.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(val).ok()?.parse().ok()
}

/// A usage error of these lines.
pub fn fail(lines: &[Vec<u8>]) -> Error {
    Error::Usage(lines.to_vec())
}

/// `'<arg><rest>`: a value echoed byte for byte (not UTF-8 is fine), as printf's `%s`.
pub fn quoted(arg: &[u8], rest: &str) -> Vec<u8> {
    [b"'".as_slice(), arg, rest.as_bytes()].concat()
}

/// A usage error of one line.
pub fn complain(line: &str) -> Error {
    Error::Usage(vec![line.as_bytes().to_vec()])
}

/// `-t` as `strtol(arg, &end, 10)` with inotify-tools' checks, or the message lines.
pub fn parse_timeout(arg: &[u8]) -> Result<i64, Vec<Vec<u8>>> {
    let hint = b"Please specify a long int value.".to_vec();
    if arg.is_empty() {
        return Err(vec![
            b"The provided value is not a valid timeout value.".to_vec(),
            hint,
        ]);
    }
    let mut i = 0;
    while i < arg.len() && matches!(arg[i], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        i += 1;
    }
    let neg = match arg.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits_start = i;
    let mut value: i128 = 0;
    let mut overflow = false;
    while i < arg.len() && arg[i].is_ascii_digit() {
        value = value * 10 + i128::from(arg[i] - b'0');
        if value > i128::from(i64::MAX) + 1 {
            overflow = true;
            value = i128::from(i64::MAX) + 1;
        }
        i += 1;
    }
    let invalid = vec![quoted(arg, "' is not a valid timeout value."), hint];
    if i == digits_start {
        return Err(invalid);
    }
    let value = if neg { -value } else { value };
    if overflow || value > i128::from(i64::MAX) || value < i128::from(i64::MIN) {
        return Err(vec![
            b"Something went wrong with the timeout value you provided.".to_vec(),
            strerror(Errno::ERANGE).into_bytes(),
        ]);
    }
    if i != arg.len() {
        return Err(invalid);
    }
    Ok(value as i64)
}

/// `-e LIST`: the bits, or the reference's complaint.
pub fn parse_events(arg: &[u8]) -> Result<u32, Vec<u8>> {
    let text = std::str::from_utf8(arg).ok();
    text.and_then(event::parse_event_list).ok_or_else(|| {
        quoted(
            arg,
            "' is not a valid event!  Run with the '--help' option to see a list of events.",
        )
    })
}

/// The four regex options; each kind keeps its last pattern and how often it was given.
#[derive(Debug, Default, Clone)]
pub struct RegexOpts {
    pub exclude: Option<Vec<u8>>,
    pub excludei: Option<Vec<u8>>,
    pub include: Option<Vec<u8>>,
    pub includei: Option<Vec<u8>>,
    pub exclude_count: u32,
    pub excludei_count: u32,
}

impl RegexOpts {
    /// Records one of `--exclude`, `--excludei`, `--include`, `--includei`.
    pub fn set(&mut self, which: char, v: Vec<u8>) {
        match which {
            'x' => {
                self.exclude = Some(v);
                self.exclude_count += 1;
            }
            'X' => {
                self.excludei = Some(v);
                self.excludei_count += 1;
            }
            'i' => self.include = Some(v),
            _ => self.includei = Some(v),
        }
    }

    /// The reference's combination checks, in its order.
    pub fn conflict(&self) -> Option<&'static str> {
        if self.exclude.is_some() && self.excludei.is_some() {
            return Some("--exclude and --excludei cannot both be specified.");
        }
        if self.include.is_some() && self.includei.is_some() {
            return Some("--include and --includei cannot both be specified.");
        }
        let inc = self.include.is_some() || self.includei.is_some();
        let exc = self.exclude.is_some() || self.excludei.is_some();
        if inc && exc {
            return Some("include and exclude regexp cannot both be specified.");
        }
        None
    }
}

/// The help text of an applet, first line `<tool> <rinotify version>`.
pub fn help_text(template: &str, tool: &str) -> String {
    format!(
        "{tool} {}\n{}",
        env!("CARGO_PKG_VERSION"),
        template.replace("{tool}", tool)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        let ok: &[(&str, i64)] = &[
            ("5", 5),
            (" 5", 5),
            ("+3", 3),
            ("\t1", 1),
            ("00", 0),
            ("-1", -1),
            ("9223372036854775807", i64::MAX),
            ("-9223372036854775808", i64::MIN),
        ];
        for &(s, v) in ok {
            assert_eq!(parse_timeout(s.as_bytes()), Ok(v), "{s:?}");
        }
        let bad: &[(&str, &str)] = &[
            ("", "The provided value is not a valid timeout value."),
            ("5 ", "'5 ' is not a valid timeout value."),
            ("-", "'-' is not a valid timeout value."),
            ("  ", "'  ' is not a valid timeout value."),
            ("1.5", "'1.5' is not a valid timeout value."),
            ("0x10", "'0x10' is not a valid timeout value."),
            (
                "99999999999999999999x",
                "Something went wrong with the timeout value you provided.",
            ),
            (
                "9223372036854775808",
                "Something went wrong with the timeout value you provided.",
            ),
        ];
        for &(s, first) in bad {
            let e = parse_timeout(s.as_bytes()).unwrap_err();
            assert_eq!(e[0], first.as_bytes(), "{s:?}");
        }
        assert_eq!(
            parse_timeout(b"99999999999999999999").unwrap_err()[1],
            b"Numerical result out of range"
        );
    }

    #[test]
    fn values_are_echoed_byte_for_byte() {
        assert_eq!(
            parse_timeout(b"\xff\xfe%e\x80").unwrap_err()[0],
            b"'\xff\xfe%e\x80' is not a valid timeout value."
        );
        assert_eq!(
            parse_events(b"a\xff").unwrap_err(),
            b"'a\xff' is not a valid event!  Run with the '--help' option to see a list of events."
        );
    }
}
