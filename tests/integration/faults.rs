//! Fault injection against the real kernel: output that cannot be written (a full
//! device, a full tmpfs, a closed pipe), exhausted inotify limits (lowered inside a
//! user namespace, so nothing global changes), absurd timeouts, regexes and time
//! formats at their limits, getopt under POSIXLY_CORRECT, unreadable directories for
//! an unprivileged user, directories vanishing during the walk, and signals in every
//! phase. Differential where the reference is the oracle; where our policy departs
//! from it (write errors, a closed pipe with SIGPIPE ignored, signals mid-burst: see
//! README, "What happens when…"), the expected bytes are written out here.

use crate::scenario::strip_new_dir_lines;
use crate::util::{self, Outcome, Ready, Run, Step};
use libc::{SIGHUP, SIGINT, SIGTERM, SIGUSR1};
use std::io::Read;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

const GROUP: &str = "rinotify-faults";
const SETUP: &str = "Setting up watches.\n";
const SETUP_R: &str = "Setting up watches.  Beware: since -r was given, this may take a while!\n";
const EST: &str = "Watches established.\n";
const ESTABLISHING: &str = "Establishing watches...\n";
const FINISHED: &str = "Finished establishing watches, now collecting statistics.\n";
const NO_EVENTS: &str = "No events occurred.\n";
const WAIT_ENOSPC: &str = "inotifywait: write error: No space left on device\n";
const WATCH_ENOSPC: &str = "inotifywatch: write error: No space left on device\n";
const TWO_LINES: &str = "No statistics have been collected because I haven't finished establishing\n\
                         inotify watches yet.  If you are sure you want me to exit, interrupt me again.\n";
const HARD: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Bin {
    Reference,
    Ours,
}

/// `TOOL ARGS` run directly, argv[0] the plain tool name.
fn direct(bin: Bin, tool: &str, dir: &Path, args: &[&str]) -> Run {
    let program = match (bin, tool) {
        (Bin::Reference, "inotifywatch") => PathBuf::from(util::REFERENCE_WATCH),
        (Bin::Reference, _) => PathBuf::from(util::REFERENCE),
        (Bin::Ours, _) => util::ours(),
    };
    let mut run = Run::new(program, dir);
    run.argv0 = tool.into();
    run.args = args.iter().map(Into::into).collect();
    run
}

/// `PREFIX… sh -c SCRIPT sh ARGS…` with `bin`'s tools first on PATH, so SCRIPT's
/// `exec inotifywait "$@"` gives both binaries the same argv[0] (and the same pid as
/// the wrapper, so readiness, watch counts and signals reach the tool).
fn wrapped(bin: Bin, dir: &Path, prefix: &[&str], script: &str, args: &[&str]) -> Run {
    let mut argv: Vec<&str> = prefix.to_vec();
    argv.extend(["sh", "-c", script, "sh"]);
    argv.extend(args);
    let mut run = Run::new(argv[0], dir);
    run.argv0 = argv[0].into();
    run.args = argv[1..].iter().map(Into::into).collect();
    run.env
        .push(("PATH".into(), util::tool_path(bin == Bin::Reference)));
    run
}

fn ready(mut run: Run, ready: Ready, steps: Vec<Step>) -> Run {
    run.ready = ready;
    run.steps = steps;
    run
}

fn sh(s: &str) -> Step {
    Step::Sh(s.into())
}
fn err(s: &str) -> Step {
    Step::WaitStderr(s.into())
}
fn out(s: &str) -> Step {
    Step::WaitStdout(s.into())
}

fn reference_installed() -> bool {
    let ok = util::reference_available(util::REFERENCE)
        && util::reference_available(util::REFERENCE_WATCH);
    if !ok {
        println!("skipped: reference not installed");
    }
    ok
}

