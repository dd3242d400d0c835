//! Bad input: a table of argv cases for every option of both tools — missing, empty,
//! huge, negative, non-numeric and non-UTF-8 values, absurd values and conflicting
//! pairs. Each case runs under the reference and ours, invoked by the same argv[0], and
//! stdout, stderr, exit status (and outfile) must match byte for byte; where our policy
//! differs from 3.22.6 (COMPAT.md, top) ours runs alone and only its exit status is
//! pinned. Whatever the case: no panic or backtrace, no death by a signal we did not
//! send, and afterwards nothing of ours is left running or watching.
//!
//! A case that starts watching is driven, not timed out: once it holds a watch and has
//! settled, `f` is chmod-ed (an event the formats and filters then render), and if it
//! is still running once that event is handled, it is ended by SIGTERM (inotifywatch:
//! SIGINT, which prints the table).

use crate::util::{self, Outcome, Ready, Run, Step};
use libc::{SIGINT, SIGTERM};
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

const GROUP: &str = "rinotify-badinput";
const FIXTURE: &str = "touch f log && mkdir d";
const ACTION: &str = "chmod 600 f && touch d/x";
/// What the harness reports when a process ended by itself before a step: fine here.
const EXITED_EARLY: &str = "process exited while waiting for";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tool {
    Wait,
    Watch,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Wait => "inotifywait",
            Tool::Watch => "inotifywatch",
        }
    }
    fn reference(self) -> &'static str {
        match self {
            Tool::Wait => util::REFERENCE,
            Tool::Watch => util::REFERENCE_WATCH,
        }
    }
}

/// How a case is judged.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// Same bytes and status as the reference.
    Diff,
    /// Policy difference: ours alone, ending by itself with this exit status.
    Ours(i32),
    /// Policy difference: ours alone, still running after the event until our signal
    /// ends it (inotifywait 143, inotifywatch 0).
    OursRuns,
}

struct Case {
    tool: Tool,
    args: Vec<OsString>,
    mode: Mode,
    /// The outfile to compare (relative to the case directory).
    outfile: Option<&'static str>,
}

impl Case {
    fn label(&self) -> String {
        let args: Vec<String> = self.args.iter().map(|a| shown(a)).collect();
        format!("{} {}", self.tool.name(), args.join(" "))
    }
    fn daemon(&self) -> bool {
        self.tool == Tool::Wait
            && self.args.iter().any(|a| {
                let b = a.as_bytes();
                b == b"-d"
                    || b == b"--daemon"
                    || (b.starts_with(b"-")
                        && !b.starts_with(b"--")
                        && b.contains(&b'd')
                        && b.len() <= 4)
            })
    }
}

/// An argument as a shell would need it (quoted, long ones shortened, bytes escaped).
fn shown(a: &OsStr) -> String {
    let b = a.as_bytes();
    let body = if b.len() > 40 {
        format!(
            "{}…[{} bytes]",
            util::escape(&b[..16]).replace('\n', ""),
            b.len()
        )
    } else {
        util::escape(b).replace('\n', "")
    };
    if !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.,/=%@".contains(c))
    {
        body
    } else {
        format!("'{body}'")
    }
}

fn os(s: &str) -> OsString {
    s.into()
}

fn bytes(b: &[u8]) -> OsString {
    OsStr::from_bytes(b).to_os_string()
}

fn case(tool: Tool, mode: Mode, args: Vec<OsString>) -> Case {
    Case {
        tool,
        args,
        mode,
        outfile: None,
    }
}

fn strs(args: &[&str]) -> Vec<OsString> {
    args.iter().map(|a| os(a)).collect()
}

fn w(args: &[&str]) -> Case {
    case(Tool::Wait, Mode::Diff, strs(args))
}
fn s(args: &[&str]) -> Case {
    case(Tool::Watch, Mode::Diff, strs(args))
}
fn wo(status: i32, args: &[&str]) -> Case {
    case(Tool::Wait, Mode::Ours(status), strs(args))
}
fn so(status: i32, args: &[&str]) -> Case {
    case(Tool::Watch, Mode::Ours(status), strs(args))
}
fn wr(args: &[&str]) -> Case {
    case(Tool::Wait, Mode::OursRuns, strs(args))
}
fn sr(args: &[&str]) -> Case {
    case(Tool::Watch, Mode::OursRuns, strs(args))
}

