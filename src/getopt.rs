//! GNU `getopt_long` semantics as a pure function: permutation, `--`, clustering,
//! unambiguous long prefixes, `--opt=value`, and glibc's own diagnostics, byte for byte.
//!
//! clap cannot reproduce these messages nor getopt's "stop at the first bad option" rule,
//! so the applets parse their options here; clap only dispatches `rinotify wait|watch`.

/// One long option: its name, whether it takes an argument, and the id it reports.
#[derive(Debug, Clone, Copy)]
pub struct LongOpt {
    pub name: &'static str,
    pub has_arg: bool,
    pub id: char,
    /// Matched only when spelled out in full (our additions, so that they never make a
    /// prefix that the reference accepts ambiguous).
    pub exact_only: bool,
}

impl LongOpt {
    pub const fn new(name: &'static str, has_arg: bool, id: char) -> LongOpt {
        LongOpt {
            name,
            has_arg,
            id,
            exact_only: false,
        }
    }

    pub const fn exact(name: &'static str, has_arg: bool, id: char) -> LongOpt {
        LongOpt {
            name,
            has_arg,
            id,
            exact_only: true,
        }
    }
}

/// A program's option grammar: the getopt short string (`"t:"` = `-t` takes an argument) and
/// its long options in table order (the order glibc lists ambiguous candidates in).
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub short: &'static str,
    pub long: &'static [LongOpt],
}

/// The outcome of a parse: options in command-line order, operands in order, and the first
/// getopt diagnostic (parsing stops there, as the reference's option loop does).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub opts: Vec<(char, Option<Vec<u8>>)>,
    pub operands: Vec<Vec<u8>>,
    pub error: Option<Vec<u8>>,
}

impl Spec {
    fn short_takes_arg(&self, c: u8) -> Option<bool> {
        if c == b':' {
            return None;
        }
        let s = self.short.as_bytes();
        let pos = s.iter().position(|&x| x == c)?;
        Some(s.get(pos + 1) == Some(&b':'))
    }
}

fn msg(prog: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = prog.to_vec();
    m.extend_from_slice(b": ");
    for p in parts {
        m.extend_from_slice(p);
    }
    m
}

/// Parses `args` (without argv[0]); `prog` is argv[0] as invoked, used in diagnostics.
/// With `POSIXLY_CORRECT` in the environment, options end at the first operand, as
/// glibc's getopt does.
pub fn parse(spec: &Spec, prog: &[u8], args: &[Vec<u8>]) -> Parsed {
    parse_with(
        spec,
        prog,
        args,
        std::env::var_os("POSIXLY_CORRECT").is_some(),
    )
}