/// Whether `script` succeeds here (cached per script), run in a scratch directory.
fn can(script: &'static str) -> bool {
    static CACHE: Mutex<Vec<(&'static str, bool)>> = Mutex::new(Vec::new());
    if let Some(&(_, ok)) = CACHE.lock().unwrap().iter().find(|(s, _)| *s == script) {
        return ok;
    }
    let dir = util::fresh_dir(GROUP, &format!("precheck-{}", CACHE.lock().unwrap().len()));
    let ok = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    CACHE.lock().unwrap().push((script, ok));
    util::wipe(&dir);
    if !ok {
        println!("skipped: this machine cannot run `{script}`");
    }
    ok
}

/// inotify limits are per user namespace: lowering them in a new one changes nothing
/// for the other tests.
const CAN_USERNS: &str = "unshare -Ur sh -c 'echo 7 > /proc/sys/user/max_inotify_watches \
                          && echo 7 > /proc/sys/user/max_inotify_instances'";
const CAN_MOUNTNS: &str =
    "mkdir m && unshare -Urm sh -c 'mount -t tmpfs -o size=16k none m && touch m/x'";
const CAN_SETPRIV: &str = "setpriv --reuid=54321 --regid=54321 --clear-groups true";

/// Panics if ours left a Rust crash on stderr.
#[track_caller]
fn sane(label: &str, o: &Outcome) {
    if let Some(mark) = util::crash_marks(&o.stderr) {
        panic!(
            "{label}: ours crashed ({mark:?} on stderr)\n{}",
            util::dump("ours", o)
        );
    }
}

/// One run of `make(bin, dir)` in a fresh `<tmp>/rinotify-faults/<name>/` after
/// `fixture`.
fn once(name: &str, fixture: &str, bin: Bin, make: &dyn Fn(Bin, &Path) -> Run) -> Outcome {
    let dir = util::fresh_dir(GROUP, name);
    util::setup(&dir, fixture);
    util::execute(&make(bin, &dir))
}

/// Reference then ours (each in the same freshly built directory); `None` when the
/// reference is missing. Panics if the reference run itself was broken.
fn both(name: &str, fixture: &str, make: &dyn Fn(Bin, &Path) -> Run) -> Option<(Outcome, Outcome)> {
    if !reference_installed() {
        return None;
    }
    let mut r = once(name, fixture, Bin::Reference, make);
    if !r.problems.is_empty() {
        // The reference has its own races (a signal landing just before its select);
        // one retry keeps a rare hang of the oracle from failing our test.
        r = once(name, fixture, Bin::Reference, make);
    }
    assert!(
        r.problems.is_empty(),
        "scenario {name} is broken under the reference itself\n{}",
        util::dump("reference", &r)
    );
    let o = once(name, fixture, Bin::Ours, make);
    Some((r, o))
}

#[track_caller]
fn assert_same(name: &str, r: &Outcome, o: &Outcome) {
    sane(name, o);
    let d = util::compare(r, o);
    if d.is_some() || !o.problems.is_empty() {
        panic!(
            "scenario {name}: ours differs from the reference\n{}\n{}{}",
            d.unwrap_or_default(),
            util::dump("reference", r),
            util::dump("ours", o)
        );
    }
}

/// Differential: stdout, stderr, exit status (and outfile) byte for byte.
fn same(name: &str, fixture: &str, make: &dyn Fn(Bin, &Path) -> Run) {
    if let Some((r, o)) = both(name, fixture, make) {
        assert_same(name, &r, &o);
        util::wipe(&std::env::temp_dir().join(GROUP).join(name));
    }
}

/// Ours alone, against written-out bytes.
#[track_caller]
fn expect(name: &str, o: &Outcome, stdout: &str, stderr: &str, status: i32) {
    sane(name, o);
    let want = Outcome {
        stdout: stdout.as_bytes().to_vec(),
        stderr: stderr.as_bytes().to_vec(),
        status: Some(status),
        outfile: o.outfile.clone(),
        problems: Vec::new(),
    };
    let d = util::compare(&want, o);
    if d.is_some() || !o.problems.is_empty() {
        panic!(
            "{name}: not the expected outcome\n{}\n{}",
            d.unwrap_or_default(),
            util::dump("ours", o)
        );
    }
}

fn ours_once(name: &str, fixture: &str, make: &dyn Fn(Bin, &Path) -> Run) -> Outcome {
    let o = once(name, fixture, Bin::Ours, make);
    sane(name, &o);
    o
}

// ---------------------------------------------------------------------------------
// Write errors (policy: one `<tool>: write error: <strerror>` line, exit 1).

/// `inotifywait ARGS >/dev/full` + an event: one write-error line, exit 1, whatever the
/// output format and mode.
#[test]
fn write_error_stdout_full_inotifywait() {
    let cases: &[(&[&str], &str)] = &[
        (&["-m", "."], "SE"),
        (&["."], "SE"),
        (&["-m", "-c", "."], "SE"),
        (&["-m", "--format", "%w%f %e", "."], "SE"),
        (&["-m", "--format", "%f", "--no-newline", "."], "SE"),
        (&["-m", "-r", "."], "RE"),
        (&["-q", "-m", "."], ""),
        (&["-q", "-t", "5", "."], ""),
    ];
    for (i, (args, prefix)) in cases.iter().enumerate() {
        let name = format!("write_error_stdout_full_inotifywait_{i}");
        let quiet = prefix.is_empty();
        let o = ours_once(&name, "", &|bin, dir| {
            ready(
                wrapped(bin, dir, &[], r#"exec inotifywait "$@" >/dev/full"#, args),
                if quiet {
                    Ready::Watches(1)
                } else {
                    Ready::Established
                },
                vec![sh("touch x")],
            )
        });
        let head = match *prefix {
            "SE" => format!("{SETUP}{EST}"),
            "RE" => format!("{SETUP_R}{EST}"),
            _ => String::new(),
        };
        expect(
            &format!("{name} {args:?}"),
            &o,
            "",
            &format!("{head}{WAIT_ENOSPC}"),
            1,
        );
    }
}

/// `-qq` prints no event, so nothing is written and a full stdout is no error.
#[test]
fn write_error_not_raised_when_nothing_is_written() {
    let o = ours_once("write_error_qq", "", &|bin, dir| {
        ready(
            wrapped(
                bin,
                dir,
                &[],
                r#"exec inotifywait "$@" >/dev/full"#,
                &["-qq", "."],
            ),
            Ready::Watches(1),
            vec![sh("touch x")],
        )
    });
    expect("write_error_qq", &o, "", "", 0);
}

/// inotifywatch's table to `/dev/full`: one write-error line, exit 1, whichever signal
/// asked for it; with no event nothing is written (`No events occurred.` is stderr).
#[test]
fn write_error_stdout_full_inotifywatch() {
    for (i, sig) in [SIGINT, SIGTERM, SIGHUP, SIGUSR1].into_iter().enumerate() {
        let name = format!("write_error_stdout_full_inotifywatch_{i}");
        let o = ours_once(&name, "", &|bin, dir| {
            ready(
                wrapped(
                    bin,
                    dir,
                    &[],
                    r#"exec inotifywatch "$@" >/dev/full"#,
                    &["."],
                ),
                Ready::Immediately,
                vec![
                    err(FINISHED),
                    sh("touch x"),
                    Step::Drained,
                    Step::Signal(sig),
                ],
            )
        });
        expect(
            &format!("{name} (signal {sig})"),
            &o,
            "",
            &format!("{ESTABLISHING}{FINISHED}{WATCH_ENOSPC}"),
            1,
        );
    }
    let o = ours_once("write_error_inotifywatch_no_events", "", &|bin, dir| {
        ready(
            wrapped(
                bin,
                dir,
                &[],
                r#"exec inotifywatch "$@" >/dev/full"#,
                &["."],
            ),
            Ready::Immediately,
            vec![err(FINISHED), Step::Signal(SIGINT)],
        )
    });
    expect(
        "write_error_inotifywatch_no_events",
        &o,
        "",
        &format!("{ESTABLISHING}{FINISHED}{NO_EVENTS}"),
        0,
    );
}

/// Mount a 16 KiB tmpfs on `m` in a private mount namespace and fill it up.
const FULL_TMPFS: &str = "mount -t tmpfs -o size=16k none m || exit 99; \
                          head -c 65536 /dev/zero > m/fill 2>/dev/null; ";

/// `-o FILE` on a full filesystem: the same one line, exit 1.
#[test]
fn write_error_outfile_on_full_tmpfs() {
    if !can(CAN_MOUNTNS) {
        return;
    }
    let cases: &[(&[&str], Ready, &str)] = &[
        (&["-m", "-o", "m/out", "w"], Ready::Established, "SE"),
        (&["-o", "m/out", "-c", "w"], Ready::Established, "SE"),
        (&["-q", "-m", "-o", "m/out", "w"], Ready::Watches(1), ""),
    ];
    for (i, (args, rdy, prefix)) in cases.iter().enumerate() {
        let name = format!("write_error_outfile_on_full_tmpfs_{i}");
        let o = ours_once(&name, "mkdir m w", &|bin, dir| {
            ready(
                wrapped(
                    bin,
                    dir,
                    &["unshare", "-Urm"],
                    &format!(r#"{FULL_TMPFS} exec inotifywait "$@""#),
                    args,
                ),
                rdy.clone(),
                vec![sh("touch w/x")],
            )
        });
        let head = if prefix.is_empty() {
            String::new()
        } else {
            format!("{SETUP}{EST}")
        };
        expect(
            &format!("{name} {args:?}"),
            &o,
            "",
            &format!("{head}{WAIT_ENOSPC}"),
            1,
        );
    }
}

/// A syslog server: a datagram socket bound in the scenario directory, bind-mounted
/// on `/dev/log` inside a private mount namespace (whose `/dev` is a tmpfs holding
/// only null, zero, full and log), collecting every message.
struct Syslog {
    messages: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    reader: Option<thread::JoinHandle<()>>,
}

/// Replaces `/dev` as described at [`Syslog`]; `$1` is the socket, shifted away.
const PRIVATE_DEV: &str = "S=$1; shift; \
     mount -t tmpfs none stage || exit 99; \
     for n in null zero full; do touch stage/$n && mount --bind /dev/$n stage/$n || exit 99; done; \
     touch stage/log && mount --bind \"$S\" stage/log && mount --rbind stage /dev || exit 99; ";

impl Syslog {
    fn start(path: &Path) -> Syslog {
        let sock = UnixDatagram::bind(path).expect("bind syslog socket");
        sock.set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (m, s) = (messages.clone(), stop.clone());
        let reader = thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            while !s.load(Ordering::Relaxed) {
                if let Ok(n) = sock.recv(&mut buf) {
                    m.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&buf[..n]).into_owned());
                }
            }
        });
        Syslog {
            messages,
            stop,
            reader: Some(reader),
        }
    }

    /// Message texts (after `ident[pid]: `).
    fn texts(&self) -> Vec<String> {
        self.messages
            .lock()
            .unwrap()
            .iter()
            .map(|m| {
                m.split_once("]: ")
                    .map_or(m.as_str(), |(_, t)| t)
                    .to_string()
            })
            .collect()
    }

    /// Waits until a message contains `needle`; returns the pid it was logged under.
    fn wait_for(&self, needle: &str) -> u32 {
        let start = Instant::now();
        loop {
            let found = self.messages.lock().unwrap().iter().find_map(|m| {
                m.contains(needle).then(|| {
                    let (head, _) = m.split_once("]: ")?;
                    head.rsplit_once('[')?.1.parse().ok()
                })
            });
            if let Some(pid) = found {
                return pid.unwrap_or(0);
            }
            assert!(
                start.elapsed() < HARD,
                "timed out waiting for {needle:?} in syslog; got {:?}",
                self.messages.lock().unwrap()
            );
            thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Drop for Syslog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

/// Whether `pid` is gone or a zombie.
fn gone(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| {
        s.rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    })
}

fn wait_gone(pid: u32) -> bool {
    let start = Instant::now();
    while !gone(pid) {
        if start.elapsed() > HARD {
            return false;
        }
        thread::sleep(Duration::from_millis(2));
    }
    true
}

/// With `-s` the write error goes to syslog, not stderr; exit 1 all the same.
#[test]
fn write_error_syslog() {
    if !can(CAN_MOUNTNS) {
        return;
    }
    let name = "write_error_syslog";
    let dir = util::fresh_dir(GROUP, name);
    util::setup(&dir, "mkdir stage w");
    let log = Syslog::start(&dir.join("log.sock"));
    let sock = dir.join("log.sock");
    let run = ready(
        wrapped(
            Bin::Ours,
            &dir,
            &["unshare", "-Urm"],
            &format!(r#"exec 3>/dev/full; {PRIVATE_DEV} exec inotifywait "$@" >&3 3>&-"#),
            &[sock.to_str().unwrap(), "-s", "-m", "w"],
        ),
        Ready::Watches(1),
        vec![Step::Drained, sh("touch w/x")],
    );
    let o = util::execute(&run);
    expect(name, &o, "", "", 1);
    log.wait_for("write error");
    assert_eq!(
        log.texts(),
        [
            "Setting up watches.",
            "Watches established.",
            WAIT_ENOSPC.trim_end()
        ],
        "syslog of {name}"
    );
    drop(log);
    util::wipe(&dir);
}

/// `-d -o FILE` on a full filesystem: the daemon logs the write error to syslog and
/// exits; nothing is left watching.
#[test]
fn write_error_daemon_outfile_full() {
    if !can(CAN_MOUNTNS) {
        return;
    }
    let name = "write_error_daemon_outfile_full";
    let dir = util::fresh_dir(GROUP, name);
    util::setup(&dir, "mkdir stage m w");
    let log = Syslog::start(&dir.join("log.sock"));
    let sock = dir.join("log.sock");
    let w = dir.join("w");
    let run = wrapped(
        Bin::Ours,
        &dir,
        &["unshare", "-Urm"],
        &format!(
            r#"{PRIVATE_DEV} mount -t tmpfs -o size=16k none m || exit 99; : > m/out; head -c 65536 /dev/zero > m/fill 2>/dev/null; exec inotifywait "$@""#
        ),
        &[
            sock.to_str().unwrap(),
            "-d",
            "-o",
            "m/out",
            "-e",
            "create",
            w.to_str().unwrap(),
        ],
    );
    let o = util::execute(&run);
    expect(name, &o, "", "", 0);
    let daemon = log.wait_for("Watches established.");
    util::setup(&dir, "touch w/x");
    log.wait_for("write error");
    let exited = wait_gone(daemon);
    if !exited {
        // SAFETY: kill(2) on the daemon this test started (pid from its own syslog).
        unsafe { libc::kill(daemon as i32, libc::SIGKILL) };
    }
    assert!(
        exited,
        "{name}: the daemon {daemon} kept running after the write error"
    );
    assert_eq!(
        log.texts(),
        [
            "Setting up watches.",
            "Watches established.",
            WAIT_ENOSPC.trim_end()
        ],
        "syslog of {name}"
    );
    assert_eq!(
        util::watchers_of(&w),
        Vec::<u32>::new(),
        "{name}: still watched"
    );
    drop(log);
    util::wipe(&dir);
}

// ---------------------------------------------------------------------------------
// Closed pipes.

/// `inotifywait -m . | head -n1`: killed by SIGPIPE at the next event, nothing on
/// stderr after `Watches established.` (differential).
#[test]
fn closed_pipe_kills_by_sigpipe() {
    same("closed_pipe_sigpipe_wait", "", &|bin, dir| {
        let mut run = direct(bin, "inotifywait", dir, &["-m", "."]);
        run.filter = Some(vec!["head".into(), "-n1".into()]);
        ready(
            run,
            Ready::Established,
            vec![sh("touch a"), Step::WaitFilterExit, sh("touch b; touch c")],
        )
    });
    same("closed_pipe_sigpipe_watch", "", &|bin, dir| {
        let mut run = direct(bin, "inotifywatch", dir, &["."]);
        run.filter = Some(vec!["head".into(), "-c0".into()]);
        ready(
            run,
            Ready::Immediately,
            vec![
                err(FINISHED),
                Step::WaitFilterExit,
                sh("touch a"),
                Step::Drained,
                Step::Signal(SIGINT),
            ],
        )
    });
}

/// With SIGPIPE inherited as ignored, EPIPE ends ours quietly with exit 1 (no
/// `write error` line). The reference ignores the error and runs on.
#[test]
fn closed_pipe_with_sigpipe_ignored_exits_quietly() {
    let o = ours_once("closed_pipe_ignored_wait", "", &|bin, dir| {
        let mut run = wrapped(
            bin,
            dir,
            &[],
            r#"trap '' PIPE; exec inotifywait "$@""#,
            &["-m", "."],
        );
        run.filter = Some(vec!["head".into(), "-n1".into()]);
        ready(
            run,
            Ready::Established,
            vec![sh("touch a"), Step::WaitFilterExit, sh("touch b; touch c")],
        )
    });
    expect(
        "closed_pipe_ignored_wait",
        &o,
        "./ CREATE a\n",
        &format!("{SETUP}{EST}"),
        1,
    );
    let o = ours_once("closed_pipe_ignored_watch", "", &|bin, dir| {
        let mut run = wrapped(
            bin,
            dir,
            &[],
            r#"trap '' PIPE; exec inotifywatch "$@""#,
            &["."],
        );
        run.filter = Some(vec!["head".into(), "-c0".into()]);
        ready(
            run,
            Ready::Immediately,
            vec![
                err(FINISHED),
                Step::WaitFilterExit,
                sh("touch a"),
                Step::Drained,
                Step::Signal(SIGINT),
            ],
        )
    });
    expect(
        "closed_pipe_ignored_watch",
        &o,
        "",
        &format!("{ESTABLISHING}{FINISHED}"),
        1,
    );
}

// ---------------------------------------------------------------------------------
// Timeouts at the edge of the integer types (no panic, no early expiry).

const HUGE_TIMEOUTS: &[&str] = &[
    "9223372036854775807",
    "9223372036854775806",
    "9223372036854776",
    "18446744073",
    "18446744074",
    "18446744073709552",
    "4294967296",
    "2147483648",
];

/// `inotifywait -t HUGE .` waits; the event ends it with exit 0 (and `-m -t HUGE` runs
/// until killed).
#[test]
fn huge_timeout_inotifywait() {
    for (i, t) in HUGE_TIMEOUTS.iter().enumerate() {
        same(&format!("huge_timeout_wait_{i}"), "", &|bin, dir| {
            ready(
                direct(bin, "inotifywait", dir, &["-t", t, "."]),
                Ready::Established,
                vec![sh("touch x")],
            )
        });
        same(&format!("huge_timeout_wait_m_{i}"), "", &|bin, dir| {
            ready(
                direct(
                    bin,
                    "inotifywait",
                    dir,
                    &["-m", "-e", "create", "-t", t, "."],
                ),
                Ready::Established,
                vec![sh("touch x"), out("./ CREATE x\n"), Step::Signal(SIGTERM)],
            )
        });
    }
}

/// `inotifywatch -t HUGE .`: collects until SIGINT, then the table (or `No events
/// occurred.`), exit 0.
#[test]
fn huge_timeout_inotifywatch() {
    for (i, t) in HUGE_TIMEOUTS.iter().enumerate() {
        same(&format!("huge_timeout_watch_{i}"), "", &|bin, dir| {
            ready(
                direct(bin, "inotifywatch", dir, &["-t", t, "."]),
                Ready::Immediately,
                vec![
                    err(FINISHED),
                    sh("touch x"),
                    Step::Drained,
                    Step::Signal(SIGINT),
                ],
            )
        });
        same(&format!("huge_timeout_watch_none_{i}"), "", &|bin, dir| {
            ready(
                direct(bin, "inotifywatch", dir, &["-t", t, "."]),
                Ready::Immediately,
                vec![err(FINISHED), Step::Signal(SIGINT)],
            )
        });
    }
}

// ---------------------------------------------------------------------------------
// Kernel limits, lowered in a private user namespace.

/// `unshare -Ur`: set `max_inotify_watches` to `$1`, then run the tool.
fn limited(bin: Bin, dir: &Path, tool: &str, limit: &str, args: &[&str]) -> Run {
    let mut all = vec![limit];
    all.extend(args);
    wrapped(
        bin,
        dir,
        &["unshare", "-Ur"],
        &format!(
            r#"echo "$1" > /proc/sys/user/max_inotify_watches || exit 99; shift; exec {tool} "$@""#
        ),
        &all,
    )
}

/// The watch limit reached at start-up: the reference's two lines, exit 1.
#[test]
fn watch_limit_at_startup() {
    if !can(CAN_USERNS) {
        return;
    }
    const TREE: &str = "mkdir -p t/a/b t/c; touch f g";
    let cases: &[(&str, &str, &[&str])] = &[
        ("inotifywait", "1", &["-r", "-t", "1", "t"]),
        ("inotifywait", "2", &["-r", "-t", "1", "t"]),
        ("inotifywait", "3", &["-m", "-r", "t"]),
        ("inotifywait", "1", &["-t", "1", "f", "g"]),
        ("inotifywait", "1", &["-q", "-t", "1", "f", "g", "t"]),
        (
            "inotifywait",
            "1",
            &["-m", "-r", "-q", "-e", "create", "f", "t"],
        ),
        ("inotifywatch", "1", &["-r", "-t", "1", "t"]),
        ("inotifywatch", "2", &["-v", "-r", "t"]),
        ("inotifywatch", "1", &["-t", "1", "f", "g"]),
    ];
    for (i, (tool, limit, args)) in cases.iter().enumerate() {
        same(&format!("watch_limit_at_startup_{i}"), TREE, &|bin, dir| {
            limited(bin, dir, tool, limit, args)
        });
    }
}

/// Under `-m -r` a new directory past the limit: `Watching new directory t/n2/`, then
/// `Couldn't watch new directory t/n2/: No space left on device`, and the watcher goes
/// on (differential apart from the `Watching new directory` lines, which 3.22.6 does
/// not print).
#[test]
fn watch_limit_new_directory() {
    if !can(CAN_USERNS) {
        return;
    }
    const FAIL: &str = "Couldn't watch new directory t/n2/: No space left on device\n";
    for (i, quiet) in [false, true].into_iter().enumerate() {
        let name = format!("watch_limit_new_directory_{i}");
        let args: &[&str] = if quiet {
            &["-q", "-m", "-r", "-e", "create", "t"]
        } else {
            &["-m", "-r", "-e", "create", "t"]
        };
        let Some((r, o)) = both(&name, "mkdir t", &|bin, dir| {
            ready(
                limited(bin, dir, "inotifywait", "2", args),
                if quiet {
                    Ready::Watches(1)
                } else {
                    Ready::Established
                },
                vec![
                    sh("mkdir t/n1"),
                    Step::WaitWatches(2),
                    sh("mkdir t/n2"),
                    err(FAIL),
                    sh("touch t/x"),
                    out("t/ CREATE x\n"),
                    sh("touch t/n1/y"),
                    out("t/n1/ CREATE y\n"),
                    Step::Signal(SIGTERM),
                ],
            )
        }) else {
            return;
        };
        let (head, new) = if quiet {
            (String::new(), String::new())
        } else {
            (
                format!("{SETUP_R}{EST}"),
                "Watching new directory t/n1/\nWatching new directory t/n2/\n".to_string(),
            )
        };
        expect(
            &name,
            &o,
            "t/ CREATE,ISDIR n1\nt/ CREATE,ISDIR n2\nt/ CREATE x\nt/n1/ CREATE y\n",
            &format!("{head}{new}{FAIL}"),
            143,
        );
        let mut stripped = o.clone();
        stripped.stderr = strip_new_dir_lines(&o.stderr);
        assert_same(&name, &r, &stripped);
    }
}

/// inotifywatch `-r`: a new directory past the limit is reported the same way and the
/// statistics go on (differential apart from `Watching new directory` lines).
#[test]
fn watch_limit_new_directory_inotifywatch() {
    if !can(CAN_USERNS) {
        return;
    }
    let name = "watch_limit_new_directory_inotifywatch";
    let Some((r, mut o)) = both(name, "mkdir t", &|bin, dir| {
        ready(
            limited(bin, dir, "inotifywatch", "2", &["-r", "-e", "create", "t"]),
            Ready::Immediately,
            vec![
                err(FINISHED),
                sh("mkdir t/n1"),
                Step::WaitWatches(2),
                sh("mkdir t/n2"),
                Step::Drained,
                sh("touch t/x t/n1/y"),
                Step::Drained,
                Step::Signal(SIGINT),
            ],
        )
    }) else {
        return;
    };
    sane(name, &o);
    o.stderr = strip_new_dir_lines(&o.stderr);
    assert_same(name, &r, &o);
}

/// `max_user_instances` reached: `Couldn't initialize inotify: Too many open files` and
/// the hint, exit 1 (differential).
#[test]
fn instance_limit() {
    if !can(CAN_USERNS) {
        return;
    }
    let cases: &[(&str, &[&str])] = &[
        ("inotifywait", &["-t", "1", "."]),
        ("inotifywait", &["-m", "-r", "-q", "."]),
        ("inotifywait", &["-o", "log", "-c", "."]),
        ("inotifywatch", &["-t", "1", "."]),
        ("inotifywatch", &["-v", "-r", "."]),
    ];
    for (i, (tool, args)) in cases.iter().enumerate() {
        same(&format!("instance_limit_{i}"), "", &|bin, dir| {
            wrapped(
                bin,
                dir,
                &["unshare", "-Ur"],
                &format!(
                    r#"echo 0 > /proc/sys/user/max_inotify_instances || exit 99; exec {tool} "$@""#
                ),
                args,
            )
        });
    }
}

// ---------------------------------------------------------------------------------
// getopt under POSIXLY_CORRECT, long time formats, huge regex repetitions.

/// `POSIXLY_CORRECT=1`: options end at the first operand (`Couldn't watch -t`).
#[test]
fn posixly_correct_stops_at_first_operand() {
    let cases: &[(&str, &[&str])] = &[
        ("inotifywait", &["w", "-t", "1"]),
        ("inotifywait", &["-q", "w", "-m"]),
        ("inotifywait", &["-m", "w", "--", "-x"]),
        ("inotifywait", &["w", "--format", "%w"]),
        ("inotifywait", &["-x", "w"]),
        ("inotifywait", &["--bogus", "w"]),
        ("inotifywatch", &["w", "-t", "1"]),
        ("inotifywatch", &["-v", "w", "-z"]),
    ];
    for (i, (tool, args)) in cases.iter().enumerate() {
        same(&format!("posixly_correct_{i}"), "mkdir w", &|bin, dir| {
            let mut run = direct(bin, tool, dir, args);
            run.env.push(("POSIXLY_CORRECT".into(), "1".into()));
            run
        });
    }
    // Options before the first operand still count.
    same("posixly_correct_options_first", "mkdir w", &|bin, dir| {
        let mut run = direct(bin, "inotifywait", dir, &["-e", "create", "w"]);
        run.env.push(("POSIXLY_CORRECT".into(), "1".into()));
        ready(run, Ready::Established, vec![sh("touch w/x")])
    });
}

/// `--timefmt` expanding to 4094, 4095, 4096 bytes: the reference drops the event
/// line from 4095 on (differential: bytes and exit status).
#[test]
fn timefmt_length_limit() {
    let cases: &[(&str, usize, bool)] = &[
        ("%T", 4094, false),
        ("%T", 4095, false),
        ("%T", 4096, false),
        ("%T", 4094, true),
        ("%T", 4095, true),
        ("%T", 4096, true),
        ("a%T", 4093, false),
        ("a%T", 4094, false),
    ];
    for (i, (fmt, n, no_newline)) in cases.iter().enumerate() {
        let timefmt = "x".repeat(*n);
        same(&format!("timefmt_length_{i}"), "touch f", &|bin, dir| {
            let mut args = vec!["-q", "-e", "attrib", "--format", fmt, "--timefmt", &timefmt];
            if *no_newline {
                args.push("--no-newline");
            }
            args.push("f");
            ready(
                direct(bin, "inotifywait", dir, &args),
                Ready::Watches(1),
                vec![sh("chmod 600 f")],
            )
        });
    }
}

/// Repetition counts past RE_DUP_MAX (32767): the reference's one-line regex error,
/// exit 1, for every filter option of both tools.
#[test]
fn regex_repetition_limit() {
    let pats = ["a{32768}", "a{1,32768}", "a{32768,}", "(ab){99999999999}"];
    let mut i = 0;
    for tool in ["inotifywait", "inotifywatch"] {
        for opt in ["--exclude", "--excludei", "--include", "--includei"] {
            for pat in pats {
                same(&format!("regex_repetition_{i}"), "", &|bin, dir| {
                    direct(bin, tool, dir, &[opt, pat, "-t", "1", "."])
                });
                i += 1;
            }
        }
    }
    // The largest legal count is accepted by both.
    same("regex_repetition_max", "", &|bin, dir| {
        ready(
            direct(
                bin,
                "inotifywait",
                dir,
                &["--exclude", "a{32767}", "-e", "create", "."],
            ),
            Ready::Established,
            vec![sh("touch x")],
        )
    });
}

// ---------------------------------------------------------------------------------
// Signals.

/// SIGUSR1 sent the moment `Finished establishing watches…` is read never kills
/// inotifywatch: `No events occurred.` and an empty stdout line, then SIGINT → exit 0.
#[test]
fn sigusr1_right_after_setup_never_kills() {
    let dir = util::fresh_dir(GROUP, "sigusr1_race");
    for round in 0..20 {
        let mut child = Command::new(util::ours());
        std::os::unix::process::CommandExt::arg0(&mut child, "inotifywatch");
        let mut child = child
            .arg(".")
            .current_dir(&dir)
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ours");
        let pid = child.id() as i32;
        let mut stderr = child.stderr.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let outbuf = thread::spawn(move || {
            let mut v = Vec::new();
            let _ = stdout.read_to_end(&mut v);
            v
        });
        // Read stderr byte by byte and signal as soon as the line is complete.
        let mut seen = Vec::new();
        let mut b = [0u8; 1];
        let deadline = Instant::now() + HARD;
        while !seen.ends_with(FINISHED.as_bytes()) {
            match stderr.read(&mut b) {
                Ok(1) => seen.push(b[0]),
                _ => break,
            }
            if Instant::now() > deadline {
                break;
            }
        }
        // SAFETY: signals to our own, unreaped child.
        unsafe { libc::kill(pid, SIGUSR1) };
        let errbuf = thread::spawn(move || {
            let mut v = Vec::new();
            let _ = stderr.read_to_end(&mut v);
            v
        });
        // Still alive once the snapshot is out: wait for the end of its stdout line.
        let start = Instant::now();
        let mut alive = true;
        while start.elapsed() < HARD {
            if let Ok(Some(_)) = child.try_wait() {
                alive = false;
                break;
            }
            if util::drained(pid as u32) && start.elapsed() > Duration::from_millis(20) {
                break;
            }
            thread::sleep(Duration::from_millis(2));
        }
        if alive {
            // SAFETY: as above.
            unsafe { libc::kill(pid, SIGINT) };
        }
        let st = wait_child(&mut child);
        let rest = errbuf.join().unwrap();
        seen.extend(rest);
        let o = Outcome {
            stdout: outbuf.join().unwrap(),
            stderr: seen,
            status: st,
            outfile: None,
            problems: if alive {
                Vec::new()
            } else {
                vec!["exited before SIGINT".into()]
            },
        };
        expect(
            &format!("sigusr1_race round {round}"),
            &o,
            "\n",
            &format!("{ESTABLISHING}{FINISHED}{NO_EVENTS}{NO_EVENTS}"),
            0,
        );
    }
    util::wipe(&dir);
}

/// Waits (hard deadline, then SIGKILL) and returns the exit code or 128+signal.
fn wait_child(child: &mut std::process::Child) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    let start = Instant::now();
    loop {
        if let Ok(Some(st)) = child.try_wait() {
            return Some(st.code().unwrap_or_else(|| 128 + st.signal().unwrap_or(0)));
        }
        if start.elapsed() > HARD {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(Duration::from_millis(2));
    }
}

/// A tree of `n` flat directories `t/d1 … t/dN` shared by the set-up-phase signal tests
/// (built once; the runs never change it).
fn big_tree(n: usize) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = util::fresh_dir(GROUP, "big_tree");
        util::setup(
            &dir,
            &format!("mkdir t && cd t && seq 1 {n} | sed 's/^/d/' | xargs mkdir"),
        );
        dir
    })
    .clone()
}