/// The values every option taking an argument is given.
fn values() -> Vec<(&'static str, Option<OsString>)> {
    vec![
        ("missing", None),
        ("empty", Some(os(""))),
        ("huge", Some(os("99999999999999999999"))),
        ("100k-digits", Some(os(&"9".repeat(100_000)))),
        ("100k-text", Some(os(&"x".repeat(100_000)))),
        ("negative", Some(os("-1"))),
        ("non-numeric", Some(os("abc"))),
        ("non-utf8", Some(bytes(b"\xff\xfe%e\x80"))),
    ]
}

/// Compiling a 100 KB regex takes ours seconds in a debug build: one per tool
/// (`--exclude`, text), 10 KB for the other filter options, no digits. `None`: skip
/// the case.
fn regex_sized(opt: &str, kind: &str, value: Option<OsString>) -> Option<Option<OsString>> {
    if !opt.contains("clude") {
        return Some(value);
    }
    match kind {
        "100k-digits" => None,
        "100k-text" if opt != "--exclude" => Some(Some(os(&"x".repeat(10_000)))),
        _ => Some(value),
    }
}

/// `OPT VALUE` put in front of `rest` (a missing value: `rest` then `OPT` last).
fn with_value(opt: &str, value: &Option<OsString>, rest: &[&str]) -> Vec<OsString> {
    match value {
        None => {
            let mut v = strs(rest);
            v.push(os(opt));
            v
        }
        Some(val) => {
            let mut v = vec![os(opt), val.clone()];
            v.extend(strs(rest));
            v
        }
    }
}

/// Every option of inotifywait that takes a value, with every kind of value.
fn wait_value_cases() -> Vec<Case> {
    let opts: &[(&str, &[&str])] = &[
        ("-t", &["."]),
        ("--timeout", &["."]),
        ("-e", &["."]),
        ("--event", &["-m", "."]),
        // The outfile must not be in a watched directory (each line written would be
        // an event to write).
        ("-o", &["f"]),
        ("--outfile", &["-m", "f"]),
        ("--format", &["."]),
        ("--format", &["-m", "--no-newline", "."]),
        ("--timefmt", &["--format", "%T|%e", "."]),
        ("--fromfile", &["."]),
        ("--exclude", &["."]),
        ("--excludei", &["-m", "."]),
        ("--include", &["."]),
        ("--includei", &["-m", "."]),
        ("@", &[]),
    ];
    let mut cases = Vec::new();
    for (opt, rest) in opts {
        for (kind, value) in values() {
            if *opt == "@" {
                // An exclusion entry glued to its value, then the watched dir.
                let Some(v) = value else { continue };
                let mut arg = OsString::from("@");
                arg.push(&v);
                cases.push(case(Tool::Wait, Mode::Diff, vec![os("-r"), arg, os(".")]));
                continue;
            }
            let Some(value) = regex_sized(opt, kind, value) else {
                continue;
            };
            let args = with_value(opt, &value, rest);
            // Policy: a negative timeout aborts after set-up (3.22.6 waits ~136 years).
            let mode = if matches!(*opt, "-t" | "--timeout") && kind == "negative" {
                Mode::Ours(1)
            } else {
                Mode::Diff
            };
            let mut c = case(Tool::Wait, mode, args);
            if matches!(*opt, "-o" | "--outfile") && matches!(kind, "negative" | "non-numeric") {
                c.outfile = Some(if kind == "negative" { "-1" } else { "abc" });
            }
            cases.push(c);
        }
    }
    // Values given as `--opt=VALUE` and glued short options.
    for opt in ["--timeout=", "--event=", "--format=", "-t", "-e"] {
        for (kind, value) in values() {
            let Some(value) = value else { continue };
            let mut arg = OsString::from(opt);
            arg.push(value);
            let mode = if matches!(opt, "--timeout=" | "-t") && kind == "negative" {
                Mode::Ours(1)
            } else {
                Mode::Diff
            };
            cases.push(case(Tool::Wait, mode, vec![arg, os(".")]));
        }
    }
    // Non-UTF-8 and huge operands.
    cases.push(case(Tool::Wait, Mode::Diff, vec![bytes(b"\xff\xfe")]));
    cases.push(case(Tool::Wait, Mode::Diff, vec![os("."), bytes(b"f\x80")]));
    cases.push(case(Tool::Wait, Mode::Diff, vec![os(&"x".repeat(100_000))]));
    cases.push(case(Tool::Wait, Mode::Diff, vec![os(&"d/".repeat(50_000))]));
    cases
}

