//! Golden files (`tests/golden/*.golden`): every user-visible text of ours — help and
//! version texts, usage errors of both tools, each `--format` directive, CSV quoting,
//! inotifywatch tables — pinned byte for byte. `RINOTIFY_BLESS=1 cargo test --test
//! integration golden` rewrites them, but only after checking each part once against
//! the reference where one applies (the real tool run the same way, or fsnotify*'s
//! help for our latest-style help), refusing to bless on any mismatch.
//!
//! A golden holds one or more parts; each part is one run, rendered as a header line
//! (`== argv0 [args]`), `status N`, then `stdout N bytes` and `stderr N bytes` each
//! followed by exactly those raw bytes (and a newline if they do not end with one).

use crate::scenario::{Sc, cookies, run_once, s, w};
use crate::util::{self, Outcome, Run};
use libc::SIGINT;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const GROUP: &str = "rinotify-golden";
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Where the latest-style help of each tool comes from (Debian ships these).
const FSWAIT: &str = "/usr/bin/fsnotifywait";
const FSWATCH: &str = "/usr/bin/fsnotifywatch";

/// Our `--help` for `tool`: the latest-style help printed by `source` (an fsnotify*
/// binary), with its name replaced by `tool` and its version line replaced by ours.
/// `None` if `source` is not installed.
pub fn latest_help(source: &str, tool: &str) -> Option<Vec<u8>> {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let src = Path::new(source);
    if !src.exists() {
        return None;
    }
    let name = src.file_name()?.to_str()?.to_string();
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let dir = util::fresh_dir(GROUP, &format!("help-source-{name}-{tool}-{n}"));
    let mut run = Run::new(src, &dir);
    run.argv0 = name.clone().into();
    run.args = vec!["--help".into()];
    let out = util::execute(&run);
    util::wipe(&dir);
    let text = String::from_utf8(out.stdout).expect("help is UTF-8");
    let (first, rest) = text.split_once('\n').expect("help has lines");
    assert!(
        first.starts_with(&format!("{name} ")),
        "unexpected first line {first:?} from {source}"
    );
    Some(format!("{tool} {VERSION}\n{}", rest.replace(&name, tool)).into_bytes())
}

/// Options of ours that the reference tools do not have; their entries in our
/// `--help` are the only lines allowed beyond the latest-style help.
pub const OURS_ONLY_OPTIONS: &[&str] = &[
    "--no-dir-scan",
    "--json",
    "--ready-fd",
    "--prune",
    "--prune-from",
    "--retry",
];