/// Reference then ours in an existing directory (not rebuilt).
fn same_in(name: &str, dir: &Path, make: &dyn Fn(Bin, &Path) -> Run) {
    if !reference_installed() {
        return;
    }
    let mut r = util::execute(&make(Bin::Reference, dir));
    if !r.problems.is_empty() {
        r = util::execute(&make(Bin::Reference, dir));
    }
    assert!(
        r.problems.is_empty(),
        "scenario {name} is broken under the reference itself\n{}",
        util::dump("reference", &r)
    );
    let o = util::execute(&make(Bin::Ours, dir));
    assert_same(name, &r, &o);
}

/// Signals during the set-up of a 12,000-directory tree. inotifywait dies by each of
/// them; inotifywatch dies by TERM/HUP/USR1, and SIGINT once prints the two-line notice
/// and goes on, twice aborts (differential).
#[test]
fn signals_during_setup() {
    let _heavy = util::heavy();
    let dir = big_tree(12_000);
    for sig in [SIGTERM, SIGINT, SIGHUP, SIGUSR1] {
        let name = format!("setup_signal_wait_{sig}");
        same_in(&name, &dir, &|bin, dir| {
            ready(
                direct(bin, "inotifywait", dir, &["-m", "-r", "t"]),
                Ready::Immediately,
                vec![err(SETUP_R), Step::Signal(sig)],
            )
        });
    }
    for sig in [SIGTERM, SIGHUP, SIGUSR1] {
        let name = format!("setup_signal_watch_{sig}");
        same_in(&name, &dir, &|bin, dir| {
            ready(
                direct(bin, "inotifywatch", dir, &["-r", "t"]),
                Ready::Immediately,
                vec![err(ESTABLISHING), Step::Signal(sig)],
            )
        });
    }
    same_in("setup_sigint_once_watch", &dir, &|bin, dir| {
        ready(
            direct(bin, "inotifywatch", dir, &["-r", "t"]),
            Ready::Immediately,
            vec![
                err(ESTABLISHING),
                Step::Signal(SIGINT),
                err(FINISHED),
                Step::Signal(SIGINT),
            ],
        )
    });
    same_in("setup_sigint_twice_watch", &dir, &|bin, dir| {
        ready(
            direct(bin, "inotifywatch", dir, &["-r", "t"]),
            Ready::Immediately,
            vec![
                err(ESTABLISHING),
                Step::Signal(SIGINT),
                err("interrupt me again.\n"),
                Step::Signal(SIGINT),
            ],
        )
    });
    // The notice is exactly the reference's two lines.
    let o = util::execute(&ready(
        direct(Bin::Ours, "inotifywatch", &dir, &["-r", "t"]),
        Ready::Immediately,
        vec![
            err(ESTABLISHING),
            Step::Signal(SIGINT),
            err(FINISHED),
            Step::Signal(SIGINT),
        ],
    ));
    expect(
        "setup_sigint_once_watch (ours)",
        &o,
        "",
        &format!("{ESTABLISHING}{TWO_LINES}{FINISHED}{NO_EVENTS}"),
        0,
    );
}