/// Every option of inotifywatch that takes a value, with every kind of value.
fn watch_value_cases() -> Vec<Case> {
    let opts: &[(&str, &[&str])] = &[
        ("-t", &["."]),
        ("--timeout", &["."]),
        ("-e", &["."]),
        ("--event", &["."]),
        ("-a", &["."]),
        ("--ascending", &["-z", "."]),
        ("-d", &["."]),
        ("--descending", &["-z", "."]),
        ("--fromfile", &["."]),
        ("--exclude", &["."]),
        ("--excludei", &["."]),
        ("--include", &["."]),
        ("--includei", &["-v", "."]),
    ];
    let mut cases = Vec::new();
    for (opt, rest) in opts {
        for (kind, value) in values() {
            let Some(value) = regex_sized(opt, kind, value) else {
                continue;
            };
            let args = with_value(opt, &value, rest);
            let mode = if matches!(*opt, "-t" | "--timeout") && kind == "negative" {
                Mode::Ours(1)
            } else {
                Mode::Diff
            };
            cases.push(case(Tool::Watch, mode, args));
        }
    }
    cases.push(case(Tool::Watch, Mode::Diff, vec![bytes(b"\xff\xfe")]));
    cases.push(case(
        Tool::Watch,
        Mode::Diff,
        vec![os(&"x".repeat(100_000))],
    ));
    cases.push(case(
        Tool::Watch,
        Mode::Diff,
        vec![os("-r"), bytes(b"@\xff"), os(".")],
    ));
    cases
}