/// [`parse`], with the POSIX rule (stop at the first operand) given explicitly.
pub fn parse_with(spec: &Spec, prog: &[u8], args: &[Vec<u8>], posix: bool) -> Parsed {
    let mut out = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg.as_slice() == b"--" {
            out.operands.extend(args[i..].iter().cloned());
            break;
        }
        if arg.len() < 2 || arg[0] != b'-' {
            if posix {
                out.operands.extend(args[i - 1..].iter().cloned());
                break;
            }
            out.operands.push(arg.clone());
            continue;
        }
        if let Some(body) = arg.strip_prefix(b"--") {
            let (name, value) = match body.iter().position(|&b| b == b'=') {
                Some(p) => (&body[..p], Some(body[p + 1..].to_vec())),
                None => (body, None),
            };
            let exact = spec.long.iter().find(|o| o.name.as_bytes() == name);
            let found = match exact {
                Some(o) => *o,
                None => {
                    let cands: Vec<&LongOpt> = spec
                        .long
                        .iter()
                        .filter(|o| !o.exact_only && o.name.as_bytes().starts_with(name))
                        .collect();
                    match cands.as_slice() {
                        [] => {
                            out.error = Some(msg(prog, &[b"unrecognized option '", arg, b"'"]));
                            return out;
                        }
                        [one] => **one,
                        many => {
                            let mut m =
                                msg(prog, &[b"option '", arg, b"' is ambiguous; possibilities:"]);
                            for o in many {
                                m.extend_from_slice(b" '--");
                                m.extend_from_slice(o.name.as_bytes());
                                m.push(b'\'');
                            }
                            out.error = Some(m);
                            return out;
                        }
                    }
                }
            };
            let full = format!("--{}", found.name);
            if found.has_arg {
                let v = match value {
                    Some(v) => v,
                    None if i < args.len() => {
                        i += 1;
                        args[i - 1].clone()
                    }
                    None => {
                        out.error = Some(msg(
                            prog,
                            &[b"option '", full.as_bytes(), b"' requires an argument"],
                        ));
                        return out;
                    }
                };
                out.opts.push((found.id, Some(v)));
            } else if value.is_some() {
                out.error = Some(msg(
                    prog,
                    &[b"option '", full.as_bytes(), b"' doesn't allow an argument"],
                ));
                return out;
            } else {
                out.opts.push((found.id, None));
            }
            continue;
        }
        // A cluster of short options.
        let mut j = 1;
        while j < arg.len() {
            let c = arg[j];
            j += 1;
            match spec.short_takes_arg(c) {
                None => {
                    out.error = Some(msg(prog, &[b"invalid option -- '", &[c], b"'"]));
                    return out;
                }
                Some(false) => out.opts.push((char::from(c), None)),
                Some(true) => {
                    let v = if j < arg.len() {
                        arg[j..].to_vec()
                    } else if i < args.len() {
                        i += 1;
                        args[i - 1].clone()
                    } else {
                        out.error = Some(msg(
                            prog,
                            &[b"option requires an argument -- '", &[c], b"'"],
                        ));
                        return out;
                    };
                    out.opts.push((char::from(c), Some(v)));
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: &[LongOpt] = &[
        LongOpt::new("help", false, 'h'),
        LongOpt::new("event", true, 'e'),
        LongOpt::new("monitor", false, 'm'),
        LongOpt::new("timeout", true, 't'),
        LongOpt::new("timefmt", true, 'T'),
        LongOpt::new("exclude", true, 'x'),
        LongOpt::new("excludei", true, 'X'),
        LongOpt::exact("version", false, 'V'),
    ];
    const SPEC: Spec = Spec {
        short: "mhqt:e:",
        long: LONG,
    };

    fn run(args: &[&str]) -> (String, String, String) {
        run_with(args, false)
    }

    fn run_with(args: &[&str], posix: bool) -> (String, String, String) {
        let v: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        let p = parse_with(&SPEC, b"prog", &v, posix);
        let opts = p
            .opts
            .iter()
            .map(|(c, v)| match v {
                Some(v) => format!("{c}={}", String::from_utf8_lossy(v)),
                None => c.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ");
        let ops = p
            .operands
            .iter()
            .map(|o| String::from_utf8_lossy(o).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        let err = p
            .error
            .map(|e| String::from_utf8_lossy(&e).into_owned())
            .unwrap_or_default();
        (opts, ops, err)
    }

    #[test]
    fn table() {
        let table: &[(&[&str], &str, &str, &str)] = &[
            (&["-m", "."], "m", ".", ""),
            (&[".", "-m"], "m", ".", ""),
            (&["-mq", "."], "m q", ".", ""),
            (&["-t5", "."], "t=5", ".", ""),
            (&["-mt", "5", "."], "m t=5", ".", ""),
            (&["-t", "-m"], "t=-m", "", ""),
            (&["--mon", "."], "m", ".", ""),
            (&["--timeout=3", "."], "t=3", ".", ""),
            (&["--timeout", "3"], "t=3", "", ""),
            (&["--exclude", "a"], "x=a", "", ""),
            (&["--", "-m", "--x"], "", "-m --x", ""),
            (&["-", "a"], "", "- a", ""),
            (&["-x", "."], "", "", "prog: invalid option -- 'x'"),
            (&["-mx", "-q"], "m", "", "prog: invalid option -- 'x'"),
            (
                &["-q", "-t"],
                "q",
                "",
                "prog: option requires an argument -- 't'",
            ),
            (
                &["--bogus=3"],
                "",
                "",
                "prog: unrecognized option '--bogus=3'",
            ),
            (
                &["--excl=foo"],
                "",
                "",
                "prog: option '--excl=foo' is ambiguous; possibilities: '--exclude' '--excludei'",
            ),
            (
                &["--t", "1"],
                "",
                "",
                "prog: option '--t' is ambiguous; possibilities: '--timeout' '--timefmt'",
            ),
            (
                &["--monitor=1"],
                "",
                "",
                "prog: option '--monitor' doesn't allow an argument",
            ),
            (
                &["--timeo"],
                "",
                "",
                "prog: option '--timeout' requires an argument",
            ),
            (&["--timeout="], "t=", "", ""),
            (&["--version"], "V", "", ""),
            (&["--vers"], "", "", "prog: unrecognized option '--vers'"),
        ];
        for &(args, opts, ops, err) in table {
            assert_eq!(
                run(args),
                (opts.to_string(), ops.to_string(), err.to_string()),
                "{args:?}"
            );
        }
    }

    #[test]
    fn posixly_correct_stops_at_the_first_operand() {
        let table: &[(&[&str], &str, &str)] = &[
            (&[".", "-t", "1"], "", ". -t 1"),
            (&["-m", ".", "-q"], "m", ". -q"),
            (&["-t", "1", ".", "--", "-m"], "t=1", ". -- -m"),
            (&["--", "-m", "."], "", "-m ."),
            (&["-", "-m"], "", "- -m"),
        ];
        for &(args, opts, ops) in table {
            assert_eq!(
                run_with(args, true),
                (opts.to_string(), ops.to_string(), String::new()),
                "{args:?}"
            );
        }
    }
}