/// Signals while waiting: inotifywait dies by each; inotifywatch prints the table (or
/// `No events occurred.`) and exits 0 on INT/TERM/HUP, and USR1 snapshots (differential).
#[test]
fn signals_while_waiting() {
    for sig in [SIGTERM, SIGINT, SIGHUP, SIGUSR1] {
        same(&format!("wait_signal_wait_{sig}"), "", &|bin, dir| {
            ready(
                direct(bin, "inotifywait", dir, &["-m", "."]),
                Ready::Established,
                vec![Step::Signal(sig)],
            )
        });
        same(
            &format!("wait_signal_wait_after_event_{sig}"),
            "",
            &|bin, dir| {
                ready(
                    direct(bin, "inotifywait", dir, &["-m", "-e", "create", "."]),
                    Ready::Established,
                    vec![sh("touch x"), out("./ CREATE x\n"), Step::Signal(sig)],
                )
            },
        );
    }
    for sig in [SIGTERM, SIGINT, SIGHUP] {
        same(&format!("wait_signal_watch_{sig}"), "", &|bin, dir| {
            ready(
                direct(bin, "inotifywatch", dir, &["."]),
                Ready::Immediately,
                vec![err(FINISHED), Step::Signal(sig)],
            )
        });
        same(
            &format!("wait_signal_watch_after_event_{sig}"),
            "",
            &|bin, dir| {
                ready(
                    direct(bin, "inotifywatch", dir, &["."]),
                    Ready::Immediately,
                    vec![
                        err(FINISHED),
                        sh("touch x"),
                        Step::Drained,
                        Step::Signal(sig),
                    ],
                )
            },
        );
    }
    same("wait_signal_watch_usr1", "", &|bin, dir| {
        ready(
            direct(bin, "inotifywatch", dir, &["."]),
            Ready::Immediately,
            vec![
                err(FINISHED),
                Step::Signal(SIGUSR1),
                err(NO_EVENTS),
                sh("touch x"),
                Step::Drained,
                Step::Signal(SIGINT),
            ],
        )
    });
}