/// Absurd values and conflicting pairs (differential).
fn absurd_cases() -> Vec<Case> {
    let mut cases = vec![
        w(&["-e", "", "."]),
        w(&["-e", ",,,", "."]),
        w(&["-e", ",", "-m", "."]),
        w(&["-e", "access,bogus", "."]),
        w(&["-e", "bogus,", "."]),
        w(&["-e", "ACCESS,attrib", "."]),
        w(&["-e", "isdir", "."]),
        w(&["-e", "oneshot", "-m", "."]),
        w(&["--format", "", "."]),
        w(&["--format", "", "--no-newline", "."]),
        w(&["--format", "%", "."]),
        w(&["--format", "%", "--no-newline", "."]),
        w(&["--format", "%%%", "--no-newline", "."]),
        w(&["--format", "%T", "--timefmt", "", "."]),
        w(&["--format", "%T", "--timefmt", "%", "."]),
        w(&["--format", "%T", "--timefmt", "%Q%", "."]),
        w(&["--format", "%w%f%e%Xe%c%0%n", "."]),
        w(&["--fromfile", "/nonexistent", "."]),
        w(&["--fromfile", "/nonexistent"]),
        w(&["--fromfile", "d", "."]),
        w(&["--fromfile", "a", "--fromfile", "b", "."]),
        w(&["--fromfile", "/dev/null"]),
        w(&["-o", "a", "-o", "b", "f"]),
        w(&["-o", "/nonexistent/dir/f", "f"]),
        w(&["-o", "d", "f"]),
        w(&["-o", "", "f"]),
        w(&["-o", "log", "-c", "f"]),
        w(&["-P", "-P", "-e", "attrib", "f"]),
        w(&["-P", "-x", "."]),
        w(&["-s", "-e", "bogus", "."]),
        w(&["-s", "-x", "."]),
        w(&["-s", "--format", "", "--no-newline", "."]),
        w(&["-c", "-c", "-q", "-q", "."]),
        w(&["-c", "--no-newline", "."]),
        w(&["--exclude", "(", "."]),
        w(&["--exclude", "\\", "."]),
        w(&["--exclude", "[", "."]),
        w(&["--exclude", "*", "."]),
        w(&["--exclude", "a**", "."]),
        w(&["--exclude", "a{1", "."]),
        w(&["--exclude", "", "."]),
        w(&["--includei", "(", "."]),
        w(&["--include", "[[:bogus:]]", "."]),
        w(&["-c", "--format", "x", "."]),
        w(&["--exclude", "a", "--include", "b", "."]),
        w(&["--exclude", "a", "--excludei", "b", "."]),
        w(&["--include", "a", "--includei", "b", "."]),
        w(&["-d", "."]),
        w(&["-d", "-o", "missing.log", "."]),
        w(&["--no-newline", "."]),
        w(&["--timefmt", "%F", "."]),
        w(&["--format", "%T", "."]),
        w(&["--format", "%%T", "."]),
        w(&["-f", "."]),
        w(&["-qqqqqqqqqqqqqqqqqqqq", "."]),
        w(&["-mmmmmmmm", "."]),
        w(&["--", "--", "."]),
        w(&["-", "."]),
        w(&["."]),
        w(&[]),
        w(&["@.", "."]),
        w(&["-r", "@", "@@", "."]),
        s(&["-e", "", "."]),
        s(&["-e", ",,,", "."]),
        s(&["-e", "access,bogus", "."]),
        s(&["-a", "bogus", "."]),
        s(&["-d", "bogus", "."]),
        s(&["-a", "", "."]),
        s(&["-d", ",", "."]),
        s(&["-a", "access", "-a", "modify", "-z", "."]),
        s(&["-a", "total", "-d", "total", "."]),
        s(&["-a", "modify", "-e", "access", "."]),
        s(&["-a", "move", "."]),
        s(&["-a", "close", "."]),
        s(&["--fromfile", "/nonexistent", "."]),
        s(&["--fromfile", "a", "--fromfile", "b", "."]),
        s(&["--exclude", "(", "."]),
        s(&["--exclude", "\\", "."]),
        s(&["--exclude", "a", "--include", "b", "."]),
        s(&["--exclude", "a", "--excludei", "b", "."]),
        s(&["--include", "a", "--includei", "b", "."]),
        s(&["-x", "."]),
        s(&["-P", "-P", "f"]),
        s(&["-P", "-x", "."]),
        s(&["-r", "-v", "-z", "-e", "attrib", "."]),
        s(&["-zzzz", "-vvvv", "."]),
        s(&[]),
    ];
    for c in &mut cases {
        if c.args.first().is_some_and(|a| a == "-o") && c.args[1] == "a" {
            c.outfile = Some("a");
        }
        if c.args.first().is_some_and(|a| a == "-o") && c.args[1] == "log" {
            c.outfile = Some("log");
        }
    }
    cases
}

/// Policy differences from 3.22.6: ours alone, exit status pinned.
fn policy_cases() -> Vec<Case> {
    vec![
        wo(1, &["-t", "-1", "."]),
        wo(1, &["-t", "-9223372036854775808", "."]),
        wo(1, &["-m", "--timeout=-5", "."]),
        wr(&["-I", "-e", "modify", "."]),
        wr(&["--inotify", "-m", "."]),
        wr(&["-F", "-m", "."]),
        wr(&["--fanotify", "-m", "-r", "."]),
        wr(&["-S", "-m", "."]),
        wr(&["--filesystem", "-m", "-r", "."]),
        wo(1, &["-F", "-e", "bogus", "."]),
        wo(1, &["-S", "--include", "(", "."]),
        wo(1, &["-h"]),
        wo(1, &["--help", "-x", "."]),
        wo(0, &["--version"]),
        wo(0, &["--version", "--bogus"]),
        wr(&["--no-dir-scan", "-m", "-r", "."]),
        wr(&["--no-dir-scan", "-m", "."]),
        so(1, &["-t", "-1", "."]),
        sr(&["-I", "."]),
        sr(&["-F", "."]),
        sr(&["-S", "."]),
        sr(&["-F", "-r", "."]),
        so(1, &["--help"]),
        so(1, &["-h", "-a", "bogus"]),
        so(0, &["--version"]),
        sr(&["--no-dir-scan", "-r", "."]),
        so(1, &["-d", "move", "."]),
        so(1, &["-d", "close", "."]),
        so(1, &["-a", "isdir", "-e", "isdir,modify", "."]),
        so(1, &["-a", "access,modify", "."]),
        so(1, &["-d", "access", "-e", "modify", "."]),
    ]
}