/// `help` without the entries of `OURS_ONLY_OPTIONS`: an entry is a line `\t<option>…`
/// plus its continuation lines (those starting with two tabs or a tab and spaces).
pub fn strip_ours_only_options(help: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut skipping = false;
    for line in help.split_inclusive(|&b| b == b'\n') {
        let continuation = line.starts_with(b"\t\t") || line.starts_with(b"\t ");
        if skipping && continuation {
            continue;
        }
        skipping = OURS_ONLY_OPTIONS.iter().any(|o| {
            let o = o.as_bytes();
            line.strip_prefix(b"\t")
                .and_then(|rest| rest.strip_prefix(o))
                .is_some_and(|after| {
                    after
                        .first()
                        .is_none_or(|&b| !(b.is_ascii_alphanumeric() || b == b'-'))
                })
        });
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    out
}

/// Checks that `o` is our latest-style help for `tool`: `latest_help(source, tool)`
/// once our own options' entries are removed, nothing on stderr, exit 1. Returns a
/// report of the differences (or `None`); `Some` with a note if `source` is missing.
pub fn help_mismatch(o: &Outcome, source: &str, tool: &str) -> Option<String> {
    let Some(want) = latest_help(source, tool) else {
        return Some(format!("{source} is not installed"));
    };
    let want = Outcome {
        stdout: want,
        status: Some(1),
        ..Outcome::default()
    };
    let got = Outcome {
        stdout: strip_ours_only_options(&o.stdout),
        stderr: o.stderr.clone(),
        status: o.status,
        ..Outcome::default()
    };
    util::compare(&want, &got)
}

/// How a part is checked when blessing.
#[derive(Clone, Copy, Debug)]
enum Ref {
    /// The scenario's reference binary, run the same way, prints the same bytes.
    Same,
    /// `--help`: `latest_help(source, tool)` on stdout once our own options' entries
    /// are removed (`strip_ours_only_options`), nothing on stderr, exit 1.
    Help(&'static str, &'static str),
    /// No reference applies (our additions and policy departures); the reason.
    Ours(&'static str),
}

/// One run of a golden.
struct Part {
    sc: Sc,
    check: Ref,
}

fn same(sc: Sc) -> Part {
    Part {
        sc,
        check: Ref::Same,
    }
}

fn help(sc: Sc, source: &'static str, tool: &'static str) -> Part {
    Part {
        sc,
        check: Ref::Help(source, tool),
    }
}

fn ours(sc: Sc, why: &'static str) -> Part {
    Part {
        sc,
        check: Ref::Ours(why),
    }
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn blessing() -> bool {
    std::env::var_os("RINOTIFY_BLESS").is_some_and(|v| !v.is_empty() && v != "0")
}

fn render_part(out: &mut Vec<u8>, part: &Part, o: &Outcome) {
    let sc = &part.sc;
    let mut head = format!("== {}", sc.argv0.to_string_lossy());
    let args: Vec<String> = sc
        .args
        .iter()
        .map(|a| {
            let a = a.to_string_lossy();
            if a.len() > 80 {
                format!(
                    "{}…[{} bytes]",
                    a.chars().take(40).collect::<String>(),
                    a.len()
                )
            } else {
                a.into_owned()
            }
        })
        .collect();
    let _ = write!(head, " {args:?}");
    if let Ref::Ours(why) = part.check {
        let _ = write!(head, " (no reference: {why})");
    }
    let _ = write!(head, "\nstatus {}\n", o.status.unwrap_or(-1));
    out.extend_from_slice(head.as_bytes());
    for (label, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        out.extend_from_slice(format!("{label} {} bytes\n", bytes.len()).as_bytes());
        out.extend_from_slice(bytes);
        if !bytes.is_empty() && !bytes.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
}

fn normalized(sc: &Sc, mut o: Outcome) -> Outcome {
    if let Some(f) = sc.normalize {
        o.stdout = f(&o.stdout);
    }
    o
}

/// Runs one part under ours (and, when blessing, checks it against its reference).
fn run_part(name: &str, i: usize, part: &Part) -> Outcome {
    let dir_name = format!("{name}-{i}");
    let reference = if blessing() {
        match part.check {
            Ref::Same => {
                assert!(
                    util::reference_available(part.sc.reference),
                    "cannot bless {name}: {} is not installed",
                    part.sc.reference
                );
                let r = run_once(GROUP, &dir_name, Path::new(part.sc.reference), &part.sc);
                assert!(
                    r.problems.is_empty(),
                    "cannot bless {name} part {i}: broken under the reference\n{}",
                    util::dump("reference", &r)
                );
                Some(normalized(&part.sc, r))
            }
            Ref::Help(..) | Ref::Ours(_) => None,
        }
    } else {
        None
    };
    let o = normalized(
        &part.sc,
        run_once(GROUP, &dir_name, &util::ours(), &part.sc),
    );
    assert!(
        o.problems.is_empty(),
        "golden {name} part {i}: the run is broken\n{}",
        util::dump("ours", &o)
    );
    if blessing()
        && let Ref::Help(source, tool) = part.check
        && let Some(d) = help_mismatch(&o, source, tool)
    {
        panic!(
            "refusing to bless {name}: part {i} is not {source}'s help for {tool} \
             (beyond our own options {OURS_ONLY_OPTIONS:?})\n{d}"
        );
    }
    if let Some(r) = reference
        && let Some(d) = util::compare(&r, &o)
    {
        panic!(
            "refusing to bless {name}: part {i} ({:?}) differs from the reference ({:?})\n{d}\n{}{}",
            part.sc.args,
            part.check,
            util::dump("reference", &r),
            util::dump("ours", &o)
        );
    }
    util::wipe(&std::env::temp_dir().join(GROUP).join(&dir_name));
    o
}

/// Renders every part of golden `name` from ours and compares it with the file (or,
/// with `RINOTIFY_BLESS=1`, checks against the references and writes the file).
fn check(name: &str, parts: Vec<Part>) {
    let mut rendered = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let o = run_part(name, i, part);
        render_part(&mut rendered, part, &o);
    }
    let path = golden_dir().join(format!("{name}.golden"));
    if blessing() {
        std::fs::create_dir_all(golden_dir()).expect("create tests/golden");
        std::fs::write(&path, &rendered).expect("write golden");
        return;
    }
    let Ok(want) = std::fs::read(&path) else {
        panic!(
            "{} is missing; run `RINOTIFY_BLESS=1 cargo test --test integration golden`",
            path.display()
        );
    };
    util::assert_bytes_eq(&format!("golden {name}"), &want, &rendered);
}

/// Declares one `#[test]` per golden file, plus `GOLDENS`, their names.
macro_rules! goldens {
    ($($name:ident => $parts:expr;)*) => {
        $(
            #[test]
            fn $name() {
                check(stringify!($name), $parts);
            }
        )*
        /// Names of all golden files (without `.golden`).
        pub const GOLDENS: &[&str] = &[$(stringify!($name)),*];
    };
}

/// A file `f` exists.
const F: &str = "touch f";

/// `inotifywait --format FMT -q -e attrib f` + chmod: one line.
fn fmt(format: &str, extra: &[&str]) -> Sc {
    let mut args = vec!["--format", format];
    args.extend_from_slice(extra);
    args.extend(["-q", "-e", "attrib", "f"]);
    w(args).fx(F).q(1).sh("chmod 600 f")
}

/// inotifywatch on a fixture: ready, act, drained, SIGINT (the table comes at the end).
fn table(args: &[&str], fixture: &str, act: &str) -> Sc {
    s(args).fx(fixture).ready().sh(act).drained().sig(SIGINT)
}

/// `-r` tree with a different total per directory (see watch_compat's `ACT_TREE`).
const TREE: &str = "mkdir -p t/a t/b; echo data > t/r; touch t/a/f t/b/g";
const ACT_TREE: &str = "echo x >> t/a/f; echo y >> t/a/f; echo z >> t/b/g; cat t/r > /dev/null; \
                        chmod 600 t/b/g; mv t/a/f t/a/f2; touch t/b/new; rm t/b/new";

/// `n` appends to `f` in batches small enough for the kernel queue (16384 events),
/// each followed by a drain, then SIGINT: 3·n events, none merged or lost.
fn appends(n: usize) -> Sc {
    const BATCH: usize = 2000;
    let mut sc = s(["f"]).fx(F).ready();
    let mut left = n;
    while left > 0 {
        let k = left.min(BATCH);
        sc = sc
            .sh(&format!(
                "i=0; while [ $i -lt {k} ]; do echo x >> f; i=$((i+1)); done"
            ))
            .drained();
        left -= k;
    }
    sc.sig(SIGINT)
}

/// `inotifywait -c -q -e create DIR` + create NAME in it.
fn csv_create(dir: &str, name: &str) -> Sc {
    let q = |x: &str| format!("'{}'", x.replace('\'', "'\\''"));
    w(["-c", "-q", "-e", "create", dir])
        .fx(&format!("mkdir -p {}", q(dir)))
        .q(1)
        .sh(&format!("touch {}/{}", q(dir), q(name)))
}

/// `--json` output with its two run-dependent values made stable: each `"time"` that is
/// RFC 3339 UTC with nanoseconds becomes `"<time>"` (any other shape is left for the
/// golden to show), and each distinct non-zero cookie becomes 1, 2, … in order.
fn json_norm(bytes: &[u8]) -> Vec<u8> {
    let time = regex::bytes::Regex::new(r#""time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z""#)
        .expect("regex");
    let cookie = regex::bytes::Regex::new(r#""cookie":([1-9][0-9]*)"#).expect("regex");
    let timed = time.replace_all(bytes, &b"\"time\":\"<time>\""[..]);
    let mut seen: Vec<Vec<u8>> = Vec::new();
    cookie
        .replace_all(&timed, |c: &regex::bytes::Captures<'_>| {
            let n = match seen.iter().position(|s| s == &c[1]) {
                Some(i) => i + 1,
                None => {
                    seen.push(c[1].to_vec());
                    seen.len()
                }
            };
            format!("\"cookie\":{n}").into_bytes()
        })
        .into_owned()
}

/// `inotifywait --json -q -e EVENTS ARGS…` with the fixture, `n` watches and the action.
fn json(args: &[&str], fixture: &str, watches: usize, act: &str) -> Part {
    let mut a = vec!["--json", "-q"];
    a.extend_from_slice(args);
    ours(
        w(a).fx(fixture).q(watches).sh(act).norm(json_norm),
        "--json is ours",
    )
}

/// `inotifywait ARGS` usage errors (no fixture, nothing watched).
fn wu(args: &[&str]) -> Part {
    same(w(args))
}

/// `inotifywatch ARGS` usage errors.
fn su(args: &[&str]) -> Part {
    same(s(args))
}

goldens! {
    // ---- help and version ----
    help_inotifywait => vec![help(w(["--help"]), FSWAIT, "inotifywait")];
    help_inotifywatch => vec![help(s(["--help"]), FSWATCH, "inotifywatch")];
    help_fsnotifywait => vec![help(w(["--help"]).argv0("fsnotifywait"), FSWAIT, "fsnotifywait")];
    help_fsnotifywatch => vec![help(s(["--help"]).argv0("fsnotifywatch"), FSWATCH, "fsnotifywatch")];
    help_short_and_argv0_paths => vec![
        help(w(["-h"]).argv0("/usr/local/bin/inotifywait"), FSWAIT, "inotifywait"),
        help(s(["-h", "-x"]).argv0("./inotifywatch"), FSWATCH, "inotifywatch"),
        help(w(["--he", "-e", "foo"]).argv0("bin/fsnotifywait"), FSWAIT, "fsnotifywait"),
        help(w(["wait", "--help"]).argv0("rinotify"), FSWAIT, "inotifywait"),
        help(w(["watch", "-h"]).argv0("rinotify"), FSWATCH, "inotifywatch"),
        // `rinotify help APPLET` is the applet's --help, byte for byte and status.
        help(w(["help", "wait"]).argv0("rinotify"), FSWAIT, "inotifywait"),
        help(w(["help", "watch"]).argv0("rinotify"), FSWATCH, "inotifywatch"),
    ];
    rinotify_cli => vec![
        ours(w(["--help"]).argv0("rinotify"), "rinotify's own CLI"),
        ours(w(["-h"]).argv0("rinotify"), "rinotify's own CLI"),
        ours(w(["help"]).argv0("rinotify"), "rinotify's own CLI"),
        ours(w::<&str>([]).argv0("rinotify"), "rinotify's own CLI"),
        ours(w(["bogus"]).argv0("rinotify"), "rinotify's own CLI"),
        ours(w(["help", "bogus"]).argv0("rinotify"), "rinotify's own CLI"),
    ];
    versions => vec![
        ours(w(["--version"]), "--version is ours (policy 3)"),
        ours(s(["--version"]), "--version is ours (policy 3)"),
        ours(w(["--version"]).argv0("fsnotifywait"), "--version is ours (policy 3)"),
        ours(s(["--version"]).argv0("fsnotifywatch"), "--version is ours (policy 3)"),
        ours(w(["--version"]).argv0("rinotify"), "rinotify's own CLI"),
        ours(w(["-V"]).argv0("rinotify"), "rinotify's own CLI"),
        ours(w(["wait", "--version"]).argv0("rinotify"), "--version is ours (policy 3)"),
        ours(w(["watch", "--version"]).argv0("rinotify"), "--version is ours (policy 3)"),
        wu(&["--vers", "."]),
    ];

    // ---- usage errors ----
    usage_inotifywait => vec![
        wu(&["-x", "."]),
        same(w(["-x", "."]).argv0("/opt/tools/inotifywait")),
        wu(&["--bogus", "."]),
        wu(&["--bogus=1", "."]),
        wu(&["--excl", "x", "."]),
        wu(&["--f", "x", "."]),
        wu(&["--time", "5", "."]),
        wu(&["--monitor=yes", "."]),
        wu(&[".", "-t"]),
        wu(&[".", "-e"]),
        wu(&[".", "-o"]),
        wu(&[".", "--format"]),
        wu(&[".", "--timefmt"]),
        wu(&[".", "--fromfile"]),
        wu(&[".", "--exclude"]),
        wu(&["-f", "."]),
        wu(&["-e", "foo", "."]),
        wu(&["-e", "modify,foo", "."]),
        wu(&["-e", "modify, create", "."]),
        wu(&["-e", "foo", "--help"]),
        wu(&["-t", "abc", "."]),
        wu(&["-t", "1.5", "."]),
        wu(&["-t", "", "."]),
        wu(&["-t", "99999999999999999999", "."]),
        wu(&["--fromfile", "a", "--fromfile", "b", "."]),
        wu(&["-o", "a", "-o", "b", "."]),
        wu(&["--exclude", "a", "--excludei", "b", "."]),
        wu(&["--include", "a", "--includei", "b", "."]),
        wu(&["--include", "a", "--exclude", "b", "."]),
        wu(&["-c", "--format", "x", "."]),
        ours(w(["--json", "-c", "."]), "--json is ours"),
        ours(w(["-c", "--json", "--format", "x", "."]), "--json is ours"),
        ours(w(["--format", "x", "--json", "."]), "--json is ours"),
        ours(w(["--jso", "."]), "--json is ours: spelled out in full only"),
        ours(w(["--json=1", "."]), "--json is ours"),
        ours(w(["--ready-fd", "x", "."]), "--ready-fd is ours"),
        ours(w(["--ready-fd", "-3", "."]), "--ready-fd is ours"),
        ours(w(["--ready-fd", "", "."]), "--ready-fd is ours"),
        ours(w(["--ready-fd", "99", "."]), "--ready-fd is ours"),
        ours(w(["--ready-fd", "0", "."]), "--ready-fd is ours: stdin is /dev/null, read-only"),
        ours(w([".", "--ready-fd"]), "--ready-fd is ours"),
        ours(w(["-r", "--prune", "[ab", "."]), "--prune is ours"),
        ours(w(["-r", "--prune", "", "."]), "--prune is ours"),
        ours(w(["-r", "--prune", "a\\", "."]), "--prune is ours"),
        ours(w(["-r", "--prune-from", "missing", "."]), "--prune-from is ours"),
        ours(w(["-r", ".", "--prune"]), "--prune is ours"),
        ours(w(["--prun", "x", "."]), "--prune is ours: spelled out in full only"),
        ours(w(["--retr", "."]), "--retry is ours: spelled out in full only"),
        ours(w(["--retry", "-t", "1", "-e", "create", "missing"]), "--retry is ours: waits, times out"),
        ours(w(["--retry", "-q", "-t", "1", "missing/deeper"]), "--retry is ours: -q says nothing"),
        wu(&["--no-newline", "."]),
        wu(&["--timefmt", "x", "."]),
        wu(&["--format", "%T", "."]),
        wu(&["--format", "%%T", "."]),
        wu(&["-d", "."]),
        wu(&["-d", "-o", "missing.log", "."]),
        wu(&["--no-newline", "-x", "."]),
        wu(&["--exclude", "a", "--exclude", "b", "nonexist"]),
        wu(&["--excludei", "a", "--excludei", "b", "nonexist"]),
        wu(&["--exclude", "("]),
        wu(&["--include", "(", "."]),
        wu(&["--format", "", "--no-newline", "."]),
        same(w(["--format", &"x".repeat(4096), "."])),
        wu(&[]),
        wu(&["-q"]),
        wu(&["-qq", "nonexist"]),
        wu(&["-t", "1", ".", "nonexist"]),
        wu(&["-r", "nonexist"]),
        wu(&["-o", "nodir/x.log", "."]),
        ours(w(["-t", "-1", "."]), "negative timeout aborts (latest)"),
        ours(w(["-F", "nonexist"]), "fanotify: compared with 4.25.9 in fanotify.rs"),
        ours(w(["-S", "nonexist"]), "fanotify: compared with 4.25.9 in fanotify.rs"),
        ours(w(["nonexist"]).argv0("fsnotifywait"), "fanotify: compared with 4.25.9 in fanotify.rs"),
    ];
    usage_inotifywatch => vec![
        su(&["-x", "."]),
        same(s(["-x", "."]).argv0("/opt/tools/inotifywatch")),
        ours(s(["--ready-fd", "x", "."]), "--ready-fd is ours"),
        ours(s(["--ready-fd", "99", "."]), "--ready-fd is ours"),
        ours(s(["--jso", "."]), "--json is ours: spelled out in full only"),
        ours(s(["-r", "--prune", "[ab", "."]), "--prune is ours"),
        ours(s(["-r", "--prune-from", "missing", "."]), "--prune-from is ours"),
        ours(s(["--retry", "-t", "1", "missing"]), "--retry is ours: waits, times out"),
        su(&["--bogus", "."]),
        su(&["--e", "modify", "."]),
        su(&["--f", "x", "."]),
        su(&["--in", "x", "."]),
        su(&["--ex", "x", "."]),
        su(&["--zero=1", "."]),
        su(&[".", "-t"]),
        su(&[".", "-e"]),
        su(&[".", "-a"]),
        su(&[".", "-d"]),
        su(&[".", "--fromfile"]),
        su(&[".", "--include"]),
        su(&["-e", "foo", "."]),
        su(&["-e", "modify,foo", "."]),
        su(&["-e", "foo", "-h"]),
        su(&["-t", "abc", "."]),
        su(&["-t", "0x10", "."]),
        su(&["-t", "", "."]),
        su(&["-t", "99999999999999999999", "."]),
        su(&["--fromfile", "a", "--fromfile", "b", "."]),
        su(&["--exclude", "a", "--excludei", "b", "."]),
        su(&["--include", "a", "--includei", "b", "."]),
        su(&["--includei", "a", "--exclude", "b", "."]),
        su(&["--exclude", "(", "."]),
        su(&["--include", "(", "."]),
        su(&["-x", "--exclude", "a", "--excludei", "b", "."]),
        su(&["-a", "move", "."]),
        su(&["-a", "close", "."]),
        su(&["-a", "foo", "."]),
        su(&["-d", "foo", "."]),
        su(&["-a", "total", "-a", "total", "."]),
        su(&["-a", "total", "-d", "total", "."]),
        su(&["-e", "modify", "-a", "create", "."]),
        su(&["-a", "isdir", "."]),
        su(&["-a", "oneshot", "."]),
        su(&["-a", "unmount", "."]),
        su(&[]),
        su(&["@x", "-r"]),
        su(&["nonexist"]),
        su(&["-r", ".", "nonexist"]),
        ours(s(["-t", "-1", "."]), "negative timeout aborts (latest)"),
        ours(s(["-d", "move", "."]), "policy: -d move rejected (reference segfaults)"),
        ours(s(["-d", "close", "."]), "policy: -d close rejected (reference segfaults)"),
        ours(s(["-a", "access,modify", "."]), "policy: multi-event key rejected"),
        ours(s(["-d", "all_events", "."]), "policy: multi-event key rejected"),
        ours(s(["-F", "nonexist"]), "fanotify: compared with 4.25.9 in fanotify.rs"),
        ours(s(["-S", "nonexist"]), "fanotify: compared with 4.25.9 in fanotify.rs"),
        ours(s(["nonexist"]).argv0("fsnotifywatch"), "fanotify: compared with 4.25.9 in fanotify.rs"),
    ];

    // ---- banners and lifecycle ----
    banners => vec![
        same(w(["-e", "create", "."]).est().sh("touch x")),
        same(w(["-r", "-e", "create", "."]).est().sh("touch x")),
        same(w(["-m", "-e", "create", "."]).est().sh("touch x").end("./ CREATE x\n")),
        same(s(["-t", "1", "."])),
        same(s(["-v", "-r", "t"]).fx("mkdir -p t/a").ready().sig(SIGINT)),
        same(s(["-v", "-t", "1", "t"]).fx("mkdir t")),
    ];

    // ---- default output and every --format directive ----
    output_default => vec![
        same(w(["-q", "f"]).fx(F).q(1).sh("chmod 600 f")),
        same(w(["-q", "-e", "create", "."]).q(1).sh("touch 'a b'")),
        same(w(["-q", "-e", "create", "."]).q(1).sh("mkdir d")),
        same(w(["-q", "-e", "attrib", "d"]).fx("mkdir d").q(1).sh("chmod 700 d")),
    ];
    format_w => vec![
        same(fmt("[%w]", &[])),
        same(w(["--format", "[%w]", "-q", "-e", "create", "d"]).fx("mkdir d").q(1).sh("touch d/x")),
        same(w(["--format", "[%w]", "-q", "-e", "create", "./d//"]).fx("mkdir d").q(1).sh("touch d/x")),
    ];
    format_f => vec![
        same(fmt("[%f]", &[])),
        same(w(["--format", "[%f]", "-q", "-e", "create", "d"]).fx("mkdir d").q(1).sh("touch 'd/n m'")),
    ];
    format_e => vec![
        same(fmt("[%e]", &[])),
        same(w(["--format", "[%e]", "-q", "-e", "close_write", "."]).q(1).sh("touch x")),
        same(w(["--format", "[%e]", "-q", "-e", "create", "."]).q(1).sh("mkdir x")),
    ];
    format_xe => vec![
        same(w(["--format", "%:e|%;e|% e|%Xe|%,e|%ne", "-q", "-e", "close_write", "."]).q(1)
            .sh("touch x")),
    ];
    format_c => vec![
        same(fmt("[%c]", &[])),
        same(w(["--format", "%c|%e|%f", "-m", "-q", "-e", "create,moved_from,moved_to", "."]).q(1)
            .sh("touch a; mv a b").end("|b\n").norm(cookies)),
    ];
    format_t => vec![
        same(fmt("[%T]", &["--timefmt", "x%%y"])),
        same(fmt("%T|%e|%T", &["--timefmt", "lit"])),
        same(fmt("[%T]", &["--timefmt", ""])),
    ];
    format_0 => vec![
        same(fmt("a%0b", &[])),
        same(fmt("%w%f%0", &["--no-newline"])),
    ];
    format_n => vec![
        same(fmt("a%nb%n", &[])),
    ];
    format_percent => vec![
        same(fmt("100%%", &[])),
        same(fmt("%%e|%%%e|%%%%", &[])),
    ];
    format_unknown => vec![
        same(fmt("%z|%q|%Z|%1|%\\", &[])),
        same(fmt("%", &[])),
        same(fmt("abc%", &["--no-newline"])),
        same(fmt("\\n\\t", &[])),
    ];
    format_no_newline => vec![
        same(fmt("%e", &["--no-newline"])),
        same(fmt("", &[])),
    ];

    format_s => vec![
        ours(fmt("[%s]", &[]), "%s is ours"),
        ours(w(["-m", "-q", "-r", "--format", "%s %e %w%f", "-e", "create", "."]).q(1)
            .sig(libc::SIGSTOP).sh("mkdir n; touch n/a").sig(libc::SIGCONT).end("./n/a\n"),
            "%s is ours"),
    ];

    // ---- JSON ----
    json_fields => vec![
        json(&["-e", "attrib", "f"], F, 1, "chmod 600 f"),
        json(&["-e", "create", "."], "", 1, "mkdir d"),
        json(&["-e", "close_write", "d"], "mkdir d", 1, "touch d/x"),
        json(&["-e", "delete_self", "f"], F, 1, "rm f"),
        ours(w(["--json", "-m", "-q", "-e", "create,moved_from,moved_to", "."]).q(1)
            .sh("touch a; mv a b").end("\"name\":\"b\"").norm(json_norm), "--json is ours"),
        ours(w(["--json", "-m", "-q", "-r", "-e", "create", "."]).q(1)
            .sig(libc::SIGSTOP).sh("mkdir n; touch n/a").sig(libc::SIGCONT)
            .end("\"path\":\"./n/a\"").norm(json_norm), "--json is ours"),
        ours(w(["--json", "-e", "attrib", "f"]).fx(F).est().sh("chmod 600 f").norm(json_norm),
            "--json is ours"),
        ours(w(["--json", "-qq", "-e", "attrib", "f"]).fx(F).q(1).sh("chmod 600 f"),
            "--json is ours"),
        ours(w(["--json", "-t", "1", "-q", "-e", "attrib", "f"]).fx(F), "--json is ours"),
    ];
    json_odd_names => vec![
        ours(w(["--json", "-m", "-q", "-e", "create", "."]).q(1)
            .sh(r#"touch 'a b' 'q"uote' 'back\slash' "$(printf 'new\nline')" \
                   "$(printf 'tab\tcr\rx')" "$(printf 'c\001\037\177x')" 'café ☃' \
                   "$(printf 'bad\377\376')" "$(printf 'cut\342\202')" \
                   "$(printf 'long\300\257')"; mkdir "$(printf 'dir\377')"; touch zz"#)
            .end("\"name\":\"zz\"").norm(json_norm), "--json is ours"),
        ours(w(["--json", "-m", "-q", "-r", "-e", "create", "."]).q(1)
            .sh(r#"mkdir "$(printf 'd\377')""#).ww(2).sh(r#"touch "$(printf 'd\377')/f""#)
            .end("\"name\":\"f\"").norm(json_norm), "--json is ours"),
    ];
    json_table => vec![
        ours(table(&["--json", "-r", "t"], TREE, ACT_TREE).norm(json_norm), "--json is ours"),
        ours(table(&["--json", "-a", "attrib", "-e", "modify,attrib,close_write,create", "-r", "t"], TREE,
            ACT_TREE).norm(json_norm), "--json is ours"),
        ours(table(&["--json", "-z", "-e", "modify", "d1", "d2"], "mkdir d1 d2", "touch d1/x")
            .norm(json_norm), "--json is ours"),
        ours(table(&["--json", "d"], "mkdir d", ":").norm(json_norm), "--json is ours"),
        ours(table(&["--json", "-e", "create", "-r", "."], r#"mkdir "$(printf 'n\377')""#,
            r#"touch "$(printf 'n\377')/a" b"#).norm(json_norm),
            "--json is ours"),
    ];

    // ---- CSV quoting ----
    csv_quoting => vec![
        same(csv_create("plain", "x")),
        same(csv_create("a dir", "x y")),
        same(csv_create("b,dir", "p,q")),
        same(csv_create("q\"d", "a\"b")),
        same(csv_create(" lead", " s")),
        same(csv_create("trail ", "t ")),
        same(w(["-c", "-q", "-e", "create", "."]).q(1).sh("touch \"$(printf 'a\\nb')\"")),
        same(w(["-c", "-q", "-e", "modify", "f"]).fx(F).q(1).sh("echo x >> f")),
        same(w(["-c", "-q", "-e", "close_write", "."]).q(1).sh("touch g")),
        same(w(["-c", "-q", "-e", "create", "."]).q(1).sh("mkdir sub")),
    ];

    // ---- inotifywatch tables ----
    table_default => vec![same(table(&["-r", "t"], TREE, ACT_TREE))];
    table_ascending => vec![
        same(table(&["-a", "total", "-r", "t"], TREE, ACT_TREE)),
        same(table(&["-a", "attrib", "-r", "t"], TREE, ACT_TREE)),
    ];
    table_descending => vec![
        same(table(&["-d", "modify", "-r", "t"], TREE, ACT_TREE)),
        same(table(&["-d", "close_nowrite", "-r", "t"], TREE, ACT_TREE)),
    ];
    table_zero => vec![
        same(table(&["-z", "-r", "t"], TREE, ACT_TREE)),
        same(table(&["-z", "-e", "modify,create,delete,unmount", "d1", "d2", "f"],
            "mkdir d1 d2; touch f", "touch d1/x")),
    ];
    table_events => vec![
        same(table(&["-e", "moved_from,moved_to,move_self,delete,delete_self", "-r", "t"],
            "mkdir -p t/a/s; touch t/a/f", "mv t/a/f t/g; mv t/a/s t/s2; rm t/g; rmdir t/s2")),
        same(table(&["-e", "modify", "f", "g"], "touch f g", "rm f; echo x >> g")),
    ];
    table_wide_numbers => vec![same(appends(34_000))];
    table_many_rows => vec![
        same(s((1..=35).map(|i| format!("d{i:02}")))
            .fx("for i in $(seq -w 1 35); do mkdir d$i; done").ready()
            .sh("for i in $(seq -w 1 35); do j=0; while [ $j -le $((${i#0} % 5)) ]; do \
                 touch d$i/f$j; j=$((j+1)); done; done")
            .drained().sig(SIGINT)),
    ];
}

/// Every file in `tests/golden/` belongs to a golden declared here.
#[test]
fn golden_files_all_declared() {
    let Ok(dir) = std::fs::read_dir(golden_dir()) else {
        return;
    };
    let mut stray: Vec<String> = dir
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.strip_suffix(".golden")
                .is_none_or(|stem| !GOLDENS.contains(&stem))
        })
        .collect();
    stray.sort();
    assert!(
        stray.is_empty(),
        "files in tests/golden/ without a declared golden: {stray:?}"
    );
}

/// The help normalisation removes exactly our own options' entries.
#[test]
fn golden_strip_ours_only_options() {
    let help = b"Options:\n\t-r|--recursive\tWatch.\n\t--no-dir-scan\tWith -r, do not\n\
                 \t              \treport it.\n\t--no-dir-scanner\tkept\n\t-I|--inotify\tx\n\
                 \t--no-dir-scan\n\t\tWith -r.\n\t\tMore.\n\t-P\n\t\tDo not.\n";
    util::assert_bytes_eq(
        "stripped help",
        b"Options:\n\t-r|--recursive\tWatch.\n\t--no-dir-scanner\tkept\n\t-I|--inotify\tx\n\
          \t-P\n\t\tDo not.\n",
        &strip_ours_only_options(help),
    );
}