/// A background writer (`echo x >> f` in a loop) started by a step; its pid is in
/// `writer.pid`. Killed when dropped.
struct Writer(PathBuf);

const START_WRITER: &str =
    "(while :; do echo x >> f; done) >/dev/null 2>&1 </dev/null & echo $! > writer.pid";

impl Drop for Writer {
    fn drop(&mut self) {
        if let Some(pid) = std::fs::read_to_string(self.0.join("writer.pid"))
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok())
        {
            // SAFETY: kill(2) on the writer loop this test started.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            let _ = std::fs::remove_file(self.0.join("writer.pid"));
            let start = Instant::now();
            while !gone(pid as u32) && start.elapsed() < HARD {
                thread::sleep(Duration::from_millis(2));
            }
        }
    }
}

/// One run under a writer loop, in `<tmp>/rinotify-faults/<name>/`.
/// Returns the outcome, the number of appends made, and how long the run took.
fn under_writer(
    name: &str,
    bin: Bin,
    make: &dyn Fn(Bin, &Path) -> Run,
) -> (Outcome, usize, Duration) {
    let dir = util::fresh_dir(GROUP, name);
    util::setup(&dir, "touch f");
    let (o, took) = {
        let _writer = Writer(dir.clone());
        let t = Instant::now();
        let o = util::execute(&make(bin, &dir));
        (o, t.elapsed())
    };
    let written = std::fs::metadata(dir.join("f")).map_or(0, |m| m.len() as usize / 2);
    (o, written, took)
}