/// Daemon cases: the parent exits, the daemon is found through /proc, driven like any
/// other watcher, and stopped; its log is compared.
fn daemon_cases() -> Vec<Case> {
    // Never the directory holding the log: each line written would be an event.
    let mut cases = vec![
        w(&["-d", "-o", "{dir}/log", "{dir}/f"]),
        w(&[
            "--daemon",
            "--outfile",
            "{dir}/log",
            "-e",
            "attrib",
            "{dir}/f",
            "{dir}/d",
        ]),
        w(&["-d", "-o", "{dir}/log", "-c", "-r", "{dir}/d"]),
        w(&["-d", "-o", "{dir}/log", "--format", "%e", "-q", "{dir}/f"]),
        w(&[
            "-d",
            "-o",
            "{dir}/log",
            "--timefmt",
            "%",
            "--format",
            "%T%w",
            "{dir}/f",
        ]),
        w(&[
            "-dq",
            "-o",
            "{dir}/log",
            "-t",
            "99999999999999999999",
            "{dir}/f",
        ]),
        w(&["-d", "-o", "{dir}/log", "-e", "bogus", "{dir}/f"]),
        w(&["-d", "-o", "{dir}/nolog", "{dir}/f"]),
        w(&["-d", "-o", "{dir}/log", "-o", "{dir}/log", "{dir}/f"]),
        w(&["-d", "-o", "{dir}/log", "{dir}/missing"]),
    ];
    for c in &mut cases {
        c.outfile = Some("log");
    }
    cases
}

/// Replaces `{dir}` in UTF-8 arguments by the case directory.
fn expand(args: &[OsString], dir: &Path) -> Vec<OsString> {
    let d = dir.to_str().expect("utf-8 temp dir");
    args.iter()
        .map(|a| match a.to_str() {
            Some(s) if s.contains("{dir}") => os(&s.replace("{dir}", d)),
            _ => a.clone(),
        })
        .collect()
}

/// What one run did, and how it ended.
struct Ran {
    o: Outcome,
    /// The run was still going after the event and we ended it.
    ended_by_us: bool,
    /// Findings: crash marks, deaths by signal, leftovers, harness problems.
    faults: Vec<String>,
}

/// Runs `case` with `program` in a fresh case directory.
fn run(case: &Case, program: &Path, dir: &Path) -> Ran {
    util::wipe(dir);
    std::fs::create_dir_all(dir).expect("case dir");
    util::setup(dir, FIXTURE);
    let stop = if case.tool == Tool::Watch {
        SIGINT
    } else {
        SIGTERM
    };
    let mut r = Run::new(program, dir);
    r.argv0 = case.tool.name().into();
    r.args = expand(&case.args, dir);
    r.ready = Ready::Watches(1);
    r.steps = vec![
        Step::Drained,
        Step::Sh(ACTION.into()),
        Step::Drained,
        Step::Signal(stop),
    ];
    r.outfile = case.outfile.map(String::from);
    let mut o = util::execute(&r);
    let mut faults = Vec::new();
    let early = o.problems.iter().any(|p| p.starts_with(EXITED_EARLY));
    o.problems.retain(|p| !p.starts_with(EXITED_EARLY));
    faults.extend(o.problems.iter().map(|p| format!("harness: {p}")));
    if let Some(mark) = util::crash_marks(&o.stderr) {
        faults.push(format!("crash mark {mark:?} on stderr"));
    }
    let ended_by_us = !early && o.problems.is_empty();
    match o.status {
        Some(st) if st >= 128 && !(ended_by_us && st == 128 + stop) => {
            faults.push(format!("died by signal {}", st - 128));
        }
        _ => {}
    }
    if case.daemon() {
        drive_daemon(dir, &mut faults);
        // The daemon may write its log until it is stopped: collect it afterwards.
        o.outfile = case.outfile.and_then(|f| std::fs::read(dir.join(f)).ok());
    }
    let stray = pids_in(dir);
    if !stray.is_empty() {
        for pid in &stray {
            // SAFETY: kill(2) on a process left running in this case's directory.
            unsafe { libc::kill(*pid as i32, libc::SIGKILL) };
        }
        faults.push(format!(
            "left running in the case directory: pids {stray:?}"
        ));
    }
    for p in [dir.to_path_buf(), dir.join("f"), dir.join("d")] {
        let left = util::watchers_of(&p);
        if !left.is_empty() {
            for pid in &left {
                // SAFETY: kill(2) on a process found watching this case's directory.
                unsafe { libc::kill(*pid as i32, libc::SIGKILL) };
            }
            faults.push(format!("left watching {}: pids {left:?}", p.display()));
        }
    }
    Ran {
        o,
        ended_by_us,
        faults,
    }
}