/// Signals mid-burst: inotifywait dies by each (stderr and status as the reference's;
/// what was printed is whole `f MODIFY ` lines).
#[test]
fn signals_mid_burst_inotifywait() {
    if !reference_installed() {
        return;
    }
    for sig in [SIGTERM, SIGINT, SIGHUP, SIGUSR1] {
        let name = format!("burst_signal_wait_{sig}");
        let make = |bin, dir: &Path| {
            ready(
                direct(bin, "inotifywait", dir, &["-m", "-e", "modify", "f"]),
                Ready::Established,
                vec![
                    sh(START_WRITER),
                    out("f MODIFY \nf MODIFY \n"),
                    Step::Signal(sig),
                ],
            )
        };
        let (r, _, _) = under_writer(&name, Bin::Reference, &make);
        let (o, _, _) = under_writer(&name, Bin::Ours, &make);
        sane(&name, &o);
        assert!(r.problems.is_empty(), "{}", util::dump("reference", &r));
        let same_end = r.status == o.status && r.stderr == o.stderr && o.problems.is_empty();
        let text = String::from_utf8_lossy(&o.stdout);
        let whole = text
            .split_inclusive('\n')
            .filter(|l| l.ends_with('\n'))
            .all(|l| l == "f MODIFY \n");
        assert!(
            same_end && whole && o.status == Some(128 + sig),
            "{name}: expected death by signal {sig} as the reference, whole lines\n{}{}",
            util::dump("reference", &r),
            util::dump("ours", &o)
        );
        util::wipe(&std::env::temp_dir().join(GROUP).join(&name));
    }
}

/// How long a run ended by a signal mid-burst may take in all.
const STOP_WITHIN: Duration = Duration::from_secs(2);

/// inotifywatch TERM mid-burst: the table, exit 0, counts consistent with what the
/// writer did (everything queued before the signal counted, nothing invented).
#[test]
fn sigterm_mid_burst_inotifywatch() {
    for (i, sig) in [SIGTERM, SIGINT, SIGHUP].into_iter().enumerate() {
        let name = format!("burst_signal_watch_{i}");
        let before = "x\n".repeat(500);
        let make = |bin, dir: &Path| {
            ready(
                direct(bin, "inotifywatch", dir, &["f"]),
                Ready::Immediately,
                vec![
                    err(FINISHED),
                    sh(START_WRITER),
                    Step::WaitFile("f".into(), before.clone()),
                    Step::Signal(sig),
                ],
            )
        };
        if util::reference_available(util::REFERENCE_WATCH) {
            // The scenario is sound: the reference ends with a table and exit 0.
            let (r, _, _) = under_writer(&name, Bin::Reference, &make);
            assert!(
                r.problems.is_empty()
                    && r.status == Some(0)
                    && String::from_utf8_lossy(&r.stdout).starts_with("total"),
                "{name} is broken under the reference itself\n{}",
                util::dump("reference", &r)
            );
        }
        let (o, written, took) = under_writer(&name, Bin::Ours, &make);
        sane(&name, &o);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let (h, rows) = util::parse_table(&text);
        let col = |c: &str| {
            h.iter()
                .position(|x| x == c)
                .and_then(|p| rows.first().map(|r| r.0[p]))
                .unwrap_or(0)
        };
        // The harness's WaitFile reads `f` too: its opens close without writing.
        let (total, modify, open, close) = (
            col("total"),
            col("modify"),
            col("open"),
            col("close_write") + col("close_nowrite"),
        );
        let sum: u64 = rows.first().map_or(0, |r| r.0.iter().skip(1).sum());
        // The reference ends within some 30 ms of the signal; the run (set-up, 500
        // appends, signal, table) must not take seconds while the writer goes on.
        let ok = o.status == Some(0)
            && took < STOP_WITHIN
            && o.problems.is_empty()
            && o.stderr == format!("{ESTABLISHING}{FINISHED}").as_bytes()
            && rows.len() == 1
            && rows[0].1 == "f"
            && total == sum
            // The 500th append may be seen in the file just before its MODIFY is queued.
            && modify >= 499
            && modify as usize <= written
            // The kernel merges an event identical to the one queued last, so the
            // harness's few reads can hide a few of the writer's opens.
            && open.abs_diff(close) <= 16
            && modify.abs_diff(col("close_write")) <= 16;
        assert!(
            ok,
            "{name}: signal {sig} mid-burst: expected a sane table and exit 0 within \
             {STOP_WITHIN:?} (took {took:?}; the writer made {written} appends)\n{}",
            util::dump("ours", &o)
        );
        util::wipe(&std::env::temp_dir().join(GROUP).join(&name));
    }
}