/// Live processes (not zombies) whose working directory is `dir`.
fn pids_in(dir: &Path) -> Vec<u32> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    procs
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|c| c == dir))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
                s.rsplit_once(')')
                    .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
            })
        })
        .collect()
}

/// Finds the daemon a `-d` case left (its argv names the case directory), drives it
/// like a foreground watcher (settle, event, settle) and stops it with SIGTERM.
fn drive_daemon(dir: &Path, faults: &mut Vec<String>) {
    let needle = dir.as_os_str().as_bytes().to_vec();
    let start = Instant::now();
    let deadline = Duration::from_secs(5);
    let mut pids = util::pids_mentioning(&needle);
    // A daemon that fails sets up nothing and exits: give it a moment to do so.
    while !pids.is_empty()
        && !pids
            .iter()
            .any(|&p| util::watch_count(p) > 0 && util::drained(p))
        && start.elapsed() < deadline
    {
        thread::sleep(Duration::from_millis(2));
        pids = util::pids_mentioning(&needle);
    }
    if pids.is_empty() {
        return;
    }
    util::setup(dir, ACTION);
    let t = Instant::now();
    while pids.iter().any(|&p| !util::drained(p)) && t.elapsed() < deadline {
        thread::sleep(Duration::from_millis(2));
        pids = util::pids_mentioning(&needle);
    }
    for &p in &pids {
        // SAFETY: kill(2) on the daemon this case started (found by its argv).
        unsafe { libc::kill(p as i32, SIGTERM) };
    }
    let t = Instant::now();
    while !util::pids_mentioning(&needle).is_empty() && t.elapsed() < deadline {
        thread::sleep(Duration::from_millis(2));
    }
    let left = util::pids_mentioning(&needle);
    if !left.is_empty() {
        for &p in &left {
            // SAFETY: as above.
            unsafe { libc::kill(p as i32, libc::SIGKILL) };
        }
        faults.push(format!("daemon {left:?} survived SIGTERM"));
    }
}