// ---------------------------------------------------------------------------------
// Unreadable directories, vanishing directories.

const SETPRIV: &[&str] = &[
    "setpriv",
    "--reuid=54321",
    "--regid=54321",
    "--clear-groups",
];

/// As uid 54321, a tree with a `chmod 000` directory and a traverse-only one:
/// differential for both tools (watched set, errors, exit status).
#[test]
fn unreadable_directories_as_unprivileged_user() {
    if !can(CAN_SETPRIV) {
        return;
    }
    const TREE: &str = "mkdir -p t/a/deep t/b/inner t/c/sub && touch t/b/f t/a/f && \
                        echo t/a > list && echo t > list2 && \
                        chmod 000 t/b list2 && chmod 711 t/c && chmod 755 .";
    type Case<'a> = (&'a str, &'a [&'a str], Vec<Step>);
    let cases: Vec<Case> = vec![
        (
            "inotifywait",
            &["-r", "-e", "create", "t"],
            vec![err(EST), sh("touch t/a/deep/x")],
        ),
        (
            "inotifywait",
            &["-m", "-r", "-e", "create", "t"],
            vec![
                err(EST),
                sh("touch t/a/x t/c/sub/y t/x"),
                out("t/ CREATE x\n"),
                Step::Signal(SIGTERM),
            ],
        ),
        ("inotifywait", &["-r", "t/b"], vec![]),
        ("inotifywait", &["t/b"], vec![]),
        ("inotifywait", &["-r", "t/c"], vec![]),
        ("inotifywait", &["t/b/f"], vec![]),
        (
            "inotifywait",
            &["--fromfile", "list2", "-e", "create", "t/a"],
            vec![err(EST), sh("touch t/a/z")],
        ),
        ("inotifywait", &["-o", "t/b/log", "t/a"], vec![]),
        (
            "inotifywatch",
            &["-v", "-r", "-e", "create", "t"],
            vec![
                err(FINISHED),
                sh("touch t/a/x t/a/deep/y t/c/sub/z"),
                Step::Drained,
                Step::Signal(SIGINT),
            ],
        ),
        ("inotifywatch", &["-r", "t/b"], vec![]),
        ("inotifywatch", &["t/c"], vec![]),
        (
            "inotifywatch",
            &["--fromfile", "list2", "t/a"],
            vec![err(FINISHED), Step::Signal(SIGINT)],
        ),
    ];
    for (i, (tool, args, steps)) in cases.iter().enumerate() {
        same(&format!("unreadable_{i}"), TREE, &|bin, dir| {
            ready(
                wrapped(bin, dir, SETPRIV, &format!(r#"exec {tool} "$@""#), args),
                Ready::Immediately,
                steps.clone(),
            )
        });
    }
}

/// A flat-and-deep tree of `30 × 100` directories removed while `-r` sets up: no crash,
/// either established or an error line in the reference's form, and the process can be
/// stopped. Repeated a few times, both tools.
#[test]
fn directories_vanishing_during_the_walk() {
    let _heavy = util::heavy();
    const TREE: &str = "mkdir t && cd t && for i in $(seq 1 30); do mkdir d$i && \
                        (cd d$i && seq 1 100 | xargs mkdir); done";
    for round in 0..3 {
        for tool in ["inotifywait", "inotifywatch"] {
            let name = format!("vanishing_{tool}_{round}");
            let dir = util::fresh_dir(GROUP, &name);
            util::setup(&dir, TREE);
            // Even rounds remove the whole tree, odd ones only what is below `t`.
            let rm = if round % 2 == 0 {
                "rm -rf t"
            } else {
                "rm -rf t/*"
            };
            let mut remover = Command::new("sh")
                .arg("-c")
                .arg(rm)
                .current_dir(&dir)
                .stdin(Stdio::null())
                .spawn()
                .expect("spawn rm");
            let (args, done): (&[&str], &str) = if tool == "inotifywait" {
                (&["-m", "-r", "t"], EST)
            } else {
                (&["-r", "t"], FINISHED)
            };
            let mut run = direct(Bin::Ours, tool, &dir, args);
            run.steps = vec![err(done), Step::Signal(SIGTERM)];
            let o = util::execute(&run);
            let _ = wait_child(&mut remover);
            sane(&name, &o);
            let err_text = o.stderr_text();
            let lines: Vec<&str> = err_text.lines().collect();
            let established = o.status == Some(if tool == "inotifywait" { 143 } else { 0 })
                && err_text.contains(done.trim_end());
            let failed = o.status == Some(1)
                && lines.len() == 2
                && (lines[1].starts_with("Couldn't watch t")
                    || lines[1].starts_with("Failed to watch t"))
                && lines[1].contains(": ");
            let problems_ok = o
                .problems
                .iter()
                .all(|p| p.starts_with("process exited while waiting"));
            assert!(
                problems_ok && (established || failed),
                "{name}: expected established-then-stopped or one error line in the \
                 reference's form\n{}",
                util::dump("ours", &o)
            );
            if failed {
                let msg = lines[1];
                let form = msg
                    .strip_prefix("Couldn't watch ")
                    .or(msg.strip_prefix("Failed to watch "));
                assert!(
                    form.is_some_and(|rest| rest.starts_with("t") && rest.contains(": ")),
                    "{name}: error line not in the reference's form: {msg:?}"
                );
            }
            util::wipe(&dir);
        }
    }
}