/// Runs every case, collecting all failures into one report.
fn check(table: &str, cases: Vec<Case>) {
    let reference = cases
        .iter()
        .all(|c| c.mode != Mode::Diff || util::reference_available(c.tool.reference()));
    if !reference {
        println!("skipped: reference not installed (differential cases); ours-only cases run");
    }
    let mut report = String::new();
    let mut failed = 0;
    for (i, c) in cases.iter().enumerate() {
        let dir = std::env::temp_dir()
            .join(GROUP)
            .join(format!("{table}_{i}"));
        let ours = run(c, &util::ours(), &dir);
        let mut problems: Vec<String> = ours.faults.iter().map(|f| format!("ours: {f}")).collect();
        match c.mode {
            Mode::Ours(want) => {
                if ours.o.status != Some(want) || ours.ended_by_us {
                    problems.push(format!(
                        "ours: exit status {:?}{}, want {want} by itself",
                        ours.o.status,
                        if ours.ended_by_us {
                            " after our signal"
                        } else {
                            ""
                        }
                    ));
                }
            }
            Mode::OursRuns => {
                let want = if c.tool == Tool::Wait { 143 } else { 0 };
                if ours.o.status != Some(want) || !ours.ended_by_us {
                    problems.push(format!(
                        "ours: exit status {:?}{}, want to run until our signal, then {want}",
                        ours.o.status,
                        if ours.ended_by_us {
                            " after our signal"
                        } else {
                            " by itself"
                        }
                    ));
                }
            }
            Mode::Diff if reference => {
                let theirs = run(c, Path::new(c.tool.reference()), &dir);
                if !theirs.faults.is_empty() {
                    problems.push(format!(
                        "the reference itself: {} (should this case be ours-only?)",
                        theirs.faults.join("; ")
                    ));
                }
                if let Some(d) = util::compare(&theirs.o, &ours.o) {
                    problems.push(format!(
                        "ours differs from the reference\n{d}{}{}",
                        util::dump("reference", &theirs.o),
                        util::dump("ours", &ours.o)
                    ));
                }
            }
            Mode::Diff => {}
        }
        if problems.is_empty() {
            util::wipe(&dir);
        } else {
            failed += 1;
            let _ = writeln!(report, "\n### case {table}_{i}: `{}`", c.label());
            for p in problems {
                let _ = writeln!(report, "  {p}");
            }
            if !ours.faults.is_empty() {
                let _ = writeln!(report, "{}", util::dump("ours", &ours.o));
            }
        }
    }
    assert!(
        failed == 0,
        "{failed} of {} bad-input cases failed:{report}",
        cases.len()
    );
}

#[test]
fn badinput_inotifywait_values() {
    check("wait_values", wait_value_cases());
}

#[test]
fn badinput_inotifywatch_values() {
    check("watch_values", watch_value_cases());
}

#[test]
fn badinput_absurd_and_conflicting() {
    check("absurd", absurd_cases());
}

#[test]
fn badinput_policy_ours_only() {
    check("policy", policy_cases());
}

#[test]
fn badinput_daemon() {
    check("daemon", daemon_cases());
}

/// The table covers every option of both tools (long names as in the reference's
/// `--help`, plus ours).
#[test]
fn badinput_covers_every_option() {
    let all: Vec<Case> = [
        wait_value_cases(),
        watch_value_cases(),
        absurd_cases(),
        policy_cases(),
        daemon_cases(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let used = |tool: Tool, opt: &str| {
        all.iter().any(|c| {
            c.tool == tool
                && c.args.iter().any(|a| {
                    let b = a.as_bytes();
                    b == opt.as_bytes()
                        || (b.starts_with(opt.as_bytes()) && b.get(opt.len()) == Some(&b'='))
                        || (opt.len() == 2
                            && b.len() > 2
                            && b[0] == b'-'
                            && b[1] != b'-'
                            && b[1..].contains(&opt.as_bytes()[1]))
                })
        })
    };
    let wait = [
        "-h",
        "--help",
        "--exclude",
        "--excludei",
        "--include",
        "--includei",
        "-m",
        "-d",
        "--daemon",
        "-P",
        "-r",
        "--no-dir-scan",
        "-I",
        "-F",
        "-S",
        "--fromfile",
        "-o",
        "--outfile",
        "-s",
        "-q",
        "--format",
        "--no-newline",
        "--timefmt",
        "-c",
        "-t",
        "--timeout",
        "-e",
        "--event",
        "-f",
        "--version",
    ];
    let watch = [
        "-h",
        "--help",
        "-v",
        "--fromfile",
        "--exclude",
        "--excludei",
        "--include",
        "--includei",
        "-z",
        "-r",
        "--no-dir-scan",
        "-I",
        "-F",
        "-S",
        "-t",
        "--timeout",
        "-e",
        "--event",
        "-a",
        "--ascending",
        "-d",
        "--descending",
        "--version",
    ];
    let missing: Vec<String> = wait
        .iter()
        .filter(|o| !used(Tool::Wait, o))
        .map(|o| format!("inotifywait {o}"))
        .chain(
            watch
                .iter()
                .filter(|o| !used(Tool::Watch, o))
                .map(|o| format!("inotifywatch {o}")),
        )
        .collect();
    assert!(
        missing.is_empty(),
        "options without a bad-input case: {missing:?}"
    );
}
